"""Opening a study database, transactions and the audit log."""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self
from urllib.parse import quote

from sqlite_utils import Database
from sqlite_utils.db import Table

from analysis.errors import (
    DatabaseFullError,
    DatabaseReadOnlyError,
    InputFileError,
    StudyError,
)
from analysis.models import (
    AuditEntry,
)
from analysis.storage.schema import BUSY_TIMEOUT_MS, migrations, now_utc, resolve_db_path

# Taking the write lock waits up to the busy timeout; if SQLite still reports the database
# busy, it is tried again after each of these pauses (seconds) before the user is told.
LOCK_RETRY_DELAYS_S = (0.1, 0.5)
BUSY_MESSAGE = "the study database is busy; try again"


def _is_busy(exc: sqlite3.Error) -> bool:
    """SQLITE_BUSY or SQLITE_LOCKED, with any extended code ("database is locked")."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return "locked" in str(exc) or "busy" in str(exc)


UNSAVED = "this change was not saved, and everything saved before it is kept"
OPEN_FAILED = "the study was not opened"


def _storage_fault(
    exc: sqlite3.Error, path: object, *, consequence: str = UNSAVED
) -> StudyError | None:
    """The user's error for a full disk or a database this account cannot write, else None.

    SQLite reports these as bare "database or disk is full" / "attempt to write a
    readonly database" / "unable to open database file"; a person needs to know which
    file, what became of their change, and what to do about it.
    """
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if code is not None else None
    text = str(exc)
    if primary == sqlite3.SQLITE_FULL or "database or disk is full" in text:
        return DatabaseFullError(
            f"{path}: the disk holding the study database is full; {consequence}. Free some "
            "disk space, or move the database to a disk with room, and try again."
        )
    if (
        primary in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN)
        or "readonly database" in text
        or "unable to open database file" in text
    ):
        return DatabaseReadOnlyError(
            f"{path}: the study database cannot be written ({text}); {consequence}. Check "
            "that this account may write to the database file and to its folder (SQLite "
            "keeps -wal and -shm files beside it), then try again."
        )
    return None


class _StudyConnection(sqlite3.Connection):
    """A connection whose statements report a full disk or a database this account cannot
    write as the user's error, whichever code path runs them: a transaction, sqlite-utils'
    own inserts, or a single statement outside any transaction (touching a session)."""

    # What became of the user's work, for the message; `open` says "not opened" meanwhile.
    fault_consequence = UNSAVED

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        try:
            return super().execute(sql, parameters)
        except sqlite3.OperationalError as exc:
            self._raise_fault(exc)
            raise

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        try:
            return super().executemany(sql, parameters)
        except sqlite3.OperationalError as exc:
            self._raise_fault(exc)
            raise

    def _raise_fault(self, exc: sqlite3.Error) -> None:
        try:
            rows = super().execute("PRAGMA database_list").fetchall()
            path: object = rows[0][2] or ":memory:"
        except sqlite3.Error:
            path = "the study database"
        fault = _storage_fault(exc, path, consequence=self.fault_consequence)
        if fault is not None:
            raise fault from exc


def _read_only_connection(path: Path) -> sqlite3.Connection:
    """A connection that cannot change the file: for inspecting backups before use."""
    return sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)


def _integrity_problems(conn: sqlite3.Connection) -> tuple[str, ...]:
    rows = conn.execute("PRAGMA integrity_check").fetchall()
    return tuple(str(row[0]) for row in rows if row[0] != "ok")


@dataclass(frozen=True)
class DatabaseFileInfo:
    """What a database file holds, read without changing it (see `inspect_file`)."""

    applied_migrations: tuple[str, ...]
    unknown_migrations: tuple[str, ...]
    integrity_problems: tuple[str, ...]

    @property
    def schema_version(self) -> int:
        return len(self.applied_migrations)


class StoreBase:
    """The connection and what every table group needs: transactions, audit, inserts."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- opening ---------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None) -> Self:
        """Open (creating if needed) the study database and bring its schema up to date.

        A `file:` URI is handed to SQLite as one, e.g. `file:/srv/study.db?mode=ro` opens
        the study read-only: it can be read, and every write is refused with
        `DatabaseReadOnlyError`.

        Raises:
            DatabaseFullError: no room to create the database or bring it up to date.
            DatabaseReadOnlyError: the file or its folder cannot be written.
            StudyError: the file cannot be opened otherwise (e.g. it is not SQLite).
        """
        target = resolve_db_path(path)
        is_uri = str(target).startswith("file:")
        conn: sqlite3.Connection | None = None
        try:
            if str(target) != ":memory:" and not is_uri:
                target.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                str(target),
                timeout=BUSY_TIMEOUT_MS / 1000,
                uri=is_uri,
                factory=_StudyConnection,
            )
            conn.fault_consequence = OPEN_FAILED
            db = Database(conn)
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            db.execute("PRAGMA foreign_keys = ON")
            # Deleted or rewritten rows (redacted text, old segments) are zeroed, not left
            # behind in free space.
            db.execute("PRAGMA secure_delete = ON")
            if str(target) != ":memory:" and db.journal_mode != "wal":
                db.enable_wal()
            store = cls(db)
            if migrations.pending(db):
                store._apply_migrations()
            conn.fault_consequence = UNSAVED
        except (sqlite3.DatabaseError, OSError) as exc:
            if conn is not None:
                conn.close()
            fault = (
                _storage_fault(exc, target, consequence=OPEN_FAILED)
                if isinstance(exc, sqlite3.Error)
                else None
            )
            if fault is not None:
                raise fault from exc
            raise StudyError(f"{target}: cannot open the study database ({exc})") from exc
        except StudyError:
            if conn is not None:
                conn.close()
            raise
        return store

    def _apply_migrations(self) -> None:
        """Apply pending migrations one at a time, each under the write lock.

        What is pending is read again once the lock is held, so two processes opening the
        same older (or new) file at once migrate it once: the second finds nothing to do.
        A migration registered with `transactional=False` runs outside any transaction, as
        sqlite-utils intends.
        """
        while True:
            with self.transaction():
                pending = migrations.pending(self.db)
                if not pending:
                    return
                if pending[0].transactional:
                    later = pending[1].name if len(pending) > 1 else None
                    migrations.apply(self.db, stop_before=later)
                    continue
            migrations.apply(self.db)
            return

    @classmethod
    def in_memory(cls) -> Self:
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

    def integrity_problems(self) -> tuple[str, ...]:
        """What SQLite's integrity check finds wrong with this database; empty when sound."""
        return _integrity_problems(self.db.conn)

    def write_snapshot(self, target: str | os.PathLike[str]) -> tuple[str, ...]:
        """Write the whole database to `target` as one self-contained file, and check it.

        SQLite's online backup API copies every page in one step under one read
        transaction, so the copy is the database as of one moment even while other
        connections write (they are not blocked in WAL mode). The copy is switched to a
        rollback journal so it needs no -wal file beside it.

        Returns:
            The copy's integrity problems (empty when sound).

        Raises:
            StudyError: the copy could not be written (no room, folder not writable).
        """
        try:
            destination = sqlite3.connect(str(target))
        except sqlite3.Error as exc:
            raise StudyError(f"{target}: cannot write the copy ({exc})") from exc
        try:
            self.db.conn.backup(destination)
            destination.execute("PRAGMA journal_mode = DELETE")
            return _integrity_problems(destination)
        except sqlite3.Error as exc:
            raise StudyError(
                f"{target}: cannot write the copy ({exc}); check that its disk has room and "
                "its folder can be written"
            ) from exc
        finally:
            destination.close()

    @staticmethod
    def inspect_file(path: str | os.PathLike[str]) -> DatabaseFileInfo:
        """Which migrations a database file has and whether it is sound, read without
        changing the file (it is opened read-only), so a backup is checked before use.

        Raises:
            InputFileError: the file is missing, unreadable or not an SQLite database.
        """
        source = Path(path)
        if not source.is_file():
            raise InputFileError(source.name, "does not exist or is not a file")
        try:
            conn = _read_only_connection(source)
        except sqlite3.Error as exc:
            raise InputFileError(source.name, f"cannot be opened ({exc})") from exc
        try:
            problems = _integrity_problems(conn)
            applied = tuple(m.name for m in migrations.applied(Database(conn)))
        except sqlite3.DatabaseError as exc:
            raise InputFileError(
                source.name, f"is not an SQLite database, or is damaged ({exc})"
            ) from exc
        finally:
            conn.close()
        known = {m.name for m in migrations._migrations}
        return DatabaseFileInfo(applied, tuple(n for n in applied if n not in known), problems)

    def replace_with(self, source: str | os.PathLike[str]) -> None:
        """Overwrite this database with the contents of the database file `source`, then
        bring its schema up to date.

        The online backup API writes the pages through this connection under the write
        lock, so other connections see the old study or the new one, never a mix. Check
        `source` with `inspect_file` first: this copies whatever it is given.

        Raises:
            StudyError: the database is busy, full or cannot be written; it is unchanged.
        """
        if self.db.conn.in_transaction:
            raise StudyError(f"{self.path.name}: cannot replace the study inside a transaction")
        reader = _read_only_connection(Path(source))
        try:
            reader.backup(self.db.conn)
        except sqlite3.Error as exc:
            if _is_busy(exc):
                raise StudyError(f"{self.path.name}: {BUSY_MESSAGE}") from exc
            self._raise_fault(exc)
            raise StudyError(f"{self.path.name}: cannot replace the study ({exc})") from exc
        finally:
            reader.close()
        if migrations.pending(self.db):
            self._apply_migrations()

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
    def transaction(self) -> Iterator[Self]:
        """One all-or-nothing unit of work; nests as a savepoint.

        The outermost call starts with `BEGIN IMMEDIATE`, taking the write lock before
        anything is read. A deferred `BEGIN` would read first and then try to upgrade to a
        writer, which in WAL mode fails at once with "database is locked", without waiting,
        whenever another connection committed in between. Only taking the lock is retried,
        never the body, which may have side effects. Inside an open transaction (ours, a
        caller's `db.atomic()` or one Python's sqlite3 opened implicitly) this is a
        savepoint, and that transaction's owner commits.

        A full disk or a database that cannot be written, met anywhere from taking the
        lock to the commit, rolls the whole unit back and is reported as
        `DatabaseFullError` / `DatabaseReadOnlyError` naming the file; what earlier
        transactions committed is untouched.

        Raises:
            StudyError: the write lock could not be had in time ("the study database is
                busy; try again"); nothing was written.
            DatabaseFullError: the disk is full; nothing of this unit was written.
            DatabaseReadOnlyError: the file or its folder cannot be written; likewise.

        Example:
            >>> with store.transaction():
            ...     store.audit(actor="lead", action="note", table="projects", row_id=1)
        """
        conn = self.db.conn
        if conn.in_transaction:
            savepoint = f"store_{secrets.token_hex(8)}"
            conn.execute(f"SAVEPOINT {savepoint}")
            try:
                yield self
            except BaseException:
                # An error such as a RAISE(ROLLBACK) trigger can end the whole
                # transaction, savepoints included; cleaning up anyway would mask it.
                if conn.in_transaction:
                    conn.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
                    conn.execute(f"RELEASE SAVEPOINT {savepoint}")
                raise
            conn.execute(f"RELEASE SAVEPOINT {savepoint}")
            return
        for delay in (*LOCK_RETRY_DELAYS_S, None):
            try:
                conn.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as exc:
                if not _is_busy(exc):
                    self._raise_fault(exc)
                    raise
                if delay is None:
                    raise StudyError(f"{self.path.name}: {BUSY_MESSAGE}") from exc
                time.sleep(delay)
        try:
            yield self
        except sqlite3.Error as exc:
            self._rollback()
            self._raise_fault(exc)
            raise
        except BaseException:
            self._rollback()
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            self._rollback()
            if _is_busy(exc):
                raise StudyError(f"{self.path.name}: {BUSY_MESSAGE}") from exc
            self._raise_fault(exc)
            raise
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        """Undo the open transaction, if SQLite has not already (it does on a full disk)."""
        if self.db.conn.in_transaction:
            self.db.conn.execute("ROLLBACK")

    def _raise_fault(self, exc: sqlite3.Error) -> None:
        """Raise the user's error for a full or read-only database; return otherwise."""
        fault = _storage_fault(exc, self.path)
        if fault is not None:
            raise fault from exc

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
                "payload_json": json.dumps(
                    dict(payload or {}), sort_keys=True, default=str, ensure_ascii=False
                ),
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
