"""Fetching Sentinel-1/2 scenes from STAC into the local cache, clipped to each site's grid.

For each site and each configured source (``stac:`` in ``forcewatch.yaml``): search for items
over the site's grid footprint (a STAC API through pystac-client, or a static catalog through
pystac); resolve each Sentinel-1 item's relative orbit; drop duplicates (one slice from two
providers, or a reprocessed item: the newest processing is kept); group the slices of one pass
into one scene; load the scene lazily with odc-stac onto the site's fixed grid; write it as a
cloud-optimised GeoTIFF with a STAC item sidecar, atomically; register it with
:func:`forcewatch.pipeline.ingest`. A scene already in the cache is not fetched again.

Network calls are retried with exponential back-off; what still fails is reported per item in
:class:`FetchSummary` and the run goes on. Values are written as the provider serves them:
Sentinel-1 RTC assets are linear (power) gamma0, tagged ``UNITS=linear``; see docs/stac.md.

The work is split by concern: :mod:`.sources` (settings, retries, item sources, signing),
:mod:`.grouping` (relative orbits, duplicates, passes), :mod:`.scenes` (loading with odc-stac,
COG and sidecar writing) and :mod:`.fetching` (the :func:`fetch` step).
"""

# The retries sleep through the ``time`` module; tests patch ``stac.time.sleep``.
import time as time

from forcewatch.imagery.stac.fetching import FetchSummary, fetch
from forcewatch.imagery.stac.grouping import (
    Candidate,
    drop_duplicates,
    group_passes,
    make_candidate,
    resolve_relative_orbit,
)
from forcewatch.imagery.stac.sources import FetchOptions, RetryPolicy, with_retries

__all__ = [
    "Candidate",
    "FetchOptions",
    "FetchSummary",
    "RetryPolicy",
    "drop_duplicates",
    "fetch",
    "group_passes",
    "make_candidate",
    "resolve_relative_orbit",
    "with_retries",
]
