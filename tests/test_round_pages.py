"""A blind reliability round played through the app by two coders and a lead."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analysis.accounts import sign_in
from analysis.demo import DEMO_PASSWORD
from analysis.embed import transcript_participant_segments
from analysis.storage import Store
from app_pages._cache import SESSION_KEY

PAGE_DIR = Path(__file__).resolve().parent.parent / "app_pages"


def _page(db: Path, page: str, user: str) -> AppTest:
    store = Store.open(db)
    try:
        token = sign_in(store, user, DEMO_PASSWORD).token
    finally:
        store.close()
    at = AppTest.from_file(str(PAGE_DIR / page), default_timeout=30)
    at.session_state[SESSION_KEY] = token
    at.session_state["db"] = str(db)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _pick_transcript(at: AppTest, transcript_id: int) -> None:
    store = Store.open(Path(str(at.session_state["db"])))
    name = store.get_transcript(transcript_id).source_name
    store.close()
    picker = at.selectbox(key="transcript_pick")
    picker.select_index(next(i for i, o in enumerate(picker.options) if o.startswith(name)))
    at.run()
    assert not at.exception, [e.value for e in at.exception]


def _code_first_segment(db: Path, user: str, transcript_id: int, code_key: str) -> None:
    at = _page(db, "transcript.py", user)
    _pick_transcript(at, transcript_id)
    assert any("blind" in str(i.value) for i in at.info), "the coder is told they code blind"
    segments = at.multiselect(key="transcript_segments")
    segments.select(segments.options[0])
    at.selectbox(key="transcript_code").set_value(code_key)
    at.button(key="transcript_apply").click().run()
    assert not at.exception, [e.value for e in at.exception]


def test_blind_round_through_the_pages(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDY_DB", str(demo_db))
    store = Store.open(demo_db)
    project = store.list_projects()[0]
    # A cleared transcript nobody has coded yet: the demo's P03 has demo codings, so
    # take the cleared one with the fewest.
    cleared = [t for t in store.list_transcripts(project.id) if t.anonymisation_status == "cleared"]
    target = min(
        cleared, key=lambda t: len(store.list_codings(project_id=project.id, transcript_id=t.id))
    )
    before = {c.id for c in store.list_codings(project_id=project.id, transcript_id=target.id)}
    store.close()

    lead = _page(demo_db, "reliability.py", "lead")
    lead.text_input(key="reliability_name").input("Pilot round")
    lead.multiselect(key="reliability_transcripts").select(target.id)
    lead.multiselect(key="reliability_coders").select("sam.coder").select("alex.coder")
    _click(lead, "Open round")
    assert not lead.error, [e.value for e in lead.error]

    _code_first_segment(demo_db, "sam.coder", target.id, "waiting-times")
    _code_first_segment(demo_db, "alex.coder", target.id, "friends-flatmates")

    # While the round is open, alex's page holds only alex's own codings.
    alex = _page(demo_db, "transcript.py", "alex.coder")
    _pick_transcript(alex, target.id)
    assert "sam.coder" not in alex.multiselect(key="transcript_coders").options
    # ... and lee-like outsiders cannot code it: the lead may see both.
    lead_view = _page(demo_db, "transcript.py", "lead")
    _pick_transcript(lead_view, target.id)
    assert {"sam.coder", "alex.coder"} <= set(
        lead_view.multiselect(key="transcript_coders").options
    )

    lead = _page(demo_db, "reliability.py", "lead")
    _click(lead, "Close round and measure agreement")
    # The newest round is listed first: its four figures are the page's first metrics.
    shown = {m.label: m.value for m in lead.metric[:4]}
    store = Store.open(demo_db)
    [closed] = [r for r in store.list_rounds(project.id) if r.name == "Pilot round"]
    units = len(transcript_participant_segments(store, target.id))
    store.close()
    assert closed.status == "closed" and closed.results is not None
    overall = closed.results["overall"]
    assert shown == {
        "Segments": str(units),
        "Percent agreement": f"{overall['percent_agreement']:.3f}",
        "Krippendorff's alpha": f"{overall['krippendorff_alpha']:.3f}",
        "Cohen's kappa": f"{overall['cohen_kappa']:.3f}",
    }
    # Two codes over every segment, and the coders differ on exactly two of those units.
    assert overall["units"] == 2 * units
    assert overall["percent_agreement"] == pytest.approx((2 * units - 2) / (2 * units))

    settle = _page(demo_db, "disagreements.py", "lead")
    assert any("1 segments where the coders differ" in str(m.value) for m in settle.markdown)
    form_codes = next(m for m in settle.multiselect if m.key.startswith("disagreements_codes_"))
    assert set(form_codes.value) == {"waiting-times", "friends-flatmates"}
    form_codes.unselect("friends-flatmates")
    _click(settle, "Record consensus")
    assert any("Consensus by lead" in str(s.value) for s in settle.success)

    store = Store.open(demo_db)
    current = [
        c
        for c in store.list_codings(project_id=project.id, transcript_id=target.id)
        if c.id not in before
    ]
    kept = [
        c
        for c in store.list_codings(
            project_id=project.id, transcript_id=target.id, include_superseded=True
        )
        if c.id not in before and c.superseded_by is not None
    ]
    store.close()
    assert [(c.code_key, c.source, c.coder) for c in current] == [
        ("waiting-times", "consensus", "lead")
    ]
    assert {(c.coder, c.code_key) for c in kept} == {
        ("sam.coder", "waiting-times"),
        ("alex.coder", "friends-flatmates"),
    }
