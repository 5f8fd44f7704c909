"""Heatmap decoding and non-maximum suppression."""

from __future__ import annotations

import numpy as np

from forcewatch.measure.objects.decode import decode_heatmap, iou_matrix, nms


def test_decode_finds_one_peak_per_object_with_subcell_offset() -> None:
    heat = np.zeros((2, 10, 10), np.float32)
    heat[0, 2, 3], heat[0, 2, 4] = 0.9, 0.5  # a peak and a weaker neighbour
    heat[1, 7, 7] = 0.6
    box = np.zeros((4, 10, 10), np.float32)
    box[:, 2, 3] = [0.25, 0.5, 8.0, 4.0]
    box[:, 7, 7] = [0.5, 0.5, 6.0, 6.0]
    boxes, scores, classes = decode_heatmap(heat, box, stride=4, score_min=0.3)
    assert classes.tolist() == [0, 1]
    np.testing.assert_allclose(scores, [0.9, 0.6])
    # centre x = (3 + 0.25) * 4 = 13, y = (2 + 0.5) * 4 = 10
    np.testing.assert_allclose(boxes[0], [9, 8, 17, 12])
    np.testing.assert_allclose(boxes[1], [27, 27, 33, 33])


def test_decode_flat_top_gives_a_single_peak() -> None:
    heat = np.zeros((1, 6, 6), np.float32)
    heat[0, 2:4, 2:4] = 0.8
    boxes, _, _ = decode_heatmap(heat, np.ones((4, 6, 6), np.float32), 4, 0.5)
    assert len(boxes) == 1


def test_decode_below_threshold_is_empty() -> None:
    boxes, scores, classes = decode_heatmap(
        np.full((1, 4, 4), 0.1, np.float32), np.ones((4, 4, 4)), 4, 0.5
    )
    assert boxes.shape == (0, 4) and len(scores) == len(classes) == 0


def test_iou_of_identical_disjoint_and_half_overlapping_boxes() -> None:
    a = np.array([[0, 0, 10, 10]], float)
    b = np.array([[0, 0, 10, 10], [20, 20, 30, 30], [5, 0, 15, 10]], float)
    np.testing.assert_allclose(iou_matrix(a, b), [[1.0, 0.0, 50 / 150]])


def test_nms_keeps_strongest_of_overlapping_and_all_of_separate() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60], [0, 0, 10, 10.5]], float)
    scores = np.array([0.5, 0.9, 0.7, 0.4])
    assert nms(boxes, scores, 0.5).tolist() == [1, 2]


def test_nms_per_class_keeps_overlapping_boxes_of_different_classes() -> None:
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 10]], float)
    keep = nms(boxes, np.array([0.9, 0.8]), 0.5, class_ids=np.array([0, 1]))
    assert keep.tolist() == [0, 1]


def test_nms_grid_matches_brute_force_on_random_boxes() -> None:
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 300, (400, 2))
    wh = rng.uniform(5, 30, (400, 2))
    boxes = np.concatenate([xy, xy + wh], axis=1)
    scores = rng.uniform(size=400)
    keep = []
    for i in np.argsort(-scores):
        if not keep or iou_matrix(boxes[i], boxes[keep]).max() <= 0.3:
            keep.append(int(i))
    assert nms(boxes, scores, 0.3).tolist() == keep
