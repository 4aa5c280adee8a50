"""Memos: a researcher's notes on a coding, segment, transcript, code or participant."""

from __future__ import annotations

from analysis.access import LEAD, Action, require
from analysis.errors import InvalidRequestError, PermissionDeniedError
from analysis.models import Memo
from analysis.storage import Store, now_utc

MEMO_TARGETS = ("codings", "segments", "transcripts", "codes", "participants", "projects")


def add_memo_in_transaction(
    store: Store, project_id: int, target_table: str, target_id: int, body: str, *, author: str
) -> int:
    """Write a memo and its audit row inside the caller's transaction."""
    require(store, author, Action.CODE)
    if target_table not in MEMO_TARGETS:
        raise InvalidRequestError(
            f"memos can be written on {', '.join(MEMO_TARGETS)}, not '{target_table}'"
        )
    if not body.strip():
        raise InvalidRequestError("a memo cannot be empty")
    stamp = now_utc()
    memo_id = store.insert_memo(
        {
            "project_id": project_id,
            "target_table": target_table,
            "target_id": target_id,
            "author": author,
            "body": body.strip(),
            "created_at": stamp,
            "updated_at": stamp,
        }
    )
    store.audit(
        actor=author,
        action="add memo",
        table="memos",
        row_id=memo_id,
        payload={"target_table": target_table, "target_id": target_id, "body": body.strip()},
    )
    return memo_id


def add_memo(
    store: Store, project_id: int, target_table: str, target_id: int, body: str, *, author: str
) -> Memo:
    """Write a memo on a record.

    Example:
        >>> add_memo(store, 1, "codings", 7, "Waiting framed as rejection", author="sam")
    """
    with store.transaction():
        memo_id = add_memo_in_transaction(
            store, project_id, target_table, target_id, body, author=author
        )
    return store.get_memo(memo_id)


def edit_memo(store: Store, memo_id: int, body: str, *, actor: str) -> Memo:
    """Change a memo's text (its author, or a lead); the audit log keeps both texts."""
    _require_own_memo(store, memo_id, actor)
    if not body.strip():
        raise InvalidRequestError("a memo cannot be empty")
    old = store.get_memo(memo_id)
    with store.transaction():
        store.update_memo(memo_id, body.strip())
        store.audit(
            actor=actor,
            action="edit memo",
            table="memos",
            row_id=memo_id,
            payload={"old": old.body, "new": body.strip()},
        )
    return store.get_memo(memo_id)


def delete_memo(store: Store, memo_id: int, *, actor: str) -> None:
    _require_own_memo(store, memo_id, actor)
    old = store.get_memo(memo_id)
    with store.transaction():
        store.delete_memo(memo_id)
        store.audit(
            actor=actor,
            action="delete memo",
            table="memos",
            row_id=memo_id,
            payload={
                "target_table": old.target_table,
                "target_id": old.target_id,
                "body": old.body,
            },
        )


def _require_own_memo(store: Store, memo_id: int, actor: str) -> None:
    user = require(store, actor, Action.CODE)
    if store.get_memo(memo_id).author != actor and user.role != LEAD:
        raise PermissionDeniedError(f"{actor} may change only their own memos")


def memos_on(store: Store, project_id: int, target_table: str, target_ids: list[int]) -> list[Memo]:
    return store.list_memos(project_id, target_table=target_table, target_ids=target_ids)
