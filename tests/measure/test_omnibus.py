"""Sequential omnibus test: calibration under no change, power, an independent reference, errors.

Speckle is simulated as the test assumes it: an intensity with ``L`` looks is
``Gamma(shape=L, scale=mean/L)`` (the diagonal of a complex Wishart with ``L`` looks), with the
true ``L`` passed as ``enl``. Seeds are fixed; each tolerance says why it is wide enough.
"""

from __future__ import annotations

import math

import dask.array as da
import numpy as np
import pytest
from scipy import stats

from forcewatch.errors import InputError
from forcewatch.measure import omnibus
from forcewatch.measure.omnibus import (
    OmnibusResult,
    enl_estimate,
    omnibus_dask,
    sequential_omnibus,
)

ENL = 4.4


def _speckle(rng: np.random.Generator, mean: np.ndarray, looks: float = ENL) -> np.ndarray:
    return (rng.gamma(looks, 1.0 / looks, mean.shape) * mean).astype(np.float32)


@pytest.fixture(scope="module")
def no_change_dual() -> OmnibusResult:
    """1e6 pixels, dual-pol, 10 dates, no change: the size the calibration claim is made at."""
    rng = np.random.default_rng(20240601)
    k, ny, nx = 10, 1000, 1000
    stack = np.empty((k, 2, ny, nx), np.float32)
    for t in range(k):  # per date keeps the float64 temporaries small
        stack[t] = rng.gamma(ENL, 1.0 / ENL, (2, ny, nx)) * np.array([0.1, 0.02])[:, None, None]
    return sequential_omnibus(stack, ENL, 0.01)


# --------------------------------------------------------------------------- calibration


@pytest.mark.parametrize("alpha", [0.01, 0.001])
def test_p_values_are_calibrated_in_every_interval_without_change(
    no_change_dual: OmnibusResult, alpha: float
) -> None:
    # 1e6 pixels: at alpha = 0.001 the count per interval is ~1000 +- 32 (3 %), so a 20 % band
    # is > 6 standard errors wide; a miscalibrated correction (e.g. f = 2p or no rho) is not.
    frac = (no_change_dual.p_values < alpha).mean(axis=(1, 2))
    assert np.all(np.abs(frac - alpha) <= 0.2 * alpha), frac


def test_change_maps_hold_the_false_alarm_rate_without_change(
    no_change_dual: OmnibusResult,
) -> None:
    # changes need p(R_j) and p(Q) below alpha, so the rate is at most alpha (+ 6 SE margin).
    frac = no_change_dual.changes.mean(axis=(1, 2))
    assert np.all(frac <= 1.2 * 0.01), frac
    assert np.all(no_change_dual.direction[~no_change_dual.changes] == 0)


def test_omnibus_p_value_is_calibrated_without_change(no_change_dual: OmnibusResult) -> None:
    frac = float((no_change_dual.p_omnibus < 0.01).mean())
    assert abs(frac - 0.01) <= 0.1 * 0.01  # 1e4 +- 100 expected: 10 % is 10 SE


@pytest.mark.parametrize("k", [9, 10])  # f of Q = k - 1: even and odd closed forms
def test_single_pol_p_values_are_calibrated(k: int) -> None:
    rng = np.random.default_rng(7 + k)
    stack = _speckle(rng, np.full((k, 1, 400, 500), 0.05))
    res = sequential_omnibus(stack, ENL, 0.01)
    # 2e5 pixels: 2000 +- 45 per interval; 20 % is 9 SE.
    frac = (res.p_values < 0.01).mean(axis=(1, 2))
    assert np.all(np.abs(frac - 0.01) <= 0.2 * 0.01), frac
    assert abs(float((res.p_omnibus < 0.01).mean()) - 0.01) <= 0.2 * 0.01


# --------------------------------------------------------------------------- power


def _changed_stack(seed: int, factor_up: float, factor_down: float) -> np.ndarray:
    k = 10
    mean = np.full((k, 2, 200, 200), 0.1, np.float32)
    mean[5:, :, :100, :100] *= factor_up  # interval 4: between dates 4 and 5
    mean[8:, :, 100:, 100:] *= factor_down  # interval 7
    return _speckle(np.random.default_rng(seed), mean)


@pytest.mark.parametrize(
    ("factor_up", "factor_down", "min_up", "min_down"),
    [
        # Measured over seeds 1-3 at alpha = 0.01 (1e4 pixels per block, SE ~0.003-0.005):
        # x2 -> 0.075-0.079, /2 -> 0.026-0.028; x4 -> 0.79, /4 -> 0.48. Single-pixel tests at
        # ENL 4.4 have little power for a 3 dB step; the margins are ~3 SE below the minimum.
        (2.0, 0.5, 0.065, 0.020),
        (4.0, 0.25, 0.76, 0.45),
    ],
)
def test_known_changes_are_found_in_their_interval_with_their_sign(
    factor_up: float, factor_down: float, min_up: float, min_down: float
) -> None:
    res = sequential_omnibus(_changed_stack(11, factor_up, factor_down), ENL, 0.01)
    up = res.changes[4, :100, :100] & (res.direction[4, :100, :100] == 1)
    down = res.changes[7, 100:, 100:] & (res.direction[7, 100:, 100:] == -1)
    assert up.mean() >= min_up
    assert down.mean() >= min_down
    # wrong sign essentially never (speckle rarely moves both bands the other way that far)
    assert (res.changes[4, :100, :100] & (res.direction[4, :100, :100] == -1)).mean() < 0.002
    # an unchanged block keeps the false-alarm rate
    assert res.changes[:, 100:, :100].mean() <= 1.2 * 0.01
    first, last, count = res.first[:100, :100], res.last[:100, :100], res.count[:100, :100]
    assert np.all((count >= 1) == (first >= 0))
    assert np.all(last >= first)
    assert np.array_equal(count, res.changes[:, :100, :100].sum(axis=0))


# --------------------------------------------------------------------------- reference


def _ref_sf(z: float, f: int, omega2: float) -> float:
    sf = stats.chi2.sf(z, f)
    return float(min(max(sf + omega2 * (stats.chi2.sf(z, f + 4) - sf), 0.0), 1.0))


def _ref_pixel(
    series: np.ndarray, n: float, alpha: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """The paper's procedure, literally: determinants of sums, scipy's chi2, Python loops."""
    k, p = series.shape
    p_vals = np.full(k - 1, np.nan)
    changes = np.zeros(k - 1, bool)
    direction = np.zeros(k - 1, np.int8)
    valid = [t for t in range(k) if np.all(np.isfinite(series[t]) & (series[t] > 0))]
    if len(valid) < 2:
        return p_vals, changes, direction, np.nan
    xs = series[valid].astype(np.float64)

    def logdet(v: np.ndarray) -> float:
        return float(np.sum(np.log(v)))  # diagonal covariance: det = product of the diagonal

    def p_q(run: np.ndarray) -> float:
        kk = len(run)
        ln_q = n * (
            p * kk * math.log(kk) + sum(logdet(x) for x in run) - kk * logdet(run.sum(axis=0))
        )
        f = p * (kk - 1)
        rho = 1 - (kk - 1 / kk) / (6 * (kk - 1) * n)
        return _ref_sf(-2 * rho * ln_q, f, -f / 4 * (1 - 1 / rho) ** 2)

    def p_r(run: np.ndarray, j: int) -> float:  # j is 1-based: image j against images 1..j-1
        before, upto = run[: j - 1].sum(axis=0), run[:j].sum(axis=0)
        ln_r = n * (
            p * (j * math.log(j) - (j - 1) * math.log(j - 1))
            + (j - 1) * logdet(before)
            + logdet(run[j - 1])
            - j * logdet(upto)
        )
        rho = 1 - (1 + 1 / (j * (j - 1))) / (6 * n)
        return _ref_sf(-2 * rho * ln_r, p, -p / 4 * (1 - 1 / rho) ** 2)

    p_all = p_q(xs)
    start = 0
    while start < len(xs) - 1:
        run = xs[start:]
        pq = p_q(run)
        change = None
        for j in range(2, len(run) + 1):
            interval = valid[start + j - 1] - 1
            p_vals[interval] = p_r(run, j)
            if pq < alpha and p_vals[interval] < alpha:
                changes[interval] = True
                diff = run[j - 1] - run[: j - 1].mean(axis=0)
                direction[interval] = 1 if np.all(diff > 0) else (-1 if np.all(diff < 0) else 0)
                change = start + j - 1
                break
        if change is None:
            break
        start = change
    return p_vals, changes, direction, p_all


def _assert_matches_reference(res: OmnibusResult, stack: np.ndarray, alpha: float) -> None:
    """Every pixel of ``res`` as ``_ref_pixel`` gives it: p-values, maps and counts."""
    for y in range(stack.shape[2]):
        for x in range(stack.shape[3]):
            p_ref, ch_ref, dir_ref, pq_ref = _ref_pixel(stack[:, :, y, x], ENL, alpha)
            got = res.p_values[:, y, x]
            np.testing.assert_array_equal(np.isnan(got), np.isnan(p_ref))
            ok = ~np.isnan(p_ref)
            # float32 output and the kernel's own log/exp/erfc (rel. error <= 1.2e-7): 1e-5
            np.testing.assert_allclose(got[ok], p_ref[ok], rtol=1e-5, atol=1e-30)
            np.testing.assert_allclose(res.p_omnibus[y, x], pq_ref, rtol=1e-5, atol=1e-30)
            np.testing.assert_array_equal(res.changes[:, y, x], ch_ref)
            np.testing.assert_array_equal(res.direction[:, y, x], dir_ref)
            where = np.flatnonzero(ch_ref)
            assert res.count[y, x] == len(where)
            assert res.first[y, x] == (where[0] if len(where) else -1)
            assert res.last[y, x] == (where[-1] if len(where) else -1)


@pytest.mark.parametrize("pols", [1, 2])
def test_agrees_with_a_straightforward_reference_including_missing_dates(pols: int) -> None:
    rng = np.random.default_rng(99 + pols)
    k, ny, nx = 9, 12, 25
    mean = np.full((k, pols, ny, nx), 0.2)
    mean[4:, :, :6] *= 3.0  # changes, so restarts are exercised
    mean[7:, :, :3] *= 0.2
    mean[1:, :, 11, 5:] *= 12.0  # a change in the first interval: the restart starts at date 1
    mean[8:, :, :4, 10:] *= 12.0  # a change in the last interval: nothing left to restart
    stack = _speckle(rng, mean)
    stack[2, 0, 8, 3:9] = np.nan  # gaps: skipped dates
    stack[0, :, 9, :4] = 0.0  # border-noise zero at the first date
    stack[:, :, 10, 0] = np.nan  # a pixel with no data at all
    stack[1:, :, 10, 1] = np.nan  # a pixel with one valid date
    alpha = 0.05
    res = sequential_omnibus(stack, ENL, alpha)
    assert res.changes[0, 11, 5:].mean() > 0.5 and res.changes[k - 2, :4, 10:].mean() > 0.5
    assert (res.count >= 2).sum() > 5  # pixels restarted more than once
    _assert_matches_reference(res, stack, alpha)


def test_agrees_with_the_reference_on_random_short_stacks_with_many_changes() -> None:
    # 2-7 dates, one or two bands, up to three changes per row, an occasional gap, and alpha
    # up to 0.2 (many restarts, several per pixel): every pixel as the literal procedure
    rng = np.random.default_rng(7)
    most = 0
    for _ in range(20):
        k, pols, ny, nx = int(rng.integers(2, 8)), int(rng.integers(1, 3)), 4, 9
        mean = np.full((k, pols, ny, nx), 0.2)
        for _ in range(3):
            row = int(rng.integers(0, ny))
            mean[int(rng.integers(1, k)) :, :, row] *= float(rng.choice([0.1, 0.3, 4.0, 10.0]))
        stack = _speckle(rng, mean)
        if rng.random() < 0.5:
            t, y, x = int(rng.integers(0, k)), int(rng.integers(0, ny)), int(rng.integers(0, nx))
            stack[t, 0, y, x] = np.nan
        alpha = float(rng.choice([0.01, 0.05, 0.2]))
        res = sequential_omnibus(stack, ENL, alpha)
        most = max(most, int(res.count.max()))
        _assert_matches_reference(res, stack, alpha)
    assert most >= 3  # some pixel restarted at least twice


def test_agrees_with_the_reference_when_restarts_fill_several_passes() -> None:
    # every pixel changes, so one task's restarting pixels exceed the lanes of one restart pass
    # (omnibus._RESTART_LANES), and the last row is a task of its own
    rng = np.random.default_rng(11)
    rows = omnibus._ROWS_PER_TASK
    k, ny, nx = 7, rows + 1, omnibus._RESTART_LANES // rows + 10
    mean = np.full((k, 2, ny, nx), 0.1)
    mean[3:] *= 8.0
    mean[5:, :, :, ::3] *= 0.05  # a second change for a third of the pixels
    stack = _speckle(rng, mean)
    res = sequential_omnibus(stack, ENL, 0.01)
    assert res.changes[2].mean() > 0.9 and (res.count >= 2).mean() > 0.25
    _assert_matches_reference(res, stack, 0.01)


def test_chunked_dask_entry_equals_in_memory_result() -> None:
    rng = np.random.default_rng(5)
    mean = np.full((8, 2, 70, 90), 0.1)
    mean[4:, :, 10:40, 20:50] *= 4.0
    stack = _speckle(rng, mean)
    stack[3, 1, 60:, :] = np.nan
    ref = sequential_omnibus(stack, ENL, 0.01)
    lazy = omnibus_dask(da.from_array(stack, chunks=(3, 1, 25, 40)), ENL, 0.01, chunk_yx=(32, 40))
    assert lazy.count.shape == (70, 90)
    got = lazy.compute(scheduler="synchronous")
    for field in ("p_values", "changes", "direction", "p_omnibus", "first", "last", "count"):
        a, b = getattr(got, field), getattr(ref, field)
        assert a.dtype == b.dtype, field
        np.testing.assert_array_equal(a, b, err_msg=field)


def test_serial_and_parallel_kernels_have_separate_disk_cache_entries() -> None:
    # numba's disk cache is keyed by qualified name and line: one shared name once made the
    # parallel dispatcher load the cached serial build and silently lose its threads.
    serial, parallel = omnibus._kernel_serial, omnibus._kernel_parallel
    assert serial.py_func.__qualname__ != parallel.py_func.__qualname__
    assert serial.py_func.__code__ is parallel.py_func.__code__  # one implementation
    assert parallel.targetoptions.get("parallel") is True
    assert not serial.targetoptions.get("parallel")


# --------------------------------------------------------------------------- ENL


def test_enl_estimate_recovers_the_simulated_looks() -> None:
    rng = np.random.default_rng(3)
    img = rng.gamma(ENL, 0.1 / ENL, (630, 630))
    # measured bias < 1 % at ENL 4.4; 4900 blocks give a standard error ~0.5 %
    assert enl_estimate(img) == pytest.approx(ENL, rel=0.03)


def test_enl_estimate_ignores_textured_areas_and_edges() -> None:
    rng = np.random.default_rng(4)
    mean = np.full((630, 630), 0.1)
    mean[:, 400:] *= rng.lognormal(0.0, 0.8, (630, 230))  # 37 % strongly textured clutter
    mean[:200, :200] = 0.5  # an edge between two homogeneous areas
    img = rng.gamma(ENL, 1.0 / ENL, mean.shape) * mean
    img[300:310] = np.nan
    assert enl_estimate(img) == pytest.approx(ENL, rel=0.06)
    plain = np.nanmean(img) ** 2 / np.nanvar(img)  # what no selection would give
    assert plain < 0.5 * ENL


# --------------------------------------------------------------------------- errors


def _ok_stack() -> np.ndarray:
    return np.random.default_rng(0).gamma(ENL, 0.1 / ENL, (5, 2, 8, 8)).astype(np.float32)


@pytest.mark.parametrize(
    ("stack", "enl", "alpha", "message"),
    [
        (np.ones((5, 8, 8)), ENL, 0.01, "dims"),
        (np.ones((1, 2, 8, 8)), ENL, 0.01, "at least 2 dates"),
        (np.ones((5, 3, 8, 8)), ENL, 0.01, "single-pol"),
        (np.ones((5, 2, 0, 8)), ENL, 0.01, "empty"),
        (_ok_stack(), 0.0, 0.01, "enl"),
        (_ok_stack(), -3.0, 0.01, "enl"),
        (_ok_stack(), float("nan"), 0.01, "enl"),
        (_ok_stack(), ENL, 0.0, "alpha"),
        (_ok_stack(), ENL, 1.0, "alpha"),
        (_ok_stack(), ENL, 1.5, "alpha"),
        (np.ones((5, 2, 8, 8), complex), ENL, 0.01, "real"),
        (np.full((5, 2, 8, 8), np.nan), ENL, 0.01, "no pixel with two valid dates"),
    ],
)
def test_bad_input_raises_a_clear_input_error(
    stack: np.ndarray, enl: float, alpha: float, message: str
) -> None:
    with pytest.raises(InputError, match=message):
        sequential_omnibus(stack, enl, alpha)


@pytest.mark.parametrize("bad_value", [-0.5, np.inf, -np.inf])
def test_negative_or_infinite_intensities_are_errors_not_no_data(bad_value: float) -> None:
    stack = _ok_stack()
    stack[2, 1, 3, 4] = bad_value
    with pytest.raises(InputError, match="1 negative or infinite"):
        sequential_omnibus(stack, ENL, 0.01)
    lazy = omnibus_dask(da.from_array(stack, chunks=(5, 2, 4, 4)), ENL, 0.01, chunk_yx=(4, 4))
    with pytest.raises(InputError, match="negative or infinite"):
        lazy.compute(scheduler="synchronous")


def test_enl_estimate_rejects_bad_input() -> None:
    with pytest.raises(InputError, match="2-D"):
        enl_estimate(np.ones((2, 30, 30)))
    with pytest.raises(InputError, match="negative"):
        enl_estimate(-np.ones((90, 90)))
    with pytest.raises(InputError, match="blocks"):
        enl_estimate(np.full((90, 90), np.nan))
    with pytest.raises(InputError, match="window"):
        enl_estimate(np.ones((90, 90)), window=1)
