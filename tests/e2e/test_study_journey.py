"""The whole study path in a real browser, one role after another, on one running app:

1. a student researcher imports a transcript with a planted name, redacts it on the
   Review page, codes one segment by hand and one by accepting a suggestion, and finds
   both in Retrieve;
2. a project lead builds a theme and a finding with that quote, agrees them and adds a
   recommendation;
3. an evaluator exports the evidence summary and cannot open a transcript.

Every page visited is checked with axe-core. The tests run in file order and share the
study, as the three people would.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from docx import Document

from analysis.demo import DEMO_PASSWORD
from tests.e2e.conftest import E2E_DIR, Shots, axe_violations
from tests.e2e.ui import (
    choose,
    click,
    expander,
    go_to,
    set_status,
    sign_in,
    wait_for_text,
    wait_idle,
)

pytestmark = pytest.mark.slow

PLANTED_FILE = E2E_DIR / "planted_interview.txt"
PLANTED_NAME = "Callum Fairweather"
PSEUDONYM = "P11"
HAND_CODED = "The peer support group on Thursdays helped a lot"
FINDING = "Peer groups eased the wait for counselling"
RECOMMENDATION = "Fund weekly peer support groups while students wait for counselling"


@pytest.fixture(scope="module")
def context(browser: Any) -> Any:
    made = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    yield made
    made.close()


def open_as(context: Any, app_url: str, name: str) -> Any:
    page = context.new_page()
    page.goto(app_url)
    page.get_by_label("Account name").wait_for(timeout=60_000)
    sign_in(page, name, DEMO_PASSWORD)
    wait_idle(page)
    return page


def check_page(page: Any, name: str, shots: Shots, axe_report: dict[str, Any]) -> None:
    """Screenshot the page and record its serious or critical accessibility problems."""
    shots.take(page, name)
    axe_report[name] = axe_violations(page)


def test_researcher_imports_reviews_codes_and_retrieves(
    context: Any, app_url: str, shots: Shots, axe_report: dict[str, Any]
) -> None:
    page = open_as(context, app_url, "sam.coder")
    check_page(page, "researcher study", shots, axe_report)

    go_to(page, "Import")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
        str(PLANTED_FILE)
    )
    wait_for_text(page, "Participant pseudonym")
    pseudonym = page.get_by_label("Participant pseudonym").first
    pseudonym.fill(PSEUDONYM)
    pseudonym.press("Enter")
    wait_idle(page)
    check_page(page, "researcher import", shots, axe_report)
    click(page, "Import", exact=True)
    wait_for_text(page, f"Imported {PLANTED_FILE.name}")
    wait_for_text(page, "possible identifiers to settle")
    shots.take(page, "researcher imported")

    # The participant agreed to be quoted: record it, or no report may quote them.
    go_to(page, "Participants")
    consent = page.locator('[data-testid="stForm"]').filter(has_text="Record consent")
    choose(page, "Participant", PSEUDONYM, within=consent)
    consent.get_by_label("Consent date (YYYY-MM-DD)").fill("2026-10-05")
    consent.get_by_role("radiogroup", name="May be quoted in reports").get_by_text(
        "yes", exact=True
    ).click()
    consent.get_by_role("button", name="Record consent").click()
    wait_idle(page)
    check_page(page, "researcher participants consent", shots, axe_report)

    go_to(page, "Review")
    choose(page, "Transcript", f"{PLANTED_FILE.name}: needs review (1 pending)")
    finding = page.locator('[class*="st-key-review_finding_"]').filter(has_text=PLANTED_NAME)
    assert finding.count() >= 1, page.inner_text("body")
    check_page(page, "researcher review", shots, axe_report)
    finding.first.get_by_role("button", name="Redact").click()
    wait_idle(page)
    wait_for_text(page, "is cleared")
    check_page(page, "researcher review cleared", shots, axe_report)

    go_to(page, "Transcript")
    choose(page, "Transcript", f"{PLANTED_FILE.name} ({PSEUDONYM})")
    body = page.inner_text("body")
    assert PLANTED_NAME not in body and "[PERSON_" in body
    choose(page, "Segments", HAND_CODED[:30])
    choose(page, "Code (type to search)", "Peer support schemes and groups")
    click(page, "Apply code", exact=True)
    page.get_by_text("Peer support schemes and groups · sam.coder").first.wait_for()
    check_page(page, "researcher transcript coded by hand", shots, axe_report)

    page.get_by_text("Suggest codes").first.click()
    page.get_by_role("button", name="Accept").first.wait_for(timeout=120_000)
    wait_idle(page)
    before = page.get_by_text("· sam.coder —").count()
    click(page, "Accept")
    page.wait_for_function(
        "n => document.body.innerText.split('· sam.coder —').length - 1 > n", arg=before
    )
    check_page(page, "researcher accepted a suggestion", shots, axe_report)

    go_to(page, "Retrieve")
    choose(page, "Codes", "Peer support schemes and groups")
    choose(page, "Coders", "sam.coder")
    wait_for_text(page, HAND_CODED)
    assert f"{PSEUDONYM} · {PLANTED_FILE.name}" in page.inner_text("body")
    check_page(page, "researcher retrieve", shots, axe_report)
    page.close()


THEME = "Peer groups while waiting"
# Indexes of charts not followed, within the next three page elements, by a table or a
# caption giving their figures ("Text alternative: ..." or "... as a table").
CHARTS_WITHOUT_ALTERNATIVE = """() => {
  const charts = document.querySelectorAll(
    '[data-testid="stVegaLiteChart"], [data-testid="stPlotlyChart"]');
  const missing = [];
  charts.forEach((chart, index) => {
    let element = chart.closest('[data-testid="stElementContainer"]');
    for (let step = 0; step < 3 && element; step++) {
      element = element.nextElementSibling;
      if (!element) break;
      if (element.querySelector('[data-testid="stDataFrame"]')) return;
      const caption = element.querySelector('[data-testid="stCaptionContainer"]');
      if (caption && /Text alternative|as a table/.test(caption.innerText)) return;
    }
    missing.push(index);
  });
  return missing;
}"""


def test_lead_builds_theme_finding_and_recommendation(
    context: Any, app_url: str, shots: Shots, axe_report: dict[str, Any]
) -> None:
    page = open_as(context, app_url, "lead")
    go_to(page, "Themes")
    new_theme = expander(page, "New theme")
    new_theme.get_by_label("Name", exact=True).fill(THEME)
    new_theme.get_by_label("Narrative", exact=True).fill(
        "Students waiting for counselling found weekly peer groups made the wait bearable."
    )
    choose(page, "Codes (a code covers its sub-codes)", "Peer support schemes and groups")
    click(page, "Create theme")
    wait_for_text(page, f"Theme '{THEME}' created")

    theme = expander(page, THEME)
    theme.get_by_label("New finding", exact=True).fill(FINDING)
    theme.get_by_role("button", name="Add finding").click()
    wait_idle(page)
    theme = expander(page, THEME)
    finding = theme.locator('[class*="st-key-themes_finding_"]').filter(has_text=FINDING)
    box = finding.get_by_role("combobox", name="Add an evidence quote")
    box.click()
    box.fill(HAND_CODED[:25])
    page.get_by_role("option").filter(has_text=f"{PSEUDONYM}:").first.click()
    wait_idle(page)
    finding.get_by_role("button", name="Add quote").click()
    wait_idle(page)
    theme = expander(page, THEME)
    wait_for_text(page, f"— {PSEUDONYM}, {PLANTED_FILE.name}")
    set_status(
        page,
        theme.locator('[class*="st-key-themes_finding_"]').filter(has_text=FINDING),
        "agreed",
    )
    theme = expander(page, THEME)
    set_status(page, theme, "agreed")
    theme = expander(page, f"{THEME} · agreed")
    assert f"{FINDING} · agreed" in theme.inner_text()
    check_page(page, "lead theme and finding agreed", shots, axe_report)

    go_to(page, "Recommendations")
    form = expander(page, "New recommendation")
    form.get_by_label("Recommendation", exact=True).fill(RECOMMENDATION)
    choose(page, "Rests on findings (at least one)", f"{THEME}: {FINDING}")
    choose(page, "For", "university")
    click(page, "Add recommendation")
    wait_for_text(page, RECOMMENDATION)
    card = page.locator('[class*="st-key-recommendation_"]').filter(has_text=RECOMMENDATION)
    set_status(page, card.first, "agreed")
    wait_for_text(page, "priority")
    assert "agreed" in card.first.inner_text()
    check_page(page, "lead recommendation agreed", shots, axe_report)
    page.close()


def test_evaluator_exports_the_summary_and_cannot_open_a_transcript(
    context: Any, app_url: str, shots: Shots, axe_report: dict[str, Any], artifacts: Path
) -> None:
    page = open_as(context, app_url, "evaluator")
    sidebar = page.locator('[data-testid="stSidebar"]').inner_text()
    assert "Export" in sidebar and "Transcript" not in sidebar and "Retrieve" not in sidebar
    check_page(page, "evaluator study", shots, axe_report)

    go_to(page, "Export")
    preview = page.locator('[class*="st-key-export_preview"]')
    preview.get_by_text(FINDING).first.wait_for(timeout=60_000)
    assert RECOMMENDATION in preview.inner_text()
    assert "Data for other tools" not in page.inner_text("body")
    check_page(page, "evaluator export", shots, axe_report)
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Download Word (DOCX)").click()
    saved = artifacts / "evidence-summary.docx"
    download.value.save_as(saved)
    text = "\n".join(p.text for p in Document(io.BytesIO(saved.read_bytes())).paragraphs)
    assert FINDING in text and RECOMMENDATION in text and HAND_CODED in text
    assert "DRAFT" not in text and "Money and mental health" not in text  # the demo's draft

    # A transcript's address, typed in: there is no such page for this role.
    page.goto(f"{app_url}/transcript")
    dialog = page.get_by_role("dialog")
    dialog.wait_for(timeout=60_000)
    assert "Page not found" in dialog.inner_text()
    shots.take(page, "evaluator cannot open a transcript")
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    sign_in(page, "evaluator", DEMO_PASSWORD)
    wait_idle(page)
    body = page.inner_text("body")
    assert HAND_CODED not in body and "Code (type to search)" not in body
    assert page.get_by_role("heading", name="Transcript", exact=True).count() == 0
    page.close()


def test_every_page_for_a_lead_is_accessible(
    context: Any, app_url: str, shots: Shots, axe_report: dict[str, Any]
) -> None:
    """The pages the journey did not pass through, and the sign-in page, each checked."""
    page = context.new_page()
    page.goto(app_url)
    page.get_by_label("Account name").wait_for(timeout=60_000)
    check_page(page, "sign in", shots, axe_report)
    sign_in(page, "lead", DEMO_PASSWORD)
    wait_idle(page)
    for title in ["Codebook", "Topics", "Reliability", "Disagreements", "Intersections",
                  "Accounts", "Audit log"]:  # fmt: skip
        go_to(page, title)
        wait_idle(page)
        check_page(page, f"lead {title}", shots, axe_report)
        if title == "Intersections":  # the heatmap is there to be checked
            page.locator('[data-testid="stVegaLiteChart"]').first.wait_for()
        missing = page.evaluate(CHARTS_WITHOUT_ALTERNATIVE)
        assert not missing, f"{title}: charts {missing} have no table or text alternative"
    page.close()


def test_no_serious_or_critical_accessibility_problems(axe_report: dict[str, Any]) -> None:
    """Runs last: every page the journey visited, checked with axe-core (WCAG 2.1 A/AA)."""
    assert axe_report, "the journey checked no pages"
    problems = {page: found for page, found in axe_report.items() if found}
    assert not problems, problems
