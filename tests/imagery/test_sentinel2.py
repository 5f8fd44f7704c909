"""Sentinel-2 L2A reading: band discovery, reflectance offset, SCL masks, blind scenes, errors."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import rasterio
from affine import Affine

from forcewatch.errors import ImageryError, InputError
from forcewatch.imagery.sentinel2 import (
    boa_offset_for_baseline,
    canonical_band,
    dn_to_reflectance,
    find_band_files,
    read_l2a,
    scene_stats,
    scl_masks,
)
from forcewatch.measure.optical import irmad

CRS = "EPSG:32633"
X0, Y0 = 500000.0, 5600000.0
N10 = 20  # 10 m pixels per side; SCL has N10 // 2 at 20 m


def write_band(path: Path, data: np.ndarray, res_m: float, nodata: int | None = 0) -> None:
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=data.shape[0],
        width=data.shape[1],
        count=1,
        dtype=data.dtype,
        crs=CRS,
        transform=Affine(res_m, 0, X0, 0, -res_m, Y0),
        nodata=nodata,
    ) as dst:
        dst.write(data, 1)


def make_scene(
    folder: Path,
    scl20: np.ndarray | None = None,
    dn: int = 2000,
    bands: tuple[str, ...] = ("B02", "B03", "B04", "B08"),
    name: str = "T33UUP_20220301T100000_{band}_{res}m.tif",
) -> Path:
    """A tiny L2A scene: constant-ish 10 m DN per band (band i adds 100 * i + the column
    index), SCL at 20 m (default all 4 = vegetation)."""
    folder.mkdir(parents=True, exist_ok=True)
    cols = np.arange(N10, dtype=np.uint16)[None, :]
    for i, band in enumerate(bands):
        data = (np.full((N10, N10), dn + 100 * i, np.uint16) + cols).astype(np.uint16)
        write_band(folder / name.format(band=band, res=10), data, 10.0)
    if scl20 is None:
        scl20 = np.full((N10 // 2, N10 // 2), 4, np.uint8)
    write_band(folder / name.format(band="SCL", res=20), scl20.astype(np.uint8), 20.0)
    return folder


MTD = """<?xml version="1.0" encoding="UTF-8"?>
<n1:Level-2A_User_Product xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-2A.xsd">
<n1:General_Info><Product_Info><PROCESSING_BASELINE>{baseline}</PROCESSING_BASELINE></Product_Info>
<Product_Image_Characteristics>
<QUANTIFICATION_VALUES_LIST><BOA_QUANTIFICATION_VALUE unit="none">10000</BOA_QUANTIFICATION_VALUE>
</QUANTIFICATION_VALUES_LIST>
{offsets}
</Product_Image_Characteristics></n1:General_Info></n1:Level-2A_User_Product>
"""


def offsets_xml(value: int) -> str:
    items = "".join(f'<BOA_ADD_OFFSET band_id="{i}">{value}</BOA_ADD_OFFSET>' for i in range(13))
    return f"<BOA_ADD_OFFSET_VALUES_LIST>{items}</BOA_ADD_OFFSET_VALUES_LIST>"


# ------------------------------------------------------------------------------ pure pieces


def test_scl_codes_map_to_masks() -> None:
    scl = np.arange(12, dtype=np.uint8).reshape(3, 4)  # codes 0..11
    m = scl_masks(scl)
    flat = {name: np.flatnonzero(getattr(m, name).ravel()).tolist() for name in m.__dict__}
    assert flat["nodata"] == [0]
    assert flat["defective"] == [1]
    assert flat["shadow"] == [3]
    assert flat["cloud"] == [8, 9, 10]
    assert flat["snow"] == [11]
    assert flat["valid"] == [2, 4, 5, 6, 7]
    assert np.flatnonzero(scl_masks(scl, extra_invalid=(2, 7)).valid.ravel()).tolist() == [4, 5, 6]
    with pytest.raises(InputError):
        scl_masks(np.zeros((2, 2, 2), np.uint8))


def test_scene_stats_fractions() -> None:
    scl = np.array([[0, 0, 9, 9], [3, 4, 4, 11]], np.uint8)
    s = scene_stats(scl_masks(scl))
    assert s.n_px == 8
    assert s.valid_frac == pytest.approx(2 / 8)
    assert s.nodata_frac == pytest.approx(2 / 8)
    assert s.cloud_frac == pytest.approx(2 / 6)  # of pixels with data
    assert s.shadow_frac == pytest.approx(1 / 6) and s.snow_frac == pytest.approx(1 / 6)
    assert not s.blind
    assert scene_stats(scl_masks(scl), min_valid_frac=0.5).blind
    empty = scene_stats(scl_masks(np.zeros((2, 2), np.uint8)))
    assert empty.blind and empty.valid_frac == 0.0 and np.isnan(empty.cloud_frac)


def test_reflectance_conversion_with_offset() -> None:
    dn = np.array([0, 1000, 2000, 11000, 500], np.uint16)
    r = dn_to_reflectance(dn, offset=-1000)
    assert np.isnan(r[0])  # DN 0 is no data, never reflectance -0.1
    np.testing.assert_allclose(r[1:], [0.0, 0.1, 1.0, -0.05], atol=1e-7)
    np.testing.assert_allclose(dn_to_reflectance(dn)[1:], [0.1, 0.2, 1.1, 0.05], atol=1e-7)
    with pytest.raises(InputError):
        dn_to_reflectance(dn, quantification=0)


@pytest.mark.parametrize(
    ("baseline", "offset"),
    [("04.00", -1000), ("05.09", -1000), ("02.14", 0), ("N0400", -1000), ("N0214", 0), (None, 0)],
)
def test_offset_from_processing_baseline(baseline: str | None, offset: float) -> None:
    assert boa_offset_for_baseline(baseline) == offset


def test_bad_baseline_and_band_names_raise_input_error() -> None:
    with pytest.raises(InputError):
        boa_offset_for_baseline("recent")
    assert canonical_band("b2") == "B02" and canonical_band("b8a") == "B8A"
    with pytest.raises(InputError):
        canonical_band("B13")


# -------------------------------------------------------------------------------------- I/O


def test_band_files_found_by_token_finest_resolution_wins(tmp_path: Path) -> None:
    for name in (
        "T33_B02_10m.jp2",
        "T33_B02_20m.jp2",
        "T33_B8A_20m.jp2",
        "T33_SCL_20m.jp2",
        "T33_TCI_10m.jp2",
        "MSK_QUALIT_B02.jp2",
        "T33_B03_20m.jp2",
        "B03.tif",
        "S2B_notes.txt",
        "B12.tif",
    ):
        (tmp_path / name).write_bytes(b"")
    found = find_band_files(tmp_path)
    assert {k: v.name for k, v in found.items()} == {
        "B02": "T33_B02_10m.jp2",
        "B03": "T33_B03_20m.jp2",
        "B8A": "T33_B8A_20m.jp2",
        "SCL": "T33_SCL_20m.jp2",
        "B12": "B12.tif",
    }
    with pytest.raises(ImageryError):
        find_band_files(tmp_path / "absent")


def test_scl_resampled_to_10m_by_nearest_and_masks_applied(tmp_path: Path) -> None:
    scl20 = np.full((N10 // 2, N10 // 2), 4, np.uint8)
    scl20[0, 0] = 9  # cloud
    scl20[1, 2] = 3  # shadow
    scl20[4, 4] = 11  # snow
    scl20[9, 9] = 0  # no data
    scene = read_l2a(make_scene(tmp_path, scl20), offset=0)
    assert scene.reflectance.shape == (4, N10, N10) and scene.res_m == 10.0
    np.testing.assert_array_equal(scene.scl, np.kron(scl20, np.ones((2, 2), np.uint8)))
    assert not scene.valid[0:2, 0:2].any() and not scene.valid[2:4, 4:6].any()
    assert np.isnan(scene.reflectance[:, 0:2, 0:2]).all()
    assert scene.valid.sum() == N10 * N10 - 4 * 4
    assert scene.stats.cloud_frac == pytest.approx(4 / (N10 * N10 - 4))
    # B03 is DN 2100 + column: reflectance 0.21 at column 0 (no offset given)
    assert scene.reflectance[1, 5, 0] == pytest.approx(0.21)


def test_offset_taken_from_product_metadata(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    product = tmp_path / "S2B_MSIL2A.SAFE"
    img = make_scene(product / "GRANULE" / "L2A_T33" / "IMG_DATA")
    (product / "MTD_MSIL2A.xml").write_text(
        MTD.format(baseline="04.00", offsets=offsets_xml(-1000))
    )
    scene = read_l2a(img)
    assert scene.offset_source == "MTD_MSIL2A.xml" and scene.offsets["B02"] == -1000
    assert scene.reflectance[0, 0, 0] == pytest.approx(0.1)  # (2000 - 1000) / 10000
    # baseline only (no offset list): 04.00 implies -1000, 02.14 implies 0
    (product / "MTD_MSIL2A.xml").write_text(MTD.format(baseline="02.14", offsets=""))
    assert read_l2a(img).reflectance[0, 0, 0] == pytest.approx(0.2)
    (product / "MTD_MSIL2A.xml").write_text(MTD.format(baseline="04.00", offsets=""))
    assert read_l2a(img).reflectance[0, 0, 0] == pytest.approx(0.1)
    # the argument wins over metadata
    assert read_l2a(img, offset=0).reflectance[0, 0, 0] == pytest.approx(0.2)
    # no metadata at all: offset 0 and a warning
    bare = make_scene(tmp_path / "bare")
    with caplog.at_level(logging.WARNING, logger="forcewatch.imagery.sentinel2"):
        scene = read_l2a(bare)
    assert scene.reflectance[0, 0, 0] == pytest.approx(0.2)
    assert "assuming BOA_ADD_OFFSET 0" in caplog.text


def test_offset_from_stac_item(tmp_path: Path) -> None:
    folder = make_scene(tmp_path / "cog")
    item = {"type": "Feature", "properties": {"s2:processing_baseline": "04.00"}}
    (folder / "item.json").write_text(json.dumps(item))
    assert read_l2a(folder).reflectance[0, 0, 0] == pytest.approx(0.1)
    item["properties"]["earthsearch:boa_offset_applied"] = True
    (folder / "item.json").write_text(json.dumps(item))
    assert read_l2a(folder).reflectance[0, 0, 0] == pytest.approx(0.2)


def test_all_cloud_scene_is_blind_not_an_error(tmp_path: Path) -> None:
    cloudy = np.full((N10 // 2, N10 // 2), 9, np.uint8)
    a = read_l2a(make_scene(tmp_path / "a", cloudy), offset=0)
    b = read_l2a(make_scene(tmp_path / "b", cloudy), offset=0)
    assert a.stats.valid_frac == 0.0 and a.stats.cloud_frac == 1.0 and a.stats.blind
    assert np.isnan(a.reflectance).all()
    res = irmad(a.reflectance, b.reflectance, a.valid & b.valid)
    assert res.blind and not res.change.any()


def test_read_onto_a_given_grid(tmp_path: Path) -> None:
    grid = SimpleNamespace(crs=CRS, transform=Affine(20.0, 0, X0, 0, -20.0, Y0), shape=(10, 10))
    scene = read_l2a(make_scene(tmp_path), grid=grid, offset=0)
    assert scene.reflectance.shape == (4, 10, 10) and scene.res_m == 20.0
    # a grid reaching past the scene: the outside is no data, hence blind
    wide = SimpleNamespace(
        crs=CRS, transform=Affine(10.0, 0, X0 - 100, 0, -10.0, Y0), shape=(20, 30)
    )
    scene = read_l2a(make_scene(tmp_path / "w"), grid=wide, offset=0)
    assert not scene.valid[:, :10].any() and scene.valid[:, 10:30].all()
    assert scene.stats.nodata_frac == pytest.approx(10 / 30)


def test_mapping_source_and_missing_band(tmp_path: Path) -> None:
    folder = make_scene(tmp_path, bands=("B02", "B03", "B04"))
    files = find_band_files(folder)
    assert read_l2a(files, bands=("B02", "B04"), offset=0).bands == ("B02", "B04")
    with pytest.raises(ImageryError, match="B08") as err:
        read_l2a(folder)
    assert "\n" not in str(err.value)
    del files["SCL"]
    with pytest.raises(ImageryError, match="SCL"):
        read_l2a(files, bands=("B02",))
    with pytest.raises(InputError):
        read_l2a(folder, bands=("SCL",))


def test_corrupt_band_file_raises_imagery_error(tmp_path: Path) -> None:
    folder = make_scene(tmp_path)
    corrupt = folder / "T33UUP_20220301T100000_B04_10m.tif"
    corrupt.write_bytes(b"II*\x00 this is not a GeoTIFF" * 10)
    with pytest.raises(ImageryError, match="B04") as err:
        read_l2a(folder, offset=0)
    assert "\n" not in str(err.value)


def test_stacked_stac_cache_file_with_its_own_sidecar(tmp_path: Path) -> None:
    # the layout forcewatch.imagery.stac writes: float32 bands described B02..SCL, NaN nodata,
    # DN units, and <pass>.json beside it; another pass's sidecar in the folder must not count
    names = ("B02", "B03", "B04", "B08", "SCL")
    data = np.full((5, N10, N10), 2000.0, np.float32)
    data[4] = 4.0
    data[4, :, :5] = 8.0  # cloud
    data[:, 0, :] = np.nan  # outside the swath
    tif = tmp_path / "s2b_20220310_r050.tif"
    with rasterio.open(
        tif,
        "w",
        driver="GTiff",
        height=N10,
        width=N10,
        count=5,
        dtype="float32",
        crs=CRS,
        transform=Affine(10.0, 0, X0, 0, -10.0, Y0),
        nodata=np.nan,
    ) as dst:
        dst.write(data)
        dst.descriptions = names
    props = {"s2:processing_baseline": "04.00", "earthsearch:boa_offset_applied": False}
    tif.with_suffix(".json").write_text(json.dumps({"properties": props}))
    other = {"properties": {"earthsearch:boa_offset_applied": True}}
    (tmp_path / "s2a_20220101_r050.json").write_text(json.dumps(other))
    scene = read_l2a(tif)
    assert scene.offset_source == "STAC item" and scene.offsets["B04"] == -1000
    assert scene.reflectance[2, 5, 10] == pytest.approx(0.1)
    assert not scene.valid[0].any() and not scene.valid[:, :5].any()
    assert scene.valid.sum() == (N10 - 1) * (N10 - 5)
    assert scene.stats.nodata_frac == pytest.approx(1 / N10)
    with pytest.raises(ImageryError, match="B8A"):
        read_l2a(tif, bands=("B8A",))
