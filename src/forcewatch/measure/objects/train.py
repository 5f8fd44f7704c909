"""Training and fine-tuning the detector (torch, from the ``train`` extra), exported to ONNX.

torch is imported inside the functions, so this module imports (and ``train`` raises a clear
``ModelError``) where torch is not installed.
"""

from __future__ import annotations

import json
import logging
import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from forcewatch.errors import InputError, ModelError
from forcewatch.measure.objects.data import (
    DataSource,
    TrainImage,
    colour_jitter,
    flip_rotate,
    heldout_split,
    load_train_image,
    paste_aircraft,
    random_crop,
    render_targets,
)
from forcewatch.measure.objects.labels import MODEL_CLASSES, read_dataset

if TYPE_CHECKING:
    import torch

log = logging.getLogger(__name__)

MODELS_DIR = Path(__file__).parent / "models"
DEFAULT_MODEL_NAME = "forcewatch-vehicles-v1"


@dataclass(frozen=True)
class TrainConfig:
    """Training settings. ``model_gsd_m``: metres per pixel the model works at (images are
    resampled to it); ``crop_px``: training crop side (multiple of 32); ``aircraft_share``:
    share of crops given a synthetic aircraft (0 disables); ``time_limit_s``: stop early."""

    crop_px: int = 256
    batch: int = 16
    steps_per_epoch: int = 200
    lr: float = 2e-3
    weight_decay: float = 1e-4
    seed: int = 0
    threads: int = 2
    model_gsd_m: float = 0.25
    tile_px: int = 512
    aircraft_share: float = 0.25
    classes: tuple[str, ...] = MODEL_CLASSES
    time_limit_s: float | None = None


@dataclass(frozen=True)
class TrainResult:
    """Paths written by ``train`` and a summary of the run."""

    onnx_path: Path
    metadata_path: Path
    weights_path: Path
    steps: int
    final_loss: float
    metadata: dict[str, Any] = field(repr=False)


def default_sources(shared_data: str | Path) -> list[DataSource]:
    """The data recipe of the shipped model, over the project's ``shared/data`` folder.

    KIT AIS is taken at a nominal 0.13 m; its sequences in fact differ by ~15 % in car size
    (see docs/detection.md), which a future recipe should correct with ``object_length_m``."""
    root = Path(shared_data)
    return [
        DataSource(root / "aerial-cars", "yolo", gsd_m=0.13, heldout_fraction=0.2, weight=0.6),
        DataSource(
            root / "armour",
            "yolo",
            object_length_m=8.0,
            labels_complete=False,
            heldout_fraction=0.3,
            weight=0.4,
        ),
    ]


def _import_torch() -> Any:
    try:
        import torch
    except ImportError as exc:
        raise ModelError(
            "training needs torch", hint="pip install 'forcewatch[train]' (CPU wheel is enough)"
        ) from exc
    return torch


def _as_sources(data_dirs: Sequence[str | Path | DataSource], formats: str | Sequence[str]):
    fmts = [formats] * len(data_dirs) if isinstance(formats, str) else list(formats)
    if len(fmts) != len(data_dirs):
        raise InputError(f"{len(data_dirs)} data folders but {len(fmts)} label formats")
    return [
        d if isinstance(d, DataSource) else DataSource(Path(d), fmt)
        for d, fmt in zip(data_dirs, fmts, strict=True)
    ]


def load_sources(
    sources: Sequence[DataSource], config: TrainConfig
) -> tuple[list[TrainImage], list[float], dict[str, Any]]:
    """Training images (held-out files excluded), their sampling weights, and the split record
    for the model metadata."""
    images: list[TrainImage] = []
    weights: list[float] = []
    split: dict[str, Any] = {}
    for src in sources:
        labels = read_dataset(src.path, src.fmt)
        names = [lab.image_path.name for lab in labels]
        held = set(heldout_split(names, src.heldout_fraction))
        train_labels = [lab for lab in labels if lab.image_path.name not in held]
        if not train_labels:
            raise InputError(f"{src.path}: no labelled images left to train on")
        loaded = [
            load_train_image(lab, src, config.classes, config.model_gsd_m) for lab in train_labels
        ]
        images += loaded
        weights += [src.weight / len(loaded)] * len(loaded)
        split[src.name] = {
            "format": src.fmt,
            "gsd_m": src.gsd_m,
            "object_length_m": src.object_length_m,
            "labels_complete": src.labels_complete,
            "heldout_fraction": src.heldout_fraction,
            "heldout": sorted(held),
            "train": sorted(lab.image_path.name for lab in train_labels),
            "train_objects": int(sum(len(im.class_ids) for im in loaded)),
        }
        log.info("%s: %d training images, %d held out", src.name, len(loaded), len(held))
    w = np.array(weights)
    return images, list(w / w.sum()), split


def make_batch(
    images: Sequence[TrainImage],
    weights: Sequence[float],
    rng: np.random.Generator,
    config: TrainConfig,
    stride: int,
) -> tuple[np.ndarray, ...]:
    """One batch: images ``(B, 3, crop, crop)`` float32 0..255 and the target arrays."""
    n_classes = len(config.classes)
    aircraft_id = config.classes.index("aircraft") if "aircraft" in config.classes else None
    rgbs, heats, boxes, bws, negs = [], [], [], [], []
    for _ in range(config.batch):
        img = images[int(rng.choice(len(images), p=weights))]
        s = flip_rotate(random_crop(img, rng, config.crop_px), rng)
        if aircraft_id is not None and rng.random() < config.aircraft_share:
            s = paste_aircraft(s, rng, aircraft_id)
        t = render_targets(s, n_classes, stride)
        rgbs.append(colour_jitter(s.rgb, rng).transpose(2, 0, 1))
        heats.append(t.heat)
        boxes.append(t.box)
        bws.append(t.box_weight)
        negs.append(t.neg_weight)
    return (
        np.stack(rgbs).astype(np.float32),
        np.stack(heats),
        np.stack(boxes),
        np.stack(bws),
        np.stack(negs),
    )


def centernet_loss(
    heat_logit: torch.Tensor,
    box_raw: torch.Tensor,
    t_heat: torch.Tensor,
    t_box: torch.Tensor,
    t_bw: torch.Tensor,
    t_neg: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Penalty-reduced focal loss on the heatmap (negatives only where ``t_neg`` is 1) and
    Gaussian-weighted L1 on box offsets and log-sizes. Returns ``(heat_loss, box_loss)``."""
    import torch
    import torch.nn.functional as F

    pos = (t_heat >= 1.0).float()
    p = torch.sigmoid(heat_logit)
    pos_loss = -(F.logsigmoid(heat_logit) * (1 - p) ** 2 * pos).sum()
    neg_w = (1 - t_heat) ** 4 * (1 - pos) * t_neg[:, None]
    neg_loss = -(F.logsigmoid(-heat_logit) * p**2 * neg_w).sum()
    n_pos = pos.sum().clamp(min=1.0)
    w = t_bw[:, None]
    box_loss = ((box_raw - t_box).abs() * w).sum() / (w.sum() * 4).clamp(min=1.0)
    return (pos_loss + neg_loss) / n_pos, box_loss


def _device(torch: Any, device: str) -> Any:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device.split(":")[0] not in ("cpu", "cuda"):
        raise InputError(f"--device {device!r}: use auto, cpu or cuda")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InputError(f"--device {device}: this torch has no CUDA GPU; use --device cpu")
    return torch.device(device)


def _lr_factor(frac: float, step: int, warmup_steps: int = 100) -> float:
    """Linear warm-up over the first steps, then cosine decay to zero at ``frac`` = 1."""
    warm = min(1.0, (step + 1) / warmup_steps)
    return warm * 0.5 * (1 + math.cos(math.pi * min(frac, 1.0)))


def resolve_init(init_from: str | Path | None) -> Path | None:
    """``"default"`` -> the shipped model's weights; a path -> that ``.pt`` (or the ``.pt`` next
    to a given ``.onnx``); None -> train from scratch."""
    if init_from is None:
        return None
    path = MODELS_DIR / f"{DEFAULT_MODEL_NAME}.pt" if init_from == "default" else Path(init_from)
    if path.suffix == ".onnx":
        path = path.with_suffix(".pt")
    if not path.exists():
        raise ModelError(f"initial weights {path} not found (fine-tuning needs the .pt file)")
    return path


def _output_folder(out: Path) -> Path:
    """The folder the model goes to, made and checked writable before any training step."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file; give a folder for the model (it is made)")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".forcewatch-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise InputError(f"cannot write the model into {out}: {exc.strerror}") from exc
    return out


def _load_init(torch: Any, net: Any, path: Path) -> None:
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises pickle, zip and runtime errors alike
        raise ModelError(
            f"initial weights {path}: not a PyTorch checkpoint of this detector "
            f"({type(exc).__name__}); give the .pt file `forcewatch train` wrote"
        ) from exc
    if not isinstance(state, dict):
        raise ModelError(f"initial weights {path}: not a state dict of this detector")
    own = net.state_dict()
    usable = {k: v for k, v in state.items() if k in own and own[k].shape == v.shape}
    net.load_state_dict(usable, strict=False)
    skipped = sorted(set(own) - set(usable))
    if skipped:
        log.info(
            "init from %s: %d tensors re-initialised (class change): %s",
            path,
            len(skipped),
            skipped,
        )


def export_onnx(net: Any, path: Path, tile_px: int) -> None:
    """Export ``ExportedDetector(net)`` (opset 17; batch, height, width dynamic)."""
    import torch

    from forcewatch.measure.objects.model import ExportedDetector

    wrapper = ExportedDetector(net.cpu()).eval()
    dummy = torch.zeros(1, 3, tile_px, tile_px)
    with warnings.catch_warnings():  # the TorchScript exporter announces its own deprecation
        warnings.simplefilter("ignore", DeprecationWarning)
        _export(torch, wrapper, dummy, path)


def _export(torch: Any, wrapper: Any, dummy: Any, path: Path) -> None:
    dyn = {0: "batch", 2: "height", 3: "width"}
    torch.onnx.export(
        wrapper,
        (dummy,),
        str(path),
        input_names=["image"],
        output_names=["heatmap", "box"],
        dynamic_axes={"image": dyn, "heatmap": dyn, "box": dyn},
        opset_version=17,
        dynamo=False,
    )


def write_metadata(onnx_path: Path, metadata: dict[str, Any]) -> Path:
    """Write ``<model>.json`` next to the ONNX file (and into the ONNX metadata when the
    ``onnx`` package is available, so the ``.onnx`` alone is self-describing)."""
    meta_path = onnx_path.with_suffix(".json")
    meta_path.write_text(json.dumps(metadata, indent=2, sort_keys=False) + "\n")
    try:
        import onnx
    except ImportError:
        return meta_path
    proto = onnx.load(str(onnx_path))
    del proto.metadata_props[:]
    entry = proto.metadata_props.add()
    entry.key, entry.value = "forcewatch", json.dumps(metadata)
    onnx.save(proto, str(onnx_path))
    return meta_path


def train(
    data_dirs: Sequence[str | Path | DataSource],
    formats: str | Sequence[str] = "yolo",
    out_dir: str | Path = "detector-out",
    epochs: int = 20,
    init_from: str | Path | None = None,
    device: str = "auto",
    *,
    config: TrainConfig | None = None,
    name: str = "detector",
    progress: Callable[[int, int, float], None] | None = None,
) -> TrainResult:
    """Train (or fine-tune with ``init_from="default"``) the detector and export it.

    ``data_dirs``: labelled folders (or ``DataSource`` for GSD, incomplete labels, held-out
    share); ``formats``: one label format for all, or one per folder. Writes ``<name>.onnx``,
    ``<name>.json`` (metadata: classes, GSD, data, split) and ``<name>.pt`` (torch weights, for
    later fine-tuning) into ``out_dir``. ``progress(step, total_steps, loss)`` is called every
    10 steps. Raises ``ModelError`` without torch, ``InputError`` for bad data.
    """
    torch = _import_torch()
    from forcewatch.measure.objects.model import OUTPUT_STRIDE, build_model, count_parameters

    cfg = config or TrainConfig()
    if cfg.crop_px % 32 or cfg.tile_px % 32:
        raise InputError("crop_px and tile_px must be multiples of 32")
    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    dev = _device(torch, device)
    out = _output_folder(Path(out_dir))  # before training, not after it
    sources = _as_sources(data_dirs, formats)
    for source in sources:
        if source.gsd_m is not None and not source.gsd_m > 0:
            raise InputError(f"gsd_m={source.gsd_m} for {source.path}: give metres per pixel > 0")
    images, weights, split = load_sources(sources, cfg)
    net = build_model(len(cfg.classes))
    init_path = resolve_init(init_from)
    if init_path is not None:
        _load_init(torch, net, init_path)
    net.to(dev).train()
    total = max(1, epochs * cfg.steps_per_epoch)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    rng = np.random.default_rng(cfg.seed)
    started = time.monotonic()
    loss_avg = float("nan")
    step = 0
    from forcewatch.measure.objects.model import normalise

    while True:
        # progress is steps done or time used, whichever is further along, so a time limit
        # still ends with a fully annealed learning rate
        elapsed = time.monotonic() - started
        frac = step / total
        if cfg.time_limit_s is not None:
            frac = max(frac, elapsed / cfg.time_limit_s)
        if frac >= 1.0:
            break
        for group in opt.param_groups:
            group["lr"] = cfg.lr * _lr_factor(frac, step)
        arrays = make_batch(images, weights, rng, cfg, OUTPUT_STRIDE)
        x, t_heat, t_box, t_bw, t_neg = (torch.from_numpy(a).to(dev) for a in arrays)
        heat_logit, box_raw = net(normalise(x))
        heat_loss, box_loss = centernet_loss(heat_logit, box_raw, t_heat, t_box, t_bw, t_neg)
        loss = heat_loss + box_loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 10.0)
        opt.step()
        step += 1
        val = loss.item()
        loss_avg = val if math.isnan(loss_avg) else 0.98 * loss_avg + 0.02 * val
        if step % 10 == 0:
            log.info("step %d/%d (%.0f%%) loss %.3f (heat %.3f box %.3f)", step, total,
                     100 * frac, loss_avg, heat_loss.item(), box_loss.item())  # fmt: skip
            if progress is not None:
                progress(step, total, loss_avg)
    net.eval()
    onnx_path = out / f"{name}.onnx"
    weights_path = out / f"{name}.pt"
    torch.save(net.cpu().state_dict(), weights_path)
    export_onnx(net, onnx_path, cfg.tile_px)
    metadata = {
        "name": name,
        "format_version": 1,
        "architecture": "CenterNetLite (forcewatch.measure.objects.model)",
        "parameters": count_parameters(net),
        "classes": list(cfg.classes),
        "input": {
            "name": "image",
            "layout": "NCHW",
            "bands": "RGB",
            "range": [0, 255],
            "tile_px": cfg.tile_px,
            "multiple_of_px": 32,
        },  # fmt: skip
        "output_stride_px": OUTPUT_STRIDE,
        "gsd_m": cfg.model_gsd_m,
        "score_min": 0.3,
        "training": {
            "created_utc": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "torch": str(torch.__version__),
            "device": str(dev),
            "steps": step,
            "epochs": epochs,
            "wall_s": round(time.monotonic() - started, 1),
            "final_loss": round(loss_avg, 4),
            "init_from": str(init_path) if init_path else None,
            "config": asdict(cfg),
        },
        "split": {
            "rule": "whole sequences of consecutively numbered frames, by salted SHA-256 of "
            "the sequence name, until the held-out share is reached (data.heldout_split)",
            "sources": split,
        },
        "metrics": {},
    }
    meta_path = write_metadata(onnx_path, metadata)
    return TrainResult(onnx_path, meta_path, weights_path, step, loss_avg, metadata)
