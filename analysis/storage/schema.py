"""The schema: numbered migrations, and where the database lives."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

# Beside the checkout's code, whatever folder the app or the CLI is started from.
DEFAULT_DB_PATH = Path(__file__).resolve().parent.parent.parent / "data" / "study.db"
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


def _execute_all(db: Database, statements: list[str]) -> None:
    """Run a migration's statements in order."""
    for statement in statements:
        db.execute(statement)


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
    _execute_all(db, statements)


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
    _execute_all(db, statements)


@migrations()
def m003_topics_and_suggestions(db: Database) -> None:
    """Topic modelling and code suggestions: cached embeddings, stored topic runs with
    their topics and segment assignments, and coders' decisions on suggestions."""
    statements = [
        """CREATE TABLE embeddings (
            text_hash TEXT NOT NULL, model TEXT NOT NULL, dim INTEGER NOT NULL,
            vector BLOB NOT NULL, PRIMARY KEY (text_hash, model))""",
        """CREATE TABLE topic_runs (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            params_json TEXT NOT NULL, seed INTEGER NOT NULL, embedding_model TEXT NOT NULL,
            corpus_hash TEXT NOT NULL, segment_count INTEGER NOT NULL,
            model_path TEXT, created_by TEXT NOT NULL, created_at TEXT NOT NULL)""",
        """CREATE TABLE topics (
            id INTEGER PRIMARY KEY,
            topic_run_id INTEGER NOT NULL REFERENCES topic_runs(id) ON DELETE CASCADE,
            topic_num INTEGER NOT NULL, label TEXT NOT NULL, keywords_json TEXT NOT NULL,
            size INTEGER NOT NULL, matched_code_key TEXT, match_score REAL,
            representative_json TEXT NOT NULL DEFAULT '[]',
            UNIQUE (topic_run_id, topic_num))""",
        """CREATE TABLE segment_topics (
            segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
            topic_id INTEGER NOT NULL REFERENCES topics(id) ON DELETE CASCADE,
            probability REAL NOT NULL, PRIMARY KEY (segment_id, topic_id))""",
        """CREATE TABLE suggestion_decisions (
            id INTEGER PRIMARY KEY,
            segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
            code_key TEXT NOT NULL, coder TEXT NOT NULL, score REAL NOT NULL,
            decision TEXT NOT NULL CHECK (decision IN ('accepted', 'rejected')),
            created_at TEXT NOT NULL, UNIQUE (segment_id, code_key, coder))""",
        "CREATE INDEX idx_segment_topics_topic ON segment_topics(topic_id)",
    ]
    _execute_all(db, statements)


@migrations()
def m004_accounts_rounds_consent(db: Database) -> None:
    """Working together: sign-in sessions, reliability rounds with consensus, participants'
    consent and withdrawals, and a demo flag so demo accounts show only in the demo."""
    statements = [
        "ALTER TABLE users ADD COLUMN active INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE projects ADD COLUMN demo INTEGER NOT NULL DEFAULT 0",
        """CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            created_at TEXT NOT NULL, last_seen_at TEXT NOT NULL, expires_at TEXT NOT NULL)""",
        "ALTER TABLE participants ADD COLUMN consent_date TEXT",
        "ALTER TABLE participants ADD COLUMN consent_quotes INTEGER",
        "ALTER TABLE participants ADD COLUMN consent_share INTEGER",
        """CREATE TABLE withdrawals (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            pseudonym TEXT NOT NULL, withdrawn_by TEXT NOT NULL, withdrawn_at TEXT NOT NULL,
            UNIQUE (project_id, pseudonym))""",
        """CREATE TABLE reliability_rounds (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
            opened_by TEXT NOT NULL, opened_at TEXT NOT NULL,
            closed_by TEXT, closed_at TEXT, results_json TEXT)""",
        """CREATE TABLE round_transcripts (
            round_id INTEGER NOT NULL REFERENCES reliability_rounds(id) ON DELETE CASCADE,
            transcript_id INTEGER NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
            PRIMARY KEY (round_id, transcript_id))""",
        """CREATE TABLE round_coders (
            round_id INTEGER NOT NULL REFERENCES reliability_rounds(id) ON DELETE CASCADE,
            coder TEXT NOT NULL, PRIMARY KEY (round_id, coder))""",
        """CREATE TABLE consensus_decisions (
            id INTEGER PRIMARY KEY,
            round_id INTEGER NOT NULL REFERENCES reliability_rounds(id) ON DELETE CASCADE,
            segment_id INTEGER NOT NULL REFERENCES segments(id) ON DELETE CASCADE,
            codes_json TEXT NOT NULL, note TEXT NOT NULL DEFAULT '',
            decided_by TEXT NOT NULL, decided_at TEXT NOT NULL,
            UNIQUE (round_id, segment_id))""",
        # A coder's original coding replaced by a consensus decision stays for the record.
        """ALTER TABLE codings ADD COLUMN superseded_by INTEGER
            REFERENCES consensus_decisions(id) ON DELETE SET NULL""",
        "CREATE INDEX idx_round_transcripts_transcript ON round_transcripts(transcript_id)",
        "CREATE INDEX idx_sessions_user ON sessions(user_id)",
        "CREATE INDEX idx_audit_actor ON audit_log(actor, at)",
    ]
    _execute_all(db, statements)


@migrations()
def m005_consensus_beside_originals(db: Database) -> None:
    """A coder's original coding and the consensus coding they recorded for the same
    span can both exist: the coding source joins the uniqueness rule."""
    statements = [
        """CREATE TABLE codings_new (
            id INTEGER PRIMARY KEY,
            transcript_id INTEGER NOT NULL REFERENCES transcripts(id) ON DELETE CASCADE,
            segment_id INTEGER REFERENCES segments(id) ON DELETE CASCADE,
            code_id INTEGER NOT NULL REFERENCES codes(id) ON DELETE CASCADE,
            coder TEXT NOT NULL, start_char INTEGER NOT NULL, end_char INTEGER NOT NULL,
            source TEXT NOT NULL DEFAULT 'manual'
                CHECK (source IN ('manual', 'accepted-suggestion', 'consensus', 'imported')),
            created_at TEXT NOT NULL,
            superseded_by INTEGER REFERENCES consensus_decisions(id) ON DELETE SET NULL,
            CHECK (start_char < end_char),
            UNIQUE (transcript_id, code_id, coder, start_char, end_char, source))""",
        """INSERT INTO codings_new (id, transcript_id, segment_id, code_id, coder, start_char,
            end_char, source, created_at, superseded_by)
           SELECT id, transcript_id, segment_id, code_id, coder, start_char, end_char, source,
            created_at, superseded_by FROM codings""",
        "DROP TABLE codings",
        "ALTER TABLE codings_new RENAME TO codings",
        "CREATE INDEX idx_codings_transcript ON codings(transcript_id)",
        "CREATE INDEX idx_codings_code ON codings(code_id)",
        "CREATE INDEX idx_codings_segment ON codings(segment_id)",
        "CREATE INDEX idx_codings_superseded ON codings(superseded_by)",
    ]
    _execute_all(db, statements)


@migrations()
def m006_themes_findings_recommendations(db: Database) -> None:
    """From codes to recommendations: themes grouping codes, findings with evidence
    quotes, recommendations resting on findings, and review comments on all three.
    `revision` counts saves, so a save made on a stale copy can be refused."""
    statuses = "CHECK (status IN ('draft', 'in review', 'agreed'))"
    statements = [
        f"""CREATE TABLE themes (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            name TEXT NOT NULL, description TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'draft' {statuses},
            revision INTEGER NOT NULL DEFAULT 1,
            created_by TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
            UNIQUE (project_id, name))""",
        """CREATE TABLE theme_codes (
            theme_id INTEGER NOT NULL REFERENCES themes(id) ON DELETE CASCADE,
            code_key TEXT NOT NULL, PRIMARY KEY (theme_id, code_key))""",
        f"""CREATE TABLE findings (
            id INTEGER PRIMARY KEY,
            theme_id INTEGER NOT NULL REFERENCES themes(id) ON DELETE CASCADE,
            statement TEXT NOT NULL, lived_experience_json TEXT NOT NULL DEFAULT '[]',
            intersectional_note TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'draft' {statuses},
            revision INTEGER NOT NULL DEFAULT 1,
            created_by TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)""",
        # Evidence goes with its coding: a withdrawn participant's quotes leave findings.
        """CREATE TABLE finding_evidence (
            finding_id INTEGER NOT NULL REFERENCES findings(id) ON DELETE CASCADE,
            coding_id INTEGER NOT NULL REFERENCES codings(id) ON DELETE CASCADE,
            added_by TEXT NOT NULL, added_at TEXT NOT NULL,
            PRIMARY KEY (finding_id, coding_id))""",
        f"""CREATE TABLE recommendations (
            id INTEGER PRIMARY KEY,
            project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
            text TEXT NOT NULL, speqs_domain TEXT NOT NULL, partner TEXT NOT NULL,
            priority TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'draft' {statuses},
            revision INTEGER NOT NULL DEFAULT 1,
            created_by TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)""",
        """CREATE TABLE recommendation_findings (
            recommendation_id INTEGER NOT NULL
                REFERENCES recommendations(id) ON DELETE CASCADE,
            finding_id INTEGER NOT NULL REFERENCES findings(id) ON DELETE RESTRICT,
            PRIMARY KEY (recommendation_id, finding_id))""",
        """CREATE TABLE review_comments (
            id INTEGER PRIMARY KEY,
            target_table TEXT NOT NULL
                CHECK (target_table IN ('themes', 'findings', 'recommendations')),
            target_id INTEGER NOT NULL, author TEXT NOT NULL, body TEXT NOT NULL,
            created_at TEXT NOT NULL)""",
        "CREATE INDEX idx_findings_theme ON findings(theme_id)",
        "CREATE INDEX idx_finding_evidence_coding ON finding_evidence(coding_id)",
        "CREATE INDEX idx_review_comments_target ON review_comments(target_table, target_id)",
    ]
    _execute_all(db, statements)


@migrations()
def m007_topic_reads(db: Database) -> None:
    """A run's segments read from the index alone: the Topics page's map and topics x
    participants table read every segment of a run (about 85k in a 200-interview study).
    The new index starts with `topic_id`, so it replaces the old one."""
    statements = [
        """CREATE INDEX idx_segment_topics_topic_segment
            ON segment_topics(topic_id, segment_id, probability)""",
        "DROP INDEX idx_segment_topics_topic",
    ]
    _execute_all(db, statements)


def schema_version(db: Database) -> int:
    """Number of applied migrations: the schema version of this database file."""
    return len(migrations.applied(db))


def latest_schema_version() -> int:
    """Number of migrations this code knows about."""
    return len(migrations._migrations)
