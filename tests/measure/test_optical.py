"""IR-MAD, CVA, site area, RGB change masks and binary scores, checked against statistics."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from forcewatch.errors import InputError
from forcewatch.measure.optical import (
    BinaryScores,
    RgbChangeParams,
    binary_scores,
    clean_mask,
    cva,
    irmad,
    mask_from_labels,
    otsu_threshold,
    pooled_scores,
    rgb_change_mask,
    site_change,
    weight_consistency,
)

GAIN = np.array([0.5, 2.0, 1.3, 0.8])[:, None, None]
OFFSET = np.array([10.0, -3.0, 0.2, 5.0])[:, None, None]
BLOCK = (slice(40, 80), slice(50, 110))


def synthetic_pair(
    seed: int, ny: int = 160, nx: int = 160, change: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """4-band scene with correlated bands, independent noise (sd 0.3 vs signal sd ~3) in each
    date, a per-band gain/offset on the second date and optionally a spectral change of
    ``change`` signal units in ``BLOCK``. Returns before, after, truth mask."""
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(4, ny, nx))
    mix = rng.normal(size=(4, 4)) + 3.0 * np.eye(4)
    surface = np.einsum("ij,jyx->iyx", mix, latent)
    before = surface + 0.3 * rng.normal(size=surface.shape)
    after = surface + 0.3 * rng.normal(size=surface.shape)
    truth = np.zeros((ny, nx), bool)
    truth[BLOCK] = True
    if change:
        direction = rng.normal(size=4)
        after[:, truth] += (change * direction / np.linalg.norm(direction))[:, None]
    return before, GAIN * after + OFFSET, truth


# ---------------------------------------------------------------------------------- IR-MAD


def test_irmad_detects_block_despite_gain_and_offset() -> None:
    # noise of a band difference has variance 2 * 0.3**2, so a 3-unit change gives a
    # noncentral chi-square (4 dof, lambda = 9 / 0.18 = 50): P(> 13.28) = 0.9999 at alpha=0.01.
    # 0.9 leaves room for estimated (not true) MAD directions and variances.
    before, after, truth = synthetic_pair(seed=1, change=3.0)
    res = irmad(before, after, alpha=0.01)
    assert res.converged and not res.blind
    assert res.change[truth].mean() >= 0.9
    # a weaker 2-unit change: expected recall 0.924 (lambda 22); must be within +-0.03
    weak = irmad(*synthetic_pair(seed=1, change=2.0)[:2], alpha=0.01)
    assert abs(weak.change[truth].mean() - 0.924) < 0.03


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_irmad_false_alarm_rate_near_alpha(seed: int) -> None:
    # ~23,000 unchanged iid pixels: binomial sd of the rate at alpha=0.01 is 0.00066; the MAD
    # variances are estimated (relative error ~1 %), so we allow [0.5, 1.6] x alpha
    # (observed 0.0087-0.0106 over seeds 0-5)
    before, after, truth = synthetic_pair(seed=seed, change=3.0)
    res = irmad(before, after, alpha=0.01)
    far = res.change[~truth].mean()
    assert 0.005 <= far <= 0.016


def test_nielsen_standardization_inflates_false_alarms() -> None:
    # why ``consistency`` exists: the p-value weights shrink the no-change variance estimate
    before, after, truth = synthetic_pair(seed=0, change=0.0)
    far_raw = irmad(before, after, alpha=0.01, consistency=False).change.mean()
    far_fixed = irmad(before, after, alpha=0.01).change.mean()
    assert far_raw > 0.1
    assert far_fixed < 0.016


def test_weight_consistency_closed_forms() -> None:
    # E[Z sf(Z)] / (N E[sf(Z)]) for chi-square Z: exactly 1/2 for N=2 and 5/8 for N=4
    assert weight_consistency(2) == pytest.approx(0.5, abs=1e-9)
    assert weight_consistency(4) == pytest.approx(0.625, abs=1e-9)


def test_irmad_invariant_to_affine_per_band_transforms() -> None:
    before, after, _ = synthetic_pair(seed=3, change=2.0)
    ref = irmad(before, after)
    gains_b = np.array([3.0, 0.1, 7.0, 1.5])[:, None, None]
    gains_a = np.array([0.2, 4.0, 1.0, 9.0])[:, None, None]
    res = irmad(gains_b * before - 50.0, gains_a * after + 1000.0)
    np.testing.assert_allclose(res.rho, ref.rho, atol=1e-9)
    np.testing.assert_allclose(res.chi2, ref.chi2, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(res.mad, ref.mad, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(res.change, ref.change)


def test_irmad_chi2_invariant_to_any_linear_band_mixing() -> None:
    # canonical correlation is invariant to invertible linear maps of each image
    before, after, _ = synthetic_pair(seed=4, change=2.0)
    mix = np.random.default_rng(9).normal(size=(4, 4)) + 2 * np.eye(4)
    ref = irmad(before, after)
    res = irmad(before, np.einsum("ij,jyx->iyx", mix, after))
    np.testing.assert_allclose(res.chi2, ref.chi2, rtol=1e-5, atol=1e-6)


def test_masked_pixels_are_blind_and_not_in_statistics() -> None:
    before, after, truth = synthetic_pair(seed=5, change=2.0)
    valid = np.ones(truth.shape, bool)
    valid[:, :30] = False
    ref = irmad(before, after, valid)
    garbage_b, garbage_a = before.copy(), after.copy()
    garbage_b[:, :, :30] = 1e6
    garbage_a[:, :, :30] = np.nan
    res = irmad(garbage_b, garbage_a, valid)
    np.testing.assert_allclose(res.rho, ref.rho, atol=1e-12)
    assert not res.valid[:, :30].any()
    assert np.isnan(res.chi2[:, :30]).all() and np.isnan(res.p_nochange[:, :30]).all()
    assert not res.change[:, :30].any()
    assert res.n_valid == valid.sum()
    # NaN alone (no mask given) makes pixels blind too
    nan_only = irmad(before, garbage_a)
    assert not nan_only.valid[:, :30].any() and nan_only.valid[:, 30:].all()


def test_all_masked_input_gives_blind_result_not_error() -> None:
    before, after, _ = synthetic_pair(seed=6)
    res = irmad(before, after, np.zeros(before.shape[1:], bool))
    assert res.blind and res.n_valid == 0
    assert not res.change.any() and np.isnan(res.chi2).all()
    assert math.isnan(res.change_frac)
    res_nan = irmad(np.full_like(before, np.nan), after)
    assert res_nan.blind


def test_too_few_valid_pixels_is_blind() -> None:
    before, after, _ = synthetic_pair(seed=6)
    valid = np.zeros(before.shape[1:], bool)
    valid[0, :10] = True
    assert irmad(before, after, valid).blind


@pytest.mark.parametrize(
    ("before_shape", "after_shape"),
    [((4, 20, 20), (3, 20, 20)), ((4, 20, 20), (4, 20, 21)), ((20, 20), (20, 20))],
)
def test_mismatched_shapes_or_band_counts_raise_input_error(
    before_shape: tuple[int, ...], after_shape: tuple[int, ...]
) -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(InputError):
        irmad(rng.normal(size=before_shape), rng.normal(size=after_shape))
    with pytest.raises(InputError):
        cva(rng.normal(size=before_shape), rng.normal(size=after_shape))


def test_bad_valid_mask_alpha_or_constant_band_raise_input_error() -> None:
    before, after, _ = synthetic_pair(seed=7)
    with pytest.raises(InputError, match="valid mask"):
        irmad(before, after, np.ones((3, 3), bool))
    with pytest.raises(InputError, match="alpha"):
        irmad(before, after, alpha=1.5)
    flat = before.copy()
    flat[2] = 7.0
    with pytest.raises(InputError, match="band 3 of the before image is constant"):
        irmad(flat, after)


# ------------------------------------------------------------------------------------- CVA


def test_cva_finds_block_and_otsu_separates_modes() -> None:
    before, after, truth = synthetic_pair(seed=8, change=6.0)
    res = cva(before, after)
    assert res.change[truth].mean() > 0.9
    assert res.change[~truth].mean() < 0.05
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.normal(0, 1, 5000), rng.normal(10, 1, 1000)])
    assert 3.0 < otsu_threshold(values) < 7.0
    assert math.isnan(otsu_threshold(np.array([np.nan])))


def test_cva_all_masked_is_blind() -> None:
    before, after, _ = synthetic_pair(seed=8)
    res = cva(before, after, np.zeros(before.shape[1:], bool))
    assert res.blind and not res.change.any() and np.isnan(res.magnitude).all()


# ------------------------------------------------------------------------------ site area


def test_site_change_area_and_fraction() -> None:
    site = np.zeros((10, 10), bool)
    site[2:8, 2:8] = True  # 36 px
    valid = np.ones_like(site)
    valid[2:4, 2:8] = False  # 12 site px blind -> 24 valid
    change = np.zeros_like(site)
    change[5:8, 2:8] = True  # 18 changed valid site px
    change[0, 0] = True  # outside the site
    res = site_change(change, valid, site, pixel_area_m2=100.0)
    assert (res.n_site_px, res.n_valid_px, res.n_changed_px) == (36, 24, 18)
    assert res.valid_frac == pytest.approx(24 / 36)
    assert res.changed_area_m2 == pytest.approx(1800.0)
    assert res.changed_frac == pytest.approx(0.75)
    assert not res.blind
    low = site_change(change, valid, site, 100.0, min_valid_frac=0.8)
    assert low.blind and math.isnan(low.changed_frac) and math.isnan(low.changed_area_m2)
    none = site_change(change, np.zeros_like(site), site, 100.0)
    assert none.blind and math.isnan(none.changed_frac)
    with pytest.raises(InputError):
        site_change(change, valid, np.zeros_like(site), 100.0)
    with pytest.raises(InputError):
        site_change(change, valid[:5], site, 100.0)


# ------------------------------------------------------------------------------ RGB masks


def synthetic_rgb(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Textured green field; the after date is brighter (gain 1.2) and has a grey 'roof'."""
    rng = np.random.default_rng(seed)
    ny = nx = 128
    field = np.array([60.0, 120.0, 50.0])[:, None, None] * np.ones((3, ny, nx))
    texture = rng.normal(0, 12, size=(ny, nx))
    before = field + texture + rng.normal(0, 3, size=(3, ny, nx))
    after = 1.2 * (field + texture) + rng.normal(0, 3, size=(3, ny, nx))
    truth = np.zeros((ny, nx), bool)
    truth[40:76, 30:80] = True
    after[:, truth] = 170 + rng.normal(0, 3, size=(3, int(truth.sum())))
    return np.clip(before, 0, 255), np.clip(after, 0, 255), truth


def test_rgb_change_mask_finds_new_grey_structure() -> None:
    before, after, truth = synthetic_rgb(seed=0)
    res = rgb_change_mask(before.astype(np.uint8), after.astype(np.uint8))
    scores = binary_scores(res.mask, truth)
    assert scores.iou > 0.6, scores
    assert not res.blind


def test_rgb_change_mask_masked_and_degenerate_inputs() -> None:
    before, after, truth = synthetic_rgb(seed=1)
    valid = np.ones(truth.shape, bool)
    valid[:, :20] = False
    res = rgb_change_mask(before, after, valid)
    assert not res.mask[:, :20].any() and np.isnan(res.score[:, :20]).all()
    blind = rgb_change_mask(before, after, np.zeros_like(valid))
    assert blind.blind and not blind.mask.any()
    grey = np.repeat(before.mean(axis=0, keepdims=True), 3, axis=0)
    grey_after = np.repeat(after.mean(axis=0, keepdims=True), 3, axis=0)
    assert rgb_change_mask(grey, grey_after).mask[truth].mean() > 0.5
    with pytest.raises(InputError, match="3 bands"):
        rgb_change_mask(before[:2], after[:2])
    with pytest.raises(InputError, match="threshold"):
        rgb_change_mask(before, after, params=RgbChangeParams(threshold="median"))


def test_clean_mask_removes_small_components() -> None:
    mask = np.zeros((30, 30), bool)
    mask[2:4, 2:4] = True  # 4 px speck
    mask[10:20, 10:20] = True  # 100 px
    out = clean_mask(mask, min_area_px=10)
    assert not out[2:4, 2:4].any() and out[10:20, 10:20].all()
    assert not clean_mask(mask, open_px=2)[2:4, 2:4].any()


# -------------------------------------------------------------------------- binary scores


def test_binary_scores_on_constructed_masks() -> None:
    truth = np.zeros((10, 10), bool)
    truth[:, :4] = True  # 40 positives
    pred = np.zeros((10, 10), bool)
    pred[:, 2:7] = True  # 50 predicted: 20 tp, 30 fp, 20 fn, 30 tn
    s = binary_scores(pred, truth)
    assert (s.tp, s.fp, s.fn, s.tn) == (20, 30, 20, 30)
    assert s.precision == pytest.approx(0.4)
    assert s.recall == pytest.approx(0.5)
    assert s.f1 == pytest.approx(2 * 0.4 * 0.5 / 0.9)
    assert s.iou == pytest.approx(20 / 70)
    assert s.accuracy == pytest.approx(0.5)
    v = np.zeros_like(truth)
    v[:5] = True
    assert binary_scores(pred, truth, v) == BinaryScores(tp=10, fp=15, fn=10, tn=15)
    empty = binary_scores(np.zeros_like(truth), np.zeros_like(truth))
    assert math.isnan(empty.f1) and math.isnan(empty.precision) and empty.accuracy == 1.0
    pooled = pooled_scores([s, BinaryScores(tp=0, fp=0, fn=40, tn=60)])
    assert (pooled.tp, pooled.fn) == (20, 60)
    assert pooled.f1 == pytest.approx(40 / (40 + 30 + 60))


def test_mask_codes_and_bad_masks() -> None:
    np.testing.assert_array_equal(
        mask_from_labels(np.array([[0, 255], [255, 0]], np.uint8)), [[False, True], [True, False]]
    )
    np.testing.assert_array_equal(mask_from_labels(np.array([[0, 1]])), [[False, True]])
    with pytest.raises(InputError, match="codes"):
        mask_from_labels(np.array([[0, 128, 255]], np.uint8))
    with pytest.raises(InputError):
        binary_scores(np.zeros((3, 3), bool), np.zeros((3, 4), bool))
    with pytest.raises(InputError, match="boolean"):
        binary_scores(np.zeros((3, 3), np.uint8), np.zeros((3, 3), bool))


# ---------------------------------------------------------------------- shared data (LEVIR)


def test_levir_pair_end_to_end_and_metric_matches_independent_f1(shared_data: Path) -> None:
    from PIL import Image

    root = shared_data / "change-pairs" / "LEVIR"
    name = "test_2_0000_0000.png"

    def rgb(path: Path) -> np.ndarray:
        return np.asarray(Image.open(path).convert("RGB")).transpose(2, 0, 1)

    before, after = rgb(root / "A" / name), rgb(root / "B" / name)
    label = np.asarray(Image.open(root / "label" / name))
    truth = mask_from_labels(label)
    ours = rgb_change_mask(before, after)
    assert ours.mask.shape == truth.shape and ours.valid.all()
    ours_scores = binary_scores(ours.mask, truth)
    assert 0.0 < ours_scores.f1 < 1.0

    bit = np.asarray(Image.open(root / "predict_CD_BIT" / name))
    # independent F1: 2|P & T| / (|P| + |T|) straight from the 0/255 codes
    p, t = bit == 255, label == 255
    independent = 2.0 * np.sum(p & t) / (np.sum(p) + np.sum(t))
    assert binary_scores(mask_from_labels(bit), truth).f1 == pytest.approx(independent, abs=1e-12)
    assert independent > 0.8  # a trained model on its own test tile; guards the mask decoding
