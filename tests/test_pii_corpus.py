"""The planted-identifier corpus generator (benchmarks/pii_corpus.py), not the detector."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.pii_corpus import (
    LABELS,
    Doc,
    generate_corpus,
    gold_record,
    nhs_check_ok,
    read_gold,
    write_corpus,
)


@pytest.fixture(scope="module")
def corpus() -> list[Doc]:
    return generate_corpus()


def test_default_size_and_names(corpus: list[Doc]) -> None:
    assert len(corpus) == 60
    assert len({d.name for d in corpus}) == 60
    assert corpus[16].name.startswith("t017.")


def test_deterministic_for_a_seed(corpus: list[Doc]) -> None:
    again = generate_corpus(60, 7)
    assert [(d.name, d.text, d.gold) for d in again] == [(d.name, d.text, d.gold) for d in corpus]
    other = generate_corpus(60, 8)
    assert [d.text for d in other] != [d.text for d in corpus]


def test_gold_spans_are_exact_and_sorted(corpus: list[Doc]) -> None:
    for doc in corpus:
        previous_end = 0
        for g in doc.gold:
            assert 0 <= g.start < g.end <= len(doc.text)
            assert g.start >= previous_end, (doc.name, g)  # in order, never overlapping
            previous_end = g.end
            span = doc.text[g.start : g.end]
            assert span == span.strip() and span, (doc.name, g, span)
            assert g.label in LABELS


def test_planted_strings_round_trip_through_files(corpus: list[Doc], tmp_path: Path) -> None:
    write_corpus(tmp_path, corpus)
    gold = read_gold(tmp_path / "gold.jsonl")
    assert set(gold) == {d.name for d in corpus}
    records = [
        json.loads(line) for line in (tmp_path / "gold.jsonl").read_text("utf-8").splitlines()
    ]
    for doc, record in zip(corpus, records, strict=True):
        text = (tmp_path / doc.name).read_bytes().decode("utf-8")
        assert text == doc.text
        assert gold[doc.name] == doc.gold
        assert record == gold_record(doc)
        for g, planted in zip(doc.gold, record["gold"], strict=True):
            assert text[g.start : g.end] == planted["text"]


def test_every_label_at_least_five_times(corpus: list[Doc]) -> None:
    counts = Counter(g.label for d in corpus for g in d.gold)
    assert {label: counts[label] for label in LABELS if counts[label] < 5} == {}


def test_clean_documents(corpus: list[Doc]) -> None:
    clean = [d for d in corpus if not d.gold]
    assert len(clean) >= 8
    assert {Path(d.name).suffix for d in clean} >= {".txt", ".md", ".vtt", ".srt"}


def test_formats_present(corpus: list[Doc]) -> None:
    suffixes = Counter(Path(d.name).suffix for d in corpus)
    assert set(suffixes) == {".txt", ".md", ".vtt", ".srt"}
    assert suffixes[".txt"] > len(corpus) / 2
    vtt = [d.text for d in corpus if d.name.endswith(".vtt")]
    assert all(t.startswith("WEBVTT\n\n") for t in vtt)
    assert any("<v " in t for t in vtt) and any("<v " not in t for t in vtt)  # Teams and Zoom
    assert any("**Interviewer:**" in d.text for d in corpus if d.name.endswith(".md"))
    assert all(" --> " in d.text for d in corpus if d.name.endswith(".srt"))


def test_vtt_speaker_names_are_gold(corpus: list[Doc]) -> None:
    for doc in corpus:
        if doc.name.endswith(".vtt") and doc.gold:
            speakers = [
                g
                for g in doc.gold
                if doc.text[g.start - 3 : g.start] == "<v " or doc.text[g.start - 1] == "\n"
            ]
            assert speakers and all(g.label == "PERSON" for g in speakers)


def test_word_counts(corpus: list[Doc]) -> None:
    words = [len(d.text.split()) for d in corpus]
    assert min(words) >= 300 and max(words) <= 900


def test_forms_are_varied(corpus: list[Doc]) -> None:
    spans: dict[str, list[str]] = {label: [] for label in LABELS}
    for doc in corpus:
        for g in doc.gold:
            spans[g.label].append(doc.text[g.start : g.end])
    nhs = spans["NHS_NUMBER"]
    assert all(nhs_check_ok(n) for n in nhs)
    assert any(len(n) == 12 and n[3] == " " for n in nhs) and any(n.isdigit() for n in nhs)
    assert nhs_check_ok("943 476 5919") and not nhs_check_ok("943 476 5918")
    phones = spans["PHONE"]
    assert any(p.startswith("+44") for p in phones) and any(p.startswith("07700") for p in phones)
    assert any(
        p.startswith(("0151", "020", "0161", "(0113)", "0121", "029", "0117")) for p in phones
    )
    postcodes = spans["POSTCODE"]
    assert any(p.islower() for p in postcodes) and any(" " not in p for p in postcodes)
    people = spans["PERSON"]
    assert any(p.startswith(("Dr ", "Dr. ", "Ms ", "Mr ", "Mr. ", "Professor ")) for p in people)
    assert any(p in ("Will", "Hope", "Grace", "Mark", "May") for p in people)
    assert any(p.islower() for p in people)
    assert any(not p.isascii() for p in people)
    assert any("@" in e and ".ac.uk" in e for e in spans["EMAIL"])
    assert all(h.startswith("@") for h in spans["HANDLE"])
    assert any(a.startswith("Flat ") for a in spans["ADDRESS"])
    assert any(not a[0].isdigit() and not a.startswith("Flat") for a in spans["ADDRESS"])


def test_hard_negatives_present_and_never_gold(corpus: list[Doc]) -> None:
    text = "\n".join(d.text for d in corpus)
    for negative in (
        "U-COPE",
        "A&E",
        "NHS 111",
        "Student Liaison Service",
        "[NAME]",
        "I will",
        "grace period",
    ):
        assert negative in text, negative
    for doc in corpus:
        for g in doc.gold:
            span = doc.text[g.start : g.end]
            assert span not in ("U-COPE", "A&E", "GP", "NHS 111", "Samaritans", "[NAME]"), span
