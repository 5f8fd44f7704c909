"""CFAR: false-alarm rate on Gamma clutter, threshold factors, targets, site statistics, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from forcewatch.errors import InputError
from forcewatch.measure.cfar import (
    ca_threshold_factor,
    cfar_detect,
    os_threshold_factor,
    scene_bright_fraction,
    site_bright_stats,
)

ENL = 4.4


def _clutter(seed: int, shape: tuple[int, int], mean: float = 0.05) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.gamma(ENL, mean / ENL, shape).astype(np.float32)


# --------------------------------------------------------------------------- false alarms


def test_ca_cfar_false_alarm_rate_matches_pfa_on_gamma_clutter() -> None:
    img = _clutter(1, (1000, 1000))
    res = cfar_detect(img, ENL, 1e-3, guard_px=2, train_px=8, method="ca")
    rate = res.mask.sum() / res.tested.sum()
    # ~976 expected alarms (+-31, 3 %); 20 % is > 6 SE. The exponential formula would be off
    # by an order of magnitude at ENL 4.4 (see the factor test below).
    assert rate == pytest.approx(1e-3, rel=0.2)


def test_os_cfar_false_alarm_rate_matches_pfa_on_gamma_clutter() -> None:
    img = _clutter(2, (600, 600))
    res = cfar_detect(img, ENL, 3e-3, guard_px=1, train_px=4, method="os")
    rate = res.mask.sum() / res.tested.sum()
    assert rate == pytest.approx(3e-3, rel=0.2)  # ~1000 expected alarms: 20 % is 6 SE


def test_ca_cfar_keeps_the_rate_next_to_no_data() -> None:
    img = _clutter(3, (800, 800))
    img[:, 395:405] = np.nan  # a no-data stripe: CUTs next to it have partial rings
    res = cfar_detect(img, ENL, 3e-3, guard_px=2, train_px=6, method="ca")
    near = np.zeros(img.shape, bool)
    near[:, 385:415] = True
    assert not res.tested[:, 395:405].any()
    for region in (near, ~near):
        tested = res.tested & region
        rate = (res.mask & tested).sum() / tested.sum()
        assert rate == pytest.approx(3e-3, rel=0.25)  # 'near' holds ~60 alarms: 25 % is ~2 SE


# --------------------------------------------------------------------------- threshold factors


@pytest.mark.parametrize("n_train", [16, 200, 1000])
def test_ca_factor_reduces_to_the_exponential_formula_for_one_look(n_train: int) -> None:
    pfa = 1e-4
    expected = n_train * (pfa ** (-1.0 / n_train) - 1.0)
    assert float(ca_threshold_factor(n_train, 1.0, pfa)) == pytest.approx(expected, rel=1e-9)


def test_ca_factor_for_multilook_clutter_is_not_the_exponential_one() -> None:
    t_gamma = float(ca_threshold_factor(200, ENL, 1e-3))
    t_exp = 200 * (1e-3 ** (-1 / 200) - 1)
    assert t_gamma < 0.5 * t_exp  # multilooking narrows the clutter: a much lower factor


@pytest.mark.parametrize(("n_train", "rank"), [(24, 18), (200, 150), (440, 330)])
def test_os_factor_matches_the_closed_form_for_one_look(n_train: int, rank: int) -> None:
    factor = os_threshold_factor(n_train, rank, 1.0, 1e-3)
    pfa = math.prod((n_train - i) / (n_train - i + factor) for i in range(rank))
    assert pfa == pytest.approx(1e-3, rel=1e-6)


# --------------------------------------------------------------------------- targets


def _scene_with_targets(seed: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    img = _clutter(seed, (300, 300))
    centres = [(r, c) for r in range(30, 280, 50) for c in range(30, 280, 50)]
    for r, c in centres:
        img[r - 1 : r + 2, c - 1 : c + 2] = 1.0  # 3x3 px, 13 dB above the clutter
    return img, centres


@pytest.mark.parametrize("method", ["ca", "os"])
def test_bright_targets_are_found_with_their_centroid_and_area(method: str) -> None:
    img, centres = _scene_with_targets(4)
    res = cfar_detect(img, ENL, 1e-4, guard_px=3, train_px=5, method=method)  # type: ignore[arg-type]
    assert res.n_targets >= len(centres)
    assert res.n_targets <= len(centres) + 10  # ~8 false alarms expected at 1e-4 on 9e4 px
    big = res.areas_px >= 9
    found = {tuple(np.rint(c).astype(int)) for c in res.centroids_px[big]}
    assert found == set(centres)
    assert np.all(res.peak_sigma0[big] == pytest.approx(1.0))
    assert res.labels.max() == res.n_targets


def test_detection_is_unchanged_by_a_scene_wide_gain() -> None:
    img, _ = _scene_with_targets(5)
    a = cfar_detect(img, ENL, 1e-3)
    b = cfar_detect(img * 2.0, ENL, 1e-3)  # e.g. wet soil: everything 3 dB brighter
    np.testing.assert_array_equal(a.mask, b.mask)


# --------------------------------------------------------------------------- site statistics


def test_site_stats_count_targets_and_subtract_the_reference_fraction() -> None:
    img, centres = _scene_with_targets(6)
    res = cfar_detect(img, ENL, 1e-4, guard_px=3, train_px=5)
    site = np.zeros(img.shape, bool)
    site[0:110, 0:110] = True  # holds the 2x2 targets at rows/cols 30 and 80
    stats = site_bright_stats(res, site, pixel_area_m2=100.0)
    assert stats.target_count >= 4
    inside = [c for c in centres if site[c]]
    assert len(inside) == 4
    assert stats.bright_area_m2 >= 4 * 9 * 100.0
    assert stats.tested_px == int((res.tested & site).sum())
    expected = (res.mask & site).sum() / (res.tested & site).sum()
    assert stats.bright_fraction == pytest.approx(expected)
    outside = scene_bright_fraction(res, ~site)
    assert stats.reference_bright_fraction == pytest.approx(outside)
    assert stats.bright_fraction_residual == pytest.approx(expected - outside)
    given = site_bright_stats(res, site, pixel_area_m2=100.0, reference_bright_fraction=0.001)
    assert given.bright_fraction_residual == pytest.approx(expected - 0.001)
    ring = np.zeros(img.shape, bool)
    ring[110:140, 0:140] = True
    by_ring = site_bright_stats(res, site, pixel_area_m2=100.0, reference_mask=ring)
    assert by_ring.reference_bright_fraction == pytest.approx(scene_bright_fraction(res, ring))


def test_a_quiet_site_has_a_residual_near_zero() -> None:
    img = _clutter(7, (400, 400))
    res = cfar_detect(img, ENL, 1e-2)
    site = np.zeros(img.shape, bool)
    site[100:300, 100:300] = True
    stats = site_bright_stats(res, site, pixel_area_m2=100.0)
    # both fractions ~0.01 from ~4e4 and ~1.2e5 px: SE of the difference ~6e-4
    assert abs(stats.bright_fraction_residual) < 3e-3


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sigma0": np.ones((2, 50, 50))}, "2-D"),
        ({"sigma0": np.full((50, 50), -12.0)}, "negative"),
        ({"sigma0": np.full((50, 50), np.nan)}, "all NaN"),
        ({"enl": 0.0}, "enl"),
        ({"pfa": 0.0}, "pfa"),
        ({"pfa": 1.2}, "pfa"),
        ({"method": "go"}, "method"),
        ({"train_px": 0}, "train_px"),
    ],
)
def test_bad_input_raises_a_clear_input_error(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"sigma0": _clutter(0, (50, 50)), "enl": ENL, "pfa": 1e-3}
    args.update(kwargs)
    with pytest.raises(InputError, match=message):
        cfar_detect(**args)  # type: ignore[arg-type]


def test_site_stats_reject_mismatched_grids_and_bad_pixel_area() -> None:
    res = cfar_detect(_clutter(0, (60, 60)), ENL, 1e-3)
    with pytest.raises(InputError, match="does not match"):
        site_bright_stats(res, np.ones((50, 60), bool), pixel_area_m2=100.0)
    with pytest.raises(InputError, match="does not match"):
        site_bright_stats(
            res, np.ones((60, 60), bool), pixel_area_m2=100.0, reference_mask=np.ones((6, 6))
        )
    with pytest.raises(InputError, match="pixel_area_m2"):
        site_bright_stats(res, np.ones((60, 60), bool), pixel_area_m2=0.0)
