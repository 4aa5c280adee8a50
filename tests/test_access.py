"""Who may do what: every cell of the role x action table, allowed and refused, through
the library functions that do the action; and the evaluator's wall around participants'
words, by function and by command line.

Each role acts through one account of the test study: `sam` (student researcher),
`lead` (project lead) and `eve` (evaluator).
"""

from __future__ import annotations

import json
import tempfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from analysis.access import (
    EVALUATOR,
    LEAD,
    PERMISSIONS,
    RESEARCHER,
    ROLES,
    Action,
    allowed,
    permissions_table,
    require,
)
from analysis.accounts import add_user, set_active, set_password, set_role
from analysis.audit import audit_filters, audit_trail
from analysis.backup import backup_study, restore_study
from analysis.cli import cli
from analysis.codebook import (
    CodebookDraft,
    CodeSpec,
    accept_proposed_code,
    current_codebook,
    remove_code,
    save_code,
    save_codebook_version,
)
from analysis.coding import apply_code, codings_for_transcript, remove_coding
from analysis.consent import record_consent, withdraw_participant
from analysis.errors import InvalidRequestError, NotFoundError, PermissionDeniedError
from analysis.findings import add_evidence, create_finding
from analysis.findings import list_findings as list_research_findings
from analysis.intersect import cell_quotes, intersection_matrix
from analysis.memos import add_memo, delete_memo, edit_memo
from analysis.models import NOT_PERSONAL, PARTICIPANT, PENDING, REDACTED, Project
from analysis.outputs import add_comment, comments_on, set_status
from analysis.participants import ParticipantRecord, save_participants, set_participant_attribute
from analysis.recommendations import create_recommendation
from analysis.retrieve import retrieve_quotes
from analysis.review import (
    add_finding,
    add_findings_for_words,
    adjust_finding,
    list_findings,
    mark_not_personal,
    redact_confident,
    redact_findings,
    scan_transcript,
)
from analysis.rounds import (
    close_round,
    list_disagreements,
    open_round,
    record_consensus,
)
from analysis.spreadsheets import code_participant_rows, coded_segment_rows
from analysis.storage import Store
from analysis.study import open_study
from analysis.suggestions import (
    accept_suggestion,
    next_uncoded_segment,
    reject_suggestion,
    suggest_for_transcript,
)
from analysis.themes import create_theme, get_theme, list_themes
from analysis.topics import fit_topics, update_topics
from analysis.transcripts import (
    UploadedFile,
    attach_participant,
    import_transcripts,
    set_speaker_role,
    transcript_view,
)
from tests.conftest import TEST_USERS

REPO_ROOT = Path(__file__).resolve().parent.parent

# The account each role acts through.
ACTING = {RESEARCHER: "sam", LEAD: "lead", EVALUATOR: "eve"}

INTERVIEW = (
    "Interviewer: How did you first look for support?\n\n"
    "Participant: I emailed the wellbeing team in the autumn. Nobody replied for six weeks.\n\n"
    "Interviewer: And then?\n\n"
    "Participant: Then the doctor referred me to talking therapies, which was quicker.\n"
)
SEGMENT_TEXTS = (
    "I emailed the wellbeing team in the autumn.",
    "Nobody replied for six weeks.",
    "Then the doctor referred me to talking therapies, which was quicker.",
)
NEW_UPLOAD = UploadedFile(
    "P1.txt", b"Interviewer: How was it?\n\nParticipant: It was fine, honestly, most of the time.\n"
)


@dataclass(frozen=True)
class Study:
    """A small cleared study: one interview (participant P01) and a three-code codebook."""

    store: Store
    project: Project
    transcript_id: int
    segment_ids: tuple[int, ...]
    participant_id: int


@pytest.fixture
def study(store: Store, project: Project) -> Study:
    for role, name in ACTING.items():
        assert TEST_USERS[name] == role
    draft = CodebookDraft(
        "Pilot",
        "",
        (
            CodeSpec("access", "Access"),
            CodeSpec("waits", "Waiting times", parent="access"),
            CodeSpec("peers", "Friends and peers"),
        ),
    )
    save_codebook_version(store, project.id, draft, actor="lead", note="start")
    [result] = import_transcripts(
        store, project.id, [UploadedFile("P01.txt", INTERVIEW.encode())], actor="lead"
    )
    for finding in store.list_findings(transcript_id=result.transcript_id, status=PENDING):
        mark_not_personal(store, finding.id, actor="lead")
    transcript = store.get_transcript(result.transcript_id)
    assert transcript.anonymisation_status == "cleared"
    assert transcript.text == INTERVIEW
    segments = store.list_segments(result.transcript_id)
    assert tuple(s.text for s in segments) == SEGMENT_TEXTS
    assert transcript.participant_id is not None
    return Study(
        store,
        project,
        result.transcript_id,
        tuple(s.id for s in segments),
        transcript.participant_id,
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


class MustNotEmbed:
    """An embedder that fails the test if anything reaches it: a refusal comes first."""

    name = "must-not-embed"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        raise AssertionError(f"the permission check should come before embedding {texts!r}")


def _audit_rows(store: Store) -> int:
    return len(store.audit_entries(limit=1_000_000))


def _refuse_all(store: Store, calls: Sequence[Callable[[], object]]) -> None:
    """Every call is refused, and nothing is written (not even an audit row)."""
    before = _audit_rows(store)
    for call in calls:
        with pytest.raises(PermissionDeniedError):
            call()
    assert _audit_rows(store) == before


def _codebook(store: Store, project_id: int) -> tuple[int, dict[str, tuple[str, str]]]:
    """The current version number and key -> (name, status)."""
    version, codes = current_codebook(store, project_id)
    assert version is not None
    return version.version, {c.key: (c.name, c.status) for c in codes}


START_CODEBOOK = (
    1,
    {
        "access": ("Access", "active"),
        "waits": ("Waiting times", "active"),
        "peers": ("Friends and peers", "active"),
    },
)


def _closed_round(study: Study) -> int:
    """A closed round coded by sam and alex, who disagree on the first segment only."""
    store = study.store
    first, second, _ = study.segment_ids
    round_ = open_round(
        store, study.project.id, "R1", [study.transcript_id], ["sam", "alex"], actor="lead"
    )
    apply_code(store, code_key="access", coder="sam", segment_id=first)
    apply_code(store, code_key="waits", coder="sam", segment_id=second)
    apply_code(store, code_key="peers", coder="alex", segment_id=first)
    apply_code(store, code_key="waits", coder="alex", segment_id=second)
    close_round(store, round_.id, actor="lead")
    return round_.id


# -- one check per action: the real library calls, allowed or refused ------------------------


def check_import(study: Study, actor: str, ok: bool) -> None:
    store, project, tid = study.store, study.project, study.transcript_id
    if not ok:
        _refuse_all(
            store,
            [
                lambda: import_transcripts(store, project.id, [NEW_UPLOAD], actor=actor),
                lambda: set_speaker_role(store, tid, "Interviewer", PARTICIPANT, actor=actor),
            ],
        )
        assert [t.source_name for t in store.list_transcripts(project.id)] == ["P01.txt"]
        assert len(store.list_segments(tid)) == 3
        return
    [result] = import_transcripts(store, project.id, [NEW_UPLOAD], actor=actor)
    assert (result.source_name, result.participant, result.turns) == ("P1.txt", "P1", 2)
    assert store.get_transcript(result.transcript_id).imported_by == actor
    count = set_speaker_role(store, tid, "Interviewer", PARTICIPANT, actor=actor)
    texts = [s.text for s in store.list_segments(tid)]
    assert count == len(texts) > 3
    assert "How did you first look for support?" in texts
    assert store.audit_entries(table="speakers")[0].actor == actor


def check_resolve_pii(study: Study, actor: str, ok: bool) -> None:
    store, tid = study.store, study.transcript_id
    text = store.get_transcript(tid).text
    team = text.index("the wellbeing team")
    doctor = text.index("the doctor")
    if not ok:
        pending = add_finding(store, tid, team, team + 18, "PERSON", actor="lead")
        _refuse_all(
            store,
            [
                lambda: list_findings(store, tid, actor=actor),
                lambda: add_finding(store, tid, doctor, doctor + 10, "PERSON", actor=actor),
                lambda: add_findings_for_words(store, tid, "autumn", "DATE", actor=actor),
                lambda: adjust_finding(store, pending.id, team + 4, team + 18, actor=actor),
                lambda: mark_not_personal(store, pending.id, actor=actor),
                lambda: redact_findings(store, [pending.id], actor=actor),
                lambda: redact_confident(store, tid, actor=actor, threshold=0.0),
                lambda: scan_transcript(store, tid, actor=actor),
            ],
        )
        [still] = store.list_findings(transcript_id=tid)
        assert (still.id, still.status, still.text) == (pending.id, PENDING, "the wellbeing team")
        assert store.get_transcript(tid).text == INTERVIEW
        return
    assert list_findings(store, tid, actor=actor) == []
    kept = add_finding(store, tid, team, team + 18, "PERSON", actor=actor)
    assert (kept.status, kept.text) == (PENDING, "the wellbeing team")
    assert store.get_transcript(tid).anonymisation_status == "needs review"
    [decided] = mark_not_personal(store, kept.id, actor=actor)
    assert (decided.status, decided.decided_by) == (NOT_PERSONAL, actor)
    named = add_finding(store, tid, doctor, doctor + 10, "PERSON", actor=actor)
    [redacted] = redact_findings(store, [named.id], actor=actor)
    assert (redacted.status, redacted.placeholder) == (REDACTED, "[PERSON_1]")
    after = store.get_transcript(tid)
    assert "the doctor" not in after.text and "Then [PERSON_1] referred me" in after.text
    assert after.anonymisation_status == "cleared"
    assert [f.id for f in list_findings(store, tid, actor=actor)] == [kept.id, named.id]
    assert scan_transcript(store, tid, actor=actor).pending == 0


def check_code(study: Study, actor: str, ok: bool) -> None:
    store, project, tid = study.store, study.project, study.transcript_id
    first, second, _ = study.segment_ids
    if not ok:
        theirs = apply_code(store, code_key="waits", coder="lead", segment_id=second)
        memo = add_memo(store, project.id, "codings", theirs.id, "a lead's memo", author="lead")
        _refuse_all(
            store,
            [
                lambda: apply_code(store, code_key="access", coder=actor, segment_id=first),
                lambda: add_memo(store, project.id, "segments", first, "mine", author=actor),
                lambda: edit_memo(store, memo.id, "changed", actor=actor),
                lambda: delete_memo(store, memo.id, actor=actor),
                lambda: remove_coding(store, theirs.id, actor=actor),
                lambda: reject_suggestion(store, first, "peers", coder=actor, score=0.4),
                lambda: accept_suggestion(store, first, "access", coder=actor, score=0.7),
                lambda: suggest_for_transcript(store, tid, embedder=MustNotEmbed(), actor=actor),
            ],
        )
        codings = store.list_codings(project_id=project.id)
        assert [(c.id, c.coder) for c in codings] == [(theirs.id, "lead")]
        assert store.get_memo(memo.id).body == "a lead's memo"
        assert store.list_suggestion_decisions(project.id) == []
        return
    coding = apply_code(store, code_key="waits", coder=actor, segment_id=second)
    assert (coding.text, coding.coder, coding.code_key) == (
        "Nobody replied for six weeks.",
        actor,
        "waits",
    )
    memo = add_memo(store, project.id, "codings", coding.id, "silence as rejection", author=actor)
    assert (memo.author, memo.body) == (actor, "silence as rejection")
    assert edit_memo(store, memo.id, "silence read as rejection", actor=actor).body == (
        "silence read as rejection"
    )
    reject_suggestion(store, second, "peers", coder=actor, score=0.4)
    [decision] = store.list_suggestion_decisions(project.id)
    assert (decision["coder"], decision["code_key"], decision["decision"]) == (
        actor,
        "peers",
        "rejected",
    )
    accepted = accept_suggestion(store, first, "access", coder=actor, score=0.7)
    assert (accepted.coder, accepted.source) == (actor, "accepted-suggestion")
    suggestions = suggest_for_transcript(store, tid, embedder=WordsEmbedder(), actor=actor)
    assert [s.segment.id for s in suggestions] == list(study.segment_ids)
    assert [s.coded for s in suggestions] == [("access",), ("waits",), ()]
    delete_memo(store, memo.id, actor=actor)
    remove_coding(store, coding.id, actor=actor)
    assert [c.id for c in store.list_codings(project_id=project.id)] == [accepted.id]


def check_propose_code(study: Study, actor: str, ok: bool) -> None:
    store, project = study.store, study.project
    proposal = CodeSpec("new-code", "New code", status="proposed")
    if not ok:
        _refuse_all(store, [lambda: save_code(store, project.id, proposal, actor=actor)])
        assert _codebook(store, project.id) == START_CODEBOOK
        return
    version = save_code(store, project.id, proposal, actor=actor)
    assert (version.version, version.created_by) == (2, actor)
    assert _codebook(store, project.id)[1]["new-code"] == ("New code", "proposed")


def check_run_topics(study: Study, actor: str, ok: bool) -> None:
    # A real fit needs 30 segments and UMAP/HDBSCAN (over 10 s), so the allowed case shows
    # the call got past the permission check: it stops at the corpus size, not the role,
    # and before any embedding.
    store, project = study.store, study.project
    if not ok:
        _refuse_all(
            store,
            [
                lambda: fit_topics(store, project.id, embedder=MustNotEmbed(), actor=actor),
                lambda: update_topics(store, project.id, 1, embedder=MustNotEmbed(), actor=actor),
            ],
        )
        assert store.list_topic_runs(project.id) == []
        return
    assert require(store, actor, Action.RUN_TOPICS).name == actor
    with pytest.raises(InvalidRequestError, match="at least 30 participant segments"):
        fit_topics(store, project.id, embedder=MustNotEmbed(), actor=actor)
    with pytest.raises(NotFoundError, match="topic run 1 does not exist"):
        update_topics(store, project.id, 1, embedder=MustNotEmbed(), actor=actor)


def check_edit_codebook(study: Study, actor: str, ok: bool) -> None:
    store, project = study.store, study.project
    active = CodeSpec("new-code", "New code")
    renamed = CodeSpec("peers", "Friends, peers and flatmates")
    whole = CodebookDraft("Second", "", (CodeSpec("access", "Access"),))
    if not ok:
        _refuse_all(
            store,
            [
                lambda: save_code(store, project.id, active, actor=actor),
                lambda: save_code(store, project.id, renamed, actor=actor),
                lambda: remove_code(store, project.id, "peers", actor=actor),
                lambda: save_codebook_version(store, project.id, whole, actor=actor, note="x"),
            ],
        )
        assert _codebook(store, project.id) == START_CODEBOOK
        return
    assert save_code(store, project.id, active, actor=actor).created_by == actor
    assert _codebook(store, project.id)[1]["new-code"] == ("New code", "active")
    save_code(store, project.id, renamed, actor=actor)
    assert _codebook(store, project.id)[1]["peers"] == ("Friends, peers and flatmates", "active")
    remove_code(store, project.id, "peers", actor=actor)
    assert "peers" not in _codebook(store, project.id)[1]
    save_codebook_version(store, project.id, whole, actor=actor, note="start again")
    assert _codebook(store, project.id) == (5, {"access": ("Access", "active")})


def check_accept_proposed_codes(study: Study, actor: str, ok: bool) -> None:
    store, project = study.store, study.project
    save_code(
        store, project.id, CodeSpec("flatmates", "Flatmates", status="proposed"), actor="alex"
    )
    if not ok:
        _refuse_all(
            store, [lambda: accept_proposed_code(store, project.id, "flatmates", actor=actor)]
        )
        assert _codebook(store, project.id)[1]["flatmates"] == ("Flatmates", "proposed")
        return
    version = accept_proposed_code(store, project.id, "flatmates", actor=actor)
    assert (version.version, version.created_by) == (3, actor)
    assert _codebook(store, project.id)[1]["flatmates"] == ("Flatmates", "active")


def check_open_round(study: Study, actor: str, ok: bool) -> None:
    store, project, tid = study.store, study.project, study.transcript_id
    if not ok:
        existing = open_round(store, project.id, "R0", [tid], ["sam", "alex"], actor="lead")
        _refuse_all(
            store,
            [
                lambda: open_round(store, project.id, "R1", [tid], ["sam", "alex"], actor=actor),
                lambda: close_round(store, existing.id, actor=actor),
            ],
        )
        assert [(r.name, r.status) for r in store.list_rounds(project.id)] == [("R0", "open")]
        return
    round_ = open_round(store, project.id, "R1", [tid], ["sam", "alex"], actor=actor)
    assert (round_.status, round_.coders, round_.opened_by) == ("open", ("alex", "sam"), actor)
    results = close_round(store, round_.id, actor=actor)
    assert (results.coders, results.transcripts, results.segments) == (("alex", "sam"), 1, 3)
    closed = store.get_round(round_.id)
    assert (closed.status, closed.closed_by) == ("closed", actor)


def check_resolve_disagreements(study: Study, actor: str, ok: bool) -> None:
    store = study.store
    round_id = _closed_round(study)
    first = study.segment_ids[0]
    if not ok:
        _refuse_all(
            store,
            [
                lambda: list_disagreements(store, round_id, actor=actor),
                lambda: record_consensus(store, round_id, first, ["access"], actor=actor),
            ],
        )
        assert store.get_consensus(round_id, first) is None
        return
    [disagreement] = list_disagreements(store, round_id, actor=actor)
    assert disagreement.segment.text == SEGMENT_TEXTS[0]
    assert disagreement.codes_by_coder == {"sam": ("access",), "alex": ("peers",)}
    decision = record_consensus(store, round_id, first, ["access"], actor=actor)
    assert (decision.code_keys, decision.decided_by) == (("access",), actor)


def check_see_transcripts(study: Study, actor: str, ok: bool) -> None:
    store, tid = study.store, study.transcript_id
    if not ok:
        _refuse_all(store, [lambda: transcript_view(store, tid, actor=actor)])
        return
    transcript, turns, segments = transcript_view(store, tid, actor=actor)
    assert transcript.text == INTERVIEW
    assert [t.speaker for t in turns] == ["Interviewer", "Participant"] * 2
    assert tuple(s.text for s in segments) == SEGMENT_TEXTS


def check_see_codings(study: Study, actor: str, ok: bool) -> None:
    store, project, tid = study.store, study.project, study.transcript_id
    coding = apply_code(store, code_key="waits", coder="lead", segment_id=study.segment_ids[1])
    add_memo(store, project.id, "codings", coding.id, "six weeks of silence", author="lead")
    if not ok:
        _refuse_all(
            store,
            [
                lambda: codings_for_transcript(store, tid, actor=actor),
                lambda: retrieve_quotes(store, project.id, ["access"], actor=actor),
            ],
        )
        return
    codings = codings_for_transcript(store, tid, actor=actor)
    assert [(c.id, c.code_key, c.coder, c.text) for c in codings] == [
        (coding.id, "waits", "lead", "Nobody replied for six weeks.")
    ]
    [quote] = retrieve_quotes(store, project.id, ["access"], actor=actor)
    assert (quote.coding.id, quote.source_name, quote.participant, quote.memos) == (
        coding.id,
        "P01.txt",
        "P01",
        ("six weeks of silence",),
    )


def check_manage_participants(study: Study, actor: str, ok: bool) -> None:
    store, project, tid = study.store, study.project, study.transcript_id
    pid = study.participant_id
    record = ParticipantRecord("P08", attributes={"gender": "woman"})
    if not ok:
        _refuse_all(
            store,
            [
                lambda: set_participant_attribute(store, pid, "Age band", "18-21", actor=actor),
                lambda: attach_participant(store, tid, "P07", actor=actor),
                lambda: record_consent(
                    store,
                    project.id,
                    "P01",
                    date="2025-01-02",
                    quotes=True,
                    share=False,
                    actor=actor,
                ),
                lambda: save_participants(store, project.id, [record], actor=actor),
            ],
        )
        [only] = store.list_participants(project.id)
        assert (only.pseudonym, only.attributes, only.consent.quotes) == ("P01", {}, None)
        assert store.get_transcript(tid).participant == "P01"
        return
    set_participant_attribute(store, pid, "Age band", "18-21", actor=actor)
    consent = record_consent(
        store, project.id, "P01", date="2025-01-02", quotes=True, share=False, actor=actor
    )
    assert (consent.consent.date, consent.consent.quotes) == ("2025-01-02", True)
    attach_participant(store, tid, "P07", actor=actor)
    assert store.get_transcript(tid).participant == "P07"
    assert save_participants(store, project.id, [record], actor=actor).keys() == {"P08"}
    people = {p.pseudonym: p.attributes for p in store.list_participants(project.id)}
    assert people == {"P01": {"age_band": "18-21"}, "P07": {}, "P08": {"gender": "woman"}}


def check_withdraw_participant(study: Study, actor: str, ok: bool) -> None:
    store, project = study.store, study.project
    if not ok:
        _refuse_all(store, [lambda: withdraw_participant(store, project.id, "P01", actor=actor)])
        assert [t.participant for t in store.list_transcripts(project.id)] == ["P01"]
        return
    withdrawal = withdraw_participant(store, project.id, "P01", actor=actor)
    assert (withdrawal.pseudonym, withdrawal.transcripts, withdrawal.segments) == ("P01", 1, 3)
    assert store.list_transcripts(project.id) == []
    assert store.list_participants(project.id) == []


def check_manage_users(study: Study, actor: str, ok: bool) -> None:
    store = study.store
    if not ok:
        _refuse_all(
            store,
            [
                lambda: add_user(store, "new.person", EVALUATOR, None, actor=actor),
                lambda: set_role(store, "tester", EVALUATOR, actor=actor),
                lambda: set_active(store, "tester", False, actor=actor),
                lambda: set_password(store, "tester", "a long password", actor=actor),
            ],
        )
        assert store.get_user("new.person") is None
        tester = store.get_user("tester")
        assert tester is not None
        assert (tester.role, tester.active, tester.has_password) == (RESEARCHER, True, False)
        return
    user = add_user(store, "new.person", EVALUATOR, None, actor=actor)
    assert (user.name, user.role, user.active, user.has_password) == (
        "new.person",
        EVALUATOR,
        True,
        False,
    )
    assert set_role(store, "new.person", RESEARCHER, actor=actor).role == RESEARCHER
    set_active(store, "new.person", False, actor=actor)
    set_password(store, "tester", "a long password", actor=actor)
    changed = store.get_user("new.person")
    tester = store.get_user("tester")
    assert changed is not None and tester is not None
    assert (changed.active, tester.has_password) == (False, True)


def check_read_audit(study: Study, actor: str, ok: bool) -> None:
    store = study.store
    if not ok:
        _refuse_all(
            store,
            [lambda: audit_trail(store, actor=actor), lambda: audit_filters(store, actor=actor)],
        )
        return
    entries = audit_trail(store, actor=actor, actions=["import transcript"])
    assert [(e.actor, e.table_name, e.row_id) for e in entries] == [
        ("lead", "transcripts", study.transcript_id)
    ]
    facets = audit_filters(store, actor=actor)
    assert "lead" in facets["actors"] and "import transcript" in facets["actions"]


def _draft_theme(study: Study) -> int:
    """A draft theme with a finding quoting one coding, made by the lead."""
    store = study.store
    coding = apply_code(store, code_key="waits", coder="lead", segment_id=study.segment_ids[0])
    theme = create_theme(store, study.project.id, "Waiting", "Waits", ["waits"], actor="lead")
    create_finding(store, theme.id, "Waits feel endless", actor="lead", evidence=[coding.id])
    return theme.id


def check_draft_outputs(study: Study, actor: str, ok: bool) -> None:
    store = study.store
    coding = apply_code(store, code_key="access", coder="lead", segment_id=study.segment_ids[0])
    if not ok:
        theme_id = _draft_theme(study)
        _refuse_all(
            store,
            [
                lambda: create_theme(store, study.project.id, "T", "", ["access"], actor=actor),
                lambda: create_finding(store, theme_id, "F", actor=actor),
                lambda: add_evidence(store, 1, coding.id, actor=actor),
                lambda: set_status(store, "themes", theme_id, "in review", actor=actor),
            ],
        )
        return
    theme = create_theme(
        store, study.project.id, "Access", "First contact", ["access"], actor=actor
    )
    finding = create_finding(store, theme.id, "Hard to reach", actor=actor, evidence=[coding.id])
    assert (finding.participants, [e.coding_id for e in finding.evidence]) == (1, [coding.id])
    rec = create_recommendation(
        store,
        study.project.id,
        "Publish how to get a first appointment",
        [finding.id],
        speqs_domain="student voice and co-production",
        partner="university",
        priority="high",
        actor=actor,
    )
    assert rec.finding_ids == (finding.id,)
    set_status(store, "themes", theme.id, "in review", actor=actor)
    assert get_theme(store, theme.id, actor=actor).status == "in review"


def check_see_drafts(study: Study, actor: str, ok: bool) -> None:
    store = study.store
    theme_id = _draft_theme(study)
    if not ok:
        _refuse_all(
            store,
            [
                lambda: get_theme(store, theme_id, actor=actor),
                lambda: comments_on(store, "themes", theme_id, actor=actor),
                lambda: add_comment(store, "themes", theme_id, "?", actor=actor),
            ],
        )
        assert list_themes(store, study.project.id, actor=actor) == []
        assert list_research_findings(store, study.project.id, actor=actor) == []
        return
    assert [t.id for t in list_themes(store, study.project.id, actor=actor)] == [theme_id]
    assert add_comment(store, "themes", theme_id, "Merge with access?", actor=actor).author == actor


def check_agree_outputs(study: Study, actor: str, ok: bool) -> None:
    store = study.store
    theme_id = _draft_theme(study)
    if not ok:
        _refuse_all(store, [lambda: set_status(store, "themes", theme_id, "agreed", actor=actor)])
        return
    set_status(store, "themes", theme_id, "agreed", actor=actor)
    assert get_theme(store, theme_id, actor="eve").status == "agreed"


def check_export_summary(study: Study, actor: str, ok: bool) -> None:
    store = study.store
    theme_id = _draft_theme(study)
    set_status(store, "themes", theme_id, "agreed", actor="lead")
    assert ok  # every role reads agreed outputs
    assert [t.name for t in list_themes(store, study.project.id, actor=actor)] == ["Waiting"]


def check_see_small_cells(study: Study, actor: str, ok: bool) -> None:
    """One participant is a group of 1, under k = 5: only a lead reads its quotes or
    asks for a smaller k."""
    store = study.store
    apply_code(store, code_key="waits", coder="lead", segment_id=study.segment_ids[0])
    set_participant_attribute(store, study.participant_id, "fee_status", "home", actor="lead")
    matrix = intersection_matrix(
        store, study.project.id, rows="codes", by=["fee_status"], actor=actor
    )
    assert [(c.group_size, c.suppressed) for c in matrix.columns] == [(None, True)]
    calls = [
        lambda: cell_quotes(
            store, study.project.id, rows="codes", row_key="waits",
            values={"fee_status": "home"}, actor=actor,
        ),
        lambda: intersection_matrix(
            store, study.project.id, rows="codes", by=["fee_status"], actor=actor, k=1
        ),
    ]  # fmt: skip
    if not ok:
        _refuse_all(store, calls)
        return
    assert [q.participant for q in calls[0]()] == ["P01"]  # type: ignore[attr-defined]
    small = calls[1]()
    assert [c.participants for row in small.rows for c in row.cells if row.key == "waits"] == [1]  # type: ignore[attr-defined]


def check_export_project(study: Study, actor: str, ok: bool) -> None:
    store = study.store
    apply_code(store, code_key="waits", coder="lead", segment_id=study.segment_ids[0])
    calls = [
        lambda: coded_segment_rows(store, study.project.id, actor=actor),
        lambda: code_participant_rows(store, study.project.id, actor=actor),
    ]
    if not ok:
        _refuse_all(store, calls)
        return
    [row] = calls[0]()  # type: ignore[misc]
    assert (row["code"], row["participant"]) == ("waits", "P01")


def check_backup(study: Study, actor: str, ok: bool) -> None:
    store, project = study.store, study.project
    with tempfile.TemporaryDirectory() as folder:
        taken = backup_study(store, Path(folder) / "by-lead.db", actor="lead").path
        mine = Path(folder) / "mine.db"
        apply_code(store, code_key="waits", coder="lead", segment_id=study.segment_ids[0])
        if not ok:
            _refuse_all(
                store,
                [
                    lambda: backup_study(store, mine, actor=actor),
                    lambda: restore_study(store, taken, actor=actor),
                ],
            )
            assert not mine.exists()
            assert len(store.list_codings(project_id=project.id)) == 1
            return
        assert backup_study(store, mine, actor=actor).path == mine
        assert store.audit_entries(limit=1)[0].action == "back up study"
        restored = restore_study(store, taken, actor=actor)
        assert restored.kept is None  # an in-memory study has no file to keep
        assert store.list_codings(project_id=project.id) == []
        [entry] = store.audit_entries(limit=1)
        assert (entry.actor, entry.action) == (actor, "restore study")


# Actions no library function does yet: the rule is checked through `require` itself.
NOT_YET_IN_LIBRARY: tuple[Action, ...] = ()


def _check_by_require(action: Action) -> Callable[[Study, str, bool], None]:
    def check(study: Study, actor: str, ok: bool) -> None:
        if not ok:
            _refuse_all(study.store, [lambda: require(study.store, actor, action)])
            return
        user = require(study.store, actor, action)
        assert (user.name, user.role) == (actor, TEST_USERS[actor])

    return check


CHECKS: dict[Action, Callable[[Study, str, bool], None]] = {
    Action.IMPORT: check_import,
    Action.RESOLVE_PII: check_resolve_pii,
    Action.CODE: check_code,
    Action.PROPOSE_CODE: check_propose_code,
    Action.RUN_TOPICS: check_run_topics,
    Action.EDIT_CODEBOOK: check_edit_codebook,
    Action.ACCEPT_PROPOSED_CODES: check_accept_proposed_codes,
    Action.OPEN_ROUND: check_open_round,
    Action.RESOLVE_DISAGREEMENTS: check_resolve_disagreements,
    Action.SEE_TRANSCRIPTS: check_see_transcripts,
    Action.SEE_CODINGS: check_see_codings,
    Action.MANAGE_PARTICIPANTS: check_manage_participants,
    Action.WITHDRAW_PARTICIPANT: check_withdraw_participant,
    Action.MANAGE_USERS: check_manage_users,
    Action.READ_AUDIT: check_read_audit,
    Action.DRAFT_OUTPUTS: check_draft_outputs,
    Action.SEE_DRAFTS: check_see_drafts,
    Action.AGREE_OUTPUTS: check_agree_outputs,
    Action.EXPORT_SUMMARY: check_export_summary,
    Action.SEE_SMALL_CELLS: check_see_small_cells,
    Action.EXPORT_PROJECT: check_export_project,
    Action.BACKUP: check_backup,
    **{action: _check_by_require(action) for action in NOT_YET_IN_LIBRARY},
}

CELLS = [
    pytest.param(action, role, id=f"{action.name.lower().replace('_', '-')}-{role.split()[-1]}")
    for action in Action
    for role in ROLES
]


@pytest.mark.parametrize(("action", "role"), CELLS)
def test_every_cell_of_the_table(study: Study, action: Action, role: str) -> None:
    """The library function allows the cell's role exactly when the table says so."""
    CHECKS[action](study, ACTING[role], allowed(role, action))


def test_every_action_has_a_cell_check() -> None:
    assert set(CHECKS) == set(Action)
    assert len(CELLS) == len(Action) * len(ROLES) == 66


def test_actions_checked_only_by_require_have_no_library_function_yet() -> None:
    """When a library function starts doing one of these actions, its cells must be
    tested through that function: move the action out of NOT_YET_IN_LIBRARY."""
    sources = "\n".join(
        path.read_text(encoding="utf-8")
        for path in (REPO_ROOT / "analysis").rglob("*.py")
        if path.name != "access.py"
    )
    used = [action for action in NOT_YET_IN_LIBRARY if f"Action.{action.name}" in sources]
    assert used == []


# -- the table itself, written out rather than derived -----------------------------------------


def test_an_evaluator_may_only_export_evidence_summaries() -> None:
    assert {action for action in Action if allowed(EVALUATOR, action)} == {Action.EXPORT_SUMMARY}


def test_a_lead_may_do_everything() -> None:
    assert [action for action in Action if not allowed(LEAD, action)] == []


def test_what_a_student_researcher_may_not_do() -> None:
    assert {action for action in Action if not allowed(RESEARCHER, action)} == {
        Action.EDIT_CODEBOOK,
        Action.ACCEPT_PROPOSED_CODES,
        Action.OPEN_ROUND,
        Action.AGREE_OUTPUTS,
        Action.SEE_SMALL_CELLS,
        Action.WITHDRAW_PARTICIPANT,
        Action.MANAGE_USERS,
        Action.READ_AUDIT,
        Action.EXPORT_PROJECT,
        Action.BACKUP,
    }


def test_table_covers_every_action_with_known_roles_only() -> None:
    assert set(PERMISSIONS) == set(Action)
    assert all(roles and roles <= set(ROLES) for roles in PERMISSIONS.values())
    rows = permissions_table()
    assert [row["action"] for row in rows] == [action.value for action in Action]
    assert rows[0] == {
        "action": "import transcripts",
        RESEARCHER: True,
        LEAD: True,
        EVALUATOR: False,
    }


def test_refusal_names_the_user_role_and_action(study: Study) -> None:
    with pytest.raises(PermissionDeniedError) as refused:
        require(study.store, "sam", Action.EDIT_CODEBOOK)
    assert str(refused.value) == "sam (student researcher) may not edit the codebook"


# -- what a student researcher may do to the codebook ------------------------------------------


def test_a_researcher_may_propose_but_not_add_active_or_change_codes(study: Study) -> None:
    store, project = study.store, study.project
    with pytest.raises(PermissionDeniedError, match="may only propose new codes"):
        save_code(store, project.id, CodeSpec("new-code", "New code"), actor="sam")
    with pytest.raises(PermissionDeniedError, match="may only propose new codes"):
        save_code(store, project.id, CodeSpec("peers", "Friends"), actor="sam")
    with pytest.raises(PermissionDeniedError, match="may only propose new codes"):
        save_code(
            store,
            project.id,
            CodeSpec("peers", "Friends and peers", status="proposed"),
            actor="sam",
        )
    with pytest.raises(PermissionDeniedError, match="may only propose new codes"):
        remove_code(store, project.id, "peers", actor="sam")
    both = CodebookDraft(
        "Pilot",
        "",
        (
            CodeSpec("access", "Access"),
            CodeSpec("waits", "Waiting times", parent="access"),
            CodeSpec("peers", "Friends and peers"),
            CodeSpec("flatmates", "Flatmates", status="proposed"),
            CodeSpec("rent", "Rent"),
        ),
    )
    with pytest.raises(PermissionDeniedError, match="may only propose new codes"):
        save_codebook_version(store, project.id, both, actor="sam", note="one proposed, one not")
    assert _codebook(store, project.id) == START_CODEBOOK
    proposed = CodeSpec("flatmates", "Flatmates", parent="peers", status="proposed")
    assert save_code(store, project.id, proposed, actor="sam").created_by == "sam"
    assert _codebook(store, project.id)[1]["flatmates"] == ("Flatmates", "proposed")
    with pytest.raises(PermissionDeniedError):
        accept_proposed_code(store, project.id, "flatmates", actor="sam")


def test_a_researcher_may_not_rename_the_codebook(study: Study) -> None:
    _, codes = current_codebook(study.store, study.project.id)
    renamed = CodebookDraft(
        "Renamed by sam",
        "",
        tuple(CodeSpec(c.key, c.name, parent=c.parent_key) for c in codes),
    )
    with pytest.raises(PermissionDeniedError):
        save_codebook_version(study.store, study.project.id, renamed, actor="sam", note="rename")


# -- reliability rounds: settling is for the round's coders and leads --------------------------


def test_a_researcher_outside_the_round_may_not_settle_it(study: Study) -> None:
    store = study.store
    round_id = _closed_round(study)
    first = study.segment_ids[0]
    with pytest.raises(PermissionDeniedError, match="lee did not code round 'R1'"):
        list_disagreements(store, round_id, actor="lee")
    with pytest.raises(PermissionDeniedError, match="lee did not code round 'R1'"):
        record_consensus(store, round_id, first, ["peers"], actor="lee")
    assert store.get_consensus(round_id, first) is None
    assert record_consensus(store, round_id, first, ["peers"], actor="alex").decided_by == "alex"


def test_an_open_round_is_blind_and_closed_to_other_coders(study: Study) -> None:
    store, project, tid = study.store, study.project, study.transcript_id
    first = study.segment_ids[0]
    open_round(store, project.id, "R1", [tid], ["sam", "alex"], actor="lead")
    apply_code(store, code_key="access", coder="sam", segment_id=first)
    apply_code(store, code_key="peers", coder="alex", segment_id=first)
    with pytest.raises(PermissionDeniedError, match="open reliability round"):
        apply_code(store, code_key="access", coder="lee", segment_id=first)
    assert [c.coder for c in codings_for_transcript(store, tid, actor="sam")] == ["sam"]
    assert [c.coder for c in codings_for_transcript(store, tid, actor="lee")] == []
    assert sorted(c.coder for c in codings_for_transcript(store, tid, actor="lead")) == [
        "alex",
        "sam",
    ]


# -- an evaluator never gets participants' words -----------------------------------------------


def test_an_evaluator_gets_no_transcript_segment_or_coding_by_function(study: Study) -> None:
    store, project, tid = study.store, study.project, study.transcript_id
    coding = apply_code(store, code_key="waits", coder="lead", segment_id=study.segment_ids[1])
    add_memo(store, project.id, "codings", coding.id, "six weeks of silence", author="lead")
    team = INTERVIEW.index("the wellbeing team")
    add_finding(store, tid, team, team + 18, "PERSON", actor="lead")
    round_id = _closed_round_on_new_transcript(study)
    calls: dict[str, Callable[[], object]] = {
        "transcript_view": lambda: transcript_view(store, tid, actor="eve"),
        "codings_for_transcript": lambda: codings_for_transcript(store, tid, actor="eve"),
        "retrieve_quotes": lambda: retrieve_quotes(store, project.id, ["access"], actor="eve"),
        "retrieve_quotes by words": lambda: retrieve_quotes(
            store, project.id, ["waits"], text_contains="weeks", actor="eve"
        ),
        "list_findings": lambda: list_findings(store, tid, actor="eve"),
        "suggest_for_transcript": lambda: suggest_for_transcript(
            store, tid, embedder=MustNotEmbed(), actor="eve"
        ),
        "list_disagreements": lambda: list_disagreements(store, round_id, actor="eve"),
        "audit_trail": lambda: audit_trail(store, actor="eve", contains="silence"),
    }
    for name, call in calls.items():
        with pytest.raises(PermissionDeniedError, match=r"eve \(evaluator\) may not"):
            call()
            pytest.fail(f"{name} answered an evaluator")
    # The same calls answer a lead: the refusals above are about the role, not the data.
    assert transcript_view(store, tid, actor="lead")[0].text == INTERVIEW
    assert [q.memos for q in retrieve_quotes(store, project.id, ["waits"], actor="lead")] == [
        ("six weeks of silence",)
    ]
    assert [f.text for f in list_findings(store, tid, actor="lead")] == ["the wellbeing team"]
    assert len(list_disagreements(store, round_id, actor="lead")) == 1


def _closed_round_on_new_transcript(study: Study) -> int:
    """A closed round on a second interview, so the first keeps its finding pending."""
    store = study.store
    [result] = import_transcripts(store, study.project.id, [NEW_UPLOAD], actor="lead")
    [segment] = store.list_segments(result.transcript_id)
    round_ = open_round(
        store, study.project.id, "R1", [result.transcript_id], ["sam", "alex"], actor="lead"
    )
    apply_code(store, code_key="access", coder="sam", segment_id=segment.id)
    apply_code(store, code_key="peers", coder="alex", segment_id=segment.id)
    close_round(store, round_.id, actor="lead")
    return round_.id


def test_an_evaluator_gets_no_next_segment(study: Study) -> None:
    with pytest.raises(PermissionDeniedError):
        next_uncoded_segment(study.store, study.transcript_id, coder="eve")


def test_an_evaluator_cannot_probe_transcript_words(study: Study) -> None:
    with pytest.raises(PermissionDeniedError):
        add_findings_for_words(study.store, study.transcript_id, "zebra", "PERSON", actor="eve")


@pytest.fixture
def study_file(tmp_path: Path) -> tuple[str, int]:
    """A study database file with the test accounts and one cleared interview."""
    path = tmp_path / "s.db"
    store, project = open_study(path)
    for name, role in TEST_USERS.items():
        store.upsert_user(name, role)
    [result] = import_transcripts(
        store, project.id, [UploadedFile("P01.txt", INTERVIEW.encode())], actor="lead"
    )
    store.close()
    return str(path), result.transcript_id


def test_an_evaluator_gets_no_segments_from_the_command_line(study_file: tuple[str, int]) -> None:
    db, transcript_id = study_file
    args = ["segments", str(transcript_id), "--json"]
    refused = CliRunner().invoke(cli, ["--db", db, "--user", "eve", *args])
    assert refused.exit_code == 1
    assert "eve (evaluator) may not see whole transcripts" in refused.output
    assert "six weeks" not in refused.output
    shown = CliRunner().invoke(cli, ["--db", db, "--user", "sam", *args])
    assert shown.exit_code == 0, shown.output
    assert [row["text"] for row in json.loads(shown.output)] == list(SEGMENT_TEXTS)


def test_an_evaluator_gets_no_findings_from_the_command_line(study_file: tuple[str, int]) -> None:
    db, transcript_id = study_file
    refused = CliRunner().invoke(
        cli, ["--db", db, "--user", "eve", "review", "show", str(transcript_id)]
    )
    assert refused.exit_code == 1
    assert "eve (evaluator) may not resolve identifiers in transcripts" in refused.output


# -- accounts: unknown and deactivated -------------------------------------------------------


def test_unknown_accounts_are_refused(study: Study) -> None:
    store = study.store
    with pytest.raises(PermissionDeniedError, match="'mallory' is not an account in this study"):
        require(store, "mallory", Action.EXPORT_SUMMARY)
    with pytest.raises(PermissionDeniedError, match="'mallory' is not an account"):
        apply_code(store, code_key="access", coder="mallory", segment_id=study.segment_ids[0])
    with pytest.raises(PermissionDeniedError, match="'mallory' is not an account"):
        transcript_view(store, study.transcript_id, actor="mallory")
    assert store.list_codings(project_id=study.project.id) == []


def test_deactivated_accounts_are_refused(study: Study) -> None:
    store = study.store
    first = study.segment_ids[0]
    set_active(store, "sam", False, actor="lead")
    with pytest.raises(PermissionDeniedError, match="the account 'sam' has been deactivated"):
        apply_code(store, code_key="access", coder="sam", segment_id=first)
    with pytest.raises(PermissionDeniedError, match="deactivated"):
        transcript_view(store, study.transcript_id, actor="sam")
    with pytest.raises(PermissionDeniedError, match="deactivated"):
        require(store, "sam", Action.EXPORT_SUMMARY)
    assert store.list_codings(project_id=study.project.id) == []
    set_active(store, "sam", True, actor="lead")
    assert apply_code(store, code_key="access", coder="sam", segment_id=first).coder == "sam"


def test_a_demoted_account_loses_the_right_at_once(study: Study) -> None:
    store = study.store
    set_role(store, "sam", EVALUATOR, actor="lead")
    with pytest.raises(PermissionDeniedError, match=r"sam \(evaluator\) may not code"):
        apply_code(store, code_key="access", coder="sam", segment_id=study.segment_ids[0])


# -- own work: codings and memos ----------------------------------------------------------------


def test_a_researcher_removes_only_their_own_codings(study: Study) -> None:
    store, project = study.store, study.project
    first, second, third = study.segment_ids
    sams = apply_code(store, code_key="access", coder="sam", segment_id=first)
    alexs = apply_code(store, code_key="waits", coder="alex", segment_id=second)
    leads = apply_code(store, code_key="peers", coder="lead", segment_id=third)
    with pytest.raises(PermissionDeniedError, match="sam may remove only their own codings"):
        remove_coding(store, alexs.id, actor="sam")
    with pytest.raises(PermissionDeniedError, match="sam may remove only their own codings"):
        remove_coding(store, leads.id, actor="sam")
    remove_coding(store, sams.id, actor="sam")
    assert [c.id for c in store.list_codings(project_id=project.id)] == [alexs.id, leads.id]
    remove_coding(store, alexs.id, actor="lead")
    assert [c.id for c in store.list_codings(project_id=project.id)] == [leads.id]
    [entry, *_] = store.audit_entries(table="codings")
    assert (entry.actor, entry.action, entry.row_id) == ("lead", "remove code", alexs.id)


def test_a_researcher_edits_only_their_own_memos(study: Study) -> None:
    store, project = study.store, study.project
    segment = study.segment_ids[0]
    sams = add_memo(store, project.id, "segments", segment, "sam's note", author="sam")
    alexs = add_memo(store, project.id, "segments", segment, "alex's note", author="alex")
    with pytest.raises(PermissionDeniedError, match="sam may change only their own memos"):
        edit_memo(store, alexs.id, "overwritten", actor="sam")
    with pytest.raises(PermissionDeniedError, match="sam may change only their own memos"):
        delete_memo(store, alexs.id, actor="sam")
    assert store.get_memo(alexs.id).body == "alex's note"
    assert edit_memo(store, sams.id, "sam's better note", actor="sam").body == "sam's better note"
    assert edit_memo(store, alexs.id, "tidied by the lead", actor="lead").body == (
        "tidied by the lead"
    )
    delete_memo(store, alexs.id, actor="lead")
    remaining = store.list_memos(project.id, target_table="segments", target_ids=[segment])
    assert [m.id for m in remaining] == [sams.id]
