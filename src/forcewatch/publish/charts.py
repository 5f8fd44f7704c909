"""Static charts as inline SVG strings (matplotlib, no pyplot, no network).

Each function takes stored values and returns an ``<svg>`` element ready to inline in HTML:
no XML prolog, no fixed width/height (it scales with its container), text kept as text
(``svg.fonttype: none``) and element ids salted per chart so several charts share one page.
Colours for states are defined once here (``STATE_STYLE``) and reused by every legend.
"""

from __future__ import annotations

import io
import itertools
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import matplotlib
import numpy as np
import pandas as pd
import shapely
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from pyproj import Transformer
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from forcewatch.sites import ReferenceLine, Site, local_aeqd

matplotlib.use("Agg", force=False)


@dataclass(frozen=True)
class StateStyle:
    """How a state is drawn: fill colour, hatch pattern and the words of its legend entry."""

    color: str
    hatch: str | None
    label: str


STATE_STYLE: dict[str, StateStyle] = {
    "quiet": StateStyle("#c7e9c0", None, "quiet (seen, no change)"),
    "blind": StateStyle("#d0d0d0", "xxx", "blind (no usable view - NOT quiet)"),
    "conditions-changed": StateStyle("#fff1a8", "...", "conditions changed (not comparable)"),
    "build-up": StateStyle("#fdae6b", None, "build-up"),
    "draw-down": StateStyle("#9ecae1", None, "draw-down"),
    "unknown": StateStyle("#ffffff", None, "no state computed"),
}
ORBIT_COLORS = ("#1b9e77", "#7570b3", "#d95f02", "#e7298a", "#66a61e")
CLAIM_COLOR = "#b2182b"
_SVG_LOCK = threading.Lock()  # rcParams are global; one SVG serialisation at a time


def state_style(state: str) -> StateStyle:
    return STATE_STYLE.get(state, STATE_STYLE["unknown"])


def figure_svg(fig: Figure, chart_id: str, title: str) -> str:
    """Serialise a figure to an inline ``<svg>`` with a ``<title>`` for screen readers."""
    buf = io.StringIO()
    salt = re.sub(r"[^A-Za-z0-9]", "", chart_id) or "chart"
    with _SVG_LOCK, matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt}):
        fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = _prefix_ids(buf.getvalue(), salt)
    text = text[text.index("<svg") :]
    head_end = text.index(">")
    head = re.sub(r'\s(width|height)="[^"]*"', "", text[:head_end])
    head += f' role="img" aria-labelledby="{salt}-title" class="chart"'
    safe_title = title.replace("&", "&amp;").replace("<", "&lt;")
    return f'{head}><title id="{salt}-title">{safe_title}</title>{text[head_end + 1 :]}'


def _prefix_ids(svg: str, prefix: str) -> str:
    """Make every element id (and each reference to it) unique to this chart.

    matplotlib numbers its groups (``figure_1``, ``axes_1``) afresh in every SVG; inlined side
    by side in one page these would be duplicate ids.
    """
    ids = set(re.findall(r'\sid="([^"]+)"', svg))
    if not ids:
        return svg

    def rename(match: re.Match[str]) -> str:
        name = match.group(2)
        return f"{match.group(1)}{prefix}-{name}" if name in ids else match.group(0)

    svg = re.sub(r'(\sid=")([^"]+)(?=")', rename, svg)
    svg = re.sub(r"(url\(#)([^)]+)(?=\))", rename, svg)
    return re.sub(r'(href="#)([^"]+)(?=")', rename, svg)


# --- map ---------------------------------------------------------------------------------------


def _project(geom: BaseGeometry, tr: Transformer) -> BaseGeometry:
    def fwd(xy: np.ndarray) -> np.ndarray:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, fwd)


def _draw_lines(ax: object, geom: BaseGeometry, **style: object) -> None:
    for part in shapely.get_parts(geom):
        if part.is_empty:
            continue
        lines = part.boundary if part.geom_type == "Polygon" else part
        for line in shapely.get_parts(lines):
            x, y = line.xy
            ax.plot(np.asarray(x) / 1000.0, np.asarray(y) / 1000.0, **style)  # type: ignore[attr-defined]


def site_map_svg(
    sites: Sequence[Site],
    reference: ReferenceLine | None,
    bands_km: Sequence[float],
    latest_state: Mapping[str, str],
    chart_id: str = "map",
) -> str:
    """Map of the sites coloured by latest state, the reference line and distance-band edges.

    Drawn in an azimuthal-equidistant projection centred on the sites, axes in km; no tiles.
    """
    fig = Figure(figsize=(7.0, 6.0), dpi=100)
    ax = fig.add_subplot()
    if not sites:
        ax.text(0.5, 0.5, "no sites in the store", ha="center", transform=ax.transAxes)
        ax.set_axis_off()
        return figure_svg(fig, chart_id, "Map: no sites")
    lon = float(np.mean([s.centroid_lonlat[0] for s in sites]))
    lat = float(np.mean([s.centroid_lonlat[1] for s in sites]))
    tr = Transformer.from_crs("EPSG:4326", local_aeqd(lon, lat), always_xy=True)
    local_sites = [_project(s.geometry, tr) for s in sites]
    minx, miny, maxx, maxy = shapely.total_bounds(local_sites)
    pad = max(50_000.0, 0.2 * max(maxx - minx, maxy - miny))
    view = box(minx - pad, miny - pad, maxx + pad, maxy + pad)
    if reference is not None:
        ref = _project(reference.geometry, tr)
        reach = max(bands_km) * 1000.0 + pad
        ref = shapely.clip_by_rect(ref, *view.buffer(reach).bounds)
        if reference.is_area:
            for part in shapely.get_parts(ref):
                if part.geom_type == "Polygon" and not part.is_empty:
                    x, y = part.exterior.xy
                    ax.fill(np.asarray(x) / 1e3, np.asarray(y) / 1e3, color="#eeeeee", zorder=0)
        _draw_lines(ax, ref, color="black", linewidth=1.6, zorder=2)
        for edge in [b for b in bands_km if b > 0]:
            ring = ref.buffer(edge * 1000.0)  # for an area: outward from its edge
            _draw_lines(ax, ring, color="#555555", linewidth=0.7, linestyle="--", zorder=1)
            ring_box = shapely.clip_by_rect(ring.boundary, *view.bounds)
            if not ring_box.is_empty:
                pt = shapely.get_parts(ring_box)[0].interpolate(0.5, normalized=True)
                ax.text(pt.x / 1e3, pt.y / 1e3, f"{edge:g} km", fontsize=7, color="#333333")
    labels: list[tuple[float, float, str]] = []
    for site, geom in zip(sites, local_sites, strict=True):
        style = state_style(latest_state.get(site.name, "unknown"))
        c = geom.centroid
        ax.scatter(
            [c.x / 1e3],
            [c.y / 1e3],
            s=110,
            c=style.color,
            hatch=style.hatch,
            edgecolors="black",
            linewidths=0.8,
            zorder=4,
        )
        _draw_lines(ax, geom, color="black", linewidth=0.6, zorder=5)
        band = f" ({site.band} km)" if site.band and site.band[0].isdigit() else ""
        labels.append((c.x / 1e3, c.y / 1e3, site.name + band))
    # Sites a few km apart would print their labels over each other: place labels from the
    # top down, each at least one line below any label it would overlap, with a leader line.
    line_km = (view.bounds[3] - view.bounds[1]) / 1e3 / 38
    placed: list[tuple[float, float]] = []
    for x, y, text in sorted(labels, key=lambda item: -item[1]):
        ty = y
        for px, py in placed:
            if abs(px - x) < 12 * line_km and ty > py - line_km:
                ty = py - line_km
        placed.append((x, ty))
        ax.annotate(
            text,
            (x, y),
            xytext=(x + 0.6 * line_km, ty + 0.2 * line_km),
            textcoords="data",
            fontsize=8,
            arrowprops={"arrowstyle": "-", "lw": 0.5, "color": "#555555"} if ty != y else None,
        )
    ax.set_xlim(view.bounds[0] / 1e3, view.bounds[2] / 1e3)
    ax.set_ylim(view.bounds[1] / 1e3, view.bounds[3] / 1e3)
    ax.set_aspect("equal")
    ax.set_xlabel(f"km east of {lat:.2f}N {lon:.2f}E (azimuthal equidistant)")
    ax.set_ylabel("km north")
    handles = [Patch(facecolor="none", edgecolor="black", label="reference line")]
    handles.append(Patch(facecolor="none", edgecolor="#555555", ls="--", label="band edges"))
    shown = sorted({latest_state.get(s.name, "unknown") for s in sites})
    handles += [_state_patch(s) for s in shown]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, fontsize=8)
    return figure_svg(fig, chart_id, "Map of the watched sites coloured by latest state")


def _state_patch(state: str) -> Patch:
    st = state_style(state)
    return Patch(facecolor=st.color, hatch=st.hatch, edgecolor="#777777", label=st.label)


# --- time series -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Onset:
    """A detected onset: best date and an interval (both UTC dates), and a label."""

    when: pd.Timestamp
    lo: pd.Timestamp | None
    hi: pd.Timestamp | None
    label: str


def _state_spans(states: pd.DataFrame) -> list[tuple[pd.Timestamp, pd.Timestamp, str]]:
    """Contiguous runs of one state; each date covers half the gap to its neighbours."""
    if states.empty:
        return []
    times = list(states["acquired_utc"])
    labels = list(states["state"])
    mids = [a + (b - a) / 2 for a, b in itertools.pairwise(times)]
    half = pd.Timedelta(days=3)
    starts = [times[0] - half, *mids]
    ends = [*mids, times[-1] + half]
    spans: list[tuple[pd.Timestamp, pd.Timestamp, str]] = []
    for start, end, label in zip(starts, ends, labels, strict=True):
        if spans and spans[-1][2] == label:
            spans[-1] = (spans[-1][0], end, label)
        else:
            spans.append((start, end, str(label)))
    return spans


def series_svg(
    site: str,
    orbits: Mapping[str, pd.Series],
    fused: pd.Series | None,
    states: pd.DataFrame,
    claim_marks: Sequence[tuple[date, str]] = (),
    onsets: Sequence[Onset] = (),
    chart_id: str = "series",
) -> str:
    """Activity per orbit and fused, states shaded behind, claim dates and onsets marked.

    ``orbits`` maps geometry key to activity indexed by UTC time; ``states`` has
    ``acquired_utc`` and ``state`` columns, sorted by time.
    """
    fig = Figure(figsize=(7.5, 3.4), dpi=100)
    ax = fig.add_subplot()
    shown_states: list[str] = []
    for start, end, label in _state_spans(states):
        st = state_style(label)
        ax.axvspan(start, end, facecolor=st.color, hatch=st.hatch, edgecolor="#9a9a9a", lw=0)
        if label not in shown_states:
            shown_states.append(label)
    for i, (key, values) in enumerate(sorted(orbits.items())):
        color = ORBIT_COLORS[i % len(ORBIT_COLORS)]
        ax.plot(values.index, values.values, marker="o", ms=3, lw=1, color=color, label=key)
    if fused is not None and not fused.dropna().empty:
        ax.plot(fused.index, fused.values, color="black", lw=2, label="fused")
    ax.axhline(0.0, color="#666666", lw=0.5)
    marks = sorted((pd.Timestamp(when, tz="UTC"), label) for when, label in claim_marks)
    last_ts: pd.Timestamp | None = None
    row = 0
    for ts, label in marks:
        ax.axvline(ts, color=CLAIM_COLOR, ls="--", lw=1.2)
        # Claims a few days apart share a spot on the axis: step their labels down.
        row = row + 1 if last_ts is not None and (ts - last_ts).days < 20 else 0
        last_ts = ts
        ax.annotate(
            label,
            (ts, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(2, -10 - 9 * (row % 5)),
            textcoords="offset points",
            color=CLAIM_COLOR,
            fontsize=8,
        )
    for onset in onsets:
        ax.axvline(onset.when, color="#222222", lw=1.0)
        if onset.lo is not None and onset.hi is not None:
            ax.errorbar(
                [onset.when],
                [0.93],
                xerr=[[onset.when - onset.lo], [onset.hi - onset.when]],
                transform=ax.get_xaxis_transform(),
                fmt="v",
                color="#222222",
                capsize=3,
                ms=5,
            )
    ax.set_ylabel("activity (bright fraction\nabove background)")
    ax.set_title(site, loc="left", fontsize=11)
    fig.autofmt_xdate()
    handles, _ = ax.get_legend_handles_labels()
    handles += [_state_patch(s) for s in shown_states]
    if claim_marks:
        handles.append(Patch(facecolor="none", edgecolor=CLAIM_COLOR, ls="--", label="claim date"))
    if onsets:
        handles.append(Patch(facecolor="none", edgecolor="#222222", label="onset (interval)"))
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=3, fontsize=7)
    return figure_svg(fig, chart_id, f"Activity over time at {site}")


# --- distance bands ----------------------------------------------------------------------------


def band_chart_svg(weekly: pd.DataFrame, chart_id: str = "bands") -> str:
    """Stacked weekly activity by distance band. ``weekly``: index week start, columns bands."""
    fig = Figure(figsize=(7.5, 3.4), dpi=100)
    ax = fig.add_subplot()
    if weekly.empty:
        ax.text(0.5, 0.5, "no activity measured yet", ha="center", transform=ax.transAxes)
        ax.set_axis_off()
        return figure_svg(fig, chart_id, "Activity by distance band: no data")
    colors = matplotlib.colormaps["viridis"](np.linspace(0.1, 0.9, len(weekly.columns)))
    ax.stackplot(
        weekly.index,
        [weekly[c].to_numpy(dtype=float) for c in weekly.columns],
        labels=[f"{c} km" if c[0].isdigit() else str(c) for c in weekly.columns],
        colors=colors,
    )
    ax.set_ylabel("weekly activity, summed\nover sites (negatives as 0)")
    fig.autofmt_xdate()
    ax.legend(loc="upper left", fontsize=7, title="distance to reference", title_fontsize=7)
    return figure_svg(fig, chart_id, "Activity by distance band, weekly")
