"""Alert routes of the dashboard: the Atom feed, a JSON list, acknowledging, and an HTML page.

``alerts_router(store_getter, token_getter, simulated_getter)`` returns an ``APIRouter`` the app
includes:

- ``GET /alerts.atom``: Atom 1.0 feed of the latest alerts that were sent (not suppressed);
- ``GET /api/alerts``: a page of alerts, newest first, with their deliveries;
- ``POST /api/alerts/{id}/ack``: acknowledge an alert; needs ``Authorization: Bearer TOKEN``
  (401 when missing or wrong, 403 when the server has no token);
- ``GET /alerts``: the alerts as an HTML table with an acknowledge button per alert, in the
  dashboard's page frame (``templates/alerts.html.j2``: navigation, SIMULATED banner); its
  script is served from ``/alerts.js``: the page's CSP allows scripts from the site only.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse

from forcewatch.alerts import AlertQuery, acknowledge, list_alerts, render_atom
from forcewatch.store.db import Store
from forcewatch.web.views import page_html

FEED_ENTRIES = 100
MAX_PAGE = 500
PAGE_ROWS = 200

StoreGetter = Callable[[Request], Store]
TokenGetter = Callable[[Request], str | None]
SimulatedGetter = Callable[[Request], bool]

_SCRIPT = """"use strict";
(function () {
  var tokenField = document.getElementById("ack-token");
  var status = document.getElementById("ack-status");
  tokenField.value = sessionStorage.getItem("forcewatch-token") || "";
  document.querySelectorAll("button.ack").forEach(function (button) {
    button.addEventListener("click", function () {
      var token = tokenField.value.trim();
      if (!token) { status.textContent = "Enter the token first."; tokenField.focus(); return; }
      sessionStorage.setItem("forcewatch-token", token);
      button.disabled = true;
      fetch("/api/alerts/" + encodeURIComponent(button.dataset.id) + "/ack", {
        method: "POST",
        headers: {"Authorization": "Bearer " + token}
      }).then(function (resp) {
        return resp.json().then(function (body) { return {ok: resp.ok, body: body}; });
      }).then(function (r) {
        if (!r.ok) {
          button.disabled = false;
          status.textContent = "Not acknowledged: " + (r.body.error || r.body.detail || "error");
          return;
        }
        button.replaceWith(document.createTextNode("acknowledged " +
          r.body.acknowledged_utc.slice(0, 16).replace("T", " ")));
        status.textContent = "Alert " + r.body.id + " acknowledged.";
      }).catch(function () {
        button.disabled = false;
        status.textContent = "Network error; try again.";
      });
    });
  });
})();
"""


def _check_token(given_header: str, expected: str | None) -> None:
    if not expected:
        raise HTTPException(403, "acknowledging is disabled: the server has no FORCEWATCH_TOKEN")
    scheme, _, given = given_header.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        given.strip().encode(), expected.encode()
    ):
        raise HTTPException(
            401, "missing or wrong token", headers={"WWW-Authenticate": 'Bearer realm="forcewatch"'}
        )


def alerts_router(
    store_getter: StoreGetter,
    token_getter: TokenGetter,
    simulated_getter: SimulatedGetter | None = None,
) -> APIRouter:
    """The alert routes over the store ``store_getter(request)`` returns; acknowledging needs
    the token ``token_getter(request)`` returns (None or empty: acknowledging disabled). The page
    carries the SIMULATED banner when ``simulated_getter(request)`` is true (None: never)."""
    router = APIRouter()

    def store_dep(request: Request) -> Store:
        return store_getter(request)

    def require_token(request: Request) -> None:
        _check_token(request.headers.get("authorization", ""), token_getter(request))

    # Dependencies as defaults: with postponed annotations FastAPI resolves annotation names in
    # the module's globals, where a local Annotated alias would not be found.
    store_param = Depends(store_dep)

    @router.get(
        "/alerts.atom",
        response_class=Response,
        responses={200: {"content": {"application/atom+xml": {}}}},
    )
    def alerts_feed(request: Request, store: Store = store_param) -> Response:
        """Atom 1.0 feed of the latest alerts that were sent (suppressed ones are left out)."""
        _, items = list_alerts(store, AlertQuery(include_suppressed=False), limit=FEED_ENTRIES)
        base = str(request.base_url).rstrip("/")
        xml = render_atom(items, feed_url=f"{base}/alerts.atom", home_url=f"{base}/alerts")
        return Response(xml, media_type="application/atom+xml; charset=utf-8")

    @router.get("/api/alerts")
    def api_alerts(
        limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
        offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
        severity: Literal["info", "warning", "critical"] | None = None,
        subject: Annotated[str | None, Query(max_length=200)] = None,
        acknowledged: bool | None = None,
        include_suppressed: bool = True,
        store: Store = store_param,
    ) -> dict[str, Any]:
        """Alerts newest first, each with its deliveries; ``total`` counts all that match."""
        query = AlertQuery(include_suppressed, severity, subject, acknowledged)
        total, items = list_alerts(store, query, limit=limit, offset=offset)
        return {"total": total, "limit": limit, "offset": offset, "items": items}

    @router.post("/api/alerts/{alert_id}/ack", dependencies=[Depends(require_token)])
    def api_ack(
        alert_id: Annotated[int, PathParam(ge=1, le=2**31 - 1)], store: Store = store_param
    ) -> dict[str, Any]:
        """Acknowledge an alert (needs the bearer token); acknowledging again keeps the time."""
        record = acknowledge(store, alert_id)
        if record is None:
            raise HTTPException(404, f"no alert with id {alert_id}")
        return record

    @router.get("/alerts", response_class=HTMLResponse, include_in_schema=False)
    def alerts_page(
        request: Request,
        store: Store = store_param,
        only_open: Annotated[bool, Query(alias="open")] = False,
    ) -> HTMLResponse:
        query = AlertQuery(acknowledged=False if only_open else None)
        total, items = list_alerts(store, query, limit=PAGE_ROWS)
        simulated = simulated_getter is not None and simulated_getter(request)
        return page_html(
            "alerts.html.j2",
            path=request.url.path,
            simulated=simulated,
            alerts=items,
            total=total,
            only_open=only_open,
        )

    @router.get("/alerts.js", include_in_schema=False)
    def alerts_script() -> Response:
        return Response(_SCRIPT, media_type="text/javascript; charset=utf-8")

    return router
