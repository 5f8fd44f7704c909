"""Article files: saved HTML pages, their dates and outlets, index files, the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from forcewatch.claims.article import dateline, html_to_article, read_article, read_index
from forcewatch.claims.extract import extract_claims
from forcewatch.claims.model import ClaimKind
from forcewatch.cli import app
from forcewatch.errors import InputError

PAGE = """<!DOCTYPE html>
<html><head>
<meta property="og:site_name" content="Example News">
<meta property="article:published_time" content="2022-02-16T09:30:00Z">
<style>p { color: red; }</style>
<script>var tracking = "Russia said troops were returning to their bases.";</script>
</head><body>
<nav><a href="/">Home</a> Russia has massed 100,000 troops, the menu said.</nav>
<article>
<h1>Russia says some troops return to base</h1>
<p>Russia&#8217;s defence ministry said on Tuesday that some units were returning to their
bases after drills.</p>
<p>NATO said it had seen no sign of a withdrawal &amp; that more troops were arriving.</p>
</article>
</body></html>
"""


def test_an_html_page_gives_its_prose_date_and_outlet() -> None:
    article = html_to_article(PAGE)
    assert article.published_on == date(2022, 2, 16)
    assert article.outlet == "Example News"
    lines = article.text.splitlines()
    assert "Russia's defence ministry said on Tuesday that some units were returning to their" in (
        article.text.replace("\u2019", "'")
    )
    assert not any("tracking" in line or "menu" in line or "color" in line for line in lines)
    assert "& that more troops" in article.text  # entities decoded


def test_json_ld_and_time_tags_date_a_page() -> None:
    ld = (
        '<html><head><script type="application/ld+json">{"@type": "NewsArticle", '
        '"datePublished": "2022-02-17T06:00:00+00:00"}</script></head><body><p>Text.</p>'
        "</body></html>"
    )
    assert html_to_article(ld).published_on == date(2022, 2, 17)
    timed = '<html><body><time datetime="2022-02-18">Friday</time><p>Text.</p></body></html>'
    assert html_to_article(timed).published_on == date(2022, 2, 18)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ("Updated 1012 GMT (1812 HKT) February 17, 2022\nText.", date(2022, 2, 17)),
        ("By A Reporter | 16 February 2022\nText.", date(2022, 2, 16)),
        ("Published 2022-02-15\nText.", date(2022, 2, 15)),
        ("No date here.\nRussia said troops were leaving.", None),
    ],
)
def test_a_dateline_in_the_first_lines(head: str, expected: date | None) -> None:
    assert dateline(head) == expected


def test_a_binary_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(InputError, match="binary"):
        read_article(path)


def _pdf(pages: list[list[str]], created: str = "D:20220218093000Z") -> bytes:
    """A minimal PDF (Helvetica, one text line per entry) written by hand for these tests."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", b"<< /Type /Font /Subtype /Type1 "
               b"/BaseFont /Helvetica >>", f"<< /CreationDate ({created}) >>".encode()]  # fmt: skip
    kids = []
    for lines in pages:
        shown = " T* ".join(
            "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") Tj"
            for line in lines
        )
        stream = f"BT /F1 10 Tf 14 TL 50 750 Td {shown} ET".encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
            b"/Resources << /Font << /F1 3 0 R >> >> >>" % (len(objects))
        )
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>".encode()
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


HEAD = "CSIS Briefs | Russia's posture on Ukraine's borders"
REPORT_PAGES = [
    [
        HEAD,
        "Summary",
        "The Russian Ministry of Defence announced on 15 February that units of",
        "the Southern and Western Military Districts had begun loading equip-",
        "ment onto trains to return to their permanent bases. We have found no",
        "1",
    ],
    [
        HEAD,
        "evidence of such a withdrawal: imagery from 16 February shows new field",
        "hospitals near Belgorod and more than 40 helicopters at Millerovo air base.",
        "2",
    ],
    [HEAD, "Methods", "Imagery was provided by Maxar Technologies.", "3"],
]
# the running head and page number between two halves of a sentence are dropped


def test_a_pdf_report_is_read_page_after_page_and_dated(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(_pdf(REPORT_PAGES))
    article = read_article(path)
    assert article.published_on == date(2022, 2, 18)  # its creation date: no dateline
    claims = extract_claims(article.text, date(2022, 2, 18), "CSIS")
    kinds = {(c.speaker, c.kind.value, c.denied_kind) for c in claims}
    assert ("Russian Ministry of Defence", "withdrawal", None) in kinds
    assert ("CSIS", "denial", ClaimKind.WITHDRAWAL) in kinds  # across the page break
    assert any(c.quantity == 40 and c.unit == "helicopters" for c in claims)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (_pdf([[]]), "holds no text"),
        (_pdf(REPORT_PAGES)[:200], "not a readable PDF"),
        (b"%PDF-1.4\n" + b"\x00garbage" * 20, "not a readable PDF"),
    ],
)
def test_unreadable_pdfs_are_refused_with_what_to_do(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_article(path)
    # the command: one line, what to do, a non-zero exit code, no traceback
    run = subprocess.run(
        [sys.executable, "-c", "from forcewatch.cli import main; main()", "claims", "extract",
         str(path), "--published", "2022-02-18"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode != 0
    said = (run.stdout + run.stderr).strip()
    assert message in said and "Traceback" not in said and len(said.splitlines()) == 1, said


def test_an_index_reads_files_dates_and_outlets(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Text.")
    index = tmp_path / "index.yaml"
    index.write_text("- file: a.txt\n  outlet: Wire\n  published: 2022-02-16\n")
    [entry] = read_index(index)
    assert (entry.path, entry.outlet, entry.published_on) == (
        tmp_path / "a.txt",
        "Wire",
        date(2022, 2, 16),
    )
    index.write_text("- file: a.txt\n  published: 16/02/2022\n")
    with pytest.raises(InputError, match="not a date"):
        read_index(index)
    index.write_text("- outlet: Wire\n")
    with pytest.raises(InputError, match="no 'file'"):
        read_index(index)
    index.write_text("- file: [unclosed\n")
    with pytest.raises(InputError, match="not valid YAML"):
        read_index(index)


def test_the_command_reads_an_html_page_with_its_own_date_and_outlet(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(PAGE)
    result = CliRunner().invoke(app, ["claims", "extract", str(page), "--json"])
    assert result.exit_code == 0, result.output
    claims = json.loads(result.stdout)
    ministry = [c for c in claims if c["speaker"] == "Russian Ministry of Defence"]
    assert len(ministry) == 1 and ministry[0]["kind"] == "withdrawal"
    assert ministry[0]["stated_on"] == "2022-02-15"  # "on Tuesday" before 16 February
    assert all(c["outlet"] == "Example News" for c in claims)
    assert not any("menu" in c["quote"] or "tracking" in c["quote"] for c in claims)


def test_the_command_with_an_index_and_without_articles(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(
        "Russia's defence ministry said on Tuesday that units were returning to their bases.\n"
    )
    index = tmp_path / "index.yaml"
    index.write_text("- file: a.txt\n  outlet: Wire\n  published: 2022-02-16\n")
    runner = CliRunner()
    result = runner.invoke(app, ["claims", "extract", "--index", str(index), "--json"])
    assert result.exit_code == 0, result.output
    [claim] = json.loads(result.stdout)
    assert (claim["outlet"], claim["stated_on"]) == ("Wire", "2022-02-15")
    result = runner.invoke(app, ["claims", "extract"])
    assert isinstance(result.exception, InputError) and "no article given" in str(result.exception)
