"""Topic runs: plumbing with seeded synthetic embeddings, and one run of the real model."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from analysis.codebook import CodebookDraft, CodeSpec, current_codebook, save_codebook_version
from analysis.embed import participant_segments
from analysis.errors import InvalidRequestError, NotFoundError
from analysis.models import Project
from analysis.storage import Store
from analysis.study import open_study
from analysis.topic_pipeline import adapt_params
from analysis.topics import (
    OUTLIER,
    fit_topics,
    latest_topic_run,
    list_topic_runs,
    propose_topic_as_code,
    topic_map,
    topic_overview,
    topic_participant_matrix,
    update_topics,
)
from analysis.transcripts import UploadedFile, import_transcripts
from tests.conftest import TEST_USERS

THEMES = {
    "waiting": ["waiting", "list", "weeks", "appointment", "referral", "queue", "months", "triage"],
    "money": ["money", "rent", "loan", "bills", "job", "shifts", "overdraft", "cost"],
    "exams": [
        "exams",
        "deadlines",
        "essays",
        "revision",
        "marks",
        "coursework",
        "resits",
        "grades",
    ],
    "pets": ["cat", "dog", "hamster", "walks", "fur", "pet", "vet", "cuddles"],  # no code: emergent
}
OPENERS = ("Honestly", "Mostly", "Back then", "In first year", "Every week", "At the time")
DIM = 32


class FakeEmbedder:
    """Deterministic unit vectors: the centre of the theme whose words the text uses most,
    plus noise seeded by the text, so texts of one theme cluster."""

    name = "fake-clustered-v1"

    def __init__(self) -> None:
        self.centres = np.random.default_rng(0).normal(size=(len(THEMES), DIM))
        self.calls = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += len(texts)
        rows = []
        for text in texts:
            words = text.lower().replace(".", " ").replace(",", " ").split()
            counts = [sum(w in vocab for w in words) for vocab in THEMES.values()]
            seed = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)
            noise = np.random.default_rng(seed).normal(size=DIM)
            vector = self.centres[int(np.argmax(counts))] + 0.35 * noise
            rows.append(vector / np.linalg.norm(vector))
        return np.asarray(rows, dtype=np.float32)


def _sentence(theme: str, rng: random.Random) -> str:
    first, second = rng.sample(THEMES[theme], 2)
    return f"{rng.choice(OPENERS)}, the {first} and the {second} were on my mind a lot."


def _transcript(themes: Sequence[str], per_theme: int, seed: int) -> bytes:
    rng = random.Random(seed)
    turns = []
    for theme in themes:
        turns.append("Interviewer: Could you tell me about the support you had then?")
        answer = " ".join(_sentence(theme, rng) for _ in range(per_theme))
        turns.append(f"Participant: {answer}")
    return ("\n\n".join(turns) + "\n").encode()


def _import(store: Store, project: Project, name: str, data: bytes) -> int:
    [result] = import_transcripts(store, project.id, [UploadedFile(name, data)], actor="lead")
    return result.transcript_id


@pytest.fixture
def study(tmp_path: Path) -> tuple[Store, Project]:
    """A study file with four cleared interviews over four themes, one interview still
    needing review, and a codebook covering three of the themes."""
    store, project = open_study(tmp_path / "study.db")
    for name, role in TEST_USERS.items():
        store.upsert_user(name, role)
    for number in range(4):
        data = _transcript(list(THEMES), per_theme=10, seed=number)
        _import(store, project, f"P{number + 1}.txt", data)
    pending = _import(
        store,
        project,
        "P9.txt",
        b"Interviewer: Anything else?\n\nParticipant: Ring me on 07700 900123 about the rent money.\n",
    )
    assert store.get_transcript(pending).anonymisation_status == "needs review"
    codes = (
        CodeSpec("waiting-times", "Waiting times", "Waiting list weeks before an appointment."),
        CodeSpec("money-worries", "Money worries", "Rent, bills, loan and money stress."),
        CodeSpec("exam-pressure", "Exam pressure", "Exams, deadlines, essays and revision."),
    )
    save_codebook_version(
        store, project.id, CodebookDraft("Test", "", codes), actor="lead", note="start"
    )
    yield store, project
    store.close()


def _assignments(store: Store, run_id: int) -> list[tuple[int, int]]:
    return [(r["segment_id"], r["topic_num"]) for r in store.list_segment_topics(run_id)]


def test_params_adapt_to_corpus_size() -> None:
    pilot, large, huge = adapt_params(300), adapt_params(5000), adapt_params(20000)
    assert (pilot.min_cluster_size, pilot.n_neighbors, pilot.min_df) == (5, 15, 1)
    assert (large.min_cluster_size, large.min_df) == (50, 2)
    assert huge.min_cluster_size == 100
    assert adapt_params(40).n_neighbors == 4


def test_fit_stores_run_topics_and_every_participant_segment(study: tuple[Store, Project]) -> None:
    store, project = study
    steps: list[tuple[str, float]] = []
    run = fit_topics(
        store,
        project.id,
        embedder=FakeEmbedder(),
        actor="lead",
        progress=lambda stage, done: steps.append((stage, done)),
    )
    eligible = participant_segments(store, project.id)
    assert len(eligible) == run.segment_count == 160
    assigned = _assignments(store, run.run_id)
    assert sorted(s for s, _ in assigned) == sorted(s.id for s in eligible)
    assert len(run.topics) == 4
    assert sum(t.size for t in run.topics) + run.outliers == 160
    stored = store.list_topic_runs(project.id)[0]
    assert stored["params"]["pipeline"] == run.pipeline == "topics.default.v1"
    assert stored["params"]["min_cluster_size"] == 5
    assert (stored["seed"], stored["embedding_model"]) == (42, "fake-clustered-v1")
    assert len(stored["corpus_hash"]) == 64
    assert run.model_path is not None
    model_dir = Path(run.model_path)
    assert model_dir == store.path.parent / "topic_models" / "study" / f"run_{run.run_id}"
    assert (model_dir / "model.pickle").exists()
    assert steps[-1] == ("Done: 4 topics", 1.0)
    assert [f for _, f in steps] == sorted(f for _, f in steps)
    assert store.audit_entries(table="topic_runs")[0].action == "fit topics"
    assert list_topic_runs(store, project.id)[0]["segment_count"] == 160


def test_same_inputs_and_seed_give_identical_topics(study: tuple[Store, Project]) -> None:
    store, project = study
    embedder = FakeEmbedder()
    first = fit_topics(store, project.id, embedder=embedder, actor="lead", seed=7)
    calls = embedder.calls
    second = fit_topics(store, project.id, embedder=embedder, actor="lead", seed=7)
    assert embedder.calls == calls  # the second run embeds nothing: all cached
    assert _assignments(store, first.run_id) == _assignments(store, second.run_id)
    assert [(t.keywords, t.size, t.code_key) for t in first.topics] == [
        (t.keywords, t.size, t.code_key) for t in second.topics
    ]
    assert first.corpus_hash == second.corpus_hash


def test_topics_match_codes_or_are_emergent_with_quotes(study: tuple[Store, Project]) -> None:
    store, project = study
    run = fit_topics(store, project.id, embedder=FakeEmbedder(), actor="lead")
    matched = {t.code_key for t in run.topics if not t.is_emergent}
    assert matched == {"waiting-times", "money-worries", "exam-pressure"}
    [pets] = run.emergent
    assert set(pets.keywords[:5]) <= set(THEMES["pets"])
    assert pets.score is None and pets.code_name is None
    assert 3 <= len(pets.quotes) <= 5
    texts = {s.id: s.text for s in participant_segments(store, project.id)}
    assert all(texts[q.segment_id] == q.text for q in pets.quotes)
    waiting = next(t for t in run.topics if t.code_key == "waiting-times")
    assert waiting.code_name == "Waiting times" and waiting.score is not None
    assert waiting.score >= 0.4
    assert latest_topic_run(store, project.id) == topic_overview(store, run.run_id)


def test_propose_emergent_topic_as_code(study: tuple[Store, Project]) -> None:
    store, project = study
    run = fit_topics(store, project.id, embedder=FakeEmbedder(), actor="lead")
    [pets] = run.emergent
    spec = propose_topic_as_code(
        store, project.id, run.run_id, pets.topic_num, actor="sam", name="Pets and care"
    )
    assert spec.key == "pets-and-care"
    version, codes = current_codebook(store, project.id)
    assert version is not None and version.version == 2
    code = next(c for c in codes if c.key == "pets-and-care")
    assert code.status == "proposed"
    assert code.example == pets.quotes[0].text
    assert topic_overview(store, run.run_id).emergent[0].proposed_as == "pets-and-care"
    with pytest.raises(InvalidRequestError, match="already proposed"):
        propose_topic_as_code(store, project.id, run.run_id, pets.topic_num, actor="sam")
    matched = next(t for t in run.topics if not t.is_emergent)
    with pytest.raises(InvalidRequestError, match="already matches"):
        propose_topic_as_code(store, project.id, run.run_id, matched.topic_num, actor="sam")
    with pytest.raises(NotFoundError):
        propose_topic_as_code(store, project.id, run.run_id, 99, actor="sam")
    # A new run finds the proposed code: the pets topic is no longer emergent.
    again = fit_topics(store, project.id, embedder=FakeEmbedder(), actor="lead")
    assert {t.code_key for t in again.topics} >= {"pets-and-care"}


def test_default_proposal_name_comes_from_keywords(study: tuple[Store, Project]) -> None:
    store, project = study
    run = fit_topics(store, project.id, embedder=FakeEmbedder(), actor="lead")
    [pets] = run.emergent
    spec = propose_topic_as_code(store, project.id, run.run_id, pets.topic_num, actor="sam")
    assert spec.name.startswith("Emergent: ") and spec.status == "proposed"
    assert pets.keywords[0] in spec.name


def test_warm_pass_places_only_new_segments_without_refitting(
    study: tuple[Store, Project],
) -> None:
    store, project = study
    embedder = FakeEmbedder()
    run = fit_topics(store, project.id, embedder=embedder, actor="lead")
    model_file = Path(run.model_path or "") / "model.pickle"
    fitted_at = model_file.stat().st_mtime_ns
    known = {s.text for s in participant_segments(store, project.id)}
    added = _import(store, project, "P5.txt", _transcript(["pets", "money"], per_theme=6, seed=50))
    fresh = {s.text for s in participant_segments(store, project.id)} - known
    before = embedder.calls
    updated = update_topics(store, project.id, run.run_id, embedder=embedder, actor="lead")
    assert updated.placed == 12
    assert embedder.calls - before == len(fresh)  # only new texts were embedded
    assert model_file.stat().st_mtime_ns == fitted_at
    new_ids = {s.id for s in store.list_segments(added)}
    placed = {s: t for s, t in _assignments(store, run.run_id) if s in new_ids}
    assert len(placed) == 12
    pets = next(t for t in updated.topics if t.is_emergent)
    assert Counter(placed.values())[pets.topic_num] >= 5
    assert sum(t.size for t in updated.topics) + updated.outliers == 172
    points = topic_map(store, run.run_id)
    assert len(points) == 172 and points.attrs["projection"] == "topic space"
    assert points[points.segment_id.isin(new_ids)][["x", "y"]].notna().all().all()
    assert update_topics(store, project.id, run.run_id, embedder=embedder, actor="lead").placed == 0


def test_warm_pass_needs_the_saved_model(study: tuple[Store, Project]) -> None:
    store, project = study
    run = fit_topics(store, project.id, embedder=FakeEmbedder(), actor="lead")
    for path in Path(run.model_path or "").iterdir():
        path.unlink()
    with pytest.raises(NotFoundError, match="saved model"):
        update_topics(store, project.id, run.run_id, embedder=FakeEmbedder(), actor="lead")
    with pytest.raises(NotFoundError):
        update_topics(store, project.id, 999, embedder=FakeEmbedder(), actor="lead")


def test_map_and_participant_matrix(study: tuple[Store, Project]) -> None:
    store, project = study
    run = fit_topics(store, project.id, embedder=FakeEmbedder(), actor="lead")
    points = topic_map(store, run.run_id)
    assert len(points) == 160
    assert set(points.columns) >= {"segment_id", "x", "y", "topic", "label", "participant"}
    assert points.attrs["projection"] == "topic space"  # the fit's reduced space, saved
    assert points.equals(topic_map(store, run.run_id))
    sample = topic_map(store, run.run_id, limit=40)
    assert 30 <= len(sample) <= 50 and sample.attrs["assigned"] == 160
    assert set(sample.segment_id) < set(points.segment_id)
    assert set(sample.topic) == set(points.topic)  # every topic keeps a point
    full = points.set_index("segment_id")
    assert (
        (
            sample.set_index("segment_id")[["x", "y", "text"]]
            == full.loc[sample.segment_id, ["x", "y", "text"]]
        )
        .all()
        .all()
    )
    assert sample.equals(topic_map(store, run.run_id, limit=40))
    (Path(run.model_path or "") / "map.npz").unlink()
    fallback = topic_map(store, run.run_id)
    assert fallback.attrs["projection"] == "pca" and len(fallback) == 160
    matrix = topic_participant_matrix(store, run.run_id)
    assert sorted(matrix.columns) == ["P1", "P2", "P3", "P4"]
    assert OUTLIER not in matrix.index
    assert int(matrix.to_numpy().sum()) == sum(t.size for t in run.topics)


def test_too_few_segments_are_refused(store: Store, project: Project) -> None:
    with pytest.raises(InvalidRequestError, match="at least 30 participant segments"):
        fit_topics(store, project.id, embedder=FakeEmbedder(), actor="lead")
    with pytest.raises(NotFoundError, match="no topic pipeline named"):
        fit_topics(store, project.id, embedder=FakeEmbedder(), actor="lead", pipeline="x.v0")


def test_in_memory_study_saves_its_model_in_a_temporary_folder(
    store: Store, project: Project
) -> None:
    _import(store, project, "P1.txt", _transcript(list(THEMES), per_theme=10, seed=1))
    run = fit_topics(store, project.id, embedder=FakeEmbedder(), actor="lead")
    assert run.model_path is not None and (Path(run.model_path) / "model.pickle").exists()
    shutil.rmtree(Path(run.model_path).parent)


@pytest.mark.slow
def test_real_model_on_the_demo_study(demo_db: Path) -> None:
    """all-MiniLM-L6-v2 and BERTopic on the demo's cleared interviews (~700 segments)."""
    from analysis.embed import load_embedder

    store, project = open_study(demo_db)
    try:
        cleared = {
            t.id for t in store.list_transcripts(project.id) if t.anonymisation_status == "cleared"
        }
        run = fit_topics(store, project.id, embedder=load_embedder(), actor="lead")
        assert 5 <= len(run.topics) <= 60
        assert run.emergent and len(run.emergent) < len(run.topics)
        assert all(3 <= len(t.quotes) <= 5 for t in run.topics)
        assert all(q.transcript_id in cleared for t in run.topics for q in t.quotes)
        codes = {c.key for c in current_codebook(store, project.id)[1]}
        assert {t.code_key for t in run.topics if t.code_key} <= codes
        again = fit_topics(store, project.id, embedder=load_embedder(), actor="lead")
        assert _assignments(store, run.run_id) == _assignments(store, again.run_id)
    finally:
        store.close()


def test_cli_topics_json_and_update(
    study: tuple[Store, Project], monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    import analysis.embed
    from analysis.cli import Context
    from analysis.topics_cli import topics_command

    store, _ = study
    monkeypatch.setattr(analysis.embed, "load_embedder", FakeEmbedder)
    context = Context(str(store.path), "sam")
    result = CliRunner().invoke(topics_command, ["--json", "--seed", "3"], obj=context)
    assert result.exit_code == 0, result.output
    topics = json.loads(result.stdout)
    assert len(topics) == 4
    assert set(topics[0]) == {"topic", "size", "keywords", "code", "score", "quotes"}
    assert sorted(t["code"] or "emergent" for t in topics) == [
        "emergent",
        "exam-pressure",
        "money-worries",
        "waiting-times",
    ]
    assert all(3 <= len(t["quotes"]) <= 5 for t in topics)
    assert "Finding topics" in result.stderr
    assert store.list_topic_runs(1)[0]["seed"] == 3
    text = CliRunner().invoke(topics_command, ["--update"], obj=context)
    assert text.exit_code == 0, text.output
    assert "emergent" in text.stdout and "topic run 1 " in text.stdout
    assert len(store.list_topic_runs(1)) == 1  # --update placed, did not refit
    assert topics_command.help


@pytest.mark.slow
def test_topics_page_runs_and_proposes_on_the_demo_study(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    from analysis.accounts import sign_in
    from analysis.demo import DEMO_PASSWORD
    from app_pages._cache import SESSION_KEY

    monkeypatch.setenv("STUDY_DB", str(demo_db))
    page = Path(__file__).resolve().parent.parent / "app_pages" / "topics.py"
    at = AppTest.from_file(str(page), default_timeout=120)
    store = Store.open(demo_db)
    at.session_state[SESSION_KEY] = sign_in(store, "sam.coder", DEMO_PASSWORD).token
    store.close()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("No topic runs yet" in i.value for i in at.info)
    at.button(key="topics_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="topics_run_pick").value == 1
    assert sum("Text alternative" in c.value for c in at.caption) == 2
    propose = next(b for b in at.button if (b.key or "").startswith("topics_propose_1_"))
    topic_num = int(propose.key.rsplit("_", 1)[1])
    at.text_input(key=f"topics_name_1_{topic_num}").input("Small talk")
    propose.click().run()
    assert not at.exception, [e.value for e in at.exception]
    store = Store.open(demo_db)
    try:
        _, codes = current_codebook(store, 1)
        assert any(c.key == "small-talk" and c.status == "proposed" for c in codes)
    finally:
        store.close()


def test_bulk_reads_of_a_run_say_what_its_rows_say(
    study: tuple[Store, Project], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The map, the topics x participants table and the segment count read in bulk (fast
    at 85k segments); they must agree with the run's rows read one by one."""
    import pandas as pd

    from analysis.embed import count_participant_segments, text_hash
    from analysis.storage import analysis_tables

    store, project = study
    run = fit_topics(store, project.id, embedder=FakeEmbedder(), actor="lead")
    rows = store.list_topic_segments(run.run_id)
    points = topic_map(store, run.run_id)
    assert list(points.segment_id) == [r["segment_id"] for r in rows]
    assert list(points.text) == [r["text"] for r in rows]
    assert list(points.participant) == [r["participant"] for r in rows]
    assigned = pd.DataFrame([r for r in rows if r["topic_num"] != OUTLIER])
    expected = pd.crosstab(assigned["topic_num"], assigned["participant"])
    matrix = topic_participant_matrix(store, run.run_id)
    assert matrix.to_numpy().tolist() == expected.to_numpy().tolist()
    assert (list(matrix.index), list(matrix.columns)) == (
        list(expected.index),
        list(expected.columns),
    )
    assert count_participant_segments(store, project.id) == len(
        participant_segments(store, project.id)
    )
    hashes = [text_hash(r["text"]) for r in rows]
    one_by_one = set(store.cached_embeddings(FakeEmbedder.name, hashes))
    assert store.embedded_hashes(FakeEmbedder.name, hashes) == one_by_one
    monkeypatch.setattr(analysis_tables, "SCAN_ALL_HASHES_ABOVE", 0)
    assert store.embedded_hashes(FakeEmbedder.name, hashes[:10]) == set(hashes[:10])
    # A segment whose embedding is gone is left off the map.
    store.delete_embeddings([hashes[0]])
    assert rows[0]["segment_id"] not in set(topic_map(store, run.run_id).segment_id)
