"""``forcewatch detect`` through the command line, with the synthetic square detector."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image
from typer.testing import CliRunner

from forcewatch.cli import app

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
