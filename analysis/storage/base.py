"""Opening a study database, transactions and the audit log."""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from sqlite_utils import Database
from sqlite_utils.db import Table

from analysis.errors import StudyError
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


class StoreBase:
    """The connection and what every table group needs: transactions, audit, inserts."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- opening ---------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | os.PathLike[str] | None = None) -> Self:
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
            store = cls(db)
            if migrations.pending(db):
                store._apply_migrations()
        except (sqlite3.DatabaseError, OSError) as exc:
            raise StudyError(f"{target}: cannot open the study database ({exc})") from exc
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

        Raises:
            StudyError: the write lock could not be had in time ("the study database is
                busy; try again"); nothing was written.

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
                    raise
                if delay is None:
                    raise StudyError(f"{self.path.name}: {BUSY_MESSAGE}") from exc
                time.sleep(delay)
        try:
            yield self
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if _is_busy(exc):
                raise StudyError(f"{self.path.name}: {BUSY_MESSAGE}") from exc
            raise
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

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
