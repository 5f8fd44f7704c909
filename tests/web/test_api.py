"""The dashboard's JSON API and pages: content, auth, validation, limits and path safety."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from forcewatch.web import app as web_app
from forcewatch.web.app import MAX_BODY_BYTES, create_app
from forcewatch.web.models import ClaimIn
from tests.publish.fixtures import Fixture
from tests.web.conftest import TOKEN

CLAIM = {
    "speaker": "Press office",
    "stated_on": "2022-02-20",
    "kind": "withdrawal",
    "quote": "Units at Yelnya are leaving after exercises.",
    "sites": ["Yelnya"],
    "trend": "decrease",
}
AUTH = {"Authorization": f"Bearer {TOKEN}"}
DOCS = Path(__file__).resolve().parents[2] / "docs" / "publication.md"


def _json_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body.get("error"), str) and body["error"]
    assert "Traceback" not in response.text
    return dict(body)


def test_sites_list_with_latest_state(client: TestClient) -> None:
    body = client.get("/api/sites").json()
    assert body["total"] == 3
    by_name = {s["name"]: s for s in body["items"]}
    assert by_name["Klintsy"]["latest_state"] == "build-up"
    assert by_name["Valuyki"]["band"] == "20-50"


def test_site_detail_has_series_states_and_detections(
    client: TestClient, fixture_project: Fixture
) -> None:
    body = client.get("/api/sites/Klintsy", params={"limit": 500}).json()
    assert body["feature"]["geometry"]["type"] == "Polygon"
    assert body["series"]["total"] == 80  # 2 orbits x 20 dates + 40 fused dates
    assert body["states"]["total"] == 80
    assert body["detections"]["total"] == fixture_project.n_detections
    row = next(r for r in body["series"]["items"] if r["geometry_key"] == "s1:ro021")
    assert {"bright_frac_resid", "valid_frac", "targets", "state", "date"} <= set(row)


def test_pagination_limits_and_offsets(client: TestClient) -> None:
    first = client.get("/api/sites", params={"limit": 2}).json()
    rest = client.get("/api/sites", params={"limit": 2, "offset": 2}).json()
    assert [len(first["items"]), len(rest["items"])] == [2, 1]
    assert first["items"][0]["name"] != rest["items"][0]["name"]
    _json_error(client.get("/api/sites", params={"limit": 501}), 422)
    _json_error(client.get("/api/claims", params={"offset": -1}), 422)
    _json_error(client.get("/api/verdicts", params={"limit": "many"}), 422)


def test_claims_carry_their_verdicts(client: TestClient) -> None:
    items = client.get("/api/claims").json()["items"]
    assert [c["id"] for c in items] == ["c1", "c2", "c3"]
    assert items[0]["verdict"]["verdict"] == "contradicted"
    verdicts = client.get("/api/verdicts").json()["items"]
    assert verdicts[1]["drivers"][0]["scene_id"]


def test_post_claim_without_token_is_401(client: TestClient) -> None:
    response = client.post("/api/claims", json=CLAIM)
    _json_error(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header", ["Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer", ""]
)
def test_post_claim_with_wrong_token_is_401(client: TestClient, header: str) -> None:
    _json_error(client.post("/api/claims", json=CLAIM, headers={"Authorization": header}), 401)
    assert client.get("/api/claims").json()["total"] == 3


def test_post_claim_with_token_adds_it(client: TestClient) -> None:
    response = client.post("/api/claims", json=CLAIM, headers=AUTH)
    assert response.status_code == 201, response.text
    claim_id = response.json()["id"]
    ids = [c["id"] for c in client.get("/api/claims").json()["items"]]
    assert claim_id in ids and len(ids) == 4
    _json_error(client.post("/api/claims", json=CLAIM, headers=AUTH), 409)


def test_claims_added_on_the_web_are_valid_ledger_claims(client: TestClient) -> None:
    model = pytest.importorskip("forcewatch.claims.model")
    stored = client.post("/api/claims", json=CLAIM, headers=AUTH).json()
    claim = model.Claim.from_dict(stored)
    assert claim.sites == ("Yelnya",) and claim.window_start.isoformat() == "2022-02-20"
    assert stored["expected_change"] == "decrease"


def test_writing_is_disabled_without_a_configured_token(readonly_client: TestClient) -> None:
    body = _json_error(readonly_client.post("/api/claims", json=CLAIM, headers=AUTH), 403)
    assert "disabled" in body["error"]


def test_token_comes_from_the_environment(
    project_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCEWATCH_TOKEN", "from-env")
    c = TestClient(create_app(str(project_copy)), raise_server_exceptions=False)
    ok = c.post("/api/claims", json=CLAIM, headers={"Authorization": "Bearer from-env"})
    assert ok.status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {**CLAIM, "stated_on": "not a date"},
        {**CLAIM, "speaker": ""},
        {**CLAIM, "kind": "DROP TABLE"},
        {**CLAIM, "extra": "field"},
        {**CLAIM, "trend": "sideways"},
        {**CLAIM, "kind": "invasion-of-mars"},  # a slug, but no kind the ledger knows
        {**CLAIM, "id": "../../etc/passwd"},
        {k: v for k, v in CLAIM.items() if k != "quote"},
        [CLAIM],
    ],
)
def test_malformed_claims_are_422_json(client: TestClient, body: Any) -> None:
    error = _json_error(client.post("/api/claims", json=body, headers=AUTH), 422)
    assert error["problems"]


def test_wrong_kind_is_the_only_problem_reported_and_names_the_valid_kinds(
    client: TestClient,
) -> None:
    model = pytest.importorskip("forcewatch.claims.model")
    bad = {"speaker": "T", "stated_on": "2022-02-18", "kind": "pullout", "quote": "x"}
    error = _json_error(client.post("/api/claims", json=bad, headers=AUTH), 422)
    assert [p["where"] for p in error["problems"]] == ["body.kind"]
    message = error["problems"][0]["message"]
    assert "'pullout'" in message and not message.startswith("Value error")
    assert all(kind.value in message for kind in model.ClaimKind)
    assert "\n" not in error["error"] and "body.kind" in error["error"]


def test_wrong_force_is_refused_naming_the_valid_forces(client: TestClient) -> None:
    model = pytest.importorskip("forcewatch.claims.model")
    error = _json_error(
        client.post("/api/claims", json={**CLAIM, "force": "mars"}, headers=AUTH), 422
    )
    assert [p["where"] for p in error["problems"]] == ["body.force"]
    assert all(force.value in error["problems"][0]["message"] for force in model.Force)


def _cli_claims_add_default(option: str) -> Any:
    import typer

    from forcewatch import cli

    group = typer.main.get_command(cli.app)
    add = group.commands["claims"].commands["add"]  # type: ignore[attr-defined]
    return next(p.default for p in add.params if p.name == option)


@pytest.mark.parametrize("force", ["absent", None])
def test_posted_claim_defaults_to_the_force_claims_add_uses(
    client: TestClient, force: str | None
) -> None:
    body = dict(CLAIM) if force == "absent" else {**CLAIM, "force": force}
    stored = client.post("/api/claims", json=body, headers=AUTH)
    assert stored.status_code == 201, stored.text
    assert stored.json()["force"] == "russia" == _cli_claims_add_default("force")


def _docs_dashboard_section() -> str:
    text = DOCS.read_text(encoding="utf-8")
    start = text.index("## The dashboard")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def test_docs_list_exactly_the_fields_post_api_claims_takes() -> None:
    row = next(
        line for line in _docs_dashboard_section().splitlines() if "`POST /api/claims`" in line
    )
    listed = re.search(r"`\{([^}]*)\}`", row)
    assert listed, f"no {{fields}} in the docs row: {row}"
    fields = [f.strip() for f in listed.group(1).split(",")]
    required = {f for f in fields if not f.endswith("?")}
    optional = {f.rstrip("?") for f in fields if f.endswith("?")}
    model_required = {n for n, f in ClaimIn.model_fields.items() if f.is_required()}
    assert required == model_required
    assert optional == set(ClaimIn.model_fields) - model_required


def test_docs_curl_example_adds_a_claim(client: TestClient) -> None:
    section = _docs_dashboard_section()
    example = re.search(r"curl [^`]*?/api/claims[^`]*?```", section, re.S)
    assert example, "the dashboard section has no curl example for POST /api/claims"
    body = re.search(r"-d '([^']*)'", example.group(0))
    assert body, "the curl example sends no -d '{...}' body"
    response = client.post("/api/claims", json=json.loads(body.group(1)), headers=AUTH)
    assert response.status_code == 201, response.text
    stored = response.json()
    for key in ("id", "force", "window_start", "window_end", "expected_change"):
        assert f'"{key}": "{stored[key]}"' in section, f"the docs show another {key}"


def test_claim_about_an_unknown_site_is_422(client: TestClient) -> None:
    bad = {**CLAIM, "sites": ["Atlantis"]}
    assert (
        "Atlantis" in _json_error(client.post("/api/claims", json=bad, headers=AUTH), 422)["error"]
    )


def test_unparseable_json_is_422(client: TestClient) -> None:
    headers = {**AUTH, "Content-Type": "application/json"}
    _json_error(client.post("/api/claims", content=b'{"speaker": ', headers=headers), 422)


def test_oversize_body_is_413(client: TestClient) -> None:
    huge = {**CLAIM, "text": "x" * (MAX_BODY_BYTES + 10)}
    _json_error(client.post("/api/claims", json=huge, headers=AUTH), 413)


def test_oversize_chunked_body_is_413(client: TestClient) -> None:
    def chunks() -> Any:
        for _ in range(40):
            yield b"x" * 4096

    headers = {**AUTH, "Content-Type": "application/json"}
    _json_error(client.post("/api/claims", content=chunks(), headers=headers), 413)


@pytest.fixture()
def no_file_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every scene read the chip endpoint makes."""
    reads: list[str] = []

    def spy(href: str, *args: Any, **kwargs: Any) -> Any:
        reads.append(href)
        raise AssertionError("no file may be read for this request")

    monkeypatch.setattr(web_app, "read_chip", spy)
    return reads


@pytest.mark.parametrize(
    "url",
    [
        "/api/sites/..%2F..%2Fetc%2Fpasswd",
        "/api/sites/%2Fetc%2Fpasswd",
        "/api/sites/..",
        "/sites/..%2F..%2Fetc%2Fpasswd",
        "/api/chips/..%2F..%2Fetc%2Fpasswd?site=Klintsy",
        "/api/chips/a%2Fb?site=Klintsy",
        "/api/chips/..?site=Klintsy",
        "/api/chips/abc?site=..%2F..%2Fetc%2Fpasswd",
        "/api/chips/%00?site=Klintsy",
        "/static/..%2F..%2Fstore%2Frepo.py",
    ],
)
def test_path_traversal_is_refused_without_touching_files(
    client: TestClient, no_file_reads: list[str], url: str
) -> None:
    response = client.get(url)
    assert response.status_code in (404, 422), response.text
    assert response.headers["content-type"].startswith("application/json")
    assert "root:" not in response.text and "def " not in response.text
    assert no_file_reads == []


def test_chip_of_a_stored_scene_is_a_png(client: TestClient, fixture_project: Fixture) -> None:
    response = client.get(f"/api/chips/{fixture_project.driver_scene}", params={"site": "Klintsy"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_unknown_scene_is_404(client: TestClient) -> None:
    _json_error(client.get("/api/chips/0123456789abcdef", params={"site": "Klintsy"}), 404)


def test_unknown_site_is_404_json(client: TestClient) -> None:
    _json_error(client.get("/api/sites/Atlantis"), 404)
    _json_error(client.get("/no/such/page"), 404)


def test_unknown_site_page_is_an_html_404_linking_back_to_the_sites(client: TestClient) -> None:
    response = client.get("/sites/Nowhere<b>")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Nowhere&lt;b&gt;" in response.text and "Nowhere<b>" not in response.text
    assert 'href="/"' in response.text and "SIMULATED IMAGERY" in response.text


def test_server_errors_are_json_without_a_trace(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(web_app.repo, "list_verdicts", boom)
    body = _json_error(client.get("/api/verdicts"), 500)
    assert "secret" not in body["error"]


@pytest.mark.parametrize("path", ["/", "/sites/Klintsy", "/claims", "/claims/new", "/alerts"])
def test_every_page_shows_the_simulated_banner(client: TestClient, path: str) -> None:
    if path == "/alerts":
        pytest.importorskip("forcewatch.web.alerts")
    response = client.get(path)
    assert response.status_code == 200
    assert "SIMULATED IMAGERY" in response.text
    assert "default-src 'none'" in response.headers["content-security-policy"]


def test_pages_show_map_chart_chips_and_claims(client: TestClient) -> None:
    index = client.get("/").text
    assert "<svg" in index and 'href="/sites/Klintsy"' in index
    site = client.get("/sites/Klintsy").text
    assert site.count("<svg") == 1 and "/api/chips/" in site and "vehicle" in site
    claims = client.get("/claims").text
    assert "contradicted" in claims and "Units near Klintsy" in claims


def test_alert_routes_are_mounted_when_available(client: TestClient) -> None:
    pytest.importorskip("forcewatch.web.alerts")
    assert client.get("/api/alerts").json()["total"] == 0
    assert 'href="/alerts"' in client.get("/").text


def test_openapi_documents_the_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/sites", "/api/sites/{name}", "/api/claims", "/api/verdicts"} <= set(paths)
    assert "post" in paths["/api/claims"]
    assert "/claims" not in paths  # pages are not API
