"""Tiled, batched object detection with ONNX Runtime.

An image of any size is read in windows (``raster.py``), resampled to the model's GSD when the
image's GSD is known, cut into overlapping tiles, run through the model a batch at a time, and
decoded. Merging across tiles: each tile keeps only the objects whose centre lies in its core
(the tile minus half the overlap towards each neighbour), so an object on a seam is kept by
exactly one tile, which sees it whole when it is no larger than the overlap; a final
class-agnostic NMS removes residual duplicates.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from forcewatch.errors import InputError, ModelError
from forcewatch.measure.objects.decode import decode_heatmap, nms
from forcewatch.measure.objects.raster import ImageSource, open_image
from forcewatch.measure.objects.result import DetectionFailure, DetectionResult

log = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).parent / "models"
DEFAULT_MODEL = MODELS_DIR / "forcewatch-vehicles-v1.onnx"
DEFAULT_OVERLAP_PX = 64
DEFAULT_BATCH = 8
#: An image coarser than this many times the model's GSD is refused: upsampling cannot make
#: vehicles of a pixel or two detectable (10 m Sentinel pixels gave thousands of "vehicles").
MAX_UPSCALE = 8.0
#: ``gsd_m="auto"``: candidate image GSDs as multiples of the model's (steps of 1.25, from
#: 1/7.5 to 2.4 times), the central window the estimate looks at (image pixels per side), the
#: detections kept for it (score >= ESTIMATE_SCORE_MIN) and how many of the best count.
GSD_STEPS = tuple(float(1.25**k) for k in range(-9, 5))
ESTIMATE_WINDOW_PX = 2048
ESTIMATE_SCORE_MIN = 0.05
ESTIMATE_TOP = 3


@dataclass(frozen=True)
class ModelInfo:
    """What inference needs from a model's metadata. ``gsd_m``: metres per pixel the model
    was trained at (None: run images at their own scale); ``tile_px``: default tile side;
    ``multiple_px``: tiles must be multiples of it; ``stride_px``: output cell size."""

    name: str
    classes: tuple[str, ...]
    gsd_m: float | None
    tile_px: int
    multiple_px: int
    stride_px: int
    score_min: float
    metadata: dict[str, Any]
    score_min_tta: float | None = None

    @classmethod
    def from_metadata(cls, meta: dict[str, Any], source: str) -> ModelInfo:
        """Parse ForceWatch model metadata; ``ModelError`` if a field is missing or wrong."""
        try:
            inp = meta.get("input", {})
            return cls(
                name=str(meta["name"]),
                classes=tuple(str(c) for c in meta["classes"]),
                gsd_m=float(meta["gsd_m"]) if meta.get("gsd_m") else None,
                tile_px=int(inp.get("tile_px", 512)),
                multiple_px=int(inp.get("multiple_of_px", 32)),
                stride_px=int(meta.get("output_stride_px", 4)),
                score_min=float(meta.get("score_min", 0.3)),
                metadata=meta,
                score_min_tta=(
                    float(meta["score_min_tta"]) if meta.get("score_min_tta") is not None else None
                ),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"{source}: model metadata incomplete ({exc!r})") from exc


class Detector:
    """An ONNX Runtime session with its metadata; load once (``load_model``), use many times."""

    def __init__(self, path: Path, session: Any, info: ModelInfo) -> None:
        self.path = path
        self.session = session
        self.info = info
        self.input_name = session.get_inputs()[0].name
        self.output_names = [o.name for o in session.get_outputs()]

    def run(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(n, 3, h, w)`` float32 RGB 0..255 -> heatmap ``(n, C, h/s, w/s)``, box
        ``(n, 4, h/s, w/s)``."""
        heat, box = self.session.run(self.output_names, {self.input_name: images})
        return heat, box

    def replicas(self, n: int) -> list[Detector]:
        """``n`` single-threaded copies of this detector (created once, then reused), for
        data-parallel inference: on CPU, one tile per core on separate sessions runs ~1.4x
        faster than one session spreading each tile over the cores (measured: 7.2 vs 10.0 ms
        per 512 px tile on 2 cores; the small layers of a compact model leave intra-op threads
        waiting on each other)."""
        made: list[Detector] = self.__dict__.setdefault("_replicas", [])
        while len(made) < n:
            made.append(Detector(self.path, _new_session(self.path, threads=1), self.info))
        return made[:n]


#: Test-time augmentation: the three flips run besides the tile itself, as numpy axes of an
#: ``(n, c, h, w)`` batch.
TTA_FLIPS: tuple[tuple[int, ...], ...] = ((3,), (2,), (2, 3))


def run_model(
    det: Detector, images: np.ndarray, tta: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """``det.run``, or with ``tta`` the mean of the outputs on the tile and its three flips
    (left-right, up-down, both), each flipped back (CenterNet's flip testing, extended to the
    vertical axis: an overhead scene has no "up"). Heatmaps are averaged cell by cell; the
    centre offsets of a flipped pass become ``1 - offset`` on the flipped-back axis (the cell
    ``c`` of a flipped map is cell ``w - 1 - c`` of the tile, its centre ``c + d`` is at
    ``(w - 1 - c) + (1 - d)``); sizes are averaged as they are. Four times the inference time.
    Tile sides are multiples of the output stride, so the flipped grids coincide."""
    heat, box = det.run(images)
    if not tta:
        return heat, box
    heat_sum, box_sum = heat.astype(np.float32), box.astype(np.float32)
    for axes in TTA_FLIPS:
        h, b = det.run(np.ascontiguousarray(np.flip(images, axes)))
        b = np.flip(b, axes).copy()
        if 3 in axes:
            b[:, 0] = 1.0 - b[:, 0]
        if 2 in axes:
            b[:, 1] = 1.0 - b[:, 1]
        heat_sum += np.flip(h, axes)
        box_sum += b
    n = 1 + len(TTA_FLIPS)
    return heat_sum / n, box_sum / n


def _read_metadata(path: Path, session: Any) -> dict[str, Any]:
    sidecar = path.with_suffix(".json")
    try:
        if sidecar.exists():
            return dict(json.loads(sidecar.read_text()))
        embedded = session.get_modelmeta().custom_metadata_map.get("forcewatch")
        if embedded:
            return dict(json.loads(embedded))
    except json.JSONDecodeError as exc:
        raise ModelError(f"model metadata of {path} is not valid JSON: {exc}") from exc
    raise ModelError(
        f"{path} has no ForceWatch metadata",
        hint=f"put a {sidecar.name} with name, classes, gsd_m next to it",
    )


def _check_io(session: Any, info: ModelInfo, path: Path) -> None:
    """The graph must take ``(N, 3, H, W)`` float and give heatmap ``(N, C, h, w)`` and box
    ``(N, 4, h, w)``; raise ``ModelError`` naming what differs."""
    inputs, outputs = session.get_inputs(), session.get_outputs()
    if len(inputs) != 1:
        raise ModelError(f"{path}: expected one input, found {len(inputs)}")
    shape = list(inputs[0].shape)
    if len(shape) != 4 or shape[1] != 3 or inputs[0].type != "tensor(float)":
        raise ModelError(
            f"{path}: input {inputs[0].name} is {inputs[0].type} {shape}, expected float "
            "(batch, 3, height, width)"
        )
    for dim in shape[2:]:
        if isinstance(dim, int) and dim != info.tile_px:
            raise ModelError(f"{path}: fixed input size {shape[2:]} differs from tile_px")
    if len(outputs) != 2:
        raise ModelError(f"{path}: expected outputs heatmap and box, found {len(outputs)}")
    for out, channels in zip(outputs, (len(info.classes), 4), strict=True):
        oshape = list(out.shape)
        if len(oshape) != 4 or (isinstance(oshape[1], int) and oshape[1] != channels):
            raise ModelError(
                f"{path}: output {out.name} has shape {oshape}, expected (batch, {channels}, h, w)"
            )


def _new_session(path: Path, threads: int | None) -> Any:
    """An ONNX Runtime CPU session of ``path`` with ``threads`` intra-op threads (None: its
    default, all cores; 1 also runs graph branches one at a time)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    if threads is not None:
        opts.intra_op_num_threads = threads
    if threads == 1:
        opts.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own unexported exception types
        raise ModelError(f"{path} is not a usable ONNX model: {exc}") from exc


def load_model(
    model: str | Path | Detector | None = None, *, threads: int | None = None
) -> Detector:
    """Load a detector: None -> the shipped model; a path -> that ``.onnx`` (metadata from
    ``<same name>.json`` or embedded). ``threads``: ONNX Runtime intra-op threads (None: its
    default, all cores). Raises ``ModelError`` if the file is missing, not ONNX, or its inputs
    and outputs are not those of a ForceWatch detector."""
    if isinstance(model, Detector):
        return model
    path = Path(model) if model is not None else DEFAULT_MODEL
    if not path.is_file():
        raise ModelError(f"model file {path} not found")
    session = _new_session(path, threads)
    info = ModelInfo.from_metadata(_read_metadata(path, session), str(path))
    _check_io(session, info, path)
    return Detector(path, session, info)


@dataclass(frozen=True)
class Tile:
    """One tile: its origin in model pixels, the source window it is read from (image
    pixels), and the size that window is resampled to (``out_w`` x ``out_h`` <= tile)."""

    x_model: int
    y_model: int
    col_off: int
    row_off: int
    width: int
    height: int
    out_w: int
    out_h: int


def tile_starts(size_px: int, tile_px: int, overlap_px: int, align_px: int = 1) -> list[int]:
    """Tile origins along one axis of ``size_px``: every ``tile - overlap`` (rounded down to
    ``align_px``), the last tile reaching the end (a single tile when the axis is shorter than
    a tile). Origins are multiples of ``align_px`` (the model's output stride), so every tile
    puts the output grid at the same place and overlapping tiles agree."""
    if size_px <= tile_px:
        return [0]
    step = max(align_px, (tile_px - overlap_px) // align_px * align_px)
    last = math.ceil((size_px - tile_px) / align_px) * align_px
    return sorted({*range(0, last, step), last})


def core_bounds(starts: list[int], size_px: int, tile_px: int) -> list[tuple[float, float]]:
    """Per tile, the ``[lo, hi)`` range (model pixels) whose object centres it owns: halfway
    into each overlap with a neighbour, unbounded at the image edges."""
    ends = [min(s + tile_px, size_px) for s in starts]
    cuts = [(ends[k] + starts[k + 1]) / 2 for k in range(len(starts) - 1)]
    return list(zip([-math.inf, *cuts], [*cuts, math.inf], strict=True))


def plan_tiles(
    width_px: int, height_px: int, scale: float, tile_px: int, overlap_px: int, align_px: int = 4
) -> list[tuple[Tile, tuple[float, float], tuple[float, float]]]:
    """Tiles covering an image of ``width_px`` x ``height_px`` at ``scale`` model pixels per
    image pixel, with the core bounds of each: ``list[(Tile, (x_lo, x_hi), (y_lo, y_hi))]``."""
    wm, hm = max(1, round(width_px * scale)), max(1, round(height_px * scale))
    xs = tile_starts(wm, tile_px, overlap_px, align_px)
    ys = tile_starts(hm, tile_px, overlap_px, align_px)
    xcore, ycore = core_bounds(xs, wm, tile_px), core_bounds(ys, hm, tile_px)
    plan = []
    for y0, yc in zip(ys, ycore, strict=True):
        for x0, xc in zip(xs, xcore, strict=True):
            c0 = min(width_px - 1, int(math.floor(x0 / scale)))
            r0 = min(height_px - 1, int(math.floor(y0 / scale)))
            c1 = min(width_px, math.ceil(min(x0 + tile_px, wm) / scale))
            r1 = min(height_px, math.ceil(min(y0 + tile_px, hm) / scale))
            out_w = min(tile_px, max(1, round((c1 - c0) * scale)))
            out_h = min(tile_px, max(1, round((r1 - r0) * scale)))
            plan.append((Tile(x0, y0, c0, r0, c1 - c0, r1 - r0, out_w, out_h), xc, yc))
    return plan


def _read_batch(src: ImageSource, tiles: list[Tile], tile_px: int) -> np.ndarray:
    """Tiles as ``(n, 3, tile, tile)`` float32, zero-padded right and bottom."""
    batch = np.zeros((len(tiles), 3, tile_px, tile_px), dtype=np.float32)
    for i, t in enumerate(tiles):
        rgb = src.read_rgb(t.col_off, t.row_off, t.width, t.height, t.out_w, t.out_h)
        batch[i, :, : t.out_h, : t.out_w] = rgb.transpose(2, 0, 1)
    return batch


def _cpus() -> int:
    """CPUs this process may run on (a container's or ``taskset``'s limit, not the machine's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_score_min(info: ModelInfo, tta: bool = False) -> float:
    """The model's score threshold: ``score_min_tta`` with test-time flips when it has one
    (averaged heatmaps score lower than single passes), else ``score_min``."""
    if tta and info.score_min_tta is not None:
        return info.score_min_tta
    return info.score_min


def _check_params(tile_px: int, overlap_px: int, batch: int, score_min: float, multiple: int):
    if tile_px < multiple or tile_px % multiple:
        raise InputError(f"tile_px={tile_px} must be a positive multiple of {multiple}")
    if not 0 <= overlap_px < tile_px // 2:
        raise InputError(f"overlap_px={overlap_px} must be in [0, tile_px / 2)")
    if batch < 1:
        raise InputError(f"batch={batch} must be at least 1")
    if not 0 < score_min <= 1:
        raise InputError(f"score_min={score_min} must be in (0, 1]")


def _lonlat_corners(boxes: np.ndarray, transform: tuple[float, ...], crs: str) -> np.ndarray:
    """Box corners (TL, TR, BR, BL) through the affine ``transform`` into EPSG:4326."""
    from rasterio.warp import transform as warp

    a, b, c, d, e, f = transform[:6]
    cols = boxes[:, [0, 2, 2, 0]].ravel()
    rows = boxes[:, [1, 1, 3, 3]].ravel()
    xs, ys = a * cols + b * rows + c, d * cols + e * rows + f
    if len(xs) == 0:
        return np.zeros((0, 4, 2))
    lon, lat = warp(crs, "EPSG:4326", xs.tolist(), ys.tolist())
    return np.stack([np.array(lon), np.array(lat)], axis=1).reshape(-1, 4, 2)


@dataclass(frozen=True)
class GsdEstimate:
    """``gsd_m="auto"`` on an image that does not state its GSD: the candidate whose
    detections are most confident (mean score of the ``ESTIMATE_TOP`` best), and the criterion
    at every candidate (``(gsd_m, criterion)``, for plots and for judging how sharp the peak is).
    """

    gsd_m: float
    candidates: tuple[tuple[float, float], ...]
    window_px: tuple[int, int, int, int]  # col_off, row_off, width, height


class _Window:
    """A window of an ``ImageSource`` as an image of its own (for the GSD estimate)."""

    crs: str | None = None
    transform: tuple[float, ...] | None = None
    gsd_m: float | None = None

    def __init__(self, src: ImageSource, col_off: int, row_off: int, width: int, height: int):
        self.src, self.path, self.col0, self.row0 = src, src.path, col_off, row_off
        self.width_px, self.height_px = width, height

    def close(self) -> None:
        """The window does not own its source."""

    def read_rgb(
        self, col_off: int, row_off: int, width: int, height: int, out_w: int, out_h: int
    ) -> np.ndarray:
        return self.src.read_rgb(
            self.col0 + col_off, self.row0 + row_off, width, height, out_w, out_h
        )


def estimate_gsd(
    src: ImageSource,
    det: Detector,
    tile_px: int,
    overlap_px: int,
    batch: int = DEFAULT_BATCH,
    *,
    prefetch: bool = True,
    tta: bool = False,
    workers: int = 1,
) -> GsdEstimate:
    """The image's GSD as the candidate (``GSD_STEPS`` times the model's) at which the model's
    ``ESTIMATE_TOP`` best detections in the central ``ESTIMATE_WINDOW_PX`` window score
    highest: objects look most like the training data at the right scale. Within 1.5x of the
    GSD the labels imply for 34 of 35 ``armour/`` training and 10 of 15 held-out screenshots,
    but only 10 of 25 frames of the held-out KIT streets, where it is far too coarse
    (docs/detection.md, ``bench/detect.py gsd``). Unreliable where the window holds no
    vehicles (nothing peaks); ``InputError`` if the model has no GSD."""
    if det.info.gsd_m is None:
        raise InputError(
            f"model {det.info.name} records no training GSD, so gsd_m='auto' cannot estimate "
            "one: give the image's GSD in metres"
        )
    w, h = min(src.width_px, ESTIMATE_WINDOW_PX), min(src.height_px, ESTIMATE_WINDOW_PX)
    col0, row0 = (src.width_px - w) // 2, (src.height_px - h) // 2
    window = _Window(src, col0, row0, w, h)
    rows = []
    for step in GSD_STEPS:
        plan = plan_tiles(w, h, step, tile_px, overlap_px, det.info.stride_px)
        boxes, scores, _ = _run_tiles(
            det, window, plan, tile_px, batch, ESTIMATE_SCORE_MIN, step, prefetch, tta, workers
        )
        best = np.sort(scores[nms(boxes, scores, 0.5)])[::-1][:ESTIMATE_TOP]
        rows.append((det.info.gsd_m * step, float(best.sum()) / ESTIMATE_TOP))
    gsd = max(rows, key=lambda r: r[1])[0]
    return GsdEstimate(gsd, tuple(rows), (col0, row0, w, h))


def detect_image(
    path: str | Path,
    model: str | Path | Detector | None = None,
    gsd_m: float | str | None = None,
    tile_px: int | None = None,
    overlap_px: int | None = None,
    batch: int = DEFAULT_BATCH,
    score_min: float | None = None,
    *,
    nms_iou: float = 0.5,
    bands: tuple[int, ...] | None = None,
    prefetch: bool = True,
    threads: int | None = None,
    tta: bool = False,
    workers: int | None = None,
) -> DetectionResult:
    """Detect objects in one image (GeoTIFF or any GDAL raster, PNG, JPEG) of any size.

    ``gsd_m``: the image's metres per pixel, overriding the GeoTIFF's; when known, the image is
    resampled to the model's GSD. None: the image's own GSD, else the model's (no resampling).
    ``"auto"``: the image's own GSD, else estimated (``estimate_gsd``; 14 passes over a central
    window, so slower); the result's ``params["gsd_source"]`` says which (``"given"``,
    ``"image"``, ``"estimated"``, ``"model"``). ``tile_px`` (model pixels, default from the
    model), ``overlap_px`` (model pixels; objects up to this size on a seam are seen whole;
    default ``min(64, tile_px // 4)``), ``batch`` tiles per ONNX Runtime call, ``score_min``
    (default from the model), ``nms_iou`` for the final class-agnostic merge, ``bands`` (1-based
    RGB band numbers), ``prefetch`` (read the next batch while the model runs), ``threads``
    (ONNX Runtime threads), ``tta``: test-time flips (``run_model``; 4x the inference time,
    higher AP; ``score_min`` then defaults to the model's ``score_min_tta`` when it records
    one), ``workers``: single-threaded model sessions that share each batch, one tile at a time
    each (default when ``batch > 1``: ``threads`` if given, else the CPUs available, at most
    ``batch``; 1 when ``batch == 1``; ``workers=1`` runs every batch on the loaded session and
    its ``threads``).

    Raises ``ImageryError`` (unreadable, empty, corrupt image), ``ModelError``, ``InputError``
    (bad parameters).
    """
    det = load_model(model, threads=threads)
    info = det.info
    tile = tile_px or info.tile_px
    score = default_score_min(info, tta) if score_min is None else score_min
    if overlap_px is None:
        overlap_px = min(DEFAULT_OVERLAP_PX, tile // 4)
    _check_params(tile, overlap_px, batch, score, info.multiple_px)
    if workers is None:
        workers = min(threads or _cpus(), batch) if batch > 1 else 1
    elif workers < 1:
        raise InputError(f"workers={workers} must be at least 1")
    auto = gsd_m == "auto"
    if not auto and gsd_m is not None and not (isinstance(gsd_m, int | float) and gsd_m > 0):
        raise InputError(f"gsd_m={gsd_m!r} must be positive (metres per pixel) or 'auto'")
    src = open_image(path, bands)
    width_px, height_px = src.width_px, src.height_px  # (an in-memory source forgets on close)
    estimate: GsdEstimate | None = None
    try:
        image_gsd = None if auto else gsd_m
        source = "given" if image_gsd is not None else "image"
        if image_gsd is None:
            image_gsd = src.gsd_m
        if image_gsd is None and auto:
            estimate = estimate_gsd(
                src, det, tile, overlap_px, batch, prefetch=prefetch, tta=tta, workers=workers
            )
            image_gsd, source = estimate.gsd_m, "estimated"
        if image_gsd is None:
            source = "model"
        scale = float(image_gsd) / info.gsd_m if image_gsd and info.gsd_m else 1.0
        if scale > MAX_UPSCALE and source != "estimated" and info.gsd_m is not None:
            raise InputError(
                f"{path}: {float(image_gsd):.3g} m per pixel is too coarse for {info.name} "
                f"(trained at {info.gsd_m:.3g} m; at most {MAX_UPSCALE * info.gsd_m:.3g} m): a car "
                "would be 2 pixels or less; use sharper imagery, or give --gsd-m if the image "
                "states a wrong one (Sentinel scenes: ingest + analyze)"
            )
        plan = plan_tiles(src.width_px, src.height_px, scale, tile, overlap_px, info.stride_px)
        boxes, scores, classes = _run_tiles(
            det, src, plan, tile, batch, score, scale, prefetch, tta, workers
        )
    finally:
        src.close()
    keep = nms(boxes, scores, nms_iou)
    boxes, scores, classes = boxes[keep], scores[keep], classes[keep]
    corners = None
    if src.transform is not None and src.crs is not None:
        corners = _lonlat_corners(boxes, src.transform, src.crs)
    return DetectionResult(
        image_path=str(path),
        width_px=width_px,
        height_px=height_px,
        boxes_px=boxes,
        class_ids=classes,
        scores=scores,
        class_names=info.classes,
        model_name=info.name,
        crs=src.crs,
        gsd_m=None if image_gsd is None else float(image_gsd),
        scale=scale,
        corners_lonlat=corners,
        params={
            "tile_px": tile,
            "overlap_px": overlap_px,
            "batch": batch,
            "score_min": score,
            "nms_iou": nms_iou,
            "tiles": len(plan),
            "tta": tta,
            "workers": workers,
            "gsd_source": source,
            "gsd_candidates": None if estimate is None else [list(c) for c in estimate.candidates],
        },  # fmt: skip
    )


def _run_tiles(
    det: Detector,
    src: ImageSource,
    plan: list,
    tile_px: int,
    batch: int,
    score_min: float,
    scale: float,
    prefetch: bool,
    tta: bool = False,
    workers: int = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run every tile of ``plan``; boxes in image pixels, each owned by one tile.

    Tiles are read ``batch`` at a time (the next batch in a background thread when
    ``prefetch``). With ``workers == 1`` each batch is one call of the loaded session. With
    more, every tile goes to a pool of single-threaded sessions (``Detector.replicas``), up to
    two batches in flight, and tiles are decoded in order as they come back, so the sessions
    never wait for the decoding or for each other."""
    groups = [plan[i : i + batch] for i in range(0, len(plan), batch)]
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def keep(item: tuple, heat: np.ndarray, box: np.ndarray) -> None:
        t, xc, yc = item
        bx, sc, cl = decode_heatmap(heat, box, det.info.stride_px, score_min)
        fx, fy = t.width / t.out_w, t.height / t.out_h
        bx = bx * np.array([fx, fy, fx, fy]) + np.array([t.col_off, t.row_off] * 2)
        cx, cy = (bx[:, 0] + bx[:, 2]) / 2, (bx[:, 1] + bx[:, 3]) / 2
        # centres in the zero padding beyond the image are not objects
        inside = (cx >= 0) & (cx < src.width_px) & (cy >= 0) & (cy < src.height_px)
        cx, cy = cx * scale, cy * scale
        own = inside & (cx >= xc[0]) & (cx < xc[1]) & (cy >= yc[0]) & (cy < yc[1])
        found.append((bx[own], sc[own], cl[own]))

    def read(group: list) -> np.ndarray:
        return _read_batch(src, [t for t, _, _ in group], tile_px)

    pool = ThreadPoolExecutor(max_workers=1) if prefetch else None
    infer_pool = ThreadPoolExecutor(max_workers=workers) if workers > 1 else None
    idle = list(det.replicas(workers)) if infer_pool is not None else []
    local = threading.local()

    def run_one(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        runner = getattr(local, "runner", None)
        if runner is None:  # each pool thread takes a session of its own, once
            runner = local.runner = idle.pop()
        heat, box = run_model(runner, image, tta)
        return heat[0], box[0]

    in_flight: deque[tuple[tuple, Future[tuple[np.ndarray, np.ndarray]]]] = deque()
    try:
        pending: Future[np.ndarray] | None = pool.submit(read, groups[0]) if pool else None
        for k, group in enumerate(groups):
            if pool is not None and pending is not None:
                images = pending.result()
                pending = pool.submit(read, groups[k + 1]) if k + 1 < len(groups) else None
            else:
                images = read(group)
            if infer_pool is None:
                heat, box = run_model(det, images, tta)
                for item, h, b in zip(group, heat, box, strict=True):
                    keep(item, h, b)
                continue
            for i, item in enumerate(group):
                in_flight.append((item, infer_pool.submit(run_one, images[i : i + 1])))
            while len(in_flight) > batch:
                item, fut = in_flight.popleft()
                keep(item, *fut.result())
        while in_flight:
            item, fut = in_flight.popleft()
            keep(item, *fut.result())
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if infer_pool is not None:
            infer_pool.shutdown(wait=True, cancel_futures=True)
    if not found:
        return np.zeros((0, 4)), np.zeros(0, np.float32), np.zeros(0, np.int64)
    boxes = np.concatenate([f[0] for f in found])
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, src.width_px)
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, src.height_px)
    scores = np.concatenate([f[1] for f in found])
    classes = np.concatenate([f[2] for f in found])
    return boxes, scores, classes


def detect_images(
    paths: Iterable[str | Path],
    model: str | Path | Detector | None = None,
    **kwargs: Any,
) -> Iterator[DetectionResult | DetectionFailure]:
    """``detect_image`` over many images with one loaded model, yielding as it goes. An image
    that cannot be read yields a ``DetectionFailure`` and the batch continues; a model problem
    raises ``ModelError`` before the first image. ``kwargs`` as for ``detect_image``."""
    det = load_model(model, threads=kwargs.pop("threads", None))
    for path in paths:
        try:
            yield detect_image(path, det, **kwargs)
        except ModelError:
            raise
        except InputError as exc:
            log.info("skipping %s: %s", path, exc)  # the caller reports it
            yield DetectionFailure(str(path), type(exc).__name__, str(exc))
