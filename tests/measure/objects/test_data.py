"""Held-out split and training-sample generation (numpy; no torch needed)."""

from __future__ import annotations

import numpy as np

from forcewatch.measure.objects.data import (
    Sample,
    TrainImage,
    flip_rotate,
    heldout_split,
    random_crop,
    render_targets,
    sequence_groups,
)


def test_consecutive_frames_form_one_sequence() -> None:
    names = ["MOS74.png", "MOS75.png", "MOS76.png", "MOS155.png", "MOS156.png",
             "Street-MOS74.png", "TanksA.JPG", "tanks8.jpg", "tanks11.jpg"]  # fmt: skip
    groups = sequence_groups(names)
    assert groups["MOS74.png"] == groups["MOS76.png"] == "MOS74-76"
    assert groups["MOS155.png"] == "MOS155-156"
    assert groups["Street-MOS74.png"] != groups["MOS74.png"]
    assert groups["tanks8.jpg"] != groups["tanks11.jpg"]
    assert groups["TanksA.JPG"] == "TanksA"


def test_heldout_split_is_deterministic_order_free_and_keeps_sequences_whole() -> None:
    names = [f"seq{k}_{i}.png" for k in range(4) for i in range(10)] + [f"x{c}.png" for c in "abc"]
    held = heldout_split(names, 0.2)
    assert held == heldout_split(list(reversed(names)), 0.2)
    assert len(held) >= 0.2 * len(names)
    groups = sequence_groups(names)
    held_groups = {groups[n] for n in held}
    assert all(n in held for n in names if groups[n] in held_groups)
    assert heldout_split(names, 0.0) == []


def _image(boxes: list[list[float]]) -> TrainImage:
    rgb = np.zeros((300, 400, 3), np.uint8)
    for x0, y0, x1, y1 in boxes:
        rgb[int(y0) : int(y1), int(x0) : int(x1)] = 255
    b = np.array(boxes, float)
    return TrainImage("t.png", rgb, b, np.zeros(len(b), np.int64), True)


def test_crop_boxes_follow_the_pixels_through_scale_rotation_and_flips() -> None:
    img = _image([[100, 100, 140, 120], [250, 200, 270, 260]])
    rng = np.random.default_rng(5)
    for _ in range(20):
        s = flip_rotate(random_crop(img, rng, 128), rng)
        assert s.rgb.shape == (128, 128, 3)
        for x0, y0, x1, y1 in s.boxes_px:
            inside = s.rgb[int(y0) + 2 : int(y1) - 2, int(x0) + 2 : int(x1) - 2, 0]
            if inside.size:  # rotated boxes enclose the object: its centre is bright
                cy, cx = int((y0 + y1) / 2), int((x0 + x1) / 2)
                assert s.rgb[cy, cx, 0] > 100


def test_targets_peak_at_box_centres_with_log_size() -> None:
    s = Sample(np.zeros((64, 64, 3), np.uint8), np.array([[10.0, 20.0, 30.0, 28.0]]),
               np.array([1]), np.zeros((0, 4)), np.ones((64, 64), bool))  # fmt: skip
    t = render_targets(s, 2, 4)
    j, i = 6, 5  # centre (20, 24) px -> cell (5, 6)
    assert t.heat[1, j, i] == 1.0 and t.heat[0].max() == 0.0
    np.testing.assert_allclose(t.box[:, j, i], [0.0, 0.0, np.log(20 / 4), np.log(8 / 4)], atol=1e-6)
    assert t.box_weight[j, i] == 1.0 and t.neg_weight.min() == 1.0


def test_incomplete_labels_train_negatives_only_near_labelled_boxes() -> None:
    img = TrainImage("t.png", np.zeros((256, 256, 3), np.uint8), np.array([[100.0, 100, 140, 120]]),
                     np.zeros(1, np.int64), labels_complete=False)  # fmt: skip
    s = random_crop(img, np.random.default_rng(0), 256, scale_range=(1.0, 1.0))
    assert 0 < s.neg_mask.mean() < 0.1
