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
from typing import Literal

import numpy as np
from scipy import integrate, linalg, ndimage, special, stats

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
    "fuse_components",
    "irmad",
    "mask_from_labels",
    "otsu_threshold",
    "pooled_scores",
    "rgb_change_mask",
    "rgb_components",
    "site_change",
    "weight_consistency",
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
    ok = np.asarray(np.isfinite(x).all(axis=0) & np.isfinite(y).all(axis=0), dtype=bool)
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


def weight_consistency(n_bands: int) -> float:
    """Shrink factor of the p-value-weighted variance of no-change MAD variates.

    With weights ``w = P(chi2_N > Z)`` the weighted mean of ``Z / N`` over a true chi-square
    ``Z`` (N dof) is ``r = E[Z w(Z)] / (N E[w(Z)])`` < 1 (0.5 for N=2, 0.625 for N=4): the
    weights down-weight the no-change tail too, so the weighted MAD variances are ``r`` times
    too small at IR-MAD's fixed point. Dividing them by ``r`` makes the standardized variates
    unit-variance under no change (Gaussian noise), so the chi-square test holds its ``alpha``.
    """
    pdf = stats.chi2(n_bands)
    num = integrate.quad(lambda z: z * pdf.sf(z) * pdf.pdf(z), 0.0, np.inf)[0]
    return float(num / (0.5 * n_bands))


def irmad(
    before: np.ndarray,
    after: np.ndarray,
    valid: np.ndarray | None = None,
    *,
    alpha: float = 0.01,
    max_iter: int = 100,
    tol: float = 1e-4,
    min_valid_px: int | None = None,
    consistency: bool = True,
) -> IrmadResult:
    """Iteratively reweighted MAD between two co-registered ``(band, y, x)`` images.

    ``valid`` (``(y, x)`` bool, optional) is joined with finiteness of every band of both
    images; only those pixels enter the statistics. Each iteration takes the weighted
    covariance (weights = the previous iteration's P(no change)), the canonical correlations
    ``rho``, MAD variates, their chi-square and new weights; it stops when ``rho`` moves less
    than ``tol`` (absolute) or after ``max_iter``. ``alpha`` is the per-pixel false-alarm
    probability of the change mask under no change and Gaussian noise.

    ``consistency`` (default) divides the weighted MAD variances by ``weight_consistency``:
    Nielsen's original (``consistency=False``) standardizes by the shrunk weighted variance,
    which on pure no-change data with 4 bands inflates chi2 ~3x and flags ~40 % of pixels at
    ``alpha=0.01``. Rankings of pixels are the same; only the calibration differs.

    Fewer than ``min_valid_px`` valid pixels (default ``max(50, 20 * bands)``) gives a blind
    result, not an error. Raises InputError for mismatched shapes, a bad ``alpha`` or a band
    that is constant over the valid pixels (no canonical correlation exists).
    """
    if not 0.0 < alpha < 1.0:
        raise InputError(f"alpha must be in (0, 1), got {alpha}")
    x, y, ok = _pair(before, after, valid)
    n = x.shape[0]
    need = max(50, 20 * n) if min_valid_px is None else min_valid_px
    if int(ok.sum()) < max(need, 2 * n + 1):
        return _blind_irmad(x.shape, alpha)
    z = np.concatenate([x[:, ok], y[:, ok]])  # (2 * bands, pixels)
    spread = z.std(axis=1)
    flat = spread <= 1e-12 * np.maximum(np.abs(z).max(axis=1), 1.0)
    if flat.any():
        bad = int(np.argmax(flat))
        which = "before" if bad < n else "after"
        raise InputError(
            f"band {bad % n + 1} of the {which} image is constant over the valid pixels; "
            "IR-MAD needs variation in every band (drop that band)"
        )
    shrink = weight_consistency(n) if consistency else 1.0
    w = np.ones(z.shape[1])
    rho_old = np.full(n, -1.0)
    converged = False
    it = 0
    rho = a = b = mad = chi2 = np.empty(0)
    for it in range(1, max_iter + 1):
        sw = w.sum()
        zc = z - (z @ w / sw)[:, None]
        cov = (zc * w) @ zc.T / sw
        try:
            rho, a, b = _canonical(cov, n)
        except (linalg.LinAlgError, ValueError) as exc:
            if it == 1:
                raise InputError(
                    "IR-MAD cannot run: the bands are linearly dependent over the valid pixels "
                    "(drop a band that repeats another)"
                ) from exc
            # the weights collapsed onto too few pixels; keep the last well-posed iteration
            it -= 1
            break
        mad = a.T @ zc[:n] - b.T @ zc[n:]
        var = np.maximum(2.0 * (1.0 - rho), 1e-12) / shrink
        chi2 = (mad**2 / var[:, None]).sum(axis=0)
        # chi-square survival function, P(no change): Q(N/2, chi2/2)
        w = special.gammaincc(0.5 * n, 0.5 * chi2)
        if np.max(np.abs(rho - rho_old)) < tol:
            converged = True
            break
        rho_old = rho
    threshold = float(stats.chi2.isf(alpha, n))
    ny, nx = ok.shape
    mad_img = np.full((n, ny, nx), np.nan, np.float32)
    mad_img[:, ok] = mad
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


# ------------------------------------------------------------------- RGB high-resolution pairs


def _nfilter(
    img: np.ndarray, ok: np.ndarray, size: float, kind: Literal["gauss", "box"]
) -> np.ndarray:
    """Normalised convolution: filter only valid pixels (``img`` is finite where ``ok``)."""
    data = np.where(ok, img, 0.0)
    weight = ok.astype(np.float64)
    if kind == "gauss":
        num, den = ndimage.gaussian_filter(data, size), ndimage.gaussian_filter(weight, size)
    else:
        num, den = (
            ndimage.uniform_filter(data, int(size)),
            ndimage.uniform_filter(weight, int(size)),
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 1e-6, num / den, np.nan)


def _robust_z(score: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """(score - median) / interquartile range over ``ok``; NaN elsewhere."""
    q25, q50, q75 = np.quantile(score[ok], [0.25, 0.5, 0.75])
    out = (score - q50) / max(float(q75 - q25), 1e-9)
    out[~ok] = np.nan
    return out


def _saturation(img: np.ndarray) -> np.ndarray:
    hi, lo = img.max(axis=0), img.min(axis=0)
    return (hi - lo) / (hi + 1e-3 * max(float(np.nanmax(hi)), 1e-9))


def rgb_components(
    before: np.ndarray,
    after: np.ndarray,
    valid: np.ndarray | None = None,
    *,
    smooth_px: float = 1.5,
    window_px: int = 15,
) -> dict[str, np.ndarray]:
    """Per-pixel change evidence for a ``(3, y, x)`` RGB pair, each a robust z-score map.

    - ``irmad``: log(1 + IR-MAD chi-square) of the images smoothed by ``smooth_px`` (Gaussian
      sigma, pixels): colour change beyond a global linear radiometric difference.
    - ``structure``: 1 - local normalised cross-correlation of the grey images in a
      ``window_px`` box: texture/edge layout change, insensitive to local gain and offset.
    - ``desat``: loss of colour saturation (before - after): grey roofs, concrete, gravel
      replacing vegetation or soil. A construction prior: it does not see demolition.

    Each is ``(score - median) / IQR`` over valid pixels, so change must be a minority of the
    image; NaN where not valid. An all-invalid pair gives all-NaN maps.
    """
    x, y, ok = _pair(before, after, valid)
    if x.shape[0] != 3:
        raise InputError(f"RGB change needs 3 bands (band, y, x), got {x.shape[0]}")
    names = ("irmad", "structure", "desat")
    if not ok.any():
        return {k: np.full(ok.shape, np.nan) for k in names}
    xs = np.stack([_nfilter(c, ok, smooth_px, "gauss") for c in x])
    ys = np.stack([_nfilter(c, ok, smooth_px, "gauss") for c in y])
    try:
        mad = irmad(xs, ys, ok, tol=1e-3, min_valid_px=1)
        colour = np.log1p(np.nan_to_num(mad.chi2))
    except InputError:
        # grey (R = G = B) or flat images have no 3-band canonical correlation: fall back to
        # the squared difference of the standardised grey levels
        gx, gy = xs.mean(axis=0), ys.mean(axis=0)
        sx, sy = max(float(gx[ok].std()), 1e-9), max(float(gy[ok].std()), 1e-9)
        colour = np.log1p(((gy - gy[ok].mean()) / sy - (gx - gx[ok].mean()) / sx) ** 2)
    ga, gb = x.mean(axis=0), y.mean(axis=0)
    ma, mb = _nfilter(ga, ok, window_px, "box"), _nfilter(gb, ok, window_px, "box")
    va = _nfilter(ga * ga, ok, window_px, "box") - ma * ma
    vb = _nfilter(gb * gb, ok, window_px, "box") - mb * mb
    cov = _nfilter(ga * gb, ok, window_px, "box") - ma * mb
    # a floor of (1 grey level of 255)^4 under va * vb damps the correlation of flat windows,
    # where it is noise
    scale = max(float(np.nanmax(np.abs(ga[ok]))), 1e-9) / 255.0
    ncc = cov / np.sqrt(np.maximum(va * vb, 0.0) + scale**4)
    return {
        "irmad": _robust_z(colour, ok),
        "structure": _robust_z(1.0 - ncc, ok),
        "desat": _robust_z(_saturation(xs) - _saturation(ys), ok),
    }


@dataclass(frozen=True)
class RgbChangeParams:
    """Parameters of ``rgb_change_mask``; the defaults were tuned on the 11 LEVIR-CD pairs.

    ``weights``: (irmad, structure, desat) weights of the component z-scores;
    ``score_sigma_px``: Gaussian smoothing of the fused score; ``threshold``: ``"otsu"`` or a
    robust-z level of the fused score; ``open_px``/``close_px``: iterations of 4-connected
    morphological opening then closing; ``min_area_px``: smaller components are dropped.
    """

    smooth_px: float = 1.5
    window_px: int = 15
    weights: tuple[float, float, float] = (0.0, 0.25, 0.75)
    score_sigma_px: float = 2.0
    threshold: str | float = "otsu"
    open_px: int = 0
    close_px: int = 0
    min_area_px: int = 128


@dataclass(frozen=True)
class RgbChangeResult:
    """``mask``: changed pixels (``False`` where blind); ``score``: fused z-score (NaN where
    blind); ``threshold``: the level applied to ``score``; ``valid``; ``blind``: no valid pixel."""

    mask: np.ndarray
    score: np.ndarray
    threshold: float
    valid: np.ndarray
    blind: bool


def clean_mask(
    mask: np.ndarray, *, open_px: int = 0, close_px: int = 0, min_area_px: int = 0
) -> np.ndarray:
    """Opening (drops specks), closing (fills gaps), then removal of 8-connected components
    smaller than ``min_area_px`` pixels. ``mask`` is ``(y, x)`` bool."""
    out = np.asarray(mask, bool)
    cross = ndimage.generate_binary_structure(2, 1)
    if open_px > 0:
        out = ndimage.binary_opening(out, cross, iterations=open_px)
    if close_px > 0:
        out = ndimage.binary_closing(out, cross, iterations=close_px, border_value=0)
    if min_area_px > 1 and out.any():
        labels, _ = ndimage.label(out, structure=np.ones((3, 3), bool))
        sizes = np.bincount(labels.ravel())
        keep = sizes >= min_area_px
        keep[0] = False
        out = keep[labels]
    return out


def fuse_components(
    components: dict[str, np.ndarray], params: RgbChangeParams = RgbChangeParams()
) -> RgbChangeResult:
    """Weighted sum of ``rgb_components`` maps, smoothed, thresholded and cleaned."""
    names = ("irmad", "structure", "desat")
    if set(components) != set(names):
        raise InputError(f"components must be {names}, got {sorted(components)}")
    first = components["irmad"]
    ok = np.isfinite(first)
    if not ok.any():
        return RgbChangeResult(np.zeros(ok.shape, bool), first.copy(), math.nan, ok, True)
    fused = sum(
        w * np.nan_to_num(components[k]) for k, w in zip(names, params.weights, strict=True)
    )
    score = _nfilter(np.asarray(fused, np.float64), ok, params.score_sigma_px, "gauss")
    score[~ok] = np.nan
    if params.threshold == "otsu":
        thr = otsu_threshold(score[ok])
    elif isinstance(params.threshold, str):
        raise InputError(f"threshold must be 'otsu' or a number, got {params.threshold!r}")
    else:
        thr = float(params.threshold)
    raw = ok & (np.nan_to_num(score, nan=-np.inf) > thr)
    mask = clean_mask(
        raw, open_px=params.open_px, close_px=params.close_px, min_area_px=params.min_area_px
    )
    return RgbChangeResult(mask & ok, score, thr, ok, False)


def rgb_change_mask(
    before: np.ndarray,
    after: np.ndarray,
    valid: np.ndarray | None = None,
    *,
    params: RgbChangeParams = RgbChangeParams(),
) -> RgbChangeResult:
    """Unsupervised change mask for a co-registered high-resolution RGB pair ``(3, y, x)``.

    Fuses the ``rgb_components`` evidence (IR-MAD colour change, local structure change, loss
    of saturation), smooths, thresholds and cleans it (see ``RgbChangeParams``). No trained
    model: it finds *appearance* change, so seasonal, shadow and illumination differences that
    the labels of benchmark datasets ignore are false alarms. Any numeric dtype (uint8 PNG
    values are fine). Raises InputError for a band count other than 3 or mismatched shapes.
    """
    comps = rgb_components(
        before, after, valid, smooth_px=params.smooth_px, window_px=params.window_px
    )
    return fuse_components(comps, params)


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
