"""Sentinel-2 Level-2A: band files, reflectance scaling and the SCL cloud/shadow/snow masks.

A scene is a folder (a SAFE ``IMG_DATA`` tree, a COG download, or any folder), a mapping of
band name to file, or one multi-band file whose band descriptions name the bands (the STAC
cache's ``<pass>.tif`` with its ``<pass>.json`` sidecar). Band files are found by the band token
in their name (``B02``, ``B8A``, ``SCL``, e.g. ``T33UUP_20220101T100021_B02_10m.jp2`` or
``B02.tif``); when one band exists at several resolutions the finest wins.

Reflectance is ``(DN + BOA_ADD_OFFSET) / QUANTIFICATION_VALUE``; DN 0 is no data. ESA's
processing baseline 04.00 (products from 25 January 2022 on, and Collection-1 reprocessings of
older dates) shifted DNs by +1000, so ``BOA_ADD_OFFSET`` is -1000 there and 0 before. The offset
is taken from, in order: the ``offset`` argument; ``BOA_ADD_OFFSET`` in ``MTD_MSIL2A.xml`` (in
the folder or up to four parents; not for a stacked file); a STAC item JSON in the folder, or
the stacked file's own ``NAME.json`` (``earthsearch:boa_offset_applied`` true means already
applied, i.e. 0; else ``s2:processing_baseline`` >= 04.00 means -1000); GeoTIFF tags
``BOA_ADD_OFFSET`` / ``PROCESSING_BASELINE``; otherwise 0 with a logged warning. Earth Search's
``boa_offset_applied`` flag has been reported wrong for some items (Element84/earth-search#66,
#71): pass ``offset`` when you know better. A scene whose valid pixels are mostly negative after
scaling is logged as a likely double offset.

SCL (20 m) is resampled to the output grid by nearest neighbour. Masked ("blind") pixels:
0 no data, 1 saturated/defective, 3 cloud shadow, 8/9 cloud medium/high probability, 10 thin
cirrus, 11 snow/ice. Blind pixels are NaN in the reflectance and never read as "no change".
"""

from __future__ import annotations

import json
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import rasterio
from affine import Affine
from rasterio.errors import RasterioError
from rasterio.warp import Resampling, reproject

from forcewatch.errors import ImageryError, InputError

log = logging.getLogger(__name__)

#: Band names in MTD_MSIL2A ``band_id`` order (0..12).
BAND_IDS = (
    "B01",
    "B02",
    "B03",
    "B04",
    "B05",
    "B06",
    "B07",
    "B08",
    "B8A",
    "B09",
    "B10",
    "B11",
    "B12",
)
DEFAULT_BANDS = ("B02", "B03", "B04", "B08")
RASTER_SUFFIXES = {".tif", ".tiff", ".jp2", ".cog", ".vrt"}
QUANTIFICATION = 10000.0
BASELINE_OFFSET = -1000.0

SCL_NODATA = 0
SCL_DEFECTIVE = 1
SCL_DARK = 2
SCL_SHADOW = 3
SCL_UNCLASSIFIED = 7
SCL_CLOUD = (8, 9, 10)  # cloud medium, cloud high probability, thin cirrus
SCL_SNOW = 11

_TOKEN = re.compile(r"(?:^|[^A-Z0-9])(B0?[1-9]|B1[0-2]|B8A|SCL)(?:_(\d+)M)?(?=[^A-Z0-9]|$)")


class GridLike(Protocol):
    """A target grid (``forcewatch.imagery.load.SiteGrid`` fits): CRS, affine, (ny, nx)."""

    @property
    def crs(self) -> str: ...

    @property
    def transform(self) -> Affine: ...

    @property
    def shape(self) -> tuple[int, int]: ...


@dataclass(frozen=True)
class SclMasks:
    """``(y, x)`` boolean masks from the scene classification; ``valid`` is none of the rest."""

    nodata: np.ndarray
    defective: np.ndarray
    shadow: np.ndarray
    cloud: np.ndarray
    snow: np.ndarray
    other: np.ndarray
    valid: np.ndarray


@dataclass(frozen=True)
class SceneStats:
    """Per-scene coverage. ``valid_frac`` and ``nodata_frac`` are over all grid pixels; the
    cloud, shadow, snow and defective fractions over pixels with data (NaN when none has).
    ``blind``: ``valid_frac`` is 0 or below the reader's ``min_valid_frac``."""

    n_px: int
    valid_frac: float
    nodata_frac: float
    cloud_frac: float
    shadow_frac: float
    snow_frac: float
    defective_frac: float
    blind: bool


@dataclass(frozen=True)
class L2AScene:
    """A Level-2A scene on one grid.

    ``reflectance``: float32 ``(band, y, x)`` in ``bands`` order, unitless surface reflectance,
    NaN where not ``valid``; ``valid``: ``(y, x)`` clear pixels with data in every band;
    ``scl``: ``(y, x)`` uint8 scene classification on the grid; ``offsets``: BOA_ADD_OFFSET
    applied per band (DN units) and ``offset_source`` where it came from.
    """

    reflectance: np.ndarray
    bands: tuple[str, ...]
    valid: np.ndarray
    scl: np.ndarray
    masks: SclMasks
    stats: SceneStats
    crs: str
    transform: Affine
    offsets: dict[str, float]
    offset_source: str

    @property
    def res_m(self) -> float:
        return float(abs(self.transform.a))


# ------------------------------------------------------------------------------ pure pieces


def canonical_band(name: str) -> str:
    """``'b2'`` -> ``'B02'``, ``'b8a'`` -> ``'B8A'``, ``'scl'`` -> ``'SCL'``; InputError else."""
    n = name.strip().upper()
    m = re.fullmatch(r"B0?([1-9]|1[0-2])|B8A|SCL", n)
    if not m:
        raise InputError(f"unknown Sentinel-2 band {name!r}; use B01..B12, B8A or SCL")
    return n if n in ("B8A", "SCL") else f"B{int(m.group(1)):02d}"


def boa_offset_for_baseline(baseline: str | float | None) -> float:
    """BOA_ADD_OFFSET (DN) implied by a processing baseline: -1000 from 04.00 on, else 0."""
    if baseline is None:
        return 0.0
    try:
        value = float(str(baseline).strip().lstrip("N"))
    except ValueError as exc:
        raise InputError(
            f"cannot read processing baseline {baseline!r} (expected e.g. '04.00')"
        ) from exc
    # 'N0400' style names carry the baseline x100
    if value >= 100:
        value /= 100.0
    return BASELINE_OFFSET if value >= 4.0 else 0.0


def dn_to_reflectance(
    dn: np.ndarray, offset: float = 0.0, quantification: float = QUANTIFICATION
) -> np.ndarray:
    """Surface reflectance ``(DN + offset) / quantification`` as float32; DN 0 (no data) and
    non-finite DN are NaN. Values may be slightly negative (dark targets); they are kept."""
    dn = np.asarray(dn)
    if quantification <= 0:
        raise InputError(f"quantification value must be positive, got {quantification}")
    out = (dn.astype(np.float32) + np.float32(offset)) / np.float32(quantification)
    out[~np.isfinite(dn) | (dn == 0)] = np.nan
    return out


def scl_masks(scl: np.ndarray, extra_invalid: Iterable[int] = ()) -> SclMasks:
    """Masks from SCL codes ``(y, x)``. ``extra_invalid`` codes (e.g. 2 dark area, 7
    unclassified) are also masked, as ``other``."""
    scl = np.asarray(scl)
    if scl.ndim != 2:
        raise InputError(f"SCL must be a 2-D (y, x) array, got shape {scl.shape}")
    nodata = scl == SCL_NODATA
    defective = scl == SCL_DEFECTIVE
    shadow = scl == SCL_SHADOW
    cloud = np.isin(scl, SCL_CLOUD)
    snow = scl == SCL_SNOW
    other = np.isin(scl, list(extra_invalid))
    valid = ~(nodata | defective | shadow | cloud | snow | other)
    return SclMasks(nodata, defective, shadow, cloud, snow, other, valid)


def scene_stats(
    masks: SclMasks, valid: np.ndarray | None = None, min_valid_frac: float = 0.0
) -> SceneStats:
    """Coverage fractions of a scene; ``valid`` overrides ``masks.valid`` (e.g. joined with
    band nodata)."""
    ok = masks.valid if valid is None else np.asarray(valid, bool)
    n = int(ok.size)
    has_data = int((~masks.nodata).sum())

    def of_data(m: np.ndarray) -> float:
        return float(m.sum() / has_data) if has_data else float("nan")

    valid_frac = float(ok.sum() / n) if n else 0.0
    return SceneStats(
        n_px=n,
        valid_frac=valid_frac,
        nodata_frac=float(masks.nodata.sum() / n) if n else 1.0,
        cloud_frac=of_data(masks.cloud),
        shadow_frac=of_data(masks.shadow),
        snow_frac=of_data(masks.snow),
        defective_frac=of_data(masks.defective),
        blind=valid_frac == 0.0 or valid_frac < min_valid_frac,
    )


# ------------------------------------------------------------------------------------- I/O


def find_band_files(folder: Path) -> dict[str, Path]:
    """Band name -> file in ``folder`` (searched recursively), the finest resolution first.

    A resolution in the name (``_10m``) beats none; quality masks (``MSK_*``, e.g.
    ``MSK_QUALIT_B02.jp2`` in a SAFE's QI_DATA) are skipped. Raises ImageryError when
    ``folder`` is not a directory.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ImageryError(f"{folder}: not a folder of Sentinel-2 band files")
    found: dict[str, tuple[int, Path]] = {}
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() not in RASTER_SUFFIXES or not path.is_file():
            continue
        stem = path.stem.upper()
        m = _TOKEN.search(stem)
        if not m or stem.startswith("MSK_"):
            continue
        band = canonical_band(m.group(1))
        res = int(m.group(2)) if m.group(2) else 1_000_000
        if band not in found or res < found[band][0]:
            found[band] = (res, path)
    return {b: p for b, (_, p) in found.items()}


def _metadata_xml(start: Path) -> Path | None:
    for folder in [start, *list(start.parents)[:4]]:
        hits = sorted(folder.glob("MTD_MSIL2A*.xml"))
        if hits:
            return hits[0]
    return None


def _offsets_from_xml(path: Path) -> tuple[dict[str, float], float]:
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        raise ImageryError(f"{path}: unreadable product metadata ({exc})") from exc
    quant = QUANTIFICATION
    offsets: dict[str, float] = {}
    baseline = None
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "BOA_QUANTIFICATION_VALUE" and el.text:
            quant = float(el.text)
        elif tag == "BOA_ADD_OFFSET" and el.text:
            offsets[BAND_IDS[int(el.get("band_id", "-1"))]] = float(el.text)
        elif tag == "PROCESSING_BASELINE" and el.text:
            baseline = el.text
    if not offsets:
        off = boa_offset_for_baseline(baseline)
        offsets = {b: off for b in BAND_IDS}
    return offsets, quant


def _offset_from_stac(candidates: Iterable[Path]) -> float | None:
    for path in candidates:
        try:
            props = json.loads(path.read_text()).get("properties", {})
        except (OSError, ValueError, AttributeError):
            continue
        if not isinstance(props, dict):
            continue
        for key in ("earthsearch:boa_offset_applied", "sentinel:boa_offset_applied"):
            if props.get(key) is True:
                return 0.0
        for key in ("s2:processing_baseline", "sentinel:processing_baseline"):
            if key in props:
                return boa_offset_for_baseline(props[key])
    return None


def _offset_from_tags(path: Path) -> float | None:
    try:
        with rasterio.open(path) as src:
            tags = {k.upper(): v for k, v in src.tags().items()}
    except (RasterioError, OSError):
        return None
    if "BOA_ADD_OFFSET" in tags:
        return float(tags["BOA_ADD_OFFSET"])
    for key in ("PROCESSING_BASELINE", "S2:PROCESSING_BASELINE"):
        if key in tags:
            return boa_offset_for_baseline(tags[key])
    return None


@dataclass(frozen=True)
class BandRef:
    """Where one band lives: a file and its 1-based band index (1 for single-band files)."""

    path: Path
    index: int = 1


def resolve_offsets(
    refs: Mapping[str, BandRef], offset: float | None = None
) -> tuple[dict[str, float], float, str]:
    """Per-band BOA_ADD_OFFSET, quantification value and where they came from (see module).

    A stacked file (bands of one file) looks only at its ``NAME.json`` sidecar and its tags;
    band files look for ``MTD_MSIL2A.xml`` and any STAC item JSON in their folder.
    """
    bands = [b for b in refs if b != "SCL"]
    if offset is not None:
        return {b: float(offset) for b in bands}, QUANTIFICATION, "argument"
    first = refs[bands[0]].path
    stacked = len({r.path for r in refs.values()}) == 1 and len(refs) > 1
    if not stacked:
        xml = _metadata_xml(first.parent)
        if xml is not None:
            offs, quant = _offsets_from_xml(xml)
            return {b: offs.get(b, 0.0) for b in bands}, quant, str(xml.name)
    sidecars = [first.with_suffix(".json")] if stacked else sorted(first.parent.glob("*.json"))
    stac = _offset_from_stac(sidecars)
    if stac is not None:
        return {b: stac for b in bands}, QUANTIFICATION, "STAC item"
    tag = _offset_from_tags(first)
    if tag is not None:
        return {b: tag for b in bands}, QUANTIFICATION, "GeoTIFF tags"
    log.warning("%s: no processing-baseline metadata; assuming BOA_ADD_OFFSET 0", first)
    return {b: 0.0 for b in bands}, QUANTIFICATION, "assumed 0 (no metadata)"


def _cannot_read(path: Path, exc: Exception) -> ImageryError:
    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return ImageryError(f"{path}: cannot read ({msg})")


def _read_onto(
    ref: BandRef, crs: str, transform: Affine, shape: tuple[int, int], resampling: Resampling
) -> np.ndarray:
    """One band on the grid as float32, NaN for nodata/outside."""
    out = np.full(shape, np.nan, np.float32)
    try:
        with rasterio.open(ref.path) as src:
            nodata = src.nodata if src.nodata is not None else 0
            same = (
                src.crs is not None
                and src.crs.to_string() == crs
                and src.transform.almost_equals(transform)
                and src.shape == shape
            )
            if same:
                data = src.read(ref.index).astype(np.float32)
                if not np.isnan(nodata):
                    data[data == nodata] = np.nan
                return data
            reproject(
                source=rasterio.band(src, ref.index),
                destination=out,
                dst_transform=transform,
                dst_crs=crs,
                src_nodata=nodata,
                dst_nodata=np.nan,
                resampling=resampling,
            )
    except (RasterioError, OSError) as exc:
        raise _cannot_read(ref.path, exc) from exc
    return out


def _reference_grid(path: Path) -> tuple[str, Affine, tuple[int, int]]:
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise ImageryError(f"{path}: no CRS; Sentinel-2 band files are projected (UTM)")
            return src.crs.to_string(), src.transform, src.shape
    except (RasterioError, OSError) as exc:
        raise _cannot_read(path, exc) from exc


def stacked_bands(path: Path) -> dict[str, BandRef]:
    """Band name -> band of a multi-band file, from its band descriptions (``B02`` ... ``SCL``),
    as written by ``forcewatch.imagery.stac``. Undescribed bands are ignored."""
    try:
        with rasterio.open(path) as src:
            names = src.descriptions
    except (RasterioError, OSError) as exc:
        raise _cannot_read(path, exc) from exc
    refs: dict[str, BandRef] = {}
    for i, name in enumerate(names, start=1):
        try:
            refs[canonical_band(name or "")] = BandRef(path, i)
        except InputError:
            continue
    return refs


def _band_refs(source: Path | str | Mapping[str, Path | str]) -> tuple[dict[str, BandRef], str]:
    if isinstance(source, Mapping):
        return {canonical_band(k): BandRef(Path(v)) for k, v in source.items()}, "band mapping"
    path = Path(source)
    if path.is_file():
        return stacked_bands(path), str(path)
    if not path.exists():
        raise ImageryError(f"{path}: no such file or folder")
    return {b: BandRef(p) for b, p in find_band_files(path).items()}, str(path)


def read_l2a(
    source: Path | str | Mapping[str, Path | str],
    bands: Iterable[str] = DEFAULT_BANDS,
    *,
    grid: GridLike | None = None,
    offset: float | None = None,
    extra_invalid: Iterable[int] = (),
    min_valid_frac: float = 0.0,
) -> L2AScene:
    """Read ``bands`` and SCL of a Level-2A scene onto one grid, with masks and coverage.

    ``source``: a folder (see ``find_band_files``), a mapping band -> single-band file
    including ``'SCL'``, or one multi-band file whose band descriptions name the bands (the
    STAC cache's ``<pass>.tif``, see ``stacked_bands``). ``grid``: target grid (e.g. a site's
    ``SiteGrid``); default the grid of the finest requested band. Reflectance bands are
    resampled bilinearly when coarser than the grid, else nearest; SCL always nearest.
    ``offset`` overrides the metadata (DN units, e.g. -1000). An all-cloud scene is returned
    with ``stats.valid_frac == 0`` and ``stats.blind``; a missing band, a missing SCL or an
    unreadable file raises ImageryError.
    """
    wanted = [canonical_band(b) for b in bands]
    if not wanted or "SCL" in wanted:
        raise InputError("bands must list reflectance bands (B01..B12, B8A); SCL is always read")
    refs, where = _band_refs(source)
    missing = [b for b in [*wanted, "SCL"] if b not in refs]
    if missing:
        have = ", ".join(sorted(refs)) or "none"
        raise ImageryError(f"{where}: band(s) {', '.join(missing)} not found (found: {have})")
    for b in [*wanted, "SCL"]:
        if not refs[b].path.is_file():
            raise ImageryError(f"{refs[b].path}: band {b} file does not exist")
    res = {b: abs(_reference_grid(refs[b].path)[1].a) for b in wanted}
    if grid is None:
        crs, transform, shape = _reference_grid(refs[min(wanted, key=lambda b: res[b])].path)
    else:
        crs, transform = grid.crs, grid.transform
        shape = (int(grid.shape[0]), int(grid.shape[1]))
    offsets, quant, source_name = resolve_offsets({b: refs[b] for b in [*wanted, "SCL"]}, offset)
    grid_res = abs(transform.a)
    refl = np.empty((len(wanted), *shape), np.float32)
    for i, b in enumerate(wanted):
        how = Resampling.bilinear if res[b] > grid_res * 1.01 else Resampling.nearest
        dn = _read_onto(refs[b], crs, transform, shape, how)
        refl[i] = dn_to_reflectance(np.nan_to_num(dn, nan=0.0), offsets[b], quant)
    scl_f = _read_onto(refs["SCL"], crs, transform, shape, Resampling.nearest)
    scl = np.nan_to_num(scl_f, nan=SCL_NODATA).astype(np.uint8)
    masks = scl_masks(scl, extra_invalid)
    valid = masks.valid & np.isfinite(refl).all(axis=0)
    refl[:, ~valid] = np.nan
    stats = scene_stats(masks, valid, min_valid_frac)
    if valid.any() and np.mean(refl[:, valid] < 0) > 0.5:
        log.warning(
            "%s: most valid reflectances are negative; the BOA offset (%s) may be applied twice",
            where,
            source_name,
        )
    return L2AScene(
        reflectance=refl,
        bands=tuple(wanted),
        valid=valid,
        scl=scl,
        masks=masks,
        stats=stats,
        crs=crs,
        transform=transform,
        offsets=offsets,
        offset_source=source_name,
    )
