"""Sentinel-1 reading: names, manifest, the real SAFE subset, GRD calibration, COGs."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.errors import NotGeoreferencedWarning
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

NAME = "S1A_IW_GRDH_1SDV_20220110T041234_20220110T041259_041400_04ECAB_1F2E.SAFE"
STEM = "s1a-iw-grd-vv-20220110t041234-20220110t041259-041400-04ecab-001"
LINES, SAMPLES = 50, 80
CAL_LINES = [0, 20, 49]
CAL_PIXELS = [0, 20, 40, 60, 79]


def _sigma_lut(line: float, pixel: float) -> float:
    return 500.0 + 0.5 * line + 0.1 * pixel  # bilinear in (line, pixel): interpolation is exact


def _noise_range(line: float, pixel: float) -> float:
    return 2000.0 + 10.0 * pixel + 3.0 * line


def _noise_azimuth(line: float, pixel: float) -> float:
    return 1.0 + 0.002 * line if pixel <= 39 else 0.8


def _vector_xml(tag: str, line: int, pixels: list[int], lut: str, values: list[float]) -> str:
    px = " ".join(str(p) for p in pixels)
    vals = " ".join(f"{v:.6e}" for v in values)
    return (
        f"<{tag}><azimuthTime>2022-01-10T04:12:34.000000</azimuthTime><line>{line}</line>"
        f'<pixel count="{len(pixels)}">{px}</pixel><{lut} count="{len(pixels)}">{vals}</{lut}>'
        f"</{tag}>"
    )


def _make_safe(root: Path, dn: np.ndarray, with_noise: bool = True) -> Path:
    safe = root / NAME
    (safe / "measurement").mkdir(parents=True)
    (safe / "annotation" / "calibration").mkdir(parents=True)
    profile = {"driver": "GTiff", "dtype": "uint16", "width": dn.shape[1], "height": dn.shape[0]}
    with warnings.catch_warnings():  # image geometry: no geotransform, as in real GRD TIFFs
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(safe / "measurement" / f"{STEM}.tiff", "w", count=1, **profile) as ds:
            ds.write(dn, 1)
    (safe / "annotation" / f"{STEM}.xml").write_text(
        "<product><imageAnnotation><imageInformation>"
        "<rangePixelSpacing>1.0e+01</rangePixelSpacing>"
        "<azimuthPixelSpacing>1.0e+01</azimuthPixelSpacing>"
        f"<numberOfSamples>{SAMPLES}</numberOfSamples><numberOfLines>{LINES}</numberOfLines>"
        "</imageInformation></imageAnnotation><geolocationGrid><geolocationGridPointList>"
        "<geolocationGridPoint><line>0</line><pixel>0</pixel><latitude>50.1</latitude>"
        "<longitude>36.2</longitude><height>150.0</height><incidenceAngle>30.5</incidenceAngle>"
        "</geolocationGridPoint></geolocationGridPointList></geolocationGrid></product>"
    )
    cal = "".join(
        _vector_xml(
            "calibrationVector",
            ln,
            CAL_PIXELS,
            "sigmaNought",
            [_sigma_lut(ln, p) for p in CAL_PIXELS],
        )
        for ln in CAL_LINES
    )
    (safe / "annotation" / "calibration" / f"calibration-{STEM}.xml").write_text(
        f'<calibration><calibrationVectorList count="3">{cal}</calibrationVectorList></calibration>'
    )
    if with_noise:
        # range vectors with their own pixel grids, as real GRD noise files have
        rng_vec = _vector_xml(
            "noiseRangeVector",
            0,
            [0, 40, 79],
            "noiseRangeLut",
            [_noise_range(0, p) for p in (0, 40, 79)],
        ) + _vector_xml(
            "noiseRangeVector",
            49,
            [0, 10, 50, 79],
            "noiseRangeLut",
            [_noise_range(49, p) for p in (0, 10, 50, 79)],
        )
        az = (
            "<noiseAzimuthVector><swath>IW1</swath><firstAzimuthLine>0</firstAzimuthLine>"
            "<firstRangeSample>0</firstRangeSample><lastAzimuthLine>49</lastAzimuthLine>"
            '<lastRangeSample>39</lastRangeSample><line count="2">0 49</line>'
            f'<noiseAzimuthLut count="2">1.0 {1.0 + 0.002 * 49:.6f}</noiseAzimuthLut>'
            "</noiseAzimuthVector>"
            "<noiseAzimuthVector><swath>IW2</swath><firstAzimuthLine>0</firstAzimuthLine>"
            "<firstRangeSample>40</firstRangeSample><lastAzimuthLine>49</lastAzimuthLine>"
            '<lastRangeSample>79</lastRangeSample><line count="1">0</line>'
            '<noiseAzimuthLut count="1">0.8</noiseAzimuthLut></noiseAzimuthVector>'
        )
        (safe / "annotation" / "calibration" / f"noise-{STEM}.xml").write_text(
            f"<noise><noiseRangeVectorList>{rng_vec}</noiseRangeVectorList>"
            f"<noiseAzimuthVectorList>{az}</noiseAzimuthVectorList></noise>"
        )
    return safe


def _expected_sigma0(dn: np.ndarray, noise: bool) -> np.ndarray:
    rows, cols = np.mgrid[0:LINES, 0:SAMPLES].astype(np.float64)
    a = _sigma_lut(rows, cols)
    eta = np.zeros_like(a)
    if noise:
        az = np.where(cols <= 39, 1.0 + 0.002 * rows, 0.8)
        eta = _noise_range(rows, cols) * az
    out = np.maximum(dn.astype(np.float64) ** 2 - eta, 0.0) / a**2
    out[(out <= 0) & (dn > 0)] = 1e-5
    out[dn == 0] = np.nan
    return out


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
    safe = _make_safe(tmp_path, dn, with_noise)
    sigma0, meta = read_safe_sigma0(safe, "vv")
    expected = _expected_sigma0(dn, with_noise)
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
    safe = _make_safe(tmp_path, dn)
    full, _ = read_safe_sigma0(safe, "VV")
    part, meta = read_safe_sigma0(safe, "VV", window=((12, 40), (5, 70)))
    np.testing.assert_array_equal(part, full[12:40, 5:70])
    assert meta.window == (12, 5, 28, 65)
    same, _ = read_safe_sigma0(safe, "VV", window=Window(5, 12, 65, 28))
    np.testing.assert_array_equal(same, part)
    with pytest.raises(InputError, match="outside the image"):
        read_safe_sigma0(safe, "VV", window=((40, 60), (0, 10)))


def test_grd_tiff_that_does_not_match_its_annotation_is_an_error(tmp_path: Path) -> None:
    safe = _make_safe(tmp_path, np.ones((LINES - 1, SAMPLES), np.uint16))
    with pytest.raises(ImageryError, match="mismatched grids"):
        read_safe_sigma0(safe, "VV")


def test_grd_errors_for_missing_directory_and_bad_polarisation(tmp_path: Path) -> None:
    with pytest.raises(ImageryError, match="not found"):
        read_safe_sigma0(tmp_path / NAME, "VV")
    safe = _make_safe(tmp_path, np.ones((LINES, SAMPLES), np.uint16))
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
