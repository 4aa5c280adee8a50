"""Reliability rounds, their transcripts and coders, and consensus decisions."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from analysis.errors import NotFoundError
from analysis.models import ConsensusDecision, ReliabilityRound
from analysis.storage.base import StoreBase


class RoundTables(StoreBase):
    """Reliability rounds and the consensus codings that settle them."""

    def insert_round(
        self, record: Mapping[str, Any], transcript_ids: Iterable[int], coders: Iterable[str]
    ) -> int:
        round_id = self._insert("reliability_rounds", record)
        self._table("round_transcripts").insert_all(
            [{"round_id": round_id, "transcript_id": t} for t in transcript_ids]
        )
        self._table("round_coders").insert_all([{"round_id": round_id, "coder": c} for c in coders])
        return round_id

    def update_round(self, round_id: int, values: Mapping[str, Any]) -> None:
        self._table("reliability_rounds").update(round_id, dict(values))

    def _round(self, row: dict[str, Any]) -> ReliabilityRound:
        transcripts = [
            r["transcript_id"]
            for r in self.db.query(
                "SELECT transcript_id FROM round_transcripts WHERE round_id = ? "
                "ORDER BY transcript_id",
                [row["id"]],
            )
        ]
        coders = [
            r["coder"]
            for r in self.db.query(
                "SELECT coder FROM round_coders WHERE round_id = ? ORDER BY coder", [row["id"]]
            )
        ]
        results = json.loads(row["results_json"]) if row["results_json"] else None
        return ReliabilityRound(
            row["id"],
            row["project_id"],
            row["name"],
            row["status"],
            tuple(transcripts),
            tuple(coders),
            row["opened_by"],
            row["opened_at"],
            row["closed_by"],
            row["closed_at"],
            results,
        )

    def get_round(self, round_id: int) -> ReliabilityRound:
        rows = list(self.db.query("SELECT * FROM reliability_rounds WHERE id = ?", [round_id]))
        if not rows:
            raise NotFoundError(f"reliability round {round_id} does not exist")
        return self._round(rows[0])

    def list_rounds(self, project_id: int, *, status: str | None = None) -> list[ReliabilityRound]:
        where, params = "project_id = ?", [str(project_id)]
        if status is not None:
            where += " AND status = ?"
            params.append(status)
        rows = self.db.query(f"SELECT * FROM reliability_rounds WHERE {where} ORDER BY id", params)
        return [self._round(row) for row in rows]

    def open_round_ids_for_transcripts(self, transcript_ids: Sequence[int]) -> dict[int, int]:
        """transcript id -> id of the open round it is in (a transcript is in at most one)."""
        if not transcript_ids:
            return {}
        marks = ",".join("?" * len(transcript_ids))
        rows = self.db.query(
            f"""SELECT rt.transcript_id, r.id FROM round_transcripts rt
                JOIN reliability_rounds r ON r.id = rt.round_id
                WHERE r.status = 'open' AND rt.transcript_id IN ({marks})""",
            list(transcript_ids),
        )
        return {row["transcript_id"]: row["id"] for row in rows}

    def get_consensus(self, round_id: int, segment_id: int) -> ConsensusDecision | None:
        rows = list(
            self.db.query(
                "SELECT * FROM consensus_decisions WHERE round_id = ? AND segment_id = ?",
                [round_id, segment_id],
            )
        )
        return _decision(rows[0]) if rows else None

    def list_consensus(self, round_id: int) -> list[ConsensusDecision]:
        rows = self.db.query(
            "SELECT * FROM consensus_decisions WHERE round_id = ? ORDER BY segment_id", [round_id]
        )
        return [_decision(row) for row in rows]

    def insert_consensus(self, record: Mapping[str, Any]) -> int:
        return self._insert("consensus_decisions", record)

    def update_consensus(self, decision_id: int, values: Mapping[str, Any]) -> None:
        self._table("consensus_decisions").update(decision_id, dict(values))

    def set_superseded(self, coding_ids: Iterable[int], decision_id: int | None) -> None:
        for coding_id in coding_ids:
            self.db.execute(
                "UPDATE codings SET superseded_by = ? WHERE id = ?", [decision_id, coding_id]
            )

    def release_superseded(self, decision_id: int) -> None:
        self.db.execute(
            "UPDATE codings SET superseded_by = NULL WHERE superseded_by = ?", [decision_id]
        )

    def delete_consensus_codings(self, segment_id: int, coder: str) -> None:
        self.db.execute(
            "DELETE FROM codings WHERE segment_id = ? AND coder = ? AND source = 'consensus'",
            [segment_id, coder],
        )


def _decision(row: dict[str, Any]) -> ConsensusDecision:
    return ConsensusDecision(
        row["id"],
        row["round_id"],
        row["segment_id"],
        tuple(json.loads(row["codes_json"])),
        row["note"],
        row["decided_by"],
        row["decided_at"],
    )
