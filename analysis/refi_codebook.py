"""REFI-QDA codebook exchange (`.qdc`, QDA-XML codebook 1.0): the codebook in the format
NVivo, ATLAS.ti, MAXQDA and QualCoder read and write.

A REFI code has a name, an optional description and children. Our codes also have a
key, rules for when to use them and not, an example and a status; those travel inside
the description as labelled lines ("When to use: ..."), so a codebook exported here and
imported again loses nothing, and another tool still shows a readable description.
Each code's GUID is derived from the project and the code key, so exporting twice gives
the same GUIDs and other tools can match codes across exports.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from lxml import etree

from analysis.codebook import CodebookDraft, CodeSpec, slugify, validate_codes
from analysis.errors import InputFileError
from analysis.files import read_input_bytes

NAMESPACE = "urn:QDA-XML:codebook:1.0"
# NVivo for Mac writes this spelling of the namespace; it is read as the same thing.
NAMESPACES = (NAMESPACE, "urn:QDA-XML:codebook:1:0")
ORIGIN = "Peer research platform"
_LABELS = (
    ("include", "When to use: "),
    ("exclude", "When not to use: "),
    ("example", "Example: "),
    ("key", "Key: "),
    ("status", "Status: "),
)


def normalise_guid(guid: str | None) -> str:
    """GUIDs compare without braces and case: `{AB-..}` and `ab-..` are the same."""
    return (guid or "").strip().strip("{}").strip().lower()


def code_guid(project_slug: str, key: str) -> str:
    """A stable GUID for a code of a project."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"peer-research-platform/{project_slug}/{key}"))


def _description(spec: CodeSpec) -> str:
    lines = [spec.definition] if spec.definition else []
    for field, label in _LABELS:
        value = getattr(spec, field)
        if value and (field != "status" or value != "active"):
            lines.append(label + " ".join(str(value).split()))
    return "\n".join(lines)


def append_codes(
    container: etree._Element,
    codes: Sequence[CodeSpec],
    *,
    project_slug: str,
    note_refs: Mapping[str, Sequence[str]] | None = None,
) -> None:
    """Write `codes` (tree order) as nested `<Code>` elements under `container`, in its
    namespace; `note_refs` maps a code key to the GUIDs of notes written on it."""
    namespace = etree.QName(container).namespace
    tag = f"{{{namespace}}}" if namespace else ""
    elements: dict[str, etree._Element] = {}
    for spec in codes:
        parent = elements[spec.parent] if spec.parent else container
        element = etree.SubElement(parent, f"{tag}Code")
        element.set("guid", code_guid(project_slug, spec.key))
        element.set("name", spec.name)
        element.set("isCodable", "true")
        description = _description(spec)
        # Description and note references come before child codes in the schema's sequence.
        if description:
            etree.SubElement(element, f"{tag}Description").text = description
        for guid in (note_refs or {}).get(spec.key, ()):
            etree.SubElement(element, f"{tag}NoteRef").set("targetGUID", guid)
        elements[spec.key] = element


def codebook_to_qdc(codes: Sequence[CodeSpec], *, project_slug: str) -> bytes:
    """The codebook as a REFI-QDA `.qdc` document (UTF-8 XML)."""
    root = etree.Element(f"{{{NAMESPACE}}}CodeBook", nsmap={None: NAMESPACE})
    root.set("origin", ORIGIN)
    container = etree.SubElement(root, f"{{{NAMESPACE}}}Codes")
    append_codes(container, codes, project_slug=project_slug)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _parse_description(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    definition: list[str] = []
    for line in text.splitlines():
        for field, label in _LABELS:
            if line.startswith(label):
                fields[field] = line[len(label) :].strip()
                break
        else:
            definition.append(line)
    fields["definition"] = " ".join(" ".join(definition).split())
    return fields


def qdc_to_codebook(source_name: str, data: bytes) -> CodebookDraft:
    """Read a `.qdc` codebook made by this or another QDA tool.

    Raises:
        InputFileError: not XML, not a REFI codebook, a code without a name, or codes
            that break our rules (e.g. two codes with the same key).
    """
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise InputFileError(source_name, f"is not well-formed XML ({exc})") from exc
    namespace = etree.QName(root).namespace
    if etree.QName(root).localname != "CodeBook" or namespace not in NAMESPACES:
        raise InputFileError(
            source_name,
            f"is not a REFI-QDA codebook (root <{etree.QName(root).localname}> in "
            f"namespace '{namespace}', expected CodeBook in {NAMESPACE})",
        )
    codes_element = root.find(f"{{{namespace}}}Codes")
    if codes_element is None:
        raise InputFileError(source_name, "has no <Codes> element")
    specs = [spec for _, spec in read_codes(source_name, codes_element)]
    if not specs:
        raise InputFileError(source_name, "holds no codes")
    validate_codes(source_name, specs)
    stem = Path(source_name).stem.replace("_", " ").strip() or "Imported codebook"
    return CodebookDraft(stem, f"Imported from {source_name}", tuple(specs))


def read_codes(
    source_name: str, codes_element: etree._Element, *, taken: Iterable[str] = ()
) -> list[tuple[str, CodeSpec]]:
    """(GUID, code) for every `<Code>` under a `<Codes>` element, in document order.

    Keys come from a "Key:" line (our own exports) or the name; a key already used, or
    in `taken`, gets a number. ATLAS.ti writes sub-codes as flat codes named
    `Parent::Child`; when a code named `Parent` exists, the child is put under it.

    Raises:
        InputFileError: a code without a name.
    """
    used = set(taken)
    found: list[tuple[str, CodeSpec]] = []

    def walk(element: etree._Element, parent: str | None) -> None:
        for child in element:
            if not isinstance(child.tag, str) or etree.QName(child).localname != "Code":
                continue
            name = (child.get("name") or "").strip()
            if not name:
                raise InputFileError(
                    source_name, f"has a code without a name (line {child.sourceline})"
                )
            described = next(
                (
                    c
                    for c in child
                    if isinstance(c.tag, str) and etree.QName(c).localname == "Description"
                ),
                None,
            )
            fields = _parse_description(described.text or "" if described is not None else "")
            # Another tool's description may hold a "Key:" or "Status:" line of its own.
            key = fields.get("key", "")
            key = key if key and slugify(key) == key else slugify(name) or "code"
            status = fields.get("status", "active")
            status = status if status in ("active", "proposed") else "active"
            base, number = key, 2
            while key in used:
                key, number = f"{base}-{number}", number + 1
            used.add(key)
            spec = CodeSpec(
                key,
                name,
                fields.get("definition", ""),
                fields.get("include", ""),
                fields.get("exclude", ""),
                fields.get("example", ""),
                parent,
                status,
            )
            found.append((normalise_guid(child.get("guid")), spec))
            walk(child, key)

    walk(codes_element, None)
    return _nest_path_names(found)


def _nest_path_names(found: list[tuple[str, CodeSpec]]) -> list[tuple[str, CodeSpec]]:
    """`Coke::diet Coke` becomes `diet Coke` under the code named `Coke`, if there is one."""
    by_name: dict[str, str] = {}
    for _, spec in found:
        by_name.setdefault(spec.name, spec.key)
    nested: list[tuple[str, CodeSpec]] = []
    for guid, spec in found:
        if spec.parent is None and "::" in spec.name:
            prefix, leaf = spec.name.rsplit("::", 1)
            parent = by_name.get(prefix.strip())
            if parent is not None and parent != spec.key and leaf.strip():
                spec = replace(spec, name=leaf.strip(), parent=parent)
        nested.append((guid, spec))
    return nested


def read_qdc_file(path: str | Path) -> CodebookDraft:
    return qdc_to_codebook(*read_input_bytes(path))
