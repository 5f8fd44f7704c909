"""The HTML report: its parts, that it is self-contained, and that it renders in a browser."""

from __future__ import annotations

import dataclasses
import os
from html.parser import HTMLParser
from pathlib import Path

import pytest

from forcewatch.errors import InputError
from forcewatch.publish import PublishError
from forcewatch.publish.report import build_report, find_chromium, render_report
from forcewatch.publish.source import load_evidence, open_source
from tests.publish import browser
from tests.publish.fixtures import Fixture

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO_ROOT / "docs" / "report-screenshot.png"
SECTIONS = ("summary", "map", "sites", "evidence", "bands", "methods")


class Outline(HTMLParser):
    """Records, per top-level section, what the report holds (tags, classes, attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.section: str | None = None
        self.depth = 0
        self.sections: dict[str, dict[str, int]] = {}
        self.links: list[tuple[str, str, str]] = []
        self.text: list[str] = []
        self.claim_rows = 0
        self.in_claims = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section":
            self.section, self.depth = a.get("id"), 0
            self.sections[str(self.section)] = {}
        if self.section:
            counts = self.sections[self.section]
            counts[tag] = counts.get(tag, 0) + 1
            for cls in (a.get("class") or "").split():
                counts["." + cls] = counts.get("." + cls, 0) + 1
        for name, value in attrs:
            if name in ("src", "href", "xlink:href", "action", "poster", "srcset", "data"):
                self.links.append((tag, name, value or ""))
        if tag == "table" and "claims" in (a.get("class") or ""):
            self.in_claims = True
        if self.in_claims and tag == "tr" and (a.get("id") or "").startswith("claim-"):
            self.claim_rows += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.in_claims = False
        if tag == "section":
            self.section = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)


@pytest.fixture(scope="module")
def report(fixture_project: Fixture, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    return build_report(fixture_project.project, out)


@pytest.fixture(scope="module")
def outline(report: Path) -> Outline:
    parser = Outline()
    parser.feed(report.read_text(encoding="utf-8"))
    return parser


def test_report_has_every_section_with_a_simulated_banner(outline: Outline) -> None:
    assert set(SECTIONS) <= set(outline.sections)
    for name in SECTIONS:
        assert outline.sections[name].get(".banner") == 1, f"no banner in section {name}"
    assert "SIMULATED IMAGERY" in "".join(outline.text)


def test_report_summarises_each_claim_with_its_verdict_in_words(outline: Outline) -> None:
    text = " ".join(" ".join(outline.text).split())
    assert outline.claim_rows == 3
    assert "contradicts the claim" in text
    assert "Activity at Yelnya fell by about 60%." in text
    assert "could not see the site(s)" in text
    assert "confidence 97%" in text


def test_report_draws_one_chart_per_site_a_map_and_the_band_chart(outline: Outline) -> None:
    assert outline.sections["sites"].get("article") == 3
    assert outline.sections["sites"].get("svg") == 3
    assert outline.sections["map"].get("svg") == 1
    assert outline.sections["bands"].get("svg") == 1


def test_report_shows_before_and_after_chips_for_each_driver(outline: Outline) -> None:
    chips = [v for tag, name, v in outline.links if tag == "img" and name == "src"]
    assert len(chips) == 6  # 3 verdicts x 1 driver x (before, after)
    assert all(v.startswith("data:image/png;base64,") for v in chips)


def test_report_links_nothing_outside_itself(report: Path, outline: Outline) -> None:
    assert outline.links, "expected data: images and #anchors"
    for tag, name, value in outline.links:
        assert value.startswith(("data:", "#")), f"<{tag} {name}={value[:60]!r}> leaves the file"
    html = report.read_text(encoding="utf-8")
    assert "@import" not in html and "url(http" not in html and "<script" not in html


def test_report_methods_state_parameters_sources_and_limits(outline: Outline) -> None:
    text = " ".join(" ".join(outline.text).split())
    for needle in (
        "sar.enl",
        "assess.reference_days",
        "p0001",  # parameter hash of the measurements
        "2022-01-01",  # first scene
        "s1:ro109",
        "forcewatch",
        "Valuyki: 2022-02-12",  # blind period
        "Simulated data",
    ):
        assert needle in text, needle


def test_blind_is_hatched_and_quiet_is_plain_green(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    articles = html.split('<article class="site"')[1:]
    by_name = {a.split("<h3>")[1].split(" ")[0]: a for a in articles}
    # matplotlib writes a hatch as an SVG <pattern>; quiet fills are the plain green
    assert "<pattern" in by_name["Valuyki"] and "blind (no usable view - NOT quiet)" in html
    assert "<pattern" not in by_name["Klintsy"]
    assert "#c7e9c0" in by_name["Klintsy"]


def test_report_marks_claim_dates_and_onsets(report: Path) -> None:
    html = report.read_text(encoding="utf-8")
    klintsy = html.split('<article class="site"')[1]
    assert ">c1<" in klintsy
    assert "Onsets: 2022-02-04" in klintsy


def test_no_banner_when_nothing_is_simulated(fixture_project: Fixture) -> None:
    source = open_source(fixture_project.project)
    evidence = dataclasses.replace(load_evidence(source), simulated=False)
    assert "SIMULATED IMAGERY" not in render_report(evidence, source)


def test_report_for_chosen_sites_and_claims(fixture_project: Fixture, tmp_path: Path) -> None:
    out = build_report(
        fixture_project.project, tmp_path / "r.html", claim_ids=["c1"], site_names=["Klintsy"]
    )
    parser = Outline()
    parser.feed(out.read_text(encoding="utf-8"))
    assert parser.claim_rows == 1
    assert parser.sections["sites"].get("article") == 1


def test_report_from_a_store_url_alone(fixture_project: Fixture, tmp_path: Path) -> None:
    out = build_report(fixture_project.project.store_url, tmp_path / "r.html")
    html = out.read_text(encoding="utf-8")
    assert "No project configuration was available" in html
    assert "SIMULATED IMAGERY" in html  # from the scenes themselves


def test_unknown_site_is_an_input_error(fixture_project: Fixture, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="Atlantis"):
        build_report(fixture_project.project, tmp_path / "r.html", site_names=["Atlantis"])


def test_unreadable_scene_file_shows_a_placeholder(fixture_project: Fixture) -> None:
    source = open_source(fixture_project.project)
    evidence = load_evidence(source)
    gone = evidence.scenes.assign(href="/nonexistent/scene.tif")
    html = render_report(dataclasses.replace(evidence, scenes=gone), source)
    assert "image file unavailable" in html
    assert "data:image/png" not in html


def test_pdf_without_chromium_is_a_clear_error(
    fixture_project: Fixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCEWATCH_CHROMIUM", str(tmp_path / "no-such-chromium"))
    # the variable is set: say that it names nothing (it said "set FORCEWATCH_CHROMIUM")
    with pytest.raises(PublishError, match="FORCEWATCH_CHROMIUM is .*no-such-chromium"):
        build_report(fixture_project.project, tmp_path / "r.html", pdf=True)
    monkeypatch.delenv("FORCEWATCH_CHROMIUM")
    monkeypatch.setattr("forcewatch.publish.report.shutil.which", lambda _name: None)
    with pytest.raises(PublishError, match="needs Chromium, which is not installed"):
        build_report(fixture_project.project, tmp_path / "r2.html", pdf=True)


@pytest.mark.browser
def test_pdf_is_printed_with_headless_chromium(report: Path, tmp_path: Path) -> None:
    browser.chromium_path()
    assert find_chromium() is not None
    from forcewatch.publish.report import print_pdf

    pdf = print_pdf(report, tmp_path / "report.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"


@pytest.mark.browser
def test_report_renders_in_chromium_without_errors(report: Path) -> None:
    with browser.sync_playwright() as pw:
        chromium = browser.launch(pw)
        try:
            page = chromium.new_page(viewport={"width": 1100, "height": 900})
            errors = browser.ConsoleErrors(page)
            page.goto(report.as_uri())
            assert page.locator("section#sites svg").count() == 3
            assert page.locator("img").evaluate_all(
                "imgs => imgs.every(i => i.complete && i.naturalWidth > 0)"
            )
            shot = page.screenshot(type="png")
            phone = chromium.new_page(viewport={"width": 390, "height": 844})
            errors_phone = browser.ConsoleErrors(phone)
            phone.goto(report.as_uri())
            overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        finally:
            chromium.close()
    assert not errors.messages + errors_phone.messages
    assert overflow <= 1, "the report is wider than a phone screen"
    assert shot[:8] == b"\x89PNG\r\n\x1a\n"
    if os.environ.get("FORCEWATCH_UPDATE_SCREENSHOT") == "1":
        SCREENSHOT.parent.mkdir(exist_ok=True)
        SCREENSHOT.write_bytes(shot)
        assert SCREENSHOT.stat().st_size < 300_000, "screenshot too large for the docs"
