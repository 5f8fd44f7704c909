"""The evidence bundle: complete manifest, verification, and detection of any changed byte."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from forcewatch.imagery.catalog import sha256_file
from forcewatch.publish.bundle import MANIFEST, MANIFEST_SUM, build_bundle, verify_bundle
from forcewatch.store import repo
from forcewatch.store.db import open_store
from tests.publish.fixtures import Fixture, build_fixture


@pytest.fixture(scope="module")
def bundle(fixture_project: Fixture, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_bundle(fixture_project.project, tmp_path_factory.mktemp("bundle") / "b.zip")


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {n: zf.read(n) for n in zf.namelist()}


def _rewrite(src: Path, dst: Path, name: str, offset: int) -> None:
    """Copy the bundle with one byte of member ``name`` changed."""
    members = _members(src)
    data = bytearray(members[name])
    data[offset % len(data)] ^= 0x01
    members[name] = bytes(data)
    with zipfile.ZipFile(dst, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for member, content in members.items():
            zf.writestr(member, content)


def test_fresh_bundle_verifies_including_its_input_scenes(bundle: Path) -> None:
    assert verify_bundle(bundle) == []
    assert verify_bundle(bundle, check_inputs=True) == []


def test_manifest_lists_every_scene_parameter_and_file(
    bundle: Path, fixture_project: Fixture
) -> None:
    members = _members(bundle)
    manifest = json.loads(members[MANIFEST])
    store = open_store(fixture_project.project.store_url)
    scenes = repo.scenes_frame(store).drop_duplicates("scene_id")
    assert len(manifest["scenes"]) == len(scenes) == 120
    first = manifest["scenes"][0]
    assert set(first) >= {"href", "sha256", "acquired_utc", "relative_orbit", "geometry_key"}
    assert first["sha256"] == sha256_file(Path(first["href"]))
    assert manifest["parameters"]["config"]["sar"]["enl"] == 4.4
    assert "p0001" in manifest["parameters"]["params_hashes"]
    assert manifest["parameters"]["runs"][0]["params_sha256"]
    assert manifest["code_version"] == repo.CODE_VERSION
    listed = {f["path"] for f in manifest["files"]}
    assert listed == set(members) - {MANIFEST, MANIFEST_SUM}
    assert {"report.html", "data/measurements.csv", "data/verdicts.json"} <= listed
    assert manifest["reproduce"]


def test_bundle_numbers_match_the_store(bundle: Path, fixture_project: Fixture) -> None:
    members = _members(bundle)
    meas = pd.read_csv(io.BytesIO(members["data/measurements.csv"]))
    assert len(meas) == fixture_project.n_measurements
    verdicts = json.loads(members["data/verdicts.json"])
    assert [v["verdict"] for v in verdicts] == ["contradicted", "supported", "blind"]


@pytest.mark.parametrize(
    "member",
    ["report.html", "data/measurements.csv", "exports/series.csv", MANIFEST, MANIFEST_SUM],
)
def test_one_changed_byte_in_any_file_fails_verification(
    bundle: Path, tmp_path: Path, member: str
) -> None:
    changed = tmp_path / "changed.zip"
    _rewrite(bundle, changed, member, offset=len(_members(bundle)[member]) // 2)
    problems = verify_bundle(changed)
    assert problems, f"a changed byte in {member} went unnoticed"
    assert any(member in p or MANIFEST in p for p in problems)


def test_one_changed_byte_of_the_zip_itself_fails(bundle: Path, tmp_path: Path) -> None:
    data = bytearray(bundle.read_bytes())
    data[len(data) // 3] ^= 0xFF
    broken = tmp_path / "broken.zip"
    broken.write_bytes(bytes(data))
    assert verify_bundle(broken)


def test_added_and_removed_files_are_reported(bundle: Path, tmp_path: Path) -> None:
    members = _members(bundle)
    members["extra.txt"] = b"not in the manifest"
    del members["data/claims.json"]
    odd = tmp_path / "odd.zip"
    with zipfile.ZipFile(odd, "w") as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    problems = verify_bundle(odd)
    assert any("extra.txt" in p for p in problems)
    assert any("data/claims.json" in p for p in problems)


def test_not_a_bundle(tmp_path: Path) -> None:
    path = tmp_path / "x.zip"
    path.write_bytes(b"hello")
    assert verify_bundle(path)


def test_changed_input_scene_is_found_when_inputs_are_checked(tmp_path: Path) -> None:
    fixture = build_fixture(tmp_path / "project")
    out = build_bundle(fixture.project, tmp_path / "b.zip")
    manifest = json.loads(_members(out)[MANIFEST])
    scene = Path(manifest["scenes"][5]["href"])
    scene.write_bytes(scene.read_bytes() + b"\0")
    assert verify_bundle(out) == []  # the bundle itself is intact
    problems = verify_bundle(out, check_inputs=True)
    assert len(problems) == 1 and str(scene) in problems[0]
