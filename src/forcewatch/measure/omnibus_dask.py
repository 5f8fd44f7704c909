"""Chunked sequential omnibus test over dask arrays, for stacks larger than memory.

Each block of whole time and pol axes runs the in-memory kernel of
``forcewatch.measure.omnibus`` single-threaded; pixels are independent, so the result equals the
in-memory one. Re-exported from ``forcewatch.measure.omnibus``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from forcewatch.errors import InputError

if TYPE_CHECKING:
    from forcewatch.measure.omnibus import OmnibusResult

__all__ = ["LazyOmnibusResult", "omnibus_dask"]

# The kernel and its checks are imported where used: omnibus.py re-exports this module, so a
# top-level import of it here would be circular.


def _omnibus_block(block: np.ndarray, enl: float, alpha: float) -> tuple[np.ndarray, ...]:
    """One dask block ``(time, pol, y, x)``: the kernel's seven outputs, single-threaded."""
    from forcewatch.measure.omnibus import _as_stack, _run_kernel

    return _run_kernel(_as_stack(block), enl, alpha, parallel=False)


@dataclass(frozen=True)
class LazyOmnibusResult:
    """``OmnibusResult`` as dask arrays (same fields, dims and dtypes), not yet computed.

    The fields share one task per block: compute them together (``compute()`` or
    ``dask.compute(r.count, r.first, ...)``) so the kernel runs once per block; reductions such
    as ``r.count.sum()`` stream block by block without holding the full maps.
    """

    p_values: Any
    changes: Any
    direction: Any
    p_omnibus: Any
    first: Any
    last: Any
    count: Any
    enl: float
    alpha: float

    def compute(self, **kwargs: Any) -> OmnibusResult:
        """Compute every field in one pass (``kwargs`` go to ``dask.compute``)."""
        import dask

        from forcewatch.measure.omnibus import _result

        fields = (
            self.p_values,
            self.changes,
            self.direction,
            self.p_omnibus,
            self.first,
            self.last,
            self.count,
        )
        return _result(dask.compute(*fields, **kwargs), self.enl, self.alpha)


def omnibus_dask(
    stack: Any, enl: float, alpha: float, *, chunk_yx: tuple[int, int] = (512, 512)
) -> LazyOmnibusResult:
    """Chunked ``sequential_omnibus`` for stacks larger than memory (a dask array, or any array).

    ``stack`` is ``(time, pol, y, x)`` as for ``sequential_omnibus``; it is rechunked to whole
    time and pol axes and ``chunk_yx`` pixels per block (memory per running block is about
    ``(4 p + 6) * time * chunk_y * chunk_x`` bytes: input plus outputs). Pixels are
    independent, so blocks need no overlap and the result equals the in-memory one. Shapes and
    parameters are checked at once; negative or infinite values raise ``InputError`` when the
    block holding them is computed. A block without valid data yields NaN p-values and no
    change (no all-NaN error here).
    """
    import dask
    import dask.array as da

    from forcewatch.measure.omnibus import _check_parameters

    arr = stack if isinstance(stack, da.Array) else da.asarray(stack)
    if arr.dtype.kind not in "fiu":
        raise InputError(f"stack must hold real intensities; got dtype {arr.dtype}")
    _check_parameters(tuple(int(s) for s in arr.shape), enl, alpha)
    k, p = int(arr.shape[0]), int(arr.shape[1])
    arr = arr.rechunk((k, p, chunk_yx[0], chunk_yx[1]))
    specs = (  # (dtype, has the interval axis) of the kernel's outputs, in order
        (np.float32, True),
        (np.bool_, True),
        (np.int8, True),
        (np.float32, False),
        (np.int16, False),
        (np.int16, False),
        (np.int16, False),
    )
    blocks = arr.to_delayed()
    grid: list[list[list[Any]]] = [[[] for _ in arr.chunks[3]] for _ in arr.chunks[2]]
    for i, rows in enumerate(arr.chunks[2]):
        for j, cols in enumerate(arr.chunks[3]):
            outs = dask.delayed(_omnibus_block, pure=True, nout=len(specs))(
                blocks[0, 0, i, j], float(enl), float(alpha)
            )
            for out, (dtype, lead) in zip(outs, specs, strict=True):
                shape = (k - 1, rows, cols) if lead else (rows, cols)
                grid[i][j].append(da.from_delayed(out, shape=shape, dtype=dtype))
    fields = [
        da.block([[grid[i][j][f] for j in range(len(grid[0]))] for i in range(len(grid))])
        for f in range(len(specs))
    ]
    p_values, changes, direction, p_omnibus, first, last, count = fields
    return LazyOmnibusResult(
        p_values=p_values,
        changes=changes,
        direction=direction,
        p_omnibus=p_omnibus,
        first=first,
        last=last,
        count=count,
        enl=float(enl),
        alpha=float(alpha),
    )
