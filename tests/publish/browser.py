"""Finding a browser for the rendering tests: Debian's chromium driven by Playwright.

No browser is downloaded: Playwright is pointed at the system chromium (``executable_path``).
Tests skip with a reason when either is missing, unless ``FORCEWATCH_REQUIRE_BROWSER=1``
(CI), where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

NAMES = ("chromium", "chromium-browser")


def _missing(reason: str) -> None:
    if os.environ.get("FORCEWATCH_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} and FORCEWATCH_REQUIRE_BROWSER=1")
    pytest.skip(f"{reason} (Debian: apt-get install chromium; pip install playwright)")


def chromium_path() -> str:
    """The system chromium, or skip/fail the test."""
    chosen = os.environ.get("FORCEWATCH_CHROMIUM")
    found = chosen if chosen and os.path.isfile(chosen) else None
    for name in NAMES:
        found = found or shutil.which(name)
    if found is None:
        _missing("chromium is not installed")
    return str(found)


def launch(playwright: Any) -> Any:
    """A headless chromium browser from Playwright, on the system executable."""
    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    return playwright.chromium.launch(executable_path=chromium_path(), args=args)


def sync_playwright() -> Any:
    try:
        from playwright.sync_api import sync_playwright as start
    except ImportError:
        _missing("the playwright Python package is not installed")
    return start()


class ConsoleErrors:
    """Collects console errors and uncaught page errors of a Playwright page."""

    def __init__(self, page: Any) -> None:
        self.messages: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.messages.append(f"page error: {exc}"))

    def _console(self, msg: Any) -> None:
        if msg.type == "error":
            self.messages.append(f"console: {msg.text}")
