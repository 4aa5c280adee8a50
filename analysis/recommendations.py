"""Recommendations: what partners should do, each resting on at least one finding, so
every recommendation can be traced to findings, their quotes, the transcripts and the
participants' pseudonyms."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from analysis.access import Action, require
from analysis.errors import InvalidRequestError
from analysis.findings import Finding, finding_json, get_finding
from analysis.outputs import DRAFT, get_row, may_see, require_visible, save_revision
from analysis.storage import Store, now_utc

# The SPEQS toolkit's domains (see the seeds of the project).
SPEQS_DOMAINS = (
    "student voice and co-production",
    "collecting and sharing data between services",
    "managing risk across partnerships",
    "measuring outcomes",
    "developing and evaluating services and partnerships",
)
PARTNERS = ("university", "NHS", "students' union", "other")
PRIORITIES = ("high", "medium", "low")


@dataclass(frozen=True)
class Recommendation:
    id: int
    project_id: int
    text: str
    speqs_domain: str
    partner: str
    priority: str
    status: str
    revision: int
    finding_ids: tuple[int, ...]


def _check(
    store: Store,
    project_id: int,
    domain: str,
    partner: str,
    priority: str,
    finding_ids: Sequence[int],
) -> list[int]:
    for value, allowed, what in (
        (domain, SPEQS_DOMAINS, "SPEQS domain"),
        (partner, PARTNERS, "partner"),
        (priority, PRIORITIES, "priority"),
    ):
        if value not in allowed:
            raise InvalidRequestError(f"unknown {what} '{value}' (use {', '.join(allowed)})")
    ids = list(dict.fromkeys(finding_ids))
    if not ids:
        raise InvalidRequestError("a recommendation must rest on at least one finding")
    for finding_id in ids:
        finding = get_row(store, "findings", finding_id)
        if get_row(store, "themes", finding["theme_id"])["project_id"] != project_id:
            raise InvalidRequestError(f"finding {finding_id} is not in this project")
    return ids


def _recommendation(store: Store, row: dict[str, Any]) -> Recommendation:
    return Recommendation(
        row["id"],
        row["project_id"],
        row["text"],
        row["speqs_domain"],
        row["partner"],
        row["priority"],
        row["status"],
        row["revision"],
        tuple(store.recommendation_finding_ids(row["id"])),
    )


def create_recommendation(
    store: Store,
    project_id: int,
    text: str,
    finding_ids: Sequence[int],
    *,
    speqs_domain: str,
    partner: str,
    priority: str,
    actor: str,
) -> Recommendation:
    """A draft recommendation on the findings it rests on.

    Raises:
        InvalidRequestError: no text, no finding, or an unknown domain, partner or priority.
    """
    require(store, actor, Action.DRAFT_OUTPUTS)
    if not text.strip():
        raise InvalidRequestError("a recommendation needs its text")
    ids = _check(store, project_id, speqs_domain, partner, priority, finding_ids)
    with store.transaction():
        rec_id = store.insert_output(
            "recommendations",
            {
                "project_id": project_id,
                "text": text.strip(),
                "speqs_domain": speqs_domain,
                "partner": partner,
                "priority": priority,
                "status": DRAFT,
                "created_by": actor,
                "created_at": now_utc(),
                "updated_at": now_utc(),
            },
        )
        store.set_recommendation_findings(rec_id, ids)
        store.audit(
            actor=actor,
            action="create recommendation",
            table="recommendations",
            row_id=rec_id,
            payload={"findings": ids, "speqs_domain": speqs_domain, "partner": partner},
        )
    return get_recommendation(store, rec_id, actor=actor)


def update_recommendation(
    store: Store,
    recommendation_id: int,
    *,
    text: str,
    finding_ids: Sequence[int],
    speqs_domain: str,
    partner: str,
    priority: str,
    revision: int,
    actor: str,
) -> Recommendation:
    """Save an edited recommendation made on `revision`."""
    require(store, actor, Action.DRAFT_OUTPUTS)
    row = get_row(store, "recommendations", recommendation_id)
    if not text.strip():
        raise InvalidRequestError("a recommendation needs its text")
    ids = _check(store, row["project_id"], speqs_domain, partner, priority, finding_ids)
    with store.transaction():
        save_revision(
            store,
            "recommendations",
            row,
            {"text": text.strip(), "speqs_domain": speqs_domain, "partner": partner,
             "priority": priority},
            revision=revision,
            actor=actor,
            action="edit recommendation",
        )  # fmt: skip
        store.set_recommendation_findings(recommendation_id, ids)
    return get_recommendation(store, recommendation_id, actor=actor)


def get_recommendation(store: Store, recommendation_id: int, *, actor: str) -> Recommendation:
    row = get_row(store, "recommendations", recommendation_id)
    require_visible(store, actor, "recommendations", row)
    return _recommendation(store, row)


def list_recommendations(store: Store, project_id: int, *, actor: str) -> list[Recommendation]:
    user = require(store, actor, Action.EXPORT_SUMMARY)
    return [
        _recommendation(store, row)
        for row in store.list_recommendation_rows(project_id)
        if may_see(user, row["status"])
    ]


def traceability(
    store: Store, recommendation_id: int, *, actor: str
) -> tuple[Recommendation, list[Finding]]:
    """A recommendation with the findings it rests on, each with its quotes, transcripts
    and participants (only the findings and quotes the actor may see)."""
    recommendation = get_recommendation(store, recommendation_id, actor=actor)
    user = require(store, actor, Action.EXPORT_SUMMARY)
    findings = [
        get_finding(store, finding_id, actor=actor)
        for finding_id in recommendation.finding_ids
        if may_see(user, get_row(store, "findings", finding_id)["status"])
    ]
    return recommendation, findings


def recommendation_json(store: Store, recommendation_id: int, *, actor: str) -> dict[str, Any]:
    """A recommendation with its evidence chain, for `recommendations --json`."""
    recommendation, findings = traceability(store, recommendation_id, actor=actor)
    return {
        "id": recommendation.id,
        "text": recommendation.text,
        "speqs_domain": recommendation.speqs_domain,
        "partner": recommendation.partner,
        "priority": recommendation.priority,
        "status": recommendation.status,
        "findings": [finding_json(f) for f in findings],
    }
