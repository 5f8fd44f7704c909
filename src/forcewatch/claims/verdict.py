"""Claims as falsifiable hypotheses: supported, contradicted, inconclusive or blind.

A claim covers sites (its ``sites``/``places`` on the watchlist; else the sites in its
``band_km``, else in its ``region``; else all sites) and a window (its own, or the default of its
kind). Its reference is the ``reference_days`` before the window, ending ``gap_days`` before the
window when the window looks back from the statement (so a build-up does not creep into its own
baseline) and right at the statement when the window looks forward ("we are pulling back").

The test runs on ``activity_total`` (site + ring) of every readable pass (states quiet,
build-up or draw-down) of every orbit: per orbit a Hodges-Lehmann shift window − reference, the
orbits of a site combined by precision, the sites summed (area-weighted) for the claim. With the
claim's expected change (``increase``/``decrease``/``none``) and level ``alpha = 1 -
confidence``:

- increase/decrease: ``contradicted`` when equivalence within ± ``equivalence_margin`` (relative
  to the reference level) is decisive (TOST) or the opposite change is significant;
  ``supported`` when the expected change is significant; else ``inconclusive``.
- none: ``supported`` when equivalence is decisive; ``contradicted`` when a change either way is
  significant at ``alpha / 2``; else ``inconclusive``.
- ``blind`` when no site has a readable pass in the window. ``inconclusive`` verdicts say how
  many more passes would decide, if the observed shift held (``more_data_needed``).

"No significant decrease" is never "contradicted": that needs a decisive equivalence result or a
significant increase. Dispersal (site residual down, ring residual up) is flagged per site.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from forcewatch.assess import Shift, combine_orbits, compare_windows, relative, sum_shifts
from forcewatch.claims.explain import _explain, _more_note, _names
from forcewatch.claims.hypothesis import MAX_EXTRA_PASSES as MAX_EXTRA_PASSES
from forcewatch.claims.hypothesis import Decision as Decision
from forcewatch.claims.hypothesis import decide
from forcewatch.claims.hypothesis import passes_to_decide as passes_to_decide
from forcewatch.config import AssessSettings, ProjectConfig
from forcewatch.series import (
    READ_STATES,
    StateParams,
    all_states,
    diff_sigma,
    series_frame,
    site_areas,
)
from forcewatch.sites import Site

if TYPE_CHECKING:
    from forcewatch.store.db import Store

log = logging.getLogger(__name__)

VERDICT_VERSION = "verdict-2"  # 2: site selection by country and by whose forces
METRIC = "activity_total"
MAX_DRIVERS = 12

# Days (before, after) stated_on when a claim dict has no window and the Claim model is absent;
# the same table as forcewatch.claims.model.DEFAULT_WINDOW_DAYS.
_DEFAULT_WINDOW_DAYS = {
    "withdrawal": (0, 8),
    "exercise-end": (0, 7),
    "build-up": (30, 0),
    "arrival": (7, 0),
    "deployment": (14, 0),
    "movement": (7, 0),
    "count": (7, 0),
    "denial": (7, 7),
}
_EXPECTED = {
    "withdrawal": "decrease",
    "exercise-end": "decrease",
    "build-up": "increase",
    "arrival": "increase",
    "deployment": "increase",
    "count": "increase",
}


@dataclass(frozen=True)
class VerdictParams:
    """Settings of the claim tests. ``min_level`` (activity fraction) floors the reference level
    that relative effects and the equivalence margin are taken of (a near-empty site)."""

    reference_days: int = 42
    gap_days: int = 12
    equivalence_margin: float = 0.25
    confidence: float = 0.95
    min_level: float = 1e-3
    state: StateParams = field(default_factory=StateParams)

    @classmethod
    def from_settings(cls, settings: AssessSettings) -> VerdictParams:
        return cls(
            reference_days=settings.reference_days,
            gap_days=settings.gap_days,
            equivalence_margin=settings.equivalence_margin,
            confidence=settings.confidence,
            state=StateParams.from_settings(settings),
        )

    @property
    def alpha(self) -> float:
        return 1.0 - self.confidence

    @property
    def ci_level(self) -> float:
        """Level of the reported intervals: 1 - 2·alpha, the interval whose position the
        one-sided tests and the TOST decide on (90 % for confidence 0.95)."""
        return 1.0 - 2.0 * self.alpha

    def digest(self) -> str:
        text = json.dumps({**asdict(self), "version": VERDICT_VERSION}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


# --- the claim as a hypothesis ------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimView:
    """What the verdict needs from a claim: dates are UTC days, the window inclusive."""

    id: str
    kind: str
    stated_on: date
    window: tuple[date, date]
    expected: str | None
    sites: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    region: str | None = None
    band_km: tuple[float, float] | None = None
    force: str | None = None


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        return date.fromisoformat(value[:10])
    return None


def claim_view(claim: Mapping[str, Any]) -> ClaimView:
    """Read a claim dict (the JSON of ``forcewatch.claims.model.Claim``), using the model for
    default windows and the expected change when it accepts the dict."""
    expected: str | None
    try:
        from forcewatch.claims.model import Claim

        model = Claim.from_dict(dict(claim))
        change = model.expected_change()
        expected = None if change is None else str(change.value)
        window = (model.window_start, model.window_end)
        stated = model.stated_on
    except Exception:  # the model is absent or stricter than the stored dict: read it by hand
        stated = _as_date(claim.get("stated_on")) or date.today()
        kind = str(claim.get("kind"))
        before, after = _DEFAULT_WINDOW_DAYS.get(kind, (7, 7))
        start = _as_date(claim.get("window_start")) or stated - timedelta(days=before)
        end = _as_date(claim.get("window_end")) or max(stated + timedelta(days=after), start)
        window = (start, end)
        expected = claim.get("expected_change") or claim.get("trend") or _EXPECTED.get(kind)
        if kind == "movement":
            expected = {"toward": "increase", "away": "decrease"}.get(str(claim.get("direction")))
    denied = claim.get("denied_kind")
    if claim.get("kind") == "denial" and not claim.get("trend") and denied in _EXPECTED:
        # Denying a withdrawal asserts "no decrease" (an increase agrees with it), denying a
        # build-up "no increase": one-sided tests, not a test of no change at all.
        expected = "no " + _EXPECTED[str(denied)]
    band = claim.get("band_km")
    return ClaimView(
        id=str(claim.get("id")),
        kind=str(claim.get("kind")),
        stated_on=stated,
        window=window,
        expected=expected,
        sites=tuple(str(s) for s in claim.get("sites") or ()),
        places=tuple(str(s) for s in claim.get("places") or ()),
        region=claim.get("region"),
        band_km=(float(band[0]), float(band[1])) if band else None,
        force=str(claim["force"]) if claim.get("force") else None,
    )


# Countries a claim may name (``claims.lexicon.PLACES``) and their ISO codes, as sites carry them.
_COUNTRY_CODES = {
    "belarus": "BY", "poland": "PL", "germany": "DE", "romania": "RO", "lithuania": "LT",
    "latvia": "LV", "estonia": "EE", "slovakia": "SK", "hungary": "HU", "bulgaria": "BG",
    "moldova": "MD",
}  # fmt: skip
# Forces a watchlist of Russian and Belarusian sites says nothing about unless a site is named.
_OTHER_FORCES = {"us": "US", "nato": "NATO", "ukraine": "Ukrainian"}


def select_sites(view: ClaimView, sites: Sequence[Site]) -> tuple[list[str], str]:
    """The watched sites a claim covers and how they were chosen (plain words).

    Sites named in the claim first. A claim that names countries ("in Belarus", "to Poland")
    covers only the watched sites in them (by their ``country`` code), none when the watchlist
    has none there. A claim about US, NATO or Ukrainian forces that names no watched site covers
    none. Then the distance band, the region, and at last every watched site."""
    by_name = {s.name.casefold(): s.name for s in sites}
    named = [*view.sites, *view.places]
    found = list(dict.fromkeys(by_name[n.casefold()] for n in named if n.casefold() in by_name))
    if found:
        return found, "named in the claim"
    countries = [p for p in view.places if p.casefold() in _COUNTRY_CODES]
    by_country = bool(countries) and any(s.country for s in sites)
    if by_country:
        codes = {_COUNTRY_CODES[p.casefold()] for p in countries}
        sites = [s for s in sites if (s.country or "").upper() in codes]
        if not sites:
            return [], f"no watched site in {', '.join(countries)}"
    elif view.force in _OTHER_FORCES:
        return [], f"about {_OTHER_FORCES[view.force]} forces, and no watched site is named"
    if view.band_km is not None:
        near, far = view.band_km
        inside = [
            s.name for s in sites if s.distance_km is not None and near <= s.distance_km <= far
        ]
        return inside, f"within {near:g}-{far:g} km of the reference line"
    if view.region:
        needle = view.region.casefold()
        hits = [s.name for s in sites if needle in _site_text(s) or _site_text(s) in needle]
        if hits:
            return hits, f"in the region '{view.region}'"
    if view.sites:
        return [], "named in the claim but not on the watchlist"
    if view.region:
        return [], f"no watched site in the region '{view.region}'"
    if by_country:
        return [s.name for s in sites], f"the watched sites in {', '.join(countries)}"
    return [s.name for s in sites], "all watched sites (the claim names no watched place)"


def _site_text(site: Site) -> str:
    parts = [site.country or "", site.kind or "", str(site.properties.get("region") or "")]
    return " ".join(parts).casefold().strip() or "\x00"


def reference_window(view: ClaimView, p: VerdictParams) -> tuple[date, date]:
    """Inclusive reference dates: ``reference_days`` ending before the window (see module doc)."""
    start = view.window[0]
    end_excl = start - timedelta(days=p.gap_days) if start < view.stated_on else start
    return end_excl - timedelta(days=p.reference_days), end_excl - timedelta(days=1)


# --- per-site shifts ----------------------------------------------------------------------------


def _in(days: pd.Series, window: tuple[date, date]) -> pd.Series:
    lo = pd.Timestamp(window[0], tz="UTC")
    hi = pd.Timestamp(window[1], tz="UTC") + pd.Timedelta(days=1)
    return (days >= lo) & (days < hi)


@dataclass(frozen=True)
class SiteTest:
    """The test at one site: its combined shift (None: no reference or no window pass).

    ``dispersal`` is True when the window shows the site residual down and the ring's up
    against the reference, or when a pass in the window was flagged as dispersal by its state
    (against the passes just before it); ``dispersal_dates`` lists the flagged passes.
    """

    site: str
    shift: Shift | None
    orbits: list[str]
    orbit_deltas: dict[str, float]
    dispersal: bool
    site_change: float | None
    ring_change: float | None
    window_rows: pd.DataFrame
    ref_medians: dict[str, float]
    blind_reasons: list[str]
    dispersal_dates: list[str] = field(default_factory=list)


def _orbit_shift(
    obs: pd.DataFrame, col: str, ref: pd.Series, win: pd.Series, p: VerdictParams
) -> Shift | None:
    v = obs[col].to_numpy(float)
    good = np.isfinite(v)
    if not (good & ref.to_numpy()).any() or not (good & win.to_numpy()).any():
        return None
    sigma = max(diff_sigma(v[good]), p.state.scale_floor)
    return compare_windows(v[ref.to_numpy()], v[win.to_numpy()], sigma, max(good.sum() - 2, 1))


def site_test(site: str, states: pd.DataFrame, view: ClaimView, p: VerdictParams) -> SiteTest:
    """Shift of ``activity_total`` at ``site`` (orbit states of all its geometries)."""
    rows = states[(states["site"] == site) & (states["geometry_key"] != "fused")]
    ref_w = reference_window(view, p)
    in_win = _in(rows["acquired_utc"], view.window)
    unread = rows[in_win & ~rows["state"].isin(READ_STATES)]
    reasons = sorted(
        {
            f"{r.geometry_key} {pd.Timestamp(r.acquired_utc).date()}: "
            + str((r.details or {}).get("reason") or r.state)
            for r in unread.itertuples(index=False)
        }
    )
    shifts: list[Shift] = []
    site_sh: list[Shift] = []
    ring_sh: list[Shift] = []
    deltas: dict[str, float] = {}
    ref_med: dict[str, float] = {}
    win_rows = []
    w_site = float(np.nanmedian(rows["w_site"])) if "w_site" in rows and len(rows) else 0.5
    for key, g in rows[rows["state"].isin(READ_STATES)].groupby("geometry_key"):
        g = g.assign(activity_ring=[(d or {}).get("activity_ring") for d in g["details"]])
        g["activity_ring"] = g["activity_ring"].astype(float)
        ref, win = _in(g["acquired_utc"], ref_w), _in(g["acquired_utc"], view.window)
        if win.any():
            win_rows.append(g[win])
        total = _orbit_shift(g, "activity_total", ref, win, p)
        if total is None:
            continue
        shifts.append(total)
        deltas[str(key)] = total.delta
        ref_med[str(key)] = float(np.median(g.loc[ref, "activity_total"]))
        for col, bucket in (("activity", site_sh), ("activity_ring", ring_sh)):
            s = _orbit_shift(g, col, ref, win, p)
            if s is not None:
                bucket.append(s)
    shift = combine_orbits(shifts) if shifts else None
    site_c = combine_orbits(site_sh) if site_sh else None
    ring_c = combine_orbits(ring_sh) if ring_sh else None
    dispersal = bool(
        site_c is not None
        and ring_c is not None
        and site_c.p_decrease() < p.alpha
        and ring_c.p_increase() < p.alpha
        and ring_c.delta * (1 - w_site) >= p.state.dispersal_share * -site_c.delta * w_site
    )
    window_rows = pd.concat(win_rows) if win_rows else rows.iloc[0:0]
    flagged = sorted(
        f"{pd.Timestamp(r.acquired_utc).date()} {r.geometry_key}"
        for r in window_rows.itertuples(index=False)
        if (r.details or {}).get("dispersal")
    )
    dispersal = dispersal or bool(flagged)
    return SiteTest(
        site,
        shift,
        sorted(deltas),
        deltas,
        dispersal,
        None if site_c is None else site_c.delta,
        None if ring_c is None else ring_c.delta,
        window_rows,
        ref_med,
        reasons,
        flagged,
    )


# --- the verdict --------------------------------------------------------------------------------


def _iso(value: Any) -> str:
    return pd.Timestamp(value).date().isoformat()


def _num(value: Any, digits: int = 6) -> float | None:
    if value is None:
        return None
    v = float(value)
    return round(v, digits) if math.isfinite(v) else None


def _site_result(t: SiteTest, view: ClaimView, p: VerdictParams) -> dict[str, Any]:
    base: dict[str, Any] = {
        "site": t.site,
        "orbits": t.orbits,
        "dispersal": t.dispersal,
        "dispersal_dates": t.dispersal_dates,
        "n_window": 0 if t.shift is None else t.shift.n_window,
    }
    if t.shift is None:
        n_win = len(t.window_rows)
        base.update(
            verdict="blind" if n_win == 0 else "inconclusive",
            effect_size=None,
            effect_ci=None,
            p_value=None,
            orbits_agree=None,
            n_ref=0,
            n_window=n_win,
            note="no readable pass in the window"
            if n_win == 0
            else "no readable pass in the reference period",
            unreadable=t.blind_reasons,
        )
        return base
    s = t.shift
    margin = p.equivalence_margin * max(abs(s.level), p.min_level)
    d = decide(s, view.expected, margin, p.alpha)
    lo, hi = s.ci(p.ci_level)
    signs = {np.sign(v) for v in t.orbit_deltas.values()}
    base.update(
        verdict=d.verdict,
        observed=d.observed,
        effect_size=_num(relative(s.delta, s.level, p.min_level), 4),
        effect_ci=[
            _num(relative(lo, s.level, p.min_level), 4),
            _num(relative(hi, s.level, p.min_level), 4),
        ],
        p_value=_num(d.p_value, 6),
        p_increase=_num(d.p_increase),
        p_decrease=_num(d.p_decrease),
        p_equivalence=_num(d.p_equivalent),
        orbits_agree=len(signs) == 1,
        orbits_agreeing=sorted(
            k for k, v in t.orbit_deltas.items() if np.sign(v) == np.sign(s.delta)
        ),
        delta=_num(s.delta),
        level=_num(s.level),
        n_ref=s.n_ref,
        site_change=_num(t.site_change),
        ring_change=_num(t.ring_change),
        unreadable=t.blind_reasons,
    )
    return base


def _drivers(tests: Sequence[SiteTest], sign: float) -> list[dict[str, Any]]:
    """Window passes that push hardest in direction ``sign`` at the sites that do."""
    scored = sorted(
        ((sign * t.shift.delta / t.shift.se, t) for t in tests if t.shift and t.shift.se > 0),
        key=lambda zt: -zt[0],
    )
    ranked = [t for _, t in scored]
    pushing = [t for z, t in scored if z > 1.0][:5]
    out = []
    for t in pushing or ranked[:1]:
        rows = t.window_rows.assign(
            delta=t.window_rows["activity_total"] - t.window_rows["geometry_key"].map(t.ref_medians)
        ).dropna(subset=["delta"])
        rows = rows[sign * rows["delta"] > 0]
        for r in rows.sort_values("delta", key=lambda d: -sign * d).head(3).itertuples(index=False):
            out.append(
                {
                    "site": t.site,
                    "date": _iso(r.acquired_utc),
                    "acquired_utc": pd.Timestamp(r.acquired_utc).isoformat(),
                    "geometry_key": r.geometry_key,
                    "metric": METRIC,
                    "value": _num(r.activity_total),
                    "delta": _num(r.delta),
                    "site_value": _num(r.activity),
                    "ring_value": _num((r.details or {}).get("activity_ring")),
                    "scene_id": r.scene_id,
                    "state": r.state,
                }
            )
    return out[:MAX_DRIVERS]


def verdict_for_claim(
    claim: Mapping[str, Any],
    states: pd.DataFrame,
    sites: Sequence[Site],
    p: VerdictParams,
    areas: Mapping[str, tuple[float, float]] | None = None,
) -> dict[str, Any]:
    """The verdict of one claim (dict as in docs/assessment.md) from orbit ``states``
    (``series.all_states``). ``areas`` (site, ring) per site weight the sum over sites."""
    view = claim_view(claim)
    ref_w = reference_window(view, p)
    names, how = select_sites(view, sites)
    out: dict[str, Any] = {
        "claim_id": view.id,
        "verdict": "inconclusive",
        "confidence": None,
        "effect_size": None,
        "effect_ci": None,
        "expected": view.expected,
        "observed": None,
        "window": [view.window[0].isoformat(), view.window[1].isoformat()],
        "reference_window": [ref_w[0].isoformat(), ref_w[1].isoformat()],
        "sites": [],
        "drivers": [],
        "explanation": "",
        "more_data_needed": None,
        "margin": p.equivalence_margin,
        "ci_level": round(p.ci_level, 4),
        "params_hash": p.digest(),
        "metric": METRIC,
        "site_selection": how,
    }
    if not names:
        out["explanation"] = f"No watched site matches the claim ({how}); nothing to test."
        return out
    tests = [site_test(n, states, view, p) for n in names]
    out["sites"] = [_site_result(t, view, p) for t in tests]
    readable = [t for t in tests if len(t.window_rows)]
    if not readable:
        reasons = sorted({r for t in tests for r in t.blind_reasons})
        out.update(
            verdict="blind",
            explanation=(
                f"No readable pass of {_names(names)} between {view.window[0]} and "
                f"{view.window[1]}"
                + (f" ({'; '.join(reasons[:4])})" if reasons else " (no acquisition)")
                + ": the imagery cannot speak to this claim."
            ),
            more_data_needed="at least one readable pass of a claimed site in the window",
        )
        return out
    if view.expected is None:
        out["explanation"] = (
            f"A {view.kind} claim without a direction implies no change imagery can test."
        )
        return out
    tested = [t for t in tests if t.shift is not None]
    if not tested:
        out["explanation"] = (
            f"Passes exist in the window but none of {_names(names)} was read in the reference "
            f"period {ref_w[0]} to {ref_w[1]}; there is nothing to compare with."
        )
        out["more_data_needed"] = "readable passes in the reference period"
        return out
    weights = _weights(tested, areas)
    total = sum_shifts([t.shift for t in tested if t.shift is not None], weights)
    floor = p.min_level * float(sum(weights))
    margin = p.equivalence_margin * max(abs(total.level), floor)
    d = decide(total, view.expected, margin, p.alpha)
    lo, hi = total.ci(p.ci_level)
    effect = (
        relative(total.delta, total.level, floor),
        relative(lo, total.level, floor),
        relative(hi, total.level, floor),
    )
    sign = 1.0 if total.delta >= 0 else -1.0
    drivers = _drivers(tested, sign)
    out.update(
        verdict=d.verdict,
        confidence=_num(d.confidence, 4),
        effect_size=_num(effect[0], 4),
        effect_ci=[_num(effect[1], 4), _num(effect[2], 4)],
        observed=d.observed,
        p_value=_num(d.p_value),
        p_increase=_num(d.p_increase),
        p_decrease=_num(d.p_decrease),
        p_equivalence=_num(d.p_equivalent),
        delta=_num(total.delta),
        n_ref=total.n_ref,
        n_window=total.n_window,
        drivers=drivers,
        dispersal=[t.site for t in tests if t.dispersal],
        blind_sites=[t.site for t in tests if not len(t.window_rows)],
    )
    out["explanation"] = _explain(d, view, ref_w, effect, tested, drivers, p)
    if d.verdict == "inconclusive":
        out["more_data_needed"] = _more_note(tested, weights, view, p, total)
        out["explanation"] += " " + out["more_data_needed"]
    return out


def _weights(
    tests: Sequence[SiteTest], areas: Mapping[str, tuple[float, float]] | None
) -> list[float]:
    if not areas:
        return [1.0] * len(tests)
    raw = [sum(areas.get(t.site, (0.0, 0.0))) for t in tests]
    known = [a for a in raw if a > 0]
    mean = float(np.mean(known)) if known else 1.0
    return [a / mean if a > 0 else 1.0 for a in raw]


def assess_claims(
    claims: Iterable[Mapping[str, Any]],
    states: pd.DataFrame,
    sites: Sequence[Site],
    p: VerdictParams,
    areas: Mapping[str, tuple[float, float]] | None = None,
) -> list[dict[str, Any]]:
    """Verdicts of all ``claims`` (order kept)."""
    return [verdict_for_claim(c, states, sites, p, areas) for c in claims]


def states_for_verdicts(
    measurements: pd.DataFrame,
    p: VerdictParams,
    areas: Mapping[str, tuple[float, float]] | None = None,
) -> pd.DataFrame:
    """Orbit states (with no-pass blind dates) from a measurements frame."""
    return all_states(series_frame(measurements, areas), p.state)


def verdicts_for_store(store: Store, config: ProjectConfig) -> list[dict[str, Any]]:
    """Test every stored claim against the stored measurements; replace this parameter set's
    verdicts in one transaction and return them (oldest claim first)."""
    from forcewatch.store import repo

    p = VerdictParams.from_settings(config.assess)
    sites = [s.site for s in repo.list_sites(store)]
    areas = site_areas(sites, config.sites.ring_km)
    states = states_for_verdicts(repo.measurements_frame(store), p, areas)
    results = assess_claims(repo.list_claims(store), states, sites, p, areas)
    simulated = config.simulated or repo.any_simulated_scene(store)
    results = [{**r, "simulated": simulated} for r in results]
    with store.begin() as conn:
        repo.replace_verdicts(conn, p.digest(), results)
    return results
