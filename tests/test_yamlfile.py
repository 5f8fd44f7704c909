"""A key written twice in any YAML the project reads is an error naming both lines: PyYAML
alone keeps the last one silently, so half of what the user wrote would be lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from forcewatch import yamlfile
from forcewatch.claims.article import read_index
from forcewatch.claims.ledger import parse_ledger
from forcewatch.config import parse_config
from forcewatch.errors import ConfigError, InputError
from forcewatch.sites import load_watchlist


def test_project_file_with_a_section_twice_names_both_lines() -> None:
    text = "imagery:\n  grid_res_m: 10\nsites:\n  margin_km: 2\nimagery:\n  grid_res_m: 20\n"
    with pytest.raises(ConfigError) as err:
        parse_config(text)
    assert "forcewatch.yaml:5" in err.value.message
    assert "'imagery' is given twice (first on line 1)" in err.value.message


def test_a_setting_twice_inside_a_section_is_refused() -> None:
    with pytest.raises(ConfigError, match="'grid_res_m' is given twice"):
        parse_config("imagery:\n  grid_res_m: 10\n  grid_res_m: 20\n")


def test_ledger_claim_with_two_kinds_is_refused() -> None:
    text = (
        "version: 1\nclaims:\n"
        "  - speaker: Russian Ministry of Defence\n"
        "    kind: withdrawal\n"
        "    stated_on: 2022-02-15\n"
        "    kind: build-up\n"
    )
    with pytest.raises(InputError) as err:
        parse_ledger(text, "claims.yaml")
    assert err.value.message.startswith("claims.yaml:6:")
    assert "'kind' is given twice (first on line 4)" in err.value.message


def test_watchlist_site_with_two_radii_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sites.yaml"
    path.write_text(
        "sites:\n  - name: Yelnya\n    lat: 54.57\n    lon: 33.18\n    radius_km: 2\n"
        "    radius_km: 5\n"
    )
    with pytest.raises(InputError, match=r"sites.yaml:6: .*'radius_km' is given twice"):
        load_watchlist(path)


def test_article_index_entry_with_two_dates_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "index.yaml"
    path.write_text("- file: a.txt\n  published: 2022-02-15\n  published: 2022-02-16\n")
    with pytest.raises(InputError, match="'published' is given twice"):
        read_index(path)


def test_equal_keys_in_different_mappings_and_merge_keys_are_fine() -> None:
    data = yamlfile.load("a: {x: 1}\nb: {x: 2}\nbase: &d {y: 1}\nc:\n  <<: *d\n  y: 2\n")
    assert data == {"a": {"x": 1}, "b": {"x": 2}, "base": {"y": 1}, "c": {"y": 2}}
