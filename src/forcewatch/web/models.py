"""Request and response models of the JSON API (they are its OpenAPI schema)."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from forcewatch.claims.model import ClaimKind, Force

MAX_LIMIT = 500
NAME_PATTERN = r"^[^\x00-\x1f/\\]{1,200}$"
SCENE_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,40}$"
# the force `forcewatch claims add` assumes when none is given: the one this project watches
DEFAULT_FORCE = "russia"


def claim_kinds() -> list[str]:
    """The claim kinds the ledger model accepts."""
    return [str(k.value) for k in ClaimKind]


def claim_forces() -> list[str]:
    """The forces the ledger model accepts."""
    return [str(f.value) for f in Force]


def _listed(what: str, values: list[str]) -> str:
    return f"{what}: one of {', '.join(values)}"


def _one_of(what: str, value: str, allowed: list[str]) -> str:
    """``value`` when ``allowed`` holds it; else a ValueError naming them."""
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; use one of: {', '.join(allowed)}")
    return value


class ErrorOut(BaseModel):
    """Every error: a message for a person, and for 422 the fields that are wrong."""

    error: str
    problems: list[dict[str, str]] | None = None


class Page(BaseModel):
    """A page of a longer list: ``total`` items exist; these start at ``offset``."""

    total: int
    limit: int
    offset: int
    items: list[dict[str, Any]]


class SiteOut(BaseModel):
    name: str
    kind: str | None
    country: str | None
    distance_km: float | None
    band: str | None
    latest_state: str
    centroid: tuple[float, float] = Field(description="(lon, lat), EPSG:4326")


class SiteDetail(BaseModel):
    """A site with its geometry (GeoJSON Feature) and pages of its series, states, detections."""

    site: SiteOut
    feature: dict[str, Any]
    series: Page
    states: Page
    detections: Page


class ClaimIn(BaseModel):
    """A claim to add to the ledger, in the fields of ``forcewatch.claims.model.Claim``.

    ``id`` and the test window are derived by the ledger model when not given; ``trend`` is the
    change the claim states explicitly (otherwise implied by ``kind``); ``force`` defaults to
    ``russia``, as in ``forcewatch claims add``. ``kind`` and ``force`` are checked here, so a
    wrong one is reported alone, naming the values allowed.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,39}$")
    speaker: str = Field(min_length=1, max_length=300)
    stated_on: date
    kind: str = Field(
        min_length=1, max_length=32, description=_listed("what the claim asserts", claim_kinds())
    )
    quote: str = Field(
        min_length=1, max_length=4000, description="the claim in the speaker's words"
    )
    sites: list[str] = Field(default_factory=list, max_length=50)
    places: list[str] = Field(default_factory=list, max_length=50)
    force: str = Field(
        default=DEFAULT_FORCE,
        max_length=32,
        description=_listed(f"whose forces (default {DEFAULT_FORCE})", claim_forces()),
    )
    outlet: str | None = Field(default=None, max_length=200)
    source: str | None = Field(default=None, max_length=2000)
    trend: Literal["increase", "decrease", "none"] | None = None
    direction: Literal["toward", "away"] | None = None
    window_start: date | None = None
    window_end: date | None = None

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        return _one_of("kind", value, claim_kinds())

    @field_validator("force", mode="before")
    @classmethod
    def _default_force(cls, value: object) -> object:
        return DEFAULT_FORCE if value is None else value  # null means "not given"

    @field_validator("force")
    @classmethod
    def _known_force(cls, value: str) -> str:
        return _one_of("force", value, claim_forces())

    @field_validator("stated_on")
    @classmethod
    def _plausible_date(cls, value: date) -> date:
        if value < date(1990, 1, 1) or value > (datetime.now(UTC) + timedelta(days=1)).date():
            raise ValueError("must be a past date after 1990-01-01")
        return value

    @field_validator("sites", "places")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        cleaned = [v.strip() for v in value if v.strip()]
        if any(len(v) > 200 for v in cleaned):
            raise ValueError("names are at most 200 characters")
        return list(dict.fromkeys(cleaned))

    @model_validator(mode="after")
    def _window_order(self) -> ClaimIn:
        if self.window_start and self.window_end and self.window_end < self.window_start:
            raise ValueError("window_end is before window_start")
        return self

    def to_record(self) -> dict[str, Any]:
        """The claim as the ledger stores it (``Claim.to_dict()`` when the model is installed).

        Raises ``pydantic.ValidationError`` when the ledger model refuses the values.
        """
        data = self.model_dump(mode="json", exclude_none=True)
        for key in ("sites", "places"):
            if not data.get(key):
                data.pop(key, None)
        try:
            from forcewatch.claims.model import Claim
        except ImportError:  # the ledger model is optional here: store the validated fields
            return self._plain_record(data)
        return dict(Claim.model_validate(data).to_dict())

    def _plain_record(self, data: dict[str, Any]) -> dict[str, Any]:
        if not data.get("id"):
            key = f"{self.speaker}|{self.stated_on}|{self.kind}|{self.quote}"
            data["id"] = hashlib.sha256(key.encode()).hexdigest()[:16]
        return data
