"""Evaluate ForceWatch's unsupervised RGB change masks against LEVIR-CD / DSIFN labels.

Every method (ours, simple baselines, and the stored predictions of published trained models in
``predict_*/``) is scored by the same code: ``forcewatch.measure.optical.binary_scores`` summed
over pairs (``pooled_scores``, the benchmark convention) plus the mean of per-pair F1.

    python bench/optical_eval.py            # table with the shipped defaults
    python bench/optical_eval.py --tune     # also grid-search on each set, test on the other
    python bench/optical_eval.py --calibration   # IR-MAD false-alarm rate on synthetic pairs

Data: ``../shared/data/change-pairs/{LEVIR,DSIFN}/{A,B,label,predict_*}`` (256x256 PNG, masks
0/255). Pairs without a label or with A/B sizes that differ are skipped and listed.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import math
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image

from forcewatch.measure.optical import (
    BinaryScores,
    RgbChangeParams,
    binary_scores,
    cva,
    fuse_components,
    irmad,
    mask_from_labels,
    pooled_scores,
    rgb_components,
)

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "shared" / "data" / "change-pairs"
DATASETS = ("LEVIR", "DSIFN")


@dataclass
class Pair:
    name: str
    before: np.ndarray  # (3, y, x) uint8
    after: np.ndarray
    truth: np.ndarray  # (y, x) bool


def load_rgb(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB")).transpose(2, 0, 1)


def load_pairs(folder: Path) -> tuple[list[Pair], list[str]]:
    pairs, skipped = [], []
    labels = {p.name for p in (folder / "label").glob("*.png")}
    for a_path in sorted((folder / "A").glob("*.png")):
        if a_path.name not in labels:
            skipped.append(f"{a_path.name} (no label)")
            continue
        a, b = load_rgb(a_path), load_rgb(folder / "B" / a_path.name)
        if a.shape != b.shape:
            skipped.append(f"{a_path.name} (A {a.shape[1:]} != B {b.shape[1:]})")
            continue
        truth = mask_from_labels(np.asarray(Image.open(folder / "label" / a_path.name)))
        pairs.append(Pair(a_path.name, a, b, truth))
    return pairs, skipped


def model_folders(folder: Path) -> tuple[dict[str, Path], list[str]]:
    """``predict_*`` folders, de-duplicated by content (LEVIR ships ChangeFormerV6 twice)."""
    seen: dict[str, str] = {}
    out, dupes = {}, []
    for d in sorted(folder.glob("predict_*")):
        digest = hashlib.sha256()
        for f in sorted(d.glob("*.png")):
            digest.update(f.name.encode() + f.read_bytes())
        name = d.name.removeprefix("predict_").removeprefix("CD_")
        key = digest.hexdigest()
        if key in seen:
            dupes.append(f"{d.name} = {seen[key]}")
            continue
        seen[key] = d.name
        out[name] = d
    return out, dupes


@dataclass
class Row:
    dataset: str
    method: str
    kind: str
    scores: list[tuple[str, BinaryScores]]

    def line(self) -> str:
        p = pooled_scores(s for _, s in self.scores)
        per = [s.f1 for _, s in self.scores if not math.isnan(s.f1)]
        mean_f1 = float(np.mean(per)) if per else math.nan
        return (
            f"| {self.dataset} | {self.method} | {self.kind} | {len(self.scores)} | {p.f1:.3f} | "
            f"{p.precision:.3f} | {p.recall:.3f} | {p.iou:.3f} | {mean_f1:.3f} |"
        )


HEADER = (
    "| set | method | kind | pairs | F1 | precision | recall | IoU | mean per-pair F1 |\n"
    "|---|---|---|---|---|---|---|---|---|"
)


def components_for(pairs: list[Pair], params: RgbChangeParams) -> list[dict[str, np.ndarray]]:
    return [
        rgb_components(p.before, p.after, smooth_px=params.smooth_px, window_px=params.window_px)
        for p in pairs
    ]


def score_ours(
    pairs: list[Pair], comps: list[dict[str, np.ndarray]], params: RgbChangeParams
) -> list[tuple[str, BinaryScores]]:
    return [
        (p.name, binary_scores(fuse_components(c, params).mask, p.truth))
        for p, c in zip(pairs, comps, strict=True)
    ]


def tuning_grid(base: RgbChangeParams) -> list[RgbChangeParams]:
    """Fusion weights on a 0.25 simplex, smoothing, data-driven thresholds, cleaning.

    Fixed-fraction (quantile) thresholds are left out on purpose: they flag the same share of
    every image whether or not anything changed, which scores well on these change-rich tiles
    and is useless on a quiet site.
    """
    steps = [i / 4 for i in range(5)]
    weights = [(a, b, 1.0 - a - b) for a in steps for b in steps if a + b <= 1.0 + 1e-9]
    thresholds: tuple[str | float, ...] = ("otsu", 0.5, 1.0, 1.5)
    grid = itertools.product(weights, (2.0, 4.0), thresholds, (0, 2), (0, 128))
    return [
        replace(
            base,
            weights=(w[0], w[1], round(w[2], 2)),
            score_sigma_px=sig,
            threshold=thr,
            open_px=mo,
            close_px=mo,
            min_area_px=ma,
        )
        for w, sig, thr, mo, ma in grid
    ]


def tune(pairs: list[Pair], comps: list[dict[str, np.ndarray]]) -> tuple[RgbChangeParams, float]:
    best, best_f1 = RgbChangeParams(), -1.0
    for params in tuning_grid(RgbChangeParams()):
        f1 = pooled_scores(s for _, s in score_ours(pairs, comps, params)).f1
        if f1 > best_f1:
            best, best_f1 = params, f1
    return best, best_f1


def evaluate(root: Path, do_tune: bool) -> str:
    out: list[str] = []
    data = {ds: load_pairs(root / ds) for ds in DATASETS}
    for ds, (_, skipped) in data.items():
        if skipped:
            out.append(f"{ds}: skipped {', '.join(skipped)}")
    params = RgbChangeParams()
    comps = {ds: components_for(pairs, params) for ds, (pairs, _) in data.items()}
    tuned: dict[str, RgbChangeParams] = {}
    if do_tune:
        for ds in DATASETS:
            t0 = time.perf_counter()
            tuned[ds], f1 = tune(data[ds][0], comps[ds])
            out.append(
                f"tuned on {ds}: pooled F1 {f1:.3f} with {tuned[ds]} "
                f"({time.perf_counter() - t0:.0f} s)"
            )
    rows: list[Row] = []
    for ds, (pairs, _) in data.items():
        ours_kind = "ours, tuned on this set" if ds == "LEVIR" else "ours, unseen (tuned on LEVIR)"
        rows.append(
            Row(ds, "rgb_change_mask (defaults)", ours_kind, score_ours(pairs, comps[ds], params))
        )
        for src, p in tuned.items():
            kind = "ours, tuned on this set" if src == ds else f"ours, unseen (tuned on {src})"
            if p != params:
                rows.append(
                    Row(
                        ds, f"rgb_change_mask (--tune {src})", kind, score_ours(pairs, comps[ds], p)
                    )
                )
        rows.append(
            Row(
                ds,
                "IR-MAD RGB, alpha=0.01",
                "baseline",
                [(p.name, binary_scores(irmad(p.before, p.after).change, p.truth)) for p in pairs],
            )
        )
        rows.append(
            Row(
                ds,
                "CVA, Otsu",
                "baseline",
                [(p.name, binary_scores(cva(p.before, p.after).change, p.truth)) for p in pairs],
            )
        )
        rows.append(
            Row(
                ds,
                "everything changed",
                "trivial",
                [(p.name, binary_scores(np.ones_like(p.truth), p.truth)) for p in pairs],
            )
        )
        models, dupes = model_folders(root / ds)
        if dupes:
            out.append(f"{ds}: identical prediction folders counted once: {'; '.join(dupes)}")
        by_name = {p.name: p for p in pairs}
        covered: set[str] = set()
        for model, folder in models.items():
            scores = []
            for f in sorted(folder.glob("*.png")):
                if f.name in by_name:
                    pred = mask_from_labels(np.asarray(Image.open(f)))
                    scores.append((f.name, binary_scores(pred, by_name[f.name].truth)))
                    covered.add(f.name)
            rows.append(Row(ds, model, "published, trained", scores))
        if covered and covered != set(by_name):
            # the same pairs as the published models, for a like-for-like comparison
            for row in [r for r in rows if r.dataset == ds and r.kind != "published, trained"]:
                sub = [(n, sc) for n, sc in row.scores if n in covered]
                rows.append(Row(ds, row.method, f"{row.kind}; model pairs only", sub))
    out.append(HEADER)
    out.extend(r.line() for r in rows)
    return "\n".join(out)


def calibration(n_seeds: int = 20) -> str:
    """IR-MAD false-alarm rate on synthetic no-change pixels (Gaussian noise, per-band gain and
    offset between dates, a changed block excluded from the rate), and recall in the block."""
    lines = [
        "| bands | alpha | consistency | false-alarm rate (mean, min-max over seeds) | recall |",
        "|---|---|---|---|---|",
    ]
    for n_bands, alpha, consistent in itertools.product((4, 6), (0.01, 0.05), (True, False)):
        fars, recs = [], []
        for seed in range(n_seeds):
            rng = np.random.default_rng(seed)
            latent = rng.normal(size=(n_bands, 160, 160))
            mix = rng.normal(size=(n_bands, n_bands)) + 3.0 * np.eye(n_bands)
            surface = np.einsum("ij,jyx->iyx", mix, latent)
            before = surface + 0.3 * rng.normal(size=surface.shape)
            after = surface + 0.3 * rng.normal(size=surface.shape)
            block = np.zeros((160, 160), bool)
            block[40:80, 50:110] = True
            step = rng.normal(size=n_bands)
            after[:, block] += (3.0 * step / np.linalg.norm(step))[:, None]
            gain = rng.uniform(0.5, 2.0, n_bands)[:, None, None]
            res = irmad(before, gain * after + 5.0, alpha=alpha, consistency=consistent)
            fars.append(res.change[~block].mean())
            recs.append(res.change[block].mean())
        lines.append(
            f"| {n_bands} | {alpha} | {'yes' if consistent else 'no (Nielsen 2007)'} | "
            f"{np.mean(fars):.4f} ({np.min(fars):.4f}-{np.max(fars):.4f}) | {np.mean(recs):.3f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="change-pairs folder")
    ap.add_argument(
        "--tune", action="store_true", help="grid-search on each set, test on the other"
    )
    ap.add_argument(
        "--calibration", action="store_true", help="only the synthetic IR-MAD calibration table"
    )
    args = ap.parse_args(argv)
    if args.calibration:
        print(calibration())
        return 0
    if not args.root.is_dir():
        print(f"no data at {args.root}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    print(evaluate(args.root, args.tune))
    print(f"({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
