"""How long until a newcomer sees the first page of the demo study?

Starts `streamlit run` and measures, in Chromium driven by Playwright, the time from
process start until the page shows the demo study's text (the Transcripts metric and
a transcript name), not just the health endpoint. Two cases:

- warm: the database already holds the demo study (every run after the first);
- first run: an empty database, so the app loads the demo study before showing it.

Prints medians and the ratio to the 3 s target. Usage:
    python benchmarks/first_page_bench.py [--runs 3] [--screenshot docs/screenshots/study.png]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.demo import DEMO_PASSWORD
from benchmarks._app import CHROMIUM, CHROMIUM_ARGS, running_app, sign_in

TARGET_S = 3.0
PAGE_TEXT = "(demo study)"


def time_first_page(db_path: Path, screenshot: Path | None = None) -> float:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        with running_app(db_path) as (url, started):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(url)
            # The first page is the sign-in form (with the demo accounts listed).
            page.get_by_label("Account name").wait_for(timeout=60_000)
            elapsed = time.perf_counter() - started
            sign_in(page, "lead", DEMO_PASSWORD)
            page.get_by_role("heading", name=PAGE_TEXT).first.wait_for(timeout=60_000)
            if screenshot:
                page.wait_for_timeout(1000)
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot), full_page=True)
        browser.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--screenshot", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        first_runs, warm_runs = [], []
        for run in range(args.runs):
            db = Path(folder) / f"study-{run}.db"
            first_runs.append(time_first_page(db))
            warm_runs.append(time_first_page(db, args.screenshot if run == 0 else None))
    for label, runs in (
        ("warm start (demo already loaded)", warm_runs),
        ("first run (empty database)", first_runs),
    ):
        median = statistics.median(runs)
        print(
            f"{label}: median {median:.2f} s over {len(runs)} runs "
            f"({', '.join(f'{r:.2f}' for r in runs)}); ratio to {TARGET_S:.0f} s target: {median / TARGET_S:.2f}"
        )


if __name__ == "__main__":
    main()
