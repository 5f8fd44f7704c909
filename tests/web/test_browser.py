"""End to end: a real uvicorn server on 127.0.0.1 and Debian's chromium driven by Playwright."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from forcewatch.web.app import create_app
from tests.publish import browser
from tests.web.conftest import TOKEN

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def server(project_copy: Path) -> Iterator[str]:
    """The dashboard served by uvicorn in a thread; yields its base URL."""
    browser.chromium_path()  # skip early, before starting a server, when there is no browser
    port = _free_port()
    config = uvicorn.Config(
        create_app(str(project_copy), token=TOKEN), host="127.0.0.1", port=port, log_level="error"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


def _wait_until(page: Any, expression: str, timeout_s: float = 15.0) -> None:
    """Poll a JavaScript expression from Python. (Playwright's wait_for_function polls with
    eval inside the page, which the dashboard's Content-Security-Policy rightly forbids.)"""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {expression}")
        time.sleep(0.1)


def test_add_a_claim_in_the_browser_and_see_it_listed(server: str) -> None:
    text = "Battalions near Klintsy have left for their home bases."
    with browser.sync_playwright() as pw:
        chromium = browser.launch(pw)
        try:
            page = chromium.new_page(viewport={"width": 1000, "height": 800})
            errors = browser.ConsoleErrors(page)
            page.goto(f"{server}/claims")
            assert page.locator("table#claims tbody tr").count() == 3
            assert page.get_by_text("SIMULATED IMAGERY").count() == 1
            for img in page.locator("img").all():
                img.scroll_into_view_if_needed()
            _wait_until(
                page,
                "Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)",
            )
            page.locator("main").get_by_role("link", name="Add a claim").click()
            page.wait_for_url(f"{server}/claims/new")
            page.fill("input[name=speaker]", "Defence ministry")
            page.fill("input[name=stated_on]", "2022-02-16")
            page.select_option("select[name=kind]", "withdrawal")
            page.fill("textarea[name=quote]", text)
            page.select_option("select[name=sites]", ["Klintsy"])
            page.select_option("select[name=trend]", "decrease")
            page.fill("input[name=token]", TOKEN)
            page.click("button[type=submit]")
            page.wait_for_url(f"{server}/claims#claim-*", timeout=10_000)
            assert page.locator("table#claims tbody tr").count() == 4
            assert page.get_by_text(text).is_visible()

            other = chromium.new_page()
            other.goto(f"{server}/claims/new")
            other.fill("input[name=speaker]", "Someone")
            other.fill("input[name=stated_on]", "2022-02-16")
            other.fill("textarea[name=quote]", "Another claim")
            other.fill("input[name=token]", "wrong")
            other.click("button[type=submit]")
            _wait_until(
                other, "document.getElementById('form-status').textContent.startsWith('Not added')"
            )
            status = other.inner_text("#form-status")
        finally:
            chromium.close()
    assert errors.messages == []
    assert "wrong token" in status
