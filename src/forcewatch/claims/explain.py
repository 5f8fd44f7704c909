"""Plain words for a verdict: the explanation sentence and the "more data needed" note.

Text only: the numbers come from ``forcewatch.claims.verdict`` (site tests, summed shift,
relative effect) and ``forcewatch.claims.hypothesis`` (the decision, passes to decide).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from forcewatch.claims.hypothesis import Decision, passes_to_decide

if TYPE_CHECKING:
    from forcewatch.assess import Shift
    from forcewatch.claims.verdict import ClaimView, SiteTest, VerdictParams


_EXPECT_WORDS = {
    "increase": "an increase",
    "decrease": "a decrease",
    "none": "no change",
    "no increase": "no increase",
    "no decrease": "no decrease",
}


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:+.0f}%"


def _names(names: Sequence[str], n: int = 4) -> str:
    names = list(names)
    if len(names) <= n:
        return ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]
    return ", ".join(names[:n]) + f" and {len(names) - n} more"


def _explain(
    d: Decision | None,
    view: ClaimView,
    ref_w: tuple[date, date],
    effect: tuple[float | None, float | None, float | None],
    tests: Sequence[SiteTest],
    drivers: Sequence[dict[str, Any]],
    p: VerdictParams,
) -> str:
    win = f"{view.window[0]} to {view.window[1]}"
    ref = f"{ref_w[0]} to {ref_w[1]}"
    rel, lo, hi = effect
    moved = {"increase": "rose", "decrease": "fell", "no change": "held steady"}
    assert d is not None
    what = moved.get(d.observed, "changed by an undecided amount")
    text = (
        f"The claim implies {_EXPECT_WORDS.get(view.expected or '', 'a change')} at "
        f"{len(tests)} site(s) in {win}. "
        f"Activity (site plus surrounding ring) {what}: {_pct(rel)} "
        f"({100 * p.ci_level:.0f}% CI {_pct(lo)} to {_pct(hi)}) against {ref}."
    )
    if d.verdict == "contradicted" and d.observed == "no change":
        text += f" The change is decisively within ±{100 * p.equivalence_margin:.0f}%."
    up = [t.site for t in tests if t.shift and t.shift.delta > 0 and t.shift.p_increase() < p.alpha]
    down = [
        t.site for t in tests if t.shift and t.shift.delta < 0 and t.shift.p_decrease() < p.alpha
    ]
    if up:
        text += f" Rose at {_names(up)}."
    if down:
        text += f" Fell at {_names(down)}."
    if drivers:
        seen = list(dict.fromkeys(f"{x['site']} ({x['date']})" for x in drivers))
        text += f" Driven by {_names(seen, 5)}."
    dispersed = [t.site for t in tests if t.dispersal]
    if dispersed:
        text += (
            f" At {_names(dispersed)} vehicles spread from the site into the surrounding ring "
            "(dispersal), which is not departure."
        )
    return text


def _more_note(
    tests: Sequence[SiteTest],
    weights: Sequence[float],
    view: ClaimView,
    p: VerdictParams,
    total: Shift,
) -> str:
    need = passes_to_decide(tests, weights, view, p)
    now = f"{total.n_window} in the window and {total.n_ref} in the reference now"
    if need is None:
        return (
            f"More passes would not decide it at the observed shift ({now}): the shift sits "
            "too close to the equivalence margin for the noise."
        )
    per, in_all, with_ref = need
    where = (
        f"{per} per site and orbit in the window and as many in a longer reference"
        if with_ref
        else f"{per} per site and orbit in the window"
    )
    return (
        f"About {in_all} more readable passes ({where}) would decide it if the observed "
        f"shift and noise held ({now})."
    )
