"""Importing a REFI-QDA project (`.qdpx`, a bare `.qde`, or a `.qdc` codebook) made by
NVivo, ATLAS.ti, MAXQDA, QualCoder or this platform, into the current project.

All or nothing: the whole file is read, parsed and checked against the study (unknown
code references, selections outside their text, duplicate transcripts, withdrawn
participants, what the acting user may do) before anything is written, and the writes
are one transaction. What cannot be imported but does not make the file wrong is
reported instead: sources missing from the archive, picture, PDF, audio and video
sources, selections whose words the ingest dropped (a title line), sets and graphs.

What goes where:

- users become accounts (researchers, no password: they cannot sign in until a lead
  sets one); account names have no spaces, so `Sam Lee` becomes `Sam.Lee`;
- codes join the current codebook as its next version; a code with the key and name of
  an existing one is that code;
- each case becomes a participant, its variables their attributes (`consent_date`,
  `consent_quotes` and `consent_share` their consent record); a source not in any case
  belongs to a participant named after the file, with the source's variables;
- text sources become transcripts, scanned for personal data like any upload;
- codings become codings with source "imported", by the user who made them, at the time
  they were made;
- notes become memos on what they are attached to (the project when nothing);
- a transcript keeps who imported it and when, as the file says (the audit log records
  this import); an empty study takes the file's project name and description.

Codings on a transcript that needs PII review are imported all the same: they were made
in the other tool, on text that already left it. The review gate still holds (nothing
of it can be coded further, embedded or exported until cleared), and the report lists
such transcripts, because redacting in a coded transcript is refused
(`review._refuse_if_coded`): a reviewer either marks findings not personal, or removes
that transcript's imported codings before redacting. A transcript exported by this
platform carries its reviewer's "not personal" decisions; findings of the new scan at
exactly those spans are settled so again, in the importer's name (who must be allowed
to review), so a reviewed transcript does not need reviewing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from analysis.access import RESEARCHER, Action, allowed, require
from analysis.accounts import add_user
from analysis.codebook import (
    CodebookDraft,
    CodeSpec,
    code_to_spec,
    current_codebook,
    save_codebook_version,
    validate_codes,
)
from analysis.consent import ensure_not_withdrawn
from analysis.errors import DuplicateTranscriptError, InputFileError, PermissionDeniedError
from analysis.files import read_input_bytes
from analysis.models import PENDING, Segment
from analysis.participants import save_participants
from analysis.refi_notes import note_targets, write_notes
from analysis.refi_people import case_pseudonym, plan_accounts, plan_participants
from analysis.refi_read import read_refi_project
from analysis.refi_records import RefiProject
from analysis.refi_text import PlannedTranscript, plan_text_source
from analysis.review import NEEDS_REVIEW, record_not_personal, refresh_review_status
from analysis.storage import Store, now_utc
from analysis.transcripts import store_parsed_transcript, text_sha256


@dataclass(frozen=True)
class QdpxImportReport:
    """What an import brought in, and what it could not."""

    source_name: str
    users: int
    new_accounts: tuple[str, ...]
    codes: int
    new_codes: int
    codebook_version: int | None
    transcripts: int
    codings: int
    cases: int
    memos: int
    missing_sources: tuple[str, ...] = ()
    unsupported_sources: tuple[str, ...] = ()
    needs_review: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()


def import_qdpx_file(
    store: Store, project_id: int, path: str | Path, *, actor: str
) -> QdpxImportReport:
    """Import a `.qdpx`, `.qde` or `.qdc` file from disk (see `import_qdpx`)."""
    return import_qdpx(store, project_id, *read_input_bytes(path), actor=actor)


def import_qdpx(
    store: Store, project_id: int, source_name: str, data: bytes, *, actor: str
) -> QdpxImportReport:
    """Import a REFI-QDA project into the project, all or nothing.

    Raises:
        InputFileError: the file is broken (names the file and the problem).
        DuplicateTranscriptError: a source is already in the study.
        PermissionDeniedError: the import needs a lead (new accounts, new codes).
        InvalidRequestError: a participant in it withdrew from the study.

    Example:
        >>> import_qdpx(store, 1, "nvivo.qdpx", data, actor="lead").codings
        42
    """
    user = require(store, actor, Action.IMPORT)
    refi = read_refi_project(source_name, data)
    plan = _Plan(store, project_id, refi, actor)
    plan.check_permissions(user.role)
    with store.transaction():
        report = plan.write()
    return report


def refi_time(value: str | None) -> str | None:
    """An xsd:dateTime as our ISO-8601 UTC text; None when absent or unreadable."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat(timespec="seconds")
    except (ValueError, OverflowError):
        return None


class _Plan:
    """Everything an import will write, worked out and checked before writing."""

    def __init__(self, store: Store, project_id: int, refi: RefiProject, actor: str) -> None:
        self.store, self.project_id, self.refi, self.actor = store, project_id, refi, actor
        self.skipped: list[str] = list(refi.ignored)
        self.accounts, self.new_accounts = plan_accounts(store, refi)
        self.code_keys: dict[str, str] = {}
        # NVivo also writes each case as a code with the case's GUID, coding the case's
        # text with it: such codes are not codes here, and their codings say which
        # case (participant) a source belongs to.
        self.case_codes = {case.guid for case in refi.cases}
        self.draft, self.new_codes = self._plan_codes()
        self.transcripts = self._plan_sources()
        self.records, self.pseudonyms = plan_participants(
            refi, [item.source for item in self.transcripts], self.skipped
        )
        # Filled while writing: code key -> id in the new version, and REFI GUID -> the
        # record it became (notes attach to these).
        self.code_ids: dict[str, int] = {}
        self.targets: dict[str, tuple[str, int]] = {}
        self.selection_targets: dict[str, tuple[str, int]] = {}
        ensure_not_withdrawn(store, project_id, [r.pseudonym for r in self.records])
        ensure_not_withdrawn(store, project_id, list(self.pseudonyms.values()))

    # -- planning ------------------------------------------------------------------------

    def user_for(self, *guids: str) -> str:
        """The account of the first known REFI user among `guids`, else the importer."""
        return next((self.accounts[g] for g in guids if g in self.accounts), self.actor)

    def _plan_codes(self) -> tuple[CodebookDraft | None, list[CodeSpec]]:
        version, codes = current_codebook(self.store, self.project_id)
        existing = {c.key: code_to_spec(c) for c in codes}
        used = set(existing)
        final: dict[str, str] = {}
        new: list[CodeSpec] = []
        dropped = {spec.key for guid, spec in self.refi.codes if guid in self.case_codes}
        for guid, spec in self.refi.codes:
            if guid in self.case_codes:
                continue
            if spec.parent in dropped:
                spec = replace(spec, parent=None)
            same = existing.get(spec.key)
            if same is not None and same.name == spec.name:
                final[spec.key] = spec.key
            else:
                key, number = spec.key, 2
                while key in used:
                    key, number = f"{spec.key}-{number}", number + 1
                used.add(key)
                final[spec.key] = key
                new.append(replace(spec, key=key))
            self.code_keys[guid] = final[spec.key]
        if not new:
            return None, []
        new = [replace(s, parent=final.get(s.parent, s.parent) if s.parent else None) for s in new]
        name = version.name if version else self.refi.name or Path(self.refi.source_name).stem
        draft = CodebookDraft(name, "", (*existing.values(), *new))
        validate_codes(self.refi.source_name, draft.codes)
        return draft, new

    def _plan_sources(self) -> list[PlannedTranscript]:
        planned: list[PlannedTranscript] = []
        seen: dict[str, str] = {}
        name = self.refi.source_name
        for source in self.refi.sources:
            for selection in source.selections:
                for coding in selection.codings:
                    if coding.code not in self.code_keys and coding.code not in self.case_codes:
                        raise InputFileError(
                            name,
                            f"a coding of {source.name} ({selection.start}-{selection.end}) "
                            f"refers to code {coding.code}, which is not in the codebook",
                        )
            item = plan_text_source(name, source)
            if item is None:
                self.skipped.append(f"{source.name} (its text holds no words)")
                continue
            sha = text_sha256(item.parsed.text)
            found = self.store.find_transcript_by_hash(
                self.project_id, sha256=sha, source_sha256=item.parsed.source_sha256
            )
            if found:
                raise DuplicateTranscriptError(
                    name,
                    f"'{source.name}' has the same content as transcript "
                    f"'{found['source_name']}' already in the study",
                )
            if sha in seen:
                raise DuplicateTranscriptError(
                    name, f"'{source.name}' has the same content as '{seen[sha]}'"
                )
            seen[sha] = source.name
            self.skipped.extend(item.unplaced)
            planned.append(item)
        return planned

    def check_permissions(self, role: str) -> None:
        """Refuse before writing anything the role may not do."""
        if self.new_accounts:
            require(self.store, self.actor, Action.MANAGE_USERS)
        if self.new_codes and not allowed(role, Action.EDIT_CODEBOOK):
            raise PermissionDeniedError(
                f"{self.refi.source_name} brings {len(self.new_codes)} new codes; only a "
                "project lead may add them to the codebook"
            )
        if self.records:
            require(self.store, self.actor, Action.MANAGE_PARTICIPANTS)
        if any(p.placed for p in self.transcripts):
            require(self.store, self.actor, Action.CODE)
        if any(p.not_personal for p in self.transcripts):
            require(self.store, self.actor, Action.RESOLVE_PII)

    # -- writing (inside the caller's transaction) -----------------------------------------

    def write(self) -> QdpxImportReport:
        store, refi = self.store, self.refi
        counts = store.count_rows(self.project_id)
        if refi.name and counts["transcripts"] == 0 and counts["codebook_version"] == 0:
            project = next(p for p in store.list_projects() if p.id == self.project_id)
            description = refi.description or project.description
            store.update_project(self.project_id, name=refi.name, description=description)
            store.audit(
                actor=self.actor,
                action="name project from import",
                table="projects",
                row_id=self.project_id,
                payload={"name": refi.name, "file": refi.source_name},
            )
        for name in self.new_accounts:
            add_user(store, name, RESEARCHER, None, actor=self.actor)
        version = None
        if self.draft is not None:
            note = f"imported {refi.source_name}"
            version = save_codebook_version(
                store, self.project_id, self.draft, actor=self.actor, note=note
            )
        self.code_ids = {c.key: c.id for c in current_codebook(store, self.project_id)[1]}
        if self.records:
            save_participants(store, self.project_id, self.records, actor=self.actor)
        review: list[str] = []
        codings = sum(self._write_transcript(item, review) for item in self.transcripts)
        memos = self._write_memos()
        report = QdpxImportReport(
            refi.source_name,
            len(self.accounts),
            tuple(self.new_accounts),
            len(self.code_keys),
            len(self.new_codes),
            version.version if version else None,
            len(self.transcripts),
            codings,
            len(self.records),
            memos,
            refi.missing,
            refi.unsupported,
            tuple(review),
            tuple(self.skipped),
        )
        store.audit(
            actor=self.actor,
            action="import qdpx",
            table="projects",
            row_id=self.project_id,
            payload={
                "file": refi.source_name,
                "transcripts": report.transcripts,
                "codings": report.codings,
                "codes": report.new_codes,
                "accounts": list(report.new_accounts),
                "missing_sources": len(report.missing_sources),
                "unsupported_sources": len(report.unsupported_sources),
            },
        )
        return report

    def _write_transcript(self, item: PlannedTranscript, review: list[str]) -> int:
        store, source = self.store, item.source
        pseudonym = self.pseudonyms[source.guid]
        result = store_parsed_transcript(
            store, self.project_id, item.parsed, item.roles, pseudonym, self.actor
        )
        transcript_id = result.transcript_id
        if result.pii_findings and self._settle_findings(transcript_id, item.not_personal):
            review.append(source.name)
        # Who brought the transcript in, and when, as the file says (the audit log
        # records this import).
        store.update_transcript(
            transcript_id,
            {
                "imported_by": self.user_for(source.user, self.refi.creating_user),
                "imported_at": refi_time(source.created) or now_utc(),
            },
        )
        self.targets[source.guid] = ("transcripts", transcript_id)
        segments = store.list_segments(transcript_id)
        written: dict[tuple[str, str, int, int], int] = {}
        for placed in item.placed:
            selection = placed.selection
            first: int | None = None
            for coding in selection.codings:
                if coding.code in self.case_codes:
                    continue
                key = self.code_keys[coding.code]
                coder = self.user_for(
                    coding.user, selection.user, source.user, self.refi.creating_user
                )
                unique = (key, coder, placed.start, placed.end)
                if unique not in written:
                    created = refi_time(coding.created) or refi_time(selection.created)
                    written[unique] = self._write_coding(
                        transcript_id, segments, key, coder, placed.start, placed.end, created
                    )
                self.targets[coding.guid] = ("codings", written[unique])
                first = first if first is not None else written[unique]
            self.selection_targets[selection.guid] = self._selection_target(
                transcript_id, segments, placed.start, placed.end, first
            )
        return len(written)

    def _settle_findings(
        self, transcript_id: int, decided: tuple[tuple[str, int, int], ...]
    ) -> bool:
        """Findings of the new scan that a reviewer of this platform already judged not
        personal (carried in the file, on the same text) are settled so again, by the
        importer; returns whether the transcript still needs review."""
        pending = self.store.list_findings(transcript_id=transcript_id, status=PENDING)
        known = set(decided)
        at = now_utc()
        for finding in pending:
            if (finding.label, finding.start_char, finding.end_char) in known:
                record_not_personal(
                    self.store,
                    finding,
                    actor=self.actor,
                    at=at,
                    details={"from_file": self.refi.source_name},
                )
        return refresh_review_status(self.store, transcript_id) == NEEDS_REVIEW

    def _selection_target(
        self, transcript_id: int, segments: list[Segment], start: int, end: int, first: int | None
    ) -> tuple[str, int]:
        """A note on a selection goes on the segment it is, else its first coding, else
        its transcript."""
        exact = next((s for s in segments if (s.start_char, s.end_char) == (start, end)), None)
        if exact is not None:
            return ("segments", exact.id)
        return ("codings", first) if first is not None else ("transcripts", transcript_id)

    def _write_coding(
        self,
        transcript_id: int,
        segments: list[Segment],
        key: str,
        coder: str,
        start: int,
        end: int,
        created: str | None,
    ) -> int:
        segment = next((s for s in segments if s.start_char <= start and end <= s.end_char), None)
        coding_id = self.store.insert_coding(
            {
                "transcript_id": transcript_id,
                "segment_id": segment.id if segment else None,
                "code_id": self.code_ids[key],
                "coder": coder,
                "start_char": start,
                "end_char": end,
                "source": "imported",
                "created_at": created or now_utc(),
            }
        )
        self.store.audit(
            actor=self.actor,
            action="import coding",
            table="codings",
            row_id=coding_id,
            payload={
                "transcript_id": transcript_id,
                "code": key,
                "code_id": self.code_ids[key],
                "coder": coder,
                "start_char": start,
                "end_char": end,
                "source": "imported",
            },
        )
        return coding_id

    def _write_memos(self) -> int:
        """Notes as memos on the records they were attached to."""
        things = {**self.targets}
        people = {p.pseudonym: p.id for p in self.store.list_participants(self.project_id)}
        for case in self.refi.cases:
            pseudonym = case_pseudonym(case)
            if pseudonym in people:
                things[case.guid] = ("participants", people[pseudonym])
        for guid, key in self.code_keys.items():
            if key in self.code_ids:
                things[guid] = ("codes", self.code_ids[key])
        targets = note_targets(self.refi, self.project_id, things, self.selection_targets)
        return write_notes(
            self.store,
            self.project_id,
            self.refi,
            targets,
            self.selection_targets,
            user_for=self.user_for,
            refi_time=refi_time,
            actor=self.actor,
        )
