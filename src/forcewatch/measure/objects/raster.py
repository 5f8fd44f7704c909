"""Reading optical images in windows, as 8-bit RGB, for tiled detection.

Sources:

- GeoTIFF and anything else GDAL reads: through rasterio windows, so a large image is never held
  in memory; resampling to the model's GSD happens in the read (``average`` when shrinking,
  ``bilinear`` when enlarging).
- PNG/JPEG/BMP: decoded whole by Pillow (pixel space, no georeferencing), up to
  ``MAX_PIL_PIXELS``; convert larger ones to a tiled GeoTIFF.

Band handling: 8-bit data is used as is. Other data types (16-bit, float) get a per-band linear
stretch of the 2nd..98th percentile to 0..255, the percentiles taken once over a decimated read
of the whole image (never per tile, so tiles agree). One band is repeated as grey; with three or
more bands, the bands tagged red/green/blue are used, else the first three (override with
``bands=``, 1-based). Alpha and a fourth (near-infrared) band are ignored.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PIL import Image, UnidentifiedImageError

from forcewatch.errors import ImageryError

PIL_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
MAX_PIL_PIXELS = 150_000_000
STRETCH_PERCENTILES = (2.0, 98.0)
#: Longest side of the decimated read used for stretch percentiles.
STRETCH_SAMPLE_PX = 1024


class ImageSource(Protocol):
    """An open image that yields 8-bit RGB windows."""

    path: Path
    width_px: int
    height_px: int
    crs: str | None
    transform: tuple[float, ...] | None
    gsd_m: float | None

    def read_rgb(
        self, col_off: int, row_off: int, width: int, height: int, out_w: int, out_h: int
    ) -> np.ndarray:
        """Pixels ``[row_off, row_off+height) x [col_off, col_off+width)`` resampled to
        ``(out_h, out_w, 3)`` uint8."""
        ...

    def close(self) -> None:
        """Release the file."""
        ...


def _stretch_limits(sample: np.ndarray, valid: np.ndarray | None) -> np.ndarray:
    """Per-band (low, high) from a ``(band, y, x)`` sample; high > low always."""
    lims = []
    for b in range(sample.shape[0]):
        v = sample[b][valid] if valid is not None else sample[b].ravel()
        v = v[np.isfinite(v)]
        lo, hi = np.percentile(v, STRETCH_PERCENTILES) if v.size else (0.0, 1.0)
        lims.append((float(lo), float(hi) if hi > lo else float(lo) + 1.0))
    return np.array(lims)


def to_uint8(data: np.ndarray, limits: np.ndarray | None) -> np.ndarray:
    """``(band, y, x)`` -> ``(y, x, 3)`` uint8; ``limits`` (band, 2) stretch, None for 8-bit."""
    if limits is None:
        out = data.astype(np.uint8, copy=False)
    else:
        lo, hi = limits[:, 0, None, None], limits[:, 1, None, None]
        scaled = (data.astype(np.float32) - lo) * (255.0 / (hi - lo))
        out = np.nan_to_num(scaled, nan=0.0).clip(0, 255).astype(np.uint8)
    if out.shape[0] == 1:
        out = np.repeat(out, 3, axis=0)
    return np.ascontiguousarray(out.transpose(1, 2, 0))


@dataclass
class PilSource:
    """A PNG/JPEG decoded by Pillow, held as 8-bit RGB."""

    path: Path
    rgb: np.ndarray
    crs: str | None = None
    transform: tuple[float, ...] | None = None
    gsd_m: float | None = None

    @property
    def width_px(self) -> int:
        return int(self.rgb.shape[1])

    @property
    def height_px(self) -> int:
        return int(self.rgb.shape[0])

    def read_rgb(
        self, col_off: int, row_off: int, width: int, height: int, out_w: int, out_h: int
    ) -> np.ndarray:
        part = self.rgb[row_off : row_off + height, col_off : col_off + width]
        if part.shape[:2] == (out_h, out_w):
            return part
        return np.asarray(
            Image.fromarray(part).resize((out_w, out_h), Image.Resampling.BILINEAR), np.uint8
        )

    def close(self) -> None:
        self.rgb = np.zeros((0, 0, 3), np.uint8)


def _open_pil(path: Path, bands: tuple[int, ...] | None) -> PilSource:
    try:
        with Image.open(path) as im:
            if im.width * im.height > MAX_PIL_PIXELS:
                raise ImageryError(
                    f"{path} has {im.width}x{im.height} pixels, more than PNG/JPEG reading "
                    f"allows ({MAX_PIL_PIXELS:,})",
                    hint="convert it to a tiled GeoTIFF (gdal_translate -co TILED=YES)",
                )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                im.load()
            if im.width == 0 or im.height == 0:
                raise ImageryError(f"{path} is an empty image (0 pixels)")
            if im.mode in ("RGB", "L") or bands is not None and im.mode in ("RGBA", "RGBX"):
                arr = np.asarray(im)
                arr = arr[..., None] if arr.ndim == 2 else arr
                rgb = _pick(arr.transpose(2, 0, 1), bands)
                return PilSource(path, to_uint8(rgb, None))
            if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
                arr = np.asarray(im)[None].astype(np.float32)
                return PilSource(path, to_uint8(arr, _stretch_limits(arr, None)))
            return PilSource(path, np.asarray(im.convert("RGB"), dtype=np.uint8).copy())
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as exc:
        raise ImageryError(f"cannot read image {path}: {exc}") from exc


def _pick(arr: np.ndarray, bands: tuple[int, ...] | None) -> np.ndarray:
    """Bands ``(1-based)`` of a ``(band, y, x)`` array; default first three (or the one)."""
    n = arr.shape[0]
    idx = list(bands) if bands is not None else ([1] if n < 3 else [1, 2, 3])
    if any(not 1 <= i <= n for i in idx) or len(idx) not in (1, 3):
        raise ImageryError(f"bands {idx} not valid for an image with {n} bands (use 1 or 3)")
    return arr[[i - 1 for i in idx]]


def _unreadable(path: Path, exc: Exception) -> str:
    said = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "See previous exception" in said or "Read failed" in said:
        said = "a read failed"
    return f"{path}: its pixels cannot be read ({said}): a truncated or damaged file?"


class RasterioSource:
    """A raster opened with rasterio and read through windows."""

    def __init__(self, path: Path, bands: tuple[int, ...] | None) -> None:
        import rasterio
        from rasterio.errors import NotGeoreferencedWarning, RasterioIOError

        self.path = path
        self._rio_error = RasterioIOError
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NotGeoreferencedWarning)
                self._ds = rasterio.open(path)
        except RasterioIOError as exc:
            raise ImageryError(f"cannot open raster {path}: {exc}") from exc
        ds = self._ds
        self.width_px, self.height_px = int(ds.width), int(ds.height)
        if self.width_px == 0 or self.height_px == 0 or ds.count == 0:
            raise ImageryError(f"{path} is an empty raster")
        self.bands = self._choose_bands(bands)
        self.crs = ds.crs.to_string() if ds.crs else None
        georef = ds.crs is not None and not ds.transform.is_identity
        self.transform = tuple(ds.transform)[:6] if georef else None
        self.gsd_m = self._gsd_m() if georef else None
        self.limits = None if ds.dtypes[0] == "uint8" else self._limits()

    def _choose_bands(self, bands: tuple[int, ...] | None) -> list[int]:
        from rasterio.enums import ColorInterp

        ds = self._ds
        if bands is not None:
            return [int(i) for i in _pick(np.arange(1, ds.count + 1)[:, None, None], bands).ravel()]
        if ds.count == 2 and ds.dtypes[0].startswith("float"):
            # grey and alpha are integers; two float bands are a radar product's VV and VH
            raise ImageryError(
                f"{self.path}: two bands of floating-point values (a radar product?); detection "
                "needs an optical image (RGB or grey); measure radar scenes with ingest + analyze"
            )
        if ds.count < 3:
            return [1]
        interp = list(ds.colorinterp)
        wanted = [ColorInterp.red, ColorInterp.green, ColorInterp.blue]
        if all(c in interp for c in wanted):
            return [interp.index(c) + 1 for c in wanted]
        return [1, 2, 3]

    def _gsd_m(self) -> float:
        ds = self._ds
        a, b, _, d, e, _ = tuple(ds.transform)[:6]
        px_x, px_y = math.hypot(a, d), math.hypot(b, e)
        if ds.crs.is_geographic:
            lat = math.radians(ds.xy(ds.height / 2, ds.width / 2)[1])
            m_per_deg = 111_320.0
            return float(math.sqrt(px_x * m_per_deg * math.cos(lat) * px_y * m_per_deg))
        factor = ds.crs.linear_units_factor[1] if ds.crs.linear_units_factor else 1.0
        return float(math.sqrt(px_x * px_y) * factor)

    def _limits(self) -> np.ndarray:
        from rasterio.enums import Resampling

        ds = self._ds
        f = max(1.0, max(ds.width, ds.height) / STRETCH_SAMPLE_PX)
        shape = (len(self.bands), max(1, int(ds.height / f)), max(1, int(ds.width / f)))
        try:
            sample = ds.read(
                self.bands, out_shape=shape, resampling=Resampling.nearest, masked=True
            )
        except self._rio_error as exc:
            raise ImageryError(_unreadable(self.path, exc)) from exc
        valid = np.asarray(~np.ma.getmaskarray(sample).any(axis=0), dtype=bool)
        return _stretch_limits(np.ma.getdata(sample).astype(np.float64), valid)

    def read_rgb(
        self, col_off: int, row_off: int, width: int, height: int, out_w: int, out_h: int
    ) -> np.ndarray:
        from rasterio.enums import Resampling
        from rasterio.windows import Window

        shrink = out_w < width
        try:
            data = self._ds.read(
                self.bands,
                window=Window(col_off, row_off, width, height),
                out_shape=(len(self.bands), out_h, out_w),
                resampling=Resampling.average if shrink else Resampling.bilinear,
            )
        except self._rio_error as exc:
            raise ImageryError(_unreadable(self.path, exc)) from exc
        return to_uint8(data, self.limits)

    def close(self) -> None:
        self._ds.close()


def open_image(path: str | Path, bands: tuple[int, ...] | None = None) -> Any:
    """Open an image for windowed RGB reading (``ImageSource``); raises ``ImageryError`` for a
    missing, empty or corrupt file. Close it with ``.close()``."""
    p = Path(path)
    if not p.is_file():
        raise ImageryError(f"image {p} not found")
    if p.stat().st_size == 0:
        raise ImageryError(f"image {p} is an empty file (0 bytes)")
    if p.suffix.lower() in PIL_SUFFIXES:
        return _open_pil(p, bands)
    return RasterioSource(p, bands)
