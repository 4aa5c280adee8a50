"""The codebook, codings, memos and study counts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from analysis.errors import NotFoundError
from analysis.models import (
    Code,
    CodebookVersion,
    Coding,
    Memo,
)
from analysis.storage.base import StoreBase
from analysis.storage.schema import now_utc


def transcript_texts(store: StoreBase, transcript_ids: Iterable[int]) -> dict[int, str]:
    """Transcript id -> stored text, each read once (quotes are sliced from these)."""
    ids = sorted(transcript_ids)
    texts: dict[int, str] = {}
    for offset in range(0, len(ids), 500):
        chunk = ids[offset : offset + 500]
        rows = store.db.execute(
            f"SELECT id, text FROM transcripts WHERE id IN ({','.join('?' * len(chunk))})", chunk
        )
        texts.update((int(row[0]), str(row[1])) for row in rows)
    return texts


class CodingTables(StoreBase):
    """The codebook, codings, memos and study counts."""

    # -- codebook ------------------------------------------------------------------------

    def latest_codebook_version(self, project_id: int) -> CodebookVersion | None:
        rows = list(
            self.db.query(
                "SELECT * FROM codebook_versions WHERE project_id = ? ORDER BY version DESC LIMIT 1",
                [project_id],
            )
        )
        return CodebookVersion(**rows[0]) if rows else None

    def list_codebook_versions(self, project_id: int) -> list[CodebookVersion]:
        rows = self.db.query(
            "SELECT * FROM codebook_versions WHERE project_id = ? ORDER BY version", [project_id]
        )
        return [CodebookVersion(**row) for row in rows]

    def insert_codebook_version(self, record: Mapping[str, Any]) -> int:
        return self._insert("codebook_versions", record)

    def insert_code(self, record: Mapping[str, Any]) -> int:
        return self._insert("codes", record)

    def list_codes(self, codebook_version_id: int) -> list[Code]:
        rows = self.db.query(
            """SELECT c.id, c.codebook_version_id, c.key, c.name, c.definition, c.include_rule,
                      c.exclude_rule, c.example, p.key AS parent_key, c.status, c.position
               FROM codes c LEFT JOIN codes p ON p.id = c.parent_code_id
               WHERE c.codebook_version_id = ? ORDER BY c.position, c.id""",
            [codebook_version_id],
        )
        return [Code(**row) for row in rows]

    def get_code(self, code_id: int) -> Code:
        rows = list(
            self.db.query(
                """SELECT c.id, c.codebook_version_id, c.key, c.name, c.definition,
                      c.include_rule, c.exclude_rule, c.example, p.key AS parent_key,
                      c.status, c.position
                   FROM codes c LEFT JOIN codes p ON p.id = c.parent_code_id WHERE c.id = ?""",
                [code_id],
            )
        )
        if not rows:
            raise NotFoundError(f"code {code_id} does not exist")
        return Code(**rows[0])

    # -- codings -------------------------------------------------------------------------

    _CODING_SQL = """SELECT g.id, g.transcript_id, g.segment_id, g.code_id, c.key AS code_key,
        c.name AS code_name, g.coder, g.start_char, g.end_char, g.source, g.created_at,
        substr(t.text, g.start_char + 1, g.end_char - g.start_char) AS text, g.superseded_by
        FROM codings g JOIN codes c ON c.id = g.code_id
        JOIN transcripts t ON t.id = g.transcript_id"""
    # Listing many codings, the quotes are cut from each transcript's text in Python:
    # `substr` in SQL reads a whole transcript's text (every overflow page) per coding.
    _CODING_LIST_SQL = """SELECT g.id, g.transcript_id, g.segment_id, g.code_id,
        c.key AS code_key, c.name AS code_name, g.coder, g.start_char, g.end_char, g.source,
        g.created_at, g.superseded_by
        FROM codings g JOIN codes c ON c.id = g.code_id
        JOIN transcripts t ON t.id = g.transcript_id"""

    def find_coding(
        self, *, transcript_id: int, code_id: int, coder: str, start_char: int, end_char: int
    ) -> Coding | None:
        rows = list(
            self.db.query(
                f"""{self._CODING_SQL} WHERE g.transcript_id = ? AND g.code_id = ?
                    AND g.coder = ? AND g.start_char = ? AND g.end_char = ?""",
                [transcript_id, code_id, coder, start_char, end_char],
            )
        )
        return Coding(**rows[0]) if rows else None

    def insert_coding(self, record: Mapping[str, Any]) -> int:
        return self._insert("codings", record)

    def get_coding(self, coding_id: int) -> Coding:
        rows = list(self.db.query(f"{self._CODING_SQL} WHERE g.id = ?", [coding_id]))
        if not rows:
            raise NotFoundError(f"coding {coding_id} does not exist")
        return Coding(**rows[0])

    def delete_coding(self, coding_id: int) -> None:
        self.db.execute(
            "DELETE FROM memos WHERE target_table = 'codings' AND target_id = ?", [coding_id]
        )
        self.db.execute("DELETE FROM codings WHERE id = ?", [coding_id])

    def list_codings(
        self,
        *,
        project_id: int,
        transcript_id: int | None = None,
        code_keys: Sequence[str] | None = None,
        coders: Sequence[str] | None = None,
        participant_ids: Sequence[int] | None = None,
        include_superseded: bool = False,
    ) -> list[Coding]:
        """Codings of a project, optionally narrowed; codes match by key across versions.

        Coders' originals replaced by a consensus decision are left out unless asked for.
        """
        clauses: list[str] = ["t.project_id = ?"]
        if not include_superseded:
            clauses.append("g.superseded_by IS NULL")
        params: list[Any] = [project_id]
        if transcript_id is not None:
            clauses.append("g.transcript_id = ?")
            params.append(transcript_id)
        for column, values in (
            ("c.key", code_keys),
            ("g.coder", coders),
            ("t.participant_id", participant_ids),
        ):
            if values is not None:
                clauses.append(f"{column} IN ({','.join('?' * len(values))})")
                params.extend(values)
        rows = self.db.execute(
            f"{self._CODING_LIST_SQL} WHERE {' AND '.join(clauses)} "
            "ORDER BY t.source_name, g.start_char, g.id",
            params,
        ).fetchall()
        texts = transcript_texts(self, {row[1] for row in rows})
        return [
            Coding(i, t, seg, code, key, name, coder, start, end, src, at, texts[t][start:end], sup)
            for i, t, seg, code, key, name, coder, start, end, src, at, sup in rows
        ]

    # -- memos ---------------------------------------------------------------------------

    def insert_memo(self, record: Mapping[str, Any]) -> int:
        return self._insert("memos", record)

    def get_memo(self, memo_id: int) -> Memo:
        rows = list(self.db.query("SELECT * FROM memos WHERE id = ?", [memo_id]))
        if not rows:
            raise NotFoundError(f"memo {memo_id} does not exist")
        return Memo(**rows[0])

    def update_memo(self, memo_id: int, body: str) -> None:
        self._table("memos").update(memo_id, {"body": body, "updated_at": now_utc()})

    def delete_memo(self, memo_id: int) -> None:
        self.db.execute("DELETE FROM memos WHERE id = ?", [memo_id])

    def list_memos(
        self, project_id: int, *, target_table: str | None = None, target_ids: Sequence[int] = ()
    ) -> list[Memo]:
        clauses: list[str] = ["project_id = ?"]
        params: list[Any] = [project_id]
        if target_table is not None:
            clauses.append("target_table = ?")
            params.append(target_table)
        if target_ids:
            clauses.append(f"target_id IN ({','.join('?' * len(target_ids))})")
            params.extend(target_ids)
        rows = self.db.query(
            f"SELECT * FROM memos WHERE {' AND '.join(clauses)} ORDER BY id", params
        )
        return [Memo(**row) for row in rows]

    # -- summary -------------------------------------------------------------------------

    def count_rows(self, project_id: int) -> dict[str, int]:
        """Counts of what a project holds, for `status` and the study overview."""
        latest = self.latest_codebook_version(project_id)
        queries = {
            "transcripts": ("SELECT count(*) FROM transcripts WHERE project_id = ?", [project_id]),
            "participants": (
                "SELECT count(*) FROM participants WHERE project_id = ?",
                [project_id],
            ),
            "segments": (
                """SELECT count(*) FROM segments s JOIN transcripts t ON t.id = s.transcript_id
                   WHERE t.project_id = ?""",
                [project_id],
            ),
            "codes": (
                "SELECT count(*) FROM codes WHERE codebook_version_id = ?",
                [latest.id if latest else -1],
            ),
            "codings": (
                """SELECT count(*) FROM codings g JOIN transcripts t ON t.id = g.transcript_id
                   WHERE t.project_id = ?""",
                [project_id],
            ),
            "memos": ("SELECT count(*) FROM memos WHERE project_id = ?", [project_id]),
        }
        counts = {
            name: int(self.db.execute(sql, params).fetchone()[0])
            for name, (sql, params) in queries.items()
        }
        counts["codebook_version"] = latest.version if latest else 0
        return counts
