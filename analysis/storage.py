"""The only module that speaks SQL: schema, migrations, transactions, reads and writes.

Every other module asks this one for records and hands it records to write. A change
and its audit row are written inside one `Store.transaction()`, so they commit together
or not at all.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.db import Table
from sqlite_utils.migrations import Migrations

from analysis.errors import NotFoundError, StudyError
from analysis.models import (
    AuditEntry,
    Code,
    CodebookVersion,
    Coding,
    Memo,
    Participant,
    PiiFinding,
    Project,
    Segment,
    Speaker,
    StoredTurn,
    Transcript,
)

# Beside the checkout's code, whatever folder the app or the CLI is started from.
DEFAULT_DB_PATH = Path(__file__).resolve().parent.parent / "data" / "study.db"
BUSY_TIMEOUT_MS = 5000
DEFAULT_PROJECT_SLUG = "study"

migrations = Migrations("peer-research-platform")


def now_utc() -> str:
    """ISO-8601 UTC timestamp used in every `*_at` column."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def resolve_db_path(cli_value: str | os.PathLike[str] | None = None) -> Path:
    """The database path: `--db` first, then `STUDY_DB`, then `data/study.db` in the checkout."""
    if cli_value:
        return Path(cli_value)
    if os.environ.get("STUDY_DB"):
        return Path(os.environ["STUDY_DB"])
    return DEFAULT_DB_PATH


@migrations()
def m001_initial(db: Database) -> None:
    """The first schema: study, people, transcripts, codebook, codings, memos, audit."""
    statements = [
        """CREATE TABLE projects (
            id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '', min_cell_size INTEGER NOT NULL DEFAULT 5,
            created_at TEXT NOT NULL)""",
        """CREATE TABLE users (
            id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL CHECK (role IN ('student researcher', 'project lead', 'evaluator')),
            password_hash TEXT, created_at TEXT NOT NULL)""",
        """CREATE TABLE participants (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            pseudonym TEXT NOT NULL, UNIQUE (project_id, pseudonym))""",
        """CREATE TABLE participant_attributes (
            participant_id INTEGER NOT NULL REFERENCES participants(id) ON DELETE CASCADE,
            name TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (participant_id, name))""",
        """CREATE TABLE transcripts (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            participant_id INTEGER REFERENCES participants(id) ON DELETE SET NULL,
            source_name TEXT NOT NULL, source_format TEXT NOT NULL,
            source_sha256 TEXT NOT NULL, sha256 TEXT NOT NULL, text TEXT NOT NULL,
            language TEXT NOT NULL DEFAULT 'en',
            anonymisation_status TEXT NOT NULL DEFAULT 'unchecked',
            imported_by TEXT NOT NULL, imported_at TEXT NOT NULL,
            UNIQUE (project_id, sha256))""",
        """CREATE TABLE speakers (
            id INTEGER PRIMARY KEY,
            transcript_id INTEGER NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
            label TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('interviewer', 'participant')),
            UNIQUE (transcript_id, label))""",
        """CREATE TABLE turns (
            id INTEGER PRIMARY KEY,
            transcript_id INTEGER NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
            speaker_id INTEGER NOT NULL REFERENCES speakers(id) ON DELETE CASCADE,
            position INTEGER NOT NULL, start_char INTEGER NOT NULL, end_char INTEGER NOT NULL,
            timestamp TEXT, CHECK (start_char < end_char))""",
        """CREATE TABLE segments (
            id INTEGER PRIMARY KEY,
            transcript_id INTEGER NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
            turn_id INTEGER NOT NULL REFERENCES turns(id) ON DELETE CASCADE,
            start_char INTEGER NOT NULL, end_char INTEGER NOT NULL,
            speaker TEXT NOT NULL, text TEXT NOT NULL, CHECK (start_char < end_char))""",
        """CREATE TABLE codebook_versions (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            version INTEGER NOT NULL, name TEXT NOT NULL,
            parent_version_id INTEGER REFERENCES codebook_versions(id),
            note TEXT NOT NULL DEFAULT '', created_by TEXT NOT NULL, created_at TEXT NOT NULL,
            UNIQUE (project_id, version))""",
        """CREATE TABLE codes (
            id INTEGER PRIMARY KEY,
            codebook_version_id INTEGER NOT NULL
                REFERENCES codebook_versions(id) ON DELETE CASCADE,
            key TEXT NOT NULL, name TEXT NOT NULL, definition TEXT NOT NULL DEFAULT '',
            include_rule TEXT NOT NULL DEFAULT '', exclude_rule TEXT NOT NULL DEFAULT '',
            example TEXT NOT NULL DEFAULT '',
            parent_code_id INTEGER REFERENCES codes(id) ON DELETE CASCADE,
            status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'proposed')),
            position INTEGER NOT NULL DEFAULT 0,
            UNIQUE (codebook_version_id, key))""",
        """CREATE TABLE codings (
            id INTEGER PRIMARY KEY,
            transcript_id INTEGER NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
            segment_id INTEGER REFERENCES segments(id) ON DELETE CASCADE,
            code_id INTEGER NOT NULL REFERENCES codes(id) ON DELETE CASCADE,
            coder TEXT NOT NULL, start_char INTEGER NOT NULL, end_char INTEGER NOT NULL,
            source TEXT NOT NULL DEFAULT 'manual'
                CHECK (source IN ('manual', 'accepted-suggestion', 'consensus', 'imported')),
            created_at TEXT NOT NULL, CHECK (start_char < end_char),
            UNIQUE (transcript_id, code_id, coder, start_char, end_char))""",
        """CREATE TABLE memos (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            target_table TEXT NOT NULL, target_id INTEGER NOT NULL,
            author TEXT NOT NULL, body TEXT NOT NULL,
            created_at TEXT NOT NULL, updated_at TEXT NOT NULL)""",
        """CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL,
            action TEXT NOT NULL, table_name TEXT NOT NULL, row_id INTEGER,
            payload_json TEXT NOT NULL DEFAULT '{}')""",
        "CREATE INDEX idx_turns_transcript ON turns(transcript_id, position)",
        "CREATE INDEX idx_segments_transcript ON segments(transcript_id, start_char)",
        "CREATE INDEX idx_codings_transcript ON codings(transcript_id)",
        "CREATE INDEX idx_codings_code ON codings(code_id)",
        "CREATE INDEX idx_codings_segment ON codings(segment_id)",
        "CREATE INDEX idx_codes_key ON codes(key)",
        "CREATE INDEX idx_memos_target ON memos(target_table, target_id)",
    ]
    for statement in statements:
        db.execute(statement)


@migrations()
def m002_pii_review(db: Database) -> None:
    """The anonymisation review: findings (offsets only, never the found text), stable
    placeholders keyed by an HMAC of the string, and each project's allow-list."""
    statements = [
        "ALTER TABLE projects ADD COLUMN pii_secret TEXT",
        """CREATE TABLE pii_findings (
            id INTEGER PRIMARY KEY,
            transcript_id INTEGER NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
            start_char INTEGER NOT NULL, end_char INTEGER NOT NULL, label TEXT NOT NULL,
            score REAL NOT NULL, source TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'redacted', 'not-personal')),
            placeholder TEXT, decided_by TEXT, decided_at TEXT,
            CHECK (start_char < end_char))""",
        """CREATE TABLE placeholders (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            label TEXT NOT NULL, key_hash TEXT NOT NULL, number INTEGER NOT NULL,
            UNIQUE (project_id, key_hash), UNIQUE (project_id, label, number))""",
        """CREATE TABLE allow_terms (
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            term TEXT NOT NULL, added_by TEXT NOT NULL, added_at TEXT NOT NULL,
            PRIMARY KEY (project_id, term))""",
        "CREATE INDEX idx_pii_findings_transcript ON pii_findings(transcript_id, start_char)",
    ]
    for statement in statements:
        db.execute(statement)


def schema_version(db: Database) -> int:
    """Number of applied migrations: the schema version of this database file."""
    return len(migrations.applied(db))


def latest_schema_version() -> int:
    """Number of migrations this code knows about."""
    return len(migrations._migrations)


class Store:
    """One open study database. Open one per request or rerun; never share it."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- opening ---------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None) -> Store:
        """Open (creating if needed) the study database and bring its schema up to date.

        Raises:
            StudyError: the file cannot be opened or written (read-only, not SQLite).
        """
        target = resolve_db_path(path)
        try:
            if str(target) != ":memory:":
                target.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(target), timeout=BUSY_TIMEOUT_MS / 1000)
            db = Database(conn)
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            db.execute("PRAGMA foreign_keys = ON")
            # Deleted or rewritten rows (redacted text, old segments) are zeroed, not left
            # behind in free space.
            db.execute("PRAGMA secure_delete = ON")
            if str(target) != ":memory:" and db.journal_mode != "wal":
                db.enable_wal()
            migrations.apply(db)
        except (sqlite3.DatabaseError, OSError) as exc:
            raise StudyError(f"{target}: cannot open the study database ({exc})") from exc
        return cls(db)

    @classmethod
    def in_memory(cls) -> Store:
        """A fresh database in memory with the schema applied (tests, previews)."""
        return cls.open(":memory:")

    def close(self) -> None:
        self.db.close()

    @property
    def path(self) -> Path:
        """The database file (`:memory:` for an in-memory study)."""
        rows = self.db.execute("PRAGMA database_list").fetchall()
        return Path(rows[0][2]) if rows and rows[0][2] else Path(":memory:")

    def copy_to(self, target: str | os.PathLike[str]) -> None:
        """Copy the whole database to `target` with SQLite's online backup API."""
        destination = sqlite3.connect(str(target))
        try:
            self.db.conn.backup(destination)
        finally:
            destination.close()

    def checkpoint_wal(self) -> tuple[int, int, int] | None:
        """Copy the WAL into the database file and truncate it to zero bytes.

        Returns SQLite's (busy, log frames, checkpointed frames), or None inside an open
        transaction, where a checkpoint cannot run (the outermost caller does it).
        """
        if self.db.conn.in_transaction:
            return None
        busy, log, done = self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return int(busy), int(log), int(done)

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """One all-or-nothing unit of work; nests as a savepoint."""
        with self.db.atomic():
            yield self

    def audit(
        self,
        *,
        actor: str,
        action: str,
        table: str,
        row_id: int | None,
        payload: Mapping[str, Any] | None = None,
    ) -> None:
        """Append one audit row; call inside the transaction that makes the change."""
        self._table("audit_log").insert(
            {
                "at": now_utc(),
                "actor": actor,
                "action": action,
                "table_name": table,
                "row_id": row_id,
                "payload_json": json.dumps(dict(payload or {}), sort_keys=True, default=str),
            }
        )

    def audit_entries(self, *, table: str | None = None, limit: int = 200) -> list[AuditEntry]:
        where, params = ("table_name = ?", [table]) if table else ("1 = 1", [])
        rows = self.db.query(
            f"SELECT * FROM audit_log WHERE {where} ORDER BY id DESC LIMIT ?", [*params, limit]
        )
        return [AuditEntry(**row) for row in rows]

    def _table(self, name: str) -> Table:
        return self.db.table(name)

    def _insert(self, table: str, record: Mapping[str, Any]) -> int:
        last_pk = self._table(table).insert(dict(record)).last_pk
        assert last_pk is not None
        return int(last_pk)

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
        people = list(
            self.db.query(
                "SELECT id, pseudonym FROM participants WHERE project_id = ? ORDER BY pseudonym",
                [project_id],
            )
        )
        attributes: dict[int, dict[str, str]] = {row["id"]: {} for row in people}
        for row in self.db.query(
            """SELECT a.participant_id, a.name, a.value FROM participant_attributes a
               JOIN participants p ON p.id = a.participant_id
               WHERE p.project_id = ? ORDER BY a.name""",
            [project_id],
        ):
            attributes[row["participant_id"]][row["name"]] = row["value"]
        return [Participant(row["id"], row["pseudonym"], attributes[row["id"]]) for row in people]

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
        substr(t.text, g.start_char + 1, g.end_char - g.start_char) AS text
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
    ) -> list[Coding]:
        """Codings of a project, optionally narrowed; codes match by key across versions."""
        clauses: list[str] = ["t.project_id = ?"]
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
        rows = self.db.query(
            f"{self._CODING_SQL} WHERE {' AND '.join(clauses)} "
            "ORDER BY t.source_name, g.start_char, g.id",
            params,
        )
        return [Coding(**row) for row in rows]

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
