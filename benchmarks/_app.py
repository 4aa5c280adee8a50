"""Start the app on a free port and drive it with Debian's Chromium (shared by scripts)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_app(db_path: Path) -> Iterator[tuple[str, float]]:
    """Yield (url, start time) of `streamlit run streamlit_app.py` on a free port."""
    port = free_port()
    env = {**os.environ, "STUDY_DB": str(db_path), "HF_HUB_OFFLINE": "1"}
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py",
         "--server.headless", "true", "--server.port", str(port),
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        yield url, started
    finally:
        process.terminate()
        process.wait(timeout=20)


def sign_in(page, name: str, password: str) -> None:  # type: ignore[no-untyped-def]
    """Fill the app's sign-in form and wait for the signed-in sidebar."""
    page.get_by_label("Account name").fill(name)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as").first.wait_for(timeout=60_000)


def go_to(page, title: str) -> None:  # type: ignore[no-untyped-def]
    """Open a page from the sidebar (a reload would start a new, signed-out session)."""
    link = page.get_by_role("link", name=title).first
    more = page.get_by_text("View", exact=False).filter(has_text="more")
    if not link.is_visible() and more.count():
        more.first.click()  # the sidebar folds away pages after the first ten
    link.click()
    page.wait_for_timeout(2500)
