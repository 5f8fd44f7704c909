"""The ``forcewatch`` command line: parses, calls the library, shows progress and tables.

Every command takes ``--project DIR`` (default: ``FORCEWATCH_PROJECT`` or the current folder).
Errors the user can fix are printed as one line and exit non-zero (see forcewatch.errors).
"""

from __future__ import annotations

import errno
import json
import logging
import math
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from forcewatch import __version__
from forcewatch.errors import ForceWatchError, InputError

app = typer.Typer(
    name="forcewatch",
    help="Watch military sites from orbit and test official claims against the imagery.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
sites_app = typer.Typer(
    help="Manage the watchlist: import, add, list, remove.", no_args_is_help=True
)
scenes_app = typer.Typer(help="Stored scenes: remove.", no_args_is_help=True)
claims_app = typer.Typer(
    help="The claims ledger: add, list, remove, extract, import, export.", no_args_is_help=True
)
bundle_app = typer.Typer(
    help="Evidence bundles: `forcewatch bundle` builds one, `bundle verify FILE` checks one.",
    invoke_without_command=True,
)
app.add_typer(sites_app, name="sites")
app.add_typer(scenes_app, name="scenes")
app.add_typer(claims_app, name="claims")
app.add_typer(bundle_app, name="bundle")

console = Console(stderr=True)
# Piped output (logs, CI) gets a wide table rather than rich's 80-column default.
out = Console(width=None if sys.stdout.isatty() else 160)

ProjectOpt = Annotated[
    Path | None,
    typer.Option("--project", "-p", help="Project folder (default: $FORCEWATCH_PROJECT or .)"),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@contextmanager
def progress_bar(label: str) -> Iterator[Any]:
    """A rich progress bar; yields a callback ``update(done, total)``. Where stderr is no
    terminal (a log file, `make demo | tee`), a plain line every 10 s and at the end instead."""
    if not console.is_terminal and not _force_progress():
        import time

        last = [time.monotonic(), -1]

        def plain(done: int, total: int) -> None:
            now = time.monotonic()
            finished = total > 0 and done >= total
            if (finished and last[1] != done) or (now - last[0] >= 10 and done != last[1]):
                console.print(f"{label}: {done}/{total}")
                last[0], last[1] = now, done

        yield plain
        return
    with Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as prog:
        task = prog.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            prog.update(task, completed=done, total=total)

        yield update


def _force_progress() -> bool:
    import os

    return os.environ.get("FORCEWATCH_PROGRESS") == "1"


def _project(project: Path | None) -> Any:
    from forcewatch.config import load_project

    return load_project(project)


def _output(
    path: Path, proj: Any = None, inputs: Sequence[Path] = (), *, folder_ok: bool = False
) -> Path:
    """``path`` as an output file (or folder, with ``folder_ok``), refused when writing it would
    destroy the project's store or configuration, or one of the command's own inputs."""
    target = path.expanduser().resolve()
    protected = proj.protected_files() if proj is not None else set()
    if target in protected:
        raise InputError(
            f"{path} is the project's {'configuration' if target.suffix == '.yaml' else 'store'}; "
            "write the output to another file"
        )
    if any(target == Path(p).expanduser().resolve() for p in inputs):
        raise InputError(f"{path} is one of the inputs; write the output to another file")
    if target.is_dir() and not folder_ok:
        raise InputError(f"{path} is a folder; give a file name for the output")
    return path


def _table(*columns: str) -> Table:
    """A table whose long cells wrap instead of being cut."""
    table = Table()
    for c in columns:
        table.add_column(c, overflow="fold")
    return table


def _json_default(value: Any) -> Any:
    """Dates and times as ISO 8601 ("2021-09-01T15:40:00+00:00"), as the API and exports
    write them; anything else as text."""
    iso = getattr(value, "isoformat", None)
    return iso() if callable(iso) else str(value)


def _finite(value: Any) -> Any:
    """NaN and infinities (a pandas gap) as null: JSON has no NaN."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _print_json(value: Any) -> None:
    out.print_json(json.dumps(_finite(value), default=_json_default))


def _print_version(value: bool) -> None:
    """``--version``: eager, so that it works without a command."""
    if value:
        out.print(f"forcewatch {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log details.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version.", is_eager=True, callback=_print_version
        ),
    ] = False,
) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
    # -v is for ForceWatch's own steps; the store's migrations log a line per plugin and step
    logging.getLogger("alembic").setLevel(logging.WARNING)


# --- project and sites ---------------------------------------------------------------------


@app.command()
def init(
    folder: Annotated[Path, typer.Argument(help="Project folder to create.")] = Path("."),
    name: Annotated[str, typer.Option(help="Project name.")] = "ForceWatch project",
    watchlist: Annotated[str | None, typer.Option(help="Watchlist file (GeoJSON/YAML).")] = None,
    reference: Annotated[str | None, typer.Option(help="Reference line/border GeoJSON.")] = None,
) -> None:
    """Create a project: forcewatch.yaml (with every default) and the store."""
    from forcewatch.pipeline import init_project
    from forcewatch.sites import load_reference, load_watchlist

    def seen_from_project(given: str | None, what: str) -> str | None:
        # a path typed here is relative to where the command runs; the config's paths are
        # relative to the project folder
        if given is None or "://" in given:
            return given
        path = Path(given).expanduser()
        if not path.is_file():
            raise InputError(f"--{what} {given}: no such file (paths are relative to {Path.cwd()})")
        # read it now: a bad file refused here, not by every later `sites add`
        load_reference(path) if what == "reference" else load_watchlist(path)
        return os.path.relpath(path.resolve(), folder.expanduser().resolve())

    existed = (folder / "forcewatch.yaml").is_file()
    project = init_project(
        folder,
        name=name,
        watchlist=seen_from_project(watchlist, "watchlist"),
        reference=seen_from_project(reference, "reference"),
    )
    if existed and (watchlist or reference or name != "ForceWatch project"):
        console.print(
            f"[yellow]note:[/] {project.config_path} was there already and is kept as it is; "
            "edit it to change the name, watchlist or reference"
        )
    out.print(f"Project ready in {project.root} (store: {project.store_url})")


@sites_app.command("import")
def sites_import(
    watchlist: Annotated[Path | None, typer.Argument(help="GeoJSON or YAML watchlist.")] = None,
    reference: Annotated[Path | None, typer.Option(help="Reference line GeoJSON.")] = None,
    project: ProjectOpt = None,
) -> None:
    """Import sites (and the reference line), computing distances and bands."""
    from forcewatch.pipeline import import_sites

    summary = import_sites(_project(project), watchlist, reference)
    for w in summary.warnings:
        console.print(f"[yellow]warning:[/] {w}")
    if summary.stored_only:
        console.print(
            f"no watchlist given or set in forcewatch.yaml: the {summary.stored_only} stored "
            "site(s) were measured again against the reference line"
        )
    out.print(f"sites: {summary.added} added, {summary.updated} updated")


@sites_app.command("add")
def sites_add(
    name: Annotated[str, typer.Argument(help="Site name.")],
    lat: Annotated[float, typer.Option(help="Latitude (WGS84).")],
    lon: Annotated[float, typer.Option(help="Longitude (WGS84).")],
    radius_km: Annotated[float, typer.Option(help="Radius of the site circle, km.")] = 1.0,
    kind: Annotated[str | None, typer.Option(help="Kind (garrison, airfield...).")] = None,
    replace: Annotated[
        bool,
        typer.Option(help="Replace a site of that name (its measurements are redone)."),
    ] = False,
    project: ProjectOpt = None,
) -> None:
    """Add one site given by its centre and radius."""
    from forcewatch.pipeline import import_sites, store_for
    from forcewatch.sites import Site, circle_polygon
    from forcewatch.store import repo

    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InputError(f"lat/lon out of range: ({lat}, {lon})")
    if not name.strip():
        raise InputError("the site needs a name")
    if not radius_km > 0:
        raise InputError(f"site {name!r}: --radius-km {radius_km} must be positive (km)")
    proj = _project(project)
    store = store_for(proj)
    try:
        same = [
            s.site.name for s in repo.list_sites(store) if s.site.name.casefold() == name.casefold()
        ]
    finally:
        store.dispose()
    if same and same[0] != name:
        raise InputError(
            f"a site named {same[0]!r} exists (names differ only in case); use that name with "
            "--replace, or another name"
        )
    exists = bool(same)
    if exists and not replace:
        raise InputError(
            f"a site named {name!r} exists; pass --replace to redraw it (its measurements will be "
            "redone), or choose another name"
        )
    site = Site(name=name, geometry=circle_polygon(lon, lat, radius_km), kind=kind)
    summary = import_sites(proj, extra_sites=[site])
    for w in summary.warnings:
        console.print(f"[yellow]warning:[/] {w}")
    out.print(f"site '{name}': {'added' if summary.added else 'updated'}")


@sites_app.command("remove")
def sites_remove(
    names: Annotated[list[str], typer.Argument(help="Names of the sites to remove.")],
    project: ProjectOpt = None,
) -> None:
    """Remove sites with their measurements and states (the imagery stays stored)."""
    from forcewatch.pipeline import store_for
    from forcewatch.store import repo

    store = store_for(_project(project))
    try:
        known = {s.site.name for s in repo.list_sites(store)}
        unknown = sorted(set(names) - known)
        if unknown:
            raise InputError(
                f"unknown site(s): {', '.join(unknown)}; see `forcewatch sites list` (nothing "
                "was removed)"
            )
        with store.begin() as conn:
            gone = repo.delete_sites(conn, names)
    finally:
        store.dispose()
    out.print(f"sites: {len(gone)} removed ({', '.join(gone)}); run verdicts again")


@sites_app.command("list")
def sites_list(project: ProjectOpt = None, as_json: JsonOpt = False) -> None:
    """List the watched sites with their distance to the reference line."""
    from forcewatch.pipeline import store_for
    from forcewatch.sites import site_to_feature
    from forcewatch.store import repo

    store = store_for(_project(project))
    sites = repo.list_sites(store)
    if as_json:
        _print_json([site_to_feature(s.site)["properties"] for s in sites])
        return
    table = Table("site", "kind", "distance km", "band")
    for s in sites:
        d = s.site.distance_km
        table.add_row(
            s.site.name, s.site.kind or "", "" if d is None else f"{d:.1f}", s.site.band or ""
        )
    out.print(table)


# --- imagery and analysis --------------------------------------------------------------------


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Raster files or folders.")] = None,
    project: ProjectOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register GeoTIFF/COG scenes (idempotent: unchanged files are skipped)."""
    from forcewatch.pipeline import describe
    from forcewatch.pipeline import ingest as run_ingest

    with progress_bar("ingest") as update:
        summary = run_ingest(_project(project), [str(p) for p in paths or []], update)
    if as_json:
        _print_json(describe(summary))
    else:
        out.print(
            f"scenes: {summary.new} new, {summary.changed} changed, {summary.unchanged} unchanged, "
            f"{summary.duplicate} duplicate, {len(summary.errors)} unreadable"
        )
        for e in summary.errors:
            console.print(f"[red]skipped:[/] {escape(e)}")
        if summary.no_overlap and not summary.sites:
            console.print(
                f"[yellow]no sites yet:[/] {len(summary.no_overlap)} scene(s) stored that no site "
                "covers; run `forcewatch sites import` (stored scenes are linked to sites as "
                "they are added)"
            )
        elif summary.no_overlap:
            for p in summary.no_overlap:
                console.print(
                    f"[yellow]no site overlaps:[/] {escape(p)} ({summary.no_overlap_where[p]}): "
                    "a wrong CRS, or a scene outside the watched area? (kept: a site added "
                    "there later gets it)"
                )
        for p in summary.missing:
            console.print(
                f"[yellow]missing:[/] {p} was ingested before and is gone; restore it, or its "
                "date will be missing from the series"
            )
        for said in summary.same_pass:
            console.print(
                f"[yellow]same pass:[/] {escape(said)} (a reprocessed copy, or overlapping "
                "tiles?): each site's series takes one of them, the one covering it most"
            )
    if summary.errors:
        if summary.total > len(summary.errors):
            console.print(
                f"{len(summary.errors)} of {summary.total} file(s) skipped (above); the others "
                "are stored: fix or remove those and run ingest again"
            )
        raise typer.Exit(3)


@scenes_app.command("remove")
def scenes_remove(
    files: Annotated[list[Path], typer.Argument(help="Image files as they were ingested.")],
    project: ProjectOpt = None,
) -> None:
    """Forget ingested scenes (a wrong file, a bad copy) and the series measured with them; the
    files are left where they are."""
    from forcewatch.pipeline import store_for
    from forcewatch.store import repo

    store = store_for(_project(project))
    try:
        with store.begin() as conn:
            gone, unknown = repo.forget_files(conn, [str(f.expanduser().resolve()) for f in files])
            if unknown:
                raise InputError(
                    f"not ingested: {', '.join(unknown)} (give the files as ingested); nothing "
                    "was removed"
                )
    finally:
        store.dispose()
    out.print(f"scenes: {gone} removed; run analyze to measure the series again")


@app.command()
def fetch(
    since: Annotated[str | None, typer.Option(help="First date (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Last date (YYYY-MM-DD).")] = None,
    sensor: Annotated[str | None, typer.Option(help="s1 or s2 (default: every source).")] = None,
    site: Annotated[list[str] | None, typer.Option(help="Only these sites.")] = None,
    project: ProjectOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Search the configured STAC APIs, cache clipped scenes as COGs and ingest them."""
    from forcewatch.imagery.stac import fetch as run_fetch
    from forcewatch.pipeline import describe

    with progress_bar("fetch") as update:
        summary = run_fetch(
            _project(project),
            since=_parse_date(since, "--since") if since else None,
            until=_parse_date(until, "--until") if until else None,
            sensor=sensor,
            site_names=site,
            progress=update,
        )
    if as_json:
        _print_json(describe(summary))
    else:
        out.print(
            f"items: {summary.items_found} found, {summary.duplicates_dropped} duplicates dropped; "
            f"scenes: {summary.fetched} fetched, {summary.cached} cached, "
            f"{summary.ingested} ingested"
        )
        for w in summary.warnings:
            console.print(f"[yellow]warning:[/] {w}")
    for f in summary.failures:
        console.print(f"[red]failed:[/] {f}")
    if summary.failures and not (summary.fetched or summary.cached):
        raise typer.Exit(7)


@app.command()
def analyze(
    project: ProjectOpt = None,
    scheduler: Annotated[
        str | None, typer.Option(help="Dask scheduler address (or DASK_SCHEDULER_ADDRESS).")
    ] = None,
    site: Annotated[list[str] | None, typer.Option(help="Only these sites.")] = None,
    redo: Annotated[
        bool,
        typer.Option(
            help="Measure the stored series again too (of --site, else all): after image files "
            "were restored or replaced in place."
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Measure every (site, orbit) series not yet measured, then re-assess states."""
    from forcewatch.pipeline import analyze as run_analyze
    from forcewatch.pipeline import assess as assess_states
    from forcewatch.pipeline import describe

    proj = _project(project)
    with progress_bar("analyze") as update:
        summary = run_analyze(
            proj, scheduler=scheduler, site_names=site, progress=update, redo=redo
        )
    states = assess_states(proj)
    if as_json:
        _print_json({**describe(summary), "states": states})
    else:
        out.print(
            f"units: {summary.units_measured} measured, {summary.units_done_before} already done "
            f"of {summary.units_total}; {summary.rows_written} rows; {states} states"
        )
    if summary.waiting:
        shown = ", ".join(summary.waiting[:6]) + (" ..." if len(summary.waiting) > 6 else "")
        console.print(
            f"{len(summary.waiting)} series wait for a second scene of the same orbit before "
            f"they can be measured: {escape(shown)}"
        )
    for f in summary.failures:
        console.print(f"[red]failed:[/] {f}")
    for skipped in summary.skipped:
        console.print(f"[red]skipped:[/] {escape(skipped)}")
    if summary.skipped:
        console.print(
            f"{len(summary.skipped)} scene(s) could not be read (above): their dates count as "
            "blind in those series; once the files are back, `forcewatch analyze --redo "
            "--site NAME` measures them again"
        )
    if summary.failures:
        raise typer.Exit(1)
    if summary.skipped:
        raise typer.Exit(3)


@app.command()
def series(
    site: Annotated[str | None, typer.Argument(help="Site name (default: all).")] = None,
    metric: Annotated[str, typer.Option(help="Metric to show.")] = "bright_frac_resid",
    project: ProjectOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show per-site series: states and a metric per date and orbit."""
    from forcewatch.pipeline import store_for
    from forcewatch.store import repo

    proj = _project(project)
    store = store_for(proj)
    states = repo.states_frame(store)
    meas = repo.measurements_frame(store)
    simulated = proj.config.simulated or repo.any_simulated_scene(store)
    if site:
        states = states[states["site"] == site] if not states.empty else states
        meas = meas[meas["site"] == site] if not meas.empty else meas
        if meas.empty and states.empty:
            raise InputError(f"no series for site '{site}'; see `forcewatch sites list`")
    if not meas.empty and metric not in set(meas["metric"]):
        known = ", ".join(sorted(set(meas["metric"])))
        raise InputError(f"--metric {metric!r}: no such metric; the store holds {known}")
    values = (
        meas[meas["metric"] == metric][["site", "geometry_key", "acquired_utc", "value"]]
        if not meas.empty
        else meas
    )
    merged = (
        states.merge(values, on=["site", "geometry_key", "acquired_utc"], how="left")
        if not states.empty
        else values
    )
    if as_json:
        rows = merged.drop(columns=["details"], errors="ignore").to_dict(orient="records")
        _print_json([{**r, "simulated": simulated} for r in rows])
        return
    if simulated:
        out.print(
            "[bold magenta]SIMULATED IMAGERY[/]: the series below come from simulated scenes."
        )
    table = Table("site", "geometry", "date", "state", metric)
    for r in merged.sort_values(["site", "geometry_key", "acquired_utc"]).itertuples():
        value = getattr(r, "value", float("nan"))
        table.add_row(
            escape(str(r.site)),
            r.geometry_key,
            str(r.acquired_utc.date()),
            getattr(r, "state", ""),
            "" if value != value else f"{value:.4f}",
        )
    out.print(table)


# --- claims and verdicts -----------------------------------------------------------------------


def _check_claims(proj: Any, claims: list[Any], strict: bool) -> None:
    """A claim dated in the future is refused; one naming a site the watchlist does not hold
    ("Klinsty") cannot be tested there: refused when ``strict`` (a claim typed by hand, as the
    dashboard's API does), else a warning (a shared ledger may name sites to come)."""
    import difflib

    from forcewatch.pipeline import store_for
    from forcewatch.store import repo

    for c in claims:
        if c.stated_on > date.today():
            raise InputError(
                f"claim {c.id[:8]}: stated on {c.stated_on}, in the future; give the day it "
                "was said"
            )
    store = store_for(proj)
    try:
        known = {s.site.name.casefold(): s.site.name for s in repo.list_sites(store)}
    finally:
        store.dispose()
    for c in claims:
        for name in c.sites:
            if name.casefold() in known:
                continue  # (claims are tested on sites whatever their case)
            close = difflib.get_close_matches(name.casefold(), list(known), n=1, cutoff=0.7)
            hint = f"did you mean {known[close[0]]!r}? " if close else ""
            said = (
                f"claim {c.id[:8]}: site {name!r} is not on the watchlist; {hint}"
                "see `forcewatch sites list`"
            )
            if strict:
                raise InputError(said)
            console.print(f"[yellow]warning:[/] {escape(said)}; it will be tested on no site")


def _store_claims(proj: Any, claims: list[Any], replace_sources: bool = False) -> str:
    """Store claims; a claim whose id is stored with other content (an edited ledger) replaces
    it. ``replace_sources``: claims extracted before from the same article files that this
    extraction no longer gives are removed (an article extracted again, e.g. with a corrected
    publication date, replaces its claims instead of adding copies). Returns what happened, for
    the user: "2 added, 1 updated, 3 already in the ledger, 4 replaced"."""
    from collections import Counter

    from forcewatch.pipeline import store_for
    from forcewatch.store import repo

    store = store_for(proj)
    try:
        with store.begin() as conn:
            gone = 0
            if replace_sources:
                sources = {c.source for c in claims if c.source}
                ids = {c.id for c in claims}
                gone = repo.delete_claims_of_sources(conn, sources, keep=ids)
            done = Counter(repo.replace_claim(conn, c.to_dict()) for c in claims)
    finally:
        store.dispose()
    updated = f", {done['updated']} updated" if done["updated"] else ""
    replaced = f", {gone} replaced (extracted before from the same file)" if gone else ""
    return f"{done['added']} added{updated}, {done['same']} already in the ledger{replaced}"


@claims_app.command("add")
def claims_add(
    speaker: Annotated[str | None, typer.Option(help="Who said it.")] = None,
    stated_on: Annotated[str | None, typer.Option(help="When (YYYY-MM-DD).")] = None,
    kind: Annotated[str | None, typer.Option(help="withdrawal, build-up, arrival, ...")] = None,
    quote: Annotated[str | None, typer.Option(help="The words claimed.")] = None,
    site: Annotated[list[str] | None, typer.Option(help="Sites the claim is about.")] = None,
    window_start: Annotated[str | None, typer.Option(help="Window start (YYYY-MM-DD).")] = None,
    window_end: Annotated[str | None, typer.Option(help="Window end (YYYY-MM-DD).")] = None,
    force: Annotated[str, typer.Option(help="Whose forces: russia, us, nato, ...")] = "russia",
    direction: Annotated[
        str | None, typer.Option(help="toward or away (from the reference line).")
    ] = None,
    quantity: Annotated[float | None, typer.Option(help="The number stated.")] = None,
    unit: Annotated[str | None, typer.Option(help="What is counted: troops, tanks, ...")] = None,
    trend: Annotated[
        str | None, typer.Option(help="A change stated outright: increase, decrease, none.")
    ] = None,
    denied_kind: Annotated[
        str | None, typer.Option(help="For a denial: the kind denied (e.g. withdrawal).")
    ] = None,
    places: Annotated[
        str | None, typer.Option(help="Places named, comma-separated (Belarus, Crimea).")
    ] = None,
    band_km: Annotated[
        str | None, typer.Option(help="Distance band to the border, km: NEAR,FAR (e.g. 0,50).")
    ] = None,
    outlet: Annotated[str | None, typer.Option(help="Where it was reported.")] = None,
    from_yaml: Annotated[Path | None, typer.Option("--yaml", help="Add claims from YAML.")] = None,
    project: ProjectOpt = None,
) -> None:
    """Add a claim by flags, or claims from a YAML file (--yaml)."""
    from forcewatch.claims.ledger import claim_from_fields, load_claims_yaml

    proj = _project(project)
    if from_yaml:
        claims = load_claims_yaml(from_yaml)
    else:
        if not (speaker and stated_on and kind):
            raise InputError("give --speaker, --stated-on and --kind (or --yaml FILE)")
        claims = [
            claim_from_fields(
                speaker=speaker,
                stated_on=stated_on,
                kind=kind,
                quote=quote or "",
                sites=site or [],
                window_start=window_start,
                window_end=window_end,
                force=force,
                direction=direction,
                quantity=quantity,
                unit=unit,
                trend=trend,
                denied_kind=denied_kind,
                places=places,
                band_km=band_km,
                outlet=outlet,
            )
        ]
    _check_claims(proj, claims, strict=True)
    out.print(f"claims: {_store_claims(proj, claims)}")


@claims_app.command("list")
def claims_list(project: ProjectOpt = None, as_json: JsonOpt = False) -> None:
    """List the claims ledger."""
    from forcewatch.pipeline import store_for
    from forcewatch.store import repo

    claims = repo.list_claims(store_for(_project(project)))
    if as_json:
        _print_json(claims)
        return
    table = _table("id", "stated on", "speaker", "kind", "force", "quote")
    ids = [c["id"] for c in claims]
    for c in claims:
        quote = c.get("quote") or ""
        table.add_row(
            _short_id(c["id"], ids),
            str(c["stated_on"]),
            escape(c["speaker"]),
            c["kind"],
            c.get("force") or "",
            escape(quote if len(quote) <= 80 else quote[:79].rstrip() + "…"),
        )
    out.print(table)


def _short_id(claim_id: str, ids: Sequence[str], least: int = 8) -> str:
    """The shortest prefix of ``claim_id`` (at least ``least`` characters) that no other id
    shares, so that `claims remove` takes what `claims list` shows."""
    n = least
    while n < len(claim_id) and any(o != claim_id and o.startswith(claim_id[:n]) for o in ids):
        n += 1
    return claim_id if n >= len(claim_id) else claim_id[:n]


@claims_app.command("extract")
def claims_extract(
    files: Annotated[
        list[Path] | None,
        typer.Argument(help="Article files: text, HTML pages as saved, or PDF reports."),
    ] = None,
    published: Annotated[
        str | None,
        typer.Option(
            help="Publication date (YYYY-MM-DD); default: the page's own (HTML metadata or a "
            "dateline), else today, with a warning."
        ),
    ] = None,
    outlet: Annotated[
        str | None, typer.Option(help="Outlet name; default: the page's og:site_name.")
    ] = None,
    index: Annotated[
        Path | None,
        typer.Option(
            help="YAML list of {file, outlet, published: YYYY-MM-DD} entries, one per article;"
            " files relative to the index."
        ),
    ] = None,
    save: Annotated[bool, typer.Option(help="Store the extracted claims in the project.")] = False,
    project: ProjectOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Extract attributed claims from news articles (offline, rule-based)."""
    from forcewatch.claims.article import IndexEntry, read_article, read_index
    from forcewatch.claims.extract import extract_claims

    pub = _parse_date(published, "--published") if published else None
    if pub is not None and pub > date.today():
        raise InputError(f"--published {pub} is in the future; give the day it was published")
    entries = [IndexEntry(f, None, None) for f in files or []]
    if index is not None:
        entries += read_index(index)
    if not entries:
        raise InputError("no article given: pass article files or --index FILE.yaml")
    claims = []
    for entry in entries:
        article = read_article(entry.path)
        day = pub or entry.published_on or article.published_on
        if day is not None and not (pub or entry.published_on):
            console.print(f"{entry.path}: publication date {day} taken from the page")
        if day is None:
            day = date.today()
            console.print(
                f"[yellow]{entry.path}: no publication date (no --published, none in the page); "
                f"relative dates are read against today, {day}[/yellow]"
            )
        name = outlet or entry.outlet or article.outlet
        claims += extract_claims(article.text, day, outlet=name, source=str(entry.path))
    if save:
        proj = _project(project)
        _check_claims(proj, claims, strict=False)
        console.print(f"claims: {_store_claims(proj, claims, replace_sources=True)}")
    if as_json:
        _print_json([c.to_dict() for c in claims])
        return
    if not claims:
        console.print(
            "[yellow]no claims found[/] (sentences about forces arriving, leaving, massing or "
            "counted, attributed or in the outlet's voice; see docs/claims.md)"
        )
        return
    table = _table("stated on", "speaker", "kind", "dir", "quantity", "force", "quote")
    for c in claims:
        qty = "" if c.quantity is None else f"{c.quantity:,.0f} {c.unit or ''}"
        table.add_row(
            str(c.stated_on),
            escape(c.speaker),
            c.kind,
            c.direction or "",
            qty,
            c.force or "",
            escape(_short(c.quote, 160)),
        )
    out.print(table)


@claims_app.command("import")
def claims_import(
    file: Annotated[Path, typer.Argument(help="Claims YAML.")], project: ProjectOpt = None
) -> None:
    """Import claims from a YAML ledger file."""
    from forcewatch.claims.ledger import load_claims_yaml

    claims = load_claims_yaml(file)
    proj = _project(project)
    _check_claims(proj, claims, strict=False)
    out.print(f"claims: {_store_claims(proj, claims)}")


@claims_app.command("remove")
def claims_remove(
    ids: Annotated[list[str], typer.Argument(help="Claim ids (or their first 8+ characters).")],
    project: ProjectOpt = None,
) -> None:
    """Remove claims (and their verdicts) from the ledger."""
    from forcewatch.pipeline import store_for
    from forcewatch.store import repo

    store = store_for(_project(project))
    try:
        stored = [c["id"] for c in repo.list_claims(store)]
        chosen = []
        for given in ids:
            found = [i for i in stored if i.startswith(given)] if len(given) >= 8 else []
            if len(found) != 1:
                raise InputError(
                    f"claim {given!r}: {'no' if not found else 'more than one'} claim has that "
                    "id; see `forcewatch claims list` (8 characters at least)"
                )
            chosen += found
        with store.begin() as conn:
            for claim_id in chosen:
                repo.delete_claim(conn, claim_id)
    finally:
        store.dispose()
    out.print(f"claims: {len(chosen)} removed")


@claims_app.command("export")
def claims_export(
    file: Annotated[Path, typer.Argument(help="Output YAML.")], project: ProjectOpt = None
) -> None:
    """Export the ledger as YAML."""
    from forcewatch.claims.ledger import dump_claims_yaml
    from forcewatch.claims.model import Claim
    from forcewatch.pipeline import store_for
    from forcewatch.store import repo

    proj = _project(project)
    _output(file, proj)
    claims = [Claim.from_dict(c) for c in repo.list_claims(store_for(proj))]
    dump_claims_yaml(claims, file)
    out.print(f"{len(claims)} claim(s) written to {file}")


def _parse_date(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"{what}: '{text}' is not a date; use YYYY-MM-DD") from exc


def _short(text: str, limit: int) -> str:
    """``text`` cut at a word boundary with an ellipsis when longer than ``limit``."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + "…"


def verdict_table(verdicts: list[dict[str, Any]], claims: list[dict[str, Any]]) -> Table:
    by_id = {c["id"]: c for c in claims}
    colour = {
        "supported": "green",
        "contradicted": "red",
        "inconclusive": "yellow",
        "blind": "grey50",
    }
    table = _table("stated on", "speaker", "claim", "verdict", "confidence", "evidence")
    for v in verdicts:
        c = by_id.get(v["claim_id"], {})
        col = colour.get(v["verdict"], "white")
        conf = v.get("confidence")
        table.add_row(
            str(c.get("stated_on", "")),
            escape(c.get("speaker", "")),
            escape(_short(c.get("quote") or c.get("kind", ""), 110)),
            f"[{col}]{v['verdict']}[/]",
            "" if conf is None else f"{conf:.2f}",
            escape(v.get("explanation") or ""),
        )
    return table


@app.command()
def verdicts(project: ProjectOpt = None, as_json: JsonOpt = False) -> None:
    """Test every claim against the series: supported / contradicted / inconclusive / blind."""
    from forcewatch.pipeline import compute_verdicts, store_for
    from forcewatch.store import repo

    proj = _project(project)
    results = compute_verdicts(proj)
    if as_json:
        _print_json(results)
        return
    claims = repo.list_claims(store_for(proj))
    if not claims:
        console.print(
            "no claims in the ledger: add one with `forcewatch claims add`, "
            "`claims import FILE.yaml` or `claims extract ARTICLE --save`"
        )
        return
    if proj.config.simulated or any(r.get("simulated") for r in results):
        out.print("[bold magenta]SIMULATED IMAGERY[/]: verdicts below come from simulated scenes.")
    out.print(verdict_table(results, claims))


# --- publication ---------------------------------------------------------------------------------


@app.command()
def report(
    out_file: Annotated[Path | None, typer.Option("--out", help="HTML file to write.")] = None,
    claim: Annotated[list[str] | None, typer.Option(help="Only these claim ids.")] = None,
    site: Annotated[list[str] | None, typer.Option(help="Only these sites.")] = None,
    pdf: Annotated[bool, typer.Option(help="Also render a PDF with headless Chromium.")] = False,
    project: ProjectOpt = None,
) -> None:
    """Write the self-contained HTML report (opens offline)."""
    from forcewatch.publish.report import build_report

    proj = _project(project)
    if out_file is not None and out_file.suffix.lower() == ".pdf":
        raise InputError(
            f"--out {out_file}: the report is HTML; give an .html name, and --pdf for a PDF "
            "beside it"
        )
    target = _output(out_file or proj.out_dir / "report.html", proj)
    path = build_report(proj, target, claim_ids=claim, site_names=site, pdf=pdf)
    out.print(f"report: {path}")


@bundle_app.callback()
def bundle(
    ctx: typer.Context,
    out_file: Annotated[Path | None, typer.Option("--out", help="Zip file to write.")] = None,
    claim: Annotated[list[str] | None, typer.Option(help="Only these claim ids.")] = None,
    site: Annotated[list[str] | None, typer.Option(help="Only these sites.")] = None,
    project: ProjectOpt = None,
) -> None:
    """Build the evidence bundle (report, SHA-256 manifest, data); `bundle verify` checks one."""
    if ctx.invoked_subcommand is not None:
        return
    from forcewatch.publish.bundle import build_bundle

    proj = _project(project)
    target = _output(out_file or proj.out_dir / "evidence.zip", proj)
    path = build_bundle(proj, target, claim_ids=claim, site_names=site)
    out.print(f"bundle: {path}")


@bundle_app.command("verify")
def bundle_verify(
    file: Annotated[Path, typer.Argument(help="Bundle zip.")],
    check_inputs: Annotated[
        bool, typer.Option(help="Also re-hash the input scenes named in the manifest.")
    ] = False,
) -> None:
    """Re-check every hash in a bundle; exits non-zero on any mismatch."""
    from forcewatch.publish.bundle import verify_bundle

    if not file.is_file():
        raise InputError(f"{file}: no such bundle")
    problems = verify_bundle(file, check_inputs=check_inputs)
    for p in problems:
        console.print(f"[red]mismatch:[/] {p}")
    if problems:
        raise typer.Exit(1)
    out.print(f"{file}: all hashes match")


@app.command()
def export(
    fmt: Annotated[str, typer.Option("--format", help="gpkg, parquet, geojson or csv.")],
    out_path: Annotated[Path, typer.Option("--out", help="Output file or folder.")],
    layer: Annotated[
        str | None, typer.Option(help="Only one layer: sites, detections, series, verdicts.")
    ] = None,
    site: Annotated[list[str] | None, typer.Option(help="Only these sites.")] = None,
    project: ProjectOpt = None,
) -> None:
    """Export sites, detections, series and verdicts for QGIS and pandas."""
    from forcewatch.publish.exports import export as run_export

    if fmt not in {"gpkg", "parquet", "geojson", "csv"}:
        raise InputError(f"--format {fmt!r}: use gpkg, parquet, geojson or csv")
    proj = _project(project)
    _output(out_path, proj, folder_ok=True)  # csv, parquet, geojson: a folder of layers
    written = run_export(proj, fmt, out_path, layer=layer, site_names=site)
    for path in written:
        out.print(f"exported: {path}")


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Address to bind (default: this machine only).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    project: ProjectOpt = None,
) -> None:
    """Start the web dashboard (read-only unless FORCEWATCH_TOKEN is set)."""
    import socket

    from forcewatch.web.app import serve as run_serve

    if not 1 <= port <= 65535:
        raise InputError(f"--port {port} is no TCP port; give one in 1-65535 (default 8000)")
    proj = _project(project)
    try:  # a port in use: say so before the server starts (uvicorn logs a traceback)
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        why = os.strerror(exc.errno) if exc.errno and exc.errno > 0 else str(exc)
        if exc.errno == errno.EADDRINUSE:
            raise InputError(
                f"cannot listen on {host}:{port} ({why}); is another dashboard running? choose "
                "another --port"
            ) from exc
        raise InputError(
            f"cannot listen on {host}:{port} ({why}); --host must be an address of this machine "
            "(127.0.0.1, 0.0.0.0 for all)"
        ) from exc
    console.print(f"dashboard on http://{host}:{port}/  (Ctrl-C to stop)")
    run_serve(proj, host=host, port=port)


# --- object detection ----------------------------------------------------------------------------


_IMAGE_SUFFIXES = {".tif", ".tiff", ".png", ".jpg", ".jpeg"}


def _image_files(paths: Sequence[Path]) -> list[Path]:
    """The images given, a folder standing for the images in it (sorted, not recursive)."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            inside = sorted(f for f in p.iterdir() if f.suffix.lower() in _IMAGE_SUFFIXES)
            if not inside:
                raise InputError(f"{p} is a folder without .tif, .png or .jpg images")
            files += inside
        else:
            files.append(p)
    return files


@app.command()
def detect(
    images: Annotated[
        list[Path], typer.Argument(help="GeoTIFF, PNG or JPEG images (or folders of them).")
    ],
    out_file: Annotated[Path, typer.Option("--out", help="GeoJSON file to write.")],
    model: Annotated[
        str | None, typer.Option(help="Model name or .onnx path (default: the shipped one).")
    ] = None,
    gsd_m: Annotated[
        str,
        typer.Option(
            help="Ground sample distance of the images in metres per pixel; 'model' (default): "
            "the image's own (GeoTIFF), else the model's; 'auto': the image's own, else "
            "estimated from the detections (slower; see docs/detection.md for where it fails)."
        ),
    ] = "model",
    score_min: Annotated[float | None, typer.Option(help="Minimum detection score.")] = None,
    tta: Annotated[
        bool, typer.Option(help="Test-time flips: higher AP, 4x the inference time.")
    ] = False,
    png: Annotated[
        Path | None, typer.Option(help="Also draw the boxes on a PNG (one image only).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Detect and count vehicles and aircraft in sharp images (tiled, batched, ONNX Runtime)."""
    from forcewatch.measure.objects import DetectionFailure, detect_images, to_geojson, write_png

    images = _image_files(images)
    if png is not None and len(images) != 1:
        raise InputError("--png draws one image: give a single image with it")
    if score_min is not None and not 0 < score_min <= 1:
        raise InputError(f"--score-min {score_min}: give a score in (0, 1], e.g. 0.4")
    _output(out_file, inputs=images)
    if png is not None:
        _output(png, inputs=images)
    gsd: float | str | None = {"auto": "auto", "model": None}.get(gsd_m.strip().lower(), gsd_m)
    if isinstance(gsd, str) and gsd != "auto":
        try:
            gsd = float(gsd)
        except ValueError:
            raise InputError(
                f"--gsd-m {gsd_m!r}: give metres per pixel (e.g. 0.3), 'auto' or 'model'"
            ) from None
        if not gsd > 0:
            raise InputError(f"--gsd-m {gsd_m}: give metres per pixel > 0 (e.g. 0.3)")
    features: list[dict[str, Any]] = []
    summaries: list[dict[str, Any]] = []
    failures = 0
    with progress_bar("detect") as update:
        results = detect_images(
            [str(p) for p in images], model=model, gsd_m=gsd, score_min=score_min, tta=tta
        )
        for i, result in enumerate(results):
            update(i + 1, len(images))
            if isinstance(result, DetectionFailure):
                failures += 1
                console.print(f"[red]skipped:[/] {escape(result.message)}")
                continue
            collection = to_geojson(result)
            for f in collection["features"]:
                f["properties"]["image"] = result.image_path
            features += collection["features"]
            summaries.append(result.summary())
            if png is not None:
                write_png(result, png)
    if failures and not summaries:
        raise InputError(f"none of the {failures} image(s) could be read; nothing written")
    try:
        out_file.write_text(
            json.dumps({"type": "FeatureCollection", "features": features, "images": summaries})
        )
    except OSError as exc:
        raise InputError(f"cannot write {out_file}: {exc.strerror}") from exc
    if as_json:
        _print_json(summaries)
    else:
        classes = sorted({c for s in summaries for c in s["counts"]})
        table = _table("image", "GSD m", *classes, "total")
        for s in summaries:
            gsd_text = "unknown" if s["gsd_m"] is None else f"{s['gsd_m']:.3g}"
            if s["gsd_source"] == "estimated":
                gsd_text += " (estimated)"
            table.add_row(
                Path(s["image"]).name,
                gsd_text,
                *(str(s["counts"].get(c, 0)) for c in classes),
                str(s["total"]),
            )
        out.print(table)
        out.print(f"detections: {out_file}" + (f"; boxes drawn: {png}" if png else ""))
    unknown = sum(s["gsd_source"] == "model" for s in summaries)
    if unknown:
        console.print(
            f"{unknown} image(s) state no GSD and were read at the model's: pass --gsd-m "
            "METRES (or --gsd-m auto to estimate it)"
        )
    if any(s["gsd_source"] == "estimated" for s in summaries):
        console.print(
            "GSD estimated from the detections (check it: a car is ~4.5 m long); give "
            "--gsd-m METRES if you know it"
        )
    if failures:
        console.print(
            f"{failures} of {failures + len(summaries)} image(s) skipped (above); the others' "
            f"detections are in {out_file}"
        )
        raise typer.Exit(3)


@app.command()
def train(
    data: Annotated[list[Path], typer.Argument(help="Folders of images with labels.")],
    fmt: Annotated[str, typer.Option("--format", help="yolo, dota or coco.")] = "yolo",
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the new model.")] = Path(
        "detector-out"
    ),
    epochs: Annotated[int, typer.Option(help="Training epochs.", min=1)] = 20,
    init_from: Annotated[
        str | None,
        typer.Option(help="'default' to fine-tune the shipped model, or a .pt/.onnx path."),
    ] = None,
    gsd_m: Annotated[
        float | None, typer.Option(help="Ground sample distance of the images, metres.")
    ] = None,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda.")] = "auto",
    name: Annotated[str, typer.Option(help="Model name.")] = "detector",
) -> None:
    """Train or fine-tune the detector (needs torch: install the `train` extra)."""
    from forcewatch.measure.objects.train import DataSource
    from forcewatch.measure.objects.train import train as run_train

    if fmt not in {"yolo", "dota", "coco"}:
        raise InputError(f"--format {fmt!r}: use yolo, dota or coco")
    sources = [DataSource(d, fmt=fmt, gsd_m=gsd_m) for d in data]
    with progress_bar("train") as update:
        result = run_train(
            sources,
            fmt,
            out_dir,
            epochs=epochs,
            init_from=init_from,
            device=device,
            name=name,
            progress=lambda step, total, _loss: update(step, total),
        )
    out.print(
        f"model: {result.onnx_path} ({result.steps} steps, final loss {result.final_loss:.3f})"
    )
    out.print(f"use it with: forcewatch detect IMAGE --model {result.onnx_path} --out det.geojson")


@app.command()
def evaluate(
    data: Annotated[Path, typer.Argument(help="Folder of images with labels.")],
    fmt: Annotated[str, typer.Option("--format", help="yolo, dota or coco.")] = "yolo",
    model: Annotated[str | None, typer.Option(help="Model name or .onnx path.")] = None,
    iou: Annotated[float, typer.Option(help="IoU for a match.")] = 0.5,
    gsd_m: Annotated[
        float | None, typer.Option(help="Ground sample distance of the images, metres.")
    ] = None,
    split: Annotated[
        str, typer.Option(help="all, heldout or train (the shipped model's split).")
    ] = "all",
    incomplete_labels: Annotated[
        bool, typer.Option(help="Labels miss objects: report recall, not precision.")
    ] = False,
    tta: Annotated[
        bool, typer.Option(help="Test-time flips: higher AP, 4x the inference time.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """AP50, precision, recall and count error per class on a labelled folder."""
    from forcewatch.measure.objects import evaluate as run_evaluate

    if not 0 < iou < 1:
        raise InputError(f"--iou must lie in (0, 1), got {iou}")
    with progress_bar("evaluating") as update:
        metrics = run_evaluate(
            model,
            data,
            fmt,
            iou,
            split=split,
            gsd_m=gsd_m,
            labels_complete=not incomplete_labels,
            tta=tta,
            progress=update,
        )
    if as_json:
        _print_json(metrics.to_dict())
    else:
        out.print(metrics.table())
    if metrics.images_without_gsd:
        console.print(
            f"{metrics.images_without_gsd} of {metrics.images} image(s) state no GSD and were "
            "read at the model's: pass --gsd-m METRES, or the figures mean little"
        )


# --- monitoring ----------------------------------------------------------------------------------


@app.command()
def watch(
    every: Annotated[str, typer.Option(help="Interval between cycles: 6h, 30m, 1d, 1h30m.")] = "6h",
    once: Annotated[bool, typer.Option(help="Run one cycle and exit (for cron or CI).")] = False,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address.")] = None,
    project: ProjectOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Watch: fetch, analyze, re-assess and alert on what changed, every interval."""
    from forcewatch.monitor import parse_interval, stop_on_signals
    from forcewatch.monitor import watch as run_watch

    interval = parse_interval(every)
    proj = _project(project)
    if not once:
        console.print(f"watching every {every}; Ctrl-C stops after the current step")
    with stop_on_signals() as stop:
        results = run_watch(proj, interval, once, scheduler, stop_event=stop)
    if as_json:
        _print_json(
            [
                {**vars(r), "deliveries": vars(r.deliveries) if r.deliveries else None}
                for r in results
            ]
        )
    else:
        channels = len(proj.config.alerts.channels)
        for r in results:
            out.print(escape(r.describe(channels)))
    if results and results[-1].status == "failed":
        raise typer.Exit(1)


# --- the demo ------------------------------------------------------------------------------------


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the demo project.")] = Path(
        "demo-out"
    ),
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address.")] = None,
) -> None:
    """Build the simulated winter 2021-22 scenario and run the whole job on it."""
    from forcewatch.scenario.demo import run_demo

    def step(label: str) -> Any:
        return progress_bar(label)

    result = run_demo(out_dir, step=step, scheduler=scheduler)
    out.print("[bold magenta]SIMULATED IMAGERY[/]: every number below comes from simulated scenes.")
    out.print(verdict_table(result["verdicts"], result["claims"]))
    out.print(f"report: {result['report']}")
    out.print(f"evidence bundle: {result['bundle']}")
    out.print(
        f"project: {result['project']}  (try: forcewatch serve --project {result['project']})"
    )


def main() -> None:
    """Entry point: run the app, turning ForceWatchError into a one-line message and exit code."""
    try:
        app()
    except SystemExit as exc:
        if exc.code == 130:  # Typer turns Ctrl-C into a silent exit 130
            console.print("interrupted; what was done is stored: re-run the command to resume")
        raise
    except ForceWatchError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        console.print("interrupted; what was done is stored: re-run the command to resume")
        sys.exit(130)
    except Exception as exc:  # an input or a state no check foresaw: still one line
        if logging.getLogger().getEffectiveLevel() <= logging.INFO:
            raise  # -v: the whole traceback
        first = (str(exc).splitlines() or [""])[0]
        console.print(
            f"[red]error:[/] {type(exc).__name__}: {escape(first)} (this input is not handled "
            "well; run the command again with -v for the details, and please report it)",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
