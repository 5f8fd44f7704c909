"""The project file ``forcewatch.yaml``: pydantic models, loading with line-accurate errors, paths.

A project is a folder holding ``forcewatch.yaml``, the store (``forcewatch.db`` by default) and
outputs under ``out/``. Every setting has a default, so an empty file is a valid project.
Unknown keys and bad values are errors that name the key and its line in the file.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from forcewatch import yamlfile
from forcewatch.errors import ConfigError

PROJECT_FILE = "forcewatch.yaml"
DEFAULT_BANDS_KM = (0.0, 20.0, 50.0, 100.0, 250.0)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoreSettings(_Strict):
    """Where the store lives. ``url`` None means SQLite ``forcewatch.db`` in the project."""

    url: str | None = None


class EngineSettings(_Strict):
    """Dask engine: a scheduler address joins a cluster; otherwise a local threaded cluster."""

    scheduler: str | None = None
    workers: int | None = Field(default=None, ge=1)


class SitesSettings(_Strict):
    """Watchlist and reference line files (relative to the project folder) and distance bands."""

    watchlist: str | None = None
    reference: str | None = None
    reference_side: Literal["outside", "inside", "any"] = "outside"
    bands_km: list[float] = Field(default_factory=lambda: list(DEFAULT_BANDS_KM))
    default_radius_km: float = Field(default=1.0, gt=0, le=50)
    ring_km: float = Field(default=0.5, ge=0, le=20)
    margin_km: float = Field(
        default=1.0, gt=0, le=50, description="grid margin around each site (ring + background)"
    )

    @field_validator("bands_km")
    @classmethod
    def _bands_increasing(cls, value: list[float]) -> list[float]:
        if (
            len(value) < 1
            or value[0] != 0
            or any(b <= a for a, b in zip(value, value[1:], strict=False))
        ):
            raise ValueError("must start at 0 and increase strictly, e.g. [0, 20, 50, 100, 250]")
        return value


class ImagerySettings(_Strict):
    """Local imagery: folders to ingest, how to read dates from file names, SAR units."""

    paths: list[str] = Field(default_factory=list)
    filename_pattern: str | None = Field(
        default=None,
        description="regex with named groups: date (YYYYMMDD or YYYY-MM-DD), optional time "
        "(HHMMSS), orbit (relative orbit), sensor (s1|s2|hr)",
    )
    sar_units: Literal["auto", "linear", "db"] = "auto"
    grid_res_m: float = Field(default=10.0, gt=0, le=1000)

    @field_validator("filename_pattern")
    @classmethod
    def _a_regex(cls, value: str | None) -> str | None:
        if value:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a regular expression ({exc})") from None
        return value


class SarSettings(_Strict):
    """Sentinel-1 measurement parameters."""

    enl: float = Field(default=4.4, gt=0)
    alpha: float = Field(default=0.01, gt=0, lt=1)
    cfar_pfa: float = Field(default=1e-3, gt=0, lt=1)
    cfar_guard_px: int = Field(default=2, ge=0)
    cfar_train_px: int = Field(default=6, ge=1)
    cfar_method: Literal["ca", "os"] = "ca"


class AssessSettings(_Strict):
    """Assessment: reference period with a gap, and decision thresholds."""

    reference_days: int = Field(default=42, ge=6)
    gap_days: int = Field(default=12, ge=0)
    min_valid_fraction: float = Field(default=0.5, gt=0, le=1)
    equivalence_margin: float = Field(
        default=0.25, gt=0, description="relative change treated as 'no meaningful change'"
    )
    confidence: float = Field(default=0.95, gt=0.5, lt=1)


class StacSource(_Strict):
    """One STAC API to search."""

    name: str
    url: str
    collections: list[str]
    sensor: Literal["s1", "s2", "hr"] = "s1"
    token_env: str | None = None
    sign: Literal["none", "planetary-computer"] = "none"


class AlertChannel(_Strict):
    """One alert channel (webhook or e-mail)."""

    kind: Literal["webhook", "email"]
    url: str | None = None
    secret_env: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 587
    sender: str | None = None
    to: list[str] = Field(default_factory=list)
    user_env: str | None = None
    password_env: str | None = None


class AlertSettings(_Strict):
    """Alerting: channels and the minimum hours between two alerts for one site."""

    channels: list[AlertChannel] = Field(default_factory=list)
    min_hours_between_site_alerts: float = Field(default=6.0, ge=0)
    dashboard_url: str = "http://127.0.0.1:8000"


class DetectionSettings(_Strict):
    """Object detection in sharp images during ``analyze``."""

    model: str | None = Field(
        default=None,
        description="a detector .onnx (relative to the project folder); null = the shipped one",
    )
    tta: bool = Field(default=False, description="test-time flips: higher AP, 4x the time")


class ProjectConfig(_Strict):
    """The whole of ``forcewatch.yaml``."""

    name: str = "ForceWatch project"
    simulated: bool = Field(default=False, description="imagery is simulated (the demo)")
    store: StoreSettings = Field(default_factory=StoreSettings)
    engine: EngineSettings = Field(default_factory=EngineSettings)
    sites: SitesSettings = Field(default_factory=SitesSettings)
    imagery: ImagerySettings = Field(default_factory=ImagerySettings)
    sar: SarSettings = Field(default_factory=SarSettings)
    assess: AssessSettings = Field(default_factory=AssessSettings)
    detection: DetectionSettings = Field(default_factory=DetectionSettings)
    stac: list[StacSource] = Field(default_factory=list)
    alerts: AlertSettings = Field(default_factory=AlertSettings)


def _line_of(root: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the YAML node at ``loc`` (or of its deepest existing parent)."""
    node = root
    line = None if node is None else node.start_mark.line + 1
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = [v for k, v in node.value if getattr(k, "value", None) == key]
            if not match:
                keys = [k for k, _ in node.value if getattr(k, "value", None) == key]
                return keys[0].start_mark.line + 1 if keys else line
            node = match[0]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if key >= len(node.value):
                return line
            node = node.value[key]
        else:
            return line
        line = node.start_mark.line + 1
    return line


def parse_config(text: str, source: str = PROJECT_FILE) -> ProjectConfig:
    """Validate project-file text. Raises ConfigError naming the key and line of the problem."""
    try:
        root = yaml.compose(text)
        data: Any = yamlfile.load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}: not valid YAML ({problem}); fix the syntax") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}:1: the project file must be a mapping of settings")
    try:
        return ProjectConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        key = ".".join(str(p) for p in loc) or "(top level)"
        line = _line_of(root, loc)
        where = f"{source}:{line}" if line else source
        if err["type"] == "extra_forbidden":
            msg = f"{where}: unknown key '{key}'; check its spelling (see `forcewatch init`)"
        else:
            msg = f"{where}: bad value for '{key}': {err['msg']}"
        more = len(exc.errors()) - 1
        raise ConfigError(msg + (f" (and {more} more problem(s))" if more else "")) from exc


@dataclass(frozen=True)
class Project:
    """A project folder and its validated configuration."""

    root: Path
    config: ProjectConfig

    @property
    def config_path(self) -> Path:
        return self.root / PROJECT_FILE

    @property
    def store_url(self) -> str:
        """SQLAlchemy URL of the store: ``store.url``, ``FORCEWATCH_STORE_URL`` or SQLite."""
        url = os.environ.get("FORCEWATCH_STORE_URL") or self.config.store.url
        return url or f"sqlite:///{(self.root / 'forcewatch.db').resolve()}"

    @property
    def out_dir(self) -> Path:
        return self.root / "out"

    @property
    def cache_dir(self) -> Path:
        return self.root / "cache"

    def protected_files(self) -> set[Path]:
        """Files no output may be written over: the configuration and an SQLite store (with
        its journal files)."""
        files = {self.config_path.resolve()}
        url = self.store_url
        if url.startswith("sqlite:///"):
            db = Path(url.removeprefix("sqlite:///")).expanduser().resolve()
            files |= {db, *(db.with_name(db.name + end) for end in ("-wal", "-shm", "-journal"))}
        return files

    def resolve(self, path: str | Path) -> Path:
        """A path from the config, relative to the project folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.root / p


def project_dir(arg: str | Path | None = None) -> Path:
    """The project folder: the argument, ``FORCEWATCH_PROJECT``, or the current directory."""
    chosen = arg or os.environ.get("FORCEWATCH_PROJECT") or "."
    folder = Path(chosen).expanduser().resolve()
    # "-p p/forcewatch.yaml": the project is the folder that file is in
    return folder.parent if folder.name == PROJECT_FILE and folder.is_file() else folder


def load_project(root: str | Path | None = None) -> Project:
    """Open the project at ``root``. Raises ConfigError when there is none or it is invalid."""
    folder = project_dir(root)
    path = folder / PROJECT_FILE
    if not path.is_file():
        raise ConfigError(
            f"no {PROJECT_FILE} in {folder}; run `forcewatch init {folder}` or pass --project DIR"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    return Project(folder, parse_config(text, str(path)))


TEMPLATE = """\
# ForceWatch project file. Every key is optional; the values below are the defaults, except
# those `forcewatch init` (or `demo`) was given: name, watchlist, reference, ring and margin.
name: {name}
simulated: {simulated}
store:
  url: null            # null = SQLite forcewatch.db here; or postgresql+psycopg://user@host/db
engine:
  scheduler: null      # tcp://HOST:8786 to use a Dask cluster (or DASK_SCHEDULER_ADDRESS)
  workers: null        # local threads; null = all cores
sites:
  watchlist: {watchlist}
  reference: {reference}
  reference_side: outside   # sites are expected outside the reference polygon
  bands_km: [0, 20, 50, 100, 250]
  default_radius_km: 1.0    # for sites given as points
  ring_km: {ring_km}              # ring around each site watched for dispersal
  margin_km: {margin_km}            # analysis grid margin around a site (ring + background)
imagery:
  paths: []
  filename_pattern: null    # e.g. '(?P<date>\\d{{8}})_(?P<orbit>\\d+)'
  sar_units: auto           # auto | linear | db
  grid_res_m: 10
sar:
  enl: 4.4
  alpha: 0.01
  cfar_pfa: 0.001
  cfar_guard_px: 2
  cfar_train_px: 6
  cfar_method: ca
assess:
  reference_days: 42
  gap_days: 12
  min_valid_fraction: 0.5
  equivalence_margin: 0.25
  confidence: 0.95
detection:
  model: null               # a detector .onnx (relative to this folder); null = the shipped one
  tta: false                # test-time flips: higher AP, 4x the detection time
stac: []
alerts:
  channels: []                          # webhooks and e-mail: see docs/monitoring.md
  min_hours_between_site_alerts: 6.0    # a site's alerts of no higher severity within this wait
  dashboard_url: "http://127.0.0.1:8000"  # links in alerts point here
"""


def render_template(
    name: str = "ForceWatch project",
    watchlist: str | None = None,
    reference: str | None = None,
    simulated: bool = False,
    ring_km: float = 0.5,
    margin_km: float = 1.0,
) -> str:
    """Text of a new project file with every default spelled out."""

    def q(value: str | None) -> str:
        return "null" if value is None else json.dumps(value)

    return TEMPLATE.format(
        name=q(name),
        watchlist=q(watchlist),
        reference=q(reference),
        simulated=str(simulated).lower(),
        ring_km=ring_km,
        margin_km=margin_km,
    )
