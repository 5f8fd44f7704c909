"""Article files for claim extraction: plain text or saved HTML, their dates and outlets.

``read_article`` turns a file into prose text one paragraph per line (HTML pages lose their
scripts, styles, navigation and markup; PDF reports give the text of their pages, which
extraction unwraps) and recovers what the page says about itself: the
publication date (``article:published_time``, JSON-LD ``datePublished``, a ``<time datetime>``,
or a dateline in the first lines of text such as "Updated 1012 GMT February 17, 2022") and the
outlet (``og:site_name``); a PDF without a dateline is dated by its creation date.
``read_index`` reads an index of articles in the form of
``../shared/data/articles/index.yaml`` (``file``, ``outlet``, ``published`` per entry).
"""

from __future__ import annotations

import html
import io
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import yaml

from forcewatch import yamlfile
from forcewatch.claims.dates import MONTHS
from forcewatch.errors import InputError

_BLOCK = frozenset(
    {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "tr", "section",
     "article", "header", "footer", "figcaption", "pre", "dd", "dt", "td", "th", "ul", "ol"}
)  # fmt: skip
_SKIP = frozenset({"script", "style", "noscript", "svg", "nav", "form", "button", "template"})
_MONTHS = "|".join(sorted(MONTHS, key=len, reverse=True))  # "february", "feb", "sept", ...
_ISO = re.compile(r"(?P<y>(?:19|20)\d\d)-(?P<m>\d\d)-(?P<d>\d\d)")
_DATELINE = re.compile(
    rf"\b(?:(?P<m1>{_MONTHS})\.?\s+(?P<d1>\d{{1,2}}),?\s+(?P<y1>(?:19|20)\d\d)"
    rf"|(?P<d2>\d{{1,2}})\s+(?P<m2>{_MONTHS})\.?,?\s+(?P<y2>(?:19|20)\d\d))\b",
    re.IGNORECASE,
)
_LOOKS_HTML = re.compile(r"^\s*(?:<!doctype\s+html|<html\b|<head\b|<body\b|<meta\b)", re.I)


@dataclass(frozen=True)
class Article:
    """An article's prose (one paragraph per line) and what it says about itself."""

    text: str
    published_on: date | None
    outlet: str | None


class _Page(HTMLParser):
    """Text and metadata of an HTML page (standard library parser; tolerant of bad markup)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.meta: dict[str, str] = {}
        self.times: list[str] = []
        self.ld_json: list[str] = []
        self._skip = 0
        self._in_ld = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): v or "" for k, v in attrs}
        if tag == "meta":
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").lower()
            if key and a.get("content"):
                self.meta.setdefault(key, a["content"])
        elif tag == "time" and a.get("datetime"):
            self.times.append(a["datetime"])
        elif tag == "script" and a.get("type", "").lower() == "application/ld+json":
            self._in_ld = True
        if tag in _SKIP:
            self._skip += 1
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self._skip:
            self._skip -= 1
        if tag == "script":
            self._in_ld = False
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_ld:
            self.ld_json.append(data)
        elif not self._skip:
            self.parts.append(re.sub(r"\s+", " ", data))  # only block tags break paragraphs


def _iso_date(text: str) -> date | None:
    m = _ISO.search(text)
    if m is None:
        return None
    try:
        return date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    except ValueError:
        return None


def _ld_values(node: Any, key: str) -> Iterator[Any]:
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key:
                yield v
            yield from _ld_values(v, key)
    elif isinstance(node, list):
        for v in node:
            yield from _ld_values(v, key)


def dateline(text: str, lines: int = 12) -> date | None:
    """A full date ("February 17, 2022", "16 February 2022", "2022-02-17") in the first
    ``lines`` lines of an article: its dateline or byline."""
    head = "\n".join(text.splitlines()[:lines])
    if (m := _DATELINE.search(head)) is not None:
        month = (m.group("m1") or m.group("m2")).lower().rstrip(".")
        day, year = m.group("d1") or m.group("d2"), m.group("y1") or m.group("y2")
        try:
            return date(int(year), MONTHS[month], int(day))
        except (ValueError, KeyError):
            return None
    return _iso_date(head)


def html_to_article(page: str) -> Article:
    """Prose and metadata of a saved HTML page."""
    parser = _Page()
    parser.feed(page)
    parser.close()
    text = "".join(parser.parts)
    lines = [" ".join(html.unescape(line).split()) for line in text.splitlines()]
    text = "\n".join(line for line in lines if line)
    published = None
    for key in ("article:published_time", "datepublished", "pubdate", "date", "dc.date"):
        if key in parser.meta and (published := _iso_date(parser.meta[key])) is not None:
            break
    if published is None:
        for blob in parser.ld_json:
            try:
                data = json.loads(blob)
            except ValueError:
                continue
            found = [d for v in _ld_values(data, "datePublished") if (d := _iso_date(str(v)))]
            if found:
                published = found[0]
                break
    if published is None:
        published = next((d for t in parser.times if (d := _iso_date(t))), None)
    outlet = parser.meta.get("og:site_name") or None
    return Article(text, published or dateline(text), outlet)


def read_article(path: Path) -> Article:
    """An article file, text or HTML (see the module docstring); clear errors for unreadable
    or binary files."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    if raw.lstrip()[:5] == b"%PDF-":
        return pdf_to_article(raw, path)
    if b"\x00" in raw[:4096]:
        raise InputError(f"{path} is a binary file, not article text, HTML or PDF")
    page = raw.decode("utf-8-sig", errors="replace")  # a byte-order mark is no text
    if _LOOKS_HTML.match(page) or path.suffix.lower() in (".html", ".htm"):
        return html_to_article(page)
    return Article(page, dateline(page), None)


_PDF_DATE = re.compile(r"^(?:D:)?(?P<y>(?:19|20)\d\d)(?P<m>\d\d)(?P<d>\d\d)")


def pdf_to_article(raw: bytes, path: Path) -> Article:
    """The text of a PDF's pages (a report as published), one page after another; dated by a
    dateline in its first lines, else by the document's creation date. Encrypted, scanned and
    broken files are refused with what to do instead."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its repair notes are not the user's
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError(
                f"{path} is an encrypted PDF: save an unencrypted copy, or paste its text into "
                "a .txt file"
            )
        pages = [page.extract_text() or "" for page in reader.pages]
        meta = reader.metadata
        created = str(meta.get("/CreationDate", "")) if meta is not None else ""
    except InputError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise InputError(
            f"{path} is not a readable PDF ({exc}); re-save it or paste its text"
        ) from exc
    text = "\n\n".join(page.strip() for page in pages if page.strip())
    if not text:
        raise InputError(
            f"{path} holds no text (a scanned PDF?): run OCR on it first, or paste its text "
            "into a .txt file"
        )
    published = dateline(text)
    stamp = _PDF_DATE.match(created.strip())
    if published is None and stamp is not None:
        published = _iso_date(f"{stamp['y']}-{stamp['m']}-{stamp['d']}")
    return Article(text, published, None)


@dataclass(frozen=True)
class IndexEntry:
    path: Path
    outlet: str | None
    published_on: date | None


def read_index(path: Path) -> list[IndexEntry]:
    """Entries of an article index: a YAML list of ``{file, outlet, published}`` (or a mapping
    with such a list under ``articles``); ``file`` is relative to the index's folder."""
    try:
        data = yamlfile.load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{path}{line}: not valid YAML ({problem})") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read {path}: not UTF-8 text") from exc
    except ValueError as exc:  # YAML's date of an impossible day: "published: 2022-02-30"
        raise InputError(f"{path}: {exc} (a date that does not exist?); use YYYY-MM-DD") from exc
    if isinstance(data, dict):
        data = data.get("articles")
    if not isinstance(data, list):
        raise InputError(f"{path}: expected a list of {{file, outlet, published}} entries")
    entries = []
    for i, item in enumerate(data, 1):
        if not isinstance(item, dict) or not item.get("file"):
            raise InputError(f"{path}: entry {i} has no 'file'")
        published = item.get("published")
        if isinstance(published, str):
            try:
                published = date.fromisoformat(published)
            except ValueError as exc:
                raise InputError(
                    f"{path}: entry {i} published '{published}' is not a date; use YYYY-MM-DD"
                ) from exc
        elif published is not None and not isinstance(published, date):
            raise InputError(f"{path}: entry {i} published must be a date (YYYY-MM-DD)")
        outlet = item.get("outlet")
        entries.append(
            IndexEntry(path.parent / str(item["file"]), str(outlet) if outlet else None, published)
        )
    return entries
