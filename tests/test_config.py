"""Project-file validation: defaults, unknown keys and bad values name the key and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from forcewatch.config import load_project, parse_config, render_template
from forcewatch.errors import ConfigError


def test_empty_file_gives_defaults() -> None:
    cfg = parse_config("")
    assert cfg.sar.enl == pytest.approx(4.4)
    assert cfg.sites.bands_km == [0, 20, 50, 100, 250]


def test_template_round_trips() -> None:
    cfg = parse_config(render_template("x", "sites.geojson", "ref.geojson", True, 0.4, 0.8))
    assert cfg.simulated is True
    assert cfg.sites.watchlist == "sites.geojson"
    assert cfg.sites.ring_km == pytest.approx(0.4)


def test_unknown_key_names_key_and_line() -> None:
    text = "name: x\nsar:\n  enl: 4.4\n  alpah: 0.01\n"
    with pytest.raises(ConfigError, match=r"forcewatch.yaml:4: unknown key 'sar.alpah'"):
        parse_config(text)


def test_bad_value_names_key_and_line() -> None:
    text = "name: x\nassess:\n  gap_days: 3\n  confidence: 2\n"
    with pytest.raises(ConfigError, match=r":4: bad value for 'assess.confidence'"):
        parse_config(text)


def test_bands_must_increase() -> None:
    with pytest.raises(ConfigError, match="sites.bands_km"):
        parse_config("sites:\n  bands_km: [0, 50, 20]\n")


def test_malformed_yaml_is_one_line_error() -> None:
    with pytest.raises(ConfigError, match="not valid YAML"):
        parse_config("sites: [a, b\n")


def test_missing_project_says_how_to_create(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="forcewatch init"):
        load_project(tmp_path)


def test_project_env_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "forcewatch.yaml").write_text("name: from-env\n")
    monkeypatch.setenv("FORCEWATCH_PROJECT", str(tmp_path))
    assert load_project().config.name == "from-env"


def test_the_new_project_file_spells_out_every_setting() -> None:
    # README: forcewatch.yaml is "written by init with every default spelled out"; alerts'
    # min_hours_between_site_alerts and dashboard_url were missing
    import yaml
    from pydantic import BaseModel

    from forcewatch.config import ProjectConfig, render_template

    written = yaml.safe_load(render_template())

    def missing(model: type[BaseModel], data: dict, where: str) -> list[str]:
        out = []
        for name, info in model.model_fields.items():
            if name not in data:
                out.append(f"{where}{name}")
            elif isinstance(info.annotation, type) and issubclass(info.annotation, BaseModel):
                out += missing(info.annotation, data[name], f"{where}{name}.")
        return out

    assert missing(ProjectConfig, written, "") == []
    assert ProjectConfig.model_validate(written) == ProjectConfig()
