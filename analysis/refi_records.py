"""What a REFI-QDA project file holds, as plain records read from it (GUIDs lower-case,
without braces; times as the file wrote them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from analysis.codebook import CodeSpec


@dataclass(frozen=True)
class RefiCoding:
    guid: str
    code: str
    user: str
    created: str | None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RefiSelection:
    """A span of a text source, with the codes applied to it."""

    guid: str
    name: str
    start: int
    end: int
    user: str
    created: str | None
    description: str
    codings: tuple[RefiCoding, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RefiSource:
    """A text source: `text` is what its positions count in."""

    guid: str
    name: str
    text: str
    file_sha256: str
    description: str
    user: str
    created: str | None
    selections: tuple[RefiSelection, ...]
    notes: tuple[str, ...] = ()
    variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RefiCase:
    guid: str
    name: str
    variables: dict[str, str]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class RefiNote:
    guid: str
    name: str
    text: str
    description: str
    user: str
    created: str | None
    modified: str | None


@dataclass(frozen=True)
class RefiProject:
    """Everything read from one file, and what could not be read from it."""

    source_name: str
    name: str
    description: str
    creating_user: str
    users: tuple[tuple[str, str], ...]  # (guid, name)
    codes: tuple[tuple[str, CodeSpec], ...]  # (guid, code)
    code_notes: dict[str, tuple[str, ...]]
    sources: tuple[RefiSource, ...]
    cases: tuple[RefiCase, ...]
    notes: tuple[RefiNote, ...]
    project_notes: tuple[str, ...]
    links: tuple[tuple[str, str], ...]  # (origin GUID, target GUID)
    missing: tuple[str, ...] = ()
    unsupported: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
