"""Leave-one-place-out detection threshold for the shipped model (``score_min``, ``score_min_tta``).

The shipped model's first rule (``bench/detect.py threshold``) picks the score that maximises F1
on KIT AIS frames it was trained on. There it is over-confident: on a place it has never seen
it kept only ~42 % of the cars. A fair rule needs a place the model has not seen, and every
KIT place is either trained on or held out for the test. So this script trains an auxiliary
model by the shipped recipe minus one KIT place (``--unseen-prefix``; same armour split, never
the held-out sequence), measures how far its F1-optimal threshold falls from a place it was
trained on to the place it has not seen, and moves the shipped model's rule threshold by that
drop::

    score_min = t_rule(shipped) + [t_unseen(aux) - t_seen(aux)]

(class-agnostic F1 at IoU 0.5, nominal 0.13 m, thresholds on a 0.025 grid; the same for the
four-flip mean). No held-out image is used. The auxiliary model is weaker than the shipped
one (fewer steps, one KIT place), which is why its drop is transferred rather than its own
threshold.

    python bench/threshold_lopo.py --train-minutes 22           # train (2 threads), then measure
    python bench/threshold_lopo.py --aux-model aux/model.onnx   # measure only
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import detect as bench_detect  # noqa: E402  (bench/detect.py: SHARED, VALIDATION_FRAMES, f1_curve)

SHARED = bench_detect.SHARED


def best(rows: list[dict]) -> float:
    """The ``score_min`` of the highest F1 (the first, lowest, of equal ones)."""
    return float(max(rows, key=lambda row: row["f1"])["score_min"])


def places(unseen_prefix: str) -> tuple[list[str], tuple[str, ...], tuple[str, ...]]:
    """Training files of the auxiliary model, its unseen place, and frames of its seen place.

    From the shipped model's recorded split: the KIT training files split into the place named
    by ``unseen_prefix`` and the rest; the held-out sequence is never touched."""
    from forcewatch.measure.objects import load_model

    split = load_model().info.metadata["split"]["sources"]["aerial-cars"]
    train = sorted(split["train"])
    unseen = tuple(n for n in train if n.startswith(unseen_prefix))
    seen = [n for n in train if not n.startswith(unseen_prefix)]
    if not unseen or not seen:
        raise SystemExit(f"--unseen-prefix {unseen_prefix!r} must split the KIT training files")
    # the seen place's frames of the shipped rule (VALIDATION_FRAMES without the unseen place)
    seen_frames = tuple(n for n in bench_detect.VALIDATION_FRAMES if n in seen)
    return seen, unseen, seen_frames


def train_aux(seen: list[str], minutes: float, out_dir: Path) -> Path:
    from forcewatch.measure.objects.data import DataSource
    from forcewatch.measure.objects.train import TrainConfig, train

    kit = out_dir / "kit-seen"  # links to the seen place's images, their labels, classes.txt
    if kit.exists():
        shutil.rmtree(kit)
    kit.mkdir(parents=True)
    names = seen + [Path(n).with_suffix(".txt").name for n in seen] + ["classes.txt"]
    for name in names:
        (kit / name).symlink_to(SHARED / "aerial-cars" / name)
    sources = [  # the shipped recipe (train.default_sources) minus the unseen place
        DataSource(kit, "yolo", gsd_m=0.13, heldout_fraction=0.0, weight=0.6),
        DataSource(
            SHARED / "armour",
            "yolo",
            object_length_m=8.0,
            labels_complete=False,
            heldout_fraction=0.3,
            weight=0.4,
        ),
    ]
    t0 = last = time.time()

    def progress(step: int, total: int, loss: float) -> None:
        nonlocal last
        if time.time() - last >= 60:  # a line a minute: the run takes --train-minutes
            last = time.time()
            print(f"{last - t0:5.0f} s  step {step}  loss {loss:.3f}", file=sys.stderr)

    res = train(
        sources,
        out_dir=out_dir,
        epochs=40,
        config=TrainConfig(threads=2, time_limit_s=minutes * 60),
        name="aux-leave-one-place-out",
        progress=progress,
    )
    print(
        f"trained {res.steps} steps in {time.time() - t0:.0f} s: {res.onnx_path}", file=sys.stderr
    )
    return Path(res.onnx_path)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--aux-model", type=Path, help="auxiliary model (skip training)")
    parser.add_argument("--train-minutes", type=float, default=22.0)
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent / "out" / "aux-lopo",
        help="training output (default: bench/out/aux-lopo, not tracked)",
    )
    parser.add_argument("--unseen-prefix", default="MunichStreet02-")
    args = parser.parse_args()
    from forcewatch.measure.objects import load_model

    if not SHARED.is_dir():
        raise SystemExit(f"shared data not found at {SHARED}")
    seen, unseen, seen_frames = places(args.unseen_prefix)
    aux_path = args.aux_model or train_aux(seen, args.train_minutes, args.out)
    aux, shipped = load_model(aux_path, threads=2), load_model(threads=2)
    report: dict[str, Any] = {"unseen_place": list(unseen), "seen_place_frames": list(seen_frames)}
    for tta in (False, True):
        unseen_rows, _ = bench_detect.f1_curve(aux, unseen, tta)
        t_unseen = best(unseen_rows)
        t_seen = best(bench_detect.f1_curve(aux, seen_frames, tta)[0])
        t_rule = best(bench_detect.f1_curve(shipped, bench_detect.VALIDATION_FRAMES, tta)[0])
        new = round(t_rule + (t_unseen - t_seen), 3)
        key = "score_min_tta" if tta else "score_min"
        report[key] = {
            "value": new,
            "shipped_rule_threshold": t_rule,
            "aux_seen_place_threshold": t_seen,
            "aux_unseen_place_threshold": t_unseen,
            "aux_unseen_place_curve": unseen_rows,
        }
        print(
            f"{key}: shipped rule {t_rule:.3f} + (aux unseen {t_unseen:.3f} - aux seen "
            f"{t_seen:.3f}) = {new:.3f}",
            file=sys.stderr,
        )
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
