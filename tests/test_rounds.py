"""Reliability rounds: blind double-coding, agreement on close, disagreements, consensus.

The expected agreement figures are computed here from the coding plan itself, with the
`krippendorff` package and scikit-learn's `cohen_kappa_score` as independent oracles.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass

import krippendorff
import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from analysis.codebook import CodebookDraft, CodeSpec, save_codebook_version
from analysis.coding import apply_code, codings_for_transcript
from analysis.errors import InvalidRequestError, PermissionDeniedError
from analysis.models import Coding, Project, Segment
from analysis.retrieve import retrieve_quotes
from analysis.review import mark_not_personal
from analysis.rounds import (
    RoundResults,
    close_round,
    list_disagreements,
    measure_round,
    open_round,
    record_consensus,
)
from analysis.storage import Store
from analysis.transcripts import UploadedFile, import_transcripts

# Five participant sentences each, no names or contact details, so the review clears them.
TRANSCRIPTS = {
    "t1": (
        "Interviewer: How did you first look for support?\n\n"
        "Participant: I emailed the wellbeing team in October. Nobody replied for six weeks. "
        "In the end I stopped checking my inbox.\n\n"
        "Interviewer: What happened next?\n\n"
        "Participant: The doctor referred me to talking therapies. "
        "The waiting list was shorter than I expected.\n"
    ),
    "t2": (
        "Interviewer: Tell me about your first term.\n\n"
        "Participant: Moving away from home was harder than I thought. "
        "I felt lonely most evenings. The society fair helped me meet people.\n\n"
        "Interviewer: Did you use any services?\n\n"
        "Participant: I went to a drop-in session once. "
        "The counsellor listened carefully and gave me a plan.\n"
    ),
    "t3": (
        "Interviewer: What would you change about support?\n\n"
        "Participant: The online booking form kept crashing on my phone. "
        "Evening appointments would make a big difference. "
        "My housemates covered for me during exams.\n\n"
        "Interviewer: Anything else?\n\n"
        "Participant: Staff should check in after a referral. "
        "A short message would have reassured me.\n"
    ),
}
# A planted name leaves this one waiting for its anonymisation review.
NEEDS_REVIEW = (
    "Interviewer: Who helped you?\n\n"
    "Participant: My friend Tomasz kept telling me to phone the service. "
    "He sat with me while I waited on hold.\n"
)

CODES = (
    CodeSpec("access", "Access to support"),
    CodeSpec("waits", "Waiting times"),
    CodeSpec("peers", "Friends and peers"),
    CodeSpec("selfcare", "Looking after oneself"),  # in the codebook, never applied
)

Plan = Mapping[str, Mapping[str, list[set[str]]]]
"""coder -> transcript key -> the codes applied to each participant segment, in order."""

# Two coders over three transcripts; alex never codes t3, so alex gives no values there.
PLAN: Plan = {
    "sam": {
        "t1": [{"access"}, {"access", "waits"}, set(), {"access"}, {"waits"}],
        "t2": [{"peers"}, {"peers"}, {"peers"}, {"access"}, set()],
        "t3": [{"access"}, set(), {"peers"}, set(), set()],
    },
    "alex": {
        "t1": [{"access"}, {"waits"}, set(), {"access", "waits"}, {"waits"}],
        "t2": [set(), {"peers"}, {"peers"}, {"access"}, {"access"}],
    },
}
# Segments whose code sets differ between coders who both coded the transcript.
PLAN_DISAGREEMENTS = [("t1", 1), ("t1", 3), ("t2", 0), ("t2", 4)]
SAM_MEMO = "felt ignored, not just slow"


@dataclass(frozen=True)
class Study:
    store: Store
    project: Project
    transcripts: dict[str, int]  # key -> transcript id
    segments: dict[str, list[Segment]]  # key -> participant segments in text order

    def segment(self, key: str, index: int) -> Segment:
        return self.segments[key][index]


@pytest.fixture
def study(store: Store, project: Project) -> Study:
    save_codebook_version(
        store, project.id, CodebookDraft("Pilot", "", CODES), actor="lead", note="start"
    )
    results = import_transcripts(
        store,
        project.id,
        [UploadedFile(f"{key}.txt", text.encode()) for key, text in TRANSCRIPTS.items()],
        actor="lead",
    )
    ids = {key: r.transcript_id for key, r in zip(TRANSCRIPTS, results, strict=True)}
    segments: dict[str, list[Segment]] = {}
    for key, transcript_id in ids.items():
        assert store.get_transcript(transcript_id).anonymisation_status == "cleared"
        segments[key] = [
            s for s in store.list_segments(transcript_id) if s.speaker == "Participant"
        ]
        assert len(segments[key]) == 5, [s.text for s in segments[key]]
    return Study(store, project, ids, segments)


def apply_plan(study: Study, plan: Plan) -> None:
    for coder, by_transcript in plan.items():
        for key, per_segment in by_transcript.items():
            for index, codes in enumerate(per_segment):
                for code in sorted(codes):
                    memo = (
                        SAM_MEMO
                        if (coder, key, index, code) == ("sam", "t1", 1, "access")
                        else None
                    )
                    apply_code(
                        study.store,
                        code_key=code,
                        coder=coder,
                        segment_id=study.segment(key, index).id,
                        memo=memo,
                    )


# -- the oracle: the unit x coder table built from the plan, not from the library ------------


def plan_units(study: Study, keys: list[str]) -> list[tuple[str, int]]:
    return [(key, index) for key in keys for index in range(len(study.segments[key]))]


def plan_table(
    plan: Plan, units: list[tuple[str, int]], coders: list[str], codes: list[str]
) -> list[list[float]]:
    """coder rows x (unit, code) columns: 1 applied, 0 not, NaN when the coder made no
    coding at all on that transcript."""
    rows = []
    for coder in coders:
        row = []
        for code in codes:
            for key, index in units:
                per_segment = plan.get(coder, {}).get(key)
                if per_segment is None or not any(per_segment):
                    row.append(np.nan)
                else:
                    row.append(1.0 if code in per_segment[index] else 0.0)
        rows.append(row)
    return rows


def oracle(rows: list[list[float]]) -> dict[str, float | None]:
    data = np.array(rows, dtype=float)
    pairable = [col for col in data.T if np.count_nonzero(~np.isnan(col)) >= 2]
    shares = []
    for col in pairable:
        values = col[~np.isnan(col)]
        pairs = list(itertools.combinations(values, 2))
        shares.append(sum(a == b for a, b in pairs) / len(pairs))
    kappa = None
    if len(rows) == 2:
        both = [col for col in data.T if not np.isnan(col).any()]
        kappa = float(cohen_kappa_score([c[0] for c in both], [c[1] for c in both]))
    return {
        "percent_agreement": sum(shares) / len(shares),
        "krippendorff_alpha": float(
            krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
        ),
        "cohen_kappa": kappa,
    }


def assert_figures(agreement: object, expected: dict[str, float | None]) -> None:
    for name, value in expected.items():
        got = getattr(agreement, name)
        if value is None:
            assert got is None, name
        else:
            assert got == pytest.approx(value, abs=1e-9), name


def visible_on(codings: list[Coding], segment: Segment) -> list[Coding]:
    return [
        c for c in codings if c.start_char < segment.end_char and segment.start_char < c.end_char
    ]


# -- opening ---------------------------------------------------------------------------------


def test_open_round_and_its_refusals(study: Study) -> None:
    store, project, ids = study.store, study.project, study.transcripts
    [pending] = import_transcripts(
        store, project.id, [UploadedFile("t4.txt", NEEDS_REVIEW.encode())], actor="lead"
    )
    t4 = pending.transcript_id
    assert store.get_transcript(t4).anonymisation_status == "needs review"

    round_ = open_round(
        store, project.id, "Round 1", [ids["t1"], ids["t2"]], ["sam", "alex"], actor="lead"
    )
    assert round_.status == "open" and round_.name == "Round 1"
    assert round_.transcript_ids == (ids["t1"], ids["t2"])
    assert set(round_.coders) == {"sam", "alex"}
    assert round_.opened_by == "lead" and round_.results is None

    with pytest.raises(InvalidRequestError, match="at least two coders"):
        open_round(store, project.id, "R", [ids["t3"]], ["sam"], actor="lead")
    with pytest.raises(InvalidRequestError, match="at least two coders"):
        open_round(store, project.id, "R", [ids["t3"]], ["sam", " sam "], actor="lead")
    with pytest.raises(InvalidRequestError, match="at least one transcript"):
        open_round(store, project.id, "R", [], ["sam", "alex"], actor="lead")
    with pytest.raises(InvalidRequestError, match="anonymisation review"):
        open_round(store, project.id, "R", [ids["t3"], t4], ["sam", "alex"], actor="lead")
    with pytest.raises(InvalidRequestError, match="already in open round"):
        open_round(store, project.id, "R", [ids["t3"], ids["t2"]], ["lee", "tester"], actor="lead")
    with pytest.raises(PermissionDeniedError, match="eve"):
        open_round(store, project.id, "R", [ids["t3"]], ["sam", "eve"], actor="lead")
    with pytest.raises(PermissionDeniedError):
        open_round(store, project.id, "R", [ids["t3"]], ["sam", "nobody"], actor="lead")
    with pytest.raises(PermissionDeniedError, match="may not open or close"):
        open_round(store, project.id, "R", [ids["t3"]], ["lee", "tester"], actor="sam")
    # Nothing refused was written.
    assert [r.id for r in store.list_rounds(project.id)] == [round_.id]

    # Once reviewed, t4 may join a round; and t2 may once round 1 has closed.
    for finding in store.list_findings(transcript_id=t4, status="pending"):
        mark_not_personal(store, finding.id, actor="lead")
    assert store.get_transcript(t4).anonymisation_status == "cleared"
    close_round(store, round_.id, actor="lead")
    second = open_round(
        store, project.id, "Round 2", [ids["t2"], ids["t3"], t4], ["lee", "tester"], actor="lead"
    )
    assert second.status == "open" and second.coders == ("lee", "tester")


# -- blind coding ----------------------------------------------------------------------------


def test_coding_is_blind_while_the_round_is_open(study: Study) -> None:
    store, project, ids = study.store, study.project, study.transcripts
    t1 = ids["t1"]
    round_ = open_round(
        store, project.id, "Round 1", [t1, ids["t2"]], ["sam", "alex"], actor="lead"
    )
    s0, s1 = study.segment("t1", 0), study.segment("t1", 1)
    sam_coding = apply_code(store, code_key="access", coder="sam", segment_id=s0.id)
    alex_codings = [
        apply_code(store, code_key="waits", coder="alex", segment_id=s0.id),
        apply_code(store, code_key="peers", coder="alex", segment_id=s1.id),
    ]

    def seen(actor: str) -> set[int]:
        return {c.id for c in codings_for_transcript(store, t1, actor=actor)}

    def quoted(actor: str) -> set[int]:
        quotes = retrieve_quotes(store, project.id, ["access", "waits", "peers"], actor=actor)
        return {q.coding.id for q in quotes}

    everyone = {sam_coding.id, *(c.id for c in alex_codings)}
    assert seen("sam") == quoted("sam") == {sam_coding.id}
    assert seen("alex") == quoted("alex") == {c.id for c in alex_codings}
    assert seen("lead") == quoted("lead") == everyone
    assert seen("lee") == quoted("lee") == set()
    with pytest.raises(PermissionDeniedError):
        codings_for_transcript(store, t1, actor="eve")

    # Only the round's coders code its transcripts while it is open (a lead included).
    for outsider in ("lee", "lead"):
        with pytest.raises(PermissionDeniedError, match="open reliability round"):
            apply_code(store, code_key="access", coder=outsider, segment_id=s1.id)
    # A transcript outside the round is not affected, nor blind.
    t3_coding = apply_code(
        store, code_key="access", coder="lee", segment_id=study.segment("t3", 0).id
    )
    assert [c.id for c in codings_for_transcript(store, ids["t3"], actor="sam")] == [t3_coding.id]

    close_round(store, round_.id, actor="lead")
    assert seen("sam") == seen("alex") == seen("lee") == everyone
    assert quoted("sam") == everyone | {t3_coding.id}
    lee_coding = apply_code(store, code_key="access", coder="lee", segment_id=s1.id)
    assert lee_coding.id in seen("sam")


# -- agreement on close ----------------------------------------------------------------------


@pytest.fixture
def closed(study: Study) -> tuple[Study, int, RoundResults]:
    store, ids = study.store, study.transcripts
    round_ = open_round(
        store,
        study.project.id,
        "Round 1",
        [ids["t1"], ids["t2"], ids["t3"]],
        ["sam", "alex"],
        actor="lead",
    )
    apply_plan(study, PLAN)
    return study, round_.id, close_round(store, round_.id, actor="lead")


def test_close_round_measures_agreement_per_code_and_overall(
    closed: tuple[Study, int, RoundResults],
) -> None:
    study, round_id, results = closed
    store = study.store
    coders = ["alex", "sam"]
    units = plan_units(study, ["t1", "t2", "t3"])
    used = ["access", "peers", "waits"]  # "selfcare" was never applied: no figures for it

    assert results.coders == ("alex", "sam")
    assert (results.transcripts, results.segments) == (3, 15)
    assert results.disagreements == len(PLAN_DISAGREEMENTS) == 4
    assert [c.code_key for c in results.per_code] == used
    assert [c.code_name for c in results.per_code] == [
        "Access to support",
        "Friends and peers",
        "Waiting times",
    ]
    for per_code in results.per_code:
        code = per_code.code_key
        expected = oracle(plan_table(PLAN, units, coders, [code]))
        assert_figures(per_code.agreement, expected)
        assert per_code.agreement.units == 15
        assert per_code.agreement.pairable_units == 10  # alex gave no values on t3
        assert per_code.applied == {
            coder: sum(code in codes for by_t in PLAN[coder].values() for codes in by_t)
            for coder in coders
        }
    assert results.per_code[0].applied == {"alex": 4, "sam": 5}

    overall = oracle(plan_table(PLAN, units, coders, used))
    assert_figures(results.overall, overall)
    assert (results.overall.units, results.overall.pairable_units) == (45, 30)
    # Hand check of one figure: overall, 26 of the 30 pairable (segment, code) pairs agree.
    assert results.overall.percent_agreement == pytest.approx(26 / 30, abs=1e-12)

    kept = store.get_round(round_id)
    assert kept.status == "closed" and kept.closed_by == "lead"
    assert kept.results == results.as_json()
    assert json.loads(json.dumps(results.as_json())) == kept.results
    with pytest.raises(InvalidRequestError, match="already closed"):
        close_round(store, round_id, actor="lead")
    assert store.get_round(round_id).results == results.as_json()


def test_only_a_lead_closes_a_round(study: Study) -> None:
    store, ids = study.store, study.transcripts
    round_ = open_round(store, study.project.id, "R", [ids["t1"]], ["sam", "alex"], actor="lead")
    with pytest.raises(PermissionDeniedError):
        close_round(store, round_.id, actor="sam")
    assert store.get_round(round_.id).status == "open"


def test_three_coder_round_has_alpha_but_no_kappa(study: Study) -> None:
    store, ids = study.store, study.transcripts
    plan: Plan = {
        "sam": {
            "t1": [{"access"}, {"waits"}, set(), {"access"}, {"waits"}],
            "t2": [{"peers"}, set(), {"peers"}, {"access"}, set()],
        },
        "alex": {
            "t1": [{"access"}, {"waits"}, {"waits"}, {"access"}, set()],
            "t2": [{"peers"}, {"peers"}, {"peers"}, set(), set()],
        },
        "tester": {  # codes only t1: gives no values on t2
            "t1": [{"access", "waits"}, {"waits"}, set(), set(), {"waits"}],
        },
    }
    round_ = open_round(
        store,
        study.project.id,
        "Three",
        [ids["t1"], ids["t2"]],
        ["sam", "alex", "tester"],
        actor="lead",
    )
    apply_plan(study, plan)
    results = close_round(store, round_.id, actor="lead")
    coders = ["alex", "sam", "tester"]
    units = plan_units(study, ["t1", "t2"])
    assert results.coders == tuple(coders) and results.segments == 10
    for per_code in results.per_code:
        assert per_code.agreement.coders == 3
        assert_figures(
            per_code.agreement, oracle(plan_table(plan, units, coders, [per_code.code_key]))
        )
        assert per_code.agreement.cohen_kappa is None
    used = ["access", "peers", "waits"]
    assert [c.code_key for c in results.per_code] == used
    assert_figures(results.overall, oracle(plan_table(plan, units, coders, used)))
    assert results.overall.cohen_kappa is None
    # Differing: t1 s0, s2, s3, s4; t2 s1, s3 (tester is not compared on t2).
    assert results.disagreements == 6


def test_span_coding_counts_on_every_segment_it_overlaps(study: Study) -> None:
    store, ids = study.store, study.transcripts
    t1 = ids["t1"]
    s0, s1, s2 = (study.segment("t1", i) for i in range(3))
    round_ = open_round(store, study.project.id, "Spans", [t1], ["sam", "alex"], actor="lead")
    # sam marks the last words of s0 and the first of s1 in one span.
    span = apply_code(
        store,
        code_key="access",
        coder="sam",
        transcript_id=t1,
        start_char=s0.end_char - 8,
        end_char=s1.start_char + 6,
    )
    assert span.segment_id is None
    # ... and a span inside s2 only.
    inside = apply_code(
        store,
        code_key="waits",
        coder="sam",
        transcript_id=t1,
        start_char=s2.start_char + 3,
        end_char=s2.start_char + 10,
    )
    assert inside.segment_id == s2.id
    for segment in (s0, s1):
        apply_code(store, code_key="access", coder="alex", segment_id=segment.id)
    apply_code(store, code_key="waits", coder="alex", segment_id=s2.id)

    results = close_round(store, round_.id, actor="lead")
    assert results.segments == 5 and results.disagreements == 0
    by_key = {c.code_key: c for c in results.per_code}
    assert set(by_key) == {"access", "waits"}
    assert by_key["access"].applied == {"alex": 2, "sam": 2}
    assert by_key["waits"].applied == {"alex": 1, "sam": 1}
    for per_code in results.per_code:
        assert per_code.agreement.percent_agreement == 1.0
        assert per_code.agreement.krippendorff_alpha == 1.0
        assert per_code.agreement.cohen_kappa == 1.0
    with pytest.raises(InvalidRequestError, match="not in round"):
        record_consensus(store, round_.id, study.segment("t2", 0).id, [], actor="lead")


# -- disagreements and consensus -------------------------------------------------------------


def test_disagreements_and_consensus(closed: tuple[Study, int, RoundResults]) -> None:
    study, round_id, results = closed
    store, project, ids = study.store, study.project, study.transcripts
    t1 = ids["t1"]

    found = list_disagreements(store, round_id, actor="lead")
    assert [(d.segment.transcript_id, d.segment.id) for d in found] == [
        (ids[key], study.segment(key, index).id) for key, index in PLAN_DISAGREEMENTS
    ]
    first = found[0]
    assert first.transcript_source == "t1.txt"
    assert first.codes_by_coder == {"alex": ("waits",), "sam": ("access", "waits")}
    assert first.memos_by_coder == {"alex": (), "sam": (f"access: {SAM_MEMO}",)}
    assert first.consensus is None
    assert found[3].codes_by_coder == {"alex": ("access",), "sam": ()}
    assert list_disagreements(store, round_id, actor="sam") == found

    segment = study.segment("t1", 1)
    originals = [c for c in visible_on(codings_for_transcript(store, t1, actor="lead"), segment)]
    assert sorted((c.coder, c.code_key) for c in originals) == [
        ("alex", "waits"),
        ("sam", "access"),
        ("sam", "waits"),
    ]

    decision = record_consensus(
        store, round_id, segment.id, ["access"], actor="lead", note="agreed in meeting"
    )
    assert decision.code_keys == ("access",) and decision.note == "agreed in meeting"
    [settled] = visible_on(codings_for_transcript(store, t1, actor="lead"), segment)
    assert (settled.code_key, settled.source, settled.coder) == ("access", "consensus", "lead")
    assert (settled.start_char, settled.end_char) == (segment.start_char, segment.end_char)
    # The originals stay, marked superseded by the decision.
    kept = visible_on(
        store.list_codings(project_id=project.id, transcript_id=t1, include_superseded=True),
        segment,
    )
    assert sorted((c.coder, c.code_key, c.superseded_by) for c in kept) == [
        ("alex", "waits", decision.id),
        ("lead", "access", None),
        ("sam", "access", decision.id),
        ("sam", "waits", decision.id),
    ]
    # Other segments are untouched.
    assert all(
        c.superseded_by is None
        for c in store.list_codings(project_id=project.id, include_superseded=True)
        if c.id not in {o.id for o in originals}
    )

    # Deciding again replaces the decision rather than adding a second one.
    again = record_consensus(store, round_id, segment.id, ["waits", "access"], actor="lead")
    assert again.id == decision.id and again.code_keys == ("waits", "access")
    assert again.note == ""
    settled_now = visible_on(codings_for_transcript(store, t1, actor="lead"), segment)
    assert sorted((c.code_key, c.source) for c in settled_now) == [
        ("access", "consensus"),
        ("waits", "consensus"),
    ]
    all_on_segment = visible_on(
        store.list_codings(project_id=project.id, transcript_id=t1, include_superseded=True),
        segment,
    )
    assert len(all_on_segment) == 5
    assert sum(c.source == "consensus" for c in all_on_segment) == 2
    assert {c.superseded_by for c in all_on_segment if c.source != "consensus"} == {decision.id}

    # A round coder may settle a segment too, here with "no code applies".
    last = study.segment("t2", 4)
    by_sam = record_consensus(store, round_id, last.id, [], actor="sam")
    assert by_sam.code_keys == () and by_sam.decided_by == "sam"
    assert visible_on(codings_for_transcript(store, ids["t2"], actor="lead"), last) == []

    for outsider, error in (("lee", PermissionDeniedError), ("eve", PermissionDeniedError)):
        with pytest.raises(error):
            record_consensus(store, round_id, segment.id, ["access"], actor=outsider)
        with pytest.raises(error):
            list_disagreements(store, round_id, actor=outsider)
    with pytest.raises(InvalidRequestError, match="no code 'nope'"):
        record_consensus(store, round_id, segment.id, ["nope"], actor="lead")

    # The figures kept at close do not move, and measuring again gives the same.
    round_ = store.get_round(round_id)
    assert round_.results == results.as_json()
    assert measure_round(store, round_).as_json() == results.as_json()

    after = list_disagreements(store, round_id, actor="lead")
    assert [d.segment.id for d in after] == [d.segment.id for d in found]
    assert after[0].codes_by_coder == first.codes_by_coder
    assert after[0].consensus is not None
    assert after[0].consensus.code_keys == ("waits", "access")
    assert after[3].consensus == by_sam
    assert after[1].consensus is None

    assert [(e.actor, e.action) for e in store.audit_entries(table="reliability_rounds")] == [
        ("lead", "close reliability round"),
        ("lead", "open reliability round"),
    ]
    assert [(e.actor, e.action) for e in store.audit_entries(table="consensus_decisions")] == [
        ("sam", "record consensus"),
        ("lead", "record consensus"),
        ("lead", "record consensus"),
    ]


def test_disagreements_wait_for_the_round_to_close(study: Study) -> None:
    store, ids = study.store, study.transcripts
    round_ = open_round(store, study.project.id, "R", [ids["t1"]], ["sam", "alex"], actor="lead")
    apply_code(store, code_key="access", coder="sam", segment_id=study.segment("t1", 0).id)
    with pytest.raises(InvalidRequestError, match="still open"):
        list_disagreements(store, round_.id, actor="lead")
    with pytest.raises(InvalidRequestError, match="still open"):
        record_consensus(store, round_.id, study.segment("t1", 0).id, [], actor="sam")
