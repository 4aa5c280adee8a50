"""Screenshots of the main pages on the demo study, for the README.

Usage: python docs/make_screenshots.py   (needs Debian's chromium and playwright)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._app import CHROMIUM, CHROMIUM_ARGS, running_app

OUT = Path(__file__).resolve().parent / "screenshots"
PAGES = {
    "study": "",
    "transcript": "transcript",
    "review": "review",
    "codebook": "codebook",
    "import": "import",
}


def main() -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        with running_app(Path(folder) / "study.db") as (url, _):
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            for name, path in PAGES.items():
                page.goto(f"{url}/{path}")
                page.get_by_text("Working as").first.wait_for(timeout=60_000)
                page.wait_for_timeout(2500)
                page.screenshot(path=str(OUT / f"{name}.png"))
                print(f"wrote {OUT / f'{name}.png'}")
        browser.close()


if __name__ == "__main__":
    main()
