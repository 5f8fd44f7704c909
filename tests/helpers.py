"""Test helpers: a tiny simulated project (two sites, few dates) built in seconds."""

from __future__ import annotations

import json
import shutil
from datetime import date
from importlib import resources
from pathlib import Path

from forcewatch.config import Project
from forcewatch.pipeline import import_sites, init_project
from forcewatch.scenario.simulate import ScenarioSpec, build_scenes, scenario_sites
from forcewatch.sites import site_to_feature

TINY = ScenarioSpec(
    start=date(2021, 12, 1),
    end=date(2022, 1, 20),
    revisit_days=12,
    radius_km=0.4,
    ring_km=0.2,
    margin_km=0.4,
    sites=("Klintsy", "Valuyki"),
)


def tiny_project(folder: Path, spec: ScenarioSpec = TINY) -> tuple[Project, Path]:
    """A project with the tiny scenario's sites imported and its scenes written (not ingested)."""
    folder.mkdir(parents=True, exist_ok=True)
    features = [site_to_feature(s) for s in scenario_sites(spec)]
    (folder / "sites.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features})
    )
    with resources.as_file(resources.files("forcewatch.data") / "UKR.geo.json") as src:
        shutil.copyfile(src, folder / "reference.geojson")
    project = init_project(
        folder,
        watchlist="sites.geojson",
        reference="reference.geojson",
        simulated=True,
        ring_km=spec.ring_km,
        margin_km=spec.margin_km,
    )
    import_sites(project)
    imagery = folder / "imagery"
    list(build_scenes(spec, imagery))
    return project, imagery
