"""The audit log for leads: who did what, when; filterable and exportable as CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import date, timedelta

from analysis.access import Action, require
from analysis.models import AuditEntry
from analysis.storage import Store

AUDIT_COLUMNS = ("id", "at", "actor", "action", "table", "row_id", "details")


def audit_trail(
    store: Store,
    *,
    actor: str,
    who: Sequence[str] = (),
    actions: Sequence[str] = (),
    tables: Sequence[str] = (),
    since: date | None = None,
    until: date | None = None,
    contains: str = "",
    limit: int | None = None,
) -> list[AuditEntry]:
    """Audit rows, newest first, narrowed by who, what, which table, dates (`until`
    inclusive) and a word in the details.

    Raises:
        PermissionDeniedError: only project leads read the audit log.
    """
    require(store, actor, Action.READ_AUDIT)
    return store.query_audit(
        actors=list(who) or None,
        actions=list(actions) or None,
        tables=list(tables) or None,
        since=since.isoformat() if since else None,
        until=(until + timedelta(days=1)).isoformat() if until else None,
        contains=contains.strip(),
        limit=limit,
    )


def audit_filters(store: Store, *, actor: str) -> dict[str, list[str]]:
    """The actors, actions and tables the log holds, for the page's pickers."""
    require(store, actor, Action.READ_AUDIT)
    return store.audit_facets()


def audit_rows(entries: Sequence[AuditEntry]) -> list[dict[str, object]]:
    """Rows for a table or CSV: the payload as compact `key=value` details."""
    rows: list[dict[str, object]] = []
    for entry in entries:
        payload = json.loads(entry.payload_json or "{}")
        details = "; ".join(
            f"{key}={json.dumps(value, ensure_ascii=False)}" for key, value in payload.items()
        )
        rows.append(
            {
                "id": entry.id,
                "at": entry.at,
                "actor": entry.actor,
                "action": entry.action,
                "table": entry.table_name,
                "row_id": entry.row_id,
                "details": details,
            }
        )
    return rows


def audit_csv(entries: Sequence[AuditEntry]) -> str:
    """The entries as CSV text (UTF-8, header row), as a lead downloads them."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=AUDIT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(audit_rows(entries))
    return buffer.getvalue()
