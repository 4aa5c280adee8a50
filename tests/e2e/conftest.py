"""Browser fixtures: the app under `streamlit run` on a free port, Debian's Chromium driven
by Playwright, screenshots kept as test artefacts, and axe-core for accessibility.

Without Chromium these tests skip, unless `E2E_REQUIRED=1` (set by `.ci/run`), where a
missing browser or axe-core is a failure.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from benchmarks._app import CHROMIUM, CHROMIUM_ARGS, running_app

E2E_DIR = Path(__file__).resolve().parent
AXE_SCRIPT = E2E_DIR / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS", E2E_DIR.parent.parent / "test-artifacts" / "e2e"))
BLOCKING_IMPACTS = ("serious", "critical")


def _missing(what: str) -> None:
    if os.environ.get("E2E_REQUIRED") == "1":
        pytest.fail(f"browser tests need {what} (E2E_REQUIRED=1)")
    pytest.skip(f"browser tests need {what}")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        _missing(f"Chromium at {CHROMIUM} (apt-get install chromium)")
    if not AXE_SCRIPT.exists():
        _missing(f"axe-core at {AXE_SCRIPT} (npm ci --prefix tests/e2e)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def app_url(demo_db_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo study, served by `streamlit run` for the tests of one module."""
    db_path = tmp_path_factory.mktemp("e2e") / "study.db"
    shutil.copyfile(demo_db_template, db_path)
    with running_app(db_path) as (url, _):
        yield url


@pytest.fixture(scope="session")
def artifacts() -> Path:
    if ARTIFACTS.exists():
        shutil.rmtree(ARTIFACTS)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


class Shots:
    """Numbered full-page screenshots, in the order the journey took them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    def take(self, page: Any, name: str) -> Path:
        self.count += 1
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        path = self.folder / f"{self.count:02d}-{slug}.png"
        page.wait_for_timeout(400)
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture(scope="session")
def shots(artifacts: Path) -> Shots:
    return Shots(artifacts)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the page as it is now (WCAG 2.x A/AA)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    result = page.evaluate(
        """async () => await window.axe.run(document, {
            runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
            resultTypes: ['violations'],
        })"""
    )
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [
                {
                    "target": node["target"],
                    "html": node["html"][:200],
                    "why": node["failureSummary"],
                }
                for node in violation["nodes"][:5]
            ],
        }
        for violation in result["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]


@pytest.fixture(scope="session")
def axe_report(artifacts: Path) -> Iterator[dict[str, list[dict[str, Any]]]]:
    """Every checked page's blocking violations, written out as a test artefact."""
    report: dict[str, list[dict[str, Any]]] = {}
    yield report
    (artifacts / "axe-report.json").write_text(json.dumps(report, indent=2))
