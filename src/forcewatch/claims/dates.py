"""Dates in news text, resolved against the publication date.

Handles absolute dates ("February 20", "20 Feb 2022", "2022-02-20"), relative days ("today",
"yesterday", "last night", "two days ago"), weekdays ("on Wednesday": the most recent such day
on or before publication, or the next one after it when the sentence speaks of the future),
weeks ("earlier this week", "last week") and spans ("over the last 48 hours", "in the coming
days", "from February 10 to February 20"). All dates are calendar days (UTC).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for name in names
}
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "several": 3, "a few": 3, "few": 3,
}  # fmt: skip

_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(?P<year>(?:19|20)\d\d))?"
_WEEKDAY = r"(?P<weekday>" + "|".join(WEEKDAYS) + r")"
_NUMWORDS = r"\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|several|a few"
_NUM = rf"(?P<n>{_NUMWORDS})"

_DATE_RX = re.compile(
    r"\b(?:"
    rf"(?P<iso>(?P<iy>\d{{4}})-(?P<im>\d\d)-(?P<id>\d\d))"
    rf"|{_MONTH}\s+{_DAY}{_YEAR}(?![\d:])"
    rf"|(?P<day2>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month2>"
    + "|".join(sorted(MONTHS, key=len, reverse=True))
    + r")\.?(?:\s+(?P<year2>(?:19|20)\d\d))?"
    r"|(?P<rel>today|tonight|yesterday|tomorrow|this\s+(?:morning|afternoon|evening)|last\s+night"
    r"|earlier\s+this\s+week|this\s+week|last\s+week|earlier\s+this\s+month|last\s+month)"
    rf"|(?P<ago>{_NUM}\s+(?P<agounit>days?|weeks?)\s+ago)"
    rf"|(?:(?P<wmod>last|this|next|earlier|early|late|on)\s+)?{_WEEKDAY}"
    r"|on\s+the\s+(?P<nth>[0-3]?\d)(?:st|nd|rd|th)(?!\s+(?:of\s+)?(?:"
    + "|".join(sorted(MONTHS, key=len, reverse=True))
    + r"))"
    r")\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DateMention:
    """A date phrase found in text (character offsets, end exclusive) and the day it means."""

    start: int
    end: int
    day: date
    text: str


def _count(word: str) -> int:
    word = word.lower()
    return int(word) if word.isdigit() else NUMBER_WORDS.get(word, 1)


def _nearest_year(month: int, day: int, published_on: date, future: bool) -> date | None:
    """The month/day closest to publication (after it when ``future``, within a year)."""
    candidates = []
    for year in (published_on.year - 1, published_on.year, published_on.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    if not candidates:
        return None
    if future:
        after = [c for c in candidates if c >= published_on]
        if after:
            return min(after)
    return min(candidates, key=lambda c: abs((c - published_on).days))


def _weekday(name: str, modifier: str | None, published_on: date, future: bool) -> date:
    target = WEEKDAYS.index(name.lower())
    mod = (modifier or "").lower()
    if mod == "next" or (future and mod not in ("last", "earlier")):
        delta = (target - published_on.weekday()) % 7 or 7
        return published_on + timedelta(days=delta)
    delta = (published_on.weekday() - target) % 7
    if mod == "last" and delta == 0:
        delta = 7
    return published_on - timedelta(days=delta)


def _relative(phrase: str, published_on: date) -> date:
    phrase = " ".join(phrase.lower().split())
    monday = published_on - timedelta(days=published_on.weekday())
    table = {
        "today": published_on,
        "tonight": published_on,
        "this morning": published_on,
        "this afternoon": published_on,
        "this evening": published_on,
        "yesterday": published_on - timedelta(days=1),
        "last night": published_on - timedelta(days=1),
        "tomorrow": published_on + timedelta(days=1),
        # "earlier this week": two days back, but not before this week's Monday
        "earlier this week": max(monday, published_on - timedelta(days=2)),
        "this week": published_on,
        "last week": published_on - timedelta(days=7),
        "earlier this month": max(published_on.replace(day=1), published_on - timedelta(days=7)),
        "last month": (published_on.replace(day=1) - timedelta(days=1)).replace(day=15),
    }
    return table[phrase]


def _day_of_month(dom: int, published_on: date, future: bool) -> date | None:
    year, month = published_on.year, published_on.month
    if (dom > published_on.day) != future and dom != published_on.day:
        year, month = (year, month - 1) if not future else (year, month + 1)
        if month == 0:
            year, month = year - 1, 12
        elif month == 13:
            year, month = year + 1, 1
    try:
        return date(year, month, dom)
    except ValueError:
        return None


def find_dates(text: str, published_on: date, *, future: bool = False) -> list[DateMention]:
    """All date phrases in ``text``, resolved against ``published_on``.

    ``future``: the text speaks of what will happen, so bare weekdays and month-days resolve to
    the next such day on or after publication instead of the most recent one.
    """
    found: list[DateMention] = []
    for m in _DATE_RX.finditer(text):
        day: date | None = None
        g = m.groupdict()
        if g["iso"]:
            try:
                day = date(int(g["iy"]), int(g["im"]), int(g["id"]))
            except ValueError:
                day = None
        elif g["month"] or g["month2"]:
            month = MONTHS[(g["month"] or g["month2"]).lower()]
            dom = int(g["day"] or g["day2"])
            year = g["year"] or g["year2"]
            if year:
                try:
                    day = date(int(year), month, dom)
                except ValueError:
                    day = None
            else:
                day = _nearest_year(month, dom, published_on, future)
        elif g["rel"]:
            day = _relative(g["rel"], published_on)
        elif g["ago"]:
            n = _count(g["n"]) * (7 if g["agounit"].lower().startswith("week") else 1)
            day = published_on - timedelta(days=n)
        elif g["weekday"]:
            day = _weekday(g["weekday"], g["wmod"], published_on, future)
        elif g["nth"]:  # "on the 14th": this month's, or last month's when still to come
            day = _day_of_month(int(g["nth"]), published_on, future)
        if day is not None:
            found.append(DateMention(m.start(), m.end(), day, m.group(0)))
    return found


_SPAN_BACK = re.compile(
    r"\b(?:over|in|during|within)\s+the\s+(?:last|past|previous)\s+"
    r"(?:(?P<n>\d+|two|three|four|five|six|seven|ten|few|several)\s+)?"
    r"(?P<unit>hours?|days?|weeks?|month)\b"
    r"|\bin\s+recent\s+(?P<unit2>days|weeks)\b",
    re.IGNORECASE,
)
_SPAN_FORWARD = re.compile(
    r"\b(?:in|over|within)\s+the\s+(?:coming|next|following)\s+(?:few\s+)?(?:days|weeks)\b",
    re.IGNORECASE,
)
_END_CUE = re.compile(
    r"\b(?:until|till|through|to|by|end(?:s|ed|ing)?(?:\s+as\s+(?:planned|scheduled))?(?:\s+on)?|conclude[sd]?(?:\s+on)?"
    r"|finish(?:es|ed)?(?:\s+on)?|over\s+by|expire[sd]?(?:\s+on)?)\s+(?:on\s+)?$",
    re.IGNORECASE,
)
_START_CUE = re.compile(
    r"\b(?:between|from|since|starting|beginning|begin(?:s|ning)?\s+on)\s+(?:on\s+)?$",
    re.IGNORECASE,
)


_LONG_MONTHS = "|".join(sorted((m for m in MONTHS if len(m) > 3), key=len, reverse=True))
_PAST_PERIOD = re.compile(
    rf"\b(?:in|during|since|by)\s+(?:(?:early|late|mid-?)\s*)?(?:(?:(?P<m>{_LONG_MONTHS})\s+)?"
    rf"(?P<y>(?:19|20)\d\d)\b|(?<!since\s)(?-i:(?P<bm>{_LONG_MONTHS.title()}))\b(?![\s.]*\d))",
    re.IGNORECASE,
)
_BETWEEN_AND = re.compile(r"\bbetween\s+[^.;]{3,20}?\s+and\s+$", re.IGNORECASE)
_BETWEEN_DAYS = re.compile(
    r"\bbetween\s+[A-Z][a-z]{2,8}\.?\s+\d{1,2}\s+and\s+(?P<d>\d{1,2})(?![\d]|[,.]\d|\s*(?:[A-Za-z]+\s+)?"
    r"(?:km|kilomet|miles|troops|soldiers|units|battalion))"
)
_SINCE_START = re.compile(
    r"\bsince\s+the\s+(?:beginning|start)\s+of\s+(?:the|this)\s+(?P<unit>month|year|week)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class WindowCues:
    """What a claim's text says about its window: explicit bounds, look-back days, future."""

    start: date | None = None
    end: date | None = None
    lookback_days: int | None = None
    future: bool = False


_SUPERLATIVE_SINCE = re.compile(
    r"\b(?:\w+est|most|first|biggest|largest|greatest|highest|worst|only|(?:more|fewer|larger"
    r"|bigger)\s+than\s+(?:at\s+)?any\s+(?:time|point))\b[^.;]{0,80}\s$",
    re.IGNORECASE,
)


def window_cues(text: str, published_on: date, *, future: bool = False) -> WindowCues:
    """Window hints in a claim's content: "from X to Y", "until X", "since X", "due to end on X",
    "over the last 48 hours" (``lookback_days`` = 2), "in the coming days" (``future``)."""
    future = future or bool(_SPAN_FORWARD.search(text))
    start: date | None = None
    end: date | None = None
    for d in find_dates(text, published_on, future=future):
        before = text[max(0, d.start - 30) : d.start]
        if _END_CUE.search(before) or _BETWEEN_AND.search(before):
            end = d.day if end is None else end
        elif _START_CUE.search(before):
            start = d.day if start is None else start
    period = _PAST_PERIOD.search(text)
    if period is not None and re.search(r"\bfirst\s+\w+\s+$", text[: period.start()], re.I):
        period = None  # "the deployment first observed in November remains in place": now
    if start is None and end is None and period is not None:
        # "In April 2021, Russia massed ...": a claim about that month (or year), not about now;
        # "By November," in a March article: the last November before publication
        bare = period.group("bm")
        if bare:
            month = MONTHS[bare.lower()]  # "in January" in a January article: this January
            year = published_on.year - (month > published_on.month)
        else:
            year = int(period.group("y"))
        if bare or period.group("m"):
            month = MONTHS[(bare or period.group("m")).lower()]
            first = date(year, month, 1)
            last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
        else:
            first, last = date(year, 1, 1), date(year, 12, 31)
        if period.group(0).lower().startswith("since"):
            # "doubled since early January"; but "the largest build-up since 1991" compares
            # with then, and a window of decades says nothing a pass of imagery could test
            compared = _SUPERLATIVE_SINCE.search(text[: period.start() + 1]) is not None
            recent = first >= published_on - timedelta(days=366)
            start = first if first < published_on and recent and not compared else None
        elif last < published_on - timedelta(days=31):
            start, end = first, last
    if start is not None and end is None and (both := _BETWEEN_DAYS.search(text)) is not None:
        day = int(both.group("d"))  # "between February 14 and 17": the same month
        if start.day <= day <= 31:
            try:
                end = start.replace(day=day)
            except ValueError:
                end = None
    if start is None and (since := _SINCE_START.search(text)) is not None:
        unit = since.group("unit").lower()
        if unit == "month":
            start = published_on.replace(day=1)
        elif unit == "year":
            start = published_on.replace(month=1, day=1)
        else:
            start = published_on - timedelta(days=published_on.weekday())
    lookback: int | None = None
    back = _SPAN_BACK.search(text)
    if back:
        unit = (back.group("unit") or back.group("unit2") or "days").lower()
        if back.group("n"):
            n = _count(back.group("n"))
        else:  # "the past week" is one; "the past days", "recent weeks" a few
            n = 1 if not unit.endswith("s") else (4 if unit != "weeks" else 2)
        hours = n * {"hour": 1, "day": 24, "week": 24 * 7, "month": 24 * 30}[unit.rstrip("s")]
        lookback = max(1, math.ceil(hours / 24))
    return WindowCues(start, end, lookback, future)


_ANCHOR = re.compile(
    rf"\b(?:(?P<n>{_NUMWORDS})\s+days?|the\s+day)\s+(?P<rel>after|before)\s*$", re.IGNORECASE
)


def anchor_offset_days(text_before_speaker: str) -> int | None:
    """For "A day after <X said ...>, <Y did ...>": the days from X's statement to Y's event.

    Returns -1 for "a day after" (X said it a day before the main event), +1 for "a day before",
    or None when the text before the speaker is no such phrase.
    """
    m = _ANCHOR.search(text_before_speaker)
    if not m:
        return None
    n = _count(m.group("n")) if m.group("n") else 1
    return -n if m.group("rel").lower() == "after" else n
