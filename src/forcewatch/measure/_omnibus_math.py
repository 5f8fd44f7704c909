"""Scalar numeric primitives of the omnibus kernel, compiled with numba.

Bit-level reinterpretation intrinsics, branch-free ``ln``/``exp``/``erfc`` that let the kernel's
loops vectorise, and the Box-corrected chi-square tails of ``R_j`` and ``Q`` (see
``forcewatch.measure.omnibus`` for the statistics). Everything here is inlined into or called
from the kernel in ``omnibus.py``.

numba's on-disk cache (``cache=True``) keys a function on its own source file only: after editing
this module, clear ``__pycache__`` (or touch ``omnibus.py``) so the cached kernel is rebuilt with
the new primitives.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

# fastmath=True minus nnan/ninf: NaN marks no-data and must survive comparisons.
_FASTMATH = {"nsz", "arcp", "contract", "afn", "reassoc"}
_LN2 = 0.6931471805599453
_SQRT_HALF_BITS = 0x3FE6A09E667F3BCD  # the bits of sqrt(1/2) as a float64
_TWO_OVER_SQRT_PI = 1.1283791670955126


def _f64_bits_typer(typingctx: Any, x: Any) -> Any:
    """Reinterpret a float64's bits as int64 (a no-op in machine code)."""

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


def _bits_f64_typer(typingctx: Any, x: Any) -> Any:
    """Reinterpret int64 bits as a float64."""

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


def _bits_f32_typer(typingctx: Any, x: Any) -> Any:
    """Reinterpret int32 bits as a float32."""

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        return builder.bitcast(args[0], ir.FloatType())

    return types.float32(types.int32), codegen


_f64_bits: Any = intrinsic(_f64_bits_typer)
_bits_f64: Any = intrinsic(_bits_f64_typer)
_bits_f32: Any = intrinsic(_bits_f32_typer)


@njit(inline="always", fastmath=_FASTMATH, error_model="numpy", cache=True)
def _ln(x: float) -> float:  # pragma: no cover - compiled
    """Natural log of a positive normal float64, branch-free so loops vectorise.

    ``x = 2**e m`` with ``m`` in [sqrt(1/2), sqrt(2)), ``ln m = 2 atanh(s)``,
    ``s = (m - 1) / (m + 1)``, ``|s| <= 0.172``: the series to ``s**11`` leaves an absolute error
    below 2e-11, far under what float32 p-values can show.

    ``e`` and ``m`` come from integer arithmetic on the bits: subtracting the bits of sqrt(1/2)
    moves the mantissa's wrap-around point from 1 to sqrt(2), so the exponent field is already
    ``e`` and adding those bits back to the mantissa field gives ``m`` (no compare, no blend).
    """
    ix = _f64_bits(x) - _SQRT_HALF_BITS
    e = ix >> 52  # arithmetic shift: ix < 0 exactly when e < 0
    m = _bits_f64((ix & 0x000FFFFFFFFFFFFF) + _SQRT_HALF_BITS)
    s = (m - 1.0) / (m + 1.0)
    s2 = s * s
    q = 1.0 / 11.0
    q = q * s2 + 1.0 / 9.0
    q = q * s2 + 1.0 / 7.0
    q = q * s2 + 1.0 / 5.0
    q = q * s2 + 1.0 / 3.0
    q = q * s2 + 1.0
    return e * _LN2 + 2.0 * s * q


@njit(inline="always", fastmath=_FASTMATH, error_model="numpy", cache=True)
def _exp(y: float) -> float:  # pragma: no cover - compiled
    """exp(y) for y <= ~700, branch-free (relative error < 1e-8); floored at exp(-700)."""
    y = max(y, -700.0)
    kf = np.floor(y * 1.4426950408889634 + 0.5)
    f = y - kf * _LN2
    q = 1.0 / 5040.0
    q = q * f + 1.0 / 720.0
    q = q * f + 1.0 / 120.0
    q = q * f + 1.0 / 24.0
    q = q * f + 1.0 / 6.0
    q = q * f + 0.5
    q = q * f + 1.0
    q = q * f + 1.0
    return q * _bits_f64((np.int64(kf) + 1023) << 52)


@njit(inline="always", fastmath=_FASTMATH, error_model="numpy", cache=True)
def _exp32_pvalue(h: Any, omega2: Any) -> Any:  # pragma: no cover - compiled
    """Dual-pol ``p(R_j) = exp(-h) (1 + omega2 (h + h^2 / 2))`` in float32, clipped to [0, 1].

    float32 lanes are twice as many as float64 ones; ``h`` in float32 costs at most ``h * 6e-8``
    relative (5e-6 at p = 1e-38, where float32 ends).
    """
    y = max(-h, np.float32(-87.0))
    kf = np.floor(y * np.float32(1.4426950408889634) + np.float32(0.5))
    f = y - kf * np.float32(_LN2)
    q = np.float32(1.0 / 5040.0)
    q = q * f + np.float32(1.0 / 720.0)
    q = q * f + np.float32(1.0 / 120.0)
    q = q * f + np.float32(1.0 / 24.0)
    q = q * f + np.float32(1.0 / 6.0)
    q = q * f + np.float32(0.5)
    q = q * f + np.float32(1.0)
    q = q * f + np.float32(1.0)
    e = q * _bits_f32((np.int32(kf) + 127) << 23)
    pv = e * (np.float32(1.0) + omega2 * (h + np.float32(0.5) * h * h))
    pv = pv if h < np.float32(87.0) else np.float32(0.0)
    return min(max(pv, np.float32(0.0)), np.float32(1.0))


@njit(inline="always", fastmath=_FASTMATH, error_model="numpy", cache=True)
def _erfc(x: float) -> float:  # pragma: no cover - compiled
    """erfc(x) for x >= 0, Numerical Recipes' Chebyshev fit (relative error < 1.2e-7)."""
    t = 1.0 / (1.0 + 0.5 * x)
    q = 0.17087277
    q = q * t - 0.82215223
    q = q * t + 1.48851587
    q = q * t - 1.13520398
    q = q * t + 0.27886807
    q = q * t - 0.18628806
    q = q * t + 0.09678418
    q = q * t + 0.37409196
    q = q * t + 1.00002368
    return t * _exp(-x * x - 1.26551223 + t * q)


@njit(cache=True)
def _sf_corrected(z: float, f: int, omega2: float) -> float:  # pragma: no cover - compiled
    """``P(chi2_f > z) + omega2 [P(chi2_{f+4} > z) - P(chi2_f > z)]``, clipped to [0, 1]."""
    # Terms T_i = exp(-h) h^a / Gamma(a + 1) with a = i (even f) or i + 1/2 (odd f), by
    # recursion T_i = T_{i-1} h / a; started in log space when exp(-h) would underflow.
    h = 0.5 * max(z, 0.0)
    odd = f % 2 == 1
    a0 = 0.5 if odd else 0.0
    m = f // 2  # terms of the chi2_f tail besides erfc (odd f); chi2_{f+4} has two more
    sf = math.erfc(math.sqrt(h)) if odd else 0.0
    if h == 0.0:
        term = 0.0 if odd else 1.0
    elif h < 700.0:
        term = math.exp(-h) * (_TWO_OVER_SQRT_PI * math.sqrt(h) if odd else 1.0)
    else:
        term = math.exp(-h + a0 * math.log(h) - math.lgamma(a0 + 1.0))
    extra = 0.0
    for i in range(m + 2):
        if i < m:
            sf += term
        else:
            extra += term
        term *= h / (a0 + i + 1.0)
    return min(max(sf + omega2 * extra, 0.0), 1.0)


@njit(inline="always", cache=True)
def _rho_r(j: float, n: float) -> float:  # pragma: no cover - compiled
    return 1.0 - (1.0 + 1.0 / (j * (j - 1.0))) / (6.0 * n)


@njit(inline="always", cache=True)
def _rho_q(k: float, n: float) -> float:  # pragma: no cover - compiled
    return 1.0 - (k - 1.0 / k) / (6.0 * (k - 1.0) * n)


@njit(cache=True)
def _q_pvalue(ln_q: float, k: int, p: int, n: float) -> float:  # pragma: no cover - compiled
    """p-value of the omnibus Q over ``k`` images from ``ln Q / n``."""
    rho = _rho_q(float(k), n)
    f = p * (k - 1)
    omega2 = -0.25 * f * (1.0 - 1.0 / rho) ** 2
    return _sf_corrected(-2.0 * n * rho * ln_q, f, omega2)


@njit(inline="always", fastmath=_FASTMATH, error_model="numpy", cache=True)
def _p_r(ln_r: float, j: float, p: int, n: float) -> float:  # pragma: no cover - compiled
    """p-value of ``R_j`` from ``ln R_j / n`` (same arithmetic as the vectorised pass)."""
    rho = _rho_r(j, n)
    omega2 = -0.25 * p * (1.0 - 1.0 / rho) ** 2
    h = max(-n * rho * ln_r, 0.0)
    if p == 2:
        return float(_exp32_pvalue(np.float32(h), np.float32(omega2)))
    rh = np.sqrt(h)
    pv = _erfc(rh) + omega2 * _exp(-h) * _TWO_OVER_SQRT_PI * rh * (1.0 + h / 1.5)
    return min(max(pv, 0.0), 1.0)
