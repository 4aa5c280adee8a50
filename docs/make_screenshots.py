"""Screenshots of the main pages on the demo study, for the README.

Usage: python docs/make_screenshots.py   (needs Debian's chromium and playwright)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analysis.demo import DEMO_PASSWORD
from benchmarks._app import CHROMIUM, CHROMIUM_ARGS, go_to, running_app, sign_in

OUT = Path(__file__).resolve().parent / "screenshots"
# file name -> sidebar title, visited in order after signing in as the demo lead
PAGES = {
    "study": "Study",
    "transcript": "Transcript",
    "review": "Review",
    "codebook": "Codebook",
    "import": "Import",
    "reliability": "Reliability",
    "disagreements": "Disagreements",
    "themes": "Themes",
    "intersections": "Intersections",
    "recommendations": "Recommendations",
    "accounts": "Accounts",
    "audit": "Audit log",
}


def main() -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        with running_app(Path(folder) / "study.db") as (url, _):
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            page.get_by_label("Account name").wait_for(timeout=60_000)
            page.wait_for_timeout(1000)
            page.screenshot(path=str(OUT / "sign-in.png"))
            sign_in(page, "lead", DEMO_PASSWORD)
            for name, title in PAGES.items():
                go_to(page, title)
                page.screenshot(path=str(OUT / f"{name}.png"))
                print(f"wrote {OUT / f'{name}.png'}")
        browser.close()


if __name__ == "__main__":
    main()
