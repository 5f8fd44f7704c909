"""Label readers on tiny hand-written fixtures: YOLO, DOTA, COCO -> one box format."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from forcewatch.errors import InputError
from forcewatch.measure.objects.labels import (
    map_classes,
    read_coco,
    read_dataset,
    read_dota,
    read_yolo,
)


def _image(path: Path, width: int = 200, height: int = 100) -> Path:
    Image.new("RGB", (width, height)).save(path)
    return path


def test_yolo_normalised_centres_become_pixel_corners(tmp_path: Path) -> None:
    img = _image(tmp_path / "a.png")
    (tmp_path / "a.txt").write_text("0 0.5 0.5 0.1 0.2\n1 0.25 0.75 0.05 0.1\n\n")
    lab = read_yolo(tmp_path / "a.txt", img, ["car", "truck"])
    assert lab.width_px == 200 and lab.height_px == 100
    np.testing.assert_allclose(lab.boxes_px, [[90, 40, 110, 60], [45, 70, 55, 80]])
    assert lab.classes == ("car", "truck")


def test_yolo_small_overshoot_is_clipped_large_one_raises(tmp_path: Path) -> None:
    img = _image(tmp_path / "a.png")
    # right edge at 1.005 of the width: within the 2 % tolerance -> clipped to 200 px
    (tmp_path / "a.txt").write_text("0 0.98 0.5 0.05 0.2\n")
    lab = read_yolo(tmp_path / "a.txt", img, ["car"])
    assert lab.boxes_px[0, 2] == 200.0
    (tmp_path / "a.txt").write_text("0 1.2 0.5 0.1 0.2\n")
    with pytest.raises(InputError, match=r"a\.txt:1"):
        read_yolo(tmp_path / "a.txt", img, ["car"])


def test_yolo_malformed_line_and_unknown_class_raise_with_line_number(tmp_path: Path) -> None:
    img = _image(tmp_path / "a.png")
    (tmp_path / "a.txt").write_text("0 0.5 0.5 0.1 0.1\n0 0.5 0.5 0.1\n")
    with pytest.raises(InputError, match=r"a\.txt:2"):
        read_yolo(tmp_path / "a.txt", img, ["car"])
    (tmp_path / "a.txt").write_text("3 0.5 0.5 0.1 0.1\n")
    with pytest.raises(InputError, match="class id 3"):
        read_yolo(tmp_path / "a.txt", img, ["car"])


def test_yolo_missing_label_file_means_no_objects(tmp_path: Path) -> None:
    img = _image(tmp_path / "a.png")
    lab = read_yolo(tmp_path / "a.txt", img, ["car"])
    assert len(lab) == 0 and lab.boxes_px.shape == (0, 4)


def test_yolo_folder_reads_classes_txt(tmp_path: Path) -> None:
    _image(tmp_path / "a.png")
    _image(tmp_path / "b.jpg")
    (tmp_path / "classes.txt").write_text("car\ntank\n")
    (tmp_path / "a.txt").write_text("1 0.5 0.5 0.1 0.1\n")
    labels = read_dataset(tmp_path, "yolo")
    assert [lab.image_path.name for lab in labels] == ["a.png", "b.jpg"]
    assert labels[0].classes == ("tank",) and len(labels[1]) == 0


def test_dota_oriented_box_becomes_enclosing_box_and_gsd_is_read(tmp_path: Path) -> None:
    img = _image(tmp_path / "P1.png")
    (tmp_path / "P1.txt").write_text(
        "imagesource:GoogleEarth\ngsd:0.25\n"
        "10 20 30 10 40 30 20 40 small-vehicle 0\n"
        "100 50 120 50 120 90 100 90 plane 1\n"
    )
    lab = read_dota(tmp_path / "P1.txt", img)
    np.testing.assert_allclose(lab.boxes_px, [[10, 10, 40, 40], [100, 50, 120, 90]])
    assert lab.classes == ("small-vehicle", "plane")
    assert lab.difficult.tolist() == [False, True]
    assert lab.gsd_m == 0.25


def test_dota_null_gsd_is_none(tmp_path: Path) -> None:
    img = _image(tmp_path / "P2.png")
    (tmp_path / "P2.txt").write_text("gsd:null\n10 20 30 10 40 30 20 40 ship 0\n")
    assert read_dota(tmp_path / "P2.txt", img).gsd_m is None


def test_coco_xywh_becomes_corners_and_crowd_is_difficult(tmp_path: Path) -> None:
    doc = {
        "images": [
            {"id": 1, "file_name": "x.png", "width": 200, "height": 100},
            {"id": 2, "file_name": "y.png", "width": 50, "height": 50},
        ],
        "annotations": [
            {"id": 7, "image_id": 1, "category_id": 3, "bbox": [10, 20, 30, 40]},
            {"id": 8, "image_id": 1, "category_id": 4, "bbox": [0, 0, 5, 5], "iscrowd": 1},
        ],
        "categories": [{"id": 3, "name": "truck"}, {"id": 4, "name": "car"}],
    }
    (tmp_path / "annotations.json").write_text(json.dumps(doc))
    labels = read_coco(tmp_path / "annotations.json")
    assert labels[0].image_path == tmp_path / "x.png"
    np.testing.assert_allclose(labels[0].boxes_px, [[10, 20, 40, 60], [0, 0, 5, 5]])
    assert labels[0].classes == ("truck", "car")
    assert labels[0].difficult.tolist() == [False, True]
    assert len(labels[1]) == 0


def test_coco_box_outside_image_raises(tmp_path: Path) -> None:
    doc = {
        "images": [{"id": 1, "file_name": "x.png", "width": 100, "height": 100}],
        "annotations": [{"id": 9, "image_id": 1, "category_id": 1, "bbox": [90, 90, 40, 40]}],
        "categories": [{"id": 1, "name": "car"}],
    }
    (tmp_path / "c.json").write_text(json.dumps(doc))
    with pytest.raises(InputError, match="annotation 9"):
        read_coco(tmp_path / "c.json")


def test_not_a_coco_file_raises(tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text("{}")
    with pytest.raises(InputError, match="not a COCO"):
        read_coco(tmp_path / "c.json")


def test_class_map_renames_and_drops_unmapped(tmp_path: Path) -> None:
    img = _image(tmp_path / "a.png")
    (tmp_path / "a.txt").write_text("0 0.5 0.5 0.1 0.1\n1 0.2 0.2 0.1 0.1\n2 0.7 0.7 0.1 0.1\n")
    lab = map_classes(read_yolo(tmp_path / "a.txt", img, ["car", "cyclist", "Tank"]))
    assert lab.classes == ("small-vehicle", "large-vehicle")
    assert lab.boxes_px.shape == (2, 4)


def test_unknown_format_raises(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown label format"):
        read_dataset(tmp_path, "voc")
