"""Tiled inference with the synthetic square detector (see conftest): tiling and merging,
GSD rescaling, georeferencing, band and bit-depth handling, bad inputs, writers."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
from PIL import Image
from pyproj import Transformer
from rasterio.transform import from_origin

from forcewatch.errors import ImageryError, InputError, ModelError
from forcewatch.measure.objects.infer import (
    GSD_STEPS,
    ModelInfo,
    detect_image,
    detect_images,
    plan_tiles,
    run_model,
    tile_starts,
)
from forcewatch.measure.objects.result import (
    DetectionFailure,
    DetectionResult,
    to_geojson,
    write_geojson,
    write_png,
)

from .conftest import MODEL_GSD_M, build_square_model, square_boxes, squares_image

UTM36N = "EPSG:32636"


def _png(path: Path, rgb: np.ndarray) -> Path:
    Image.fromarray(rgb).save(path)
    return path


def _geotiff(path: Path, bands: np.ndarray, gsd_m: float, dtype: str = "uint8") -> Path:
    """``bands``: (band, y, x). Origin 500 km E, 5.6 Mm N in UTM 36N (central Ukraine)."""
    count, height, width = bands.shape
    with rasterio.open(
        path, "w", driver="GTiff", width=width, height=height, count=count, dtype=dtype,
        crs=UTM36N, transform=from_origin(500_000.0, 5_600_000.0, gsd_m, gsd_m),
    ) as ds:  # fmt: skip
        ds.write(bands.astype(dtype))
    return path


def _random_squares(
    path: Path, width: int, height: int, n: int, seed: int
) -> tuple[Path, list[tuple[int, int]]]:
    """A PNG of ``n`` squares at random cells of a 20 px grid, and their origins."""
    rng = np.random.default_rng(seed)
    grid = [(x, y) for x in range(0, width - 12, 20) for y in range(0, height - 12, 20)]
    origins = [grid[i] for i in rng.choice(len(grid), n, replace=False)]
    return _png(path, squares_image(width, height, origins)), origins


def _sorted(result: DetectionResult) -> np.ndarray:
    b = result.boxes_px
    return b[np.lexsort((b[:, 0], b[:, 1]))]


def test_tile_starts_cover_the_axis_with_aligned_overlapping_tiles() -> None:
    starts = tile_starts(1000, 512, 64, align_px=4)
    assert starts[0] == 0 and starts[-1] + 512 >= 1000
    assert all(s % 4 == 0 for s in starts)
    assert all(b - a <= 512 - 64 for a, b in zip(starts, starts[1:], strict=False))
    assert tile_starts(100, 512, 64) == [0]


def test_tile_cores_partition_the_image() -> None:
    plan = plan_tiles(1000, 700, 1.0, 256, 32)
    xs = np.arange(0.5, 1000)
    ys = np.arange(0.5, 700)
    owners = np.zeros((len(ys), len(xs)), int)
    for _, (x0, x1), (y0, y1) in plan:
        owners += np.outer((ys >= y0) & (ys < y1), (xs >= x0) & (xs < x1))
    assert (owners == 1).all()


@pytest.mark.parametrize("nms_iou", [0.5, 1.0])  # 1.0: no NMS, tile ownership alone
def test_objects_on_tile_seams_are_counted_once(
    tmp_path: Path, square_model: Path, nms_iou: float
) -> None:
    # tiles of 64 px with 16 px overlap start at 0, 48, 96, ...: squares at x or y = 52
    # straddle a seam and are seen whole by two tiles
    origins = [(52, 8), (8, 52), (52, 52), (100, 100), (96, 140), (140, 96), (24, 148)]
    img = _png(tmp_path / "seams.png", squares_image(180, 170, origins))
    tiled = detect_image(img, square_model, tile_px=64, overlap_px=16, nms_iou=nms_iou)
    whole = detect_image(img, square_model, tile_px=192, overlap_px=0)
    assert tiled.params["tiles"] > 1 and whole.params["tiles"] == 1
    np.testing.assert_allclose(_sorted(tiled), square_boxes(origins))
    np.testing.assert_allclose(_sorted(whole), square_boxes(origins))
    assert tiled.counts == {"vehicle": len(origins)}


def test_many_random_objects_match_truth_whatever_the_tiling(
    tmp_path: Path, square_model: Path
) -> None:
    img, origins = _random_squares(tmp_path / "many.png", 400, 312, 60, seed=0)
    for tile, overlap, batch in [(64, 16, 1), (96, 32, 3), (128, 16, 8)]:
        res = detect_image(img, square_model, tile_px=tile, overlap_px=overlap, batch=batch)
        np.testing.assert_allclose(_sorted(res), square_boxes(origins))


def test_batched_and_tile_at_a_time_give_the_same_result(
    tmp_path: Path, square_model: Path
) -> None:
    origins = [(12, 12), (60, 44), (120, 100)]
    img = _png(tmp_path / "b.png", squares_image(200, 150, origins))
    a = detect_image(img, square_model, tile_px=64, overlap_px=16, batch=8, prefetch=True)
    b = detect_image(img, square_model, tile_px=64, overlap_px=16, batch=1, prefetch=False)
    np.testing.assert_array_equal(a.boxes_px, b.boxes_px)
    np.testing.assert_array_equal(a.scores, b.scores)


class _CentroidDetector:
    """A flip-equivariant stand-in for a model with real centre offsets: per 4 px cell, heat =
    mean red / 255, ``dx, dy`` = the red-weighted centroid within the cell (0..1, 0.5 when
    empty), ``w, h`` = the cell's red sum."""

    stride = 4

    def run(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n, _, h, w = images.shape
        s = self.stride
        red = images[:, 0].reshape(n, h // s, s, w // s, s)
        total = red.sum(axis=(2, 4))
        pos = (np.arange(s) + 0.5) / s
        safe = np.where(total > 0, total, 1.0)
        dx = np.where(total > 0, (red.sum(axis=2) * pos).sum(axis=-1) / safe, 0.5)
        dy = np.where(total > 0, (red.sum(axis=4) * pos[:, None]).sum(axis=2) / safe, 0.5)
        heat = (total / (s * s * 255.0))[:, None]
        return heat.astype(np.float32), np.stack([dx, dy, total, total], 1).astype(np.float32)


def test_flip_tta_maps_flipped_outputs_back_onto_the_tile() -> None:
    # for an equivariant model the mean over the flips equals the plain output, but only if
    # every flipped map and its centre offsets are mapped back correctly
    rng = np.random.default_rng(3)
    images = rng.uniform(0, 255, (2, 3, 32, 48)).astype(np.float32)
    images[:, :, :, 40:] = 0.0  # zero padding on one side, as an edge tile has
    det = _CentroidDetector()
    heat, box = run_model(det, images)  # type: ignore[arg-type]
    heat_t, box_t = run_model(det, images, tta=True)  # type: ignore[arg-type]
    assert not np.allclose(box[:, 0], 0.5)  # the offsets are not trivially symmetric
    np.testing.assert_allclose(heat_t, heat, rtol=1e-5)
    np.testing.assert_allclose(box_t, box, rtol=1e-5, atol=1e-5)


def test_detect_with_tta_finds_the_same_objects_and_uses_the_tta_threshold(
    tmp_path: Path, square_model: Path
) -> None:
    origins = [(12, 12), (52, 8), (120, 100)]
    img = _png(tmp_path / "t.png", squares_image(200, 150, origins))
    plain = detect_image(img, square_model, tile_px=64, overlap_px=16)
    flips = detect_image(img, square_model, tile_px=64, overlap_px=16, tta=True)
    np.testing.assert_allclose(_sorted(flips), _sorted(plain))
    assert flips.params["tta"] is True and flips.params["score_min"] == 0.9
    meta = json.loads(square_model.with_suffix(".json").read_text())
    info = ModelInfo.from_metadata({**meta, "score_min_tta": 0.8}, "squares")
    assert info.score_min_tta == 0.8 and ModelInfo.from_metadata(meta, "s").score_min_tta is None


def test_parallel_sessions_give_the_result_of_one_session(
    tmp_path: Path, square_model: Path
) -> None:
    img, origins = _random_squares(tmp_path / "p.png", 300, 220, 40, seed=1)
    one = detect_image(img, square_model, tile_px=64, overlap_px=16, batch=5, workers=1)
    for workers, tta in [(2, False), (3, False), (3, True)]:  # 3 does not divide a batch of 5
        res = detect_image(
            img, square_model, tile_px=64, overlap_px=16, batch=5, workers=workers, tta=tta
        )
        assert res.params["workers"] == workers and res.params["tiles"] > 5
        np.testing.assert_allclose(_sorted(res), _sorted(one))
        np.testing.assert_allclose(np.sort(res.scores), np.sort(one.scores), rtol=1e-6)
    with pytest.raises(InputError, match="workers"):
        detect_image(img, square_model, workers=0)
    # threads caps the default: one thread means one session
    assert detect_image(img, square_model, tile_px=64, threads=1).params["workers"] == 1


def test_gsd_given_rescales_to_model_gsd_and_boxes_return_in_image_pixels(
    tmp_path: Path, square_model: Path
) -> None:
    # image at 0.125 m: 24 px squares are 12 px at the model's 0.25 m
    origins = [(16, 16), (96, 48), (200, 152)]
    img = _png(tmp_path / "fine.png", squares_image(260, 200, origins, size_px=24))
    res = detect_image(img, square_model, gsd_m=0.125, tile_px=64, overlap_px=16)
    assert res.scale == pytest.approx(0.5)
    np.testing.assert_allclose(_sorted(res), square_boxes(origins, size_px=24), atol=1.0)


def test_geotiff_gsd_and_georeferencing_are_used(tmp_path: Path, square_model: Path) -> None:
    origins = [(16, 16), (96, 48)]
    rgb = squares_image(160, 120, origins, size_px=24)
    tif = _geotiff(tmp_path / "g.tif", rgb.transpose(2, 0, 1), gsd_m=0.125)
    res = detect_image(tif, square_model, tile_px=64, overlap_px=16)
    assert res.gsd_m == pytest.approx(0.125) and res.crs == UTM36N
    np.testing.assert_allclose(_sorted(res), square_boxes(origins, size_px=24), atol=1.0)
    to_wgs84 = Transformer.from_crs(UTM36N, "EPSG:4326", always_xy=True)
    for box, corners in zip(res.boxes_px, res.corners_lonlat, strict=True):
        x0, y0 = 500_000.0 + box[0] * 0.125, 5_600_000.0 - box[1] * 0.125
        lon, lat = to_wgs84.transform(x0, y0)
        np.testing.assert_allclose(corners[0], [lon, lat], atol=1e-9)
    gj = to_geojson(res)
    assert gj["features"][0]["geometry"]["type"] == "Polygon"
    assert 32 < gj["features"][0]["geometry"]["coordinates"][0][0][0] < 34  # lon in UTM 36


def test_16bit_geotiff_is_percentile_stretched(tmp_path: Path, square_model: Path) -> None:
    origins = [(20, 20), (72, 40)]
    mask = squares_image(120, 100, origins)[..., 0] > 0
    data = np.where(mask, 4000, 300).astype(np.uint16)
    tif = _geotiff(tmp_path / "u16.tif", np.stack([data] * 3), 0.25, "uint16")
    res = detect_image(tif, square_model, tile_px=64, overlap_px=16)
    np.testing.assert_allclose(_sorted(res), square_boxes(origins))


def test_16bit_png_is_read(tmp_path: Path, square_model: Path) -> None:
    origins = [(20, 20)]
    mask = squares_image(80, 60, origins)[..., 0] > 0
    path = tmp_path / "u16.png"
    Image.fromarray(np.where(mask, 60000, 1000).astype(np.uint16)).save(path)
    res = detect_image(path, square_model, tile_px=64, overlap_px=16)
    np.testing.assert_allclose(_sorted(res), square_boxes(origins))


def test_four_band_images_use_the_first_three_bands(tmp_path: Path, square_model: Path) -> None:
    origins = [(20, 20), (44, 32)]
    rgb = squares_image(96, 80, origins)
    nir = np.full(rgb.shape[:2], 255, np.uint8)  # a bright NIR band must not be read as red
    tif = _geotiff(tmp_path / "rgbn.tif", np.concatenate([rgb.transpose(2, 0, 1), nir[None]]), 0.25)
    res = detect_image(tif, square_model, tile_px=64, overlap_px=16)
    np.testing.assert_allclose(_sorted(res), square_boxes(origins))
    rgba = np.concatenate([rgb, np.full((80, 96, 1), 255, np.uint8)], axis=2)
    png = _png(tmp_path / "rgba.png", rgba)
    np.testing.assert_allclose(
        _sorted(detect_image(png, square_model, tile_px=64)), square_boxes(origins)
    )


def test_image_smaller_than_a_tile_is_padded(tmp_path: Path, square_model: Path) -> None:
    img = _png(tmp_path / "tiny.png", squares_image(20, 18, [(4, 4)]))
    res = detect_image(img, square_model, tile_px=64, overlap_px=16)
    np.testing.assert_allclose(res.boxes_px, square_boxes([(4, 4)]))


def test_blank_image_gives_no_detections(tmp_path: Path, square_model: Path) -> None:
    res = detect_image(_png(tmp_path / "black.png", np.zeros((50, 70, 3), np.uint8)), square_model)
    assert len(res) == 0 and res.counts == {"vehicle": 0}
    assert to_geojson(res)["features"] == []


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("empty.png", b""),
        ("garbage.tif", b"II*\x00 this is not a tiff at all" * 10),
        ("garbage.jpg", b"\xff\xd8\xff\xe0 nope"),
    ],
)
def test_corrupt_or_empty_files_raise_imagery_error(
    tmp_path: Path, square_model: Path, name: str, content: bytes
) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ImageryError):
        detect_image(tmp_path / name, square_model)


def test_truncated_png_raises_imagery_error(tmp_path: Path, square_model: Path) -> None:
    rng = np.random.default_rng(1)
    good = _png(tmp_path / "good.png", rng.integers(0, 255, (200, 200, 3), dtype=np.uint8))
    (tmp_path / "cut.png").write_bytes(good.read_bytes()[:5000])
    with pytest.raises(ImageryError, match="cut.png"):
        detect_image(tmp_path / "cut.png", square_model)


def test_missing_image_raises_imagery_error(tmp_path: Path, square_model: Path) -> None:
    with pytest.raises(ImageryError, match="not found"):
        detect_image(tmp_path / "nope.tif", square_model)


def test_file_that_is_not_onnx_raises_model_error(tmp_path: Path, square_model: Path) -> None:
    fake = tmp_path / "fake.onnx"
    fake.write_text("not a model")
    img = _png(tmp_path / "a.png", squares_image(40, 40, []))
    with pytest.raises(ModelError, match="not a usable ONNX"):
        detect_image(img, fake)
    with pytest.raises(ModelError, match="not found"):
        detect_image(img, tmp_path / "absent.onnx")


def test_model_with_wrong_input_shape_raises_model_error(tmp_path: Path) -> None:
    wrong = build_square_model(tmp_path / "one_band.onnx", channels=1)
    img = _png(tmp_path / "a.png", squares_image(40, 40, []))
    with pytest.raises(ModelError, match=r"expected float \(batch, 3, height, width\)"):
        detect_image(img, wrong)


def test_model_without_metadata_raises_model_error(tmp_path: Path) -> None:
    bare = build_square_model(tmp_path / "bare.onnx", metadata=False)
    with pytest.raises(ModelError, match="no ForceWatch metadata"):
        detect_image(_png(tmp_path / "a.png", squares_image(40, 40, [])), bare)


def test_bad_parameters_raise_input_error(tmp_path: Path, square_model: Path) -> None:
    img = _png(tmp_path / "a.png", squares_image(40, 40, []))
    with pytest.raises(InputError, match="multiple of 32"):
        detect_image(img, square_model, tile_px=100)
    with pytest.raises(InputError, match="overlap_px"):
        detect_image(img, square_model, tile_px=64, overlap_px=32)
    with pytest.raises(InputError, match="gsd_m"):
        detect_image(img, square_model, gsd_m=-1.0)


def test_batch_generator_continues_past_a_bad_file(tmp_path: Path, square_model: Path) -> None:
    good = _png(tmp_path / "good.png", squares_image(64, 64, [(20, 20)]))
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG broken")
    out = list(detect_images([good, bad, good], square_model, tile_px=64))
    assert [type(r) for r in out] == [DetectionResult, DetectionFailure, DetectionResult]
    failure = out[1]
    assert isinstance(failure, DetectionFailure) and failure.error == "ImageryError"
    assert "bad.png" in failure.message


def test_geojson_and_png_writers(tmp_path: Path, square_model: Path) -> None:
    img = _png(tmp_path / "a.png", squares_image(100, 80, [(20, 20), (60, 40)]))
    res = detect_image(img, square_model, tile_px=64)
    doc = json.loads(write_geojson(res, tmp_path / "a.geojson").read_text())
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 2
    props = doc["features"][0]["properties"]
    assert set(props) == {"bbox_px", "class", "score"} and props["class"] == "vehicle"
    assert doc["features"][0]["geometry"] is None  # PNG: pixel space only
    assert doc["forcewatch"]["counts"] == {"vehicle": 2}
    drawn = np.asarray(Image.open(write_png(res, tmp_path / "boxes.png")))
    assert drawn.shape == (80, 100, 3)
    assert tuple(drawn[20, 25]) == (255, 64, 64)  # top edge of the first box, class colour


def test_auto_gsd_estimates_the_scale_at_which_objects_look_like_training(
    tmp_path: Path, square_model: Path
) -> None:
    """The square detector scores 1.0 only where a square covers its 12 px window, so the
    estimate is the finest candidate GSD at which the squares are at least 12 model px (a
    little more after bilinear resampling softens their edges: within 1.5x)."""
    origins = [(16 + 40 * i, 20 + 48 * j) for i in range(5) for j in range(3)]
    native = squares_image(224, 160, origins)
    for factor in (1, 2, 3):  # the image at the model's GSD, then at 1/2 and 1/3 of it
        big = np.kron(native, np.ones((factor, factor, 1), np.uint8))
        png = _png(tmp_path / f"x{factor}.png", big)
        res = detect_image(png, square_model, gsd_m="auto", tile_px=64, overlap_px=16)
        true_gsd = MODEL_GSD_M / factor
        assert res.params["gsd_source"] == "estimated"
        assert true_gsd <= res.gsd_m <= true_gsd * 1.5, (factor, res.gsd_m)
        assert len(res.params["gsd_candidates"]) == len(GSD_STEPS)
        assert len(res) == len(origins), factor
    assert detect_image(png, square_model, tile_px=64).params["gsd_source"] == "model"
    given = detect_image(png, square_model, gsd_m=0.1, tile_px=64)
    assert (given.params["gsd_source"], given.gsd_m) == ("given", 0.1)
    with pytest.raises(InputError, match="auto"):
        detect_image(png, square_model, gsd_m="fine")


def test_auto_gsd_keeps_the_geotiffs_own_gsd(tmp_path: Path, square_model: Path) -> None:
    rgb = squares_image(128, 128, [(20, 20), (80, 60)]).transpose(2, 0, 1)
    tif = _geotiff(tmp_path / "sq.tif", rgb, gsd_m=MODEL_GSD_M)
    res = detect_image(tif, square_model, gsd_m="auto", tile_px=64, overlap_px=16)
    assert (res.params["gsd_source"], res.gsd_m, res.params["gsd_candidates"]) == (
        "image",
        MODEL_GSD_M,
        None,
    )


def test_an_image_far_coarser_than_the_model_is_refused(tmp_path: Path, square_model: Path) -> None:
    rgb = squares_image(120, 100, [(20, 20)])
    coarse = _geotiff(tmp_path / "s2.tif", rgb.transpose(2, 0, 1), gsd_m=10.0)
    # was thousands of "vehicles" on a Sentinel scene, read 40x enlarged
    with pytest.raises(InputError, match="too coarse"):
        detect_image(coarse, square_model, tile_px=64, overlap_px=16)
    fine_enough = _geotiff(tmp_path / "ok.tif", rgb.transpose(2, 0, 1), gsd_m=MODEL_GSD_M * 8)
    detect_image(fine_enough, square_model, tile_px=64, overlap_px=16)  # at the limit: read


def test_two_float_bands_are_a_radar_product_not_an_image(
    tmp_path: Path, square_model: Path
) -> None:
    vv_vh = np.random.default_rng(0).gamma(4.4, 0.025, (2, 80, 80)).astype(np.float32)
    path = _geotiff(tmp_path / "s1.tif", vv_vh, gsd_m=0.25, dtype="float32")
    with pytest.raises(ImageryError, match="radar"):
        detect_image(path, square_model, tile_px=64, overlap_px=16)
