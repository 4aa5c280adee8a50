"""Projects, users, participants, transcripts, speakers, turns and segments."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from analysis.errors import NotFoundError
from analysis.models import (
    Consent,
    Participant,
    Project,
    Segment,
    Speaker,
    StoredTurn,
    Transcript,
)
from analysis.storage.base import StoreBase
from analysis.storage.schema import DEFAULT_PROJECT_SLUG, now_utc


def _flag(value: int | None) -> bool | None:
    return None if value is None else bool(value)


_PARTICIPANT_SEGMENTS_FROM = """FROM segments s JOIN transcripts t ON t.id = s.transcript_id
    JOIN speakers sp ON sp.transcript_id = s.transcript_id AND sp.label = s.speaker"""


def _participant_segments_where(
    project_id: int | None, transcript_id: int | None, status: str | None
) -> tuple[str, list[Any]]:
    clauses, params = ["sp.role = 'participant'"], []
    for clause, value in (
        ("t.project_id = ?", project_id),
        ("s.transcript_id = ?", transcript_id),
        ("t.anonymisation_status = ?", status),
    ):
        if value is not None:
            clauses.append(clause)
            params.append(value)
    return " AND ".join(clauses), params


class StudyTables(StoreBase):
    """Projects, users, participants, transcripts, speakers, turns and segments."""

    # -- projects and users ------------------------------------------------------------

    def get_or_create_project(self, slug: str = DEFAULT_PROJECT_SLUG, name: str = "") -> Project:
        """The project with this slug, created empty the first time."""
        rows = list(self.db.query("SELECT * FROM projects WHERE slug = ?", [slug]))
        if not rows:
            self._insert(
                "projects",
                {"slug": slug, "name": name or slug, "description": "", "created_at": now_utc()},
            )
            rows = list(self.db.query("SELECT * FROM projects WHERE slug = ?", [slug]))
        row = rows[0]
        return Project(row["id"], row["slug"], row["name"], row["description"])

    def update_project(self, project_id: int, *, name: str, description: str) -> None:
        self._table("projects").update(project_id, {"name": name, "description": description})

    def get_project(self, project_id: int) -> Project:
        rows = list(
            self.db.query(
                "SELECT id, slug, name, description FROM projects WHERE id = ?", [project_id]
            )
        )
        if not rows:
            raise NotFoundError(f"no project {project_id}")
        return Project(**rows[0])

    def list_projects(self) -> list[Project]:
        rows = self.db.query("SELECT id, slug, name, description FROM projects ORDER BY id")
        return [Project(**row) for row in rows]

    def upsert_user(self, name: str, role: str) -> None:
        if not list(self.db.query("SELECT id FROM users WHERE name = ?", [name])):
            self._insert("users", {"name": name, "role": role, "created_at": now_utc()})

    def list_users(self) -> list[dict[str, str]]:
        return list(self.db.query("SELECT name, role FROM users ORDER BY name"))

    # -- participants --------------------------------------------------------------------

    def get_or_create_participant(self, project_id: int, pseudonym: str) -> int:
        rows = list(
            self.db.query(
                "SELECT id FROM participants WHERE project_id = ? AND pseudonym = ?",
                [project_id, pseudonym],
            )
        )
        if rows:
            return int(rows[0]["id"])
        return self._insert("participants", {"project_id": project_id, "pseudonym": pseudonym})

    def set_participant_attribute(self, participant_id: int, name: str, value: str) -> None:
        self._table("participant_attributes").upsert(
            {"participant_id": participant_id, "name": name, "value": value},
            pk=("participant_id", "name"),
        )

    def delete_participant_attribute(self, participant_id: int, name: str) -> None:
        self.db.execute(
            "DELETE FROM participant_attributes WHERE participant_id = ? AND name = ?",
            [participant_id, name],
        )

    def list_participants(self, project_id: int) -> list[Participant]:
        people = self.db.execute(
            """SELECT id, pseudonym, consent_date, consent_quotes, consent_share
               FROM participants WHERE project_id = ? ORDER BY pseudonym""",
            [project_id],
        ).fetchall()
        attributes: dict[int, dict[str, str]] = {row[0]: {} for row in people}
        # Tuples, not a dict per row: a study of 200 people has thousands of attributes.
        for participant_id, name, value in self.db.execute(
            """SELECT a.participant_id, a.name, a.value FROM participant_attributes a
               JOIN participants p ON p.id = a.participant_id
               WHERE p.project_id = ? ORDER BY a.name""",
            [project_id],
        ):
            attributes[participant_id][name] = value
        return [
            Participant(
                row[0], row[1], attributes[row[0]], Consent(row[2], _flag(row[3]), _flag(row[4]))
            )
            for row in people
        ]

    # -- transcripts, speakers, turns, segments ------------------------------------------

    def find_transcript_by_hash(
        self, project_id: int, *, sha256: str, source_sha256: str
    ) -> dict[str, Any] | None:
        rows = list(
            self.db.query(
                """SELECT id, source_name FROM transcripts
                   WHERE project_id = ? AND (sha256 = ? OR source_sha256 = ?)""",
                [project_id, sha256, source_sha256],
            )
        )
        return rows[0] if rows else None

    def insert_transcript(self, record: Mapping[str, Any]) -> int:
        return self._insert("transcripts", record)

    def insert_speaker(self, transcript_id: int, label: str, role: str) -> int:
        return self._insert(
            "speakers", {"transcript_id": transcript_id, "label": label, "role": role}
        )

    def insert_turn(self, record: Mapping[str, Any]) -> int:
        return self._insert("turns", record)

    def insert_segments(self, records: Sequence[Mapping[str, Any]]) -> None:
        self._table("segments").insert_all([dict(r) for r in records])

    def delete_segments(self, segment_ids: Iterable[int]) -> None:
        ids = list(segment_ids)
        if ids:
            marks = ",".join("?" * len(ids))
            self.db.execute(f"DELETE FROM segments WHERE id IN ({marks})", ids)

    _TRANSCRIPT_SQL = """SELECT t.id, t.project_id, t.participant_id, p.pseudonym AS participant,
        t.source_name, t.source_format, t.text, t.sha256, t.anonymisation_status,
        t.imported_by, t.imported_at
        FROM transcripts t LEFT JOIN participants p ON p.id = t.participant_id"""

    def get_transcript(self, transcript_id: int) -> Transcript:
        rows = list(self.db.query(f"{self._TRANSCRIPT_SQL} WHERE t.id = ?", [transcript_id]))
        if not rows:
            raise NotFoundError(f"transcript {transcript_id} does not exist")
        return Transcript(**rows[0])

    def list_transcripts(self, project_id: int) -> list[Transcript]:
        rows = self.db.query(
            f"{self._TRANSCRIPT_SQL} WHERE t.project_id = ? ORDER BY t.source_name, t.id",
            [project_id],
        )
        return [Transcript(**row) for row in rows]

    def transcript_source_sha256(self, transcript_id: int) -> str:
        """The SHA-256 of the file a transcript was imported from (not of its text)."""
        row = self.db.execute(
            "SELECT source_sha256 FROM transcripts WHERE id = ?", [transcript_id]
        ).fetchone()
        if row is None:
            raise NotFoundError(f"transcript {transcript_id} does not exist")
        return str(row[0])

    def set_transcript_participant(self, transcript_id: int, participant_id: int | None) -> None:
        self._table("transcripts").update(transcript_id, {"participant_id": participant_id})

    def update_transcript(self, transcript_id: int, values: Mapping[str, Any]) -> None:
        self._table("transcripts").update(transcript_id, dict(values))

    def update_rows(self, table: str, rows: Mapping[int, Mapping[str, Any]]) -> None:
        """Update several rows of `table` by id (offsets of turns and findings, labels)."""
        for row_id, values in rows.items():
            self._table(table).update(row_id, dict(values))

    def delete_transcript_segments(self, transcript_id: int) -> None:
        self.db.execute("DELETE FROM segments WHERE transcript_id = ?", [transcript_id])

    def list_speakers(self, transcript_id: int) -> list[Speaker]:
        rows = self.db.query(
            "SELECT id, transcript_id, label, role FROM speakers WHERE transcript_id = ? ORDER BY id",
            [transcript_id],
        )
        return [Speaker(**row) for row in rows]

    def set_speaker_role(self, speaker_id: int, role: str) -> None:
        self._table("speakers").update(speaker_id, {"role": role})

    def list_turns(self, transcript_id: int) -> list[StoredTurn]:
        rows = self.db.query(
            """SELECT t.id, t.transcript_id, t.position, s.label AS speaker, s.role,
                      t.start_char, t.end_char, t.timestamp
               FROM turns t JOIN speakers s ON s.id = t.speaker_id
               WHERE t.transcript_id = ? ORDER BY t.position""",
            [transcript_id],
        )
        return [StoredTurn(**row) for row in rows]

    def list_segments(self, transcript_id: int) -> list[Segment]:
        rows = self.db.query(
            """SELECT id, transcript_id, turn_id, start_char, end_char, speaker, text
               FROM segments WHERE transcript_id = ? ORDER BY start_char""",
            [transcript_id],
        )
        return [Segment(**row) for row in rows]

    def list_participant_segments(
        self,
        *,
        project_id: int | None = None,
        transcript_id: int | None = None,
        status: str | None = None,
    ) -> list[Segment]:
        """Segments spoken by a speaker in the participant role, in transcript order (as
        `list_transcripts`) and text order; optionally of transcripts with this
        anonymisation `status`. One query, however many transcripts."""
        where, params = _participant_segments_where(project_id, transcript_id, status)
        rows = self.db.execute(
            f"""SELECT s.id, s.transcript_id, s.turn_id, s.start_char, s.end_char, s.speaker,
                       s.text {_PARTICIPANT_SEGMENTS_FROM} WHERE {where}
                ORDER BY t.source_name, t.id, s.start_char, s.id""",
            params,
        )
        return [Segment(*row) for row in rows]

    def count_participant_segments(
        self, *, project_id: int | None = None, status: str | None = None
    ) -> int:
        """How many segments `list_participant_segments` would return."""
        where, params = _participant_segments_where(project_id, None, status)
        sql = f"SELECT count(*) {_PARTICIPANT_SEGMENTS_FROM} WHERE {where}"
        return int(self.db.execute(sql, params).fetchone()[0])

    def get_segment(self, segment_id: int) -> Segment:
        rows = list(
            self.db.query(
                """SELECT id, transcript_id, turn_id, start_char, end_char, speaker, text
                   FROM segments WHERE id = ?""",
                [segment_id],
            )
        )
        if not rows:
            raise NotFoundError(f"segment {segment_id} does not exist")
        return Segment(**rows[0])
