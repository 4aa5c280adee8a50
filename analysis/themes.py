"""Themes: codes from any level of the tree grouped under a name and a narrative.

A theme covers its codes and everything below them in the codebook tree, so a theme
built on a parent code counts participants coded only with one of its children.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from analysis.access import Action, allowed, require
from analysis.codebook import current_codebook, with_descendants
from analysis.consent import quotable_participants
from analysis.errors import InvalidRequestError
from analysis.models import Coding
from analysis.outputs import DRAFT, get_row, may_see, require_visible, save_revision
from analysis.storage import Store, now_utc

STRONGEST_QUOTES = 5


@dataclass(frozen=True)
class Theme:
    id: int
    project_id: int
    name: str
    description: str
    status: str
    revision: int
    code_keys: tuple[str, ...]
    created_by: str
    updated_at: str


@dataclass(frozen=True)
class ThemeQuote:
    """A quote behind a theme, traceable to its transcript and participant."""

    coding: Coding
    source_name: str
    participant: str | None


@dataclass(frozen=True)
class ThemeOverview:
    theme: Theme
    codes: tuple[tuple[str, str], ...]  # (key, name), the theme's codes and their sub-codes
    participants: int
    transcripts: int
    segments: int
    quotes: tuple[ThemeQuote, ...]


def _theme(store: Store, row: dict[str, Any]) -> Theme:
    return Theme(
        row["id"],
        row["project_id"],
        row["name"],
        row["description"],
        row["status"],
        row["revision"],
        tuple(store.theme_code_keys(row["id"])),
        row["created_by"],
        row["updated_at"],
    )


def _check_codes(store: Store, project_id: int, code_keys: Sequence[str]) -> list[str]:
    _, codes = current_codebook(store, project_id)
    known = {c.key for c in codes}
    keys = list(dict.fromkeys(k.strip() for k in code_keys if k.strip()))
    if not keys:
        raise InvalidRequestError("a theme needs at least one code")
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise InvalidRequestError(f"the current codebook has no code '{unknown[0]}'")
    return keys


def create_theme(
    store: Store,
    project_id: int,
    name: str,
    description: str,
    code_keys: Sequence[str],
    *,
    actor: str,
) -> Theme:
    """A new draft theme over some codes.

    Raises:
        InvalidRequestError: no name, no codes, an unknown code, or the name is taken.
    """
    require(store, actor, Action.DRAFT_OUTPUTS)
    if not name.strip():
        raise InvalidRequestError("a theme needs a name")
    keys = _check_codes(store, project_id, code_keys)
    if any(t["name"] == name.strip() for t in store.list_theme_rows(project_id)):
        raise InvalidRequestError(f"there is already a theme called '{name.strip()}'")
    with store.transaction():
        theme_id = store.insert_output(
            "themes",
            {
                "project_id": project_id,
                "name": name.strip(),
                "description": description.strip(),
                "status": DRAFT,
                "created_by": actor,
                "created_at": now_utc(),
                "updated_at": now_utc(),
            },
        )
        store.set_theme_codes(theme_id, keys)
        store.audit(
            actor=actor,
            action="create theme",
            table="themes",
            row_id=theme_id,
            payload={"name": name.strip(), "codes": keys},
        )
    return get_theme(store, theme_id, actor=actor)


def update_theme(
    store: Store,
    theme_id: int,
    *,
    name: str,
    description: str,
    code_keys: Sequence[str],
    revision: int,
    actor: str,
) -> Theme:
    """Save an edited theme made on `revision` (an agreed theme goes back to review).

    Raises:
        ConflictError: someone else saved the theme after `revision`.
    """
    require(store, actor, Action.DRAFT_OUTPUTS)
    row = get_row(store, "themes", theme_id)
    keys = _check_codes(store, row["project_id"], code_keys)
    if not name.strip():
        raise InvalidRequestError("a theme needs a name")
    with store.transaction():
        save_revision(
            store,
            "themes",
            row,
            {"name": name.strip(), "description": description.strip()},
            revision=revision,
            actor=actor,
            action="edit theme",
        )
        store.set_theme_codes(theme_id, keys)
    return get_theme(store, theme_id, actor=actor)


def get_theme(store: Store, theme_id: int, *, actor: str) -> Theme:
    row = get_row(store, "themes", theme_id)
    require_visible(store, actor, "themes", row)
    return _theme(store, row)


def list_themes(store: Store, project_id: int, *, actor: str) -> list[Theme]:
    """The project's themes by name; evaluators see agreed ones only."""
    user = require(store, actor, Action.EXPORT_SUMMARY)
    return [
        _theme(store, row)
        for row in store.list_theme_rows(project_id)
        if may_see(user, row["status"])
    ]


def theme_overview(store: Store, theme_id: int, *, actor: str) -> ThemeOverview:
    """What the Themes page shows: codes, counts and the strongest quotes.

    Coders see quotes from every coding under the theme, evidence of its findings
    first; evaluators see only evidence of agreed findings, and only from participants
    who agreed to be quoted.
    """
    theme = get_theme(store, theme_id, actor=actor)
    user = require(store, actor, Action.EXPORT_SUMMARY)
    _, codes = current_codebook(store, theme.project_id)
    keys = with_descendants(codes, theme.code_keys)
    names = {c.key: c.name for c in codes}
    codings = store.list_codings(project_id=theme.project_id, code_keys=keys)
    # Who said each coded passage; transcripts' texts are not needed here.
    transcripts = {t["id"]: t for t in store.list_transcript_owners(theme.project_id)}
    participants = {transcripts[c.transcript_id]["participant_id"] for c in codings} - {None}
    segments = {(c.transcript_id, c.segment_id or -c.id) for c in codings}
    evidence: list[int] = []
    for finding in store.list_finding_rows(theme.project_id, theme_id=theme_id):
        if not may_see(user, finding["status"]):
            continue
        evidence.extend(store.evidence_coding_ids(finding["id"]))
    by_id = {c.id: c for c in codings}
    by_id.update({i: store.get_coding(i) for i in evidence if i not in by_id})
    if not allowed(user.role, Action.SEE_CODINGS):  # a reader of agreed outputs
        quotable = quotable_participants(store, theme.project_id)
        ranked = [
            by_id[i]
            for i in dict.fromkeys(evidence)
            if i in by_id and transcripts[by_id[i].transcript_id]["participant_id"] in quotable
        ]
    else:
        rest = sorted(
            (c for c in codings if c.id not in set(evidence)), key=lambda c: -len(c.text.split())
        )
        ranked = [by_id[i] for i in dict.fromkeys(evidence) if i in by_id] + rest
    quotes = tuple(
        ThemeQuote(
            c,
            transcripts[c.transcript_id]["source_name"],
            transcripts[c.transcript_id]["pseudonym"],
        )
        for c in ranked[:STRONGEST_QUOTES]
    )
    return ThemeOverview(
        theme,
        tuple((k, names.get(k, k)) for k in keys),
        len(participants),
        len({c.transcript_id for c in codings}),
        len(segments),
        quotes,
    )
