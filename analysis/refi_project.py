"""Whole-project REFI-QDA export (`.qdpx`, QDA-XML project 1.0), for NVivo, ATLAS.ti,
MAXQDA, QualCoder and for moving a study between databases of this platform.

A `.qdpx` is a zip holding `project.qde` (the XML) and each transcript's text as
`sources/<guid>.txt`. It carries the users who did the work, the codebook (hierarchy
and descriptions, as in `.qdc`), every participant as a case with their attributes and
consent as variables, the transcripts, their codings as plain-text selections (offsets
into the stored text, coder and time), and memos as notes. What REFI has no place for
travels in descriptions other tools show as text: a transcript's speaker roles, file
format, source hash and the spans its reviewer judged not personal. GUIDs are derived from the project slug and what each thing is,
so exporting twice gives the same file, and a study exported, imported into an empty
database and exported again gives the same `project.qde`.

Whole transcripts leave the platform here, so only a project lead may export, and
transcripts still waiting for PII review are left out (listed in the result), as are
what REFI cannot hold: themes, findings, recommendations, reliability rounds, topic
runs, redaction records and codings replaced by a consensus decision.
"""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

from analysis.access import Action, require
from analysis.codebook import code_to_spec, current_codebook
from analysis.consent import is_calendar_day
from analysis.models import NOT_PERSONAL, Coding, Memo, Participant, Transcript
from analysis.refi_codebook import ORIGIN, append_codes, code_guid
from analysis.refi_notes import coding_key, place_memos, selection_key
from analysis.review import is_cleared
from analysis.spreadsheets import write_bytes
from analysis.storage import Store

NAMESPACE = "urn:QDA-XML:project:1.0"
# NVivo for Mac spells the namespace with a colon, as it does for codebooks.
NAMESPACES = (NAMESPACE, "urn:QDA-XML:project:1:0")
PROJECT_FILE = "project.qde"
SOURCES_FOLDER = "sources"
# Lines of a transcript's <Description> that carry what REFI has no element for.
FORMAT_LABEL = "Format: "
SOURCE_HASH_LABEL = "Source SHA-256: "
SPEAKER_LABEL = "Speaker "
NOT_PERSONAL_LABEL = "Not personal: "
CONSENT_DATE, CONSENT_QUOTES, CONSENT_SHARE = "consent_date", "consent_quotes", "consent_share"
_QUOTE_NAME_CHARS = 80
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class QdpxExport:
    """What an export wrote, and what it left out and why."""

    users: int
    codes: int
    cases: int
    transcripts: int
    codings: int
    notes: int
    left_out: tuple[str, ...] = ()


def refi_guid(project_slug: str, kind: str, key: str) -> str:
    """A stable GUID for one thing of a project (a user, case, source, coding...)."""
    return str(
        uuid.uuid5(uuid.NAMESPACE_URL, f"peer-research-platform/{project_slug}/{kind}/{key}")
    )


def xsd_datetime(value: str | None) -> str | None:
    """Our ISO-8601 UTC text as an xsd:dateTime in UTC (`...Z`), or None if unreadable."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (ValueError, OverflowError):
        return None


def xml_text(text: str) -> str:
    """Text without the characters XML 1.0 cannot hold (control characters)."""
    return _NOT_XML.sub("", text)


def export_qdpx(store: Store, project_id: int, path: str | Path, *, actor: str) -> QdpxExport:
    """Write the whole project to a `.qdpx` file (moved into place only when complete).

    Raises:
        PermissionDeniedError: only a project lead exports project data.

    Example:
        >>> export_qdpx(store, 1, "study.qdpx", actor="lead").transcripts
        6
    """
    data, summary = build_qdpx(store, project_id, actor=actor)
    write_bytes(path, data)
    return summary


def build_qdpx(store: Store, project_id: int, *, actor: str) -> tuple[bytes, QdpxExport]:
    """The `.qdpx` archive as bytes (same study, same bytes) and what it holds."""
    require(store, actor, Action.EXPORT_PROJECT)
    writer = _ProjectWriter(store, project_id)
    qde = writer.document()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        _add_file(archive, PROJECT_FILE, qde)
        for guid, text in writer.files:
            _add_file(archive, f"{SOURCES_FOLDER}/{guid}.txt", text.encode("utf-8"))
    return buffer.getvalue(), writer.summary()


def _add_file(archive: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


class _ProjectWriter:
    """Reads the study once and writes `project.qde`; keeps the source texts to zip."""

    def __init__(self, store: Store, project_id: int) -> None:
        self.store = store
        self.project = next(p for p in store.list_projects() if p.id == project_id)
        self.slug = self.project.slug
        self.files: list[tuple[str, str]] = []
        self.left_out: list[str] = []
        _, codes = current_codebook(store, project_id)
        self.codes = [code_to_spec(c) for c in codes]
        self.code_keys = {c.key for c in self.codes}
        everything = store.list_transcripts(project_id)
        self.transcripts = [t for t in everything if is_cleared(t)]
        for transcript in everything:
            if not is_cleared(transcript):
                self.left_out.append(f"{transcript.source_name}: waiting for PII review")
        self.participants = store.list_participants(project_id)
        self.codings = self._current_codings()
        notes = place_memos(
            store,
            store.list_memos(project_id),
            transcripts={t.id: t for t in self.transcripts},
            people={p.id: p for p in self.participants},
            codings={c.id: c for c in self.codings},
            code_keys=self.code_keys,
            guid=self.guid,
        )
        if notes.dropped:
            self.left_out.append(f"{notes.dropped} memos on records that are not exported")
        self.notes, self.note_refs, self.links = notes.notes, notes.refs, notes.links
        # Spans of segments that carry memos: they become selections of their own.
        self.noted_segments = notes.noted_segments
        self.counts: dict[str, int] = {}

    def _current_codings(self) -> list[Coding]:
        kept_ids = {t.id for t in self.transcripts}
        codings = []
        dropped = 0
        for coding in self.store.list_codings(project_id=self.project.id):
            if coding.transcript_id not in kept_ids:
                continue
            if coding.code_key not in self.code_keys:
                dropped += 1
                continue
            codings.append(coding)
        if dropped:
            self.left_out.append(f"{dropped} codings of codes no longer in the codebook")
        return codings

    def guid(self, kind: str, key: str) -> str:
        return refi_guid(self.slug, kind, key)

    # -- the document --------------------------------------------------------------------

    def document(self) -> bytes:
        root = etree.Element(f"{{{NAMESPACE}}}Project", nsmap={None: NAMESPACE})
        root.set("name", xml_text(self.project.name) or self.slug)
        root.set("origin", ORIGIN)
        selections = self._selections()
        users = self._users()
        if users:
            container = self._sub(root, "Users")
            for name in users:
                user = self._sub(container, "User")
                user.set("guid", self.guid("user", name))
                user.set("name", name)
        if self.codes:
            codes = self._sub(self._sub(root, "CodeBook"), "Codes")
            refs = {key: self.note_refs.get(("code", key), []) for key in self.code_keys}
            append_codes(codes, self.codes, project_slug=self.slug, note_refs=refs)
        variables = self._variables()
        if variables:
            container = self._sub(root, "Variables")
            for name, kind in variables.items():
                variable = self._sub(container, "Variable")
                variable.set("guid", self.guid("variable", name))
                variable.set("name", name)
                variable.set("typeOfVariable", kind)
        if self.participants:
            cases = self._sub(root, "Cases")
            for person in self.participants:
                self._case(cases, person, variables)
        if self.transcripts:
            sources = self._sub(root, "Sources")
            for transcript in self.transcripts:
                self._source(sources, transcript, selections.get(transcript.id, {}))
        if self.notes:
            notes = self._sub(root, "Notes")
            for guid, memo in self.notes:
                self._note(notes, guid, memo)
        if self.links:
            links = self._sub(root, "Links")
            for guid, origin, target in self.links:
                link = self._sub(links, "Link")
                link.set("guid", guid)
                link.set("name", "memo")
                link.set("direction", "OneWay")
                link.set("originGUID", origin)
                link.set("targetGUID", target)
        if self.project.description.strip():
            self._sub(root, "Description").text = xml_text(self.project.description)
        for guid in self.note_refs.get(("project", ""), []):
            self._sub(root, "NoteRef").set("targetGUID", guid)
        self.counts = {
            "users": len(users),
            "codes": len(self.codes),
            "cases": len(self.participants),
            "transcripts": len(self.transcripts),
            "codings": sum(len(by_code) for s in selections.values() for by_code in s.values()),
            "notes": len(self.notes),
        }
        return bytes(
            etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
        )

    def summary(self) -> QdpxExport:
        return QdpxExport(**self.counts, left_out=tuple(self.left_out))

    @staticmethod
    def _sub(parent: etree._Element, name: str) -> etree._Element:
        return etree.SubElement(parent, f"{{{NAMESPACE}}}{name}")

    def _users(self) -> list[str]:
        """The accounts whose work the file holds: coders, note authors, importers."""
        names = {c.coder for c in self.codings} | {m.author for _, m in self.notes}
        names |= {t.imported_by for t in self.transcripts}
        return sorted(n for n in names if n)

    # -- cases ---------------------------------------------------------------------------

    def _variables(self) -> dict[str, str]:
        """Variable name -> REFI type: attributes are text; consent is a date and flags."""
        names = sorted({n for p in self.participants for n in p.attributes})
        kinds = dict.fromkeys(names, "Text")
        consent = [p.consent for p in self.participants]
        if any(c.date for c in consent):
            kinds[CONSENT_DATE] = "Date"
        if any(c.quotes is not None for c in consent):
            kinds[CONSENT_QUOTES] = "Boolean"
        if any(c.share is not None for c in consent):
            kinds[CONSENT_SHARE] = "Boolean"
        return kinds

    def _case(self, cases: etree._Element, person: Participant, kinds: Mapping[str, str]) -> None:
        case = self._sub(cases, "Case")
        case.set("guid", self.guid("case", person.pseudonym))
        case.set("name", person.pseudonym)
        values: dict[str, str | None] = dict(person.attributes)
        date = person.consent.date
        values[CONSENT_DATE] = date if date and is_calendar_day(date) else None
        for name, flag in (
            (CONSENT_QUOTES, person.consent.quotes),
            (CONSENT_SHARE, person.consent.share),
        ):
            values[name] = None if flag is None else str(flag).lower()
        for name, kind in kinds.items():
            value = values.get(name)
            if value is None:
                continue
            element = self._sub(case, "VariableValue")
            self._sub(element, "VariableRef").set("targetGUID", self.guid("variable", name))
            self._sub(element, f"{kind}Value" if kind != "Text" else "TextValue").text = xml_text(
                value
            )
        for transcript in self.transcripts:
            if transcript.participant_id == person.id:
                ref = self._sub(case, "SourceRef")
                ref.set("targetGUID", self.guid("source", transcript.sha256))

    # -- sources, selections, codings ----------------------------------------------------

    def _selections(self) -> dict[int, dict[tuple[int, int], dict[tuple[str, str], list[Coding]]]]:
        """transcript -> span -> (code, coder) -> codings (one element per pair: the same
        coding recorded twice, e.g. by hand and by consensus, is one REFI coding)."""
        found: dict[int, dict[tuple[int, int], dict[tuple[str, str], list[Coding]]]] = {}
        for coding in self.codings:
            span = (coding.start_char, coding.end_char)
            by_span = found.setdefault(coding.transcript_id, {})
            by_span.setdefault(span, {}).setdefault((coding.code_key, coding.coder), []).append(
                coding
            )
        return found

    def _source(
        self,
        sources: etree._Element,
        transcript: Transcript,
        spans: dict[tuple[int, int], dict[tuple[str, str], list[Coding]]],
    ) -> None:
        guid = self.guid("source", transcript.sha256)
        source = self._sub(sources, "TextSource")
        source.set("guid", guid)
        source.set("name", xml_text(transcript.source_name))
        source.set("plainTextPath", f"internal://{guid}.txt")
        if transcript.imported_by:
            source.set("creatingUser", self.guid("user", transcript.imported_by))
        created = xsd_datetime(transcript.imported_at)
        if created:
            source.set("creationDateTime", created)
        self._sub(source, "Description").text = self._source_description(transcript)
        for start, end in sorted(set(spans) | self.noted_segments[transcript.id]):
            self._selection(source, transcript, start, end, spans.get((start, end), {}))
        for note in self.note_refs.get(("source", transcript.sha256), []):
            self._sub(source, "NoteRef").set("targetGUID", note)
        self.files.append((guid, transcript.text))

    def _source_description(self, transcript: Transcript) -> str:
        lines = [
            f"{FORMAT_LABEL}{transcript.source_format}",
            f"{SOURCE_HASH_LABEL}{self.store.transcript_source_sha256(transcript.id)}",
        ]
        lines += [
            f"{SPEAKER_LABEL}{s.label}: {s.role}" for s in self.store.list_speakers(transcript.id)
        ]
        # A reviewer's "not personal" decisions, so the review is not redone after import.
        lines += [
            f"{NOT_PERSONAL_LABEL}{f.label} {f.start_char}-{f.end_char}"
            for f in self.store.list_findings(transcript_id=transcript.id, status=NOT_PERSONAL)
        ]
        return xml_text("\n".join(lines))

    def _selection(
        self,
        source: etree._Element,
        transcript: Transcript,
        start: int,
        end: int,
        by_code: dict[tuple[str, str], list[Coding]],
    ) -> None:
        selection = self._sub(source, "PlainTextSelection")
        key = selection_key(transcript.sha256, start, end)
        selection.set("guid", self.guid("selection", key))
        quote = " ".join(transcript.text[start:end].split())
        selection.set("name", xml_text(quote[:_QUOTE_NAME_CHARS]))
        selection.set("startPosition", str(start))
        selection.set("endPosition", str(end))
        ordered = sorted(
            by_code.items(), key=lambda item: (min(c.created_at for c in item[1]), item[0])
        )
        if ordered:
            first = min(ordered[0][1], key=lambda c: c.created_at)
            selection.set("creatingUser", self.guid("user", first.coder))
            created = xsd_datetime(first.created_at)
            if created:
                selection.set("creationDateTime", created)
        for (code, coder), codings in ordered:
            earliest = min(codings, key=lambda c: c.created_at)
            this_coding = coding_key(transcript.sha256, start, end, code, coder)
            element = self._sub(selection, "Coding")
            element.set("guid", self.guid("coding", this_coding))
            element.set("creatingUser", self.guid("user", coder))
            created = xsd_datetime(earliest.created_at)
            if created:
                element.set("creationDateTime", created)
            self._sub(element, "CodeRef").set("targetGUID", code_guid(self.slug, code))
            for note in self.note_refs.get(("coding", this_coding), []):
                self._sub(element, "NoteRef").set("targetGUID", note)
        for note in self.note_refs.get(("selection", key), []):
            self._sub(selection, "NoteRef").set("targetGUID", note)

    # -- memos as notes ------------------------------------------------------------------

    def _note(self, notes: etree._Element, guid: str, memo: Memo) -> None:
        note = self._sub(notes, "Note")
        note.set("guid", guid)
        first_line = (memo.body.strip().splitlines() or [""])[0]
        note.set("name", xml_text(first_line[:_QUOTE_NAME_CHARS]))
        note.set("creatingUser", self.guid("user", memo.author))
        created, modified = xsd_datetime(memo.created_at), xsd_datetime(memo.updated_at)
        if created:
            note.set("creationDateTime", created)
        if modified and modified != created:
            note.set("modifyingUser", self.guid("user", memo.author))
            note.set("modifiedDateTime", modified)
        self._sub(note, "PlainTextContent").text = xml_text(memo.body)


__all__ = [
    "NAMESPACE",
    "NAMESPACES",
    "QdpxExport",
    "build_qdpx",
    "export_qdpx",
    "refi_guid",
    "xsd_datetime",
]
