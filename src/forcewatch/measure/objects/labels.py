"""Label readers (YOLO, DOTA, COCO) into one internal format, ``ImageLabels``.

Internal format: axis-aligned boxes ``(n, 4)`` float64 ``x0, y0, x1, y1`` in pixels of the
original image (origin top-left, x to the right, y down; ``x1``/``y1`` exclusive edges), a class
name per box, and a ``difficult`` flag per box (DOTA's; always False for YOLO and COCO).

Out-of-range coordinates: boxes that overshoot the image by at most ``tolerance`` (a fraction
of the image side, default 2 %) are clipped to the image, since annotation tools routinely
produce such boxes; anything further out, or a box with no area, raises ``InputError`` naming
the file and line. DOTA oriented boxes (8 corners) become the enclosing axis-aligned box.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from forcewatch.errors import InputError

LABEL_FORMATS = ("yolo", "dota", "coco")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
DEFAULT_TOLERANCE = 0.02

#: Classes of the shipped model.
MODEL_CLASSES = ("small-vehicle", "large-vehicle", "aircraft")

#: Source class name (lower case) -> model class. Names absent here are dropped.
#: Tanks and other armour become ``large-vehicle``: from overhead at 0.25-0.5 m a tank is a
#: 7-10 m vehicle, closer to a truck than a car, and our data cannot tell armour from trucks.
DEFAULT_CLASS_MAP: Mapping[str, str] = {
    "car": "small-vehicle",
    "minibus": "small-vehicle",
    "van": "small-vehicle",
    "small-vehicle": "small-vehicle",
    "vehicle": "small-vehicle",
    "truck": "large-vehicle",
    "bus": "large-vehicle",
    "tank": "large-vehicle",
    "armour": "large-vehicle",
    "armor": "large-vehicle",
    "large-vehicle": "large-vehicle",
    "plane": "aircraft",
    "airplane": "aircraft",
    "aircraft": "aircraft",
    "helicopter": "aircraft",
}


@dataclass(frozen=True)
class ImageLabels:
    """Ground-truth boxes of one image.

    ``boxes_px``: float64 ``(n, 4)`` ``x0, y0, x1, y1`` in image pixels. ``classes``: one name
    per box. ``difficult``: bool ``(n,)``. ``gsd_m``: ground sampling distance in metres per
    pixel when the label file states it (DOTA header), else None.
    """

    image_path: Path
    width_px: int
    height_px: int
    boxes_px: np.ndarray
    classes: tuple[str, ...]
    difficult: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    gsd_m: float | None = None

    def __post_init__(self) -> None:
        if len(self.difficult) != len(self.classes):
            object.__setattr__(self, "difficult", np.zeros(len(self.classes), dtype=bool))

    def __len__(self) -> int:
        return len(self.classes)

    def counts(self) -> dict[str, int]:
        """Number of boxes per class name."""
        names, n = np.unique(np.array(self.classes, dtype=object), return_counts=True)
        return {str(k): int(v) for k, v in zip(names, n, strict=True)}


def _text(path: Path) -> str:
    """A label file's text; a file that is not UTF-8 text is refused by name."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text label file (not UTF-8); remove or fix it") from None


def image_size(path: Path) -> tuple[int, int]:
    """``(width_px, height_px)`` of an image, read from its header only."""
    try:
        with Image.open(path) as im:
            return int(im.size[0]), int(im.size[1])
    except (OSError, UnidentifiedImageError) as exc:
        raise InputError(f"cannot read image size of {path}: {exc}") from exc


def _check_and_clip(
    boxes: np.ndarray, width_px: int, height_px: int, tolerance: float, where: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """Clip boxes within ``tolerance`` of the image; raise ``InputError`` for worse ones.

    Returns the clipped boxes and a keep mask (False where clipping left no area)."""
    if len(boxes) == 0:
        return np.zeros((0, 4), dtype=np.float64), np.zeros(0, dtype=bool)
    tol = np.array([-tolerance * width_px, -tolerance * height_px])
    hi = np.array([(1 + tolerance) * width_px, (1 + tolerance) * height_px])
    bad = (
        np.any(boxes[:, :2] < tol, axis=1)
        | np.any(boxes[:, 2:] > hi, axis=1)
        | (boxes[:, 2] <= boxes[:, 0])
        | (boxes[:, 3] <= boxes[:, 1])
        | ~np.all(np.isfinite(boxes), axis=1)
    )
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(
            f"{where[i]}: box {boxes[i].round(2).tolist()} is empty or outside the "
            f"{width_px}x{height_px} image by more than {tolerance:.0%}",
            hint="fix the label file, or raise the tolerance if the overshoot is intended",
        )
    out = boxes.copy()
    out[:, [0, 2]] = out[:, [0, 2]].clip(0, width_px)
    out[:, [1, 3]] = out[:, [1, 3]].clip(0, height_px)
    keep = (out[:, 2] > out[:, 0]) & (out[:, 3] > out[:, 1])
    return out, keep


def read_yolo_classes(path: Path) -> tuple[str, ...]:
    """Class names from a YOLO ``classes.txt`` / ``obj.names`` (one per line)."""
    return tuple(line.strip() for line in _text(path).splitlines() if line.strip())


def read_yolo(
    label_path: str | Path,
    image_path: str | Path,
    class_names: Sequence[str],
    *,
    tolerance: float = DEFAULT_TOLERANCE,
) -> ImageLabels:
    """Read a YOLO label file: one ``class_id cx cy w h`` line per box, normalised to 0..1.

    A missing label file means an image with no objects. Raises ``InputError`` on a malformed
    line, an unknown class id, or a box out of range beyond ``tolerance``.
    """
    label_path, image_path = Path(label_path), Path(image_path)
    width_px, height_px = image_size(image_path)
    rows: list[list[float]] = []
    where: list[str] = []
    text = _text(label_path) if label_path.exists() else ""
    for n, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        try:
            if len(parts) != 5:
                raise ValueError(f"expected 5 fields, got {len(parts)}")
            vals = [float(p) for p in parts]
            cid = int(parts[0])
        except ValueError as exc:
            raise InputError(f"{label_path}:{n}: malformed YOLO line {line!r} ({exc})") from exc
        if not 0 <= cid < len(class_names):
            raise InputError(
                f"{label_path}:{n}: class id {cid} not in classes.txt ({len(class_names)} names)"
            )
        rows.append(vals)
        where.append(f"{label_path}:{n}")
    arr = np.array(rows, dtype=np.float64).reshape(-1, 5)
    cx, cy, w, h = arr[:, 1] * width_px, arr[:, 2] * height_px, arr[:, 3], arr[:, 4]
    boxes = np.stack(
        [
            cx - w * width_px / 2,
            cy - h * height_px / 2,
            cx + w * width_px / 2,
            cy + h * height_px / 2,
        ],
        axis=1,
    )
    names = [class_names[int(c)] for c in arr[:, 0]]
    return _make(image_path, width_px, height_px, boxes, names, None, None, tolerance, where)


def _make(
    image_path: Path,
    width_px: int,
    height_px: int,
    boxes: np.ndarray,
    names: Sequence[str],
    difficult: np.ndarray | None,
    gsd_m: float | None,
    tolerance: float,
    where: Sequence[str],
) -> ImageLabels:
    """Validate, clip and build an ``ImageLabels`` (dropping boxes clipped to nothing)."""
    boxes = boxes.reshape(-1, 4)
    diff = np.zeros(len(boxes), dtype=bool) if difficult is None else difficult
    clipped, keep = _check_and_clip(boxes, width_px, height_px, tolerance, where)
    kept_names = tuple(n for n, k in zip(names, keep, strict=True) if k)
    return ImageLabels(
        image_path, width_px, height_px, clipped[keep], kept_names, diff[keep], gsd_m
    )


_DOTA_META = re.compile(r"^\s*(imagesource|gsd)\s*:\s*(.*)$", re.IGNORECASE)


def read_dota(
    label_path: str | Path,
    image_path: str | Path,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
) -> ImageLabels:
    """Read a DOTA label file: optional ``imagesource:``/``gsd:`` header lines, then
    ``x1 y1 x2 y2 x3 y3 x4 y4 class difficult`` per object (corners in pixels).

    Oriented boxes become enclosing axis-aligned boxes. ``gsd:`` (metres per pixel) is kept
    when it parses as a positive number (DOTA writes ``null`` when unknown).
    """
    label_path, image_path = Path(label_path), Path(image_path)
    width_px, height_px = image_size(image_path)
    gsd_m: float | None = None
    corners: list[list[float]] = []
    names: list[str] = []
    diff: list[bool] = []
    where: list[str] = []
    for n, line in enumerate(_text(label_path).splitlines(), start=1):
        if not line.strip():
            continue
        meta = _DOTA_META.match(line)
        if meta:
            if meta.group(1).lower() == "gsd":
                try:
                    gsd_m = float(meta.group(2)) if float(meta.group(2)) > 0 else None
                except ValueError:
                    gsd_m = None
            continue
        parts = line.split()
        if len(parts) not in (9, 10):
            raise InputError(f"{label_path}:{n}: expected 8 corners, class, difficulty")
        try:
            corners.append([float(p) for p in parts[:8]])
            diff.append(len(parts) == 10 and int(parts[9]) != 0)
        except ValueError as exc:
            raise InputError(f"{label_path}:{n}: malformed DOTA line {line!r}") from exc
        names.append(parts[8])
        where.append(f"{label_path}:{n}")
    pts = np.array(corners, dtype=np.float64).reshape(-1, 4, 2)
    boxes = np.concatenate([pts.min(axis=1), pts.max(axis=1)], axis=1)
    return _make(
        image_path, width_px, height_px, boxes, names, np.array(diff, bool), gsd_m, tolerance, where
    )


def read_coco(
    json_path: str | Path,
    image_dir: str | Path | None = None,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
) -> list[ImageLabels]:
    """Read a COCO detection JSON (``images``, ``annotations`` with ``bbox`` = x, y, w, h in
    pixels, ``categories``). Image sizes come from the JSON; paths are ``image_dir / file_name``
    (default: the JSON's folder). ``iscrowd`` annotations are marked difficult.
    """
    json_path = Path(json_path)
    base = Path(image_dir) if image_dir is not None else json_path.parent
    try:
        doc = json.loads(_text(json_path))
        cats = {int(c["id"]): str(c["name"]) for c in doc["categories"]}
        images = {int(im["id"]): im for im in doc["images"]}
        anns: dict[int, list[dict]] = {i: [] for i in images}
        for a in doc.get("annotations", []):
            anns[int(a["image_id"])].append(a)
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise InputError(f"{json_path}: not a COCO detection file ({exc})") from exc
    out = []
    for image_id, im in images.items():
        items = anns[image_id]
        try:
            xywh = np.array([a["bbox"] for a in items], dtype=np.float64).reshape(-1, 4)
            names = [cats[int(a["category_id"])] for a in items]
        except (KeyError, ValueError) as exc:
            raise InputError(f"{json_path}: image {image_id}: bad annotation ({exc})") from exc
        boxes = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], axis=1)
        crowd = np.array([bool(a.get("iscrowd", 0)) for a in items], dtype=bool)
        where = [f"{json_path}: annotation {a.get('id', '?')}" for a in items]
        out.append(
            _make(
                base / im["file_name"],
                int(im["width"]),
                int(im["height"]),
                boxes,
                names,
                crowd,
                None,
                tolerance,
                where,
            )
        )
    return out


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)


def read_dataset(
    data_dir: str | Path, fmt: str, *, tolerance: float = DEFAULT_TOLERANCE
) -> list[ImageLabels]:
    """All labelled images of a folder, sorted by file name.

    ``fmt``: ``"yolo"`` (images + same-stem ``.txt`` + ``classes.txt``/``obj.names``),
    ``"dota"`` (images + same-stem ``.txt``, images without a label file are skipped) or
    ``"coco"`` (the single ``*.json`` in the folder, or ``annotations.json``).
    """
    folder = Path(data_dir)
    if fmt not in LABEL_FORMATS:
        raise InputError(f"unknown label format {fmt!r}; use one of {', '.join(LABEL_FORMATS)}")
    if folder.is_file():
        raise InputError(
            f"{folder} is a file; give the folder that holds the images and their labels"
        )
    if not folder.is_dir():
        raise InputError(f"label folder {folder} does not exist")
    if fmt == "coco":
        jsons = sorted(folder.glob("*.json"))
        chosen = [p for p in jsons if p.name == "annotations.json"] or jsons
        if len(chosen) != 1:
            raise InputError(f"{folder}: expected one COCO .json file, found {len(jsons)}")
        return read_coco(chosen[0], tolerance=tolerance)
    if fmt == "yolo":
        names_file = next(
            (folder / n for n in ("classes.txt", "obj.names") if (folder / n).exists()), None
        )
        if names_file is None:
            raise InputError(f"{folder}: YOLO labels need a classes.txt listing class names")
        names = read_yolo_classes(names_file)
        return [
            read_yolo(p.with_suffix(".txt"), p, names, tolerance=tolerance)
            for p in _images_in(folder)
        ]
    return [
        read_dota(p.with_suffix(".txt"), p, tolerance=tolerance)
        for p in _images_in(folder)
        if p.with_suffix(".txt").exists()
    ]


def map_classes(
    labels: ImageLabels, class_map: Mapping[str, str] = DEFAULT_CLASS_MAP
) -> ImageLabels:
    """Rename classes through ``class_map`` (case-insensitive); boxes of unmapped classes are
    dropped (e.g. ``cyclist``, ``ship``)."""
    lowered = {k.lower(): v for k, v in class_map.items()}
    mapped = [lowered.get(c.lower()) for c in labels.classes]
    keep = np.array([m is not None for m in mapped], dtype=bool)
    return replace(
        labels,
        boxes_px=labels.boxes_px[keep] if len(keep) else labels.boxes_px,
        classes=tuple(m for m in mapped if m is not None),
        difficult=labels.difficult[keep] if len(keep) else labels.difficult,
    )


def filter_names(labels: Iterable[ImageLabels], names: Iterable[str]) -> list[ImageLabels]:
    """Those labels whose image file name is in ``names``."""
    wanted = set(names)
    return [lab for lab in labels if lab.image_path.name in wanted]
