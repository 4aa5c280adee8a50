"""The shared codebook: files in and out (YAML, CSV), validation, versions, edits.

Every edit makes a new codebook version holding a full copy of the codes, so a coding
keeps pointing at the code as it was when the coding was made. A code's `key` is a
slug that stays the same across versions; that is how codings are gathered per code.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from analysis.access import Action, allowed, require
from analysis.errors import (
    InputFileError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
)
from analysis.files import read_input_bytes
from analysis.ingest.decode import decode_text
from analysis.models import Code, CodebookVersion
from analysis.storage import Store, now_utc

CSV_COLUMNS = ("key", "name", "parent", "definition", "include", "exclude", "example", "status")
_ALIASES = {
    "include": ("include", "include_rule", "when_to_use", "inclusion"),
    "exclude": ("exclude", "exclude_rule", "when_not_to_use", "exclusion"),
    "definition": ("definition", "description"),
    "example": ("example", "example_quote"),
    "parent": ("parent", "parent_key"),
}
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class CodeSpec:
    """A code as written in a codebook file or an edit form."""

    key: str
    name: str
    definition: str = ""
    include: str = ""
    exclude: str = ""
    example: str = ""
    parent: str | None = None
    status: str = "active"


@dataclass(frozen=True)
class CodebookDraft:
    """A whole codebook before it becomes a version."""

    name: str
    description: str
    codes: tuple[CodeSpec, ...]


def slugify(name: str) -> str:
    """`Access & waiting` -> `access-waiting`."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _field(entry: dict[str, Any], name: str) -> str:
    for alias in _ALIASES.get(name, (name,)):
        value = entry.get(alias)
        if value not in (None, ""):
            return str(value).strip()
    return ""


def _spec(entry: dict[str, Any], parent: str | None) -> CodeSpec:
    name = _field(entry, "name")
    return CodeSpec(
        key=_field(entry, "key") or slugify(name),
        name=name,
        definition=_field(entry, "definition"),
        include=_field(entry, "include"),
        exclude=_field(entry, "exclude"),
        example=_field(entry, "example"),
        parent=parent or _field(entry, "parent") or None,
        status=_field(entry, "status") or "active",
    )


def _flatten(source_name: str, entries: Any, parent: str | None) -> list[CodeSpec]:
    if not isinstance(entries, list):
        raise InputFileError(source_name, "'codes' must be a list of codes")
    specs = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise InputFileError(source_name, f"each code must be a mapping, not {entry!r}")
        spec = _spec(entry, parent)
        specs.append(spec)
        specs.extend(_flatten(source_name, entry.get("children") or [], spec.key))
    return specs


def parse_codebook(source_name: str, data: bytes) -> CodebookDraft:
    """Read a YAML (`.yaml`/`.yml`) or CSV codebook and validate it.

    Raises:
        InputFileError: unsupported type, bad syntax, or an invalid codebook.

    Example:
        >>> parse_codebook("c.yaml", b"codes: [{name: Waiting}]").codes[0].key
        'waiting'
    """
    extension = Path(source_name).suffix.lower()
    text = decode_text(source_name, data) if data else ""
    if not text.strip():
        raise InputFileError(source_name, "is empty")
    if extension in (".yaml", ".yml"):
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InputFileError(source_name, f"is not valid YAML ({exc})") from exc
        if not isinstance(document, dict) or "codes" not in document:
            raise InputFileError(source_name, "needs a top-level 'codes' list")
        draft = CodebookDraft(
            str(document.get("name") or Path(source_name).stem),
            str(document.get("description") or ""),
            tuple(_flatten(source_name, document["codes"], None)),
        )
    elif extension == ".csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        rows = [
            {(k or "").strip().lower().replace(" ", "_"): v for k, v in r.items()} for r in rows
        ]
        if not rows or "name" not in rows[0]:
            raise InputFileError(source_name, "needs a header row with at least a 'name' column")
        draft = CodebookDraft(Path(source_name).stem, "", tuple(_spec(r, None) for r in rows))
    else:
        raise InputFileError(
            source_name, f"unsupported codebook type '{extension}' (use .yaml or .csv)"
        )
    validate_codes(source_name, draft.codes)
    return draft


def read_codebook_file(path: str | Path) -> CodebookDraft:
    return parse_codebook(*read_input_bytes(path))


def validate_codes(source_name: str, codes: Sequence[CodeSpec]) -> None:
    """Keys are unique slugs, names present, parents exist, and the tree has no cycles.

    Raises:
        InputFileError: naming the first code that breaks a rule.
    """
    if not codes:
        raise InputFileError(source_name, "has no codes")
    keys: dict[str, CodeSpec] = {}
    for spec in codes:
        if not spec.name:
            raise InputFileError(source_name, f"code '{spec.key or '?'}' has no name")
        if not _SLUG.match(spec.key):
            raise InputFileError(
                source_name, f"code key '{spec.key}' must be lowercase letters, digits and hyphens"
            )
        if spec.key in keys:
            raise InputFileError(source_name, f"code key '{spec.key}' is used twice")
        if spec.status not in ("active", "proposed"):
            raise InputFileError(
                source_name, f"code '{spec.key}' has unknown status '{spec.status}'"
            )
        keys[spec.key] = spec
    for spec in codes:
        seen = {spec.key}
        parent = spec.parent
        while parent is not None:
            if parent not in keys:
                raise InputFileError(
                    source_name, f"code '{spec.key}' has unknown parent '{parent}'"
                )
            if parent in seen:
                raise InputFileError(source_name, f"code '{spec.key}' is its own ancestor")
            seen.add(parent)
            parent = keys[parent].parent


def _ordered(codes: Sequence[CodeSpec]) -> list[CodeSpec]:
    """Tree order: each code followed by its children, siblings in the given order."""
    children: dict[str | None, list[CodeSpec]] = {}
    for spec in codes:
        children.setdefault(spec.parent, []).append(spec)
    ordered: list[CodeSpec] = []

    def walk(parent: str | None) -> None:
        for spec in children.get(parent, []):
            ordered.append(spec)
            walk(spec.key)

    walk(None)
    return ordered


def save_codebook_version(
    store: Store,
    project_id: int,
    draft: CodebookDraft,
    *,
    actor: str,
    note: str,
) -> CodebookVersion:
    """Store `draft` as the project's next codebook version, in one transaction.

    A lead may change anything. Anyone who may code may only add codes with status
    "proposed" (a proposal a lead later accepts or drops).

    Raises:
        PermissionDeniedError: the change goes beyond what the actor's role allows.
    """
    _require_codebook_change(store, project_id, draft, actor)
    validate_codes(draft.name, draft.codes)
    with store.transaction():
        previous = store.latest_codebook_version(project_id)
        version_id = store.insert_codebook_version(
            {
                "project_id": project_id,
                "version": (previous.version + 1) if previous else 1,
                "name": draft.name,
                "parent_version_id": previous.id if previous else None,
                "note": note,
                "created_by": actor,
                "created_at": now_utc(),
            }
        )
        ids: dict[str, int] = {}
        for position, spec in enumerate(_ordered(draft.codes)):
            ids[spec.key] = store.insert_code(
                {
                    "codebook_version_id": version_id,
                    "key": spec.key,
                    "name": spec.name,
                    "definition": spec.definition,
                    "include_rule": spec.include,
                    "exclude_rule": spec.exclude,
                    "example": spec.example,
                    "parent_code_id": ids[spec.parent] if spec.parent else None,
                    "status": spec.status,
                    "position": position,
                }
            )
        store.audit(
            actor=actor,
            action="new codebook version",
            table="codebook_versions",
            row_id=version_id,
            payload={"note": note, "codes": len(draft.codes)},
        )
    latest = store.latest_codebook_version(project_id)
    assert latest is not None
    return latest


def _require_codebook_change(
    store: Store, project_id: int, draft: CodebookDraft, actor: str
) -> None:
    user = require(store, actor, Action.PROPOSE_CODE)
    if allowed(user.role, Action.EDIT_CODEBOOK):
        return
    version, codes = current_codebook(store, project_id)
    before = [code_to_spec(c) for c in codes]
    kept = [spec for spec in draft.codes if spec.key in {b.key for b in before}]
    added = [spec for spec in draft.codes if spec.key not in {b.key for b in before}]
    unchanged = kept == before and (version is None or draft.name == version.name)
    if not unchanged or not added or any(spec.status != "proposed" for spec in added):
        raise PermissionDeniedError(
            f"{user.name} ({user.role}) may only propose new codes; a project lead edits "
            "the codebook"
        )


def current_codebook(store: Store, project_id: int) -> tuple[CodebookVersion | None, list[Code]]:
    """The latest version and its codes (empty when the project has no codebook yet)."""
    version = store.latest_codebook_version(project_id)
    return version, store.list_codes(version.id) if version else []


def code_to_spec(code: Code) -> CodeSpec:
    return CodeSpec(
        code.key,
        code.name,
        code.definition,
        code.include_rule,
        code.exclude_rule,
        code.example,
        code.parent_key,
        code.status,
    )


def _current_draft(store: Store, project_id: int) -> CodebookDraft:
    version, codes = current_codebook(store, project_id)
    if version is None:
        return CodebookDraft("Codebook", "", ())
    return CodebookDraft(version.name, "", tuple(code_to_spec(c) for c in codes))


def save_code(store: Store, project_id: int, spec: CodeSpec, *, actor: str) -> CodebookVersion:
    """Add a new code or change an existing one (matched by key): a new version."""
    draft = _current_draft(store, project_id)
    exists = any(c.key == spec.key for c in draft.codes)
    codes = (
        [spec if c.key == spec.key else c for c in draft.codes] if exists else [*draft.codes, spec]
    )
    validate_codes("codebook", codes)
    verb = "changed" if exists else "added"
    return save_codebook_version(
        store,
        project_id,
        replace(draft, codes=tuple(codes)),
        actor=actor,
        note=f"{verb} {spec.key}",
    )


def remove_code(store: Store, project_id: int, key: str, *, actor: str) -> CodebookVersion:
    """Drop a code (with no children) from the next version; old codings keep it.

    Raises:
        NotFoundError: no such code. InvalidRequestError: it still has child codes.
    """
    draft = _current_draft(store, project_id)
    if not any(c.key == key for c in draft.codes):
        raise NotFoundError(f"the codebook has no code '{key}'")
    children = [c.key for c in draft.codes if c.parent == key]
    if children:
        raise InvalidRequestError(
            f"code '{key}' has child codes ({', '.join(children)}); move them first"
        )
    codes = tuple(c for c in draft.codes if c.key != key)
    return save_codebook_version(
        store, project_id, replace(draft, codes=codes), actor=actor, note=f"removed {key}"
    )


def accept_proposed_code(store: Store, project_id: int, key: str, *, actor: str) -> CodebookVersion:
    """Make a proposed code part of the codebook (status active): a new version.

    Raises:
        NotFoundError: no such code. InvalidRequestError: it is not a proposal.
    """
    require(store, actor, Action.ACCEPT_PROPOSED_CODES)
    draft = _current_draft(store, project_id)
    spec = next((c for c in draft.codes if c.key == key), None)
    if spec is None:
        raise NotFoundError(f"the codebook has no code '{key}'")
    if spec.status != "proposed":
        raise InvalidRequestError(f"code '{key}' is not a proposal")
    codes = tuple(replace(c, status="active") if c.key == key else c for c in draft.codes)
    return save_codebook_version(
        store, project_id, replace(draft, codes=codes), actor=actor, note=f"accepted {key}"
    )


def with_descendants(codes: Iterable[Code], keys: Iterable[str]) -> list[str]:
    """The given keys and every key below them in the tree of `codes`, each once."""
    codes = list(codes)
    found = list(dict.fromkeys(keys))
    for key in found:
        found.extend(c.key for c in codes if c.parent_key == key and c.key not in found)
    return found


def code_tree(codes: Iterable[Code]) -> list[tuple[Code, int]]:
    """Codes in tree order with their depth (0 for top-level themes)."""
    codes = list(codes)
    children: dict[str | None, list[Code]] = {}
    for code in codes:
        children.setdefault(code.parent_key, []).append(code)
    ordered: list[tuple[Code, int]] = []

    def walk(parent: str | None, depth: int) -> None:
        for code in children.get(parent, []):
            ordered.append((code, depth))
            walk(code.key, depth + 1)

    walk(None, 0)
    return ordered


def codebook_to_yaml(name: str, codes: Sequence[CodeSpec], *, description: str = "") -> str:
    """Nested YAML in the format of `codebooks/`, readable by `parse_codebook`."""

    def entry(spec: CodeSpec) -> dict[str, Any]:
        item: dict[str, Any] = {"key": spec.key, "name": spec.name}
        for field_name in ("definition", "include", "exclude", "example"):
            item[field_name] = getattr(spec, field_name)
        if spec.status != "active":
            item["status"] = spec.status
        kids = [entry(c) for c in codes if c.parent == spec.key]
        if kids:
            item["children"] = kids
        return item

    document = {
        "name": name,
        "description": description,
        "codes": [entry(c) for c in codes if c.parent is None],
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def codebook_to_csv(codes: Sequence[CodeSpec]) -> str:
    """One row per code with its parent key, readable by `parse_codebook`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for spec in codes:
        writer.writerow(
            [
                spec.key,
                spec.name,
                spec.parent or "",
                spec.definition,
                spec.include,
                spec.exclude,
                spec.example,
                spec.status,
            ]
        )
    return buffer.getvalue()


def codebook_text(store: Store, project_id: int, file_format: str) -> str:
    """The current codebook as `yaml` or `csv` text, readable by `parse_codebook`.

    Raises:
        NotFoundError: the study has no codebook yet.
        InvalidRequestError: another format.
    """
    version, codes = current_codebook(store, project_id)
    if version is None or not codes:
        raise NotFoundError("the study has no codebook yet")
    specs = [code_to_spec(c) for c in codes]
    if file_format in ("yaml", "yml"):
        return codebook_to_yaml(version.name, specs)
    if file_format == "csv":
        return codebook_to_csv(specs)
    raise InvalidRequestError(f"a codebook exports as yaml or csv, not '{file_format}'")


def export_codebook(store: Store, project_id: int, path: str | Path) -> int:
    """Write the current codebook to a `.yaml`/`.yml` or `.csv` file; returns the code count."""
    target = Path(path)
    if target.suffix.lower() not in (".yaml", ".yml", ".csv"):
        raise InvalidRequestError(f"{target.name}: use a .yaml or .csv file name")
    content = codebook_text(store, project_id, target.suffix.lower().lstrip("."))
    target.write_text(content, encoding="utf-8")
    return len(current_codebook(store, project_id)[1])


def diff_codebooks(old: Sequence[Code], new: Sequence[Code]) -> dict[str, list[str]]:
    """Keys added, removed and changed between two versions."""
    before = {c.key: code_to_spec(c) for c in old}
    after = {c.key: code_to_spec(c) for c in new}
    return {
        "added": sorted(after.keys() - before.keys()),
        "removed": sorted(before.keys() - after.keys()),
        "changed": sorted(k for k in before.keys() & after.keys() if before[k] != after[k]),
    }
