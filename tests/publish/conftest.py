"""The fixture store shared by the publish and web tests (built once per session, read-only)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.publish.fixtures import Fixture, build_fixture


@pytest.fixture(scope="session")
def clean_env() -> Iterator[None]:
    """No store URL or token from the developer's shell leaks into the tests."""
    with pytest.MonkeyPatch.context() as mp:
        for name in ("FORCEWATCH_STORE_URL", "FORCEWATCH_TOKEN", "FORCEWATCH_PROJECT"):
            mp.delenv(name, raising=False)
        yield


@pytest.fixture(scope="session")
def fixture_project(clean_env: None, tmp_path_factory: pytest.TempPathFactory) -> Fixture:
    return build_fixture(tmp_path_factory.mktemp("fixture") / "project")
