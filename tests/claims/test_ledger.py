"""The claim ledger: YAML round trip, errors with file and line, CLI flags, scenario ledger."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from forcewatch.claims.ledger import (
    claim_from_flags,
    dump_ledger,
    load_ledger,
    load_scenario_claims,
    parse_ledger,
    save_ledger,
)
from forcewatch.claims.model import ClaimKind, Direction, Force, QuantityQualifier, new_claim
from forcewatch.errors import InputError

SCENARIO_SITES = {
    "Yelnya", "Klintsy", "Lesnovka", "Unecha", "Klimovo Air Base", "Kursk", "Pogonovo",
    "Valuyki", "Soloti", "Opuk", "Dzhankoi", "Novoozerne",
}  # fmt: skip

LEDGER = """\
version: 1
claims:
  - speaker: Russian Ministry of Defence
    stated_on: 2022-02-15
    kind: withdrawal
    quote: Units are returning to their bases.
  - id: my-own-id
    speaker: Antony Blinken, US Secretary of State
    stated_on: 2022-02-16
    kind: denial
    denied_kind: withdrawal
    window_start: 2022-02-15
    window_end: 2022-02-23
"""


def test_parse_fills_ids_and_windows_and_keeps_given_ones() -> None:
    first, second = parse_ledger(LEDGER)
    assert first.window_start == date(2022, 2, 15) and first.window_end == date(2022, 2, 23)
    assert len(first.id) == 16
    assert second.id == "my-own-id"
    assert second.denied_kind is ClaimKind.WITHDRAWAL


def test_dump_then_parse_round_trips(tmp_path: Path) -> None:
    claims = parse_ledger(LEDGER) + [
        new_claim(
            speaker="US officials (anonymous)",
            stated_on=date(2022, 2, 16),
            kind=ClaimKind.ARRIVAL,
            quantity=7000,
            unit="troops",
            quantity_qualifier=QuantityQualifier.UP_TO,
            force=Force.RUSSIA,
            places=("border",),
            band_km=(0.0, 50.0),
        )
    ]
    assert parse_ledger(dump_ledger(claims)) == claims
    path = save_ledger(claims, tmp_path / "sub" / "ledger.yaml")
    assert load_ledger(path) == claims


def test_a_bare_list_is_a_ledger() -> None:
    data = yaml.safe_load(LEDGER)["claims"]
    assert len(parse_ledger(yaml.safe_dump(data))) == 2


def test_empty_text_is_an_empty_ledger() -> None:
    assert parse_ledger("") == []


def test_malformed_yaml_names_file_and_line() -> None:
    with pytest.raises(InputError, match=r"^ledger\.yaml:4: not valid YAML"):
        parse_ledger("claims:\n  - speaker: x\n    kind: [withdrawal\n  - oops: 1\n", "ledger.yaml")


def test_a_bad_date_names_the_line_and_field() -> None:
    text = LEDGER.replace("stated_on: 2022-02-16", "stated_on: 2022-02-30")
    with pytest.raises(
        InputError, match=r"^f\.yaml:9: claim 2: bad value '2022-02-30' for 'stated_on'"
    ):
        parse_ledger(text, "f.yaml")


def test_a_bad_kind_names_the_line_and_field() -> None:
    text = LEDGER.replace("kind: withdrawal", "kind: retreat")
    with pytest.raises(InputError, match=r"^f\.yaml:5: claim 1: bad value 'retreat' for 'kind'"):
        parse_ledger(text, "f.yaml")


def test_an_unknown_field_is_an_error() -> None:
    text = LEDGER.replace("    quote: Units", "    qoute: Units")
    with pytest.raises(InputError, match=r"f\.yaml:\d+: claim 1: .*'qoute'"):
        parse_ledger(text, "f.yaml")


def test_duplicate_ids_are_an_error() -> None:
    text = LEDGER.replace("  - speaker: Russian", "  - id: my-own-id\n    speaker: Russian")
    with pytest.raises(InputError, match="already used at line 3"):
        parse_ledger(text, "f.yaml")


def test_wrong_layout_is_an_error() -> None:
    with pytest.raises(InputError, match="unknown top-level"):
        parse_ledger("claimz: []\n")
    with pytest.raises(InputError, match="list of claims"):
        parse_ledger("claims: {a: 1}\n")
    with pytest.raises(InputError, match="not a mapping"):
        parse_ledger("claims: [1]\n")


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read ledger"):
        load_ledger(tmp_path / "none.yaml")


def test_claim_from_flags_parses_strings() -> None:
    claim = claim_from_flags(
        speaker=" Rochan Consulting ",
        stated_on="2022-02-16",
        kind="Movement",
        direction="toward",
        places="border, Belgorod",
        band_km="20-50",
        quantity=3.0,
        unit="trains",
    )
    assert claim.speaker == "Rochan Consulting"
    assert claim.kind is ClaimKind.MOVEMENT and claim.direction is Direction.TOWARD
    assert claim.places == ("border", "Belgorod")
    assert claim.band_km == (20.0, 50.0)
    assert claim.quantity_qualifier is QuantityQualifier.EXACT
    assert claim.window_end == date(2022, 2, 16)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"stated_on": "16/02/2022"}, "--stated-on"),
        ({"kind": "retreat"}, "--kind: 'retreat' is not one of"),
        ({"force": "martians"}, "--force"),
        ({"band_km": "far"}, "--band-km"),
        ({"window_start": "2022-03-01", "window_end": "2022-02-01"}, "window"),
    ],
)
def test_claim_from_flags_names_the_bad_flag(flags: dict[str, Any], message: str) -> None:
    args: dict[str, Any] = {"speaker": "X", "stated_on": "2022-02-16", "kind": "withdrawal"} | flags
    with pytest.raises(InputError, match=message):
        claim_from_flags(**args)


def test_scenario_ledger_loads_with_the_required_claims() -> None:
    claims = {c.id: c for c in load_scenario_claims()}
    assert len(claims) >= 4
    for c in claims.values():
        assert set(c.sites) <= SCENARIO_SITES, c.id
        assert date(2021, 9, 1) <= c.stated_on <= date(2022, 2, 24), c.id

    mod = claims["ru-mod-2022-02-15-partial-withdrawal"]
    assert (mod.kind, mod.force, mod.stated_on) == (
        ClaimKind.WITHDRAWAL,
        Force.RUSSIA,
        date(2022, 2, 15),
    )
    assert (mod.window_start, mod.window_end) == (date(2022, 2, 15), date(2022, 2, 23))
    assert set(mod.sites) == {
        "Klintsy",
        "Lesnovka",
        "Klimovo Air Base",
        "Valuyki",
        "Soloti",
        "Unecha",
    }
    assert mod.expected_change() == "decrease"

    yelnya = claims["maxar-2021-11-01-yelnya-build-up"]
    assert yelnya.sites == ("Yelnya",) and yelnya.expected_change() == "increase"
    assert (yelnya.window_start, yelnya.window_end) == (date(2021, 10, 1), date(2021, 12, 10))

    move = claims["osint-2022-01-20-move-toward-border"]
    assert move.direction is Direction.TOWARD and move.band_km == (20.0, 50.0)

    opuk = claims["ru-mod-2021-09-01-opuk-landing-drill"]
    assert opuk.sites == ("Opuk",)
    assert date(2021, 9, 1) <= opuk.window_start <= opuk.window_end <= date(2021, 9, 10)
