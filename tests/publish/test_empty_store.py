"""A new project with nothing stored yet still publishes (empty, honest outputs)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from fastapi.testclient import TestClient

from forcewatch.config import load_project
from forcewatch.publish.bundle import build_bundle, verify_bundle
from forcewatch.publish.exports import export
from forcewatch.publish.report import build_report
from forcewatch.store.db import open_store
from forcewatch.web.app import create_app


@pytest.fixture()
def empty_project(tmp_path: Path, clean_env: None) -> Path:
    (tmp_path / "forcewatch.yaml").write_text("name: Empty\n", encoding="utf-8")
    open_store(load_project(tmp_path).store_url).dispose()
    return tmp_path


def test_empty_store_report_bundle_and_exports(empty_project: Path) -> None:
    project = load_project(empty_project)
    html = build_report(project, empty_project / "r.html").read_text(encoding="utf-8")
    assert "No claims are recorded" in html and "SIMULATED IMAGERY" not in html
    assert verify_bundle(build_bundle(project, empty_project / "b.zip")) == []
    (gpkg,) = export(project, "gpkg", empty_project / "x.gpkg")
    assert len(gpd.read_file(gpkg, layer="sites")) == 0


def test_empty_store_dashboard_pages(empty_project: Path) -> None:
    client = TestClient(create_app(str(empty_project), token=""))
    for path in ("/", "/claims", "/claims/new", "/api/sites", "/api/claims", "/api/verdicts"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "SIMULATED IMAGERY" not in response.text
    assert client.get("/api/sites").json()["total"] == 0
