"""Small steps on Streamlit widgets, as a user makes them in the browser."""

from __future__ import annotations

from typing import Any

from benchmarks._app import go_to, sign_in

__all__ = ["choose", "click", "go_to", "sign_in", "wait_for_text", "wait_idle"]

TIMEOUT_MS = 60_000


def wait_idle(page: Any) -> None:
    """Wait until Streamlit has finished the rerun a click started."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="hidden", timeout=TIMEOUT_MS)
    page.wait_for_timeout(300)


def wait_for_text(page: Any, text: str, timeout: int = TIMEOUT_MS) -> None:
    """Wait for `text` anywhere on the page; on a timeout, say what the page shows."""
    try:
        page.get_by_text(text, exact=False).filter(visible=True).first.wait_for(timeout=timeout)
    except Exception as exc:
        shown = page.inner_text("body")[-3000:]
        raise AssertionError(f"'{text}' never appeared; the page shows:\n{shown}") from exc


def click(page: Any, name: str, *, exact: bool = False) -> None:
    page.get_by_role("button", name=name, exact=exact).first.click()
    wait_idle(page)


def choose(page: Any, label: str, option: str, *, within: Any = None) -> None:
    """Pick `option` in the select box or multiselect labelled `label` (inside `within`,
    where given), by typing it."""
    box = (within or page).get_by_role("combobox", name=label, exact=True).first
    box.click()
    box.fill(option)
    page.get_by_role("option", name=option).first.click()
    page.keyboard.press("Escape")
    wait_idle(page)


def expander(page: Any, title_part: str) -> Any:
    """The expander whose title contains `title_part`, opened."""
    found = page.locator('[data-testid="stExpander"]').filter(
        has=page.locator("summary", has_text=title_part)
    )
    found.first.wait_for(timeout=TIMEOUT_MS)
    if found.first.locator("details").get_attribute("open") not in ("", "true"):
        found.first.locator("summary").click()
        wait_idle(page)
    return found.first


def set_status(page: Any, within: Any, status: str) -> None:
    """Press a status in the draft / in review / agreed control inside `within`."""
    within.get_by_role("radio", name=status, exact=True).first.click()
    wait_idle(page)
