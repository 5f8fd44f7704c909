"""CFAR detection of bright point-like scatterers (vehicles, containers, aircraft) on sigma0.

Clutter model: multilook intensity with ``L = enl`` looks, ``Gamma(shape=L, scale=mu/L)``. Each
cell under test (CUT) ``X`` is compared with the ``N`` training cells of a square ring around it
(a guard square of half-width ``guard_px``, which holds the CUT and keeps a target's own pixels
out, inside a square of half-width ``guard_px + train_px``).

- Cell averaging (CA): detect when ``X > T * mean(training)``. With independent cells
  ``X / mean ~ F(2L, 2NL)`` (``L X / mu ~ Gamma(L)``, ``N L mean / mu ~ Gamma(N L)``), so the
  exact factor is ``T = F^{-1}_{2L, 2NL}(1 - pfa)``; for ``L = 1`` this is the textbook
  ``N (pfa^{-1/N} - 1)``, not otherwise.
- Order statistic (OS): detect when ``X > T * Z_(r)``, the ``r``-th smallest training cell
  (robust to other targets in the ring). ``pfa(T) = E[Q(L, T F^{-1}(U))]`` with
  ``U ~ Beta(r, N - r + 1)`` (``Q`` the regularised upper incomplete gamma, ``F`` the clutter
  CDF), solved for ``T`` once per ``(N, r, L, pfa)`` by quadrature and root finding.

No data (NaN) and pixels off the image are not training cells; CA tests a CUT when at least
``min_valid_fraction`` of its ring is valid, with the exact ``T`` for the cells it has; OS tests
only CUTs with a complete ring. Window sums use an integral image (no per-pixel Python).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
from scipy import ndimage, optimize, special, stats

from forcewatch.errors import InputError

__all__ = [
    "CfarResult",
    "SiteBrightStats",
    "cfar_detect",
    "ca_threshold_factor",
    "os_threshold_factor",
    "scene_bright_fraction",
    "site_bright_stats",
]

Method = Literal["ca", "os"]


@dataclass(frozen=True)
class CfarResult:
    """Detections on one image ``(y, x)``; targets are 8-connected groups of detected pixels.

    ``mask`` bool: detected pixels. ``tested`` bool: pixels that were tested (valid CUT with
    enough training cells) -- the denominator of any bright fraction. ``labels`` int32: target
    number per pixel, 0 for none. ``centroids_px`` float64 ``(n, 2)``: (row, col) of each
    target's pixels; ``areas_px`` int64 ``(n,)``; ``peak_sigma0`` float32 ``(n,)``: brightest
    linear sigma0 of each target. ``threshold_factor``: ``T`` for a complete training ring.
    """

    mask: np.ndarray
    tested: np.ndarray
    labels: np.ndarray
    centroids_px: np.ndarray
    areas_px: np.ndarray
    peak_sigma0: np.ndarray
    threshold_factor: float
    method: str
    pfa: float
    enl: float
    guard_px: int
    train_px: int

    @property
    def n_targets(self) -> int:
        """Number of targets (8-connected groups of detected pixels)."""
        return int(self.areas_px.shape[0])


@dataclass(frozen=True)
class SiteBrightStats:
    """Bright-scatterer statistics of one site in one scene.

    ``bright_fraction_residual`` is the site's bright fraction minus the reference's (the
    scene or the surroundings), so a scene-wide shift (rain, wet soil, frost) does not read as
    activity at the site. Fractions are NaN where no pixel was tested.
    """

    target_count: int
    bright_area_m2: float
    bright_fraction: float
    reference_bright_fraction: float
    bright_fraction_residual: float
    tested_px: int


def ca_threshold_factor(n_train: int | np.ndarray, enl: float, pfa: float) -> np.ndarray:
    """CA-CFAR factor ``T`` for ``n_train`` training cells of ``Gamma(enl)`` clutter (exact)."""
    n = np.asarray(n_train, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.asarray(stats.f.isf(pfa, 2.0 * enl, 2.0 * n * enl), dtype=np.float64)


def _os_quadrature(n_train: int, rank: int, enl: float) -> tuple[np.ndarray, np.ndarray]:
    """Nodes (clutter quantiles ``z``) and weights for ``E[g(Z_(rank))]`` (Gauss-Legendre in U)."""
    beta = stats.beta(rank, n_train - rank + 1)
    lo, hi = float(beta.ppf(1e-13)), float(beta.isf(1e-13))
    nodes, weights = np.polynomial.legendre.leggauss(256)
    u = lo + (hi - lo) * (nodes + 1.0) / 2.0
    z = special.gammaincinv(enl, u)  # in units of mu / L
    return z, weights * beta.pdf(u) * (hi - lo) / 2.0


@lru_cache(maxsize=256)
def os_threshold_factor(n_train: int, rank: int, enl: float, pfa: float) -> float:
    """OS-CFAR factor ``T`` (``X > T * Z_(rank)``) for ``Gamma(enl)`` clutter, by quadrature."""
    if not 1 <= rank <= n_train:
        raise InputError(f"OS rank must lie in 1..{n_train}; got {rank}")
    z, w = _os_quadrature(n_train, rank, enl)

    def gap(log_t: float) -> float:
        value = float(np.sum(w * special.gammaincc(enl, math.exp(log_t) * z)))
        return math.log(max(value, 1e-300)) - math.log(pfa)

    return float(math.exp(optimize.brentq(gap, math.log(1e-3), math.log(1e4), xtol=1e-10)))


def _box_sums(values: np.ndarray, half: int) -> np.ndarray:
    """Sum over the (2 half + 1)^2 square around each pixel; cells off the image count as 0."""
    width = 2 * half + 1
    padded = np.pad(np.asarray(values, np.float64), half)
    integral = np.zeros((padded.shape[0] + 1, padded.shape[1] + 1), np.float64)
    np.cumsum(np.cumsum(padded, axis=0), axis=1, out=integral[1:, 1:])
    return (
        integral[width:, width:]
        - integral[:-width, width:]
        - integral[width:, :-width]
        + integral[:-width, :-width]
    )


def _check_image(sigma0: np.ndarray) -> np.ndarray:
    img = np.asarray(sigma0)
    if img.ndim != 2 or img.size == 0:
        raise InputError(f"sigma0 must be a non-empty 2-D (y, x) image; got shape {img.shape}")
    if img.dtype.kind not in "fiu":
        raise InputError(f"sigma0 must hold real linear intensities; got dtype {img.dtype}")
    img = img.astype(np.float64, copy=False)
    if np.any(img < 0) or np.any(np.isinf(img)):
        raise InputError("sigma0 holds negative or infinite values; expected linear power (not dB)")
    if not np.isfinite(img).any():
        raise InputError("sigma0 has no valid pixel (all NaN)")
    return img


def cfar_detect(
    sigma0: np.ndarray,
    enl: float,
    pfa: float,
    guard_px: int = 2,
    train_px: int = 8,
    method: Method = "ca",
    *,
    min_valid_fraction: float = 0.75,
    os_rank_fraction: float = 0.75,
) -> CfarResult:
    """Detect bright scatterers in linear sigma0 ``(y, x)`` (NaN = no data) at false-alarm ``pfa``.

    ``enl``: equivalent number of looks of the clutter. ``guard_px``/``train_px``: half-width of
    the guard square and width of the training ring, in pixels. ``method``: ``"ca"`` or ``"os"``
    (rank ``ceil(os_rank_fraction * N)``). Raises ``InputError`` for a non-2-D, negative, dB-like
    or all-NaN image, ``enl <= 0``, ``pfa`` outside (0, 1), or bad window sizes.
    """
    img = _check_image(sigma0)
    if not (math.isfinite(enl) and enl > 0):
        raise InputError(f"enl must be finite and > 0; got {enl}")
    if not 0.0 < pfa < 1.0:
        raise InputError(f"pfa (false-alarm probability) must lie in (0, 1); got {pfa}")
    if guard_px < 0 or train_px < 1:
        raise InputError(f"need guard_px >= 0 and train_px >= 1; got {guard_px}, {train_px}")
    if method not in ("ca", "os"):
        raise InputError(f"method must be 'ca' or 'os'; got {method!r}")
    outer = guard_px + train_px
    n_full = (2 * outer + 1) ** 2 - (2 * guard_px + 1) ** 2
    valid = np.isfinite(img)
    filled = np.where(valid, img, 0.0)
    count = _box_sums(valid.astype(np.float64), outer) - _box_sums(valid, guard_px)
    count = np.rint(count).astype(np.int64)
    if method == "ca":
        if not 0.0 < min_valid_fraction <= 1.0:
            raise InputError(f"min_valid_fraction must lie in (0, 1]; got {min_valid_fraction}")
        tested = valid & (count >= max(1, math.ceil(min_valid_fraction * n_full)))
        ring_sum = _box_sums(filled, outer) - _box_sums(filled, guard_px)
        factors = ca_threshold_factor(np.arange(n_full + 1), enl, pfa)
        with np.errstate(invalid="ignore", divide="ignore"):
            level = factors[count] * ring_sum / count
        threshold_factor = float(factors[n_full])
    else:
        if not 0.0 < os_rank_fraction <= 1.0:
            raise InputError(f"os_rank_fraction must lie in (0, 1]; got {os_rank_fraction}")
        rank = max(1, math.ceil(os_rank_fraction * n_full))
        footprint = np.ones((2 * outer + 1,) * 2, bool)
        footprint[train_px:-train_px, train_px:-train_px] = False
        tested = valid & (count == n_full)
        order_stat = ndimage.rank_filter(filled, rank - 1, footprint=footprint, mode="nearest")
        threshold_factor = os_threshold_factor(n_full, rank, float(enl), float(pfa))
        level = threshold_factor * order_stat
    with np.errstate(invalid="ignore"):
        mask = tested & (filled > level)
    return _targets(mask, tested, img, threshold_factor, method, pfa, enl, guard_px, train_px)


def _targets(
    mask: np.ndarray,
    tested: np.ndarray,
    img: np.ndarray,
    threshold_factor: float,
    method: str,
    pfa: float,
    enl: float,
    guard_px: int,
    train_px: int,
) -> CfarResult:
    labels, n = ndimage.label(mask, structure=np.ones((3, 3), bool))
    index = np.arange(1, n + 1)
    if n:
        centroids = np.asarray(ndimage.center_of_mass(mask, labels, index), np.float64)
        peaks = np.asarray(ndimage.maximum(img, labels, index), np.float32)
    else:
        centroids, peaks = np.empty((0, 2), np.float64), np.empty(0, np.float32)
    areas = np.bincount(labels.ravel(), minlength=n + 1)[1:].astype(np.int64)
    return CfarResult(
        mask=mask,
        tested=tested,
        labels=labels.astype(np.int32),
        centroids_px=centroids.reshape(n, 2),
        areas_px=areas,
        peak_sigma0=peaks,
        threshold_factor=threshold_factor,
        method=method,
        pfa=float(pfa),
        enl=float(enl),
        guard_px=int(guard_px),
        train_px=int(train_px),
    )


def _grid_mask(mask: np.ndarray, shape: tuple[int, ...], what: str) -> np.ndarray:
    region = np.asarray(mask)
    if region.shape != shape:
        raise InputError(
            f"{what} grid {region.shape} does not match the detection grid {shape}; "
            "clip both to the same grid"
        )
    return region.astype(bool, copy=False)


def scene_bright_fraction(detection: CfarResult, region_mask: np.ndarray | None = None) -> float:
    """Fraction of tested pixels detected, over ``region_mask`` (default: the whole image)."""
    tested = detection.tested
    if region_mask is not None:
        tested = tested & _grid_mask(region_mask, detection.mask.shape, "region_mask")
    n = int(tested.sum())
    return float(np.count_nonzero(detection.mask & tested) / n) if n else math.nan


def site_bright_stats(
    detection: CfarResult,
    site_mask: np.ndarray,
    *,
    pixel_area_m2: float,
    reference_mask: np.ndarray | None = None,
    reference_bright_fraction: float | None = None,
) -> SiteBrightStats:
    """Target count, bright area and bright fraction of a site, and its residual vs a reference.

    ``site_mask`` bool ``(y, x)`` on the detection grid. The reference is, in order of
    precedence: ``reference_bright_fraction`` (e.g. a scene-wide value from
    ``scene_bright_fraction``), ``reference_mask`` (e.g. a ring around the site), or every
    tested pixel outside the site. A target counts for the site when its centroid falls in it.
    Raises ``InputError`` for mismatched grids or a non-positive pixel area.
    """
    if not (math.isfinite(pixel_area_m2) and pixel_area_m2 > 0):
        raise InputError(f"pixel_area_m2 must be > 0; got {pixel_area_m2}")
    shape = detection.mask.shape
    site = _grid_mask(site_mask, shape, "site_mask")
    in_site = detection.tested & site
    tested_px = int(in_site.sum())
    bright_px = int(np.count_nonzero(detection.mask & site))
    fraction = bright_px / tested_px if tested_px else math.nan
    if reference_bright_fraction is not None:
        reference = float(reference_bright_fraction)
    else:
        ref = ~site if reference_mask is None else _grid_mask(reference_mask, shape, "reference")
        reference = scene_bright_fraction(detection, ref)
    rows = np.clip(np.rint(detection.centroids_px[:, 0]).astype(np.int64), 0, shape[0] - 1)
    cols = np.clip(np.rint(detection.centroids_px[:, 1]).astype(np.int64), 0, shape[1] - 1)
    return SiteBrightStats(
        target_count=int(np.count_nonzero(site[rows, cols])),
        bright_area_m2=bright_px * float(pixel_area_m2),
        bright_fraction=fraction,
        reference_bright_fraction=reference,
        bright_fraction_residual=fraction - reference,
        tested_px=tested_px,
    )
