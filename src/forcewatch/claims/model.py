"""The ``Claim``: one attributed statement about military activity, made testable.

A claim says who (``speaker``) asserted what (``kind``, ``direction``, ``quantity``) about whose
forces (``force``) where (``places``, ``sites``, ``region``, ``band_km``) and when: ``stated_on``
is the day it was said, ``window_start``..``window_end`` (inclusive, UTC dates) the period in
which the imagery should show what the claim implies. ``expected_change()`` turns the claim
into the direction of change the verdict engine tests for.

Default windows, applied when a claim does not give its own (days relative to ``stated_on``):

=============  ================  ==========================================================
kind           window            why
=============  ================  ==========================================================
withdrawal     0 .. +8           a pull-back announced today plays out over the next week
exercise-end   0 .. +7           or [stated_on, stated end date] when the text gives the date
build-up       -30 .. 0          a build-up is accumulated over the preceding weeks
arrival        -7 .. 0           "have arrived" reports the last days
deployment     -14 .. 0          past/present; future deployments use 0 .. +14
movement       -7 .. 0           past/present; future movements use 0 .. +14
count          -7 .. 0           a force size is a state at the time of speaking
denial         -7 .. +7          a denial speaks about the days around the statement
=============  ================  ==========================================================

The extractor narrows these with dates it reads in the text ("over the last 48 hours",
"due to end on February 20", "will run from February 10 to February 20").
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class ClaimKind(StrEnum):
    """What the claim asserts about military activity."""

    WITHDRAWAL = "withdrawal"
    BUILD_UP = "build-up"
    ARRIVAL = "arrival"
    DEPLOYMENT = "deployment"
    COUNT = "count"
    MOVEMENT = "movement"
    EXERCISE_END = "exercise-end"
    DENIAL = "denial"


class Direction(StrEnum):
    """Movement relative to the border or reference line."""

    TOWARD = "toward"
    AWAY = "away"


class Force(StrEnum):
    """Whose forces the claim is about (not who said it)."""

    RUSSIA = "russia"
    US = "us"
    NATO = "nato"
    UKRAINE = "ukraine"
    BELARUS = "belarus"
    UNKNOWN = "unknown"


class QuantityQualifier(StrEnum):
    """How the stated number bounds the real one."""

    EXACT = "exact"
    ABOUT = "about"
    MORE_THAN = "more than"
    AT_LEAST = "at least"
    UP_TO = "up to"
    AS_MANY_AS = "as many as"
    NEARLY = "nearly"
    FEWER_THAN = "fewer than"


class Change(StrEnum):
    """Direction of change in activity at the claim's sites during its window."""

    INCREASE = "increase"
    DECREASE = "decrease"
    NONE = "none"


# (days before stated_on, days after stated_on) per kind, see the module docstring.
DEFAULT_WINDOW_DAYS: dict[ClaimKind, tuple[int, int]] = {
    ClaimKind.WITHDRAWAL: (0, 8),
    ClaimKind.EXERCISE_END: (0, 7),
    ClaimKind.BUILD_UP: (30, 0),
    ClaimKind.ARRIVAL: (7, 0),
    ClaimKind.DEPLOYMENT: (14, 0),
    ClaimKind.MOVEMENT: (7, 0),
    ClaimKind.COUNT: (7, 0),
    ClaimKind.DENIAL: (7, 7),
}
FUTURE_WINDOW_DAYS = 14
# dates a claim may carry: satellite imagery (and its archives) lies well inside them
EARLIEST_DATE = date(1950, 1, 1)
LATEST_DATE = date(2100, 12, 31)

_INCREASING = {ClaimKind.BUILD_UP, ClaimKind.ARRIVAL, ClaimKind.DEPLOYMENT, ClaimKind.COUNT}
_DECREASING = {ClaimKind.WITHDRAWAL, ClaimKind.EXERCISE_END}


def _out_of_range(name: str, day: date) -> str:
    return f"{name} {day} is outside {EARLIEST_DATE.year}-{LATEST_DATE.year}; check the year"


def default_window(kind: ClaimKind, stated_on: date, *, future: bool = False) -> tuple[date, date]:
    """The window a claim of ``kind`` made on ``stated_on`` implies when the text gives none.

    ``future`` (the claim is about what will happen: "will be sent in the coming days") moves
    the window of past-looking kinds to ``stated_on .. stated_on + 14 days``.
    """
    before, after = DEFAULT_WINDOW_DAYS[kind]
    if future and after == 0:
        before, after = 0, FUTURE_WINDOW_DAYS
    return stated_on - timedelta(days=before), stated_on + timedelta(days=after)


def claim_id(speaker: str, stated_on: date, kind: ClaimKind | str, quote: str) -> str:
    """Stable id: the first 16 hex digits of SHA-256 over speaker, date, kind and quote.

    Whitespace in the quote is normalised so that re-scraping the same article gives the same id.
    """
    text = " ".join(quote.split())
    key = "\x1f".join([speaker.strip(), stated_on.isoformat(), str(ClaimKind(kind)), text])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


class Claim(BaseModel):
    """An attributed claim about military activity, with the window in which to test it.

    ``band_km`` is (near, far) distance from the border in km. ``trend`` is a change the text
    states explicitly ("more", "remained in place"); ``denied_kind`` is what a ``denial``
    denies (None: intent or something imagery cannot show, e.g. "no plans to invade").
    ``confidence`` (0..1) is the extractor's confidence in the reading, 1.0 for curated claims.
    When ``id`` or the window is missing from the input they are filled in (``claim_id``,
    ``default_window``). Raises ``pydantic.ValidationError`` on bad values.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    speaker: str = Field(min_length=1)
    speaker_raw: str | None = None
    stated_on: date
    published_on: date | None = None
    outlet: str | None = None
    source: str | None = None
    kind: ClaimKind
    direction: Direction | None = None
    quantity: float | None = Field(default=None, ge=0)
    unit: str | None = None
    quantity_qualifier: QuantityQualifier | None = None
    force: Force = Force.UNKNOWN
    places: tuple[str, ...] = ()
    sites: tuple[str, ...] = ()
    region: str | None = None
    band_km: tuple[float, float] | None = None
    window_start: date
    window_end: date
    trend: Change | None = None
    denied_kind: ClaimKind | None = None
    quote: str = ""
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)

    @model_validator(mode="before")
    @classmethod
    def _fill_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        stated_on = _as_date(data.get("stated_on"))
        kind = data.get("kind")
        for name in ("stated_on", "published_on", "window_start", "window_end"):
            day = _as_date(data.get(name))
            if day is not None and not EARLIEST_DATE <= day <= LATEST_DATE:
                raise ValueError(_out_of_range(name, day))  # no window around 0001-01-01
        if stated_on is None or kind not in set(ClaimKind):
            return data
        start, end = default_window(ClaimKind(kind), stated_on)
        given_start, given_end = (
            _as_date(data.get("window_start")),
            _as_date(data.get("window_end")),
        )
        if data.get("window_start") is None:
            data["window_start"] = min(start, given_end) if given_end else start
        if data.get("window_end") is None:
            data["window_end"] = max(end, given_start) if given_start else end
        if not data.get("id") and isinstance(data.get("speaker"), str):
            data["id"] = claim_id(data["speaker"], stated_on, kind, str(data.get("quote") or ""))
        return data

    @model_validator(mode="after")
    def _check_consistency(self) -> Claim:
        if self.window_end < self.window_start:
            raise ValueError(
                f"window_end {self.window_end} is before window_start {self.window_start}"
            )
        if self.band_km is not None and not 0 <= self.band_km[0] <= self.band_km[1]:
            raise ValueError(f"band_km {self.band_km} must be (near, far) with 0 <= near <= far")
        if self.quantity is None and self.quantity_qualifier is not None:
            raise ValueError("quantity_qualifier given without a quantity")
        if self.denied_kind is not None and self.kind is not ClaimKind.DENIAL:
            raise ValueError("denied_kind is only meaningful for kind 'denial'")
        return self

    def expected_change(self) -> Change | None:
        """The change in activity at the claim's sites within its window that the claim implies.

        An explicit ``trend`` wins. Otherwise: withdrawal and exercise-end imply a decrease;
        build-up, arrival, deployment and count (a force present above the peacetime baseline)
        an increase; movement toward the border an increase near it, away a decrease; a denial
        of a withdrawal or of a build-up implies no change ("none"); a denial of intent, or a
        movement without direction, gives None (nothing imagery can test).
        """
        if self.trend is not None:
            return self.trend
        if self.kind in _DECREASING:
            return Change.DECREASE
        if self.kind in _INCREASING:
            return Change.INCREASE
        if self.kind is ClaimKind.MOVEMENT:
            if self.direction is Direction.TOWARD:
                return Change.INCREASE
            if self.direction is Direction.AWAY:
                return Change.DECREASE
            return None
        return Change.NONE if self.denied_kind is not None else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable dict: dates as ISO strings, enums as their values, tuples as lists.

        Includes the derived ``expected_change``; ``Claim.from_dict`` ignores it.
        """
        out = self.model_dump(mode="json")
        change = self.expected_change()
        out["expected_change"] = None if change is None else change.value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Claim:
        """Inverse of ``to_dict``. Raises ``pydantic.ValidationError`` on bad values."""
        return cls.model_validate({k: v for k, v in data.items() if k != "expected_change"})


def new_claim(
    *,
    speaker: str,
    stated_on: date,
    kind: ClaimKind,
    quote: str = "",
    future: bool = False,
    window_start: date | None = None,
    window_end: date | None = None,
    **fields: Any,
) -> Claim:
    """Build a ``Claim``, filling ``id`` and the window (``default_window``) where not given.

    A window bound given alone keeps the other's default, moved so that start <= end.
    """
    if not EARLIEST_DATE <= stated_on <= LATEST_DATE:
        raise ValueError(_out_of_range("stated_on", stated_on))
    start, end = default_window(kind, stated_on, future=future)
    if window_start is None:
        window_start = start if window_end is None else min(start, window_end)
    if window_end is None:
        window_end = max(end, window_start)
    return Claim(
        id=fields.pop("id", None) or claim_id(speaker, stated_on, kind, quote),
        speaker=speaker,
        stated_on=stated_on,
        kind=kind,
        quote=quote,
        window_start=window_start,
        window_end=window_end,
        **fields,
    )
