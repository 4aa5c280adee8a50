"""Memos as REFI-QDA notes, both ways.

A memo becomes a `<Note>` referenced from what it is written on: the project, a
transcript's source, a coding, a code, or the selection of a segment. REFI has no note
reference on a case, so a memo on a participant is a `<Link>` from its note to the case.
Coming back (from this platform or another tool), a note goes on whatever references or
links to it, and on the project when nothing that was imported does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from analysis.errors import NotFoundError
from analysis.models import Coding, Memo, Participant, Transcript
from analysis.refi_records import RefiNote, RefiProject
from analysis.storage import Store, now_utc

Target = tuple[str, int]  # (memo target table, row id)


def selection_key(text_sha256: str, start: int, end: int) -> str:
    """What names a selection across databases: its transcript's text and its span."""
    return f"{text_sha256}/{start}/{end}"


def coding_key(text_sha256: str, start: int, end: int, code: str, coder: str) -> str:
    return f"{selection_key(text_sha256, start, end)}/{code}/{coder}"


# -- export ------------------------------------------------------------------------------


@dataclass
class NotePlan:
    """Where each exported memo's note is referenced from."""

    notes: list[tuple[str, Memo]] = field(default_factory=list)
    refs: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    links: list[tuple[str, str, str]] = field(default_factory=list)  # (link, note, case)
    noted_segments: dict[int, set[tuple[int, int]]] = field(
        default_factory=lambda: defaultdict(set)
    )
    dropped: int = 0


def place_memos(
    store: Store,
    memos: list[Memo],
    *,
    transcripts: Mapping[int, Transcript],
    people: Mapping[int, Participant],
    codings: Mapping[int, Coding],
    code_keys: set[str],
    guid: Callable[[str, str], str],
) -> NotePlan:
    """Notes (in a stable order, with stable GUIDs) for the memos on exported records;
    memos on anything else are counted as dropped."""
    plan = NotePlan()
    placed: list[tuple[str, str, Memo]] = []
    for memo in memos:
        target = _memo_target(store, memo, transcripts, people, codings, code_keys, plan)
        if target is None:
            plan.dropped += 1
        else:
            placed.append((*target, memo))
    placed.sort(key=lambda i: (i[2].created_at, i[2].author, i[0], i[1], i[2].body))
    seen: dict[str, int] = defaultdict(int)
    for kind, key, memo in placed:
        natural = f"{kind}/{key}/{memo.author}/{memo.created_at}/{memo.body}"
        seen[natural] += 1
        note = guid("note", f"{natural}/{seen[natural]}")
        plan.notes.append((note, memo))
        if kind == "case":
            plan.links.append((guid("link", note), note, guid("case", key)))
        else:
            plan.refs[(kind, key)].append(note)
    return plan


def _memo_target(
    store: Store,
    memo: Memo,
    transcripts: Mapping[int, Transcript],
    people: Mapping[int, Participant],
    codings: Mapping[int, Coding],
    code_keys: set[str],
    plan: NotePlan,
) -> tuple[str, str] | None:
    table, target = memo.target_table, memo.target_id
    if table == "projects":
        return ("project", "")
    if table == "transcripts" and target in transcripts:
        return ("source", transcripts[target].sha256)
    if table == "participants" and target in people:
        return ("case", people[target].pseudonym)
    if table == "codings" and target in codings:
        c = codings[target]
        sha = transcripts[c.transcript_id].sha256
        return ("coding", coding_key(sha, c.start_char, c.end_char, c.code_key, c.coder))
    try:
        if table == "segments":
            segment = store.get_segment(target)
            if segment.transcript_id in transcripts:
                span = (segment.start_char, segment.end_char)
                plan.noted_segments[segment.transcript_id].add(span)
                sha = transcripts[segment.transcript_id].sha256
                return ("selection", selection_key(sha, *span))
        if table == "codes":
            key = store.get_code(target).key
            return ("code", key) if key in code_keys else None
    except NotFoundError:
        return None
    return None


# -- import ------------------------------------------------------------------------------


def note_body(note: RefiNote) -> str:
    """A memo's text: the note's name when its text does not start with it, its
    description, and its text."""
    text = note.text.strip()
    parts = [note.name] if note.name and not text.startswith(note.name) else []
    parts += [p for p in (note.description, text) if p]
    return "\n\n".join(parts).strip()


def note_targets(
    refi: RefiProject,
    project_id: int,
    things: Mapping[str, Target],
    selections: Mapping[str, Target],
) -> dict[str, list[Target]]:
    """Note GUID -> the records its memo goes on, from note references and links;
    `things` maps the GUIDs of imported sources, codings, codes and cases to records,
    `selections` those of selections."""
    found: dict[str, list[Target]] = {}

    def attach(note: str, target: Target | None) -> None:
        if target is not None:
            found.setdefault(note, []).append(target)

    for note in refi.project_notes:
        attach(note, ("projects", project_id))
    for code, notes in refi.code_notes.items():
        for note in notes:
            attach(note, things.get(code))
    for source in refi.sources:
        for note in source.notes:
            attach(note, things.get(source.guid))
        for selection in source.selections:
            for note in selection.notes:
                attach(note, selections.get(selection.guid))
            for coding in selection.codings:
                for note in coding.notes:
                    attach(note, things.get(coding.guid))
    note_ids = {n.guid for n in refi.notes}
    for origin, target in refi.links:
        if origin in note_ids:
            attach(origin, things.get(target) or selections.get(target))
        elif target in note_ids:
            attach(target, things.get(origin) or selections.get(origin))
    return found


def write_notes(
    store: Store,
    project_id: int,
    refi: RefiProject,
    targets: Mapping[str, list[Target]],
    selections: Mapping[str, Target],
    *,
    user_for: Callable[..., str],
    refi_time: Callable[[str | None], str | None],
    actor: str,
) -> int:
    """Write notes (and selections' descriptions, a quotation's comment in ATLAS.ti)
    as memos; returns how many."""
    written = 0
    for note in refi.notes:
        body = note_body(note)
        if not body:
            continue
        author = user_for(note.user, refi.creating_user)
        created = refi_time(note.created) or now_utc()
        for table, target_id in dict.fromkeys(targets.get(note.guid) or [("projects", project_id)]):
            memo = (table, target_id, body, author, created, refi_time(note.modified))
            _write_memo(store, project_id, *memo, actor=actor)
            written += 1
    for source in refi.sources:
        for selection in source.selections:
            target = selections.get(selection.guid)
            if selection.description and target is not None:
                author = user_for(selection.user, source.user, refi.creating_user)
                created = refi_time(selection.created) or now_utc()
                memo = (*target, selection.description, author, created, None)
                _write_memo(store, project_id, *memo, actor=actor)
                written += 1
    return written


def _write_memo(
    store: Store,
    project_id: int,
    table: str,
    target_id: int,
    body: str,
    author: str,
    created: str,
    updated: str | None,
    *,
    actor: str,
) -> None:
    memo_id = store.insert_memo(
        {
            "project_id": project_id,
            "target_table": table,
            "target_id": target_id,
            "author": author,
            "body": body,
            "created_at": created,
            "updated_at": updated or created,
        }
    )
    store.audit(
        actor=actor,
        action="import memo",
        table="memos",
        row_id=memo_id,
        payload={"target_table": table, "target_id": target_id, "author": author, "body": body},
    )
