"""Optical change detection kernels: IR-MAD, change vector analysis, masks and scores.

Pure functions over arrays; no I/O. Images are ``(band, y, x)`` arrays; masks are ``(y, x)``
booleans. ``valid`` marks pixels that carry a measurement in *both* images: everything else is
blind (cloud, shadow, nodata, ...) and is NaN in float outputs, ``False`` in ``change`` and never
counted as "no change". Always read ``change`` together with ``valid``.

IR-MAD follows A. A. Nielsen, "The regularized iteratively reweighted MAD method for change
detection in multi- and hyperspectral data", IEEE Trans. Image Processing 16(2), 2007: the MAD
variates are differences of canonical variates of the two images, so any per-band (indeed any
invertible linear) radiometric transform of either image leaves them unchanged; iterations
reweight each pixel by its probability of no change so the no-change background, not the change,
fixes the canonical correlations.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy import linalg, ndimage, stats

from forcewatch.errors import InputError

__all__ = [
    "BinaryScores",
    "CvaResult",
    "IrmadResult",
    "RgbChangeParams",
    "RgbChangeResult",
    "SiteChange",
    "binary_scores",
    "clean_mask",
    "cva",
    "irmad",
    "mask_from_labels",
    "otsu_threshold",
    "pooled_scores",
    "rgb_change_mask",
    "rgb_features",
    "site_change",
]


def _pair(
    before: np.ndarray, after: np.ndarray, valid: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Check a ``(band, y, x)`` pair; return float64 copies and the joint valid mask."""
    before = np.asarray(before)
    after = np.asarray(after)
    if before.ndim != 3 or after.ndim != 3:
        raise InputError(
            f"images must be (band, y, x) arrays, got shapes {before.shape} and {after.shape}"
        )
    if before.shape != after.shape:
        raise InputError(
            f"before {before.shape} and after {after.shape} differ in band count or size; "
            "co-register and select the same bands first"
        )
    if before.shape[0] < 1 or before.shape[1] * before.shape[2] == 0:
        raise InputError(f"images are empty: shape {before.shape}")
    x = before.astype(np.float64)
    y = after.astype(np.float64)
    ok = np.isfinite(x).all(axis=0) & np.isfinite(y).all(axis=0)
    if valid is not None:
        valid = np.asarray(valid)
        if valid.shape != ok.shape:
            raise InputError(f"valid mask {valid.shape} does not match image size {ok.shape}")
        ok &= valid.astype(bool)
    return x, y, ok


# --------------------------------------------------------------------------------------- IR-MAD


@dataclass(frozen=True)
class IrmadResult:
    """IR-MAD output on the input grid.

    ``mad``: ``(band, y, x)`` MAD variates, MAD1 the least correlated (largest variance);
    ``chi2``: ``(y, x)`` sum of squared standardized MAD variates (chi-square, ``n_bands`` dof
    under no change); ``p_nochange``: ``(y, x)`` chi-square survival probability, the final IR-MAD
    weight; ``change``: ``(y, x)`` chi2 above the ``1 - alpha`` quantile, ``False`` where blind;
    ``valid``: pixels that got a verdict. Float outputs are NaN where not ``valid``.
    ``rho``: canonical correlations, ascending. ``blind``: too few valid pixels for any verdict.
    """

    mad: np.ndarray
    chi2: np.ndarray
    p_nochange: np.ndarray
    change: np.ndarray
    valid: np.ndarray
    rho: np.ndarray
    alpha: float
    chi2_threshold: float
    n_iter: int
    converged: bool
    blind: bool

    @property
    def n_valid(self) -> int:
        return int(self.valid.sum())

    @property
    def change_frac(self) -> float:
        """Fraction of valid pixels flagged changed; NaN when blind."""
        n = self.n_valid
        return float(self.change.sum() / n) if n else math.nan


def _blind_irmad(shape: tuple[int, int, int], alpha: float) -> IrmadResult:
    n, ny, nx = shape
    return IrmadResult(
        mad=np.full(shape, np.nan, np.float32),
        chi2=np.full((ny, nx), np.nan, np.float32),
        p_nochange=np.full((ny, nx), np.nan, np.float32),
        change=np.zeros((ny, nx), bool),
        valid=np.zeros((ny, nx), bool),
        rho=np.full(n, np.nan),
        alpha=alpha,
        chi2_threshold=float(stats.chi2.isf(alpha, n)),
        n_iter=0,
        converged=False,
        blind=True,
    )


def _canonical(cov: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Canonical correlations (ascending) and vectors A, B (columns) from the joint covariance.

    Solves S12 S22^-1 S21 a = rho^2 S11 a and S21 S11^-1 S12 b = rho^2 S22 b; scipy normalises
    a'S11a = b'S22b = 1. Signs: b so that a'S12b >= 0; both so each U correlates positively
    with the sum of its image's bands (Nielsen's convention, for readable MAD variates).
    """
    s11, s22, s12 = cov[:n, :n], cov[n:, n:], cov[:n, n:]
    rho2_a, a = linalg.eigh(s12 @ linalg.solve(s22, s12.T, assume_a="pos"), s11)
    _, b = linalg.eigh(s12.T @ linalg.solve(s11, s12, assume_a="pos"), s22)
    b = b * np.where(np.einsum("ij,ik,kj->j", a, s12, b) < 0, -1.0, 1.0)
    flip = np.where((s11 @ a).sum(axis=0) < 0, -1.0, 1.0)
    rho = np.sqrt(np.clip(rho2_a, 0.0, 1.0))
    return rho, a * flip, b * flip


def irmad(
    before: np.ndarray,
    after: np.ndarray,
    valid: np.ndarray | None = None,
    *,
    alpha: float = 0.01,
    max_iter: int = 100,
    tol: float = 1e-5,
    min_valid_px: int | None = None,
) -> IrmadResult:
    """Iteratively reweighted MAD between two co-registered ``(band, y, x)`` images.

    ``valid`` (``(y, x)`` bool, optional) is joined with finiteness of every band of both
    images; only those pixels enter the statistics. Iterates until the canonical correlations
    move less than ``tol`` (absolute) or ``max_iter``. ``alpha`` is the per-pixel false-alarm
    probability of the change mask under no change and Gaussian noise. Fewer than
    ``min_valid_px`` valid pixels (default ``max(50, 10 * 2 * bands)``) gives a blind result,
    not an error. Raises InputError for mismatched shapes, a bad ``alpha`` or a band that is
    constant over the valid pixels (no canonical correlation exists).
    """
    if not 0.0 < alpha < 1.0:
        raise InputError(f"alpha must be in (0, 1), got {alpha}")
    x, y, ok = _pair(before, after, valid)
    n = x.shape[0]
    need = max(50, 20 * n) if min_valid_px is None else min_valid_px
    if int(ok.sum()) < max(need, 2 * n + 1):
        return _blind_irmad(x.shape, alpha)
    z = np.concatenate([x[:, ok], y[:, ok]]).T  # (pixels, 2n)
    spread = z.std(axis=0)
    if np.any(spread <= 1e-12 * np.maximum(np.abs(z).max(axis=0), 1.0)):
        bad = int(np.argmax(spread <= 1e-12 * np.maximum(np.abs(z).max(axis=0), 1.0)))
        which = "before" if bad < n else "after"
        raise InputError(
            f"band {bad % n + 1} of the {which} image is constant over the valid pixels; "
            "IR-MAD needs variation in every band (drop that band)"
        )
    w = np.ones(z.shape[0])
    rho_old = np.full(n, -1.0)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        mean = w @ z / w.sum()
        zc = z - mean
        cov = (zc * w[:, None]).T @ zc / w.sum()
        rho, a, b = _canonical(cov, n)
        mad = zc[:, :n] @ a - zc[:, n:] @ b
        var = np.maximum(2.0 * (1.0 - rho), 1e-12)
        chi2 = (mad**2 / var).sum(axis=1)
        w = stats.chi2.sf(chi2, n)
        if np.max(np.abs(rho - rho_old)) < tol:
            converged = True
            break
        rho_old = rho
    threshold = float(stats.chi2.isf(alpha, n))
    ny, nx = ok.shape
    mad_img = np.full((n, ny, nx), np.nan, np.float32)
    mad_img[:, ok] = mad.T
    chi2_img = np.full((ny, nx), np.nan, np.float32)
    chi2_img[ok] = chi2
    p_img = np.full((ny, nx), np.nan, np.float32)
    p_img[ok] = w
    change = np.zeros((ny, nx), bool)
    change[ok] = chi2 > threshold
    return IrmadResult(
        mad=mad_img,
        chi2=chi2_img,
        p_nochange=p_img,
        change=change,
        valid=ok,
        rho=rho,
        alpha=alpha,
        chi2_threshold=threshold,
        n_iter=it,
        converged=converged,
        blind=False,
    )


# ---------------------------------------------------------------------- change vector analysis


def otsu_threshold(values: np.ndarray, bins: int = 256) -> float:
    """Otsu's threshold of the finite ``values`` (maximises between-class variance).

    Returns NaN when there are no finite values; the single value when all are equal.
    """
    v = np.asarray(values, np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return math.nan
    lo, hi = float(v.min()), float(v.max())
    if hi <= lo:
        return lo
    counts, edges = np.histogram(v, bins=bins, range=(lo, hi))
    centres = 0.5 * (edges[:-1] + edges[1:])
    w0 = np.cumsum(counts)
    w1 = w0[-1] - w0
    m0 = np.cumsum(counts * centres)
    mu0 = m0 / np.maximum(w0, 1)
    mu1 = (m0[-1] - m0) / np.maximum(w1, 1)
    between = w0 * w1 * (mu0 - mu1) ** 2
    return float(edges[int(np.argmax(between[:-1])) + 1])


@dataclass(frozen=True)
class CvaResult:
    """Change vector analysis: ``magnitude`` ``(y, x)`` (NaN where not valid), its Otsu
    ``threshold``, ``change`` (magnitude above threshold, ``False`` where blind), ``valid``."""

    magnitude: np.ndarray
    threshold: float
    change: np.ndarray
    valid: np.ndarray
    blind: bool


def _standardize(img: np.ndarray, ok: np.ndarray) -> np.ndarray:
    vals = img[:, ok]
    mean = vals.mean(axis=1)
    sd = vals.std(axis=1)
    sd[sd == 0] = 1.0
    return (img - mean[:, None, None]) / sd[:, None, None]


def cva(
    before: np.ndarray,
    after: np.ndarray,
    valid: np.ndarray | None = None,
    *,
    standardize: bool = True,
    threshold: float | None = None,
) -> CvaResult:
    """Magnitude of the per-pixel spectral difference vector, thresholded by Otsu.

    ``standardize`` z-scores each band of each image over the valid pixels first (a crude
    radiometric normalisation: it removes per-band gain and offset when change is rare).
    ``threshold`` overrides Otsu. No valid pixel gives a blind result.
    """
    x, y, ok = _pair(before, after, valid)
    ny, nx = ok.shape
    if not ok.any():
        return CvaResult(
            np.full((ny, nx), np.nan, np.float32), math.nan, np.zeros((ny, nx), bool), ok, True
        )
    if standardize:
        x, y = _standardize(x, ok), _standardize(y, ok)
    mag = np.sqrt(((y - x) ** 2).sum(axis=0))
    mag[~ok] = np.nan
    thr = otsu_threshold(mag[ok]) if threshold is None else float(threshold)
    change = ok & (np.nan_to_num(mag, nan=-np.inf) > thr)
    return CvaResult(mag.astype(np.float32), thr, change, ok, False)


# ------------------------------------------------------------------------------ per-site area


@dataclass(frozen=True)
class SiteChange:
    """Change inside one site polygon.

    ``valid_frac``: valid site pixels / site pixels; ``changed_area_m2``: area of valid site
    pixels flagged changed; ``changed_frac``: changed / valid site pixels. ``blind`` when the
    valid fraction is below the caller's minimum: then both change figures are NaN (unknown,
    not zero).
    """

    n_site_px: int
    n_valid_px: int
    n_changed_px: int
    valid_frac: float
    changed_area_m2: float
    changed_frac: float
    blind: bool


def site_change(
    change: np.ndarray,
    valid: np.ndarray,
    site: np.ndarray,
    pixel_area_m2: float,
    *,
    min_valid_frac: float = 0.0,
) -> SiteChange:
    """Changed area and fraction of a site from ``(y, x)`` boolean ``change``/``valid``/``site``.

    ``pixel_area_m2`` is the ground area of one pixel (100 for Sentinel-2 10 m bands). The site
    is blind when it has no valid pixel or its valid fraction is below ``min_valid_frac``.
    """
    change, valid, site = (np.asarray(a, bool) for a in (change, valid, site))
    if not change.shape == valid.shape == site.shape:
        raise InputError(
            f"change {change.shape}, valid {valid.shape} and site {site.shape} masks differ in size"
        )
    if not pixel_area_m2 > 0:
        raise InputError(f"pixel_area_m2 must be positive, got {pixel_area_m2}")
    n_site = int(site.sum())
    if n_site == 0:
        raise InputError("the site mask is empty on this grid (site outside the image?)")
    n_valid = int((valid & site).sum())
    n_changed = int((change & valid & site).sum())
    valid_frac = n_valid / n_site
    blind = n_valid == 0 or valid_frac < min_valid_frac
    return SiteChange(
        n_site_px=n_site,
        n_valid_px=n_valid,
        n_changed_px=n_changed,
        valid_frac=valid_frac,
        changed_area_m2=math.nan if blind else n_changed * pixel_area_m2,
        changed_frac=math.nan if blind else n_changed / n_valid,
        blind=blind,
    )


# ------------------------------------------------------------------------------ binary scores


def mask_from_labels(labels: np.ndarray) -> np.ndarray:
    """Boolean change mask from a label image coded {0, 1}, {0, 255} or bool (``(y, x)``).

    Raises InputError for other codes (e.g. an RGB or a grey-scale probability image).
    """
    arr = np.asarray(labels)
    if arr.dtype == bool:
        return arr
    if arr.ndim != 2:
        raise InputError(f"a change mask must be 2-D (y, x), got shape {arr.shape}")
    codes = np.unique(arr)
    if not (set(codes.tolist()) <= {0, 1} or set(codes.tolist()) <= {0, 255}):
        raise InputError(
            f"change mask codes {codes[:5].tolist()} are not {{0, 1}} or {{0, 255}}; "
            "threshold a probability image first"
        )
    return arr > 0


@dataclass(frozen=True)
class BinaryScores:
    """Confusion counts and the scores of a binary change mask against a reference.

    Ratios with a zero denominator are NaN (e.g. recall when the reference has no change).
    """

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        d = self.tp + self.fp
        return self.tp / d if d else math.nan

    @property
    def recall(self) -> float:
        d = self.tp + self.fn
        return self.tp / d if d else math.nan

    @property
    def f1(self) -> float:
        d = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / d if d else math.nan

    @property
    def iou(self) -> float:
        d = self.tp + self.fp + self.fn
        return self.tp / d if d else math.nan

    @property
    def accuracy(self) -> float:
        d = self.tp + self.fp + self.fn + self.tn
        return (self.tp + self.tn) / d if d else math.nan


def binary_scores(
    pred: np.ndarray, truth: np.ndarray, valid: np.ndarray | None = None
) -> BinaryScores:
    """Confusion counts of boolean ``pred`` against boolean ``truth`` over ``valid`` pixels.

    Both masks are ``(y, x)``; use ``mask_from_labels`` for 0/255 images first.
    """
    p = np.asarray(pred)
    t = np.asarray(truth)
    if p.shape != t.shape:
        raise InputError(f"prediction {p.shape} and reference {t.shape} differ in size")
    if p.dtype != bool or t.dtype != bool:
        raise InputError("binary_scores needs boolean masks; convert with mask_from_labels")
    if valid is not None:
        v = np.asarray(valid, bool)
        if v.shape != p.shape:
            raise InputError(f"valid mask {v.shape} does not match masks {p.shape}")
        p, t = p[v], t[v]
    tp = int(np.count_nonzero(p & t))
    fp = int(np.count_nonzero(p & ~t))
    fn = int(np.count_nonzero(~p & t))
    return BinaryScores(tp=tp, fp=fp, fn=fn, tn=int(p.size) - tp - fp - fn)


def pooled_scores(scores: Iterable[BinaryScores]) -> BinaryScores:
    """Scores of summed confusion counts (how change-detection benchmarks report F1)."""
    tp = fp = fn = tn = 0
    for s in scores:
        tp, fp, fn, tn = tp + s.tp, fp + s.fp, fn + s.fn, tn + s.tn
    return BinaryScores(tp=tp, fp=fp, fn=fn, tn=tn)
