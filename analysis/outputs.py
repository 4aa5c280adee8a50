"""What themes, findings and recommendations share: their review status, comment
threads and saves that cannot silently overwrite someone else's.

Status runs draft -> in review -> agreed. Anyone who may draft moves an item between
draft and in review; only a project lead agrees it. Changing an agreed item sends it
back to review. Every save names the revision it was made on, and a save made on a
stale copy is refused (`ConflictError`), so two people editing at once lose nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analysis.access import Action, allowed, require
from analysis.errors import (
    ConflictError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
)
from analysis.models import User
from analysis.storage import Store, now_utc

DRAFT, IN_REVIEW, AGREED = "draft", "in review", "agreed"
STATUSES = (DRAFT, IN_REVIEW, AGREED)
_SINGULAR = {"themes": "theme", "findings": "finding", "recommendations": "recommendation"}


@dataclass(frozen=True)
class Comment:
    id: int
    author: str
    body: str
    created_at: str


def get_row(store: Store, table: str, row_id: int) -> dict[str, Any]:
    row = store.get_output(table, row_id)
    if row is None:
        raise NotFoundError(f"{_SINGULAR[table]} {row_id} does not exist")
    return row


def may_see(user: User, status: str) -> bool:
    """Drafts are for those who may draft; evaluators see agreed items only."""
    return status == AGREED or allowed(user.role, Action.SEE_DRAFTS)


def require_visible(store: Store, actor: str, table: str, row: dict[str, Any]) -> User:
    user = require(store, actor, Action.EXPORT_SUMMARY)  # every role reads agreed outputs
    if not may_see(user, row["status"]):
        raise PermissionDeniedError(
            f"{_SINGULAR[table]} {row['id']} is not agreed yet; {user.name} ({user.role}) "
            f"may not {Action.SEE_DRAFTS.value}"
        )
    return user


def save_revision(
    store: Store,
    table: str,
    row: dict[str, Any],
    values: dict[str, Any],
    *,
    revision: int,
    actor: str,
    action: str,
) -> None:
    """Write a change made on `revision`; an agreed item goes back to review.

    Raises:
        ConflictError: someone saved the item after `revision` was read.
    """
    changes = {**values, "updated_at": now_utc()}
    if row["status"] == AGREED and "status" not in values:
        changes["status"] = IN_REVIEW
    if not store.update_output(table, row["id"], changes, revision=revision):
        current = get_row(store, table, row["id"])
        raise ConflictError(
            f"the {_SINGULAR[table]} changed since you opened it (now revision "
            f"{current['revision']}, you had {revision}); reload it and make your change again"
        )
    store.audit(
        actor=actor,
        action=action,
        table=table,
        row_id=row["id"],
        payload={k: v for k, v in changes.items() if k != "updated_at"},
    )


def set_status(store: Store, table: str, row_id: int, status: str, *, actor: str) -> None:
    """Move an item through draft -> in review -> agreed (agreeing is a lead's call)."""
    if status not in STATUSES:
        raise InvalidRequestError(f"unknown status '{status}' (use {', '.join(STATUSES)})")
    require(store, actor, Action.AGREE_OUTPUTS if status == AGREED else Action.DRAFT_OUTPUTS)
    row = get_row(store, table, row_id)
    if row["status"] == AGREED and status != AGREED:
        require(store, actor, Action.AGREE_OUTPUTS)
    with store.transaction():
        save_revision(
            store,
            table,
            row,
            {"status": status},
            revision=row["revision"],
            actor=actor,
            action=f"set {_SINGULAR[table]} status",
        )


def add_comment(store: Store, table: str, row_id: int, body: str, *, actor: str) -> Comment:
    """A reviewer's comment in an item's thread."""
    require(store, actor, Action.SEE_DRAFTS)
    get_row(store, table, row_id)
    if not body.strip():
        raise InvalidRequestError("a comment cannot be empty")
    with store.transaction():
        comment_id = store.insert_comment(
            {
                "target_table": table,
                "target_id": row_id,
                "author": actor,
                "body": body.strip(),
                "created_at": now_utc(),
            }
        )
        store.audit(
            actor=actor,
            action="comment",
            table=table,
            row_id=row_id,
            payload={"comment_id": comment_id},
        )
    return comments_on(store, table, row_id, actor=actor)[-1]


def comments_on(store: Store, table: str, row_id: int, *, actor: str) -> list[Comment]:
    require(store, actor, Action.SEE_DRAFTS)
    return [
        Comment(r["id"], r["author"], r["body"], r["created_at"])
        for r in store.list_comments(table, row_id)
    ]
