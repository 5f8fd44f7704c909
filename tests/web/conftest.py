"""Dashboard fixtures: a writable copy of the fixture project per test, and clients over it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from forcewatch.config import load_project
from forcewatch.web.app import create_app
from tests.publish.conftest import clean_env, fixture_project  # noqa: F401  (shared fixtures)
from tests.publish.fixtures import Fixture

TOKEN = "test-token-0123456789"


@pytest.fixture()
def project_copy(fixture_project: Fixture, tmp_path: Path) -> Path:  # noqa: F811
    """A copy of the fixture project (config and store; scene files are shared, read-only)."""
    src = fixture_project.project.root
    dst = tmp_path / "project"
    dst.mkdir()
    for name in ("forcewatch.yaml", "forcewatch.db", "forcewatch.db-wal", "forcewatch.db-shm"):
        if (src / name).exists():
            shutil.copy2(src / name, dst / name)
    return dst


@pytest.fixture()
def client(project_copy: Path) -> TestClient:
    app = create_app(load_project(project_copy), token=TOKEN)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture()
def readonly_client(project_copy: Path) -> TestClient:
    return TestClient(create_app(str(project_copy), token=""), raise_server_exceptions=False)
