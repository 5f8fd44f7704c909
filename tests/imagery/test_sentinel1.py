"""Sentinel-1 reading: names, manifest, the real SAFE subset, GRD calibration, COGs."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.windows import Window

from forcewatch.errors import ImageryError, InputError
from forcewatch.imagery.sentinel1 import (
    parse_safe_name,
    read_cog_sigma0,
    read_geolocation_grid,
    read_safe_manifest,
    read_safe_sigma0,
    relative_orbit,
)
from tests.imagery.safe_builder import LINES, NAME, SAMPLES, expected_sigma0, make_safe

REAL = "S1B_IW_GRDH_1SDV_20210401T052623_20210401T052648_026269_032297_ECC8.SAFE"


# --------------------------------------------------------------------------- names and orbits


def test_parse_safe_name_reads_mission_time_orbit_and_polarisations() -> None:
    product = parse_safe_name(Path("/data") / REAL)
    assert product.mission == "S1B"
    assert product.mode == "IW"
    assert product.product_type == "GRD"
    assert product.resolution == "H"
    assert product.polarisations == ("VV", "VH")
    assert product.start_utc == datetime(2021, 4, 1, 5, 26, 23, tzinfo=UTC)
    assert product.stop_utc == datetime(2021, 4, 1, 5, 26, 48, tzinfo=UTC)
    assert product.absolute_orbit == 26269
    assert product.relative_orbit == 168  # what the manifest of this product says
    assert product.product_id == REAL.removesuffix(".SAFE")


@pytest.mark.parametrize(
    ("mission", "absolute", "expected"),
    [("S1A", 73, 1), ("S1A", 247, 175), ("S1A", 248, 1), ("S1B", 27, 1), ("S1B", 26269, 168)],
)
def test_relative_orbit_follows_each_missions_numbering(
    mission: str, absolute: int, expected: int
) -> None:
    assert relative_orbit(mission, absolute) == expected


def test_single_pol_codes_and_unknown_orbit_formula() -> None:
    product = parse_safe_name("S1C_IW_GRDH_1SSH_20250301T052623_20250301T052648_001234_00ABCD_1A2B")
    assert product.polarisations == ("HH",)
    assert product.relative_orbit is None  # no published offset used here: say so, not guess


@pytest.mark.parametrize("name", ["S2A_MSIL2A_20210401T0000", "S1B_IW_GRDH_1SDV_2021", ""])
def test_parse_safe_name_rejects_other_names(name: str) -> None:
    with pytest.raises(InputError, match="not a Sentinel-1 product name"):
        parse_safe_name(name)


# --------------------------------------------------------------------------- the real subset


def test_manifest_of_the_real_subset(shared_data: Path) -> None:
    manifest = read_safe_manifest(shared_data / "sentinel1" / REAL)
    name = parse_safe_name(REAL)
    assert manifest.mission == name.mission
    assert manifest.relative_orbit == name.relative_orbit == 168
    assert manifest.absolute_orbit == name.absolute_orbit
    assert manifest.pass_direction == "DESCENDING"
    assert manifest.polarisations == ("VV", "VH")
    assert manifest.start_utc.replace(microsecond=0) == name.start_utc
    assert len(manifest.footprint_lonlat) == 4
    assert all(8 < lon < 13 and 45 < lat < 48 for lon, lat in manifest.footprint_lonlat)


def test_geolocation_grid_of_the_real_annotation(shared_data: Path) -> None:
    annotation = next((shared_data / "sentinel1" / REAL / "annotation").glob("*-vv-*.xml"))
    grid = read_geolocation_grid(annotation)
    assert grid.line.shape == (210,)
    assert grid.latitude_deg[0] == pytest.approx(47.117027567)
    assert 29 < grid.incidence_angle_deg.min() < grid.incidence_angle_deg.max() < 47


def test_real_subset_without_calibration_names_the_missing_file(shared_data: Path) -> None:
    # The shared subset ships the VV TIFF and the product annotations, not the calibration
    # folder: sigma0 cannot be derived and the error must say which file is needed.
    with pytest.raises(ImageryError, match=r"calibration-s1b-iw-grd-vv-20210401t052623.*\.xml"):
        read_safe_sigma0(shared_data / "sentinel1" / REAL, "VV")


def test_real_subset_missing_measurement_is_named(shared_data: Path) -> None:
    with pytest.raises(ImageryError, match=r"measurement/s1b-iw-grd-vh-.*-002\.tiff"):
        read_safe_sigma0(shared_data / "sentinel1" / REAL, "VH")
    with pytest.raises(ImageryError, match="has no HH"):
        read_safe_sigma0(shared_data / "sentinel1" / REAL, "HH")


# --------------------------------------------------------------------------- a synthetic SAFE


@pytest.fixture()
def dn() -> np.ndarray:
    values = np.random.default_rng(0).integers(20, 900, (LINES, SAMPLES)).astype(np.uint16)
    values[:, :3] = 0  # border noise
    values[10, 10] = 30  # DN**2 = 900 < noise: thermal removal leaves <= 0
    return values


@pytest.mark.parametrize("with_noise", [True, False])
def test_grd_sigma0_is_dn_squared_minus_noise_over_the_lut_squared(
    tmp_path: Path, dn: np.ndarray, with_noise: bool
) -> None:
    safe = make_safe(tmp_path, dn, with_noise)
    sigma0, meta = read_safe_sigma0(safe, "vv")
    expected = expected_sigma0(dn, with_noise)
    assert sigma0.dtype == np.float32 and sigma0.shape == (LINES, SAMPLES)
    np.testing.assert_array_equal(np.isnan(sigma0), dn == 0)
    # float32 output: 1e-6 relative; the LUT interpolation itself is exact here
    np.testing.assert_allclose(sigma0, expected, rtol=1e-6)
    if with_noise:
        assert sigma0[10, 10] == pytest.approx(1e-5)
    assert meta.noise_removed is with_noise
    assert meta.product.relative_orbit == ((41400 - 73) % 175) + 1
    assert meta.window == (0, 0, LINES, SAMPLES)
    assert meta.pixel_spacing_m == (10.0, 10.0)
    assert meta.geolocation.latitude_deg[0] == pytest.approx(50.1)


def test_grd_window_read_equals_the_same_part_of_the_full_read(
    tmp_path: Path, dn: np.ndarray
) -> None:
    safe = make_safe(tmp_path, dn)
    full, _ = read_safe_sigma0(safe, "VV")
    part, meta = read_safe_sigma0(safe, "VV", window=((12, 40), (5, 70)))
    np.testing.assert_array_equal(part, full[12:40, 5:70])
    assert meta.window == (12, 5, 28, 65)
    same, _ = read_safe_sigma0(safe, "VV", window=Window(5, 12, 65, 28))
    np.testing.assert_array_equal(same, part)
    with pytest.raises(InputError, match="outside the image"):
        read_safe_sigma0(safe, "VV", window=((40, 60), (0, 10)))


def test_grd_tiff_that_does_not_match_its_annotation_is_an_error(tmp_path: Path) -> None:
    safe = make_safe(
        tmp_path, np.ones((LINES - 1, SAMPLES), np.uint16), annotation_shape=(LINES, SAMPLES)
    )
    with pytest.raises(ImageryError, match="mismatched grids"):
        read_safe_sigma0(safe, "VV")


def test_grd_errors_for_missing_directory_and_bad_polarisation(tmp_path: Path) -> None:
    with pytest.raises(ImageryError, match="not found"):
        read_safe_sigma0(tmp_path / NAME, "VV")
    safe = make_safe(tmp_path, np.ones((LINES, SAMPLES), np.uint16))
    with pytest.raises(InputError, match="polarisation"):
        read_safe_sigma0(safe, "XX")
    with pytest.raises(ImageryError, match="missing measurement"):
        read_safe_sigma0(safe, "VH")


# --------------------------------------------------------------------------- COGs


def _write_cog(
    path: Path,
    data: np.ndarray,
    tags: dict[str, str] | None = None,
    description: str | None = None,
    nodata: float | None = None,
) -> Path:
    profile = {
        "driver": "GTiff",
        "dtype": "float32",
        "width": data.shape[1],
        "height": data.shape[0],
        "count": 1,
        "crs": "EPSG:32636",
        "transform": Affine(10.0, 0.0, 500000.0, 0.0, -10.0, 5600000.0),
        "tiled": True,
        "blockxsize": 16,
        "blockysize": 16,
        "nodata": nodata,
    }
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(data.astype(np.float32), 1)
        if tags:
            ds.update_tags(1, **tags)
        if description:
            ds.set_band_description(1, description)
    return path


@pytest.fixture()
def sigma0_linear() -> np.ndarray:
    return np.random.default_rng(1).gamma(4.4, 0.05 / 4.4, (48, 64)).astype(np.float32)


@pytest.mark.parametrize(
    ("tags", "description", "source"),
    [
        ({"units": "dB"}, None, "band tag units"),
        (None, "sigma0_VV_dB", "band description"),
        (None, None, "data"),
    ],
)
def test_cog_in_db_is_returned_as_linear_power(
    tmp_path: Path,
    sigma0_linear: np.ndarray,
    tags: dict[str, str] | None,
    description: str | None,
    source: str,
) -> None:
    db = 10 * np.log10(sigma0_linear)
    path = _write_cog(tmp_path / "s.tif", db, tags, description)
    linear, meta = read_cog_sigma0(path)
    assert meta.units == "db" and meta.units_source == source
    np.testing.assert_allclose(linear, sigma0_linear, rtol=1e-5)


def test_cog_in_linear_power_is_returned_as_is_with_nodata_as_nan(
    tmp_path: Path, sigma0_linear: np.ndarray
) -> None:
    data = sigma0_linear.copy()
    data[:4] = -9999.0
    path = _write_cog(tmp_path / "s.tif", data, {"units": "linear power"}, nodata=-9999.0)
    linear, meta = read_cog_sigma0(path, window=((4, 20), (0, 32)))
    assert meta.units == "linear" and meta.units_source.startswith("band tag")
    np.testing.assert_array_equal(linear, sigma0_linear[4:20, :32])
    full, _ = read_cog_sigma0(path)
    assert np.isnan(full[:4]).all()
    assert meta.crs == "EPSG:32636" and meta.transform[2] == 500000
    explicit, meta_explicit = read_cog_sigma0(path, units="linear")
    assert meta_explicit.units_source == "argument"
    np.testing.assert_array_equal(explicit, full)


def test_cog_errors(tmp_path: Path, sigma0_linear: np.ndarray) -> None:
    db = _write_cog(tmp_path / "db.tif", 10 * np.log10(sigma0_linear))
    with pytest.raises(ImageryError, match="looks like dB"):
        read_cog_sigma0(db, units="linear")
    with pytest.raises(InputError, match="units"):
        read_cog_sigma0(db, units="amplitude")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="band"):
        read_cog_sigma0(db, band=2)
    amp = _write_cog(tmp_path / "amp.tif", sigma0_linear, {"units": "amplitude"})
    with pytest.raises(ImageryError, match="amplitude"):
        read_cog_sigma0(amp)
    (tmp_path / "broken.tif").write_bytes(b"not a tiff")
    with pytest.raises(ImageryError, match="cannot read"):
        read_cog_sigma0(tmp_path / "broken.tif")
