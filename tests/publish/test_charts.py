"""Chart and chip helpers: inline SVG shape, state spans, onset forms, chip colours."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from affine import Affine
from PIL import Image

from forcewatch.imagery.load import SiteGrid
from forcewatch.publish import charts
from forcewatch.publish.chips import NODATA_RGB, ChipData, chip_png, shared_stretch, vv_index
from forcewatch.publish.context import onsets_from_states
from forcewatch.sites import Site, circle_polygon


def _states(*labels: str) -> pd.DataFrame:
    times = pd.date_range("2022-01-01", periods=len(labels), freq="6D", tz="UTC")
    return pd.DataFrame({"acquired_utc": times, "state": list(labels)})


def test_state_spans_merge_runs_and_meet_halfway() -> None:
    spans = charts._state_spans(_states("quiet", "quiet", "blind", "quiet"))
    assert [s[2] for s in spans] == ["quiet", "blind", "quiet"]
    assert spans[0][1] == spans[1][0] == pd.Timestamp("2022-01-10", tz="UTC")
    assert spans[1][1] == pd.Timestamp("2022-01-16", tz="UTC")


def test_blind_and_quiet_never_look_alike() -> None:
    blind, quiet = charts.state_style("blind"), charts.state_style("quiet")
    assert blind.hatch and not quiet.hatch and blind.color != quiet.color
    assert "NOT quiet" in blind.label


def test_series_svg_is_inline_scalable_and_titled() -> None:
    orbit = pd.Series([0.01, 0.02], index=pd.date_range("2022-01-01", periods=2, tz="UTC"))
    svg = charts.series_svg("Site <A>", {"s1:ro021": orbit}, None, _states("quiet", "blind"))
    head = svg[: svg.index(">")]
    assert svg.startswith("<svg") and "<?xml" not in svg
    assert " width=" not in head and " height=" not in head and "viewBox" in head
    assert "<title" in svg and "Site &lt;A&gt;" in svg
    assert "<pattern" in svg  # the hatched blind span


def test_two_charts_do_not_share_element_ids() -> None:
    orbit = pd.Series([0.01, 0.02], index=pd.date_range("2022-01-01", periods=2, tz="UTC"))
    a = charts.series_svg("A", {"k": orbit}, None, _states("quiet", "blind"), chart_id="a1")
    b = charts.series_svg("A", {"k": orbit}, None, _states("quiet", "blind"), chart_id="b2")
    ids_a = set(pd.Series(a.split('id="')[1:]).str.split('"').str[0])
    ids_b = set(pd.Series(b.split('id="')[1:]).str.split('"').str[0])
    assert ids_a and not ids_a & ids_b


@pytest.mark.parametrize(
    "details",
    [
        {"onset": {"date": "2022-02-04", "lo": "2022-01-31", "hi": "2022-02-08"}},
        {"onset": {"utc": "2022-02-04T00:00:00Z", "ci": ["2022-01-31", "2022-02-08"]}},
        {"onset_utc": "2022-02-04", "onset_lo_utc": "2022-01-31", "onset_hi_utc": "2022-02-08"},
    ],
)
def test_onsets_are_read_from_any_documented_form(details: dict) -> None:
    states = pd.DataFrame({"details": [details, {"dispersal": True}]})
    (onset,) = onsets_from_states(states)
    assert onset.when == pd.Timestamp("2022-02-04", tz="UTC")
    assert onset.lo == pd.Timestamp("2022-01-31", tz="UTC")
    assert onset.hi == pd.Timestamp("2022-02-08", tz="UTC")


def test_vv_band_is_found_by_name() -> None:
    assert vv_index("VH,VV") == 1 and vv_index("VV,VH") == 0 and vv_index(None) == 0


def test_chip_marks_no_data_apart_from_dark_pixels() -> None:
    db = np.full((40, 40), -30.0, np.float32)
    db[:, :10] = np.nan
    grid = SiteGrid("EPSG:32636", Affine(10, 0, 500_000, 0, -10, 5_800_000), (40, 40), 10.0)
    site = Site("x", circle_polygon(33.0, 52.3, 0.05))
    png = chip_png(ChipData(db, grid), site, (-25.0, 0.0), size_px=40)
    img = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    assert tuple(img[20, 2]) == NODATA_RGB
    assert tuple(img[20, 30]) == (0, 0, 0)


def test_shared_stretch_spans_both_chips() -> None:
    grid = SiteGrid("EPSG:32636", Affine(10, 0, 0, 0, -10, 0), (2, 2), 10.0)
    a = ChipData(np.full((2, 2), -20.0, np.float32), grid)
    b = ChipData(np.full((2, 2), 0.0, np.float32), grid)
    lo, hi = shared_stretch([a, b])
    assert lo == pytest.approx(-20.0, abs=0.5) and hi == pytest.approx(0.0, abs=0.5)
