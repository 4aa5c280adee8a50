"""Reading a REFI-QDA project (`.qdpx` archive, bare `.qde`, or `.qdc` codebook) made by
any QDA tool into plain records, without touching the database.

Real files differ from the specification, so the reader is lenient where it can be and
strict where a guess would put codes on the wrong words:

- the project file may be `project.qde` or `Project.qde` (ATLAS.ti), anywhere in the zip;
  namespaces `urn:QDA-XML:project:1.0` and NVivo for Mac's `...:1:0` are the same;
- a source file missing from the archive is reported, and the rest is read;
- picture, PDF, audio and video sources are reported as not supported;
- positions count code points of the plain text as stored in the file, CRLF counting
  two. Some tools count after turning CRLF into LF; when the selections' names (which
  ATLAS.ti and others fill with the quoted words) fit that reading better, it is used.

Errors (malformed XML, not a zip, no project file, a selection outside its text) name
the file and the problem.
"""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import PurePosixPath
from urllib.parse import unquote

from lxml import etree

from analysis.codebook import CodeSpec
from analysis.errors import InputFileError
from analysis.ingest import MAX_FILE_BYTES
from analysis.ingest.decode import decode_raw
from analysis.refi_codebook import NAMESPACES as CODEBOOK_NAMESPACES
from analysis.refi_codebook import normalise_guid, read_codes
from analysis.refi_project import NAMESPACES as PROJECT_NAMESPACES
from analysis.refi_records import (
    RefiCase,
    RefiCoding,
    RefiNote,
    RefiProject,
    RefiSelection,
    RefiSource,
)

MAX_PROJECT_FILE_BYTES = 200 * 1024 * 1024
# What `zipfile` raises on a damaged archive is a grab-bag: bad headers, failed
# decompression, unknown compression methods, undecodable member names.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    ValueError,
    IndexError,
    KeyError,
    NotImplementedError,
    RuntimeError,
    struct.error,
    zlib.error,
)
_UNSUPPORTED = {
    "PictureSource": "picture",
    "PDFSource": "PDF",
    "AudioSource": "audio",
    "VideoSource": "video",
}


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _kids(element: etree._Element, name: str) -> Iterator[etree._Element]:
    return (child for child in element if _local(child) == name)


def _kid(element: etree._Element, name: str) -> etree._Element | None:
    return next(_kids(element, name), None)


def _kid_text(element: etree._Element, name: str) -> str:
    found = _kid(element, name)
    return (found.text or "") if found is not None else ""


def _refs(element: etree._Element, name: str = "NoteRef") -> tuple[str, ...]:
    return tuple(normalise_guid(r.get("targetGUID")) for r in _kids(element, name))


def parse_xml(source_name: str, data: bytes, *, part: str = "") -> etree._Element:
    """Parse XML safely (no entities, no network).

    Raises:
        InputFileError: not well-formed XML.
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        where = f"{part}: " if part else ""
        raise InputFileError(source_name, f"{where}is not well-formed XML ({exc})") from exc


class _Archive:
    """The files of a `.qdpx`, looked up case-insensitively; nothing is extracted."""

    def __init__(self, source_name: str, archive: zipfile.ZipFile | None) -> None:
        self.source_name = source_name
        self.archive = archive
        self.members = {
            info.filename.lower(): info
            for info in (archive.infolist() if archive else [])
            if not info.is_dir()
        }

    def find(self, path: str) -> zipfile.ZipInfo | None:
        """The member an `internal://` path names (in `sources/`, the root, or by name)."""
        if not path.lower().startswith("internal://"):
            return None
        name = unquote(path[len("internal://") :]).lstrip("/").lower()
        for candidate in (f"sources/{name}", name):
            if candidate in self.members:
                return self.members[candidate]
        base = PurePosixPath(name).name
        matches = [i for key, i in self.members.items() if PurePosixPath(key).name == base]
        return matches[0] if len(matches) == 1 else None

    def read(self, info: zipfile.ZipInfo, limit: int = MAX_FILE_BYTES) -> bytes:
        if info.file_size > limit:
            raise InputFileError(
                self.source_name,
                f"{info.filename} is {info.file_size / 2**20:.1f} MB, over the "
                f"{limit // 2**20} MB limit",
            )
        assert self.archive is not None
        try:
            return self.archive.read(info)
        except _ZIP_ERRORS as exc:
            raise InputFileError(
                self.source_name, f"{info.filename} cannot be read ({exc})"
            ) from exc


def read_refi_project(source_name: str, data: bytes) -> RefiProject:
    """Read a `.qdpx` (zip), a bare `.qde` project or a `.qdc` codebook.

    Raises:
        InputFileError: naming the file and what is wrong with it.

    Example:
        >>> read_refi_project("study.qdpx", data).sources[0].name
        'P01.txt'
    """
    if not data:
        raise InputFileError(source_name, "is empty")
    try:
        is_zip = zipfile.is_zipfile(io.BytesIO(data))
        archive = _Archive(source_name, zipfile.ZipFile(io.BytesIO(data)) if is_zip else None)
    except _ZIP_ERRORS as exc:
        raise InputFileError(source_name, f"is not a readable zip archive ({exc})") from exc
    if is_zip:
        qde = [i for key, i in archive.members.items() if key.endswith(".qde")]
        if not qde:
            raise InputFileError(
                source_name, "holds no project.qde (a .qdpx is a zip with project.qde inside)"
            )
        # The one at the root if several: `project.qde` or ATLAS.ti's `Project.qde`.
        qde.sort(key=lambda i: (i.filename.count("/"), i.filename.lower() != "project.qde"))
        part = qde[0].filename
        root = parse_xml(source_name, archive.read(qde[0], MAX_PROJECT_FILE_BYTES), part=part)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")) or data.lstrip(
        b"\xef\xbb\xbf \t\r\n"
    ).startswith(b"<"):
        part = ""
        root = parse_xml(source_name, data)
    else:
        raise InputFileError(
            source_name, "is not a REFI-QDA file (neither a .qdpx zip archive nor QDA-XML)"
        )
    return _Reader(archive, part).project(root)


class _Reader:
    def __init__(self, archive: _Archive, part: str) -> None:
        self.archive = archive
        self.name = archive.source_name
        self.where = f"{part}: " if part else ""
        self.missing: list[str] = []
        self.unsupported: list[str] = []
        self.ignored: list[str] = []
        self.variables: dict[str, str] = {}

    def error(self, problem: str) -> InputFileError:
        return InputFileError(self.name, f"{self.where}{problem}")

    def project(self, root: etree._Element) -> RefiProject:
        kind, namespace = _local(root), etree.QName(root).namespace
        if kind == "CodeBook" and namespace in (*CODEBOOK_NAMESPACES, None):
            codes = self.codes(root)
            if not codes:
                raise self.error("holds no codes")
            return RefiProject(self.name, "", "", "", (), codes, {}, (), (), (), (), ())
        if kind != "Project" or namespace not in (*PROJECT_NAMESPACES, None):
            raise self.error(
                f"is not a REFI-QDA project (root <{kind}> in namespace '{namespace}', "
                f"expected Project in {PROJECT_NAMESPACES[0]})"
            )
        users = tuple(
            (normalise_guid(u.get("guid")), (u.get("name") or u.get("id") or "").strip())
            for users in _kids(root, "Users")
            for u in _kids(users, "User")
        )
        self.variables = {
            normalise_guid(v.get("guid")): (v.get("name") or "").strip()
            for variables in _kids(root, "Variables")
            for v in _kids(variables, "Variable")
        }
        codebook = _kid(root, "CodeBook")
        codes = self.codes(codebook) if codebook is not None else ()
        code_notes = {
            normalise_guid(c.get("guid")): _refs(c)
            for c in (codebook.iter() if codebook is not None else ())
            if _local(c) == "Code" and _refs(c)
        }
        sources: list[RefiSource] = []
        for container in _kids(root, "Sources"):
            for element in container:
                kind = _local(element)
                if kind == "TextSource":
                    source = self.text_source(element)
                    if source is not None:
                        sources.append(source)
                elif kind in _UNSUPPORTED:
                    label = element.get("name") or element.get("guid") or "?"
                    self.unsupported.append(f"{label} ({_UNSUPPORTED[kind]})")
        cases = tuple(
            RefiCase(
                normalise_guid(c.get("guid")),
                (c.get("name") or "").strip(),
                self.variable_values(c),
                _refs(c, "SourceRef"),
            )
            for container in _kids(root, "Cases")
            for c in _kids(container, "Case")
        )
        notes = tuple(
            note
            for container in _kids(root, "Notes")
            for element in _kids(container, "Note")
            if (note := self.note(element)) is not None
        )
        links = tuple(
            (normalise_guid(link.get("originGUID")), normalise_guid(link.get("targetGUID")))
            for container in _kids(root, "Links")
            for link in _kids(container, "Link")
        )
        for part, label in (("Sets", "Set"), ("Graphs", "Graph")):
            count = sum(1 for c in _kids(root, part) for _ in _kids(c, label))
            if count:
                plural = "" if count == 1 else "s"
                self.ignored.append(f"{count} {label.lower()}{plural} (no place for them here)")
        return RefiProject(
            self.name,
            (root.get("name") or "").strip(),
            _kid_text(root, "Description").strip(),
            normalise_guid(root.get("creatingUserGUID")),
            users,
            codes,
            code_notes,
            tuple(sources),
            cases,
            notes,
            _refs(root),
            links,
            tuple(self.missing),
            tuple(self.unsupported),
            tuple(self.ignored),
        )

    def codes(self, parent: etree._Element) -> tuple[tuple[str, CodeSpec], ...]:
        container = _kid(parent, "Codes")
        return tuple(read_codes(self.name, container)) if container is not None else ()

    def variable_values(self, element: etree._Element) -> dict[str, str]:
        values: dict[str, str] = {}
        for item in _kids(element, "VariableValue"):
            ref = _kid(item, "VariableRef")
            guid = normalise_guid(ref.get("targetGUID") if ref is not None else None)
            name = self.variables.get(guid)
            if not name:
                self.ignored.append(f"a value of unknown variable {guid or '?'}")
                continue
            value = next(((c.text or "").strip() for c in item if _local(c).endswith("Value")), "")
            if value:
                values[name] = value
        return values

    def text(
        self, element: etree._Element, label: str, *, is_note: bool = False
    ) -> tuple[str, str] | None:
        """(text, SHA-256 of its bytes) from inline content or the archive; None (and
        reported) when the file is missing or there is no plain text (fine for a note,
        which may have only a name or description)."""
        inline = _kid(element, "PlainTextContent")
        if inline is not None:
            text = inline.text or ""
            return text, hashlib.sha256(text.encode("utf-8")).hexdigest()
        path = (element.get("plainTextPath") or "").strip()
        if not path:
            if is_note:
                return None
            if element.get("richTextPath"):
                self.unsupported.append(f"{label} (rich text without a plain-text version)")
            else:
                self.unsupported.append(f"{label} (no text)")
            return None
        info = self.archive.find(path)
        if info is None:
            self.missing.append(f"{label} ({path})")
            return None
        data = self.archive.read(info)
        try:
            text = decode_raw(info.filename, data)
        except InputFileError as exc:
            raise InputFileError(self.name, f"{info.filename} {exc.problem}") from exc
        return text, hashlib.sha256(data).hexdigest()

    def text_source(self, element: etree._Element) -> RefiSource | None:
        guid = normalise_guid(element.get("guid"))
        name = (element.get("name") or "").strip() or f"source-{guid[:8]}.txt"
        found = self.text(element, name)
        if found is None:
            return None
        raw, file_sha = found
        whole = sum(1 for _ in _kids(element, "Coding"))
        if whole:
            self.ignored.append(f"{whole} codings of the whole of {name} (not of a span)")
        elements = list(_kids(element, "PlainTextSelection"))
        spans = [self.span(e) for e in elements]
        text = choose_position_text(
            raw,
            [
                (start, end, e.get("name") or "")
                for e, (start, end) in zip(elements, spans, strict=True)
            ],
        )
        selections = tuple(self.selection(e, name, text) for e in elements)
        return RefiSource(
            guid,
            name,
            text,
            file_sha,
            _kid_text(element, "Description"),
            normalise_guid(element.get("creatingUser")),
            element.get("creationDateTime"),
            selections,
            _refs(element),
            self.variable_values(element),
        )

    def span(self, element: etree._Element) -> tuple[int, int]:
        found = []
        for name in ("startPosition", "endPosition"):
            value = (element.get(name) or "").strip()
            try:
                found.append(int(value))
            except ValueError:
                raise self.error(
                    f"<{_local(element)}> {name}='{value}' is not a whole number "
                    f"(line {element.sourceline})"
                ) from None
        return found[0], found[1]

    def selection(self, element: etree._Element, source: str, text: str) -> RefiSelection:
        guid = normalise_guid(element.get("guid"))
        start, end = self.span(element)
        if not 0 <= start <= end <= len(text):
            raise self.error(
                f"selection {guid or '?'} of '{source}' ({start}-{end}) is outside its text "
                f"(0-{len(text)})"
            )
        codings = []
        for item in _kids(element, "Coding"):
            ref = _kid(item, "CodeRef")
            code = normalise_guid(ref.get("targetGUID") if ref is not None else None)
            if not code:
                raise self.error(
                    f"a coding in '{source}' has no <CodeRef> (line {item.sourceline})"
                )
            codings.append(
                RefiCoding(
                    normalise_guid(item.get("guid")),
                    code,
                    normalise_guid(item.get("creatingUser")),
                    item.get("creationDateTime"),
                    _refs(item),
                )
            )
        return RefiSelection(
            guid,
            element.get("name") or "",
            start,
            end,
            normalise_guid(element.get("creatingUser")),
            element.get("creationDateTime"),
            _kid_text(element, "Description").strip(),
            tuple(codings),
            _refs(element),
        )

    def note(self, element: etree._Element) -> RefiNote | None:
        guid = normalise_guid(element.get("guid"))
        name = (element.get("name") or "").strip()
        found = self.text(element, f"note {name or guid}", is_note=True)
        return RefiNote(
            guid,
            name,
            found[0] if found else "",
            _kid_text(element, "Description").strip(),
            normalise_guid(element.get("creatingUser")),
            element.get("creationDateTime"),
            element.get("modifiedDateTime"),
        )


def _words(text: str) -> str:
    return " ".join(text.replace("…", " ").split()).casefold()


def choose_position_text(raw: str, selections: list[tuple[int, int, str]]) -> str:
    """The text the positions count in: the file's own, or with CRLF as LF when the
    selections' names (quoted words) match that reading better."""
    if "\r\n" not in raw or not selections:
        return raw
    lf = raw.replace("\r\n", "\n")

    def fits(text: str) -> int:
        return sum(
            1
            for start, end, name in selections
            if len(_words(name)) >= 8
            and 0 <= start <= end <= len(text)
            and _words(text[start:end]).startswith(_words(name)[:40])
        )

    return lf if fits(lf) > fits(raw) else raw
