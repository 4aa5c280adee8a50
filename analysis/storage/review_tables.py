"""The anonymisation review: findings, placeholders and allow-lists."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Any

from analysis.models import (
    PiiFinding,
)
from analysis.storage.base import StoreBase
from analysis.storage.schema import now_utc


class ReviewTables(StoreBase):
    """The anonymisation review: findings, placeholders and allow-lists."""

    # -- anonymisation review ------------------------------------------------------------

    def pii_secret(self, project_id: int) -> str:
        """The project's secret key for placeholder HMACs, created on first need."""
        self.db.execute(
            "UPDATE projects SET pii_secret = ? WHERE id = ? AND pii_secret IS NULL",
            [secrets.token_hex(32), project_id],
        )
        row = self.db.execute("SELECT pii_secret FROM projects WHERE id = ?", [project_id])
        return str(row.fetchone()[0])

    def placeholder_number(self, project_id: int, label: str, key_hash: str) -> int:
        """The number of the placeholder for this key; a new key gets max + 1 for the label."""
        self.db.execute(
            """INSERT OR IGNORE INTO placeholders (project_id, label, key_hash, number)
               SELECT ?, ?, ?, coalesce(max(number), 0) + 1 FROM placeholders
               WHERE project_id = ? AND label = ?""",
            [project_id, label, key_hash, project_id, label],
        )
        sql = "SELECT number FROM placeholders WHERE project_id = ? AND key_hash = ?"
        return int(self.db.execute(sql, [project_id, key_hash]).fetchone()[0])

    def insert_findings(self, records: Sequence[Mapping[str, Any]]) -> None:
        self._table("pii_findings").insert_all([dict(r) for r in records])

    def list_findings(
        self,
        *,
        transcript_id: int | None = None,
        project_id: int | None = None,
        ids: Sequence[int] | None = None,
        status: str | None = None,
    ) -> list[PiiFinding]:
        """Findings with their current text read from the transcript (never stored)."""
        where, params = ["1 = 1"], []
        for clause, value in (
            ("f.transcript_id = ?", transcript_id),
            ("t.project_id = ?", project_id),
            ("f.status = ?", status),
        ):
            if value is not None:
                where.append(clause)
                params.append(value)
        if ids is not None:
            where.append(f"f.id IN ({','.join('?' * len(ids))})")
            params.extend(ids)
        rows = self.db.query(
            f"""SELECT f.id, f.transcript_id, f.start_char, f.end_char, f.label, f.score,
                f.source, f.status, f.placeholder, f.decided_by, f.decided_at,
                substr(t.text, f.start_char + 1, f.end_char - f.start_char) AS text
                FROM pii_findings f JOIN transcripts t ON t.id = f.transcript_id
                WHERE {" AND ".join(where)} ORDER BY f.transcript_id, f.start_char, f.id""",
            params,
        )
        return [PiiFinding(**row) for row in rows]

    def list_allow_terms(self, project_id: int) -> list[str]:
        sql = "SELECT term FROM allow_terms WHERE project_id = ? ORDER BY term"
        return [row["term"] for row in self.db.query(sql, [project_id])]

    def add_allow_term(self, project_id: int, term: str, *, actor: str) -> None:
        self._table("allow_terms").insert(
            {"project_id": project_id, "term": term, "added_by": actor, "added_at": now_utc()},
            ignore=True,
        )
