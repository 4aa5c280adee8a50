"""Participants' consent records, and removing everything of a withdrawn participant."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from analysis.storage.base import StoreBase


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


class ConsentTables(StoreBase):
    """Consent columns of participants, withdrawals, and the deletes a withdrawal needs."""

    def set_consent(self, participant_id: int, values: Mapping[str, Any]) -> None:
        self._table("participants").update(participant_id, dict(values))

    def consent_rows(self, project_id: int) -> dict[int, dict[str, Any]]:
        rows = self.db.query(
            """SELECT id, consent_date, consent_quotes, consent_share FROM participants
               WHERE project_id = ?""",
            [project_id],
        )
        return {row["id"]: row for row in rows}

    def insert_withdrawal(self, record: Mapping[str, Any]) -> int:
        return self._insert("withdrawals", record)

    def withdrawn_pseudonyms(self, project_id: int) -> set[str]:
        rows = self.db.query("SELECT pseudonym FROM withdrawals WHERE project_id = ?", [project_id])
        return {row["pseudonym"] for row in rows}

    def participant_footprint(self, transcript_ids: Sequence[int]) -> dict[str, list[Any]]:
        """Ids of what hangs off some transcripts: segments, codings, their text hashes."""
        if not transcript_ids:
            return {"segments": [], "codings": [], "texts": []}
        marks = _marks(transcript_ids)
        segments = list(
            self.db.query(
                f"SELECT id, text FROM segments WHERE transcript_id IN ({marks})",
                list(transcript_ids),
            )
        )
        codings = [
            row["id"]
            for row in self.db.query(
                f"SELECT id FROM codings WHERE transcript_id IN ({marks})", list(transcript_ids)
            )
        ]
        return {
            "segments": [row["id"] for row in segments],
            "codings": codings,
            "texts": [row["text"] for row in segments],
        }

    def delete_memos_on(self, target_table: str, target_ids: Sequence[int]) -> list[int]:
        """Delete the memos written on some records; returns their ids."""
        if not target_ids:
            return []
        where = f"target_table = ? AND target_id IN ({_marks(target_ids)})"
        params = [target_table, *target_ids]
        ids = [row["id"] for row in self.db.query(f"SELECT id FROM memos WHERE {where}", params)]
        self.db.execute(f"DELETE FROM memos WHERE {where}", params)
        return ids

    def delete_transcripts(self, transcript_ids: Sequence[int]) -> None:
        """Delete transcripts; speakers, turns, segments, codings, findings, topic
        assignments, suggestion and consensus decisions go with them (foreign keys)."""
        if transcript_ids:
            self.db.execute(
                f"DELETE FROM transcripts WHERE id IN ({_marks(transcript_ids)})",
                list(transcript_ids),
            )

    def delete_participant(self, participant_id: int) -> None:
        self.db.execute("DELETE FROM participants WHERE id = ?", [participant_id])

    def segment_texts_in_use(self, texts: Sequence[str]) -> set[str]:
        """Which of these texts some remaining segment still has (its embedding stays)."""
        found: set[str] = set()
        for offset in range(0, len(texts), 500):
            chunk = list(texts[offset : offset + 500])
            rows = self.db.query(
                f"SELECT DISTINCT text FROM segments WHERE text IN ({_marks(chunk)})", chunk
            )
            found.update(row["text"] for row in rows)
        return found

    def delete_embeddings(self, text_hashes: Sequence[str]) -> None:
        for offset in range(0, len(text_hashes), 500):
            chunk = list(text_hashes[offset : offset + 500])
            self.db.execute(f"DELETE FROM embeddings WHERE text_hash IN ({_marks(chunk)})", chunk)

    def topic_runs_with_quotes(self, project_id: int) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                """SELECT t.id, t.topic_run_id, t.representative_json, r.model_path
                   FROM topics t JOIN topic_runs r ON r.id = t.topic_run_id
                   WHERE r.project_id = ?""",
                [project_id],
            )
        )

    def set_topic_quotes(self, topic_id: int, quotes: list[dict[str, Any]]) -> None:
        self._table("topics").update(topic_id, {"representative_json": json.dumps(quotes)})

    def forget_topic_model(self, run_id: int) -> None:
        self._table("topic_runs").update(run_id, {"model_path": None})

    def audit_ids_about(self, records: Mapping[str, Sequence[int]]) -> list[int]:
        """Audit rows about some records: the rows of those records themselves, and rows
        whose details point at them (a coding's transcript, a memo's target)."""
        found: set[int] = set()
        for table, ids in records.items():
            for offset in range(0, len(ids), 500):
                chunk = list(ids[offset : offset + 500])
                marks = _marks(chunk)
                rows = self.db.execute(
                    f"""SELECT id FROM audit_log
                        WHERE (table_name = ? AND row_id IN ({marks}))
                        OR (json_extract(payload_json, '$.target_table') = ?
                            AND json_extract(payload_json, '$.target_id') IN ({marks}))
                        OR (? = 'transcripts'
                            AND json_extract(payload_json, '$.transcript_id') IN ({marks}))
                        OR (? = 'segments'
                            AND json_extract(payload_json, '$.segment_id') IN ({marks}))""",
                    [table, *chunk, table, *chunk, table, *chunk, table, *chunk],
                ).fetchall()
                found.update(int(row[0]) for row in rows)
        return sorted(found)

    def audited_row_ids(self, table: str, key: str, values: Sequence[int]) -> set[int]:
        """Ids of `table` records whose audit rows point at `values` through `key` (a
        coding's transcript, a memo's target): records deleted earlier included."""
        found: set[int] = set()
        for offset in range(0, len(values), 500):
            chunk = list(values[offset : offset + 500])
            rows = self.db.execute(
                f"""SELECT DISTINCT row_id FROM audit_log WHERE table_name = ?
                    AND row_id IS NOT NULL
                    AND json_extract(payload_json, '$.{key}') IN ({_marks(chunk)})""",
                [table, *chunk],
            ).fetchall()
            found.update(int(row[0]) for row in rows)
        return found

    def scrub_audit_rows(self, audit_ids: Sequence[int], keys: Sequence[str]) -> int:
        """Drop text-bearing keys from some audit rows' details."""
        changed = 0
        for offset in range(0, len(audit_ids), 500):
            chunk = list(audit_ids[offset : offset + 500])
            rows = list(
                self.db.query(
                    f"SELECT id, payload_json FROM audit_log WHERE id IN ({_marks(chunk)})", chunk
                )
            )
            for row in rows:
                payload = json.loads(row["payload_json"])
                kept = {k: v for k, v in payload.items() if k not in keys}
                if kept != payload:
                    self.db.execute(
                        "UPDATE audit_log SET payload_json = ? WHERE id = ?",
                        [json.dumps(kept, sort_keys=True, ensure_ascii=False), row["id"]],
                    )
                    changed += 1
        return changed

    def run_used_segments(self, run_id: int, segment_ids: Sequence[int]) -> bool:
        """Whether a topic run was fitted on any of these segments."""
        for offset in range(0, len(segment_ids), 500):
            chunk = list(segment_ids[offset : offset + 500])
            row = self.db.execute(
                f"""SELECT 1 FROM segment_topics st JOIN topics t ON t.id = st.topic_id
                    WHERE t.topic_run_id = ? AND st.segment_id IN ({_marks(chunk)}) LIMIT 1""",
                [run_id, *chunk],
            ).fetchone()
            if row:
                return True
        return False
