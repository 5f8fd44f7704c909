"""Decoding detector outputs and merging boxes: pure numpy, no I/O.

Boxes are float arrays ``(n, 4)`` of ``x0, y0, x1, y1`` in pixels.
"""

from __future__ import annotations

import numpy as np


def decode_heatmap(
    heat: np.ndarray, box: np.ndarray, stride: int, score_min: float, max_det: int = 2000
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Peaks of one tile's heatmap -> boxes in tile pixels.

    ``heat``: ``(C, h, w)`` probabilities; ``box``: ``(4, h, w)`` = ``dx, dy`` (cells) and
    ``w, h`` (pixels). A peak is a cell at or above ``score_min`` that is the maximum of its 3x3
    neighbourhood across classes' own maps. Returns ``(boxes (n, 4), scores (n,), class_ids
    (n,))``, strongest first, at most ``max_det``.
    """
    n_cls, h, w = heat.shape
    cand = np.argwhere(heat >= score_min)
    if len(cand) == 0:
        return np.zeros((0, 4)), np.zeros(0, np.float32), np.zeros(0, np.int64)
    padded = np.pad(heat, ((0, 0), (1, 1), (1, 1)), constant_values=-1.0)
    c, y, x = cand[:, 0], cand[:, 1], cand[:, 2]
    vals = heat[c, y, x]
    is_peak = np.ones(len(cand), dtype=bool)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy == 0 and dx == 0:
                continue
            neighbour = padded[c, y + 1 + dy, x + 1 + dx]
            # ties: keep the first cell in raster order so a flat top gives one peak
            is_peak &= (vals > neighbour) | (
                (vals == neighbour) & ((dy > 0) | (dy == 0) & (dx > 0))
            )
    c, y, x, vals = c[is_peak], y[is_peak], x[is_peak], vals[is_peak]
    order = np.argsort(-vals, kind="stable")[:max_det]
    c, y, x, vals = c[order], y[order], x[order], vals[order]
    cx = (x + box[0, y, x]) * stride
    cy = (y + box[1, y, x]) * stride
    bw, bh = box[2, y, x], box[3, y, x]
    boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1)
    return boxes.astype(np.float64), vals.astype(np.float32), c.astype(np.int64)


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union ``(len(a), len(b))`` of two box arrays."""
    a, b = a.reshape(-1, 4), b.reshape(-1, 4)
    ix = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    iy = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = ix.clip(0) * iy.clip(0)
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def nms(
    boxes: np.ndarray,
    scores: np.ndarray,
    iou_max: float = 0.5,
    class_ids: np.ndarray | None = None,
) -> np.ndarray:
    """Greedy non-maximum suppression; indices kept, strongest first.

    Class-agnostic unless ``class_ids`` is given (then boxes only suppress their own class).
    Boxes are bucketed on a grid as large as the largest box, so each box is compared only with
    its neighbours: linear in the number of boxes for typical scenes.
    """
    n = len(boxes)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.argsort(-scores, kind="stable")
    sizes = np.maximum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
    cell = max(float(sizes.max()), 1.0)
    gx = np.floor((boxes[:, 0] + boxes[:, 2]) / 2 / cell).astype(np.int64)
    gy = np.floor((boxes[:, 1] + boxes[:, 3]) / 2 / cell).astype(np.int64)
    kept_in: dict[tuple[int, int], list[int]] = {}
    keep: list[int] = []
    for i in order:
        near = [
            j
            for dx in (-1, 0, 1)
            for dy in (-1, 0, 1)
            for j in kept_in.get((int(gx[i]) + dx, int(gy[i]) + dy), ())
        ]
        if class_ids is not None:
            near = [j for j in near if class_ids[j] == class_ids[i]]
        if near and iou_matrix(boxes[i], boxes[near]).max() > iou_max:
            continue
        keep.append(int(i))
        kept_in.setdefault((int(gx[i]), int(gy[i])), []).append(int(i))
    return np.array(keep, dtype=np.int64)
