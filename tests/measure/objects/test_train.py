"""Training smoke test (needs torch): a couple of steps on a tiny image, export, reload."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from forcewatch.errors import InputError
from forcewatch.measure.objects.infer import detect_image, load_model

from .conftest import squares_image

torch = pytest.importorskip("torch")

from forcewatch.measure.objects.data import DataSource  # noqa: E402
from forcewatch.measure.objects.train import TrainConfig, train  # noqa: E402

TINY = TrainConfig(crop_px=64, batch=2, steps_per_epoch=2, threads=1, tile_px=64)


def _dataset(folder: Path) -> Path:
    folder.mkdir()
    (folder / "classes.txt").write_text("car\n")
    for k in range(3):
        # frames 0, 2, 4: not consecutive, so not one sequence for the split
        Image.fromarray(squares_image(96, 96, [(20 + 8 * k, 40)])).save(folder / f"img{2 * k}.png")
        cx = (26 + 8 * k) / 96
        (folder / f"img{2 * k}.txt").write_text(f"0 {cx} {46 / 96} {12 / 96} {12 / 96}\n")
    return folder


def test_training_steps_export_a_loadable_model_with_metadata(tmp_path: Path) -> None:
    data = _dataset(tmp_path / "tiny")
    source = DataSource(data, "yolo", gsd_m=0.25, heldout_fraction=0.3)
    result = train([source], out_dir=tmp_path / "out", epochs=1, config=TINY, name="tiny")
    assert result.steps == 2 and np.isfinite(result.final_loss)
    meta = json.loads(result.metadata_path.read_text())
    assert meta["classes"] == ["small-vehicle", "large-vehicle", "aircraft"]
    held = meta["split"]["sources"]["tiny"]["heldout"]
    assert held and not set(held) & set(meta["split"]["sources"]["tiny"]["train"])
    det = load_model(result.onnx_path)
    heat, box = det.run(np.zeros((2, 3, 64, 96), np.float32))
    assert heat.shape == (2, 3, 16, 24) and box.shape == (2, 4, 16, 24)
    res = detect_image(data / "img0.png", det, score_min=0.01)
    assert res.boxes_px.shape[1] == 4
    tuned = train([data], "yolo", tmp_path / "tuned", 1, init_from=result.weights_path, config=TINY)
    assert tuned.metadata["training"]["init_from"] == str(result.weights_path)


def test_training_with_mismatched_formats_raises(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="label formats"):
        train([tmp_path, tmp_path], ["yolo"], tmp_path / "out", 1, config=TINY)


def test_bad_outputs_weights_and_gsd_are_refused_before_any_training_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forcewatch.errors import ModelError
    from forcewatch.measure.objects import train as train_module

    def no_training(*_a: object, **_k: object) -> None:
        raise AssertionError("training started")

    data = _dataset(tmp_path / "tiny")
    taken = tmp_path / "model.onnx"
    taken.write_text("not onnx")
    monkeypatch.setattr(train_module, "load_sources", no_training)
    # was: 200 steps of training, then "FileExistsError ... please report it"
    with pytest.raises(InputError, match="is a file"):
        train([data], "yolo", taken, 1, config=TINY)
    with pytest.raises(InputError, match="metres per pixel > 0"):
        train([DataSource(data, "yolo", gsd_m=0.0)], out_dir=tmp_path / "o", epochs=1, config=TINY)
    monkeypatch.undo()
    garbage = tmp_path / "r.pt"
    garbage.write_bytes(np.random.default_rng(0).bytes(2000))
    with pytest.raises(ModelError, match="not a PyTorch checkpoint"):  # was UnpicklingError
        train([data], "yolo", tmp_path / "o2", 1, init_from=garbage, config=TINY)
