"""Codebook files, validation, versions and edits."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.codebook import (
    CodebookDraft,
    CodeSpec,
    code_to_spec,
    code_tree,
    codebook_to_csv,
    codebook_to_yaml,
    current_codebook,
    diff_codebooks,
    export_codebook,
    parse_codebook,
    read_codebook_file,
    remove_code,
    save_code,
    save_codebook_version,
)
from analysis.errors import InputFileError, InvalidRequestError
from analysis.models import Project
from analysis.storage import Store

STARTER = Path(__file__).resolve().parent.parent / "codebooks" / "starter.yaml"


def test_starter_codebook_has_themes_and_codes_with_every_field() -> None:
    draft = read_codebook_file(STARTER)
    parents = [c for c in draft.codes if c.parent is None]
    children = [c for c in draft.codes if c.parent is not None]
    assert 6 <= len(parents) <= 10
    assert 25 <= len(children) <= 40
    for spec in draft.codes:
        assert spec.name and spec.definition and spec.include and spec.exclude and spec.example, (
            spec.key
        )


@pytest.mark.parametrize("render,suffix", [(codebook_to_yaml, ".yaml"), (codebook_to_csv, ".csv")])
def test_yaml_and_csv_round_trip_lose_nothing(render, suffix: str) -> None:  # type: ignore[no-untyped-def]
    draft = read_codebook_file(STARTER)
    text = render(draft.name, draft.codes) if suffix == ".yaml" else render(draft.codes)
    again = parse_codebook(f"again{suffix}", text.encode("utf-8"))
    assert again.codes == draft.codes


def test_csv_with_aliases_and_missing_keys_gets_slugs() -> None:
    data = b"name,parent,when_to_use\nAccess & waiting,,first contact\nGP waits,access-waiting,GP\n"
    draft = parse_codebook("codes.csv", data)
    assert [(c.key, c.parent, c.include) for c in draft.codes] == [
        ("access-waiting", None, "first contact"),
        ("gp-waits", "access-waiting", "GP"),
    ]


@pytest.mark.parametrize(
    "data,problem",
    [
        (b"codes:\n  - name: A\n  - name: A\n", "used twice"),
        (b"codes:\n  - name: A\n    parent: nowhere\n", "unknown parent"),
        (
            b"codes:\n  - key: a\n    name: A\n    parent: b\n  - key: b\n    name: B\n    parent: a\n",
            "own ancestor",
        ),
        (b"codes: [\n", "not valid YAML"),
        (b"name: only a name\n", "'codes'"),
        (b"codes:\n  - key: Bad Key\n    name: A\n", "lowercase"),
        (b"", "empty"),
    ],
)
def test_invalid_codebooks_are_refused_with_the_file_named(data: bytes, problem: str) -> None:
    with pytest.raises(InputFileError, match=problem) as caught:
        parse_codebook("team-codes.yaml", data)
    assert "team-codes.yaml" in str(caught.value)


def test_unknown_codebook_type_is_refused() -> None:
    with pytest.raises(InputFileError, match="unsupported"):
        parse_codebook("codes.docx", b"x")


def test_each_edit_is_a_new_version_and_old_versions_stay(store: Store, project: Project) -> None:
    draft = CodebookDraft(
        "Pilot", "", (CodeSpec("access", "Access"), CodeSpec("waits", "Waits", parent="access"))
    )
    first = save_codebook_version(store, project.id, draft, actor="lead", note="start")
    second = save_code(
        store, project.id, CodeSpec("waits", "Waiting times", parent="access"), actor="lead"
    )
    third = save_code(store, project.id, CodeSpec("crisis", "Crisis"), actor="lead")
    fourth = remove_code(store, project.id, "crisis", actor="lead")
    assert [first.version, second.version, third.version, fourth.version] == [1, 2, 3, 4]
    old = store.list_codes(first.id)
    new = store.list_codes(second.id)
    assert [c.name for c in old if c.key == "waits"] == ["Waits"]
    assert diff_codebooks(old, new) == {"added": [], "removed": [], "changed": ["waits"]}
    assert diff_codebooks(new, store.list_codes(third.id))["added"] == ["crisis"]
    actions = [e.action for e in store.audit_entries(table="codebook_versions")]
    assert actions.count("new codebook version") == 4
    assert all(e.actor == "lead" for e in store.audit_entries(table="codebook_versions"))


def test_removing_a_code_with_children_is_refused(store: Store, project: Project) -> None:
    draft = CodebookDraft(
        "Pilot", "", (CodeSpec("access", "Access"), CodeSpec("waits", "Waits", parent="access"))
    )
    save_codebook_version(store, project.id, draft, actor="lead", note="start")
    with pytest.raises(InvalidRequestError, match="child codes"):
        remove_code(store, project.id, "access", actor="lead")
    version, _ = current_codebook(store, project.id)
    assert version is not None and version.version == 1


def test_code_tree_orders_parents_before_children(store: Store, project: Project) -> None:
    save_codebook_version(
        store, project.id, read_codebook_file(STARTER), actor="lead", note="start"
    )
    _, codes = current_codebook(store, project.id)
    seen: set[str] = set()
    for code, depth in code_tree(codes):
        assert (depth == 0) == (code.parent_key is None)
        assert code.parent_key is None or code.parent_key in seen
        seen.add(code.key)
    assert len(seen) == len(codes)


def test_export_then_import_gives_the_same_codes(
    store: Store, project: Project, tmp_path: Path
) -> None:
    save_codebook_version(
        store, project.id, read_codebook_file(STARTER), actor="lead", note="start"
    )
    for suffix in (".yaml", ".csv"):
        target = tmp_path / f"out{suffix}"
        count = export_codebook(store, project.id, target)
        _, codes = current_codebook(store, project.id)
        assert count == len(codes)
        assert read_codebook_file(target).codes == tuple(code_to_spec(c) for c in codes)
