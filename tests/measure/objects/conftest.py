"""Fixtures for detector tests: a synthetic ONNX "square detector" with exactly known output,
and images of white squares on black.

The synthetic model has the shipped model's contract (see ``model.py``): one class
``vehicle``, output stride 4; heat = 3x3 mean of the 4x4-block mean of the red band / 255, so
a white 12 px square aligned to the 4 px grid gives a unique peak of 1.0 at its centre cell;
box = (0.5, 0.5, 12, 12) everywhere. Its GSD is 0.25 m.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

SQUARE_PX = 12
MODEL_GSD_M = 0.25


def build_square_model(path: Path, channels: int = 3, metadata: bool = True) -> Path:
    """Write the synthetic ONNX model (and its JSON metadata unless ``metadata`` is False)."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    def const(name: str, value: np.ndarray) -> onnx.TensorProto:
        return numpy_helper.from_array(np.asarray(value), name)

    nodes = [
        helper.make_node("Slice", ["image", "s0", "s1", "ax"], ["red"]),
        helper.make_node("AveragePool", ["red"], ["cells"], kernel_shape=[4, 4], strides=[4, 4]),
        helper.make_node("Div", ["cells", "k255"], ["norm"]),
        helper.make_node(
            "AveragePool", ["norm"], ["heatmap"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
            count_include_pad=1,
        ),
        helper.make_node("Mul", ["heatmap", "zero"], ["z"]),
        helper.make_node("Add", ["z", "half"], ["dx"]),
        helper.make_node("Add", ["z", "size"], ["w"]),
        helper.make_node("Concat", ["dx", "dx", "w", "w"], ["box"], axis=1),
    ]  # fmt: skip
    inits = [
        const("s0", np.array([0], np.int64)),
        const("s1", np.array([1], np.int64)),
        const("ax", np.array([1], np.int64)),
        const("k255", np.array(255.0, np.float32)),
        const("zero", np.array(0.0, np.float32)),
        const("half", np.array(0.5, np.float32)),
        const("size", np.array(float(SQUARE_PX), np.float32)),
    ]
    graph = helper.make_graph(
        nodes,
        "squares",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["n", channels, "h", "w"])],
        [
            helper.make_tensor_value_info("heatmap", TensorProto.FLOAT, ["n", 1, "h4", "w4"]),
            helper.make_tensor_value_info("box", TensorProto.FLOAT, ["n", 4, "h4", "w4"]),
        ],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    if metadata:
        meta = {
            "name": "squares",
            "classes": ["vehicle"],
            "gsd_m": MODEL_GSD_M,
            "input": {"tile_px": 64, "multiple_of_px": 32},
            "output_stride_px": 4,
            "score_min": 0.9,
        }
        path.with_suffix(".json").write_text(json.dumps(meta))
    return path


@pytest.fixture(scope="session")
def square_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of the synthetic square-detector ONNX model."""
    return build_square_model(tmp_path_factory.mktemp("model") / "squares.onnx")


def squares_image(
    width_px: int, height_px: int, origins: Sequence[tuple[int, int]], size_px: int = SQUARE_PX
) -> np.ndarray:
    """``(height, width, 3)`` uint8 black image with white squares at the given top-left
    corners."""
    rgb = np.zeros((height_px, width_px, 3), np.uint8)
    for x, y in origins:
        rgb[y : y + size_px, x : x + size_px] = 255
    return rgb


def square_boxes(origins: Sequence[tuple[int, int]], size_px: int = SQUARE_PX) -> np.ndarray:
    """Boxes ``x0, y0, x1, y1`` of squares at these origins, sorted by (y0, x0)."""
    b = np.array([[x, y, x + size_px, y + size_px] for x, y in origins], float).reshape(-1, 4)
    return b[np.lexsort((b[:, 0], b[:, 1]))]
