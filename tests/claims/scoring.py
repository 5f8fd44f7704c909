"""Matching extracted claims against expected-claim lists, and precision/recall over articles.

An expected claim is a mapping with optional keys (all must hold for a match):
``speaker`` (substring, or list of substrings any of which, of "speaker | speaker_raw",
case-insensitive; "" matches any), ``kinds`` (any of), ``quantity`` (equal), ``force``,
``place`` (substring of one of the claim's places), ``direction``, ``unit``, ``window_end``
(ISO date) and ``quote`` (substring of the claim's quote).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from forcewatch.claims.model import Claim


def matches(claim: Claim, expected: Mapping[str, Any]) -> bool:
    """Whether ``claim`` satisfies every condition of ``expected``."""
    speakers = expected.get("speaker", "")
    speakers = [speakers] if isinstance(speakers, str) else list(speakers)
    said_by = f"{claim.speaker} | {claim.speaker_raw or ''}".lower()
    checks = [
        any(s.lower() in said_by for s in speakers),
        "kinds" not in expected or claim.kind.value in expected["kinds"],
        "quantity" not in expected or claim.quantity == float(expected["quantity"]),
        "force" not in expected or claim.force.value == expected["force"],
        "place" not in expected
        or any(expected["place"].lower() in p.lower() for p in claim.places),
        "direction" not in expected
        or (claim.direction is not None and claim.direction.value == expected["direction"]),
        "unit" not in expected or claim.unit == expected["unit"],
        "window_end" not in expected or str(claim.window_end) == str(expected["window_end"]),
        "quote" not in expected or expected["quote"].lower() in claim.quote.lower(),
    ]
    return all(checks)


@dataclass
class Score:
    """Counts over one or more articles: recall over ``must``, precision over extracted."""

    must: int = 0
    found: int = 0
    extracted: int = 0
    correct: int = 0
    missed: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found / self.must if self.must else 1.0

    @property
    def precision(self) -> float:
        return self.correct / self.extracted if self.extracted else 1.0

    def add(self, other: Score) -> Score:
        return Score(
            self.must + other.must,
            self.found + other.found,
            self.extracted + other.extracted,
            self.correct + other.correct,
            self.missed + other.missed,
            self.wrong + other.wrong,
        )

    def summary(self) -> str:
        return (
            f"recall {self.found}/{self.must} = {self.recall:.2f}, precision "
            f"{self.correct}/{self.extracted} = {self.precision:.2f}; missed {self.missed}; "
            f"not expected {self.wrong}"
        )


def score(
    claims: Sequence[Claim],
    must: Iterable[Mapping[str, Any]],
    may: Iterable[Mapping[str, Any]] = (),
    label: str = "",
) -> Score:
    """Recall of ``must`` and precision of ``claims`` against ``must`` + ``may``."""
    must, may = list(must), list(may)
    result = Score(must=len(must), extracted=len(claims))
    for exp in must:
        if any(matches(c, exp) for c in claims):
            result.found += 1
        else:
            result.missed.append(f"{label}: {exp}")
    for c in claims:
        if any(matches(c, exp) for exp in [*must, *may]):
            result.correct += 1
        else:
            result.wrong.append(f"{label}: [{c.kind.value}] {c.speaker}: {c.quote[:60]}")
    return result
