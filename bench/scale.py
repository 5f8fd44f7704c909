"""Scale benchmark: a synthetic watchlist of many small sites x 2 orbits x many dates, run locally.

Each configuration runs in its own process (so its peak memory is its own): simulate the scenes,
ingest them, analyze every (site, orbit) unit. Prints, per configuration, sites per minute and
peak RSS, then how time grows when sites or dates double (1x, 2x, 4x): linear growth gives
ratios near 2 and 4.

    python bench/scale.py                      # 200 sites x 2 orbits x 60 dates, plus scaling
    python bench/scale.py --sites 20 --dates 12 --quick
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path


def run_one(sites: int, dates: int, workdir: Path) -> dict[str, float]:
    """One configuration in this process; returns timings and peak memory."""
    import numpy as np

    from forcewatch.imagery.load import grid_for_site
    from forcewatch.pipeline import analyze, import_sites, ingest, init_project
    from forcewatch.scenario.simulate import (
        ScenarioSpec,
        landscape,
        passes,
        scene_path,
        simulate_pass,
        write_scene,
    )
    from forcewatch.sites import Site, circle_polygon

    revisit = 6
    spec = ScenarioSpec(
        start=date(2021, 3, 1),
        end=date(2021, 3, 1) + timedelta(days=revisit * dates - 1),
        revisit_days=revisit,
        radius_km=0.3,
        ring_km=0.1,
        margin_km=0.25,
        sites=(),
    )
    rng = np.random.default_rng(7)
    lons = rng.uniform(31.0, 40.0, sites)
    lats = rng.uniform(49.5, 55.0, sites)
    site_list = [
        Site(f"S{i:04d}", circle_polygon(float(lo), float(la), spec.radius_km), kind="synthetic")
        for i, (lo, la) in enumerate(zip(lons, lats, strict=True))
    ]
    project = init_project(workdir, simulated=True, ring_km=spec.ring_km, margin_km=spec.margin_km)
    t0 = time.perf_counter()
    imagery = workdir / "imagery"
    for site in site_list:
        grid = grid_for_site(site, spec.res_m, spec.margin_km)
        land = landscape(spec, site, grid)
        for k, p in enumerate(passes(spec, site)):
            path = scene_path(imagery, p)
            if not path.exists():
                n = int(40 + 30 * np.sin(k / 5.0) ** 2)
                write_scene(path, simulate_pass(spec, site, grid, p, land, (n, 0)), grid, p, spec)
    t_sim = time.perf_counter() - t0
    import_sites(project, extra_sites=site_list)
    t0 = time.perf_counter()
    ing = ingest(project, [imagery])
    t_ingest = time.perf_counter() - t0
    t0 = time.perf_counter()
    summary = analyze(project)
    t_analyze = time.perf_counter() - t0
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "sites": sites,
        "dates": dates,
        "scenes": ing.new,
        "units": summary.units_measured,
        "simulate_s": round(t_sim, 1),
        "ingest_s": round(t_ingest, 1),
        "analyze_s": round(t_analyze, 1),
        "pipeline_s": round(t_ingest + t_analyze, 1),
        "sites_per_min": round(sites / ((t_ingest + t_analyze) / 60), 1),
        "peak_rss_mib": round(peak_mib),
    }


def _subprocess(sites: int, dates: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="fw-scale-") as tmp:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(sites), str(dates), tmp],
            check=True,
            capture_output=True,
            text=True,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--sites", type=int, default=200)
    ap.add_argument("--dates", type=int, default=60, help="dates per orbit")
    ap.add_argument("--quick", action="store_true", help="skip the scaling series")
    ap.add_argument("--one", nargs=3, metavar=("SITES", "DATES", "DIR"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        result = run_one(int(args.one[0]), int(args.one[1]), Path(args.one[2]))
        print(json.dumps(result))
        return
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    rows = []
    if not args.quick:
        base_sites, base_dates = max(args.sites // 4, 1), max(args.dates // 4, 2)
        for k in (1, 2, 4):
            rows.append(("sites", k, _subprocess(base_sites * k, args.dates)))
        for k in (1, 2, 4):
            rows.append(("dates", k, _subprocess(base_sites, base_dates * k)))
    # The sites x4 run of the series is the full run when the sizes divide evenly.
    same = [r for a, k, r in rows if a == "sites" and k == 4 and r["sites"] == args.sites]
    full = same[0] if same else _subprocess(args.sites, args.dates)
    print(f"full run: {json.dumps(full)}")
    for axis in ("sites", "dates"):
        series = [(k, r) for a, k, r in rows if a == axis]
        if not series:
            continue
        t1 = series[0][1]["pipeline_s"]
        for k, r in series:
            ratio = r["pipeline_s"] / t1 if t1 else float("nan")
            print(
                f"{axis} x{k}: {r['sites']} sites x {r['dates']} dates -> {r['pipeline_s']} s "
                f"(x{ratio:.2f} of x1; linear = x{k}), peak {r['peak_rss_mib']} MiB"
            )
    verdict = "meets" if full["pipeline_s"] < 900 else "misses"
    print(
        f"target: {args.sites} sites in under 15 min on this machine: {verdict} "
        f"({full['pipeline_s']} s, {full['sites_per_min']} sites/min)"
    )


if __name__ == "__main__":
    main()
