"""Planning and running the measurement of (site, acquisition geometry) units.

A unit is one site seen from one acquisition geometry (a Sentinel-1 relative orbit) with all
its scenes: the omnibus test needs the whole stack, so a unit is measured, and stored, whole.
``plan_units`` decides what is to do (skipping units whose identity — site geometry, scene
checksums, parameters — is already stored); ``measure_unit`` is the pure task run on the
engine (plain values in, rows out, no store access); the caller writes each unit's rows in one
transaction, so a crash leaves no half-written unit and the next run resumes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import ndimage

from forcewatch.config import ProjectConfig
from forcewatch.errors import ConfigError, ImageryError
from forcewatch.imagery.load import SiteGrid, grid_for_site, read_on_grid, site_masks
from forcewatch.sites import Site
from forcewatch.store.repo import StoredSite

log = logging.getLogger(__name__)

ANALYSIS_VERSION = "s1-activity-1"
OPTICAL_MIN_VALID = 0.5  # site fraction of clear pixels for a Sentinel-2 scene to be compared
OPTICAL_MIN_PIXELS = 200  # clear pixels common to two scenes for IR-MAD to be fitted


@dataclass(frozen=True)
class SarParams:
    """Parameters that change measured values (their hash keys stored rows)."""

    enl: float
    alpha: float
    cfar_pfa: float
    cfar_guard_px: int
    cfar_train_px: int
    cfar_method: Literal["ca", "os"]
    res_m: float
    ring_km: float
    margin_km: float
    units: str
    detector_model: str | None = None  # absolute .onnx path; None = the shipped detector
    detector_tta: bool = False
    detector_sha256: str | None = None  # of the model file: what the hash of sharp units uses

    @classmethod
    def from_config(cls, cfg: ProjectConfig, root: Path | None = None) -> SarParams:
        """The parameters of a project; a relative detector path is taken from ``root``.
        Raises ``ConfigError`` when ``detection.model`` names no readable file."""
        model, sha = cfg.detection.model, None
        if model is not None:
            path = Path(model)
            if root is not None and not path.is_absolute():
                path = root / path
            try:
                sha = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError as exc:
                raise ConfigError(
                    f"detection.model: cannot read {path} ({exc.strerror}); give an .onnx "
                    "path relative to the project folder, or null for the shipped detector"
                ) from exc
            model = str(path.resolve())
        return cls(
            enl=cfg.sar.enl,
            alpha=cfg.sar.alpha,
            cfar_pfa=cfg.sar.cfar_pfa,
            cfar_guard_px=cfg.sar.cfar_guard_px,
            cfar_train_px=cfg.sar.cfar_train_px,
            cfar_method=cfg.sar.cfar_method,
            res_m=cfg.imagery.grid_res_m,
            ring_km=cfg.sites.ring_km,
            margin_km=cfg.sites.margin_km,
            units=cfg.imagery.sar_units,
            detector_model=model,
            detector_tta=cfg.detection.tta,
            detector_sha256=sha,
        )

    def digest(self, geometry_key: str | None = None) -> str:
        """Hash of the parameters of a unit of ``geometry_key``. The detector settings count
        for sharp-image units (``"hr"``) only, by the model file's content (not its path: a
        moved project keeps its hash), and only when not at their defaults, so the hashes
        (and stored rows) of projects from before those settings stay valid."""
        values = asdict(self)
        del values["detector_model"]
        for key in ("detector_tta", "detector_sha256"):
            if geometry_key != "hr" or not values[key]:
                del values[key]
        text = json.dumps({**values, "version": ANALYSIS_VERSION}, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class SceneRef:
    scene_id: str
    href: str
    sha256: str
    acquired_utc: datetime
    units: str


@dataclass(frozen=True)
class Unit:
    """One (site, geometry) series to measure, with everything the task needs."""

    unit_key: str
    site_id: int
    site: Site
    geometry_key: str
    scenes: tuple[SceneRef, ...]
    params: SarParams
    params_hash: str  # ``params.digest`` for this unit's sensor: part of its key, stored with it


def plan_units(
    sites: Sequence[StoredSite],
    scenes: pd.DataFrame,
    params: SarParams,
    sensor: str = "s1",
    min_scenes: int = 2,
) -> list[Unit]:
    """Every (site, geometry) unit with at least ``min_scenes`` scenes, in a stable order."""
    if scenes.empty:
        return []
    phash = params.digest(sensor)
    by_id = {s.id: s for s in sites}
    units = []
    sel = scenes[(scenes["sensor"] == sensor) & scenes["site_id"].isin(list(by_id))]
    for (site_id, gkey), grp in sel.groupby(["site_id", "geometry_key"], sort=True):
        grp = grp.sort_values("acquired_utc")
        if sensor != "hr":
            # two files of one pass (a reprocessed copy, overlapping tiles): one date, one
            # scene, the one covering the site most (else the date would count twice)
            grp = grp.sort_values(
                ["acquired_utc", "overlap_fraction", "scene_id"], ascending=[True, False, True]
            ).drop_duplicates("acquired_utc", keep="first")
        refs = tuple(
            SceneRef(r.scene_id, r.href, r.sha256, r.acquired_utc.to_pydatetime(), str(r.units))
            for r in grp.itertuples()
        )
        if len(refs) < min_scenes:
            continue
        stored = by_id[int(site_id)]
        ident = json.dumps(
            [stored.site.geometry.wkt, gkey, [(s.scene_id, s.sha256) for s in refs], phash]
        )
        key = hashlib.sha256(ident.encode()).hexdigest()[:32]
        units.append(Unit(key, stored.id, stored.site, str(gkey), refs, params, phash))
    return units


def measurement(ref: SceneRef, metric: str, value: float) -> dict[str, Any]:
    """One measurement row of a scene (the shape ``repo.write_unit`` stores)."""
    return dict(scene_id=ref.scene_id, acquired_utc=ref.acquired_utc, metric=metric, value=value)


def plan_all(sites: Sequence[StoredSite], scenes: pd.DataFrame, params: SarParams) -> list[Unit]:
    """Units of every sensor that has a measurement: Sentinel-1, Sentinel-2 and sharp images
    (object counts; one image is enough there)."""
    return (
        plan_units(sites, scenes, params, "s1")
        + plan_units(sites, scenes, params, "s2")
        + plan_units(sites, scenes, params, "hr", min_scenes=1)
    )


def short_series(
    sites: Sequence[StoredSite], scenes: pd.DataFrame, min_scenes: int = 2
) -> list[str]:
    """The (site, geometry) series of Sentinel-1 and Sentinel-2 with too few scenes for a
    change test (fewer than ``min_scenes``), as "Site s1:ro021 (1 scene)"."""
    if scenes.empty:
        return []
    names = {s.id: s.site.name for s in sites}
    sel = scenes[scenes["sensor"].isin(["s1", "s2"]) & scenes["site_id"].isin(list(names))]
    counts = sel.groupby(["site_id", "geometry_key"], sort=True)["scene_id"].nunique()
    return [
        f"{names[int(site_id)]} {gkey} ({n} scene{'s' if n != 1 else ''})"
        for (site_id, gkey), n in counts.items()
        if n < min_scenes
    ]


@dataclass(frozen=True)
class UnitResult:
    """What a measured unit yields: measurement rows and, for sharp images, detections."""

    rows: list[dict[str, Any]]
    detections: list[dict[str, Any]]
    # scenes that could not be read ("PATH: why"): their dates are missing from the series
    skipped: list[str] = field(default_factory=list)


def measure(unit: Unit) -> UnitResult:
    """Measure a unit with the engine of its sensor (the task the engine runs)."""
    skipped: list[str] = []
    if unit.geometry_key == "s2":
        return UnitResult(measure_optical_unit(unit, skipped), [], skipped)
    if unit.geometry_key == "hr":
        from forcewatch.analysis_objects import measure_objects_unit

        return measure_objects_unit(unit, unit.params.detector_model, unit.params.detector_tta)
    return UnitResult(measure_unit(unit, skipped), [], skipped)


def measure_optical_unit(unit: Unit, skipped: list[str] | None = None) -> list[dict[str, Any]]:
    """Sentinel-2 unit: per scene the valid and cloud fractions over the site, and IR-MAD
    change against the previous scene with enough clear sky over the site.

    Cloud, shadow, snow and nodata pixels are blind: they count neither as change nor as no
    change, and a scene whose site is mostly blind gets no change metrics at all.
    """
    from forcewatch.imagery.sentinel2 import read_l2a
    from forcewatch.measure.optical import irmad, site_change

    p = unit.params
    grid = grid_for_site(unit.site, p.res_m, p.margin_km)
    masks = site_masks(unit.site, grid, p.ring_km)
    rows: list[dict[str, Any]] = []
    previous: Any = None
    for ref in unit.scenes:
        try:
            scene = read_l2a(ref.href, grid=grid)
        except ImageryError as exc:  # moved or broken since ingest: that date is blind
            if skipped is not None:
                skipped.append(exc.message)
            rows.append(measurement(ref, "valid_frac", 0.0))
            continue

        def add(metric: str, value: float, ref: SceneRef = ref) -> None:
            rows.append(measurement(ref, metric, value))

        valid_site = float(scene.valid[masks.site].mean()) if masks.site.any() else 0.0
        add("valid_frac", valid_site)
        add("cloud_frac", float(scene.stats.cloud_frac))
        if valid_site < OPTICAL_MIN_VALID:
            continue
        if previous is not None:
            both = previous.valid & scene.valid
            if both.sum() >= OPTICAL_MIN_PIXELS:
                res = irmad(previous.reflectance, scene.reflectance, both, alpha=p.alpha)
                for region, suffix in ((masks.site, ""), (masks.ring, "_ring")):
                    sc = site_change(res.change, res.valid, region, grid.res_m**2)
                    add("optical_change_frac" + suffix, float(sc.changed_frac))
                    add("optical_changed_area_m2" + suffix, float(sc.changed_area_m2))
        previous = scene
    return rows


def _targets(mask: np.ndarray, region: np.ndarray) -> int:
    _, n = ndimage.label(mask & region, structure=np.ones((3, 3), bool))
    return int(n)


def _frac(mask: np.ndarray, region: np.ndarray, valid: np.ndarray) -> float:
    denom = int((region & valid).sum())
    return float((mask & region & valid).sum()) / denom if denom else float("nan")


def measure_unit(unit: Unit, skipped: list[str] | None = None) -> list[dict[str, Any]]:
    """Measure one unit: read the stack on the site grid, run CFAR and omnibus, return rows.

    Rows are dicts with scene_id, acquired_utc, metric, value (see docs/contracts.md).
    Scenes that cannot be read are skipped: a ``valid_frac`` of 0 marks their dates blind, and
    ``skipped`` (when given) collects why.
    """
    # Imported here: the kernels pull in numba, which only measuring needs.
    from forcewatch.measure.cfar import cfar_detect
    from forcewatch.measure.omnibus import sequential_omnibus

    delay = float(os.environ.get("FORCEWATCH_UNIT_DELAY_S", "0") or 0)  # crash-resume tests
    p = unit.params
    grid: SiteGrid = grid_for_site(unit.site, p.res_m, p.margin_km)
    masks = site_masks(unit.site, grid, p.ring_km)
    px_area_m2 = grid.res_m**2
    layers: list[np.ndarray] = []
    kept: list[SceneRef] = []
    rows: list[dict[str, Any]] = []
    for ref in unit.scenes:
        try:
            data = read_on_grid(ref.href, grid, ref.units if ref.units != "auto" else p.units)
        except ImageryError as exc:  # a file moved or broken since ingest: that date is missing
            log.warning("skipping %s for %s: %s", ref.href, unit.site.name, exc)
            if skipped is not None:
                skipped.append(exc.message)
            rows.append(measurement(ref, "valid_frac", 0.0))  # blind that date, not absent
            continue
        if not np.isfinite(data[:2]).any():
            # nothing valid on the site's grid (nodata there, or dB values read as linear power,
            # which are negative and masked): the site is blind on that date
            log.warning(
                "%s: no valid pixel on the grid of %s (all nodata, or dB data read as linear: "
                "set imagery.sar_units: db or fix the file's units tag)",
                ref.href,
                unit.site.name,
            )
            rows.append(measurement(ref, "valid_frac", 0.0))
            continue
        layers.append(data[:2])
        kept.append(ref)
    if not kept:
        return rows
    npol = min(layer.shape[0] for layer in layers)
    stack = np.stack([layer[:npol] for layer in layers])  # (time, pol, y, x)

    def add(i: int, metric: str, value: float) -> None:
        rows.append(measurement(kept[i], metric, value))

    for i in range(len(kept)):
        vv = stack[i, 0]
        valid = np.isfinite(stack[i]).all(axis=0)
        det = cfar_detect(
            np.where(valid, vv, np.nan),
            enl=p.enl,
            pfa=p.cfar_pfa,
            guard_px=p.cfar_guard_px,
            train_px=p.cfar_train_px,
            method=p.cfar_method,
        ).mask
        bg_frac = _frac(det, masks.background, valid)
        site_frac = _frac(det, masks.site, valid)
        ring_frac = _frac(det, masks.ring, valid)
        valid_site = float(valid[masks.site].mean()) if masks.site.any() else 0.0
        add(i, "valid_frac", valid_site)
        add(i, "targets", _targets(det, masks.site))
        add(i, "targets_ring", _targets(det, masks.ring))
        add(i, "bright_area_m2", float((det & masks.site).sum()) * px_area_m2)
        add(i, "bright_area_ring_m2", float((det & masks.ring).sum()) * px_area_m2)
        add(i, "bright_frac", site_frac)
        add(i, "bright_frac_ring", ring_frac)
        add(i, "bright_frac_resid", site_frac - bg_frac)
        add(i, "bright_frac_resid_ring", ring_frac - bg_frac)
        add(i, "bg_bright_frac", bg_frac)
        bg = vv[masks.background & valid]
        add(i, "bg_mean_db", float(10 * np.log10(bg.mean())) if bg.size else float("nan"))
    if len(kept) >= 2:
        seq = sequential_omnibus(stack, p.enl, p.alpha)
        for i in range(1, len(kept)):
            add(i, "change_frac", _frac(seq.changes[i - 1], masks.site, np.ones_like(masks.site)))
            pair = sequential_omnibus(stack[[0, i]], p.enl, p.alpha)
            ch, dirn = pair.changes[0], pair.direction[0]
            for region, suffix in ((masks.site, ""), (masks.ring, "_ring")):
                add(i, "inc_frac" + suffix, _frac(ch & (dirn > 0), region, np.ones_like(region)))
                add(i, "dec_frac" + suffix, _frac(ch & (dirn < 0), region, np.ones_like(region)))
    if delay:
        time.sleep(delay)
    return rows
