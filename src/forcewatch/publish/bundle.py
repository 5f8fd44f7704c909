"""The evidence bundle: the report, the numbers behind it and a manifest of SHA-256 checksums.

A bundle is a zip holding ``report.html``, ``data/`` (measurements, states, verdicts, claims,
scenes as CSV/JSON), ``exports/`` (the four export layers as CSV with WKT geometry),
``config/`` (a project folder to reproduce the analysis in: ``forcewatch.yaml`` when the project
has one, the sites and the reference line as GeoJSON; see ``publish.reproduce``),
``manifest.json`` and ``manifest.sha256``.

The manifest lists every input scene (href, SHA-256, acquisition time, orbit), every parameter
(the configuration, each run's parameters with their hash, the parameter hashes of the stored
results), the code version and git commit, and every file of the bundle with its SHA-256.
``manifest.sha256`` holds the checksum of ``manifest.json`` itself, so no byte of the bundle can
change unnoticed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zipfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from forcewatch.config import Project
from forcewatch.errors import ImageryError
from forcewatch.imagery.catalog import read_safe_scene, sha256_file
from forcewatch.imagery.sentinel1 import is_safe_path
from forcewatch.publish import PublishError
from forcewatch.publish.exports import export_layers, to_csv_text
from forcewatch.publish.report import render_report
from forcewatch.publish.reproduce import code_commit, config_files, public_config
from forcewatch.publish.source import Evidence, Source, load_evidence, open_source, unique_scenes
from forcewatch.store import repo
from forcewatch.store.db import Store

log = logging.getLogger(__name__)
BUNDLE_FORMAT = "forcewatch-evidence-bundle/1"
MANIFEST = "manifest.json"
MANIFEST_SUM = "manifest.sha256"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed member times: the same inputs give the same bytes

REPRODUCE = [
    "1. Unzip this bundle into an empty folder and work there. Its config/ folder is a project: "
    "config/forcewatch.yaml is the project's configuration reading the sites from "
    "config/sites.geojson, the reference line from config/reference.geojson and the scenes "
    "from config/scenes/; its store will be config/forcewatch.db.",
    "2. Put every scene listed in 'scenes' into config/scenes/ under its own file name (copy "
    "its href, or fetch the same product from its provider) and check it: `sha256sum FILE` "
    "must print its sha256.",
    "3. Install the code: the commit in 'code_commit' (`git checkout COMMIT` in a clone of "
    "ForceWatch, then `pip install .`; 'code_modified' true: the code had uncommitted "
    "changes); when it says 'not from a git checkout', the release in 'code_version' "
    "(`pip install forcewatch==VERSION`).",
    "4. In config/ (imagery.paths is read from the current folder) run: `forcewatch sites "
    "import`, `forcewatch ingest`, `forcewatch claims import ../data/claims.json`, "
    "`forcewatch analyze`, `forcewatch verdicts`, `forcewatch bundle --out ../mine.zip`.",
    "5. Compare mine.zip's data/measurements.csv and data/verdicts.json with this bundle's: "
    "equal but for scene ids (they depend on where the files lie) and store row ids. Each "
    "row's params_hash names the parameters that produced it (parameters.params_hashes).",
    "6. Check this bundle: `forcewatch bundle verify BUNDLE.zip` re-computes every checksum.",
]
# Column order of the data/ CSV files; any other column follows in the store's order.
MEASUREMENT_COLUMNS = [
    "site", "geometry_key", "scene_id", "acquired_utc", "metric", "value", "params_hash",
    "site_id", "id",
]  # fmt: skip
STATE_COLUMNS = ["site", "geometry_key", "acquired_utc", "state", "activity", "details", "site_id"]
SCENE_COLUMNS = [
    "scene_id", "acquired_utc", "sensor", "relative_orbit", "geometry_key", "polarisations",
    "units", "simulated", "href", "sha256",
]  # fmt: skip


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, default=str) + "\n").encode("utf-8")


def _iso(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return pd.Timestamp(value).isoformat()


def _scene_entries(evidence: Evidence) -> list[dict[str, Any]]:
    scenes = evidence.scenes
    if scenes.empty:
        return []
    names = {s.id: s.site.name for s in evidence.sites}
    sites_of = scenes.groupby("scene_id")["site_id"].apply(
        lambda ids: sorted({names[int(i)] for i in ids.dropna() if int(i) in names})
    )
    out = []
    for row in unique_scenes(scenes).to_dict("records"):
        orbit = row.get("relative_orbit")
        out.append(
            {
                "scene_id": row["scene_id"],
                "href": row["href"],
                "sha256": row["sha256"],
                "sensor": row["sensor"],
                "acquired_utc": _iso(row["acquired_utc"]),
                "relative_orbit": None if orbit is None or pd.isna(orbit) else int(orbit),
                "geometry_key": row["geometry_key"],
                "polarisations": row.get("polarisations") or "",
                "simulated": bool(row.get("simulated")),
                "sites": sites_of.get(row["scene_id"], []),
            }
        )
    return out


def _parameters(evidence: Evidence, source: Source) -> dict[str, Any]:
    project = source.project
    config = public_config(project.config) if project else None
    runs = []
    for r in evidence.runs:
        params = dict(r.get("params") or {})
        runs.append(
            {
                "id": r["id"],
                "command": r["command"],
                "started_utc": _iso(r["started_utc"]),
                "status": r["status"],
                "code_version": r["code_version"],
                "params": params,
                "params_sha256": sha256_bytes(_json_bytes(params)),
            }
        )
    return {
        "config": config,
        "config_sha256": None if config is None else sha256_bytes(_json_bytes(config)),
        "params_hashes": evidence.params_hashes(),
        "runs": runs,
    }


def _data_files(evidence: Evidence) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    m = _ordered(evidence.measurements, MEASUREMENT_COLUMNS)
    m = _sorted(m, ["site", "geometry_key", "acquired_utc", "metric"])
    files["data/measurements.csv"] = _csv(m)
    st = evidence.states.copy()
    if not st.empty:
        st["details"] = st["details"].map(lambda d: json.dumps(d, sort_keys=True))
    st = _ordered(st, STATE_COLUMNS)
    files["data/states.csv"] = _csv(_sorted(st, ["site", "geometry_key", "acquired_utc"]))
    files["data/verdicts.json"] = _json_bytes(evidence.verdicts)
    files["data/claims.json"] = _json_bytes(evidence.claims)
    per_site = ["site_id", "overlap_fraction"]
    scenes = unique_scenes(evidence.scenes).drop(columns=per_site, errors="ignore")
    files["data/scenes.csv"] = _csv(_ordered(scenes, SCENE_COLUMNS))
    for name, gdf in export_layers(evidence).items():
        files[f"exports/{name}.csv"] = to_csv_text(gdf).encode("utf-8")
    return files


def _ordered(df: pd.DataFrame, first: Sequence[str]) -> pd.DataFrame:
    """``df`` with the columns of ``first`` (those it has) first, the others after them."""
    head = [c for c in first if c in df.columns]
    return df[[*head, *(c for c in df.columns if c not in head)]]


def _sorted(df: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Rows in a stable, readable order (the store returns them in insertion order)."""
    if df.empty or not set(keys) <= set(df.columns):
        return df
    return df.sort_values(list(keys), kind="stable").reset_index(drop=True)


def _csv(df: pd.DataFrame) -> bytes:
    out = df.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            out[col] = out[col].map(lambda t: None if pd.isna(t) else t.isoformat())
    return str(out.to_csv(index=False, lineterminator="\n")).encode("utf-8")


def build_bundle(
    project: Project | Store | str | Path,
    out_zip: str | Path,
    claim_ids: Sequence[str] | None = None,
    site_names: Sequence[str] | None = None,
) -> Path:
    """Write the evidence bundle zip to ``out_zip`` and return its path.

    Raises InputError (unknown site/claim), StoreError, PublishError (cannot write).
    """
    source = open_source(project)
    evidence = load_evidence(source, site_names=site_names, claim_ids=claim_ids)
    created = datetime.now(UTC).replace(microsecond=0)
    report = render_report(evidence, source, generated=created)
    files: dict[str, bytes] = {"report.html": report.encode("utf-8")}
    files.update(_data_files(evidence))
    config = source.project.config if source.project is not None else None
    files.update(config_files(config, evidence.sites, evidence.reference))
    commit, modified = code_commit()
    manifest = {
        "format": BUNDLE_FORMAT,
        "created_utc": created.isoformat(),
        "code_version": repo.CODE_VERSION,
        "code_commit": commit,
        "code_modified": modified,
        "project": source.project.config.name if source.project else None,
        "simulated": evidence.simulated,
        "store": source.store.safe_url,
        "sites": evidence.site_names,
        "claims": [str(c.get("id")) for c in evidence.claims],
        "scenes": _scene_entries(evidence),
        "parameters": _parameters(evidence, source),
        "files": [
            {"path": path, "sha256": sha256_bytes(data), "bytes": len(data)}
            for path, data in sorted(files.items())
        ],
        "reproduce": REPRODUCE,
    }
    manifest_bytes = _json_bytes(manifest)
    files[MANIFEST] = manifest_bytes
    files[MANIFEST_SUM] = f"{sha256_bytes(manifest_bytes)}  {MANIFEST}\n".encode("ascii")
    out = Path(out_zip)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for path, data in files.items():
                info = zipfile.ZipInfo(path, date_time=ZIP_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, data)
    except OSError as exc:
        raise PublishError(f"cannot write the bundle {out}: {exc}") from exc
    log.info("bundle written to %s (%d files)", out, len(files))
    return out


def _read_members(zf: zipfile.ZipFile, problems: list[str]) -> dict[str, bytes]:
    members: dict[str, bytes] = {}
    for info in zf.infolist():
        try:
            members[info.filename] = zf.read(info)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            problems.append(f"{info.filename}: cannot be read ({exc})")
    return members


def verify_bundle(zip_path: str | Path, check_inputs: bool = False) -> list[str]:
    """Re-check every checksum of a bundle; return the problems found (empty: it verifies).

    Checks the manifest against ``manifest.sha256``, each listed file's SHA-256 and size, and
    that no file is missing or unlisted. With ``check_inputs`` also re-hashes every input scene
    at its ``href`` (a missing scene file is a problem).
    """
    path = Path(zip_path)
    problems: list[str] = []
    try:
        with zipfile.ZipFile(path) as zf:
            members = _read_members(zf, problems)
    except (zipfile.BadZipFile, OSError) as exc:
        return [f"{path}: not a readable zip file ({exc})"]
    raw = members.get(MANIFEST)
    if raw is None:
        return problems + [f"{MANIFEST} is missing: this is not an evidence bundle"]
    recorded = members.get(MANIFEST_SUM, b"").decode("ascii", "replace").split()
    if not recorded:
        problems.append(f"{MANIFEST_SUM} is missing or empty")
    elif recorded[0] != sha256_bytes(raw):
        problems.append(f"{MANIFEST} does not match the checksum in {MANIFEST_SUM}")
    try:
        manifest = json.loads(raw)
        listed = {f["path"]: f for f in manifest["files"]}
    except (ValueError, KeyError, TypeError) as exc:
        return problems + [f"{MANIFEST} is not a valid manifest ({exc})"]
    for name, entry in sorted(listed.items()):
        data = members.get(name)
        if data is None:
            problems.append(f"{name}: listed in the manifest but missing from the bundle")
        elif sha256_bytes(data) != entry.get("sha256") or len(data) != entry.get("bytes"):
            problems.append(f"{name}: SHA-256 differs from the manifest (file changed)")
    for name in sorted(set(members) - set(listed) - {MANIFEST, MANIFEST_SUM}):
        problems.append(f"{name}: in the bundle but not listed in the manifest")
    if check_inputs:
        problems += _check_inputs(manifest.get("scenes") or [])
    return problems


def _input_sha256(href: Path) -> str | None:
    """The checksum the catalogue stored for an input: a file's bytes, or for a SAFE product
    the manifest and measurement files (see ``catalog.read_safe_scene``)."""
    if is_safe_path(href):
        try:
            return read_safe_scene(href).sha256
        except ImageryError:
            return None
    return sha256_file(href)


def _check_inputs(scenes: list[dict[str, Any]]) -> list[str]:
    problems = []
    for scene in scenes:
        href = Path(str(scene.get("href")))
        if not (href.is_file() or is_safe_path(href)):
            problems.append(f"input scene {scene.get('scene_id')}: {href} not found")
        elif _input_sha256(href) != scene.get("sha256"):
            problems.append(f"input scene {scene.get('scene_id')}: {href} has changed (SHA-256)")
    return problems
