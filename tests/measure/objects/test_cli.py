"""``forcewatch detect`` through the command line, with the synthetic square detector."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image
from typer.testing import CliRunner

from forcewatch.cli import app
from forcewatch.errors import InputError

from .conftest import squares_image


def test_detect_command_writes_geojson_with_and_without_tta(
    tmp_path: Path, square_model: Path
) -> None:
    img = tmp_path / "squares.png"
    Image.fromarray(squares_image(200, 150, [(12, 12), (52, 8), (120, 100)])).save(img)
    runner = CliRunner()
    counts = []
    for extra in ([], ["--tta"]):
        out = tmp_path / f"det{len(extra)}.geojson"
        args = ["detect", str(img), "--out", str(out), "--model", str(square_model), "--json"]
        result = runner.invoke(app, args + extra)
        assert result.exit_code == 0, result.output
        collection = json.loads(out.read_text())
        assert len(collection["features"]) == 3
        counts.append(collection["images"][0]["counts"])
    assert counts[0] == counts[1] == {"vehicle": 3}


def test_detect_command_reports_a_bad_image_and_exits_non_zero(
    tmp_path: Path, square_model: Path
) -> None:
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not a png")
    out = tmp_path / "d.geojson"
    args = ["detect", str(bad), "--out", str(out), "--model", str(square_model)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code != 0
    assert "broken.png" in result.output


def test_detect_command_gsd_option(tmp_path: Path, square_model: Path) -> None:
    img = tmp_path / "squares.png"
    Image.fromarray(squares_image(200, 150, [(12, 12), (52, 8), (120, 100)])).save(img)
    runner = CliRunner()
    base = ["detect", str(img), "--model", str(square_model), "--json"]
    sources = {}
    for value in ("auto", "model", "0.3", None):
        out = tmp_path / f"{value}.geojson"
        extra = [] if value is None else ["--gsd-m", value]
        result = runner.invoke(app, [*base, "--out", str(out), *extra])
        assert result.exit_code == 0, result.output
        summary = json.loads(out.read_text())["images"][0]
        sources[value] = (summary["gsd_source"], summary["gsd_m"])
    assert sources["auto"][0] == "estimated" and sources["auto"][1] > 0
    assert sources["model"] == sources[None] == ("model", None)  # the default
    assert sources["0.3"] == ("given", 0.3)
    bad = runner.invoke(app, [*base, "--out", str(tmp_path / "x.geojson"), "--gsd-m", "fine"])
    # main() turns the InputError into a one-line message and its exit code
    assert isinstance(bad.exception, InputError) and "--gsd-m 'fine'" in str(bad.exception)


def test_detect_command_writes_the_good_images_and_exits_non_zero_for_a_bad_one(
    tmp_path: Path, square_model: Path
) -> None:
    img = tmp_path / "squares.png"
    Image.fromarray(squares_image(200, 150, [(12, 12), (120, 100)])).save(img)
    bad = tmp_path / "empty.png"
    bad.write_bytes(b"")
    out = tmp_path / "d.geojson"
    args = ["detect", str(img), str(bad), "--out", str(out), "--model", str(square_model)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 3, result.output  # was 0: a cron job never heard of the bad one
    assert "1 of 2 image(s) skipped" in result.output
    assert len(json.loads(out.read_text())["features"]) == 2  # the good one's are written
