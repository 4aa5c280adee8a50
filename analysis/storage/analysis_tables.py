"""Embeddings cache, topic runs and topics, and decisions on suggested codes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from analysis.storage.base import StoreBase

# Above this many hashes, `embedded_hashes` reads every hash of the model at once.
SCAN_ALL_HASHES_ABOVE = 5000


class AnalysisTables(StoreBase):
    """Embeddings cache, topic runs and topics, and decisions on suggested codes."""

    # -- embeddings ----------------------------------------------------------------------

    def cached_embeddings(self, model: str, text_hashes: Sequence[str]) -> dict[str, bytes]:
        """Stored vectors (raw float32 bytes) for the hashes that have one."""
        found: dict[str, bytes] = {}
        unique = list(dict.fromkeys(text_hashes))
        for offset in range(0, len(unique), 500):
            chunk = unique[offset : offset + 500]
            rows = self.db.query(
                f"""SELECT text_hash, vector FROM embeddings WHERE model = ?
                    AND text_hash IN ({",".join("?" * len(chunk))})""",
                [model, *chunk],
            )
            found.update((row["text_hash"], row["vector"]) for row in rows)
        return found

    def embedded_hashes(self, model: str, text_hashes: Sequence[str]) -> set[str]:
        """The hashes that have a stored vector, read from the key's index alone."""
        found: set[str] = set()
        unique = list(dict.fromkeys(text_hashes))
        if len(unique) > SCAN_ALL_HASHES_ABOVE:
            # One pass over the index beats hundreds of IN lists.
            rows = self.db.execute("SELECT text_hash FROM embeddings WHERE model = ?", [model])
            return {row[0] for row in rows} & set(unique)
        for offset in range(0, len(unique), 500):
            chunk = unique[offset : offset + 500]
            rows = self.db.execute(
                f"""SELECT text_hash FROM embeddings WHERE model = ?
                    AND text_hash IN ({",".join("?" * len(chunk))})""",
                [model, *chunk],
            )
            found.update(row[0] for row in rows)
        return found

    def store_embeddings(self, model: str, vectors: Mapping[str, bytes], dim: int) -> None:
        self._table("embeddings").upsert_all(
            [{"text_hash": h, "model": model, "dim": dim, "vector": v} for h, v in vectors.items()],
            pk=("text_hash", "model"),
        )

    def count_embeddings(self, model: str) -> int:
        row = self.db.execute("SELECT count(*) FROM embeddings WHERE model = ?", [model]).fetchone()
        return int(row[0])

    # -- topic runs ----------------------------------------------------------------------

    def insert_topic_run(self, record: Mapping[str, Any]) -> int:
        return self._insert("topic_runs", record)

    def insert_topics(
        self, topic_run_id: int, topics: Sequence[Mapping[str, Any]]
    ) -> dict[int, int]:
        """Insert a run's topics; returns topic number -> topic row id."""
        ids: dict[int, int] = {}
        for topic in topics:
            ids[int(topic["topic_num"])] = self._insert(
                "topics", {**topic, "topic_run_id": topic_run_id}
            )
        return ids

    def insert_segment_topics(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self._table("segment_topics").insert_all([dict(r) for r in rows])

    def list_topic_runs(self, project_id: int) -> list[dict[str, Any]]:
        rows = self.db.query(
            "SELECT * FROM topic_runs WHERE project_id = ? ORDER BY id DESC", [project_id]
        )
        return [{**row, "params": json.loads(row["params_json"])} for row in rows]

    def list_topics(self, topic_run_id: int) -> list[dict[str, Any]]:
        rows = self.db.query(
            "SELECT * FROM topics WHERE topic_run_id = ? ORDER BY topic_num", [topic_run_id]
        )
        return [
            {
                **row,
                "keywords": json.loads(row["keywords_json"]),
                "representative": json.loads(row["representative_json"]),
            }
            for row in rows
        ]

    def list_segment_topics(self, topic_run_id: int) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                """SELECT st.segment_id, st.probability, t.topic_num, t.id AS topic_id
                   FROM segment_topics st JOIN topics t ON t.id = st.topic_id
                   WHERE t.topic_run_id = ? ORDER BY st.segment_id""",
                [topic_run_id],
            )
        )

    def get_topic_run(self, topic_run_id: int) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM topic_runs WHERE id = ?", [topic_run_id]))
        return {**rows[0], "params": json.loads(rows[0]["params_json"])} if rows else None

    def set_topic_run_model_path(self, topic_run_id: int, model_path: str) -> None:
        self._table("topic_runs").update(topic_run_id, {"model_path": model_path})

    def refresh_topic_sizes(self, topic_run_id: int) -> None:
        """Set each topic's size to the number of segments now assigned to it."""
        self.db.execute(
            """UPDATE topics SET size = (
                   SELECT count(*) FROM segment_topics st WHERE st.topic_id = topics.id)
               WHERE topic_run_id = ?""",
            [topic_run_id],
        )

    def list_topic_segments(self, topic_run_id: int) -> list[dict[str, Any]]:
        """Every segment assigned in a run, with its text, transcript and participant."""
        columns = self.topic_segment_columns(topic_run_id)
        return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]

    def topic_assignments(self, topic_run_id: int) -> tuple[list[int], list[int]]:
        """Every assigned segment of a run and its topic number, in segment order (read
        from the index alone, no texts)."""
        rows = self.db.execute(
            """SELECT st.segment_id, t.topic_num
               FROM segment_topics st JOIN topics t ON t.id = st.topic_id
               WHERE t.topic_run_id = ? ORDER BY st.segment_id""",
            [topic_run_id],
        ).fetchall()
        return [row[0] for row in rows], [row[1] for row in rows]

    def topic_segment_columns(
        self, topic_run_id: int, segment_ids: Sequence[int] | None = None
    ) -> dict[str, list[Any]]:
        """`list_topic_segments` as columns (`segment_id`, `probability`, `topic_num`,
        `transcript_id`, `text`, `participant`), without a dict per row; only
        `segment_ids` where given."""
        names = ("segment_id", "probability", "topic_num", "transcript_id", "text", "participant")
        only = (
            "" if segment_ids is None else "AND st.segment_id IN (SELECT value FROM json_each(?))"
        )
        rows = self.db.execute(
            f"""SELECT st.segment_id, st.probability, t.topic_num, s.transcript_id, s.text,
                       coalesce(p.pseudonym, '(no participant)')
                FROM segment_topics st JOIN topics t ON t.id = st.topic_id
                JOIN segments s ON s.id = st.segment_id
                JOIN transcripts tr ON tr.id = s.transcript_id
                LEFT JOIN participants p ON p.id = tr.participant_id
                WHERE t.topic_run_id = ? {only} ORDER BY st.segment_id""",
            [topic_run_id] + ([] if segment_ids is None else [json.dumps(list(segment_ids))]),
        ).fetchall()
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
        return {name: list(values) for name, values in zip(names, columns, strict=True)}

    def topic_participant_counts(self, topic_run_id: int) -> list[tuple[int, str, int]]:
        """(topic number, participant pseudonym, segments) for every pair with segments in a
        run, outliers included; `(no participant)` for unattached transcripts."""
        rows = self.db.execute(
            """SELECT t.topic_num, coalesce(p.pseudonym, '(no participant)'), count(*)
               FROM segment_topics st JOIN topics t ON t.id = st.topic_id
               JOIN segments s ON s.id = st.segment_id
               JOIN transcripts tr ON tr.id = s.transcript_id
               LEFT JOIN participants p ON p.id = tr.participant_id
               WHERE t.topic_run_id = ? GROUP BY 1, 2""",
            [topic_run_id],
        )
        return [(int(topic), str(who), int(n)) for topic, who, n in rows]

    def list_topic_proposals(self, topic_run_id: int) -> dict[int, dict[str, Any]]:
        """Topic number -> the audited proposal of that topic as a code (key, by, at)."""
        rows = self.db.query(
            """SELECT t.topic_num, a.actor, a.at, a.payload_json FROM audit_log a
               JOIN topics t ON t.id = a.row_id
               WHERE a.table_name = 'topics' AND a.action = 'propose topic as code'
               AND t.topic_run_id = ? ORDER BY a.id""",
            [topic_run_id],
        )
        return {
            int(row["topic_num"]): {
                "code_key": json.loads(row["payload_json"]).get("code_key"),
                "by": row["actor"],
                "at": row["at"],
            }
            for row in rows
        }

    # -- suggestions ---------------------------------------------------------------------

    def record_suggestion_decision(self, record: Mapping[str, Any]) -> int:
        self._table("suggestion_decisions").upsert(
            dict(record), pk=("segment_id", "code_key", "coder")
        )
        row = self.db.execute(
            """SELECT id FROM suggestion_decisions
               WHERE segment_id = ? AND code_key = ? AND coder = ?""",
            [record["segment_id"], record["code_key"], record["coder"]],
        ).fetchone()
        return int(row[0])

    def list_suggestion_decisions(self, project_id: int) -> list[dict[str, Any]]:
        return list(
            self.db.query(
                """SELECT d.*, s.text AS segment_text, s.transcript_id
                   FROM suggestion_decisions d JOIN segments s ON s.id = d.segment_id
                   JOIN transcripts t ON t.id = s.transcript_id
                   WHERE t.project_id = ? ORDER BY d.id""",
                [project_id],
            )
        )
