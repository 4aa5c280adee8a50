"""Themes, findings and recommendations: review status, evidence counts, evaluators'
view, stale saves, traceability, and what a withdrawal does to them."""

from __future__ import annotations

import pytest

from analysis.codebook import CodebookDraft, CodeSpec, save_codebook_version
from analysis.coding import apply_code
from analysis.consent import record_consent, withdraw_participant
from analysis.errors import ConflictError, InvalidRequestError, PermissionDeniedError
from analysis.findings import add_evidence, create_finding, get_finding, remove_evidence
from analysis.findings import list_findings as list_research_findings
from analysis.models import Project
from analysis.outputs import add_comment, comments_on, set_status
from analysis.participants import ParticipantRecord
from analysis.recommendations import (
    create_recommendation,
    list_recommendations,
    recommendation_json,
    traceability,
)
from analysis.storage import Store
from analysis.themes import create_theme, list_themes, theme_overview, update_theme
from analysis.transcripts import UploadedFile, import_transcripts

INTERVIEW = (
    "Interviewer: How did getting support go?\n\n"
    "Participant: The waiting list was about five months long for talking therapy. "
    "My flatmates noticed before I did that something was wrong. "
    "The wellbeing team finally rang me back after three weeks.\n"
)


@pytest.fixture
def coded(store: Store, project: Project) -> dict[str, int]:
    """Three participants, each with a cleared interview; codings on waits and peers."""
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
    people = [ParticipantRecord(p, (f"{p}.txt",)) for p in ("Ash", "Bo", "Cy")]
    results = import_transcripts(
        store,
        project.id,
        [UploadedFile(f"{p}.txt", INTERVIEW.replace("five", f"{n + 4}").encode()) for n, p in
         enumerate(("Ash", "Bo", "Cy"))],
        actor="lead",
        participants=people,
    )  # fmt: skip
    ids: dict[str, int] = {}
    for result, person in zip(results, ("Ash", "Bo", "Cy"), strict=True):
        transcript = store.get_transcript(result.transcript_id)
        assert transcript.anonymisation_status == "cleared", person
        first, second, _ = store.list_segments(transcript.id)
        ids[f"{person}-waits"] = apply_code(
            store, code_key="waits", coder="sam", segment_id=first.id
        ).id
        ids[f"{person}-peers"] = apply_code(
            store, code_key="peers", coder="sam", segment_id=second.id
        ).id
        record_consent(
            store, project.id, person, date="2026-03-01", quotes=person != "Cy", share=True,
            actor="lead",
        )  # fmt: skip
    return ids


def test_theme_on_a_parent_code_counts_its_children(
    store: Store, project: Project, coded: dict[str, int]
) -> None:
    theme = create_theme(
        store, project.id, "Getting in", "Access and waits", ["access"], actor="sam"
    )
    overview = theme_overview(store, theme.id, actor="sam")
    assert [key for key, _ in overview.codes] == ["access", "waits"]
    assert (overview.participants, overview.transcripts, overview.segments) == (3, 3, 3)
    assert len(overview.quotes) == 3 and all("months" in q.coding.text for q in overview.quotes)
    with pytest.raises(InvalidRequestError, match="no code 'nope'"):
        create_theme(store, project.id, "Other", "", ["nope"], actor="sam")
    with pytest.raises(InvalidRequestError, match="already a theme"):
        create_theme(store, project.id, "Getting in", "", ["peers"], actor="sam")


def test_finding_counts_come_from_its_evidence(
    store: Store, project: Project, coded: dict[str, int]
) -> None:
    theme = create_theme(store, project.id, "Waiting", "", ["waits"], actor="sam")
    finding = create_finding(
        store,
        theme.id,
        "Long waits push students to friends",
        actor="sam",
        lived_experience=["first-hand"],
        intersectional_note="Both home students",
        evidence=[coded["Ash-waits"], coded["Ash-peers"], coded["Bo-waits"]],
    )
    assert (finding.participants, finding.transcripts, finding.segments) == (2, 2, 3)
    assert [e.participant for e in finding.evidence] == ["Ash", "Ash", "Bo"]
    finding = remove_evidence(store, finding.id, coded["Ash-peers"], actor="sam")
    assert (finding.participants, finding.segments) == (2, 2)
    with pytest.raises(InvalidRequestError, match="lived-experience tag"):
        create_finding(store, theme.id, "x", actor="sam", lived_experience=["rumour"])


def test_status_review_and_agreement(store: Store, project: Project, coded: dict[str, int]) -> None:
    theme = create_theme(store, project.id, "Waiting", "", ["waits"], actor="sam")
    set_status(store, "themes", theme.id, "in review", actor="sam")
    add_comment(store, "themes", theme.id, "Is this distinct from access?", actor="alex")
    assert [c.author for c in comments_on(store, "themes", theme.id, actor="lead")] == ["alex"]
    with pytest.raises(PermissionDeniedError):
        set_status(store, "themes", theme.id, "agreed", actor="sam")
    set_status(store, "themes", theme.id, "agreed", actor="lead")
    agreed = list_themes(store, project.id, actor="eve")
    assert [(t.name, t.status) for t in agreed] == [("Waiting", "agreed")]
    # Editing an agreed theme sends it back to review; only a lead reopens it by hand.
    current = agreed[0]
    edited = update_theme(
        store, theme.id, name="Waiting", description="Now with a narrative",
        code_keys=["waits"], revision=current.revision, actor="sam",
    )  # fmt: skip
    assert edited.status == "in review"
    assert list_themes(store, project.id, actor="eve") == []
    actions = [e.action for e in store.audit_entries(table="themes")]
    assert actions[:4] == ["edit theme", "set theme status", "comment", "set theme status"]


def test_a_stale_save_is_refused(store: Store, project: Project, coded: dict[str, int]) -> None:
    theme = create_theme(store, project.id, "Waiting", "", ["waits"], actor="sam")
    first = update_theme(
        store, theme.id, name="Waiting", description="sam's words", code_keys=["waits"],
        revision=theme.revision, actor="sam",
    )  # fmt: skip
    with pytest.raises(ConflictError, match="changed since you opened it"):
        update_theme(
            store, theme.id, name="Waiting", description="alex's words", code_keys=["waits"],
            revision=theme.revision, actor="alex",
        )  # fmt: skip
    assert list_themes(store, project.id, actor="lead")[0].description == "sam's words"
    assert first.revision == theme.revision + 1


def test_evaluators_see_agreed_findings_with_consenting_quotes_only(
    store: Store, project: Project, coded: dict[str, int]
) -> None:
    theme = create_theme(store, project.id, "Waiting", "", ["waits"], actor="sam")
    draft = create_finding(store, theme.id, "Draft", actor="sam", evidence=[coded["Ash-waits"]])
    agreed = create_finding(
        store, theme.id, "Agreed", actor="sam",
        evidence=[coded["Ash-waits"], coded["Cy-waits"]],
    )  # fmt: skip
    set_status(store, "themes", theme.id, "agreed", actor="lead")
    set_status(store, "findings", agreed.id, "agreed", actor="lead")
    with pytest.raises(PermissionDeniedError):
        get_finding(store, draft.id, actor="eve")
    [seen] = list_research_findings(store, project.id, actor="eve")
    assert seen.statement == "Agreed"
    # Cy did not agree to be quoted: counted, never shown.
    assert ([e.participant for e in seen.evidence], seen.withheld) == (["Ash"], 1)
    assert seen.participants == 2
    lead_view = get_finding(store, agreed.id, actor="lead")
    assert [e.participant for e in lead_view.evidence] == ["Ash", "Cy"]


def test_recommendations_rest_on_findings_and_trace_to_quotes(
    store: Store, project: Project, coded: dict[str, int]
) -> None:
    theme = create_theme(store, project.id, "Waiting", "", ["waits"], actor="sam")
    finding = create_finding(store, theme.id, "Waits", actor="sam", evidence=[coded["Bo-waits"]])
    kwargs = {"speqs_domain": "measuring outcomes", "partner": "NHS", "priority": "high"}
    with pytest.raises(InvalidRequestError, match="at least one finding"):
        create_recommendation(store, project.id, "Shorter waits", [], actor="sam", **kwargs)
    with pytest.raises(InvalidRequestError, match="unknown SPEQS domain"):
        create_recommendation(
            store, project.id, "x", [finding.id], actor="sam",
            speqs_domain="vibes", partner="NHS", priority="high",
        )  # fmt: skip
    rec = create_recommendation(
        store, project.id, "Publish waiting times", [finding.id], actor="sam", **kwargs
    )
    recommendation, findings = traceability(store, rec.id, actor="lead")
    assert recommendation.finding_ids == (finding.id,)
    [evidence] = findings[0].evidence
    assert (evidence.participant, evidence.source_name) == ("Bo", "Bo.txt")
    text = store.get_transcript(evidence.transcript_id).text
    assert text[evidence.start_char : evidence.end_char] == evidence.quote
    chain = recommendation_json(store, rec.id, actor="lead")
    assert chain["findings"][0]["evidence"][0]["participant"] == "Bo"
    assert list_recommendations(store, project.id, actor="eve") == []


def test_withdrawal_takes_quotes_out_of_findings(
    store: Store, project: Project, coded: dict[str, int]
) -> None:
    theme = create_theme(store, project.id, "Waiting", "", ["waits"], actor="sam")
    finding = create_finding(
        store, theme.id, "Waits", actor="sam", evidence=[coded["Ash-waits"], coded["Bo-waits"]]
    )
    assert finding.participants == 2
    withdraw_participant(store, project.id, "Bo", actor="lead")
    after = get_finding(store, finding.id, actor="lead")
    assert ([e.participant for e in after.evidence], after.participants) == (["Ash"], 1)
    assert theme_overview(store, theme.id, actor="lead").participants == 2


def test_evidence_must_come_from_the_project(
    store: Store, project: Project, coded: dict[str, int]
) -> None:
    theme = create_theme(store, project.id, "Waiting", "", ["waits"], actor="sam")
    finding = create_finding(store, theme.id, "Waits", actor="sam")
    finding = add_evidence(store, finding.id, coded["Cy-waits"], actor="alex")
    assert [e.participant for e in finding.evidence] == ["Cy"]
    with pytest.raises(PermissionDeniedError):
        add_evidence(store, finding.id, coded["Ash-waits"], actor="eve")
