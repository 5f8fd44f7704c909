"""Detection metrics: AP at an IoU threshold, precision, recall and count error per class.

``compute_metrics`` is pure (arrays in, numbers out); ``evaluate`` runs a model over a labelled
folder and calls it. Matching follows PASCAL VOC: detections, strongest first, each take the
unmatched ground-truth box of the same class with the highest IoU at or above ``iou``; matches
to ``difficult`` boxes count neither way. AP is the area under the precision envelope (all
points). Precision, recall and counts use detections at or above ``score_min``; AP uses all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from forcewatch.errors import InputError
from forcewatch.measure.objects.decode import iou_matrix
from forcewatch.measure.objects.labels import (
    DEFAULT_CLASS_MAP,
    ImageLabels,
    map_classes,
    read_dataset,
)

if TYPE_CHECKING:
    from forcewatch.measure.objects.infer import Detector

ALL = "all"
#: Score floor of the detections kept for AP (the PR curve needs the weak ones too).
AP_SCORE_MIN = 0.05


@dataclass(frozen=True)
class Prediction:
    """Detections of one image: boxes ``(n, 4)`` pixels, scores ``(n,)``, class names."""

    boxes_px: np.ndarray
    scores: np.ndarray
    classes: tuple[str, ...]


@dataclass(frozen=True)
class ClassMetrics:
    """Metrics of one class (or ``all``, class-agnostic). ``count_error``: detections at
    ``score_min`` minus true objects; ``count_error_rel``: that over the true count. Fields
    are None where undefined (no objects, or precision on incompletely labelled data)."""

    class_name: str
    n_true: int
    n_pred: int
    tp: int
    fp: int
    fn: int
    precision: float | None
    recall: float | None
    ap: float | None
    count_error: int
    count_error_rel: float | None


@dataclass(frozen=True)
class Metrics:
    """Metrics over a set of images at one IoU threshold and score threshold."""

    iou: float
    score_min: float
    images: int
    per_class: dict[str, ClassMetrics]
    labels_complete: bool = True
    # Images read at the model's own GSD because neither they nor the caller gave one.
    images_without_gsd: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form."""
        return {
            "iou": self.iou,
            "score_min": self.score_min,
            "images": self.images,
            "labels_complete": self.labels_complete,
            "images_without_gsd": self.images_without_gsd,
            "per_class": {k: asdict(v) for k, v in self.per_class.items()},
        }

    def table(self) -> str:
        """A plain-text table, one row per class."""
        head = f"{'class':<15}{'true':>6}{'pred':>6}{'TP':>6}{'FP':>6}{'FN':>6}"
        head += f"{'prec':>7}{'recall':>7}{'AP':>7}{'count err':>11}"
        rows = [f"IoU {self.iou:g}, score >= {self.score_min:g}, {self.images} images", head]

        def f(v: float | None) -> str:
            return "-" if v is None else f"{v:.3f}"

        for m in self.per_class.values():
            rel = "" if m.count_error_rel is None else f" ({m.count_error_rel:+.0%})"
            rows.append(
                f"{m.class_name:<15}{m.n_true:>6}{m.n_pred:>6}{m.tp:>6}{m.fp:>6}{m.fn:>6}"
                f"{f(m.precision):>7}{f(m.recall):>7}{f(m.ap):>7} {m.count_error:>+10d}{rel}"
            )
        if not self.labels_complete:
            rows.append("labels incomplete: precision, AP and count error are not meaningful")
        return "\n".join(rows)


def match_image(
    pred_boxes: np.ndarray,
    pred_scores: np.ndarray,
    true_boxes: np.ndarray,
    iou: float,
    true_difficult: np.ndarray | None = None,
) -> np.ndarray:
    """Per detection (in the given order): 1 true positive, 0 false positive, -1 matched a
    difficult box (ignored). Greedy by descending score."""
    n = len(pred_boxes)
    outcome = np.zeros(n, dtype=np.int8)
    if n == 0 or len(true_boxes) == 0:
        return outcome
    difficult = np.zeros(len(true_boxes), bool) if true_difficult is None else true_difficult
    ious = iou_matrix(pred_boxes, true_boxes)
    taken = np.zeros(len(true_boxes), dtype=bool)
    for i in np.argsort(-pred_scores, kind="stable"):
        cand = np.where(~taken, ious[i], -1.0)
        j = int(np.argmax(cand))
        if cand[j] >= iou:
            taken[j] = True
            outcome[i] = -1 if difficult[j] else 1
    return outcome


def average_precision(scores: np.ndarray, outcome: np.ndarray, n_true: int) -> float | None:
    """Area under the all-point interpolated precision-recall curve; None when ``n_true`` is 0.
    ``outcome`` as from ``match_image`` (ignored entries are dropped)."""
    if n_true == 0:
        return None
    keep = outcome >= 0
    order = np.argsort(-scores[keep], kind="stable")
    tp = outcome[keep][order].astype(np.float64)
    if len(tp) == 0:
        return 0.0
    ctp, cfp = np.cumsum(tp), np.cumsum(1 - tp)
    recall = ctp / n_true
    precision = ctp / np.maximum(ctp + cfp, 1e-12)
    envelope = np.maximum.accumulate(precision[::-1])[::-1]
    r = np.concatenate([[0.0], recall])
    return float(np.sum((r[1:] - r[:-1]) * envelope))


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def _class_metrics(
    name: str,
    preds: Sequence[tuple[np.ndarray, np.ndarray]],
    truths: Sequence[tuple[np.ndarray, np.ndarray]],
    iou: float,
    score_min: float,
    labels_complete: bool,
) -> ClassMetrics:
    """Metrics of one class from per-image (boxes, scores) and (boxes, difficult)."""
    all_scores, all_outcomes, n_true = [], [], 0
    tp = fp = n_pred = 0
    for (pb, ps), (tb, td) in zip(preds, truths, strict=True):
        n_true += int((~td).sum())
        all_scores.append(ps)
        all_outcomes.append(match_image(pb, ps, tb, iou, td))
        sel = ps >= score_min
        op = match_image(pb[sel], ps[sel], tb, iou, td)
        tp += int((op == 1).sum())
        fp += int((op == 0).sum())
        n_pred += int((op >= 0).sum())
    scores = np.concatenate(all_scores) if all_scores else np.zeros(0)
    outcomes = np.concatenate(all_outcomes) if all_outcomes else np.zeros(0, np.int8)
    return ClassMetrics(
        class_name=name,
        n_true=n_true,
        n_pred=n_pred,
        tp=tp,
        fp=fp,
        fn=n_true - tp,
        precision=_ratio(tp, tp + fp) if labels_complete else None,
        recall=_ratio(tp, n_true),
        ap=average_precision(scores, outcomes, n_true) if labels_complete else None,
        count_error=n_pred - n_true,
        count_error_rel=_ratio(n_pred - n_true, n_true),
    )


def compute_metrics(
    predictions: Sequence[Prediction],
    truths: Sequence[ImageLabels],
    class_names: Sequence[str],
    iou: float = 0.5,
    score_min: float = 0.3,
    *,
    labels_complete: bool = True,
) -> Metrics:
    """Per-class metrics for ``class_names`` plus an ``all`` row (class-agnostic matching),
    over images paired by position. Raises ``InputError`` if the lists differ in length."""
    if len(predictions) != len(truths):
        raise InputError(f"{len(predictions)} predictions for {len(truths)} labelled images")
    if not 0 < iou <= 1:
        raise InputError(f"iou={iou} must be in (0, 1]")

    def select(names: tuple[str, ...], wanted: str | None) -> np.ndarray:
        arr = np.array(names, dtype=object)
        return np.ones(len(arr), bool) if wanted is None else arr == wanted

    per_class: dict[str, ClassMetrics] = {}
    for wanted in [*class_names, None]:
        preds, trues = [], []
        for p, t in zip(predictions, truths, strict=True):
            ps, ts = select(p.classes, wanted), select(t.classes, wanted)
            preds.append((p.boxes_px.reshape(-1, 4)[ps], np.asarray(p.scores)[ps]))
            diff = t.difficult if len(t.difficult) == len(t.classes) else np.zeros(len(t), bool)
            trues.append((t.boxes_px.reshape(-1, 4)[ts], diff[ts]))
        name = ALL if wanted is None else wanted
        per_class[name] = _class_metrics(name, preds, trues, iou, score_min, labels_complete)
    return Metrics(iou, score_min, len(truths), per_class, labels_complete)


def heldout_names(model_metadata: Mapping[str, Any], data_dir: str | Path) -> list[str] | None:
    """The held-out file names the model's metadata records for a folder (matched by folder
    name), or None if the model was not trained on a folder of that name."""
    sources = model_metadata.get("split", {}).get("sources", {})
    entry = sources.get(Path(data_dir).name)
    return None if entry is None else list(entry.get("heldout", []))


def evaluate(
    model: str | Path | Detector | None,
    data_dir: str | Path,
    fmt: str = "yolo",
    iou: float = 0.5,
    *,
    split: str = "all",
    gsd_m: float | str | None = None,
    object_length_m: float | None = None,
    score_min: float | None = None,
    labels_complete: bool = True,
    class_map: Mapping[str, str] = DEFAULT_CLASS_MAP,
    class_agnostic: bool = False,
    threads: int | None = None,
    tile_px: int | None = None,
    tta: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> Metrics:
    """Run ``model`` (path, ``Detector`` or None for the shipped one) on a labelled folder and
    compute ``Metrics``. ``progress(done, total)`` is called after each image.

    ``split``: ``"all"`` files, or ``"heldout"`` / ``"train"`` per the model's metadata (an
    ``InputError`` if it records no split for this folder). ``gsd_m``: the images' GSD, or
    ``"auto"`` (the label file's GSD where it states one, else estimated; see ``detect_image``);
    ``object_length_m``: estimate each image's GSD from its labelled boxes instead (for
    screenshots of unknown scale; this uses the labels' scale, so say so when reporting).
    ``labels_complete=False``: only recall is meaningful. ``class_agnostic``: every class is
    renamed ``object`` before matching (recall regardless of class). ``tta``: test-time
    flips (see ``detect_image``)."""
    from forcewatch.measure.objects.data import estimate_gsd_m
    from forcewatch.measure.objects.infer import default_score_min, detect_image, load_model

    if split not in ("all", "heldout", "train"):
        raise InputError(f"unknown split '{split}'; use all, heldout or train")
    det = load_model(model, threads=threads)
    labels = [map_classes(lab, class_map) for lab in read_dataset(data_dir, fmt)]
    if split != "all":
        held = heldout_names(det.info.metadata, data_dir)
        if held is None:
            known = sorted(det.info.metadata.get("split", {}).get("sources", {}))
            raise InputError(
                f"model {det.info.name} records no split for a folder named "
                f"'{Path(data_dir).name}' (splits are kept by folder name: "
                f"{', '.join(known) or 'none'}); use --split all, or the folder's original name"
            )
        labels = [lab for lab in labels if (lab.image_path.name in held) == (split == "heldout")]
    if not labels:
        raise InputError(
            f"{data_dir}: no labelled image to evaluate on"
            + (f" in the {split} split" if split != "all" else "")
            + " (label files need their images beside them, with the same name)"
        )
    score = default_score_min(det.info, tta) if score_min is None else score_min
    preds = []
    without_gsd = 0
    for done, lab in enumerate(labels, start=1):
        gsd: float | str | None = gsd_m if gsd_m is not None else lab.gsd_m
        if gsd_m == "auto" and lab.gsd_m:
            gsd = lab.gsd_m
        if object_length_m is not None:
            gsd = estimate_gsd_m(lab, object_length_m) or gsd
        res = detect_image(
            lab.image_path,
            det,
            gsd_m=gsd,
            score_min=min(AP_SCORE_MIN, score),
            tile_px=tile_px,
            tta=tta,
        )
        without_gsd += res.params.get("gsd_source") == "model"
        if progress is not None:
            progress(done, len(labels))
        preds.append(
            Prediction(res.boxes_px, res.scores, tuple(res.class_names[i] for i in res.class_ids))
        )
    names: Sequence[str] = det.info.classes
    if class_agnostic:
        names = ["object"]
        preds = [Prediction(p.boxes_px, p.scores, ("object",) * len(p.scores)) for p in preds]
        labels = [map_classes(lab, {c: "object" for c in set(lab.classes)}) for lab in labels]
    metrics = compute_metrics(preds, labels, names, iou, score, labels_complete=labels_complete)
    return replace(metrics, images_without_gsd=without_gsd)
