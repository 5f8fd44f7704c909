"""Training data, numpy only: the held-out split, images at the model's GSD, augmented crops
and CenterNet targets. ``train.py`` turns these arrays into torch tensors.

Coordinates: boxes are ``x0, y0, x1, y1`` in pixels of the array they belong to; targets are on
the output grid of ``stride`` pixels per cell.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from forcewatch.errors import InputError
from forcewatch.measure.objects.labels import DEFAULT_CLASS_MAP, ImageLabels, map_classes

SPLIT_SALT = "forcewatch-split-v1"
#: A partly visible box counts as an object when at least this share of it is in the crop;
#: less visible boxes become "don't care" areas (no loss either way).
MIN_VISIBLE = 0.5
#: Incomplete labels: negatives are trained only within labelled boxes grown by this share of
#: their size, where neighbours in a labelled row are known to be labelled too.
INCOMPLETE_MARGIN = 0.25


@dataclass(frozen=True)
class DataSource:
    """A labelled folder used for training.

    ``gsd_m``: metres per pixel of its images (overrides a DOTA header). ``object_length_m``:
    when the GSD is unknown (screenshots), it is estimated per image as this length divided by
    the median long side of the labelled boxes. ``labels_complete=False`` marks folders where
    only some objects are boxed: negatives are then trained only next to labelled boxes.
    ``heldout_fraction``: share of the files set aside (never trained on), by ``heldout_split``.
    ``weight``: relative share of training crops drawn from this folder.
    """

    path: Path
    fmt: str = "yolo"
    gsd_m: float | None = None
    object_length_m: float | None = None
    labels_complete: bool = True
    heldout_fraction: float = 0.0
    weight: float = 1.0

    @property
    def name(self) -> str:
        """Folder name, the key of this source in model metadata."""
        return Path(self.path).name


@dataclass(frozen=True)
class TrainImage:
    """An RGB image resampled to the model's GSD with its boxes and class indices."""

    name: str
    rgb: np.ndarray  # (y, x, 3) uint8
    boxes_px: np.ndarray  # (n, 4) float64
    class_ids: np.ndarray  # (n,) int64
    labels_complete: bool


def sequence_groups(file_names: Iterable[str]) -> dict[str, str]:
    """Group file names into sequences of consecutively numbered frames with the same prefix
    (``MOS74`` .. ``MOS93``): frames of one sequence show the same place and must fall on the
    same side of a split. Returns file name -> group name."""
    parsed = []
    for name in file_names:
        stem = Path(name).stem
        m = re.match(r"^(.*?)(\d+)$", stem)
        parsed.append((m.group(1), int(m.group(2)), name) if m else (stem, -1, name))
    parsed.sort()
    groups: dict[str, str] = {}
    start = prev = None
    prefix_prev = None
    members: list[str] = []

    def close() -> None:
        for member in members:
            numbered = start is not None and start >= 0
            groups[member] = f"{prefix_prev}{start}-{prev}" if numbered else Path(member).stem

    for prefix, num, name in parsed:
        if prefix != prefix_prev or prev is None or num != prev + 1 or num < 0:
            close()
            members, start, prefix_prev = [], num, prefix
        members.append(name)
        prev = num
    close()
    return groups


def _unit_hash(text: str) -> float:
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16) / 16**12


def heldout_split(file_names: Sequence[str], fraction: float, salt: str = SPLIT_SALT) -> list[str]:
    """Deterministic held-out file names: whole sequences (``sequence_groups``) are taken in
    order of a salted SHA-256 of their name until at least ``fraction`` of the files are held
    out. The result depends only on the names, never on their order or on the machine."""
    if fraction <= 0:
        return []
    groups = sequence_groups(file_names)
    order = sorted(set(groups.values()), key=lambda g: (_unit_hash(salt + g), g))
    held: list[str] = []
    for g in order:
        if len(held) >= fraction * len(file_names):
            break
        held += [n for n, grp in groups.items() if grp == g]
    return sorted(held)


def estimate_gsd_m(labels: ImageLabels, object_length_m: float) -> float | None:
    """GSD from the median long side of the boxes, assuming objects ``object_length_m`` long."""
    if len(labels) == 0:
        return None
    long_px = np.maximum(
        labels.boxes_px[:, 2] - labels.boxes_px[:, 0], labels.boxes_px[:, 3] - labels.boxes_px[:, 1]
    )
    return float(object_length_m / np.median(long_px))


def source_gsd_m(source: DataSource, labels: ImageLabels) -> float | None:
    """The GSD of one labelled image of ``source``: explicit, else the label file's, else
    estimated from object size, else None (use the image at its own scale)."""
    if source.gsd_m is not None:
        return source.gsd_m
    if labels.gsd_m is not None:
        return labels.gsd_m
    if source.object_length_m is not None:
        return estimate_gsd_m(labels, source.object_length_m)
    return None


def load_train_image(
    labels: ImageLabels,
    source: DataSource,
    class_names: Sequence[str],
    model_gsd_m: float,
    class_map: dict[str, str] | None = None,
) -> TrainImage:
    """Read one labelled image as RGB, resampled to ``model_gsd_m``, classes mapped to indices
    of ``class_names`` (boxes of other classes dropped)."""
    mapped = map_classes(labels, class_map or DEFAULT_CLASS_MAP)
    gsd = source_gsd_m(source, labels)
    scale = 1.0 if gsd is None else gsd / model_gsd_m
    try:
        with Image.open(labels.image_path) as opened:
            im = opened.convert("RGB")
        if abs(scale - 1.0) > 1e-3:
            size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
            im = im.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
        rgb = np.asarray(im, dtype=np.uint8).copy()
    except OSError as exc:
        raise InputError(f"cannot read training image {labels.image_path}: {exc}") from exc
    fx = rgb.shape[1] / labels.width_px
    fy = rgb.shape[0] / labels.height_px
    keep = np.array([c in class_names for c in mapped.classes], dtype=bool)
    boxes = mapped.boxes_px[keep] * np.array([fx, fy, fx, fy]) if keep.any() else np.zeros((0, 4))
    ids = np.array([class_names.index(c) for c in mapped.classes if c in class_names], np.int64)
    return TrainImage(labels.image_path.name, rgb, boxes, ids, source.labels_complete)


@dataclass(frozen=True)
class Sample:
    """One augmented crop: RGB, object boxes, their classes, boxes to ignore, and the
    negative-loss mask on the crop's pixel grid (1 = absence of objects is known)."""

    rgb: np.ndarray  # (crop, crop, 3) uint8
    boxes_px: np.ndarray  # (n, 4)
    class_ids: np.ndarray  # (n,)
    ignore_px: np.ndarray  # (m, 4)
    neg_mask: np.ndarray  # (crop, crop) bool


def _affine(centre: np.ndarray, crop_px: int, scale: float, angle: float) -> np.ndarray:
    """3x3 matrix mapping source pixels to crop pixels (scale and rotate about ``centre``)."""
    c, s = math.cos(angle) * scale, math.sin(angle) * scale
    m = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    m[:2, 2] = crop_px / 2 - m[:2, :2] @ centre
    return m


def _map_boxes(boxes: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Axis-aligned boxes through an affine map -> enclosing axis-aligned boxes."""
    if len(boxes) == 0:
        return np.zeros((0, 4))
    xs = boxes[:, [0, 2, 2, 0]]
    ys = boxes[:, [1, 1, 3, 3]]
    u = m[0, 0] * xs + m[0, 1] * ys + m[0, 2]
    v = m[1, 0] * xs + m[1, 1] * ys + m[1, 2]
    return np.stack([u.min(1), v.min(1), u.max(1), v.max(1)], axis=1)


def _area(b: np.ndarray) -> np.ndarray:
    return np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)


def _grow(boxes: np.ndarray, share: float) -> np.ndarray:
    d = np.stack([boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]], 1) * share
    return boxes + np.concatenate([-d, d], axis=1)


def _fill(mask: np.ndarray, boxes: np.ndarray, value: bool) -> None:
    h, w = mask.shape
    for x0, y0, x1, y1 in boxes:
        mask[max(0, int(y0)) : min(h, math.ceil(y1)), max(0, int(x0)) : min(w, math.ceil(x1))] = (
            value
        )


def random_crop(
    img: TrainImage, rng: np.random.Generator, crop_px: int, scale_range=(0.7, 1.4)
) -> Sample:
    """A crop of ``img`` with scale jitter, arbitrary rotation (30 % of crops), centred on an
    object (70 %) or anywhere; boxes follow as enclosing axis-aligned boxes."""
    h, w = img.rgb.shape[:2]
    if len(img.boxes_px) and rng.random() < 0.7:
        b = img.boxes_px[rng.integers(len(img.boxes_px))]
        centre = (b[:2] + b[2:]) / 2 + rng.uniform(-crop_px / 3, crop_px / 3, 2)
    else:
        centre = rng.uniform([0, 0], [w, h])
    scale = math.exp(rng.uniform(math.log(scale_range[0]), math.log(scale_range[1])))
    angle = rng.uniform(0, 2 * math.pi) if rng.random() < 0.3 else 0.0
    half = crop_px / 2 / scale  # keep the crop inside the image where the image allows
    for axis, side in enumerate((w, h)):
        lo, hi = half, side - half
        centre[axis] = np.clip(centre[axis], lo, hi) if lo < hi else side / 2
    m = _affine(centre, crop_px, scale, angle)
    inv = np.linalg.inv(m)
    src = Image.fromarray(img.rgb)
    out = src.transform(
        (crop_px, crop_px),
        Image.Transform.AFFINE,
        tuple(inv[:2].ravel()),
        resample=Image.Resampling.BILINEAR,
    )
    rgb = np.asarray(out, dtype=np.uint8).copy()
    mapped = _map_boxes(img.boxes_px, m)
    clipped = mapped.clip(0, crop_px)
    full = _area(mapped)
    vis = np.divide(_area(clipped), full, out=np.zeros_like(full), where=full > 0)
    keep = vis >= MIN_VISIBLE
    ignore = clipped[(vis > 0) & ~keep]
    if img.labels_complete:
        neg = np.ones((crop_px, crop_px), dtype=bool)
    else:
        neg = np.zeros((crop_px, crop_px), dtype=bool)
        _fill(neg, _grow(mapped, INCOMPLETE_MARGIN), True)
    return Sample(rgb, clipped[keep], img.class_ids[keep], ignore, neg)


def flip_rotate(sample: Sample, rng: np.random.Generator) -> Sample:
    """Random 90-degree rotation and horizontal flip (exact on pixels and boxes)."""
    rgb, boxes, ign, neg = sample.rgb, sample.boxes_px, sample.ignore_px, sample.neg_mask
    n = rgb.shape[0]

    def rot90(b: np.ndarray) -> np.ndarray:  # np.rot90 (counter-clockwise): (x, y) -> (y, n-x)
        return np.stack([b[:, 1], n - b[:, 2], b[:, 3], n - b[:, 0]], axis=1)

    def flip(b: np.ndarray) -> np.ndarray:
        return np.stack([n - b[:, 2], b[:, 1], n - b[:, 0], b[:, 3]], axis=1)

    for _ in range(int(rng.integers(4))):
        rgb, neg = np.rot90(rgb), np.rot90(neg)
        boxes, ign = rot90(boxes.reshape(-1, 4)), rot90(ign.reshape(-1, 4))
    if rng.random() < 0.5:
        rgb, neg = rgb[:, ::-1], neg[:, ::-1]
        boxes, ign = flip(boxes.reshape(-1, 4)), flip(ign.reshape(-1, 4))
    return Sample(
        np.ascontiguousarray(rgb), boxes, sample.class_ids, ign, np.ascontiguousarray(neg)
    )


def colour_jitter(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Photometric augmentation for overhead imagery: brightness, contrast, saturation, per-band
    gain, gamma, and sometimes blur, resolution loss and noise (satellite screenshots)."""
    im = Image.fromarray(rgb)
    if rng.random() < 0.3:
        im = im.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.4, 1.5))))
    if rng.random() < 0.25:
        f = rng.uniform(1.5, 3.0)
        small = (max(8, round(im.width / f)), max(8, round(im.height / f)))
        im = im.resize(small, Image.Resampling.BILINEAR).resize(im.size, Image.Resampling.BILINEAR)
    x = np.asarray(im, dtype=np.float32) / 255.0
    grey = x.mean(axis=2, keepdims=True)
    x = grey + (x - grey) * rng.uniform(0.5, 1.4)  # saturation
    x = x * rng.uniform(0.85, 1.15, size=3)  # band gains
    x = (x - x.mean()) * rng.uniform(0.6, 1.4) + x.mean() + rng.uniform(-0.15, 0.15)
    x = np.clip(x, 0, 1) ** rng.uniform(0.7, 1.4)
    if rng.random() < 0.3:
        x = x + rng.normal(0, rng.uniform(0.005, 0.025), x.shape)
    if rng.random() < 0.05:
        x = np.repeat(x.mean(axis=2, keepdims=True), 3, axis=2)
    return (np.clip(x, 0, 1) * 255 + 0.5).astype(np.uint8)


def draw_aircraft(rng: np.random.Generator, span_px: float) -> tuple[np.ndarray, np.ndarray]:
    """A synthetic aircraft seen from above (fuselage, swept wings, tailplane, engines) with its
    shadow: RGBA sprite ``(s, s, 4)`` and a bool mask of the aircraft body (no shadow)."""
    length = span_px * rng.uniform(0.8, 1.25)
    size = int(max(span_px, length) * 1.5) + 4
    c = size / 2
    fus_w = length * rng.uniform(0.07, 0.12)
    root = length * rng.uniform(0.18, 0.3)
    sweep = root * rng.uniform(0.2, 1.5)
    wing_y = c - length * rng.uniform(0.0, 0.12)
    tail_span = span_px * rng.uniform(0.25, 0.4)
    tail_y = c + length * 0.42
    half = span_px / 2
    shapes = [
        [(c - half, wing_y + sweep), (c, wing_y - root / 2), (c + half, wing_y + sweep),
         (c + half, wing_y + sweep + root * 0.3), (c, wing_y + root / 2),
         (c - half, wing_y + sweep + root * 0.3)],
        [(c - tail_span / 2, tail_y), (c, tail_y - root * 0.35), (c + tail_span / 2, tail_y),
         (c + tail_span / 2, tail_y + root * 0.15), (c - tail_span / 2, tail_y + root * 0.15)],
    ]  # fmt: skip
    body = Image.new("L", (size, size), 0)
    d = ImageDraw.Draw(body)
    d.ellipse([c - fus_w / 2, c - length / 2, c + fus_w / 2, c + length / 2], fill=255)
    for poly in shapes:
        d.polygon(poly, fill=255)
    for k in range(int(rng.integers(0, 3))):
        ex = half * (0.3 + 0.25 * k)
        for sgn in (-1, 1):
            x = c + sgn * ex
            d.ellipse(
                [x - fus_w * 0.3, wing_y - root * 0.1, x + fus_w * 0.3, wing_y + root * 0.5], 255
            )
    mask = np.asarray(body) > 127
    tone = rng.choice([rng.uniform(170, 250), rng.uniform(90, 160)])
    colour = np.clip(tone + rng.normal(0, 12, 3), 0, 255)
    sprite = np.zeros((size, size, 4), dtype=np.uint8)
    shift = rng.integers(-int(span_px * 0.12) - 1, int(span_px * 0.12) + 2, 2)
    shadow = np.roll(mask, tuple(int(s) for s in shift), axis=(0, 1)) & ~mask
    sprite[shadow] = (20, 20, 20, int(rng.uniform(90, 170)))
    shade = 1 - 0.15 * np.linspace(0, 1, size)[:, None]
    body_rgb = np.broadcast_to(colour[None, None, :] * shade[..., None], (size, size, 3))
    sprite[..., :3][mask] = body_rgb[mask].astype(np.uint8)
    sprite[..., 3][mask] = 255
    return sprite, mask


def paste_aircraft(sample: Sample, rng: np.random.Generator, class_id: int) -> Sample:
    """Paste one synthetic aircraft (8-45 m span at 0.25 m/px) where it overlaps no box."""
    n = sample.rgb.shape[0]
    span = rng.uniform(32, min(180, n * 0.7))
    sprite, mask = draw_aircraft(rng, span)
    angle = rng.uniform(0, 360)
    rot = Image.fromarray(sprite).rotate(angle, Image.Resampling.BILINEAR, expand=True)
    rmask = (
        np.asarray(Image.fromarray(mask.astype(np.uint8) * 255).rotate(angle, expand=True)) > 127
    )
    arr = np.asarray(rot, dtype=np.float32)
    ys, xs = np.nonzero(rmask)
    if len(xs) == 0:
        return sample
    s = arr.shape[0]
    ox, oy = rng.integers(-s // 4, max(1, n - 3 * s // 4), 2)
    box = np.array([[xs.min() + ox, ys.min() + oy, xs.max() + 1 + ox, ys.max() + 1 + oy]], float)
    clipped = box.clip(0, n)
    if _area(clipped)[0] < MIN_VISIBLE * _area(box)[0]:
        return sample
    others = np.concatenate([sample.boxes_px.reshape(-1, 4), sample.ignore_px.reshape(-1, 4)])
    if len(others):
        ix = np.minimum(others[:, 2], clipped[0, 2]) - np.maximum(others[:, 0], clipped[0, 0])
        iy = np.minimum(others[:, 3], clipped[0, 3]) - np.maximum(others[:, 1], clipped[0, 1])
        if np.any((ix > 0) & (iy > 0)):
            return sample
    rgb = sample.rgb.astype(np.float32)
    y0, x0 = max(0, oy), max(0, ox)
    y1, x1 = min(n, oy + s), min(n, ox + s)
    part = arr[y0 - oy : y1 - oy, x0 - ox : x1 - ox]
    alpha = part[..., 3:] / 255.0
    rgb[y0:y1, x0:x1] = rgb[y0:y1, x0:x1] * (1 - alpha) + part[..., :3] * alpha
    neg = sample.neg_mask.copy()
    _fill(neg, _grow(clipped, INCOMPLETE_MARGIN), True)
    return Sample(
        rgb.clip(0, 255).astype(np.uint8),
        np.concatenate([sample.boxes_px.reshape(-1, 4), clipped]),
        np.concatenate([sample.class_ids, [class_id]]).astype(np.int64),
        sample.ignore_px,
        neg,
    )


@dataclass(frozen=True)
class Targets:
    """CenterNet targets on the output grid ``(h, w) = crop / stride``."""

    heat: np.ndarray  # (C, h, w) float32, 1 at object centres, Gaussian around
    box: np.ndarray  # (4, h, w) float32: dx, dy (cells), log(w / stride), log(h / stride)
    box_weight: np.ndarray  # (h, w) float32, Gaussian value where box targets apply
    neg_weight: np.ndarray  # (h, w) float32, 1 where negative loss applies


def render_targets(sample: Sample, n_classes: int, stride: int) -> Targets:
    """Elliptical Gaussians (sigma = size / 6, at least half a cell) per box at its centre cell;
    box targets where the Gaussian is at least 0.3, the strongest object winning overlaps."""
    n = sample.rgb.shape[0] // stride
    heat = np.zeros((n_classes, n, n), np.float32)
    box = np.zeros((4, n, n), np.float32)
    weight = np.zeros((n, n), np.float32)
    neg_px = sample.neg_mask.copy()
    _fill(neg_px, sample.ignore_px.reshape(-1, 4), False)
    neg = neg_px.reshape(n, stride, n, stride).mean(axis=(1, 3)) > 0.5
    grid = np.arange(n, dtype=np.float32)
    for (x0, y0, x1, y1), cid in zip(sample.boxes_px, sample.class_ids, strict=True):
        cx, cy = (x0 + x1) / 2 / stride, (y0 + y1) / 2 / stride
        bw, bh = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
        i, j = min(int(cx), n - 1), min(int(cy), n - 1)
        sx, sy = max(bw / stride / 6, 0.5), max(bh / stride / 6, 0.5)
        g = np.exp(
            -((grid[None, :] - i) ** 2) / (2 * sx**2) - (grid[:, None] - j) ** 2 / (2 * sy**2)
        )
        np.maximum(heat[cid], g, out=heat[cid])
        heat[cid, j, i] = 1.0
        win = (g >= 0.3) & (g > weight)
        win[j, i] = True
        ys, xs = np.nonzero(win)
        box[0, ys, xs] = cx - xs
        box[1, ys, xs] = cy - ys
        box[2, ys, xs] = math.log(bw / stride)
        box[3, ys, xs] = math.log(bh / stride)
        weight[ys, xs] = g[ys, xs]
        weight[j, i] = 1.0
        neg[j, i] = True  # a centre cell is always supervised
    return Targets(heat, box, weight, neg.astype(np.float32))
