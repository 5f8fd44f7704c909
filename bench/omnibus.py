"""Omnibus kernel benchmark: numba kernel vs a vectorised numpy reference, and chunked dask runs.

Default mode, one process, one random no-change stack (Gamma speckle, ENL 4.4, dual-pol):
runs the plain-numpy reference (loops over dates, vectorised over pixels; scipy.special for the
omnibus chi-square tail) and ``sequential_omnibus``, checks they agree (p-values to 1e-5
relative, identical change maps) and prints pixel-dates per second for both and the ratio.

``--large`` (run it alone: its peak RSS is the process's): a lazily generated random dask
array of ``size x size x dates`` (exponential speckle, ENL 1, generated block by block) through
``omnibus_dask`` with reductions only, reporting throughput and peak RSS.

    python bench/omnibus.py                    # 1000 x 1000 px x 30 dates
    python bench/omnibus.py --changed 0.2      # the same with 20 % of the pixels changing
    python bench/omnibus.py --large            # 10000 x 10000 x 30 via dask
    python bench/omnibus.py --large --size 20000
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time

import numpy as np
from scipy import special


def reference_omnibus(stack: np.ndarray, enl: float, alpha: float) -> dict[str, np.ndarray]:
    """Sequential omnibus (diagonal, complete stacks only) in vectorised numpy, float64.

    A different algorithm from the kernel's: one pass over dates with per-pixel run state
    (start, sums, omnibus p-value of the run from suffix sums, recomputed where a run restarts).
    """
    k, p = stack.shape[:2]
    shape = stack.shape[2:]
    x = stack.reshape(k, p, -1).astype(np.float64)
    n_px = x.shape[2]
    log_x = np.log(x).sum(axis=1)  # (k, P): sum over bands of ln x
    suffix_x = np.cumsum(x[::-1], axis=0)[::-1]
    suffix_log = np.cumsum(log_x[::-1], axis=0)[::-1]

    def p_q(ell: int, cols: np.ndarray) -> np.ndarray:
        """Omnibus p-value of the run from date ``ell`` to the end, for pixels ``cols``."""
        kk = k - ell
        ln_q = enl * (
            p * kk * np.log(kk) + suffix_log[ell, cols] - kk * np.log(suffix_x[ell][:, cols]).sum(0)
        )
        f = p * (kk - 1)
        rho = 1 - (kk - 1 / kk) / (6 * (kk - 1) * enl)
        omega2 = -f / 4 * (1 - 1 / rho) ** 2
        h = np.maximum(-rho * ln_q, 0.0)  # z / 2
        sf = special.gammaincc(f / 2, h)
        return np.clip(sf + omega2 * (special.gammaincc(f / 2 + 2, h) - sf), 0, 1)

    js = np.arange(k + 1, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        const = p * (js * np.log(js) - (js - 1) * np.log(js - 1))
        rho_j = 1 - (1 + 1 / (js * (js - 1))) / (6 * enl)
        om_j = -p / 4 * (1 - 1 / rho_j) ** 2
    start = np.zeros(n_px, np.int64)
    sums = x[0].copy()
    log_sums = log_x[0].copy()  # sum over bands of ln(run sums), carried from date to date
    p_values = np.empty((k - 1, n_px), np.float32)
    changes = np.zeros((k - 1, n_px), bool)
    direction = np.zeros((k - 1, n_px), np.int8)
    p_run = p_q(0, np.arange(n_px))  # omnibus p-value of each pixel's current run
    p_all = p_run.copy()
    for t in range(k - 1):
        new = x[t + 1]
        j = t + 2 - start  # images in the run including the new one
        ratio_up = (j - 1) * new > sums
        ratio_dn = (j - 1) * new < sums
        s_new = sums + new
        log_new = np.log(s_new).sum(0)
        ln_r = log_x[t + 1] + (j - 1) * log_sums - j * log_new + const[j]
        h = np.maximum(-rho_j[j] * enl * ln_r, 0.0)
        if p == 2:  # chi2 tails with 2 and 6 degrees of freedom
            pv = np.exp(-h) * (1 + om_j[j] * (h + h * h / 2))
        else:
            sf = special.gammaincc(0.5, h)
            pv = sf + om_j[j] * (special.gammaincc(2.5, h) - sf)
        pv = np.clip(pv, 0, 1)
        p_values[t] = pv
        change = (pv < alpha) & (p_run < alpha)
        changes[t] = change
        direction[t] = np.where(
            change, np.where(ratio_up.all(0), 1, np.where(ratio_dn.all(0), -1, 0)), 0
        )
        start = np.where(change, t + 1, start)
        sums = np.where(change, new, s_new)
        log_sums = np.where(change, log_x[t + 1], log_new)
        if t + 1 < k - 1 and change.any():
            restarted = np.flatnonzero(change)
            p_run[restarted] = p_q(t + 1, restarted)
    return {
        "p_values": p_values.reshape((k - 1,) + shape),
        "changes": changes.reshape((k - 1,) + shape),
        "direction": direction.reshape((k - 1,) + shape),
        "p_omnibus": p_all.astype(np.float32).reshape(shape),
    }


def _kernel_alone(stack: np.ndarray, enl: float, alpha: float, repeat: int) -> tuple[float, float]:
    """Best wall and CPU time of the parallel kernel writing into outputs allocated once.

    What ``sequential_omnibus`` runs, minus allocating its outputs: the arrays are made once (by
    ``_new_outputs``, as ``_run_kernel`` makes them) and written again on every call, so their
    pages are already mapped. Separates the kernel's speed from the operating system's cost of
    new memory.
    """
    from forcewatch.measure import omnibus

    k, _, ny, nx = stack.shape
    out = omnibus._new_outputs(k, ny, nx)
    start = omnibus._new_outputs(k, 1, 1)  # one pixel of each, holding the starting values
    bad = np.zeros(ny, np.int64)
    a32 = omnibus._ceil_f32(alpha)

    best_wall, best_cpu = np.inf, np.inf
    for _ in range(max(repeat, 5) + 1):  # the first call only maps the pages
        for arr, first in zip(out[1:], start[1:], strict=True):
            arr.fill(first.flat[0])  # the state _run_kernel starts from, reset outside the timing
        w, c = time.perf_counter(), time.process_time()
        omnibus._kernel_parallel(stack, float(enl), float(alpha), a32, out, bad)
        best_wall = min(best_wall, time.perf_counter() - w)
        best_cpu = min(best_cpu, time.process_time() - c)
    return best_wall, best_cpu


def _timed(fn, repeat: int):  # type: ignore[no-untyped-def]
    best_wall, best_cpu, result = np.inf, np.inf, None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        result = fn()
        best_wall = min(best_wall, time.perf_counter() - w)
        best_cpu = min(best_cpu, time.process_time() - c)
    return best_wall, best_cpu, result


def _machine() -> str:
    model = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as fh:
            model = next(line.split(":", 1)[1].strip() for line in fh if "model name" in line)
    except (OSError, StopIteration):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{model}, {os.cpu_count()} cores, load average {load:.2f} at start"


def _page_cost(k: int, ny: int, nx: int, repeat: int) -> tuple[float, float, int]:
    """Best wall time of writing every byte of ``sequential_omnibus``'s outputs (2 threads),
    into new arrays and into arrays already written once, and their size in bytes: what new
    pages cost on this machine, with no omnibus arithmetic at all."""
    import numba

    from forcewatch.measure import omnibus

    @numba.njit(parallel=True)
    def fill(a):  # type: ignore[no-untyped-def]
        for i in numba.prange(a.size):
            a[i] = 1

    def fill_all(arrays: tuple[np.ndarray, ...]) -> None:
        for a in arrays:
            fill(a.reshape(-1))

    fill_all(omnibus._new_outputs(k, 8, 8))  # compile
    fresh, again = np.inf, np.inf
    for _ in range(max(repeat, 5)):
        w = time.perf_counter()
        out = omnibus._new_outputs(k, ny, nx)
        fill_all(out)
        fresh = min(fresh, time.perf_counter() - w)
        w = time.perf_counter()
        fill_all(out)
        again = min(again, time.perf_counter() - w)
        del out
    return fresh, again, sum(a.nbytes for a in omnibus._new_outputs(k, 1, 1)) * ny * nx


def run_compare(
    ny: int, nx: int, dates: int, enl: float, alpha: float, repeat: int, changed: float = 0.0
) -> None:
    from forcewatch.measure.omnibus import sequential_omnibus

    rng = np.random.default_rng(0)
    stack = np.empty((dates, 2, ny, nx), np.float32)
    for t in range(dates):
        stack[t] = rng.gamma(enl, 1.0 / enl, (2, ny, nx)) * np.array([0.1, 0.02])[:, None, None]
    rows = round(changed * ny)
    stack[dates // 2 :, :, :rows] *= 3.0  # a block of rows (one area) 3x brighter from mid-series
    pixel_dates = dates * ny * nx
    print(f"machine: {_machine()}")
    print(f"stack: {dates} dates x 2 pols x {ny} x {nx} px, ENL {enl}, alpha {alpha}")
    if rows:
        print(
            f"change: rows 0-{rows - 1} ({rows / ny:.0%} of pixels) "
            f"3x brighter from date {dates // 2}"
        )
    sequential_omnibus(stack[:, :, :8, :8], enl, alpha)  # compile / load the cache
    ref_wall, ref_cpu, ref = _timed(lambda: reference_omnibus(stack, enl, alpha), 1)
    ours_wall, ours_cpu, ours = _timed(lambda: sequential_omnibus(stack, enl, alpha), repeat)
    kern_wall, kern_cpu = _kernel_alone(stack, enl, alpha, repeat)
    ok = ref["p_values"] > 1e-30
    rel = np.abs(ours.p_values[ok] - ref["p_values"][ok]) / ref["p_values"][ok]
    floor = np.all(ours.p_values[~ok] <= 1e-30)
    same = all(np.array_equal(getattr(ours, f), ref[f]) for f in ("changes", "direction"))
    pq_rel = np.max(np.abs(ours.p_omnibus - ref["p_omnibus"]) / np.maximum(ref["p_omnibus"], 1e-30))
    print(
        f"agreement: p-values max rel diff {rel.max():.2e} (tol 1e-5), tiny ones floored {floor};"
        f" p_omnibus max rel diff {pq_rel:.2e}; change and direction maps identical: {same}"
    )
    print(f"changes per interval (mean over intervals): {ours.changes.mean():.5f}")
    for name, wall, cpu in (
        ("numpy reference", ref_wall, ref_cpu),
        ("sequential_omnibus", ours_wall, ours_cpu),
    ):
        print(
            f"{name:>18}: {wall:7.3f} s wall, {cpu:7.3f} s CPU -> {pixel_dates / wall / 1e9:6.3f} "
            f"G pixel-dates/s wall, {pixel_dates / cpu / 1e9:6.3f} G/s per CPU-second"
        )
    print(f"ratio (wall): {ref_wall / ours_wall:.1f}x; ratio (CPU time): {ref_cpu / ours_cpu:.1f}x")
    print(
        f"kernel alone (outputs allocated once and reused, so no fresh pages): {kern_wall:.3f} s "
        f"wall, {kern_cpu:.3f} s CPU -> {pixel_dates / kern_wall / 1e9:.3f} G pixel-dates/s; "
        f"sequential_omnibus spends the other {max(ours_wall - kern_wall, 0.0) * 1e3:.0f} ms "
        "mostly on the first touch of its new output pages (zero-filled by the OS)"
    )
    fresh, again, nbytes = _page_cost(dates, ny, nx, repeat)
    print(
        f"the machine alone: writing {nbytes / 2**20:.0f} MiB (the outputs' size, no arithmetic) "
        f"takes {again * 1e3:.1f} ms into pages already mapped ({nbytes / again / 1e9:.1f} GB/s) "
        f"and {fresh * 1e3:.1f} ms into new ones"
    )
    verdicts = []
    for name, rate in (
        ("kernel alone", pixel_dates / kern_wall),
        ("end to end", pixel_dates / ours_wall),
    ):
        verdicts.append(f"{name} {rate / 1e9:.2f} G/s {'met' if rate >= 1e9 else 'MISSED'}")
    ratio = ref_wall / ours_wall
    print(
        f"targets: >= 1e9 pixel-dates/s on 2 cores: {'; '.join(verdicts)}; "
        f">= 8x numpy end to end: {ratio:.0f}x {'met' if ratio >= 8 else 'MISSED'}"
    )
    if not (rel.max() <= 1e-5 and floor and same):
        raise SystemExit("kernel and reference disagree")


def _random_block(block_info=None, *, dates: int, seed: int):  # type: ignore[no-untyped-def]
    loc = block_info[None]["chunk-location"]
    shape = block_info[None]["chunk-shape"]
    rng = np.random.default_rng([seed, loc[2], loc[3]])
    out = rng.standard_exponential(shape, dtype=np.float32)
    out[:, 1] *= 0.2  # VH darker than VV
    return out


def run_large(size: int, dates: int, alpha: float, chunk: int, workers: int) -> None:
    import dask
    import dask.array as da

    from forcewatch.measure.omnibus import omnibus_dask

    shape = (dates, 2, size, size)
    chunks = (dates, 2, chunk, chunk)
    lazy = da.map_blocks(
        _random_block,
        dates=dates,
        seed=1,
        dtype=np.float32,
        chunks=da.core.normalize_chunks(chunks, shape),
    )
    print(f"machine: {_machine()}")
    print(
        f"large: {dates} dates x 2 pols x {size} x {size} px "
        f"({lazy.nbytes / 2**30:.1f} GiB input), "
        f"chunks {chunk} x {chunk}, {workers} threads, ENL 1 (exponential speckle), alpha {alpha}"
    )
    with dask.config.set(scheduler="threads", num_workers=workers):
        wall = time.perf_counter()
        lazy[:, :, :8, :8].compute()  # warm-up: one block
        omnibus_dask(lazy[:, :, :8, :8], 1.0, alpha).compute()  # compile / load the cache
        res = omnibus_dask(lazy, 1.0, alpha, chunk_yx=(chunk, chunk))
        t0, c0 = time.perf_counter(), time.process_time()
        total, per_interval, any_change = dask.compute(
            res.count.sum(dtype=np.int64),
            res.changes.mean(axis=(1, 2)),
            (res.count > 0).mean(),
        )
        run, run_cpu = time.perf_counter() - t0, time.process_time() - c0
        rows = max(chunk, (size // 8) // chunk * chunk)  # generator alone, on 1/8 of the rows
        t1 = time.perf_counter()
        lazy[:, :, :rows].sum(dtype=np.float64).compute()
        gen = (time.perf_counter() - t1) * size / rows
    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    pixel_dates = dates * size * size
    print(
        f"changes: {total} in total, per interval {np.round(per_interval, 5).tolist()[:5]}..., "
        f"pixels with any change {any_change:.4f}"
    )
    print(
        f"omnibus_dask end to end: {run:.1f} s -> {pixel_dates / run / 1e9:.3f} G pixel-dates/s"
        f" (generating the input alone: ~{gen:.1f} s; without it ~{run - gen:.1f} s -> "
        f"~{pixel_dates / max(run - gen, 1e-9) / 1e9:.2f} G pixel-dates/s)"
    )
    print(f"CPU time of the omnibus_dask run (both threads, generator included): {run_cpu:.1f} s")
    print(f"peak RSS: {peak_gib:.2f} GiB (total wall {time.perf_counter() - wall:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--ny", type=int, default=1000)
    parser.add_argument("--nx", type=int, default=1000)
    parser.add_argument("--dates", type=int, default=30)
    parser.add_argument("--enl", type=float, default=4.4)
    parser.add_argument("--alpha", type=float, default=0.01)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--changed",
        type=float,
        default=0.0,
        help="fraction of the pixels (a block of rows) that change, 3x brighter from mid-series",
    )
    parser.add_argument("--large", action="store_true")
    parser.add_argument("--size", type=int, default=10000, help="--large: size x size pixels")
    parser.add_argument("--chunk", type=int, default=512, help="--large: block side in pixels")
    parser.add_argument("--workers", type=int, default=2, help="--large: dask threads")
    args = parser.parse_args()
    if args.large:
        run_large(args.size, args.dates, args.alpha, args.chunk, args.workers)
    else:
        run_compare(args.ny, args.nx, args.dates, args.enl, args.alpha, args.repeat, args.changed)


if __name__ == "__main__":
    main()
