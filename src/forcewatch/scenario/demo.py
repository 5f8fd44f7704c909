"""``forcewatch demo``: build the simulated scenario and run the real pipeline on its files.

Nothing here reads the simulator's ground truth: the scenes are ingested, measured, assessed
and the claims tested exactly as a user's imagery would be.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from contextlib import AbstractContextManager
from importlib import resources
from pathlib import Path
from typing import Any

from forcewatch.claims.ledger import load_claims_yaml
from forcewatch.errors import ForceWatchError, InputError
from forcewatch.pipeline import (
    analyze,
    assess,
    compute_verdicts,
    import_sites,
    ingest,
    init_project,
    store_for,
)
from forcewatch.scenario.simulate import ScenarioSpec, build_scenes, scenario_sites
from forcewatch.sites import site_to_feature
from forcewatch.store import repo

Step = Callable[[str], AbstractContextManager[Callable[[int, int], None]]]


def _write_inputs(folder: Path, spec: ScenarioSpec) -> None:
    sites_file = folder / "sites.geojson"
    if not sites_file.exists():
        features = [site_to_feature(s) for s in scenario_sites(spec)]
        sites_file.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    ref = folder / "reference.geojson"
    if not ref.exists():
        with resources.as_file(resources.files("forcewatch.data") / "UKR.geo.json") as src:
            shutil.copyfile(src, ref)


def _refuse_a_real_project(folder: Path) -> None:
    """The demo writes simulated scenes and claims into its folder's store: never into a
    project of real imagery (one whose configuration does not say ``simulated: true``)."""
    from forcewatch.config import PROJECT_FILE, load_project

    if not (folder / PROJECT_FILE).is_file():
        return
    try:
        simulated = load_project(folder).config.simulated
    except ForceWatchError:
        simulated = False
    if not simulated:
        raise InputError(
            f"{folder} holds a project that is not the simulated demo; run the demo with "
            "--out NEW_FOLDER (it would add simulated scenes and claims to this project)"
        )


def run_demo(
    out_dir: Path, step: Step, scheduler: str | None = None, spec: ScenarioSpec | None = None
) -> dict[str, Any]:
    """Run the whole job on the built-in scenario; returns paths, claims and verdicts."""
    from forcewatch.publish.bundle import build_bundle
    from forcewatch.publish.report import build_report

    spec = spec or ScenarioSpec()
    out_dir = out_dir.resolve()
    _refuse_a_real_project(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_inputs(out_dir, spec)
    project = init_project(
        out_dir,
        name="Winter 2021-22 build-up (simulated imagery)",
        watchlist="sites.geojson",
        reference="reference.geojson",
        simulated=True,
        ring_km=spec.ring_km,
        margin_km=spec.margin_km,
    )
    with step("simulate scenes") as update:
        scenes = list(build_scenes(spec, out_dir / "imagery", update))
    import_sites(project)
    with step("ingest") as update:
        ingest(project, [str(out_dir / "imagery")], update)
    with step("analyze") as update:
        summary = analyze(project, scheduler=scheduler, progress=update)
    assess(project)
    claims_file = resources.files("forcewatch.data") / "scenario_claims.yaml"
    with resources.as_file(claims_file) as path:
        claims = load_claims_yaml(path)
    store = store_for(project)
    try:
        with store.begin() as conn:
            for c in claims:
                repo.upsert_claim(conn, c.to_dict())
        stored_claims = repo.list_claims(store)
    finally:
        store.dispose()
    verdicts = compute_verdicts(project)
    report = build_report(project, project.out_dir / "report.html")
    bundle = build_bundle(project, project.out_dir / "evidence.zip")
    return {
        "project": out_dir,
        "scenes": len(scenes),
        "analysis": summary,
        "claims": stored_claims,
        "verdicts": verdicts,
        "report": report,
        "bundle": bundle,
    }
