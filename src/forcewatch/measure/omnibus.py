"""Sequential omnibus change test for diagonal (dual-pol) and single-pol SAR intensity stacks.

After Conradsen, Nielsen & Skriver, "Determining the points of change in time series of
polarimetric SAR data", IEEE TGRS 54(5), 2016, and Canty's sequential procedure (``sar_seq``, the
Earth Engine tutorial), restricted to the diagonal of the covariance matrix.

Model. At every pixel, date ``i`` gives ``p`` intensities (``p = 1``: one polarisation, ``p = 2``:
VV and VH taken as the diagonal of the 2x2 covariance matrix). Each is the diagonal element of a
complex Wishart matrix with ``n = enl`` looks, i.e. ``x ~ Gamma(shape=n, scale=sigma/n)``; the
off-diagonal terms are not observed, and with a diagonal covariance the diagonal elements are
independent. The likelihood-ratio test of ``sigma_j = sigma_{j-1}`` given that images
``1..j-1`` share one ``sigma`` (the paper's ``R_j``) is therefore the product of ``p`` independent
single-pol tests::

    ln R_j = n * sum_b [ j ln j - (j-1) ln(j-1) + (j-1) ln S_{j-1,b} + ln x_{j,b} - j ln S_{j,b} ]
           = n * sum_b [ ln r_b - j ln(1 + (r_b - 1) / j) ],   r_b = (j-1) x_{j,b} / S_{j-1,b}

(``S_{j,b}`` sums band ``b`` over images ``1..j``; ``r_b`` is the new image over the mean of the
run so far, and ``ln R_j`` peaks at 0 for ``r_b = 1``). The kernel evaluates the first form in
float64 with ``sum_b ln`` taken as the log of the product over bands and ``ln S`` carried from
one date to the next: two logarithms per pixel-date and no division. The ``j``-fold
cancellation between the ``ln S`` terms costs ``j`` times the log's 2e-11, invisible in float32
p-values.

Degrees of freedom. The full p x p Hermitian covariance has ``p**2`` real parameters, so the
paper's ``R_j`` has ``f = p**2``. Here each band contributes one real parameter (its variance),
so each single-pol test has ``f = 1`` and the diagonal test has ``f = p`` (2 for VV+VH, as in
Canty's dual-pol code) -- not ``2 p`` nor ``p**2``. The omnibus ``Q`` for ``k`` images (equality
of all of them; ``Q = prod_j R_j``) has ``f = p (k - 1)``.

Second-order correction. Box's expansion for a product of Gamma moments (the case here) gives
``P(-2 rho ln R <= z) ~ P(chi2_f <= z) + omega2 [P(chi2_{f+4} <= z) - P(chi2_f <= z)]``. For one
band, choosing ``rho`` so that the first-order term vanishes gives, with the paper's formulas at
``p = 1``::

    R_j:  rho = 1 - (1 + 1 / (j (j-1))) / (6 n)
    Q_k:  rho = 1 - (k - 1/k) / (6 (k-1) n)
    both: omega2 = -(f / 4) (1 - 1/rho)**2

(Check: ``E[R_j^h]`` is a ratio of Gamma functions with arguments ``n (j-1)``, ``n`` over
``n j``; Box's ``omega1 = 0`` gives the ``rho`` above and his ``B3`` terms then reduce to
``omega2 = -(f/4)(1/rho - 1)**2``, the paper's formula at ``p = 1``.) The ``p`` bands are
independent with the same ``n``, so their moment factors concatenate: ``rho`` is unchanged, ``f``
and ``omega2`` add up (``omega2 = -(f/4)(1 - 1/rho)**2`` with the summed ``f``). Chi-square
tails are closed forms (even ``f = 2m``: ``exp(-z/2) sum_{i<m} (z/2)^i / i!``; odd ``f``:
``erfc(sqrt(z/2))`` plus half-integer terms), evaluated inside the kernel.

Sequential procedure (the paper; Canty's ``change_maps``). A run starts at the first
valid date ``l``. Compute ``Q`` over images ``l..last`` and the ``R_j`` of that run. A change is
declared at the first ``j`` with ``p(R_j) < alpha``, provided ``p(Q) < alpha``; the run then
restarts at the image after the change, and so on. Without a rejection the procedure stops.
Each ``p(R_j)`` of run 0 is calibrated under no change; after a (false) restart the new run
starts on an extreme image, so later intervals read a few per cent more ``p < alpha``
(measured: 1.00-1.06 alpha over 9 intervals at ENL 4.4).

No data. A pixel-date is valid when every band is finite and > 0 (NaN and 0 mean no data, e.g.
border noise). Missing dates are skipped per pixel: the test between two valid dates ``a < b`` is
reported in interval ``b - 1`` (the interval that ends at the first valid date after the
change); intervals ``a..b-2`` get a NaN p-value and no change. A pixel with fewer than two valid
dates gets NaN everywhere and no change. Negative or infinite values are errors, not no-data.

Numerical notes. P-values smaller than about 1e-14 are outside the range where the asymptotic
correction is meaningful (it can turn negative); they are floored at 0. The kernel uses fastmath
without ``nnan``/``ninf`` because NaN is data here (no-data), and those flags would let the
compiler assume it away.
"""

from __future__ import annotations

import math
import threading
import types
from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit, prange

from forcewatch.errors import InputError
from forcewatch.measure._omnibus_math import (
    _FASTMATH,
    _TWO_OVER_SQRT_PI,
    _erfc,
    _exp,
    _exp32_pvalue,
    _ln,
    _p_r,
    _q_pvalue,
    _rho_q,
    _rho_r,
)
from forcewatch.measure.omnibus_dask import LazyOmnibusResult, omnibus_dask

__all__ = [
    "OmnibusResult",
    "LazyOmnibusResult",
    "sequential_omnibus",
    "omnibus_dask",
    "enl_estimate",
]


@dataclass(frozen=True)
class OmnibusResult:
    """Sequential omnibus test of one stack; ``k`` dates give ``k - 1`` intervals.

    Interval ``t`` lies between dates ``t`` and ``t + 1``. Arrays are ``(interval, y, x)`` or
    ``(y, x)``:

    - ``p_values`` float32: p-value of the ``R_j`` test that the sequential procedure applies in
      interval ``t``, i.e. of date ``t + 1`` against the mean of the run it is in (the run starts
      at the first valid date, or at the date after the last change before ``t``); NaN where
      untested (date ``t + 1`` missing, or before the first valid date).
    - ``changes`` bool: change declared in interval ``t`` at level ``alpha`` (needs ``p(R_j)``
      and the run's omnibus ``p(Q)`` both below ``alpha``).
    - ``direction`` int8: +1 every band brighter than the run mean, -1 every band darker, 0
      mixed or no change.
    - ``p_omnibus`` float32 ``(y, x)``: p-value of ``Q`` over all valid dates (any change at all).
    - ``first``, ``last`` int16 ``(y, x)``: first / last changed interval, -1 for none.
    - ``count`` int16 ``(y, x)``: number of changes.
    """

    p_values: np.ndarray
    changes: np.ndarray
    direction: np.ndarray
    p_omnibus: np.ndarray
    first: np.ndarray
    last: np.ndarray
    count: np.ndarray
    enl: float
    alpha: float


# --------------------------------------------------------------------------- the kernel


@njit(inline="always", fastmath=_FASTMATH, error_model="numpy", cache=True)
def _fast_row(stack, y, n, alpha32, s0, s1, ls, lnq, bad, hit, p_out):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Run 0 of every pixel of row ``y`` as if all its dates were valid; vectorised over x.

    Fills ``p_out[:, y, :]`` with ``p(R_j)`` of the run that starts at date 0, ``lnq`` with
    ``ln Q / n`` of the whole series, ``bad`` with 1 where some date is not valid (those
    pixels are redone by ``_pixel_with_gaps``) and ``hit`` with the first interval whose
    float32 p-value is below ``alpha32`` (-1 for none; ``alpha32`` is ``alpha`` rounded up to
    float32, so ``p < alpha32`` in float32 is ``p < alpha`` in float64).

    With ``L_x = sum_b ln x_b`` and ``L_S = sum_b ln S_b`` (``S`` the running sums),
    ``ln R_j / n = L_x + (j-1) L_S(prev) - j L_S(new) + p (j ln j - (j-1) ln(j-1))``: two logs
    per pixel-date and no division; the cancellation between the ``L_S`` terms costs ``j`` times
    the log's 2e-11, i.e. nothing.
    """
    k, p, _, nx = stack.shape
    inf = np.inf
    b_last = p - 1
    for x in range(nx):
        a = np.float64(stack[0, 0, y, x])
        b = np.float64(stack[0, b_last, y, x])
        s0[x] = a
        s1[x] = b
        ls[x] = _ln(a * b) if p == 2 else _ln(a)
        lnq[x] = 0.0
        ok = (a > 0.0) & (a < inf) & (b > 0.0) & (b < inf)
        bad[x] = np.uint8(1) - np.uint8(ok)
        hit[x] = -1
    for t in range(k - 1):
        j = t + 2.0
        jm1 = t + 1.0
        cst = p * (j * math.log(j) - jm1 * math.log(jm1))
        rho = _rho_r(j, n)
        c = -n * rho  # h = z / 2 = -n rho ln R
        omega2 = -0.25 * p * (1.0 - 1.0 / rho) ** 2
        if p == 2:
            for x in range(nx):
                a = np.float64(stack[t + 1, 0, y, x])
                b = np.float64(stack[t + 1, 1, y, x])
                sa = s0[x] + a
                sb = s1[x] + b
                ab = a * b
                ls_new = _ln(sa * sb)
                ln_r = _ln(ab) + jm1 * ls[x] - j * ls_new + cst
                # a date that is not valid makes ln Q NaN (flagged after the loop): cheaper than
                # a flag array updated at every date; a * b < inf also catches NaN, and cannot
                # overflow (float32 values)
                ln_r = ln_r if (a > 0.0) & (b > 0.0) & (ab < inf) else np.nan
                p_out[t, y, x] = np.float32(max(c * ln_r, 0.0))  # h, made a p-value below
                lnq[x] += ln_r
                s0[x] = sa
                s1[x] = sb
                ls[x] = ls_new
            omega2_32 = np.float32(omega2)
            for x in range(nx):  # a float32 loop of its own: twice the SIMD lanes
                pv = _exp32_pvalue(p_out[t, y, x], omega2_32)
                p_out[t, y, x] = pv
                hit[x] = t if (pv < alpha32) & (hit[x] < 0) else hit[x]
        else:
            for x in range(nx):
                a = np.float64(stack[t + 1, 0, y, x])
                sa = s0[x] + a
                ls_new = _ln(sa)
                ln_r = _ln(a) + jm1 * ls[x] - j * ls_new + cst
                ln_r = ln_r if (a > 0.0) & (a < inf) else np.nan  # as for two bands
                h = max(c * ln_r, 0.0)
                rh = np.sqrt(h)
                pv = _erfc(rh) + omega2 * _exp(-h) * _TWO_OVER_SQRT_PI * rh * (1.0 + h / 1.5)
                pv32 = np.float32(min(max(pv, 0.0), 1.0))
                p_out[t, y, x] = pv32
                hit[x] = t if (pv32 < alpha32) & (hit[x] < 0) else hit[x]
                lnq[x] += ln_r
                s0[x] = sa
                ls[x] = ls_new
    for x in range(nx):
        bad[x] |= np.uint8(lnq[x] != lnq[x])  # NaN: some date was not valid


@njit(inline="always", fastmath=_FASTMATH, error_model="numpy", cache=True)
def _row_q_pvalues(lnq, k, p, n, h, term, sf, extra):  # type: ignore[no-untyped-def]  # pragma: no cover
    """``p(Q)`` of every pixel of a row from ``lnq`` (overwritten), vectorised over x.

    Same series as ``_sf_corrected``; entries with ``h > 650`` (outside the fast exp's range)
    are left for the caller to redo exactly.
    """
    nx = lnq.shape[0]
    rho = _rho_q(float(k), n)
    f = p * (k - 1)
    omega2 = -0.25 * f * (1.0 - 1.0 / rho) ** 2
    c = -n * rho
    odd = f % 2 == 1
    a0 = 0.5 if odd else 0.0
    m = f // 2
    for x in range(nx):
        hx = max(c * lnq[x], 0.0)
        h[x] = hx
        rh = np.sqrt(hx)
        term[x] = _exp(-hx) * (_TWO_OVER_SQRT_PI * rh if odd else 1.0)
        sf[x] = _erfc(rh) if odd else 0.0
        extra[x] = 0.0
    for i in range(m + 2):
        inv_a = 1.0 / (a0 + i + 1.0)
        if i < m:
            for x in range(nx):
                sf[x] += term[x]
                term[x] *= h[x] * inv_a
        else:
            for x in range(nx):
                extra[x] += term[x]
                term[x] *= h[x] * inv_a
    for x in range(nx):
        lnq[x] = min(max(sf[x] + omega2 * extra[x], 0.0), 1.0)


@njit(inline="always", cache=True)
def _load_pixel(stack, y, x, vals, idx):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Copy the valid dates of pixel (y, x) to ``vals``/``idx``; returns (count, bad values)."""
    k, p = stack.shape[0], stack.shape[1]
    m = 0
    n_bad = 0
    for t in range(k):
        ok = True
        for b in range(p):
            v = np.float64(stack[t, b, y, x])
            vals[m, b] = v
            if not (v > 0.0 and v < np.inf):
                ok = False
                if v < 0.0 or v == np.inf:
                    n_bad += 1
        if ok:
            idx[m] = t
            m += 1
    return m, n_bad


@njit(inline="always", cache=True)
def _mark_change(y, x, t, direction, count, out):  # type: ignore[no-untyped-def]  # pragma: no cover
    out[1][t, y, x] = True
    out[2][t, y, x] = direction
    if count == 0:
        out[4][y, x] = t
    out[5][y, x] = t
    return count + 1


@njit(inline="always", fastmath=_FASTMATH, error_model="numpy", cache=True)
def _runs_from(ell, m, vals, idx, n, alpha, count, y, x, lr, dr, sums, cst, out):  # type: ignore[no-untyped-def]  # pragma: no cover
    """The sequential procedure from valid date ``ell`` on; returns the updated change count.

    Writes the p-values of the intervals it tests, the changes and their direction, and
    ``p_omnibus`` when ``ell == 0``.
    """
    p = vals.shape[1]
    while ell < m - 1:
        kk = m - ell
        prod_s = 1.0
        for b in range(p):
            sums[b] = vals[ell, b]
            prod_s *= sums[b]
        ls_prev = _ln(prod_s)
        ln_q = 0.0
        for jj in range(2, kk + 1):
            i = ell + jj - 1
            j = float(jj)
            prod_x = 1.0
            prod_s = 1.0
            up = 0
            for b in range(p):
                v = vals[i, b]
                up += 1 if (j - 1.0) * v > sums[b] else (-1 if (j - 1.0) * v < sums[b] else 0)
                sums[b] += v
                prod_x *= v
                prod_s *= sums[b]
            ls_new = _ln(prod_s)
            # same arithmetic as _fast_row, so both paths give the same p-values
            ln_r = _ln(prod_x) + (j - 1.0) * ls_prev - j * ls_new + p * cst[jj]
            ls_prev = ls_new
            lr[jj] = ln_r
            dr[jj] = 1 if up == p else (-1 if up == -p else 0)
            ln_q += ln_r
        p_q = _q_pvalue(ln_q, kk, p, n)
        if ell == 0:
            out[3][y, x] = p_q
        change = -1
        for jj in range(2, kk + 1):
            i = ell + jj - 1
            p_r = _p_r(lr[jj], float(jj), p, n)
            out[0][idx[i] - 1, y, x] = p_r
            if p_q < alpha and p_r < alpha:
                change = i
                count = _mark_change(y, x, idx[i] - 1, dr[jj], count, out)
                break
        if change < 0:
            break
        ell = change
    return count


@njit(inline="always", cache=True)
def _pixel_with_gaps(stack, y, x, n, alpha, vals, idx, lr, dr, sums, cst, out):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Pixel with a missing date: the whole procedure on its valid dates; returns bad values."""
    m, n_bad = _load_pixel(stack, y, x, vals, idx)
    for t in range(stack.shape[0] - 1):
        out[0][t, y, x] = np.nan
    out[3][y, x] = np.nan
    if m >= 2:
        out[6][y, x] = _runs_from(0, m, vals, idx, n, alpha, 0, y, x, lr, dr, sums, cst, out)
    return n_bad


_LANES = 8  # float64 lanes: one AVX-512 vector, two AVX2 ones
_ROWS_PER_TASK = 4  # rows per parallel task (2 threads: 4 ~6 % faster than 8 or 16, 2 the same)
_RESTART_LANES = 512  # restarting pixels per pass at most (its arrays: ~k * 40 bytes a pixel)


@njit(inline="always", fastmath=_FASTMATH, error_model="numpy", cache=True)
def _restart_pixels(stack, ys, xs, t0s, nr, n, alpha, out):  # type: ignore[no-untyped-def]  # pragma: no cover
    """The restarts of the complete pixels ``(ys[i], xs[i])``, ``i < nr``, vectorised over them.

    Each of these pixels has ``p(Q) < alpha`` and its run 0 first rejects in interval
    ``t0s[i]``; run 0's p-values up to there are already in ``out[0]``. One pass over the later
    dates carries every pixel's current run (start, band sums, ``sum_b ln S``). A date whose
    ``p(R_j) < alpha`` is a change if the run's ``p(Q) < alpha`` too; that ``p(Q)`` comes from
    suffix sums (``ln Q / n = p K ln K + sum_i sum_b ln x_ib - K sum_b ln S_b`` over the run's
    ``K`` images), computed only when a date of the run first needs it (most runs never do). A
    change at date ``d`` restarts the run at ``d``, exactly as ``_runs_from`` does pixel by
    pixel.
    """
    k, p = stack.shape[0], stack.shape[1]
    b_last = p - 1
    # lanes: nr rounded up to whole SIMD vectors, the extra ones copies of pixel 0 (a row has
    # ~alpha * nx such pixels without change: a scalar remainder loop would cost as much as
    # the vector loop)
    nv = (nr + _LANES - 1) // _LANES * _LANES
    g = np.empty((k, p, nv))  # the pixels' values, date-major, pixels contiguous
    lx = np.empty((k, nv))  # sum_b ln x
    sx = np.zeros((k + 1, p, nv))  # suffix sums over dates t..k-1
    sl = np.zeros((k + 1, nv))
    for t in range(k):
        for b in range(p):
            for i in range(nv):
                ii = i if i < nr else 0
                g[t, b, i] = np.float64(stack[t, b, ys[ii], xs[ii]])
        for i in range(nv):
            lx[t, i] = _ln(g[t, 0, i] * g[t, b_last, i]) if p == 2 else _ln(g[t, 0, i])
    for t in range(k - 1, -1, -1):
        for b in range(p):
            for i in range(nv):
                sx[t, b, i] = sx[t + 1, b, i] + g[t, b, i]
        for i in range(nv):
            sl[t, i] = sl[t + 1, i] + lx[t, i]

    start = np.empty(nv, np.int64)
    s0 = np.empty(nv)
    s1 = np.empty(nv)
    ls = np.empty(nv)
    p_run = np.empty(nv)  # p(Q) of the current run; 2 = not computed yet
    count = np.empty(nv, np.int64)
    pv_t = np.empty(nv)
    dir_t = np.empty(nv, np.int8)
    cand_t = np.empty(nv, np.uint8)
    t_first = k
    for i in range(nr):  # run 0's change, then the run after it
        t0 = t0s[i]
        up = 0
        for b in range(p):
            acc = 0.0
            for u in range(t0 + 1):
                acc += g[u, b, i]
            r = (t0 + 1.0) * g[t0 + 1, b, i] / acc
            up += 1 if r > 1.0 else (-1 if r < 1.0 else 0)
        direction = 1 if up == p else (-1 if up == -p else 0)
        count[i] = _mark_change(ys[i], xs[i], t0, direction, 0, out)
        ell = t0 + 1
        start[i] = ell
        s0[i] = g[ell, 0, i]
        s1[i] = g[ell, b_last, i]
        ls[i] = lx[ell, i]
        p_run[i] = 2.0
        t_first = min(t_first, ell)
    for i in range(nr, nv):
        start[i] = start[0]
        s0[i] = s0[0]
        s1[i] = s1[0]
        ls[i] = ls[0]
    for t in range(t_first, k - 1):  # interval t tests date d = t + 1
        d = t + 1
        for i in range(nv):  # vectorised over the pixels; the run goes on (changes: below)
            st = start[i]
            active = d > st
            j = float(max(d - st + 1, 2))  # images in the run, new one included
            # j ln j - (j-1) ln(j-1) computed, not looked up: a table lookup here is a gather,
            # which keeps this loop from vectorising (5x slower)
            cst_j = j * _ln(j) - (j - 1.0) * _ln(j - 1.0)
            a = g[d, 0, i]
            b = g[d, b_last, i]
            sa = s0[i] + a
            sb = s1[i] + b
            ls_new = _ln(sa * sb) if p == 2 else _ln(sa)
            ln_r = lx[d, i] + (j - 1.0) * ls[i] - j * ls_new + p * cst_j
            pv = _p_r(ln_r, j, p, n)
            # +1 / -1 per band brighter / darker than the run mean; with one band, b is a and
            # counts twice, so +2 / -2 mean "every band" for either band count
            up = (np.int8((j - 1.0) * a > s0[i]) - np.int8((j - 1.0) * a < s0[i])) + (
                np.int8((j - 1.0) * b > s1[i]) - np.int8((j - 1.0) * b < s1[i])
            )
            pv_t[i] = pv if active else -1.0
            dir_t[i] = np.int8(1) if up == 2 else (np.int8(-1) if up == -2 else np.int8(0))
            cand_t[i] = np.uint8(active & (pv < alpha))
            s0[i] = sa if active else s0[i]
            s1[i] = sb if active else s1[i]
            ls[i] = ls_new if active else ls[i]
        for i in range(nr):  # outputs and changes, pixel by pixel
            y, x = ys[i], xs[i]
            if pv_t[i] >= 0.0:
                out[0][t, y, x] = pv_t[i]
            if cand_t[i] != 0:
                if p_run[i] > 1.5:
                    p_run[i] = _suffix_q_pvalue(sx, sl, start[i], i, k, p, n)
                if p_run[i] < alpha:  # a change: the run restarts at d
                    count[i] = _mark_change(y, x, t, dir_t[i], count[i], out)
                    start[i] = d
                    s0[i] = g[d, 0, i]
                    s1[i] = g[d, b_last, i]
                    ls[i] = lx[d, i]
                    p_run[i] = 2.0
    for i in range(nr):
        out[6][ys[i], xs[i]] = count[i]


@njit(inline="always", cache=True)
def _suffix_q_pvalue(sx, sl, ell, i, k, p, n):  # type: ignore[no-untyped-def]  # pragma: no cover
    """``p(Q)`` of the run of pixel ``i`` from date ``ell`` to the last (1 for fewer than 2)."""
    kk = k - ell
    if kk < 2:
        return 1.0
    prod_s = sx[ell, 0, i] * sx[ell, p - 1, i] if p == 2 else sx[ell, 0, i]
    ln_q = p * kk * math.log(kk) + sl[ell, i] - kk * math.log(prod_s)
    return _q_pvalue(ln_q, kk, p, n)


@njit(cache=True)
def _row_step(ny):  # type: ignore[no-untyped-def]  # pragma: no cover
    """A step coprime with ``ny`` near ``0.618 ny``: ``i -> i * step % ny`` visits every row once,
    and any run of consecutive ``i`` lands on rows spread over the whole image."""
    step = max(int(0.6180339887 * ny), 1)
    while True:
        a, b = step, ny
        while b:
            a, b = b, a % b
        if a == 1:
            return step
        step += 1


def _kernel_py(stack, n, alpha, alpha32, out, bad_per_row):  # type: ignore[no-untyped-def]  # pragma: no cover
    """All pixels: the vectorised run-0 pass per row, then the exact procedure where needed.

    Pixels with a missing date redo everything on their valid dates, one by one; complete
    pixels with ``p(Q) < alpha`` and a rejection in run 0 (a change, or a fraction of about
    ``alpha`` of unchanged ones) keep run 0 up to that rejection and restart after it, together
    with the other such pixels of the task's rows (``_restart_pixels``, vectorised over them);
    the others are done after run 0. A task is ``_ROWS_PER_TASK`` rows: its scratch arrays are
    allocated once, and the restarts of its rows share SIMD vectors (fewer padded lanes).
    """
    k, p, ny, nx = stack.shape
    pq_out = out[3]
    cst = np.zeros(k + 1)  # j ln j - (j-1) ln(j-1), the constant of ln R_j / n per band
    for jj in range(2, k + 1):
        cst[jj] = jj * math.log(jj) - (jj - 1) * math.log(jj - 1)
    step = _row_step(ny)
    n_tasks = (ny + _ROWS_PER_TASK - 1) // _ROWS_PER_TASK
    for task in prange(n_tasks):
        s0 = np.empty(nx)
        s1 = np.empty(nx)
        ls = np.empty(nx)
        lnq = np.empty(nx)
        tmp = np.empty(nx)
        bad = np.empty(nx, np.uint8)
        hit = np.empty(nx, np.int32)
        vals = np.empty((k, p))
        idx = np.empty(k, np.int64)
        lr = np.empty(k + 1)
        dr = np.empty(k + 1, np.int8)
        sums = np.empty(p)
        ys = np.empty(_ROWS_PER_TASK * nx, np.int32)
        xs = np.empty(_ROWS_PER_TASK * nx, np.int32)
        t0s = np.empty(_ROWS_PER_TASK * nx, np.int32)
        nr = 0
        for i_row in range(task * _ROWS_PER_TASK, min((task + 1) * _ROWS_PER_TASK, ny)):
            # rows in a scattered order: a thread's share of the range is spread over the
            # image, so a block of change-heavy rows (a vehicle park) is shared by all threads
            y = (i_row * step) % ny
            _fast_row(stack, y, n, alpha32, s0, s1, ls, lnq, bad, hit, out[0])
            _row_q_pvalues(lnq, k, p, n, s0, s1, ls, tmp)  # lnq <- p(Q), s0 <- its h
            n_bad = 0
            for x in range(nx):
                if bad[x] != 0:
                    n_bad += _pixel_with_gaps(
                        stack, y, x, n, alpha, vals, idx, lr, dr, sums, cst, out
                    )
                    continue
                p_q = lnq[x] if s0[x] <= 650.0 else _q_pvalue(-s0[x] / (n * _rho_q(k, n)), k, p, n)
                pq_out[y, x] = p_q
                if p_q < alpha and hit[x] >= 0:
                    ys[nr] = y
                    xs[nr] = x
                    t0s[nr] = hit[x]
                    nr += 1
            bad_per_row[y] = n_bad
        for i0 in range(0, nr, _RESTART_LANES):  # groups small enough to stay in cache
            i1 = min(nr, i0 + _RESTART_LANES)
            _restart_pixels(stack, ys[i0:i1], xs[i0:i1], t0s[i0:i1], i1 - i0, n, alpha, out)


_kernel_parallel = njit(
    parallel=True, fastmath=_FASTMATH, error_model="numpy", nogil=True, cache=True
)(_kernel_py)


def _renamed(fn: Any, name: str) -> Any:
    """The same code as ``fn`` under another name.

    numba's disk cache keys a compiled function on the Python function's qualified name and
    line, not on ``parallel``: compiled from ``_kernel_py`` itself, a cached serial build would
    be loaded for the parallel dispatcher too (and the threads silently lost). Under its own
    name the serial build gets its own cache entry, so worker processes do not recompile it
    (~7 s) every time they start.
    """
    clone = types.FunctionType(fn.__code__, fn.__globals__, name, fn.__defaults__, fn.__closure__)
    clone.__qualname__ = name
    return clone


_kernel_serial = njit(
    parallel=False, fastmath=_FASTMATH, error_model="numpy", nogil=True, cache=True
)(_renamed(_kernel_py, "_kernel_py_serial"))


# --------------------------------------------------------------------------- public entry points


def _check_parameters(shape: tuple[int, ...], enl: float, alpha: float) -> None:
    if len(shape) != 4:
        raise InputError(f"stack must have dims (time, pol, y, x); got shape {shape}")
    k, p, ny, nx = shape
    if k < 2:
        raise InputError(f"stack needs at least 2 dates to test for change; got {k}")
    if p not in (1, 2):
        raise InputError(
            f"pol axis must hold 1 (single-pol) or 2 (diagonal dual-pol) bands; got {p}"
        )
    if ny < 1 or nx < 1:
        raise InputError(f"stack has an empty spatial grid: shape {shape}")
    if k - 1 > np.iinfo(np.int16).max:
        raise InputError(f"stack has too many dates ({k}); at most 32768 are supported")
    if not (math.isfinite(enl) and enl > 0):
        raise InputError(f"enl (equivalent number of looks) must be finite and > 0; got {enl}")
    if not (0.0 < alpha < 1.0):
        raise InputError(f"alpha (significance level) must lie in (0, 1); got {alpha}")


def _as_stack(stack: Any) -> np.ndarray:
    arr = np.asarray(stack)
    if arr.dtype.kind not in "fiu":
        raise InputError(f"stack must hold real intensities; got dtype {arr.dtype}")
    return np.ascontiguousarray(arr, dtype=np.float32)


def _ceil_f32(value: float) -> np.float32:
    """The smallest float32 >= ``value``: for float32 ``p``, ``p < _ceil_f32(a)`` iff ``p < a``."""
    up = np.float32(value)
    if float(up) < value:
        up = np.nextafter(up, np.float32(np.inf))
    return up


def _new_outputs(k: int, ny: int, nx: int) -> tuple[np.ndarray, ...]:
    """The kernel's output arrays in the state it starts from, in ``OmnibusResult`` order."""
    return (
        np.empty((k - 1, ny, nx), np.float32),  # every element written by the kernel
        np.zeros((k - 1, ny, nx), np.bool_),
        np.zeros((k - 1, ny, nx), np.int8),
        np.empty((ny, nx), np.float32),
        np.full((ny, nx), -1, np.int16),
        np.full((ny, nx), -1, np.int16),
        np.zeros((ny, nx), np.int16),
    )


def _run_kernel(arr: np.ndarray, enl: float, alpha: float, parallel: bool) -> tuple[Any, ...]:
    k, _, ny, nx = arr.shape
    out = _new_outputs(k, ny, nx)
    bad_per_row = np.zeros(ny, np.int64)
    kernel = _kernel_parallel if parallel else _kernel_serial
    kernel(arr, float(enl), float(alpha), _ceil_f32(alpha), out, bad_per_row)
    n_bad = int(bad_per_row.sum())
    if n_bad:
        raise InputError(
            f"stack holds {n_bad} negative or infinite intensities; expected linear power >= 0 "
            "(NaN or 0 for no data)"
        )
    return out


def _result(out: tuple[Any, ...], enl: float, alpha: float) -> OmnibusResult:
    p_values, changes, direction, p_omnibus, first, last, count = out
    return OmnibusResult(
        p_values=p_values,
        changes=changes,
        direction=direction,
        p_omnibus=p_omnibus,
        first=first,
        last=last,
        count=count,
        enl=float(enl),
        alpha=float(alpha),
    )


def sequential_omnibus(stack: Any, enl: float, alpha: float) -> OmnibusResult:
    """Run the sequential omnibus change test on a stack of linear intensities.

    ``stack``: array ``(time, pol, y, x)`` of linear power (sigma0 or gamma0, not dB), ``pol``
    of length 1 (single-pol) or 2 (two co-registered channels, e.g. VV and VH, taken as the
    diagonal of the covariance matrix); NaN or 0 = no data. ``enl``: equivalent number of looks
    of every image (> 0, need not be an integer). ``alpha``: significance level in (0, 1) of every
    test. See the module docstring for the statistics and the no-data rule. Runs on all cores
    (numba threads) when called from the main thread, single-threaded from other threads.

    Raises ``InputError`` for a wrong shape or dtype, ``enl <= 0``, ``alpha`` outside (0, 1),
    fewer than 2 dates, negative or infinite values, or a stack where no pixel has two valid
    dates (all NaN).
    """
    arr = _as_stack(stack)
    _check_parameters(arr.shape, enl, alpha)
    # Worker threads (dask, the engine) already run in parallel: nested thread pools would only
    # oversubscribe the cores, and numba's fallback threading layer cannot be entered twice.
    parallel = threading.current_thread() is threading.main_thread()
    out = _run_kernel(arr, enl, alpha, parallel=parallel)
    if not np.isfinite(out[3]).any():
        raise InputError("stack has no pixel with two valid dates (all NaN or zero?)")
    return _result(out, enl, alpha)


def enl_estimate(intensity: Any, window: int = 9) -> float:
    """Equivalent number of looks of a linear intensity image ``(y, x)`` from its homogeneous parts.

    The image is cut into non-overlapping ``window x window`` blocks (blocks with no-data are
    skipped). Each block's squared coefficient of variation ``cv2 = var / mean**2`` estimates
    ``1 / ENL`` where the block is pure speckle; texture and edges only raise it. Blocks whose
    ``cv2`` exceeds the median by more than 3 robust standard deviations (1.4826 MAD) are dropped
    as heterogeneous, and the estimate is ``1 / mean(cv2)`` over the rest. On pure Gamma speckle
    the bias is below 1 % at ENL >= 4 and about 3 % at ENL 1 with the default window of 9 (the
    trimming cuts a little of the homogeneous tail); a median of per-block ENL would be 2-4 %
    high. Raises ``InputError`` for a non-2-D input, a window < 3, negative values, or fewer than
    10 usable blocks.
    """
    img = np.asarray(intensity, dtype=np.float64)
    if img.ndim != 2:
        raise InputError(f"intensity must be a 2-D (y, x) image; got shape {img.shape}")
    if window < 3:
        raise InputError(f"window must be at least 3 pixels; got {window}")
    if np.any(img < 0):
        raise InputError("intensity holds negative values; expected linear power")
    ny, nx = (img.shape[0] // window) * window, (img.shape[1] // window) * window
    tiles = img[:ny, :nx].reshape(ny // window, window, nx // window, window)
    blocks = tiles.transpose(0, 2, 1, 3).reshape(-1, window * window)
    usable = np.all(np.isfinite(blocks) & (blocks > 0), axis=1)
    blocks = blocks[usable]
    if blocks.shape[0] < 10:
        raise InputError(
            f"only {blocks.shape[0]} complete {window}x{window} blocks without no-data; "
            "need at least 10 to estimate the ENL"
        )
    mean = blocks.mean(axis=1)
    cv2 = blocks.var(axis=1, ddof=1) / mean**2
    med = np.median(cv2)
    spread = 1.4826 * np.median(np.abs(cv2 - med))
    kept = cv2[cv2 <= med + 3.0 * spread]
    return float(1.0 / kept.mean())
