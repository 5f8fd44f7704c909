"""Evaluation metric math on constructed predictions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from forcewatch.errors import InputError
from forcewatch.measure.objects.evaluate import (
    Prediction,
    average_precision,
    compute_metrics,
    match_image,
)
from forcewatch.measure.objects.labels import ImageLabels

CLASSES = ("small-vehicle", "large-vehicle")


def _truth(boxes: list[list[float]], classes: list[str], difficult=None) -> ImageLabels:
    diff = np.zeros(len(boxes), bool) if difficult is None else np.array(difficult, bool)
    return ImageLabels(Path("x.png"), 500, 500, np.array(boxes, float).reshape(-1, 4),
                       tuple(classes), diff)  # fmt: skip


def _pred(boxes: list[list[float]], scores: list[float], classes: list[str]) -> Prediction:
    return Prediction(np.array(boxes, float).reshape(-1, 4), np.array(scores), tuple(classes))


BOXES = [[0, 0, 10, 10], [20, 20, 30, 30], [40, 40, 60, 50], [100, 100, 130, 110]]
NAMES = ["small-vehicle", "small-vehicle", "large-vehicle", "large-vehicle"]


def test_perfect_predictions_score_one() -> None:
    m = compute_metrics([_pred(BOXES, [0.9] * 4, NAMES)], [_truth(BOXES, NAMES)], CLASSES)
    for name in (*CLASSES, "all"):
        c = m.per_class[name]
        assert (c.ap, c.precision, c.recall, c.count_error) == (1.0, 1.0, 1.0, 0)


def test_no_predictions_score_zero_recall_and_negative_count_error() -> None:
    m = compute_metrics([_pred([], [], [])], [_truth(BOXES, NAMES)], CLASSES)
    c = m.per_class["small-vehicle"]
    assert c.ap == 0.0 and c.recall == 0.0 and c.precision is None and c.count_error == -2
    assert c.count_error_rel == -1.0


def test_wrong_class_is_a_miss_per_class_but_a_hit_class_agnostic() -> None:
    pred = _pred(BOXES[:1], [0.9], ["large-vehicle"])
    m = compute_metrics([pred], [_truth(BOXES[:1], NAMES[:1])], CLASSES)
    assert m.per_class["small-vehicle"].recall == 0.0
    assert m.per_class["large-vehicle"].fp == 1
    assert m.per_class["all"].recall == 1.0


def test_ap_with_a_confident_false_positive_is_the_hand_computed_value() -> None:
    # ranked: FP (0.95), TP, TP; two true objects
    # precision at the TPs: 1/2, 2/3 -> envelope 2/3 for both recall steps -> AP = 2/3
    boxes = [[200, 200, 210, 210], BOXES[0], BOXES[1]]
    pred = _pred(boxes, [0.95, 0.9, 0.8], ["small-vehicle"] * 3)
    m = compute_metrics([pred], [_truth(BOXES[:2], NAMES[:2])], CLASSES)
    assert m.per_class["small-vehicle"].ap == pytest.approx(2 / 3)
    assert m.per_class["small-vehicle"].precision == pytest.approx(2 / 3)


def test_iou_threshold_decides_a_shifted_box() -> None:
    shifted = [[4, 0, 14, 10]]  # IoU with [0, 0, 10, 10] = 60 / 140 = 0.43
    truth = [_truth(BOXES[:1], NAMES[:1])]
    at_05 = compute_metrics([_pred(shifted, [0.9], NAMES[:1])], truth, CLASSES, iou=0.5)
    at_03 = compute_metrics([_pred(shifted, [0.9], NAMES[:1])], truth, CLASSES, iou=0.3)
    assert at_05.per_class["small-vehicle"].tp == 0
    assert at_03.per_class["small-vehicle"].tp == 1


def test_duplicate_detection_is_one_tp_and_one_fp() -> None:
    outcome = match_image(np.array([BOXES[0], BOXES[0]], float), np.array([0.8, 0.9]),
                          np.array([BOXES[0]], float), 0.5)  # fmt: skip
    assert sorted(outcome.tolist()) == [0, 1] and outcome[1] == 1  # the stronger one wins


def test_difficult_objects_count_neither_way() -> None:
    truth = _truth(BOXES[:2], NAMES[:2], difficult=[False, True])
    m = compute_metrics([_pred(BOXES[:2], [0.9, 0.9], NAMES[:2])], [truth], CLASSES)
    c = m.per_class["small-vehicle"]
    assert (c.n_true, c.tp, c.fp, c.ap) == (1, 1, 0, 1.0)


def test_score_threshold_applies_to_precision_recall_but_not_ap() -> None:
    pred = _pred(BOXES[:2], [0.9, 0.1], NAMES[:2])
    m = compute_metrics([pred], [_truth(BOXES[:2], NAMES[:2])], CLASSES, score_min=0.5)
    c = m.per_class["small-vehicle"]
    assert c.recall == 0.5 and c.ap == 1.0 and c.count_error == -1


def test_average_precision_is_none_without_objects() -> None:
    assert average_precision(np.array([0.5]), np.array([0], np.int8), 0) is None


def test_incomplete_labels_report_recall_only() -> None:
    m = compute_metrics([_pred(BOXES, [0.9] * 4, NAMES)], [_truth(BOXES[:1], NAMES[:1])],
                        CLASSES, labels_complete=False)  # fmt: skip
    c = m.per_class["small-vehicle"]
    assert c.recall == 1.0 and c.precision is None and c.ap is None
    assert "incomplete" in m.table()


def test_metrics_are_json_able_and_print_as_a_table() -> None:
    import json

    m = compute_metrics([_pred(BOXES, [0.9] * 4, NAMES)], [_truth(BOXES, NAMES)], CLASSES)
    assert json.loads(json.dumps(m.to_dict()))["per_class"]["all"]["ap"] == 1.0
    assert "small-vehicle" in m.table() and "count err" in m.table()


def test_table_columns_stay_apart_with_large_counts() -> None:
    # 10,000 false boxes: the count error must not run into the AP column ("0.019+15870").
    many = [[float(i % 100) * 5, float(i // 100) * 5, float(i % 100) * 5 + 4,
             float(i // 100) * 5 + 4] for i in range(10000)]  # fmt: skip
    m = compute_metrics([_pred(many, [0.9] * len(many), ["large-vehicle"] * len(many))],
                        [_truth(BOXES, NAMES)], CLASSES)  # fmt: skip
    header, *rows = m.table().splitlines()[1:]
    for row in rows:
        assert len(row.split()) >= 10, row
        assert row[: header.index("count err") + len("count err")].endswith(row.split()[9])


def test_unknown_split_is_refused_before_any_work(tmp_path: Path) -> None:
    from forcewatch.measure.objects import evaluate

    with pytest.raises(InputError, match="use all, heldout or train"):
        evaluate(None, tmp_path, "yolo", 0.5, split="held-out")


def test_a_split_for_a_renamed_folder_names_the_folders_the_model_knows(tmp_path: Path) -> None:
    from forcewatch.measure.objects import evaluate

    (tmp_path / "classes.txt").write_text("car\n")
    with pytest.raises(InputError, match="aerial-cars") as err:
        evaluate(None, tmp_path, "yolo", 0.5, split="heldout")
    assert "--split all" in err.value.message  # was "records no split for <folder>", no fix


def test_mismatched_lengths_raise() -> None:
    with pytest.raises(InputError):
        compute_metrics([], [_truth(BOXES, NAMES)], CLASSES)


def test_evaluate_says_when_images_had_no_gsd(tmp_path: Path) -> None:
    import json

    from PIL import Image
    from typer.testing import CliRunner

    from forcewatch.cli import app

    Image.fromarray(np.full((200, 300, 3), 128, np.uint8)).save(tmp_path / "grey.png")
    (tmp_path / "grey.txt").write_text("0 0.5 0.5 0.1 0.05\n")
    (tmp_path / "classes.txt").write_text("car\n")
    runner = CliRunner()
    bare = runner.invoke(app, ["evaluate", str(tmp_path), "--json"])
    assert bare.exit_code == 0, bare.output
    assert json.loads(bare.stdout)["images_without_gsd"] == 1
    assert "1 of 1 image(s) state no GSD" in bare.stderr
    given = runner.invoke(app, ["evaluate", str(tmp_path), "--json", "--gsd-m", "0.2"])
    assert json.loads(given.stdout)["images_without_gsd"] == 0
    assert "state no GSD" not in given.stderr


def test_labels_without_their_images_are_refused(tmp_path: Path, square_model: Path) -> None:
    from forcewatch.measure.objects.evaluate import evaluate

    (tmp_path / "classes.txt").write_text("car\n")
    (tmp_path / "MOS155.txt").write_text("0 0.5 0.5 0.1 0.1\n")  # its image was not copied
    # was a table of zeros over "0 images", exit 0
    with pytest.raises(InputError, match="no labelled image"):
        evaluate(square_model, tmp_path)
