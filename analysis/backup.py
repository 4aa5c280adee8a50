"""Backing up a study and restoring it: one file that holds the whole study.

The backup is the database file alone, copied with SQLite's online backup API, so it
is consistent even while the app is writing, and checked before it is kept. Saved topic
models (`topic_models/` beside the database) are not in it: they are derived data, a
restored study keeps the model folders still on disk, and a run whose model is missing
says so and is refitted with "Run topics".

A restore replaces the current study with a backup after checking that the file is a
study database this version can open (an older schema is brought up to date; a newer one
is refused), and keeps the current database beside it as
`<name>.before-restore-<timestamp>`, so a restore can itself be undone.
Only a project lead may back up or restore; both are written to the audit log.
"""

from __future__ import annotations

import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from analysis.access import Action, require
from analysis.errors import DatabaseWriteError, InputFileError, InvalidRequestError, StudyError
from analysis.storage import Store, latest_schema_version, schema_version


@dataclass(frozen=True)
class BackupReport:
    """What a backup wrote."""

    path: Path
    size_bytes: int
    schema_version: int
    seconds: float
    # False when the study itself could not take the audit row (a full disk or a
    # read-only database: just when a backup matters most). The backup is complete.
    audited: bool


@dataclass(frozen=True)
class RestoreReport:
    """What a restore replaced, and where the replaced study was kept."""

    backup: Path
    database: Path
    kept: Path | None
    schema_version: int
    upgraded_from: int


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _unused(path: Path) -> Path:
    """`path`, or `path-2`, `path-3`... if taken (two restores within one second)."""
    candidate, number = path, 2
    while candidate.exists():
        candidate, number = path.with_name(f"{path.name}-{number}"), number + 1
    return candidate


def backup_target(store: Store, out: str | os.PathLike[str]) -> Path:
    """Where a backup to `out` goes: `out` itself, or a dated file inside a folder.

    Raises:
        InvalidRequestError: `out` already exists as a file (a backup never overwrites).
    """
    target = Path(out)
    if target.is_dir() or str(out).endswith(("/", os.sep)):
        stem = store.path.stem if str(store.path) != ":memory:" else "study"
        target = target / f"{stem}-backup-{_stamp()}.db"
    if target.exists():
        raise InvalidRequestError(f"{target}: already exists; choose a new file name")
    return target


def backup_study(store: Store, out: str | os.PathLike[str], *, actor: str) -> BackupReport:
    """Copy the whole study to `out` (a new file, or a folder to put a dated file in).

    The copy is written to a temporary file beside the target, checked with SQLite's
    integrity check, flushed to disk and only then moved into place, so `out` is either
    a complete, sound backup or absent.

    Raises:
        PermissionDeniedError: only a project lead may back up the study.
        InvalidRequestError: the target file exists already.
        StudyError: the copy could not be written, or failed its integrity check.

    Example:
        >>> backup_study(store, "backups/", actor="lead").path.name
        'study-backup-20250101T120000Z.db'
    """
    require(store, actor, Action.BACKUP)
    target = backup_target(store, out)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.{secrets.token_hex(4)}.partial")
    started = time.perf_counter()
    try:
        problems = store.write_snapshot(staging)
        if problems:
            raise StudyError(
                f"{target}: the copy failed SQLite's integrity check ({'; '.join(problems[:3])}); "
                "the study database itself may be damaged"
            )
        with staging.open("rb") as written:
            os.fsync(written.fileno())
        os.replace(staging, target)
    except OSError as exc:
        raise StudyError(f"{target}: cannot write the backup ({exc.strerror})") from exc
    finally:
        staging.unlink(missing_ok=True)
    seconds = time.perf_counter() - started
    size = target.stat().st_size
    version = schema_version(store.db)
    try:
        with store.transaction():
            store.audit(
                actor=actor,
                action="back up study",
                table="projects",
                row_id=None,
                payload={"file": str(target), "bytes": size, "schema_version": version},
            )
        audited = True
    except DatabaseWriteError:
        audited = False
    return BackupReport(target, size, version, seconds, audited)


def check_backup(path: str | os.PathLike[str]) -> int:
    """The schema version of a backup this code can restore.

    Raises:
        InputFileError: not an SQLite database, not a study, made by a newer version of
            the platform, or damaged.
    """
    source = Path(path)
    info = Store.inspect_file(source)
    if not info.applied_migrations:
        raise InputFileError(source.name, "is not a study database of this platform")
    if info.unknown_migrations or info.schema_version > latest_schema_version():
        raise InputFileError(
            source.name,
            f"was made by a newer version of the platform (schema version "
            f"{info.schema_version}; this version opens up to {latest_schema_version()}); "
            "update the platform, then restore",
        )
    if info.integrity_problems:
        raise InputFileError(
            source.name,
            f"is damaged: SQLite's integrity check found {'; '.join(info.integrity_problems[:3])}",
        )
    return info.schema_version


def restore_study(store: Store, backup: str | os.PathLike[str], *, actor: str) -> RestoreReport:
    """Replace the open study with the backup `backup`, keeping the current one beside it.

    The backup is checked first and the current database copied to
    `<name>.before-restore-<timestamp>`; only then are its pages overwritten (online
    backup API, under the write lock: other connections see the old study or the
    restored one, never a mix). Sign-in sessions are those of the backup, so people
    signed in since may have to sign in again. Stop the app during a restore where you
    can: a page open across it shows the restored study on its next rerun, and a save
    it makes on an item the restore changed is refused as stale.

    Raises:
        PermissionDeniedError: only a project lead of the current study may restore.
        InputFileError: the backup is not a sound study database this version can open;
            nothing was changed.
        StudyError: the current study could not be kept aside or replaced (unchanged).
    """
    require(store, actor, Action.BACKUP)
    source = Path(backup)
    version = check_backup(source)
    kept: Path | None = None
    if str(store.path) != ":memory:":
        if source.resolve() == store.path.resolve():
            raise InvalidRequestError(f"{source}: is the study database itself")
        kept = _unused(store.path.with_name(f"{store.path.name}.before-restore-{_stamp()}"))
        problems = store.write_snapshot(kept)
        if problems:
            kept.unlink(missing_ok=True)
            raise StudyError(
                f"{store.path}: the current study fails SQLite's integrity check "
                f"({'; '.join(problems[:3])}); move it aside by hand, then restore"
            )
    store.replace_with(source)
    with store.transaction():
        store.audit(
            actor=actor,
            action="restore study",
            table="projects",
            row_id=None,
            payload={
                "backup": str(source),
                "kept": str(kept) if kept else None,
                "backup_schema_version": version,
            },
        )
    return RestoreReport(source, store.path, kept, schema_version(store.db), version)
