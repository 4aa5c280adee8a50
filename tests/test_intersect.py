"""The intersectional view: participant counts by attribute combination, small cells
suppressed for everyone, quotes behind a cell, code co-occurrence and the `matrix` CLI.

The study (built once, copied into each test's in-memory store): twelve participants,
one short transcript each (four participant segments: 0 waiting, 1 peers, 2 money,
3 place), and these current codings (P10's is superseded by a consensus decision):

    P01 waits on 0, 1, 2 (sam); peers on 0 (sam); money on 3 (sam)
    P02 waits on 0 (sam); money on 0 (sam and alex)
    P03 waits on 0 (alex)
    P04 peers on a span across 1-2 (sam, no segment of its own); money on 2 (lee)
    P05 support on 3 (lead)          P06 waits on 0 (sam)       P07 nothing
    P08 waits on 0 (sam)             P09 peers on 1 (sam)       P10 money on 2 (superseded)
    P11 waits on 0 (alex)            P12 peers on 1 (sam)

Groups: disability no = P01-P07 (7), yes = P08-P12 (5); fee status home = P01-P05 and
P08-P10, international = P06, P07, P11; P12 has no fee status recorded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from analysis.cli_common import Context
from analysis.codebook import CodebookDraft, CodeSpec, save_codebook_version
from analysis.coding import apply_code
from analysis.errors import InvalidRequestError, NotFoundError, PermissionDeniedError
from analysis.intersect import (
    cell_quotes,
    code_cooccurrence,
    cooccurrence_frame,
    intersection_matrix,
    matrix_frame,
)
from analysis.intersect_cli import COMMANDS, matrix_command
from analysis.models import Project
from analysis.participants import ParticipantRecord
from analysis.storage import Store, now_utc
from analysis.study import open_study
from analysis.transcripts import UploadedFile, import_transcripts

USERS = {
    "lead": "project lead",
    "sam": "student researcher",
    "alex": "student researcher",
    "lee": "student researcher",
    "tester": "student researcher",
    "eve": "evaluator",
}
PLACES: tuple[str, ...] = ("library", "canteen", "garden", "gym", "lab", "studio")
PLACES += ("kitchen", "hall", "office", "cafe", "park", "station")
DISABILITY = ["no"] * 7 + ["yes"] * 5
FEES = ["home"] * 5 + ["international"] * 2 + ["home"] * 3 + ["international", ""]
# (participant number, code, coder, segments): one segment, or a span over two.
CODINGS: list[tuple[int, str, str, tuple[int, ...]]] = [
    (1, "waits", "sam", (0,)),
    (1, "waits", "sam", (1,)),
    (1, "waits", "sam", (2,)),
    (1, "peers", "sam", (0,)),
    (1, "money", "sam", (3,)),
    (2, "waits", "sam", (0,)),
    (2, "money", "sam", (0,)),
    (2, "money", "alex", (0,)),
    (3, "waits", "alex", (0,)),
    (4, "peers", "sam", (1, 2)),
    (4, "money", "lee", (2,)),
    (5, "support", "lead", (3,)),
    (6, "waits", "sam", (0,)),
    (8, "waits", "sam", (0,)),
    (9, "peers", "sam", (1,)),
    (10, "money", "sam", (2,)),
    (11, "waits", "alex", (0,)),
    (12, "peers", "sam", (1,)),
]
BY_BOTH = ["disability", "fee_status"]


def _transcript(place: str) -> bytes:
    return (
        "Interviewer: How was support this year?\n\n"
        "Participant: I waited a long time for an appointment. "
        "Talking with other students helped me a lot. Money was always tight for me. "
        f"I usually studied in the {place} alone.\n"
    ).encode()


def _build(store: Store) -> None:
    for name, role in USERS.items():
        store.upsert_user(name, role)
    project = store.get_or_create_project("test", "Test study")
    draft = CodebookDraft(
        "Pilot",
        "",
        (
            CodeSpec("support", "Support"),
            CodeSpec("waits", "Waiting", parent="support"),
            CodeSpec("peers", "Peers", parent="support"),
            CodeSpec("money", "Money"),
        ),
    )
    save_codebook_version(store, project.id, draft, actor="lead", note="start")
    records = [
        ParticipantRecord(
            f"P{n:02d}",
            (f"P{n:02d}.txt",),
            {"disability": DISABILITY[n - 1], **({"fee_status": fee} if fee else {})},
        )
        for n, fee in enumerate(FEES, start=1)
    ]
    files = [UploadedFile(f"P{n:02d}.txt", _transcript(p)) for n, p in enumerate(PLACES, 1)]
    imported = import_transcripts(store, project.id, files, actor="lead", participants=records)
    assert all(t.anonymisation_status == "cleared" for t in store.list_transcripts(project.id))
    for number, code, coder, parts in CODINGS:
        transcript_id = imported[number - 1].transcript_id
        segments = store.list_segments(transcript_id)
        assert len(segments) == 4
        coding = apply_code(
            store,
            code_key=code,
            coder=coder,
            transcript_id=transcript_id,
            start_char=segments[parts[0]].start_char,
            end_char=segments[parts[-1]].end_char,
        )
        assert (coding.segment_id is None) == (len(parts) > 1)
        if number == 10:
            _supersede(store, project.id, coding.id, coding.segment_id or 0)


def _supersede(store: Store, project_id: int, coding_id: int, segment_id: int) -> None:
    round_id = (
        store.db.table("reliability_rounds")
        .insert(
            {
                "project_id": project_id,
                "name": "pilot",
                "status": "closed",
                "opened_by": "lead",
                "opened_at": now_utc(),
            }
        )
        .last_pk
    )
    decision_id = (
        store.db.table("consensus_decisions")
        .insert(
            {
                "round_id": round_id,
                "segment_id": segment_id,
                "codes_json": "[]",
                "decided_by": "lead",
                "decided_at": now_utc(),
            }
        )
        .last_pk
    )
    store.db.table("codings").update(coding_id, {"superseded_by": decision_id})


def _add_themes(store: Store, project_id: int) -> dict[str, int]:
    ids = {}
    for name, status, keys in (
        ("Money worries", "agreed", ["money"]),
        ("Getting help", "draft", ["support"]),
    ):
        theme = {
            "project_id": project_id,
            "name": name,
            "status": status,
            "created_by": "lead",
            "created_at": now_utc(),
            "updated_at": now_utc(),
        }
        ids[name] = int(store.db.table("themes").insert(theme).last_pk or 0)
        for key in keys:
            store.db.table("theme_codes").insert({"theme_id": ids[name], "code_key": key})
    return ids


@pytest.fixture(scope="module")
def template() -> Iterator[Store]:
    built = Store.in_memory()
    _build(built)
    yield built
    built.close()


@pytest.fixture
def study(store: Store, project: Project, template: Store) -> tuple[Store, Project]:
    """The planted study, copied over the empty in-memory `store`."""
    template.db.conn.backup(store.db.conn)
    return store, project


def _col(values: dict[str, str | None], size: int | None) -> dict[str, Any]:
    return {"values": values, "group_size": size, "suppressed": size is None}


def _cells(*counts: int | None) -> list[dict[str, Any]]:
    return [{"participants": c, "suppressed": c is None} for c in counts]


def _counts(matrix_json: dict[str, Any]) -> dict[str, list[int | None]]:
    return {r["name"]: [c["participants"] for c in r["cells"]] for r in matrix_json["rows"]}


BY_DISABILITY_JSON = {
    "k": 5,
    "columns": [_col({"disability": "no"}, 7), _col({"disability": "yes"}, 5)],
    "rows": [
        {"name": "Support", "key": "support", "cells": _cells(1, 0)},
        {"name": "Waiting", "key": "waits", "cells": _cells(4, 2)},
        {"name": "Peers", "key": "peers", "cells": _cells(2, 2)},
        {"name": "Money", "key": "money", "cells": _cells(3, 0)},
    ],
}
BOTH_COLUMNS: list[tuple[dict[str, str | None], int]] = [
    ({"disability": "no", "fee_status": "home"}, 5),
    ({"disability": "no", "fee_status": "international"}, 2),
    ({"disability": "yes", "fee_status": "home"}, 3),
    ({"disability": "yes", "fee_status": "international"}, 1),
    ({"disability": "yes", "fee_status": None}, 1),
]
BY_BOTH_JSON = {
    "k": 5,
    "columns": [_col(values, size if size >= 5 else None) for values, size in BOTH_COLUMNS],
    "rows": [
        {"name": "Support", "key": "support", "cells": _cells(1, None, None, None, None)},
        {"name": "Waiting", "key": "waits", "cells": _cells(3, None, None, None, None)},
        {"name": "Peers", "key": "peers", "cells": _cells(2, None, None, None, None)},
        {"name": "Money", "key": "money", "cells": _cells(3, None, None, None, None)},
    ],
}


# -- the matrix ------------------------------------------------------------------------------


def test_one_attribute_matrix_counts_participants(study: tuple[Store, Project]) -> None:
    store, project = study
    matrix = intersection_matrix(store, project.id, rows="codes", by=["disability"], actor="sam")
    assert matrix.as_json() == BY_DISABILITY_JSON
    # P01 was coded 'waits' three times and counts once: 6 codings, 4 participants.
    no_group = {p.id for p in store.list_participants(project.id) if p.pseudonym <= "P07"}
    waits = store.list_codings(
        project_id=project.id, code_keys=["waits"], participant_ids=sorted(no_group)
    )
    assert len(waits) == 6 and matrix.rows[1].cells[0].participants == 4


def test_two_attribute_matrix_suppresses_small_groups(study: tuple[Store, Project]) -> None:
    store, project = study
    matrix = intersection_matrix(store, project.id, rows="codes", by=BY_BOTH, actor="lead")
    assert matrix.as_json() == BY_BOTH_JSON
    assert [c.label for c in matrix.columns][-1] == "disability=yes · fee_status=not recorded"
    # The same matrix for an evaluator: the same suppressed counts.
    evaluator = intersection_matrix(store, project.id, rows="codes", by=BY_BOTH, actor="eve")
    assert evaluator.as_json() == BY_BOTH_JSON


def test_k_override_and_project_setting(study: tuple[Store, Project]) -> None:
    store, project = study
    everyone = intersection_matrix(store, project.id, rows="codes", by=BY_BOTH, actor="lead", k=1)
    assert everyone.k == 1
    assert [c["group_size"] for c in everyone.as_json()["columns"]] == [5, 2, 3, 1, 1]
    assert _counts(everyone.as_json()) == {
        "Support": [1, 0, 0, 0, 0],
        "Waiting": [3, 1, 1, 1, 0],
        "Peers": [2, 0, 1, 0, 1],
        "Money": [3, 0, 0, 0, 0],
    }
    store.db.table("projects").update(project.id, {"min_cell_size": 6})
    stricter = intersection_matrix(store, project.id, rows="codes", by=["disability"], actor="sam")
    assert stricter.k == 6
    assert stricter.as_json()["columns"] == [
        _col({"disability": "no"}, 7),
        _col({"disability": "yes"}, None),
    ]
    assert _counts(stricter.as_json())["Waiting"] == [4, None]
    # Raising k is anyone's; lowering it below the project's setting is a lead's.
    higher = intersection_matrix(
        store, project.id, rows="codes", by=["disability"], actor="eve", k=8
    )
    assert all(c.suppressed for c in higher.columns)
    for actor in ("sam", "eve"):
        with pytest.raises(PermissionDeniedError, match="below the project's 6"):
            intersection_matrix(store, project.id, rows="codes", by=BY_BOTH, actor=actor, k=5)
    lower = intersection_matrix(
        store, project.id, rows="codes", by=["disability"], actor="lead", k=5
    )
    assert lower.as_json() == BY_DISABILITY_JSON


def test_superseded_codings_are_not_counted(study: tuple[Store, Project]) -> None:
    store, project = study
    before = intersection_matrix(store, project.id, rows="codes", by=BY_BOTH, actor="lead", k=1)
    assert _counts(before.as_json())["Money"][2] == 0  # P10, disabled home student
    store.db.execute("UPDATE codings SET superseded_by = NULL")
    after = intersection_matrix(store, project.id, rows="codes", by=BY_BOTH, actor="lead", k=1)
    assert _counts(after.as_json())["Money"][2] == 1


def test_theme_rows_count_sub_codes_and_hide_drafts_from_evaluators(
    study: tuple[Store, Project],
) -> None:
    store, project = study
    ids = _add_themes(store, project.id)
    lead = intersection_matrix(store, project.id, rows="themes", by=["disability"], actor="lead")
    # 'Getting help' rests on the parent code: P01-P04, P06, P08, P09, P11, P12 were coded
    # only with its sub-codes and count; P05 with the parent itself.
    assert lead.as_json()["rows"] == [
        {"name": "Getting help", "id": ids["Getting help"], "cells": _cells(6, 4)},
        {"name": "Money worries", "id": ids["Money worries"], "cells": _cells(3, 0)},
    ]
    evaluator = intersection_matrix(store, project.id, rows="themes", by=BY_BOTH, actor="eve")
    assert [r.name for r in evaluator.rows] == ["Money worries"]
    assert _counts(evaluator.as_json()) == {"Money worries": [3, None, None, None, None]}


def test_matrix_frame_marks_suppressed_cells(study: tuple[Store, Project]) -> None:
    store, project = study
    matrix = intersection_matrix(store, project.id, rows="codes", by=BY_BOTH, actor="lead")
    frame = matrix_frame(matrix)
    assert list(frame.index) == ["group size", "Support", "Waiting", "Peers", "Money"]
    assert frame.columns[0] == "disability=no · fee_status=home"
    assert frame.loc["group size"].tolist() == [5, *["suppressed (<5)"] * 4]
    assert frame.loc["Waiting"].tolist() == [3, *["suppressed (<5)"] * 4]


def test_bad_requests_are_refused(study: tuple[Store, Project]) -> None:
    store, project = study
    ask: dict[str, Any] = {"rows": "codes", "actor": "lead"}
    with pytest.raises(InvalidRequestError, match="'religion'; known attributes: disability, fee"):
        intersection_matrix(store, project.id, by=["disability", "religion"], **ask)
    with pytest.raises(InvalidRequestError, match="one to 3 participant attributes, not 4"):
        intersection_matrix(store, project.id, by=[*BY_BOTH, "a", "b"], **ask)
    with pytest.raises(InvalidRequestError, match="not 0"):
        intersection_matrix(store, project.id, by=[], **ask)
    with pytest.raises(InvalidRequestError, match="k must be"):
        intersection_matrix(store, project.id, by=["disability"], k=0, **ask)
    with pytest.raises(InvalidRequestError, match="rows must be"):
        intersection_matrix(store, project.id, rows="topics", by=["disability"], actor="lead")
    # Names are normalised like a participants file's columns.
    assert intersection_matrix(store, project.id, by=["Fee Status "], **ask).attributes == (
        "fee_status",
    )
    store.update_user(store.get_user("eve").id, {"active": 0})  # type: ignore[union-attr]
    with pytest.raises(PermissionDeniedError, match="deactivated"):
        intersection_matrix(store, project.id, rows="codes", by=["disability"], actor="eve")
    with pytest.raises(PermissionDeniedError, match="not an account"):
        intersection_matrix(store, project.id, rows="codes", by=["disability"], actor="nobody")


# -- quotes behind a cell --------------------------------------------------------------------


def test_cell_quotes_respect_roles_and_small_cells(study: tuple[Store, Project]) -> None:
    store, project = study
    small = {"disability": "yes", "fee_status": "international"}  # P11 alone
    [quote] = cell_quotes(
        store, project.id, rows="codes", row_key="waits", values=small, actor="lead"
    )
    assert (quote.participant, quote.source_name) == ("P11", "P11.txt")
    assert quote.coding.text == "I waited a long time for an appointment."
    with pytest.raises(PermissionDeniedError, match="below the suppression threshold"):
        cell_quotes(store, project.id, rows="codes", row_key="waits", values=small, actor="sam")
    with pytest.raises(PermissionDeniedError, match="see codings"):
        cell_quotes(store, project.id, rows="codes", row_key="waits", values=small, actor="eve")
    big = {"disability": "no", "fee_status": "home"}
    with pytest.raises(PermissionDeniedError, match="see codings"):
        cell_quotes(store, project.id, rows="codes", row_key="waits", values=big, actor="eve")
    quotes = cell_quotes(store, project.id, rows="codes", row_key="waits", values=big, actor="sam")
    assert [q.participant for q in quotes] == ["P01", "P01", "P01", "P02", "P03"]
    with pytest.raises(NotFoundError, match="no code 'nope'"):
        cell_quotes(store, project.id, rows="codes", row_key="nope", values=big, actor="sam")


def test_cell_quotes_of_a_theme(study: tuple[Store, Project]) -> None:
    store, project = study
    ids = _add_themes(store, project.id)
    quotes = cell_quotes(
        store,
        project.id,
        rows="themes",
        row_key=ids["Getting help"],
        values={"disability": "no"},
        actor="lead",
    )
    assert sorted((q.participant, q.coding.code_key) for q in quotes) == [
        ("P01", "peers"),
        ("P01", "waits"),
        ("P01", "waits"),
        ("P01", "waits"),
        ("P02", "waits"),
        ("P03", "waits"),
        ("P04", "peers"),
        ("P05", "support"),
        ("P06", "waits"),
    ]


def test_cell_quotes_stay_blind_in_an_open_round(study: tuple[Store, Project]) -> None:
    store, project = study
    p01 = next(t for t in store.list_transcripts(project.id) if t.source_name == "P01.txt")
    round_id = (
        store.db.table("reliability_rounds")
        .insert(
            {"project_id": project.id, "name": "blind", "opened_by": "lead", "opened_at": now_utc()}
        )
        .last_pk
    )
    store.db.table("round_transcripts").insert({"round_id": round_id, "transcript_id": p01.id})
    values = {"disability": "no", "fee_status": "home"}
    seen = cell_quotes(
        store, project.id, rows="codes", row_key="waits", values=values, actor="alex"
    )
    assert [q.participant for q in seen] == ["P02", "P03"]


# -- co-occurrence ---------------------------------------------------------------------------


def test_code_cooccurrence_by_segment_and_participant(study: tuple[Store, Project]) -> None:
    store, project = study
    by_segment = code_cooccurrence(store, project.id, level="segment", actor="sam")
    assert by_segment.keys == ("support", "waits", "peers", "money")
    # The peers span over P04's segments 1-2 meets lee's money on segment 2.
    assert by_segment.counts == (
        (1, 0, 0, 0),
        (0, 8, 1, 1),
        (0, 1, 5, 1),
        (0, 1, 1, 3),
    )
    by_participant = code_cooccurrence(store, project.id, level="participant", actor="lead")
    assert by_participant.counts == (
        (1, 0, 0, 0),
        (0, 6, 1, 2),
        (0, 1, 4, 2),
        (0, 2, 2, 3),
    )
    assert by_participant.count("money", "peers") == 2
    assert cooccurrence_frame(by_participant).loc["Waiting", "Money"] == 2
    assert by_segment.as_json()["codes"][1] == {"key": "waits", "name": "Waiting"}
    with pytest.raises(PermissionDeniedError, match="see codings"):
        code_cooccurrence(store, project.id, level="segment", actor="eve")
    with pytest.raises(InvalidRequestError, match="level must be"):
        code_cooccurrence(store, project.id, level="transcript", actor="lead")


# -- the command line ------------------------------------------------------------------------


@pytest.fixture
def study_file(template: Store, tmp_path: Path) -> Path:
    path = tmp_path / "s.db"
    template.copy_to(path)
    opened, _ = open_study(path)  # brings it to WAL and checks it opens as a study
    opened.upsert_user("cli-reader", "evaluator")
    opened.close()
    return path


def test_cli_matrix_json_is_the_contract(study_file: Path) -> None:
    runner = CliRunner()
    default_user = Context(str(study_file), None)  # the command line's own lead account
    args = ["--rows", "codes", "--by", "disability, fee_status", "--json"]
    result = runner.invoke(matrix_command, args, obj=default_user)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == BY_BOTH_JSON
    result = runner.invoke(matrix_command, [*args, "--k", "1"], obj=default_user)
    assert json.loads(result.stdout)["k"] == 1
    assert [c["group_size"] for c in json.loads(result.stdout)["columns"]] == [5, 2, 3, 1, 1]
    evaluator = Context(str(study_file), "cli-reader")
    result = runner.invoke(
        matrix_command, ["--rows", "codes", "--by", "disability", "--json"], obj=evaluator
    )
    assert json.loads(result.stdout) == BY_DISABILITY_JSON
    assert len(COMMANDS) == 1 and COMMANDS[0] is matrix_command and matrix_command.help


def test_cli_matrix_text_and_errors(study_file: Path) -> None:
    runner = CliRunner()
    context = Context(str(study_file), "lead")
    result = runner.invoke(
        matrix_command, ["--rows", "codes", "--by", BY_BOTH[0] + "," + BY_BOTH[1]], obj=context
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "fewer than 5 participants are suppressed" in lines[0]
    assert "disability=yes · fee_status=not recorded" in lines[2]
    assert lines[4].startswith("group size") and "suppressed (<5)" in lines[4]
    assert [cell.strip() for cell in lines[6].split("|")][:3] == ["Waiting", "3", "suppressed (<5)"]
    result = runner.invoke(matrix_command, ["--rows", "codes", "--by", "religion"], obj=context)
    assert result.exit_code == 1 and isinstance(result.exception, InvalidRequestError)
    result = runner.invoke(matrix_command, ["--rows", "topics", "--by", "disability"], obj=context)
    assert result.exit_code == 2 and "topics" in result.output
