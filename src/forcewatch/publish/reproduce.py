"""What a reader needs to re-run a bundle's analysis: the sites, the reference line, a project
file that points at them, and the exact code (the git commit it was loaded from).

The bundle's ``config/`` folder is a project folder: ``forcewatch.yaml`` (the project's validated
configuration), ``sites.geojson`` (the watched sites as stored) and ``reference.geojson`` (the
stored reference line). The site and reference files are written from the store, not copied from
the files the project once named: the store holds what the analysis used, also after
``sites add`` or after the original files changed or moved.
"""

from __future__ import annotations

import json
import logging
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from shapely.geometry import mapping
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

import forcewatch
from forcewatch.config import ProjectConfig
from forcewatch.sites import ReferenceLine
from forcewatch.store import repo

log = logging.getLogger(__name__)

CONFIG_DIR = "config"
WATCHLIST_FILE = "sites.geojson"
REFERENCE_FILE = "reference.geojson"
SCENES_DIR = "scenes"
NOT_FROM_GIT = "not from a git checkout"
HIDDEN = "(hidden)"
GIT_TIMEOUT_S = 10

HEADER = f"""\
# Written by `forcewatch bundle`: the project's validated configuration, with
#   sites.watchlist / sites.reference -> the copies in this folder (written from the store),
#   imagery.paths -> {SCENES_DIR}/ here (put the input scenes listed in manifest.json there),
#   store.url, engine.scheduler -> null (a reproduction keeps its own store in this folder),
#   alerts.channels -> [] (a reproduction sends no alerts).
# Every analysis parameter is as the project had it (manifest.json: parameters.config).
"""


def _hide_password(url: str | None) -> str | None:
    if not url:
        return url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:  # not a URL SQLAlchemy can parse: show nothing of it
        return HIDDEN


def public_config(config: ProjectConfig) -> dict[str, Any]:
    """The configuration as JSON-able data, without secrets: the store URL's password and the
    alert channels' URLs (a webhook URL is often its own secret) are hidden."""
    data = config.model_dump(mode="json")
    data["store"]["url"] = _hide_password(data["store"]["url"])
    for channel in data["alerts"]["channels"]:
        if channel.get("url"):
            channel["url"] = HIDDEN
    return data


def reproduction_config(config: ProjectConfig, has_watchlist: bool, has_reference: bool) -> str:
    """Text of the bundle's ``config/forcewatch.yaml`` (see ``HEADER`` for what changes)."""
    data = config.model_dump(mode="json")
    data["store"]["url"] = None
    data["engine"]["scheduler"] = None
    data["sites"]["watchlist"] = WATCHLIST_FILE if has_watchlist else None
    data["sites"]["reference"] = REFERENCE_FILE if has_reference else None
    data["imagery"]["paths"] = [SCENES_DIR]
    data["alerts"]["channels"] = []
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    return HEADER + body


def watchlist_geojson(sites: Sequence[repo.StoredSite]) -> dict[str, Any]:
    """A FeatureCollection of the sites as ``sites import`` reads them back: the stored polygon,
    name, kind, country and the watchlist's other attributes. The computed distance and band
    are not written (importing computes them again), unless the watchlist itself had such an
    attribute: then it stays, as it was in the original file."""
    features = []
    for stored in sites:
        s = stored.site
        props: dict[str, Any] = {"name": s.name}
        if s.kind is not None:
            props["kind"] = s.kind
        if s.country is not None:
            props["country"] = s.country
        props.update((k, v) for k, v in s.properties.items() if k not in props)
        features.append({"type": "Feature", "properties": props, "geometry": mapping(s.geometry)})
    return {"type": "FeatureCollection", "features": features}


def reference_geojson(reference: ReferenceLine) -> dict[str, Any]:
    """A FeatureCollection of the reference line or area, named as stored."""
    feature = {
        "type": "Feature",
        "properties": {"name": reference.name},
        "geometry": mapping(reference.geometry),
    }
    return {"type": "FeatureCollection", "features": [feature]}


def _geojson_bytes(value: dict[str, Any]) -> bytes:
    return (json.dumps(value, ensure_ascii=False, default=str) + "\n").encode("utf-8")


def config_files(
    config: ProjectConfig | None,
    sites: Sequence[repo.StoredSite],
    reference: ReferenceLine | None,
) -> dict[str, bytes]:
    """The bundle's ``config/`` members by path. Without a project (a bare store) there is no
    ``forcewatch.yaml``: its parameters are unknown and defaults would misstate them."""
    files: dict[str, bytes] = {}
    if sites:
        files[f"{CONFIG_DIR}/{WATCHLIST_FILE}"] = _geojson_bytes(watchlist_geojson(sites))
    if reference is not None:
        files[f"{CONFIG_DIR}/{REFERENCE_FILE}"] = _geojson_bytes(reference_geojson(reference))
    if config is not None:
        text = reproduction_config(config, bool(sites), reference is not None)
        files[f"{CONFIG_DIR}/forcewatch.yaml"] = text.encode("utf-8")
    return files


def _git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(folder), *args],
        capture_output=True,
        text=True,
        timeout=GIT_TIMEOUT_S,
        check=True,
    )
    return done.stdout.strip()


def code_commit(package_dir: Path | None = None) -> tuple[str, bool | None]:
    """The git commit the ForceWatch code in ``package_dir`` (default: the running package)
    comes from, and whether its tracked files differ from that commit.

    ``(NOT_FROM_GIT, None)`` when the package is not tracked in a git checkout (an installed
    wheel, even inside another repository's folder), git is not installed or refuses the
    folder. Never raises.
    """
    folder = package_dir or Path(forcewatch.__file__).resolve().parent
    try:
        _git(folder, "ls-files", "--error-unmatch", "__init__.py")
        commit = _git(folder, "rev-parse", "HEAD")
        changed = _git(folder, "status", "--porcelain", "--untracked-files=no", "--", ".")
    except (OSError, subprocess.SubprocessError) as exc:
        log.debug("no git commit for %s: %s", folder, exc)
        return NOT_FROM_GIT, None
    return commit, bool(changed)
