"""The statistical decision on a claim's shift: supported, contradicted or inconclusive.

``decide`` turns one ``Shift`` (window − reference, in activity units) and the claim's expected
change into a verdict with one-sided tests and the TOST against an absolute equivalence margin
(the rules are listed in ``forcewatch.claims.verdict``); ``passes_to_decide`` says how many more
passes would make an inconclusive shift decisive if the observed shift and noise held.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from forcewatch.assess import Shift, sum_shifts

if TYPE_CHECKING:
    from forcewatch.claims.verdict import ClaimView, SiteTest, VerdictParams

MAX_EXTRA_PASSES = 60


@dataclass(frozen=True)
class Decision:
    verdict: str
    observed: str
    p_value: float
    confidence: float | None
    p_increase: float
    p_decrease: float
    p_equivalent: float


def decide(shift: Shift, expected: str | None, margin_abs: float, alpha: float) -> Decision:
    """Verdict for one shift; ``margin_abs`` is the equivalence margin in activity units."""
    p_inc, p_dec = shift.p_increase(), shift.p_decrease()
    p_eq = shift.p_equivalent(margin_abs)
    if p_inc < alpha:
        observed = "increase"
    elif p_dec < alpha:
        observed = "decrease"
    elif p_eq < alpha:
        observed = "no change"
    else:
        observed = "unclear"

    def made(verdict: str, p: float) -> Decision:
        conf = None if verdict == "inconclusive" else 1.0 - p
        return Decision(verdict, observed, p, conf, p_inc, p_dec, p_eq)

    if expected in ("increase", "decrease"):
        p_exp, p_opp = (p_inc, p_dec) if expected == "increase" else (p_dec, p_inc)
        if p_opp < alpha:
            return made("contradicted", p_opp)
        if p_eq < alpha:  # no meaningful change, even if a small one is significant
            return made("contradicted", p_eq)
        if p_exp < alpha:
            return made("supported", p_exp)
        return made("inconclusive", p_exp)
    if expected in ("no increase", "no decrease"):
        # Non-inferiority: one side of the TOST against the margin.
        if expected == "no decrease":
            p_ok, p_bad = shift.p_not_below(margin_abs), p_dec
        else:
            p_ok, p_bad = shift.p_not_above(margin_abs), p_inc
        if p_ok < alpha:
            return made("supported", p_ok)
        if p_bad < alpha:
            return made("contradicted", p_bad)
        return made("inconclusive", p_ok)
    if expected == "none":
        if p_eq < alpha:
            return made("supported", p_eq)
        p_change = min(p_inc, p_dec)
        if p_change < alpha / 2:
            return made("contradicted", 2 * p_change)
        return made("inconclusive", p_eq)
    return made("inconclusive", float("nan"))


def _with_more(shift: Shift, orbits: int, extra_window: int, extra_ref: int = 0) -> Shift:
    """The shift's error with more passes per orbit in the window and in the reference (the same
    observed delta and noise)."""
    nr, nw = max(shift.n_ref, 1), max(shift.n_window, 1)
    now = 1 / nr + 1 / nw
    then = 1 / (nr + extra_ref * orbits) + 1 / (nw + extra_window * orbits)
    return Shift(shift.delta, shift.se * math.sqrt(then / now), shift.df, shift.level, nr, nw)


def passes_to_decide(
    tests: Sequence[SiteTest], weights: Sequence[float], view: ClaimView, p: VerdictParams
) -> tuple[int, int, bool] | None:
    """(extra passes per site and orbit, extra passes in all, reference also extended) after
    which the observed shift would be decisive: first with window passes only, then with as
    many more reference passes too (a longer reference period). None when neither decides."""
    units = sum(len(t.orbits) for t in tests)
    for with_ref in (False, True):
        for extra in range(1, MAX_EXTRA_PASSES + 1):
            more = [
                _with_more(t.shift, len(t.orbits), extra, extra if with_ref else 0)
                for t in tests
                if t.shift is not None
            ]
            total = sum_shifts(more, weights)
            margin = p.equivalence_margin * max(abs(total.level), p.min_level * float(sum(weights)))
            if decide(total, view.expected, margin, p.alpha).verdict != "inconclusive":
                return extra, extra * units * (2 if with_ref else 1), with_ref
    return None
