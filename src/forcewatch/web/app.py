"""The dashboard: a JSON API (OpenAPI at ``/openapi.json``) and HTML pages over the store.

Read-only unless a token is configured: POST ``/api/claims`` needs ``Authorization: Bearer
TOKEN`` (``token`` argument or ``FORCEWATCH_TOKEN``); without a configured token writing is
disabled (403). Request values never become file paths: sites are looked up by name in the
store and chips by scene id, and only the store's own ``href`` is read. Bodies over 64 KiB are
refused (413); every error is JSON ``{"error": ...}`` without a stack trace. ``serve`` binds to
127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import hmac
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from forcewatch import __version__
from forcewatch.config import Project
from forcewatch.errors import ForceWatchError, InputError, StoreError
from forcewatch.publish.chips import chip_png, read_chip, vv_index
from forcewatch.publish.source import Source, is_simulated, open_source
from forcewatch.sites import site_to_feature
from forcewatch.store import repo
from forcewatch.store.db import Store
from forcewatch.web import views
from forcewatch.web.models import (
    MAX_LIMIT,
    NAME_PATTERN,
    SCENE_ID_PATTERN,
    ClaimIn,
    ErrorOut,
    Page,
    SiteDetail,
    SiteOut,
)

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 64 * 1024
STATIC = Path(__file__).parent / "static"
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (401, 403, 404, 409, 413, 422)
}


@dataclass(frozen=True)
class WebState:
    """What every request needs: the store (and project) and the write token, if any."""

    source: Source
    token: str | None

    @property
    def simulated(self) -> bool:
        return is_simulated(self.source)


def state(request: Request) -> WebState:
    return request.app.state.forcewatch  # type: ignore[no-any-return]


StateDep = Annotated[WebState, Depends(state)]
Limit = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"items per page, at most {MAX_LIMIT}")
]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
SiteName = Annotated[str, PathParam(pattern=NAME_PATTERN, description="site name as stored")]


def require_token(request: Request, st: StateDep) -> None:
    """Allow writing only with ``Authorization: Bearer <token>`` matching the configured one."""
    if not st.token:
        raise HTTPException(403, "writing is disabled: the server has no FORCEWATCH_TOKEN")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), st.token.encode()
    ):
        raise HTTPException(
            401, "missing or wrong token", headers={"WWW-Authenticate": 'Bearer realm="forcewatch"'}
        )


def page(items: list[dict[str, Any]], limit: int, offset: int) -> Page:
    return Page(total=len(items), limit=limit, offset=offset, items=items[offset : offset + limit])


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-able rows: times as ISO-8601 UTC, NaN as null."""
    if df.empty:
        return []
    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            out[col] = out[col].map(lambda t: None if pd.isna(t) else t.isoformat())
    out = out.astype(object).where(pd.notna(out), None)
    return [dict(r) for r in out.to_dict("records")]


def site_out(stored: repo.StoredSite, latest: dict[str, str]) -> SiteOut:
    s = stored.site
    return SiteOut(
        name=s.name,
        kind=s.kind,
        country=s.country,
        distance_km=s.distance_km,
        band=s.band,
        latest_state=latest.get(s.name, "unknown"),
        centroid=s.centroid_lonlat,
    )


# --- middleware and errors ---------------------------------------------------------------------


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413 before any handler reads them."""

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        msg = f"request body too large (at most {self.max_bytes // 1024} KiB)"
        await JSONResponse({"error": msg}, status_code=413)(scope, receive, send)


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
}


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404 and detail == "Not Found":
            detail = "not found"
        return JSONResponse({"error": detail}, exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {
                "where": ".".join(str(p) for p in e.get("loc", ())),
                "message": str(e.get("msg")).removeprefix("Value error, "),
            }
            for e in exc.errors()
        ]
        summary = "; ".join(f"{p['where']}: {p['message']}" for p in problems)
        error = f"invalid request: {summary}" if summary else "invalid request"
        return JSONResponse({"error": error, "problems": problems}, 422)

    @app.exception_handler(ForceWatchError)
    async def fw_error(_: Request, exc: ForceWatchError) -> JSONResponse:
        status = 503 if isinstance(exc, StoreError) else 400
        return JSONResponse({"error": exc.message}, status)

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> JSONResponse:
        log.error("error serving %s: %r", request.url.path, exc, exc_info=exc)
        return JSONResponse({"error": "internal error; the server log has details"}, 500)


# --- the application ---------------------------------------------------------------------------


def create_app(
    project_root_or_store_url: Project | Store | str | Path, token: str | None = None
) -> FastAPI:
    """The dashboard app over a project folder, a store URL, a Project or an open Store.

    ``token`` enables writing (POST /api/claims); None reads ``FORCEWATCH_TOKEN``; an empty
    token disables writing. Raises ConfigError/StoreError when the store cannot be opened.
    """
    chosen = token if token is not None else os.environ.get("FORCEWATCH_TOKEN")
    app = FastAPI(
        title="ForceWatch",
        version=__version__,
        description="Sites watched from orbit, their activity, and claims tested against it. "
        "Read-only unless the server has a token; POST needs `Authorization: Bearer TOKEN`.",
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.forcewatch = WebState(open_source(project_root_or_store_url), chosen or None)
    app.add_middleware(BodyLimit)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            if key == "Content-Security-Policy" and request.url.path == "/api/docs":
                continue  # FastAPI's interactive docs load their scripts from a CDN
            response.headers.setdefault(key, value)
        return response

    _install_error_handlers(app)
    _add_api(app)
    _add_alerts(app)
    views.add_pages(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def _add_alerts(app: FastAPI) -> None:
    """Mount the alert routes (``forcewatch.web.alerts``) when that module is installed."""
    try:
        from forcewatch.web.alerts import alerts_router
    except ImportError:
        log.info("alert routes not available")
        return
    app.include_router(
        alerts_router(
            lambda r: state(r).source.store,
            lambda r: state(r).token,
            lambda r: state(r).simulated,
        ),
        tags=["alerts"],
    )


def _add_api(app: FastAPI) -> None:
    @app.get("/api/sites", response_model=Page, tags=["sites"], responses=ERRORS)
    def api_sites(st: StateDep, limit: Limit = 100, offset: Offset = 0) -> Page:
        """Watched sites with their distance band and latest state."""
        latest = views.latest_states(st.source)
        items = [site_out(s, latest).model_dump() for s in repo.list_sites(st.source.store)]
        return page(items, limit, offset)

    @app.get("/api/sites/{name}", response_model=SiteDetail, tags=["sites"], responses=ERRORS)
    def api_site(st: StateDep, name: SiteName, limit: Limit = 100, offset: Offset = 0) -> Any:
        """One site: its geometry, and pages of its series, states and detections."""
        stored = views.find_site(st, name)
        data = views.site_data(st.source, stored)
        return SiteDetail(
            site=site_out(stored, views.latest_states(st.source)),
            feature=site_to_feature(stored.site),
            series=page(records(data["series"]), limit, offset),
            states=page(records(data["states"]), limit, offset),
            detections=page(records(data["detections"]), limit, offset),
        )

    @app.get("/api/claims", response_model=Page, tags=["claims"], responses=ERRORS)
    def api_claims(st: StateDep, limit: Limit = 100, offset: Offset = 0) -> Page:
        """Claims, oldest statement first, each with its latest verdict (or null)."""
        return page(views.claims_with_verdicts(st.source), limit, offset)

    @app.post(
        "/api/claims",
        status_code=201,
        tags=["claims"],
        responses=ERRORS,
        dependencies=[Depends(require_token)],
    )
    def api_add_claim(st: StateDep, claim: ClaimIn, response: Response) -> dict[str, Any]:
        """Add a claim to the ledger (needs the bearer token). 409 when the id exists."""
        try:
            record = claim.to_record()
        except ValidationError as exc:
            errors = [{**e, "loc": ("body", *e.get("loc", ()))} for e in exc.errors()]
            raise RequestValidationError(errors) from exc
        known = {s.site.name for s in repo.list_sites(st.source.store, record.get("sites"))}
        unknown = [n for n in record.get("sites", []) if n not in known]
        if unknown:
            raise HTTPException(
                422,
                f"unknown site(s): {', '.join(unknown)}; use names that GET /api/sites lists "
                "(add a site with `forcewatch sites add`)",
            )
        with st.source.store.begin() as conn:
            added = repo.upsert_claim(conn, record)
        if not added:
            raise HTTPException(409, f"a claim with id {record['id']!r} already exists")
        response.headers["Location"] = f"/claims#claim-{record['id']}"
        log.info("claim %s added through the dashboard", record["id"])
        return record

    @app.get("/api/verdicts", response_model=Page, tags=["claims"], responses=ERRORS)
    def api_verdicts(st: StateDep, limit: Limit = 100, offset: Offset = 0) -> Page:
        """Verdicts in the contract shape, oldest first."""
        return page(repo.list_verdicts(st.source.store), limit, offset)

    @app.get(
        "/api/chips/{scene_id}",
        tags=["images"],
        responses={**ERRORS, 200: {"content": {"image/png": {}}}},
        response_class=Response,
    )
    def api_chip(
        st: StateDep,
        scene_id: Annotated[str, PathParam(pattern=SCENE_ID_PATTERN)],
        site: Annotated[str, Query(pattern=NAME_PATTERN)],
        db_min: Annotated[float, Query(ge=-60, le=40, description="black, dB")] = -25.0,
        db_max: Annotated[float, Query(ge=-60, le=40, description="white, dB")] = 5.0,
    ) -> Response:
        """A PNG of a scene clipped around a site (VV dB, grey), looked up by scene id.

        The grey scale is fixed (``db_min`` black to ``db_max`` white) so chips of one site
        can be compared side by side.
        """
        if db_max <= db_min:
            raise HTTPException(422, "db_max must be greater than db_min")
        stored = views.find_site(st, site)
        scene = views.find_scene(st.source, scene_id)
        if scene is None:
            raise HTTPException(404, f"no scene with id {scene_id!r}")
        try:
            chip = read_chip(
                str(scene["href"]),
                stored.site,
                band_index=vv_index(scene.get("polarisations")),
                units=str(scene.get("units") or "auto"),
                **views.grid_settings(st.source),
            )
        except InputError as exc:
            raise HTTPException(404, "the image file of this scene cannot be read") from exc
        png = chip_png(chip, stored.site, (db_min, db_max), views.detections_of(st, scene_id))
        return Response(png, media_type="image/png", headers={"Cache-Control": "max-age=3600"})


def serve(
    project: Project | Store | str | Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    token: str | None = None,
) -> None:
    """Run the dashboard with uvicorn until interrupted (binds to localhost by default)."""
    import uvicorn

    app = create_app(project, token=token)
    if host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("serving on %s: anyone who can reach this address can read the data", host)
    uvicorn.run(app, host=host, port=port, server_header=False, proxy_headers=False)
