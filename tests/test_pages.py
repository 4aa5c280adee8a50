"""Every page renders on the demo study through AppTest, and the main actions work."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analysis.storage import Store

PAGES = [
    "home.py",
    "import_page.py",
    "review.py",
    "transcript.py",
    "codebook_page.py",
    "retrieve.py",
    "participants.py",
]
PAGE_DIR = Path(__file__).resolve().parent.parent / "app_pages"


@pytest.fixture
def app_db(demo_db: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("STUDY_DB", str(demo_db))
    return demo_db


def _run(page: str) -> AppTest:
    at = AppTest.from_file(str(PAGE_DIR / page), default_timeout=30)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_on_demo_study(app_db: Path, page: str) -> None:
    _run(page)


def test_home_shows_demo_counts(app_db: Path) -> None:
    at = _run("home.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Transcripts"] == "10"
    assert int(metrics["Codings"]) > 0


def test_transcript_page_applies_and_removes_a_code(app_db: Path) -> None:
    at = _run("transcript.py")
    at.selectbox(key="app_user").set_value("sam.coder").run()
    # The first transcript has demo codings, so the demo cleared its PII review.
    assert at.selectbox(key="transcript_pick").value.anonymisation_status == "cleared"
    first_segment = at.multiselect(key="transcript_segments").options[0]
    at.multiselect(key="transcript_segments").select(first_segment)
    at.selectbox(key="transcript_code").set_value("waiting-times")
    at.text_area(key="transcript_memo").input("waiting framed as normal")
    at.button(key="transcript_apply").click().run()
    assert not at.exception
    store = Store.open(app_db)
    codings = [
        c
        for c in store.list_codings(project_id=1)
        if c.coder == "sam.coder" and c.code_key == "waiting-times"
    ]
    memos = store.list_memos(1, target_table="codings", target_ids=[c.id for c in codings])
    store.close()
    assert any(m.body == "waiting framed as normal" for m in memos)


@pytest.mark.slow
def test_transcript_page_accepts_a_suggestion_with_one_click(app_db: Path) -> None:
    at = _run("transcript.py")
    at.selectbox(key="app_user").set_value("alex.coder").run()
    at.toggle(key="transcript_suggest").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    accept = next(b for b in at.button if b.key and b.key.startswith("transcript_accept_"))
    accept.click().run()
    assert not at.exception, [e.value for e in at.exception]
    store = Store.open(app_db)
    accepted = [c for c in store.list_codings(project_id=1) if c.source == "accepted-suggestion"]
    decisions = store.list_suggestion_decisions(1)
    store.close()
    assert len(accepted) == 1 and accepted[0].coder == "alex.coder"
    assert [d["decision"] for d in decisions] == ["accepted"]


def test_codebook_page_adds_a_code_as_new_version(app_db: Path) -> None:
    at = _run("codebook_page.py")
    at.text_input(key="codebook_name").input("Sleep and routine")
    at.text_area(key="codebook_definition").input("How sleep patterns affect wellbeing.")
    form_submit = next(b for b in at.button if b.label == "Save as new version")
    form_submit.click().run()
    assert not at.exception
    store = Store.open(app_db)
    version = store.latest_codebook_version(1)
    keys = [c.key for c in store.list_codes(version.id)] if version else []
    store.close()
    assert version is not None and version.version == 2
    assert "sleep-and-routine" in keys


def test_retrieve_page_lists_quotes_for_a_code(app_db: Path) -> None:
    at = _run("retrieve.py")
    store = Store.open(app_db)
    coded_key = store.list_codings(project_id=1)[0].code_key
    store.close()
    at.multiselect(key="retrieve_codes").select(coded_key).run()
    assert not at.exception
    assert any("quotes from" in m.value for m in at.markdown)
