"""Reads behind the intersectional view: who has which attributes, who was coded with what."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from analysis.errors import NotFoundError
from analysis.storage.base import StoreBase

DEFAULT_MIN_CELL_SIZE = 5


class IntersectTables(StoreBase):
    """Participant-level reads for the intersectional matrix and code co-occurrence."""

    def project_min_cell_size(self, project_id: int) -> int:
        """The project's small-cell threshold k (`projects.min_cell_size`, default 5).

        Raises:
            NotFoundError: no such project.
        """
        row = self.db.execute(
            "SELECT min_cell_size FROM projects WHERE id = ?", [project_id]
        ).fetchone()
        if row is None:
            raise NotFoundError(f"project {project_id} does not exist")
        return int(row[0]) if row[0] is not None else DEFAULT_MIN_CELL_SIZE

    def list_transcript_owners(self, project_id: int) -> list[dict[str, Any]]:
        """Every transcript of a project as `{id, source_name, participant_id, pseudonym}`,
        without its text (`participant_id` and `pseudonym` are None when unattached)."""
        rows = self.db.query(
            """SELECT t.id, t.source_name, t.participant_id, p.pseudonym
               FROM transcripts t LEFT JOIN participants p ON p.id = t.participant_id
               WHERE t.project_id = ? ORDER BY t.source_name, t.id""",
            [project_id],
        )
        return [dict(row) for row in rows]

    def list_themes_with_codes(self, project_id: int) -> list[dict[str, Any]]:
        """Themes of a project by name: `{id, name, status, code_keys}` (keys sorted)."""
        themes = [
            dict(row)
            for row in self.db.query(
                "SELECT id, name, status FROM themes WHERE project_id = ? ORDER BY name, id",
                [project_id],
            )
        ]
        keys: dict[int, list[str]] = {theme["id"]: [] for theme in themes}
        for row in self.db.query(
            """SELECT tc.theme_id, tc.code_key FROM theme_codes tc
               JOIN themes th ON th.id = tc.theme_id
               WHERE th.project_id = ? ORDER BY tc.code_key""",
            [project_id],
        ):
            keys[row["theme_id"]].append(row["code_key"])
        return [{**theme, "code_keys": keys[theme["id"]]} for theme in themes]

    def list_coded_spans(self, project_id: int) -> list[dict[str, Any]]:
        """A project's current codings (originals replaced by consensus left out) without
        their quotes, for counting: `{transcript_id, participant_id, segment_id,
        start_char, end_char, code_key}` (`participant_id` None when unattached)."""
        rows = self.db.execute(
            """SELECT g.transcript_id, t.participant_id, g.segment_id, g.start_char,
                      g.end_char, c.key
               FROM codings g JOIN codes c ON c.id = g.code_id
               JOIN transcripts t ON t.id = g.transcript_id
               WHERE t.project_id = ? AND g.superseded_by IS NULL
               ORDER BY g.id""",
            [project_id],
        )
        names = (
            "transcript_id",
            "participant_id",
            "segment_id",
            "start_char",
            "end_char",
            "code_key",
        )
        return [dict(zip(names, row, strict=True)) for row in rows]

    def list_segment_spans(self, transcript_ids: Sequence[int]) -> list[dict[str, int]]:
        """Segments of some transcripts as `{id, transcript_id, start_char, end_char}`."""
        if not transcript_ids:
            return []
        rows = self.db.query(
            f"""SELECT id, transcript_id, start_char, end_char FROM segments
                WHERE transcript_id IN ({",".join("?" * len(transcript_ids))})
                ORDER BY transcript_id, start_char""",
            list(transcript_ids),
        )
        return [dict(row) for row in rows]
