"""Object detection in high-resolution optical imagery (vehicles, aircraft).

Inference needs only numpy and onnxruntime; training (``train.py``, ``model.py``) needs torch
from the ``train`` extra and imports it lazily. See docs/detection.md.
"""

from forcewatch.measure.objects.evaluate import Metrics, compute_metrics, evaluate
from forcewatch.measure.objects.infer import (
    DEFAULT_MODEL,
    Detector,
    GsdEstimate,
    detect_image,
    detect_images,
    estimate_gsd,
    load_model,
)
from forcewatch.measure.objects.labels import (
    DEFAULT_CLASS_MAP,
    MODEL_CLASSES,
    ImageLabels,
    read_coco,
    read_dataset,
    read_dota,
    read_yolo,
)
from forcewatch.measure.objects.result import (
    Detection,
    DetectionFailure,
    DetectionResult,
    to_geojson,
    write_geojson,
    write_png,
)

__all__ = [
    "DEFAULT_CLASS_MAP",
    "DEFAULT_MODEL",
    "MODEL_CLASSES",
    "Detection",
    "DetectionFailure",
    "DetectionResult",
    "Detector",
    "GsdEstimate",
    "ImageLabels",
    "Metrics",
    "compute_metrics",
    "detect_image",
    "detect_images",
    "estimate_gsd",
    "evaluate",
    "load_model",
    "read_coco",
    "read_dataset",
    "read_dota",
    "read_yolo",
    "to_geojson",
    "write_geojson",
    "write_png",
]
