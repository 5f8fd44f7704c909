"""HTML pages of the dashboard and the store reads they share with the JSON API.

Pages render the same words and charts as the report (``publish.context``); images are served
by ``/api/chips/{scene_id}?site=NAME``, looked up in the store, never by a path.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any

import pandas as pd
import shapely
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from forcewatch.publish import charts, context
from forcewatch.publish.exports import series_layer
from forcewatch.publish.source import (
    Source,
    detections_frame,
    latest_states_of,
    load_evidence,
    scene_row,
)
from forcewatch.store import repo
from forcewatch.web.models import claim_kinds

if TYPE_CHECKING:
    from forcewatch.web.app import WebState

MAX_ROWS_SHOWN = 200


def _env() -> Environment:
    return Environment(
        loader=PackageLoader("forcewatch.web", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


TEMPLATES = _env()
TEMPLATES.globals["has_alerts"] = importlib.util.find_spec("forcewatch.web.alerts") is not None


def latest_states(source: Source) -> dict[str, str]:
    return latest_states_of(repo.states_frame(source.store))


def find_site(st: WebState, name: str) -> repo.StoredSite:
    """The stored site of that exact name, else 404 (the name is never used as a path)."""
    found = repo.list_sites(st.source.store, [name])
    if not found:
        raise HTTPException(404, f"no site named {name!r}")
    return found[0]


def grid_settings(source: Source) -> dict[str, float]:
    project = source.project
    if project is None:
        return {"res_m": 10.0, "margin_km": 1.0}
    return {
        "res_m": project.config.imagery.grid_res_m,
        "margin_km": project.config.sites.margin_km,
    }


def find_scene(source: Source, scene_id: str) -> dict[str, Any] | None:
    return scene_row(source.store, scene_id)


def detections_of(st: WebState, scene_id: str) -> list[Any]:
    d = detections_frame(st.source.store, scene_id=scene_id)
    if d.empty:
        return []
    rows = d[d["geometry_wkt"].notna()]
    return [shapely.from_wkt(w) for w in rows["geometry_wkt"]]


def site_data(source: Source, stored: repo.StoredSite) -> dict[str, pd.DataFrame]:
    """A site's series (wide, per geometry and date), states and detections."""
    evidence = load_evidence(source, site_names=[stored.site.name])
    series = pd.DataFrame(series_layer(evidence).drop(columns="geometry"))
    states = evidence.states.drop(columns=["site_id"], errors="ignore")
    dets = evidence.detections.drop(columns=["site_id", "image_href"], errors="ignore")
    return {"series": series, "states": states, "detections": dets}


def claims_with_verdicts(source: Source) -> list[dict[str, Any]]:
    verdicts = context.latest_verdicts(repo.list_verdicts(source.store))
    return [
        {**c, "verdict": verdicts.get(str(c.get("id")))} for c in repo.list_claims(source.store)
    ]


def page_html(
    name: str, *, path: str, simulated: bool, status_code: int = 200, **ctx: Any
) -> HTMLResponse:
    """Template ``name`` (extending ``base.html.j2``: navigation, and the SIMULATED banner when
    ``simulated``) rendered for the page at ``path``."""
    html = TEMPLATES.get_template(name).render(simulated=simulated, path=path, **ctx)
    return HTMLResponse(html, status_code=status_code)


def _render(request: Request, name: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    st: WebState = request.app.state.forcewatch
    return page_html(
        name, path=request.url.path, simulated=st.simulated, status_code=status_code, **ctx
    )


def _pairs_for(source: Source, evidence: Any, site: str | None) -> list[dict[str, Any]]:
    """Driver scenes (and the scene before each) of every verdict, optionally for one site."""
    out = []
    for verdict in evidence.verdicts:
        for driver in (verdict.get("drivers") or [])[: context.MAX_DRIVERS]:
            name = str(driver.get("site"))
            stored = evidence.site(name)
            if stored is None or (site is not None and name != site):
                continue
            before = context.before_scene(evidence, stored.id, driver, verdict)
            out.append(
                {
                    "claim_id": verdict.get("claim_id"),
                    "site": name,
                    "date": driver.get("date"),
                    "geometry_key": driver.get("geometry_key"),
                    "after": driver.get("scene_id"),
                    "before": before["scene_id"] if before else None,
                    "before_date": before["acquired_utc"].date().isoformat() if before else None,
                }
            )
    return out


def add_pages(app: FastAPI) -> None:
    """Register the HTML pages (excluded from the OpenAPI schema)."""

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(request: Request) -> HTMLResponse:
        st: WebState = request.app.state.forcewatch
        evidence = load_evidence(st.source, with_measurements=False)
        svg = charts.site_map_svg(
            [s.site for s in evidence.sites],
            evidence.reference,
            evidence.bands_km,
            evidence.latest_state,
        )
        rows = context.site_rows(evidence, with_charts=False)
        return _render(request, "index.html.j2", sites=rows, map_svg=svg)

    @app.get("/sites/{name}", response_class=HTMLResponse, include_in_schema=False)
    def site_page(request: Request, name: str) -> HTMLResponse:
        st: WebState = request.app.state.forcewatch
        found = repo.list_sites(st.source.store, [name])
        if not found:  # a page, so an HTML answer a person can go back from (the API: JSON)
            return _render(request, "not_found.html.j2", 404, message=f"No site named {name!r}")
        stored = found[0]
        evidence = load_evidence(st.source, site_names=[stored.site.name])
        row = context.site_rows(evidence)[0]
        states = evidence.states.sort_values("acquired_utc", ascending=False)
        dets = evidence.detections
        return _render(
            request,
            "site.html.j2",
            site=row,
            states=states.head(MAX_ROWS_SHOWN).to_dict("records"),
            n_states=len(states),
            detections=dets.head(MAX_ROWS_SHOWN).to_dict("records"),
            n_detections=len(dets),
            pairs=_pairs_for(st.source, evidence, stored.site.name),
            state_style=charts.STATE_STYLE,
        )

    @app.get("/claims", response_class=HTMLResponse, include_in_schema=False)
    def claims_page(request: Request) -> HTMLResponse:
        st: WebState = request.app.state.forcewatch
        evidence = load_evidence(st.source, with_measurements=False)
        rows = context.claim_rows(evidence.claims, evidence.verdicts)
        pairs = _pairs_for(st.source, evidence, None)
        return _render(request, "claims.html.j2", claims=rows, pairs=pairs)

    @app.get("/claims/new", response_class=HTMLResponse, include_in_schema=False)
    def new_claim(request: Request) -> HTMLResponse:
        st: WebState = request.app.state.forcewatch
        names = [s.site.name for s in repo.list_sites(st.source.store)]
        return _render(
            request,
            "claim_new.html.j2",
            site_names=names,
            kinds=claim_kinds(),
            writable=bool(st.token),
        )
