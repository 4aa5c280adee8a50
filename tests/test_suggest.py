"""Code suggestions: the engine, leave-one-document-out evaluation, a study's accept and
reject, the next segment to code, the gate, and the CLI contracts."""

from __future__ import annotations

import csv
import json
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from analysis.cli import cli
from analysis.errors import InvalidRequestError
from analysis.storage import Store
from analysis.suggest import CodedPassage, CodeExamples, Suggester, evaluate_suggestions
from analysis.suggestions import (
    accept_suggestion,
    next_uncoded_segment,
    reject_suggestion,
    suggest_for_transcript,
)


class WordsEmbedder:
    """A deterministic bag-of-words embedder: texts sharing words point the same way."""

    name = "test-words"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        rows = np.zeros((len(texts), 64), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().replace(".", " ").split():
                rows[i, zlib.crc32(word.encode()) % 64] += 1.0
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        return rows / np.where(norms == 0, 1, norms)


EMBEDDER = WordsEmbedder()


def test_suggester_ranks_by_description_and_examples() -> None:
    codes = [
        CodeExamples("waits", ("waiting list weeks",), ("six weeks on the waiting list",)),
        CodeExamples("money", ("rent money bills",)),
        CodeExamples("crisis", ("crisis hospital night",)),
    ]
    suggester = Suggester.build(codes, embedder=EMBEDDER)
    vectors = EMBEDDER.encode(["I was on the waiting list for weeks", "the rent and the bills"])
    top = suggester.top(vectors, k=3)
    assert top[0][0][0] == "waits"
    assert top[1][0][0] == "money"
    assert all(len(row) == 3 for row in top)
    assert top[0][0][1] >= top[0][1][1] >= top[0][2][1]


def test_rejected_examples_pull_a_code_away() -> None:
    text = "the counsellor was kind"
    plain = Suggester.build([CodeExamples("staff", ("counsellor staff",))], embedder=EMBEDDER)
    pushed = Suggester.build(
        [CodeExamples("staff", ("counsellor staff",), (), (text,))], embedder=EMBEDDER
    )
    vector = EMBEDDER.encode([text])
    assert pushed.scores(vector)[0, 0] < plain.scores(vector)[0, 0]


def test_evaluation_is_leave_one_document_out_with_a_frequency_baseline() -> None:
    passages = [
        CodedPassage("A", "waiting list weeks again", ("waits",)),
        CodedPassage("A", "rent bills money", ("money",)),
        CodedPassage("B", "waiting list for weeks", ("waits",)),
        CodedPassage("B", "waiting list months", ("waits",)),
        CodedPassage("C", "paying rent money", ("money",)),
    ]
    codebook = [("money", "rent money bills"), ("waits", "waiting list weeks")]
    quality = evaluate_suggestions(passages, codebook, embedder=EMBEDDER)
    assert (quality.passages, quality.codes) == (5, 2)
    assert quality.hit_at_1 == 1.0 and quality.hit_at_3 == 1.0
    # Baseline, per left-out document: A -> others have waits 2, money 1: suggests waits
    # (hits 1 of A's 2); B -> money 2, waits 1: money (hits 0 of 2); C -> waits 3: waits (0 of 1).
    assert quality.frequency_baseline_hit_at_1 == pytest.approx(1 / 5)
    assert quality.frequency_baseline_hit_at_3 == 1.0


def test_evaluate_cli_contract(tmp_path: Path) -> None:
    coded, codebook = tmp_path / "coded.csv", tmp_path / "codebook.csv"
    with coded.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["document", "text", "codes"])
        writer.writerow(["d1", "I waited six weeks for counselling", "waits"])
        writer.writerow(["d1", "I could not pay the rent", "money;stress"])
        writer.writerow(["d2", "the waiting list was months long", "waits"])
        writer.writerow(["d2", "my loan did not cover rent", "money"])
    with codebook.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["code", "description"])
        writer.writerow(["waits", "Waiting times for support"])
        writer.writerow(["money", "Money, rent and debt"])
        writer.writerow(["stress", "Feeling stressed"])
    result = CliRunner().invoke(
        cli, ["evaluate-suggestions", str(coded), "--codebook", str(codebook), "--json"]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert set(figures) == {
        "passages", "codes", "hit_at_1", "hit_at_3",
        "frequency_baseline_hit_at_1", "frequency_baseline_hit_at_3",
    }  # fmt: skip
    assert (figures["passages"], figures["codes"]) == (4, 3)
    assert figures["hit_at_1"] >= figures["frequency_baseline_hit_at_1"]
    bad = tmp_path / "bad.csv"
    bad.write_text("doc,text\nx,y\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["evaluate-suggestions", str(bad), "--codebook", str(codebook)]
    )
    assert result.exit_code != 0 and "bad.csv" in result.output


def test_study_suggestions_accept_reject_and_next(demo_db: Path) -> None:
    store = Store.open(demo_db)
    project = store.list_projects()[0]
    transcript = next(t for t in store.list_transcripts(project.id) if t.source_name == "P08.txt")
    rows = suggest_for_transcript(store, transcript.id, embedder=EMBEDDER, actor="lead")
    assert rows and all(len(r.suggestions) == 3 for r in rows)
    first = rows[0]
    code, score = first.suggestions[0]
    coding = accept_suggestion(store, first.segment.id, code, coder="alex.coder", score=score)
    assert (coding.source, coding.code_key, coding.text) == (
        "accepted-suggestion",
        code,
        first.segment.text,
    )
    second = rows[1]
    wrong, wrong_score = second.suggestions[0]
    reject_suggestion(store, second.segment.id, wrong, coder="alex.coder", score=wrong_score)
    decisions = {
        (d["segment_id"], d["decision"]) for d in store.list_suggestion_decisions(project.id)
    }
    assert decisions == {(first.segment.id, "accepted"), (second.segment.id, "rejected")}
    actions = [e.action for e in store.audit_entries(table="suggestion_decisions")]
    assert sorted(actions) == ["accept suggestion", "reject suggestion"]
    again = {
        r.segment.id: r
        for r in suggest_for_transcript(store, transcript.id, embedder=EMBEDDER, actor="lead")
    }
    assert dict(again[second.segment.id].suggestions).get(wrong, -9) < wrong_score
    following = next_uncoded_segment(store, transcript.id, coder="alex.coder")
    assert following is not None and following.id not in (first.segment.id, second.segment.id)
    store.close()


def test_suggestions_wait_for_the_anonymisation_review(demo_db: Path) -> None:
    store = Store.open(demo_db)
    project = store.list_projects()[0]
    pending = next(
        t for t in store.list_transcripts(project.id) if t.anonymisation_status != "cleared"
    )
    with pytest.raises(InvalidRequestError, match="review"):
        suggest_for_transcript(store, pending.id, embedder=EMBEDDER, actor="lead")
    store.close()


@pytest.mark.slow
def test_real_model_suggestions_beat_the_frequency_baseline_on_the_demo(demo_db: Path) -> None:
    from analysis.embed import load_embedder
    from analysis.suggestions import study_suggestion_quality

    store = Store.open(demo_db)
    project = store.list_projects()[0]
    quality = study_suggestion_quality(store, project.id, embedder=load_embedder())
    store.close()
    assert quality.passages > 40
    assert quality.hit_at_1 - quality.frequency_baseline_hit_at_1 >= 0.2
    assert quality.hit_at_3 - quality.frequency_baseline_hit_at_3 >= 0.15
