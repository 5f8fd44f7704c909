"""The evidence bundle: complete manifest, verification, and detection of any changed byte."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import shapely

from forcewatch.config import load_project
from forcewatch.imagery.catalog import sha256_file
from forcewatch.pipeline import import_sites
from forcewatch.publish.bundle import MANIFEST, MANIFEST_SUM, build_bundle, verify_bundle
from forcewatch.publish.reproduce import NOT_FROM_GIT, code_commit
from forcewatch.store import repo
from forcewatch.store.db import open_store
from tests.publish.fixtures import PROJECT_YAML, Fixture, build_fixture

DOCS = Path(__file__).resolve().parents[2] / "docs" / "publication.md"


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


def test_bundle_config_folder_is_a_project_that_recreates_the_sites_and_reference(
    bundle: Path, fixture_project: Fixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(tmp_path)
    project = load_project(tmp_path / "config")
    sites_cfg = project.config.sites
    assert (sites_cfg.watchlist, sites_cfg.reference) == ("sites.geojson", "reference.geojson")
    assert project.config.imagery.paths == ["scenes"]
    assert project.config.store.url is None
    original = fixture_project.project.config
    assert project.config.sar == original.sar and project.config.assess == original.assess

    monkeypatch.delenv("FORCEWATCH_STORE_URL", raising=False)
    import_sites(project)  # `forcewatch sites import` in the unzipped config/ folder
    stored = open_store(fixture_project.project.store_url)
    again = open_store(project.store_url)
    assert project.store_url.endswith(str(tmp_path / "config" / "forcewatch.db"))
    want, got = repo.list_sites(stored), repo.list_sites(again)
    assert [s.site.name for s in got] == [s.site.name for s in want]
    for a, b in zip(want, got, strict=True):
        # the same vertices; importing may only turn the ring to the right-hand rule
        assert shapely.normalize(b.site.geometry).equals_exact(
            shapely.normalize(a.site.geometry), 1e-12
        )
        assert (b.site.kind, b.site.country, b.site.band) == (
            a.site.kind,
            a.site.country,
            a.site.band,
        )
        assert b.site.distance_km == pytest.approx(a.site.distance_km, abs=1e-9)
    ref_want, ref_got = repo.get_reference(stored), repo.get_reference(again)
    assert ref_want is not None and ref_got is not None
    assert ref_got.name == ref_want.name and ref_got.geometry.equals(ref_want.geometry)


def test_manifest_names_the_git_commit_of_the_code(bundle: Path) -> None:
    manifest = json.loads(_members(bundle)[MANIFEST])
    commit, _ = code_commit()  # files may change while the tests run: compare the commit
    assert manifest["code_commit"] == commit
    if commit == NOT_FROM_GIT:
        assert manifest["code_modified"] is None
    else:
        assert re.fullmatch(r"[0-9a-f]{40}", commit) and manifest["code_modified"] in (True, False)


def _git(folder: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.skipif(shutil.which("git") is None, reason="needs the git program")
def test_code_commit_is_the_checkout_commit_and_says_when_files_changed(tmp_path: Path) -> None:
    repo_dir, pkg = tmp_path / "repo", tmp_path / "repo" / "pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("x = 1\n")
    _git(repo_dir, "init", "-q")
    _git(repo_dir, "add", ".")
    _git(repo_dir, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "c")
    head = _git(repo_dir, "rev-parse", "HEAD")
    assert code_commit(pkg) == (head, False)
    (pkg / "__init__.py").write_text("x = 2\n")
    assert code_commit(pkg) == (head, True)
    untracked = repo_dir / "site-packages" / "pkg"  # an installed copy inside a checkout
    untracked.mkdir(parents=True)
    (untracked / "__init__.py").write_text("x = 1\n")
    assert code_commit(untracked) == (NOT_FROM_GIT, None)
    outside = tmp_path / "plain"
    outside.mkdir()
    assert code_commit(outside) == (NOT_FROM_GIT, None)


def test_code_commit_without_git_installed_does_not_fail(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no git on the PATH
    assert code_commit() == (NOT_FROM_GIT, None)


MEASUREMENT_HEADER = "site,geometry_key,scene_id,acquired_utc,metric,value,params_hash,site_id,id"


def test_measurements_csv_has_its_columns_in_the_documented_order(bundle: Path) -> None:
    header = _members(bundle)["data/measurements.csv"].decode().splitlines()[0]
    assert header == MEASUREMENT_HEADER
    row = next(line for line in DOCS.read_text().splitlines() if "`data/measurements.csv`" in line)
    listed = re.search(r"\(`([^`]*)`\)", row)
    assert listed, row
    assert listed.group(1).replace(" ", "") == MEASUREMENT_HEADER


def test_no_secret_of_the_project_file_reaches_the_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fixture = build_fixture(tmp_path / "project")
    monkeypatch.setenv("FORCEWATCH_STORE_URL", fixture.project.store_url)
    secrets = PROJECT_YAML + (
        "store:\n  url: postgresql+psycopg://watch:s3cr3t-pw@db.example.org/fw\n"
        "alerts:\n  channels:\n"
        "    - {kind: webhook, url: 'https://hooks.example.org/T0/B0/t0ken-in-url'}\n"
    )
    (tmp_path / "project" / "forcewatch.yaml").write_text(secrets, encoding="utf-8")
    out = build_bundle(load_project(tmp_path / "project"), tmp_path / "b.zip")
    members = _members(out)
    for name, data in members.items():
        assert b"s3cr3t-pw" not in data and b"t0ken-in-url" not in data, name
    config = json.loads(members[MANIFEST])["parameters"]["config"]
    assert config["store"]["url"] == "postgresql+psycopg://watch:***@db.example.org/fw"
