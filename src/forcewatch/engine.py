"""The Dask engine: join a cluster by address, or start a threaded local cluster.

Tasks receive plain values (paths, arrays, parameters), never store connections; the caller
writes results in transactions as they complete.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from forcewatch.errors import EngineError

log = logging.getLogger(__name__)
T = TypeVar("T")


def scheduler_address(explicit: str | None = None, configured: str | None = None) -> str | None:
    """The scheduler to join: ``--scheduler``, ``DASK_SCHEDULER_ADDRESS``, then the config."""
    return explicit or os.environ.get("DASK_SCHEDULER_ADDRESS") or configured or None


@contextmanager
def client(scheduler: str | None = None, workers: int | None = None) -> Iterator[Any]:
    """A ``distributed.Client``: connected to ``scheduler`` or to a threaded LocalCluster.

    The local cluster runs one worker process-free (threads only) sized to the machine, so
    numba/numpy kernels release the GIL and share memory. Raises EngineError when a given
    scheduler cannot be reached.
    """
    from distributed import Client, LocalCluster

    if scheduler:
        try:
            c = Client(scheduler, timeout="15s")
        except (OSError, TimeoutError, ValueError) as exc:  # ValueError: "dask-head", no port
            raise EngineError(
                f"cannot reach Dask scheduler at {scheduler} ({exc}); check the address "
                "or unset DASK_SCHEDULER_ADDRESS to run locally"
            ) from exc
        try:
            yield c
        finally:
            c.close()
        return
    n = workers or os.cpu_count() or 1
    if logging.getLogger().getEffectiveLevel() > logging.INFO:
        # the cluster's start-up chatter and its copy of a task's traceback are not the user's:
        # a failed unit is reported by the caller in one line (`-v` shows them)
        logging.getLogger("distributed").setLevel(logging.ERROR)
    cluster = LocalCluster(
        n_workers=1,
        threads_per_worker=n,
        processes=False,
        dashboard_address=":0",
        silence_logs=logging.WARNING,
    )
    c = Client(cluster)
    try:
        yield c
    finally:
        c.close()
        cluster.close()


def map_unordered(
    dask_client: Any,
    func: Callable[..., T],
    items: Sequence[Any],
    *args: Any,
) -> Iterator[tuple[Any, T | BaseException]]:
    """Run ``func(item, *args)`` for each item; yield (item, result or exception) as done."""
    from distributed import as_completed

    if not items:
        return
    futures = {}
    for item in items:
        fut = dask_client.submit(func, item, *args, pure=False)
        futures[fut.key] = (fut, item)
    for fut in as_completed([f for f, _ in futures.values()]):
        item = futures[fut.key][1]
        try:
            yield item, fut.result()
        except Exception as exc:  # a task failure is reported per item, not fatal to the run
            yield item, exc
