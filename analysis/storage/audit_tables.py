"""Reading the audit log with filters (writing it is `StoreBase.audit`)."""

from __future__ import annotations

from typing import Any

from analysis.models import AuditEntry
from analysis.storage.base import StoreBase


class AuditTables(StoreBase):
    """Filtered reads of the audit log, newest first."""

    def query_audit(
        self,
        *,
        actors: list[str] | None = None,
        actions: list[str] | None = None,
        tables: list[str] | None = None,
        since: str | None = None,
        until: str | None = None,
        contains: str = "",
        limit: int | None = None,
    ) -> list[AuditEntry]:
        clauses: list[str] = ["1 = 1"]
        params: list[Any] = []
        for column, values in (("actor", actors), ("action", actions), ("table_name", tables)):
            if values:
                clauses.append(f"{column} IN ({','.join('?' * len(values))})")
                params.extend(values)
        if since:
            clauses.append("at >= ?")
            params.append(since)
        if until:
            clauses.append("at < ?")
            params.append(until)
        sql = f"SELECT * FROM audit_log WHERE {' AND '.join(clauses)} ORDER BY id DESC"
        if limit is not None and not contains:
            sql += " LIMIT ?"
            params.append(limit)
        entries = [AuditEntry(**row) for row in self.db.query(sql, params)]
        if contains:
            # In Python: SQLite's lower() folds only ASCII letters ("ÉCOLE" vs "école").
            wanted = contains.casefold()
            entries = [
                e
                for e in entries
                if wanted in e.payload_json.casefold() or wanted in e.action.casefold()
            ]
        return entries[:limit] if limit is not None else entries

    def audit_facets(self) -> dict[str, list[str]]:
        """The distinct actors, actions and tables, for filter pickers."""
        return {
            key: [
                row[0]
                for row in self.db.execute(f"SELECT DISTINCT {column} FROM audit_log ORDER BY 1")
            ]
            for key, column in (
                ("actors", "actor"),
                ("actions", "action"),
                ("tables", "table_name"),
            )
        }
