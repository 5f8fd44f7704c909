"""The Claim model: ids, default windows, validation, expected change, JSON round trip."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from pydantic import ValidationError

from forcewatch.claims.model import (
    DEFAULT_WINDOW_DAYS,
    Change,
    Claim,
    ClaimKind,
    Direction,
    Force,
    QuantityQualifier,
    claim_id,
    default_window,
    new_claim,
)

DAY = date(2022, 2, 15)


def _claim(**fields: object) -> Claim:
    base: dict[str, object] = {
        "speaker": "Russian Ministry of Defence",
        "stated_on": DAY,
        "kind": ClaimKind.WITHDRAWAL,
        "quote": "Some units are returning to their bases.",
    }
    base.update(fields)
    return new_claim(**base)  # type: ignore[arg-type]


def test_claim_id_is_stable_and_ignores_whitespace() -> None:
    a = claim_id("Kremlin", DAY, "withdrawal", "units  are\nreturning")
    assert a == claim_id("Kremlin", DAY, ClaimKind.WITHDRAWAL, "units are returning")
    assert len(a) == 16


@pytest.mark.parametrize(
    ("field", "value"),
    [("speaker", "Kremlin"), ("stated_on", DAY + timedelta(days=1)), ("kind", "denial"),
     ("quote", "other words")],
)  # fmt: skip
def test_claim_id_changes_with_each_identity_field(field: str, value: object) -> None:
    parts: dict[str, object] = {
        "speaker": "X",
        "stated_on": DAY,
        "kind": "withdrawal",
        "quote": "q",
    }
    before = claim_id(**parts)  # type: ignore[arg-type]
    parts[field] = value
    assert claim_id(**parts) != before  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", list(ClaimKind))
def test_default_window_follows_the_documented_table(kind: ClaimKind) -> None:
    before, after = DEFAULT_WINDOW_DAYS[kind]
    assert default_window(kind, DAY) == (DAY - timedelta(days=before), DAY + timedelta(days=after))


def test_future_claims_look_forward() -> None:
    assert default_window(ClaimKind.DEPLOYMENT, DAY, future=True) == (DAY, DAY + timedelta(14))
    # a withdrawal already looks forward: unchanged
    assert default_window(ClaimKind.WITHDRAWAL, DAY, future=True) == (DAY, DAY + timedelta(8))


def test_missing_id_and_window_are_filled_from_a_dict() -> None:
    claim = Claim.model_validate(
        {"speaker": "Kremlin", "stated_on": "2022-02-15", "kind": "withdrawal", "quote": "q"}
    )
    assert claim.id == claim_id("Kremlin", DAY, "withdrawal", "q")
    assert (claim.window_start, claim.window_end) == (DAY, date(2022, 2, 23))


def test_a_window_end_given_alone_keeps_a_valid_default_start() -> None:
    claim = _claim(kind=ClaimKind.BUILD_UP, window_end=date(2022, 1, 1))
    assert claim.window_start <= claim.window_end == date(2022, 1, 1)


@pytest.mark.parametrize(
    "bad",
    [
        {"window_start": DAY, "window_end": DAY - timedelta(days=1)},
        {"confidence": 1.5},
        {"band_km": (50.0, 20.0)},
        {"quantity_qualifier": QuantityQualifier.ABOUT},
        {"denied_kind": ClaimKind.WITHDRAWAL},
        {"quantity": -3},
        {"speaker": ""},
        {"not_a_field": 1},
    ],
)
def test_inconsistent_claims_are_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _claim(**bad)


def test_claims_are_frozen_and_hashable() -> None:
    claim = _claim(places=("Crimea",))
    with pytest.raises(ValidationError):
        claim.speaker = "someone else"  # type: ignore[misc]
    assert len({claim, claim.model_copy()}) == 1


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"kind": ClaimKind.WITHDRAWAL}, Change.DECREASE),
        ({"kind": ClaimKind.EXERCISE_END}, Change.DECREASE),
        ({"kind": ClaimKind.BUILD_UP}, Change.INCREASE),
        ({"kind": ClaimKind.ARRIVAL}, Change.INCREASE),
        ({"kind": ClaimKind.DEPLOYMENT}, Change.INCREASE),
        ({"kind": ClaimKind.COUNT}, Change.INCREASE),
        ({"kind": ClaimKind.MOVEMENT, "direction": Direction.TOWARD}, Change.INCREASE),
        ({"kind": ClaimKind.MOVEMENT, "direction": Direction.AWAY}, Change.DECREASE),
        ({"kind": ClaimKind.MOVEMENT}, None),
        ({"kind": ClaimKind.DENIAL, "denied_kind": ClaimKind.WITHDRAWAL}, Change.NONE),
        ({"kind": ClaimKind.DENIAL}, None),
        ({"kind": ClaimKind.BUILD_UP, "trend": Change.NONE}, Change.NONE),
    ],
)
def test_expected_change_per_kind(fields: dict[str, object], expected: Change | None) -> None:
    assert _claim(**fields).expected_change() is expected


def test_to_dict_is_json_and_round_trips() -> None:
    claim = _claim(
        quantity=7000,
        unit="troops",
        quantity_qualifier=QuantityQualifier.UP_TO,
        force=Force.RUSSIA,
        places=("Belarus", "border"),
        band_km=(0.0, 50.0),
        published_on=date(2022, 2, 16),
    )
    data = json.loads(json.dumps(claim.to_dict()))
    assert data["stated_on"] == "2022-02-15"
    assert data["kind"] == "withdrawal"
    assert data["places"] == ["Belarus", "border"]
    assert data["expected_change"] == "decrease"
    assert Claim.from_dict(data) == claim
