"""Embeddings cache, topic runs and topics, and decisions on suggested codes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from analysis.storage.base import StoreBase


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
