"""The demo study: the synthetic interviews in `interviews/`, the starter codebook and a
few codings by two demo coders, so a newcomer lands on a study with something to see.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from analysis.accounts import hash_password
from analysis.codebook import read_codebook_file, save_codebook_version
from analysis.coding import apply_code
from analysis.errors import InputFileError, StudyError
from analysis.findings import create_finding
from analysis.ingest import SUPPORTED_EXTENSIONS
from analysis.models import Project
from analysis.outputs import set_status
from analysis.participants import read_participants_file
from analysis.recommendations import create_recommendation
from analysis.review import PENDING, mark_not_personal, redact_confident
from analysis.rounds import close_round, open_round
from analysis.storage import Store
from analysis.themes import create_theme
from analysis.transcripts import UploadedFile, import_transcripts

REPO_ROOT = Path(__file__).resolve().parent.parent
INTERVIEWS_DIR = REPO_ROOT / "interviews"
STARTER_CODEBOOK = REPO_ROOT / "codebooks" / "starter.yaml"
DEMO_PROJECT_NAME = "Students' experiences of mental-health support (demo study)"
DEMO_USERS = {
    "lead": "project lead",
    "sam.coder": "student researcher",
    "alex.coder": "student researcher",
    "evaluator": "evaluator",
}
DEMO_ACTOR = "lead"
# Shown on the sign-in page of the demo study only (see README); change or deactivate
# these accounts before a demo database holds real data.
DEMO_PASSWORD = "demo-password"


def is_empty_study(store: Store, project: Project) -> bool:
    counts = store.count_rows(project.id)
    return counts["transcripts"] == 0 and counts["codebook_version"] == 0


def transcript_files(folder: Path) -> list[Path]:
    """Supported transcript files directly in `folder`, sorted by name."""
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in SUPPORTED_EXTENSIONS)


def load_demo_study(
    store: Store,
    project: Project,
    *,
    interviews_dir: Path = INTERVIEWS_DIR,
    codebook_path: Path = STARTER_CODEBOOK,
) -> dict[str, int]:
    """Load interviews, participants, the starter codebook and demo codings, all or nothing.

    Raises:
        StudyError: the study is not empty, or a demo file is broken.
    """
    if not is_empty_study(store, project):
        raise StudyError("the demo study loads only into an empty study")
    records = read_participants_file(interviews_dir / "participants.csv")
    uploads = [UploadedFile.from_path(p) for p in transcript_files(interviews_dir)]
    draft = read_codebook_file(codebook_path)
    codings = _demo_codings(interviews_dir / "demo_codings.yaml")
    demo_password_hash = hash_password(DEMO_PASSWORD)
    with store.transaction():
        store.update_project(project.id, name=DEMO_PROJECT_NAME, description=_DESCRIPTION)
        store.set_demo_project(project.id, True)
        for name, role in DEMO_USERS.items():
            if store.get_user(name) is None:
                store.insert_user(name, role, demo_password_hash)
        imported = import_transcripts(
            store, project.id, uploads, actor=DEMO_ACTOR, participants=records
        )
        save_codebook_version(store, project.id, draft, actor=DEMO_ACTOR, note="starter codebook")
        by_name = {item.source_name: item.transcript_id for item in imported}
        # The coded transcripts are reviewed first (the gate refuses coding before); the
        # others stay 'needs review' so the Review page has work to show.
        for name in dict.fromkeys(entry["transcript"] for entry in codings):
            _review_demo_transcript(store, by_name[name])
        for entry in codings:
            _apply_demo_coding(store, by_name, entry)
        _close_demo_round(store, project, by_name, codings)
        _demo_outputs(store, project)
    store.checkpoint_wal()
    return {"transcripts": len(imported), "codes": len(draft.codes), "codings": len(codings)}


def _close_demo_round(
    store: Store, project: Project, by_name: dict[str, int], codings: list[dict[str, Any]]
) -> None:
    """The transcripts both demo coders coded become a closed reliability round, so the
    Reliability and Disagreements pages have figures to show."""
    coders: dict[str, set[str]] = {}
    for entry in codings:
        coders.setdefault(entry["transcript"], set()).add(entry["coder"])
    shared = [by_name[name] for name, who in coders.items() if len(who) > 1]
    people = sorted({c for who in coders.values() if len(who) > 1 for c in who})
    if shared and len(people) > 1:
        round_ = open_round(
            store, project.id, "Pilot double-coding", shared, people, actor=DEMO_ACTOR
        )
        close_round(store, round_.id, actor=DEMO_ACTOR)


def _demo_outputs(store: Store, project: Project) -> None:
    """One agreed theme with an agreed finding and recommendation, and a draft theme,
    so the Themes, Intersections and Recommendations pages start with something."""

    def one_per_transcript(key: str) -> list[int]:
        firsts: dict[int, int] = {}
        for coding in store.list_codings(project_id=project.id, code_keys=[key]):
            firsts.setdefault(coding.transcript_id, coding.id)
        return list(firsts.values())

    waits, peers = one_per_transcript("waiting-times"), one_per_transcript("friends-flatmates")
    if not waits or not peers:
        return
    theme = create_theme(
        store,
        project.id,
        "Waiting and turning to friends",
        "Long waits for a first appointment leave students leaning on flatmates and "
        "friends, who become the support the services were meant to be.",
        ["access-waiting", "friends-flatmates"],
        actor=DEMO_ACTOR,
    )
    finding = create_finding(
        store,
        theme.id,
        "While they wait for a first appointment, students lean on flatmates and friends.",
        actor=DEMO_ACTOR,
        lived_experience=["first-hand"],
        evidence=[*waits[:2], *peers[:2]],
    )
    set_status(store, "themes", theme.id, "agreed", actor=DEMO_ACTOR)
    set_status(store, "findings", finding.id, "agreed", actor=DEMO_ACTOR)
    recommendation = create_recommendation(
        store,
        project.id,
        "Tell students how long the wait is when they first ask, and what they can use "
        "meanwhile, including peer support.",
        [finding.id],
        speqs_domain="student voice and co-production",
        partner="university",
        priority="high",
        actor=DEMO_ACTOR,
    )
    set_status(store, "recommendations", recommendation.id, "agreed", actor=DEMO_ACTOR)
    create_theme(
        store,
        project.id,
        "Money and mental health",
        "Draft: financial pressure as a cause and a barrier.",
        ["money-housing"],
        actor=DEMO_ACTOR,
    )


def _demo_codings(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return list(document.get("codings", []))


def _review_demo_transcript(store: Store, transcript_id: int) -> None:
    """The lead's review: redact confident findings, keep the rest as not personal."""
    redact_confident(store, transcript_id, actor=DEMO_ACTOR)
    for finding in store.list_findings(transcript_id=transcript_id, status=PENDING):
        mark_not_personal(store, finding.id, actor=DEMO_ACTOR)


def _apply_demo_coding(store: Store, by_name: dict[str, int], entry: dict[str, Any]) -> None:
    transcript_id = by_name[entry["transcript"]]
    text = store.get_transcript(transcript_id).text
    quote = " ".join(str(entry["quote"]).split())
    start = text.find(quote)
    if start < 0:
        raise InputFileError(
            "demo_codings.yaml", f"quote not found in {entry['transcript']}: {quote[:40]}..."
        )
    apply_code(
        store,
        code_key=entry["code"],
        coder=entry["coder"],
        transcript_id=transcript_id,
        start_char=start,
        end_char=start + len(quote),
        memo=entry.get("memo"),
    )


_DESCRIPTION = (
    "A peer-led evaluation of how students experience university and NHS mental-health "
    "support. Ten synthetic interviews written for this project, coded with the starter "
    "codebook by two student researchers."
)
