"""Detection results and their writers (GeoJSON, PNG with boxes drawn)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from forcewatch.errors import InputError

#: Box colours of the PNG writer, by class index (cycled).
PALETTE = ((255, 64, 64), (64, 160, 255), (255, 210, 0), (0, 220, 120), (220, 80, 255))


@dataclass(frozen=True)
class Detection:
    """One detected object. ``bbox_px``: ``x0, y0, x1, y1`` in original image pixels;
    ``polygon_lonlat``: the box corners in EPSG:4326 (lon, lat), None in pixel space."""

    bbox_px: tuple[float, float, float, float]
    class_name: str
    score: float
    polygon_lonlat: tuple[tuple[float, float], ...] | None = None


@dataclass(frozen=True)
class DetectionResult:
    """Detections of one image, as arrays (one row per object, strongest first).

    ``boxes_px``: float64 ``(n, 4)`` ``x0, y0, x1, y1`` in original image pixels;
    ``class_ids``: int ``(n,)`` into ``class_names``; ``scores``: float32 ``(n,)`` in 0..1;
    ``corners_lonlat``: float64 ``(n, 4, 2)`` box corners (top-left, top-right, bottom-right,
    bottom-left) in EPSG:4326, or None when the image is not georeferenced. ``gsd_m``: the
    image's GSD used (None if unknown); ``scale``: model pixels per image pixel.
    """

    image_path: str
    width_px: int
    height_px: int
    boxes_px: np.ndarray
    class_ids: np.ndarray
    scores: np.ndarray
    class_names: tuple[str, ...]
    model_name: str
    crs: str | None = None
    gsd_m: float | None = None
    scale: float = 1.0
    corners_lonlat: np.ndarray | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.scores)

    @property
    def counts(self) -> dict[str, int]:
        """Number of detections per class (every model class present, zeros included)."""
        n = np.bincount(self.class_ids, minlength=len(self.class_names))
        return {name: int(n[i]) for i, name in enumerate(self.class_names)}

    def detections(self) -> list[Detection]:
        """The detections as objects (convenient for small results; arrays scale better)."""
        out = []
        for i in range(len(self)):
            poly = None
            if self.corners_lonlat is not None:
                poly = tuple((float(x), float(y)) for x, y in self.corners_lonlat[i])
            box = tuple(float(v) for v in self.boxes_px[i])
            name = self.class_names[int(self.class_ids[i])]
            out.append(Detection(box, name, float(self.scores[i]), poly))  # type: ignore[arg-type]
        return out

    def summary(self) -> dict[str, Any]:
        """Per-image summary: path, size, GSD and where it came from, model, counts by class,
        total."""
        return {
            "image": self.image_path,
            "width_px": self.width_px,
            "height_px": self.height_px,
            "crs": self.crs,
            "gsd_m": self.gsd_m,
            "gsd_source": self.params.get("gsd_source"),
            "model": self.model_name,
            "counts": self.counts,
            "total": len(self),
        }


@dataclass(frozen=True)
class DetectionFailure:
    """An image of a batch that could not be processed; the batch goes on without it."""

    image_path: str
    error: str
    message: str


def to_geojson(result: DetectionResult) -> dict[str, Any]:
    """A GeoJSON FeatureCollection: one Polygon feature per detection (geometry null when the
    image is not georeferenced) with properties ``bbox_px``, ``class``, ``score``; the summary
    sits in the collection's ``forcewatch`` member."""
    features = []
    for i in range(len(result)):
        geometry = None
        if result.corners_lonlat is not None:
            ring = [[float(x), float(y)] for x, y in result.corners_lonlat[i]]
            geometry = {"type": "Polygon", "coordinates": [ring + [ring[0]]]}
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "bbox_px": [round(float(v), 2) for v in result.boxes_px[i]],
                    "class": result.class_names[int(result.class_ids[i])],
                    "score": round(float(result.scores[i]), 4),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features, "forcewatch": result.summary()}


def write_geojson(result: DetectionResult, path: str | Path) -> Path:
    """Write ``to_geojson(result)`` to ``path``; returns the path."""
    out = Path(path)
    try:
        out.write_text(json.dumps(to_geojson(result)))
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc}") from exc
    return out


def write_png(
    result: DetectionResult,
    path: str | Path,
    *,
    max_side_px: int = 4096,
    bands: tuple[int, ...] | None = None,
) -> Path:
    """Draw the boxes over the image (shrunk so its longest side is at most ``max_side_px``)
    and save a PNG; returns the path. Reads the image again, in one decimated read."""
    from forcewatch.measure.objects.raster import open_image

    src = open_image(result.image_path, bands)
    try:
        f = min(1.0, max_side_px / max(src.width_px, src.height_px))
        out_w, out_h = max(1, round(src.width_px * f)), max(1, round(src.height_px * f))
        rgb = src.read_rgb(0, 0, src.width_px, src.height_px, out_w, out_h)
    finally:
        src.close()
    im = Image.fromarray(rgb)
    draw = ImageDraw.Draw(im)
    width = max(1, round(2 * f)) if f < 1 else 2
    for box, cid in zip(result.boxes_px * f, result.class_ids, strict=True):
        draw.rectangle(
            [float(v) for v in box], outline=PALETTE[int(cid) % len(PALETTE)], width=width
        )
    out = Path(path)
    try:
        im.save(out, format="PNG")
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc}") from exc
    return out
