"""Ground truth of the built-in scenario: vehicles per site over winter 2021-22.

The curves follow the dated public record in ``data/scenario_sites.yaml``. They drive the
simulator only: the analysis never reads them (tests compare its output against them).
Each knot is (date, vehicles inside the site polygon, vehicles in the surrounding ring).
"""

from __future__ import annotations

from datetime import date

import numpy as np

Knot = tuple[str, int, int]

TIMELINES: dict[str, list[Knot]] = {
    # Vacant on 2021-09-11; vehicle parks by 1 Nov; about 700 vehicles on 9 Dec; moved on.
    "Yelnya": [
        ("2021-09-01", 0, 0),
        ("2021-09-25", 0, 0),
        ("2021-11-01", 400, 0),
        ("2021-12-09", 700, 0),
        ("2022-01-10", 700, 0),
        ("2022-02-01", 250, 0),
        ("2022-02-23", 200, 0),
    ],
    "Kursk": [
        ("2021-09-01", 120, 0),
        ("2021-10-15", 120, 0),
        ("2021-11-20", 300, 0),
        ("2022-01-05", 300, 0),
        ("2022-02-05", 150, 0),
        ("2022-02-23", 150, 0),
    ],
    # Equipment left near Voronezh after the spring 2021 exercise.
    "Pogonovo": [
        ("2021-09-01", 350, 0),
        ("2021-10-20", 350, 0),
        ("2021-11-30", 450, 0),
        ("2022-01-10", 450, 0),
        ("2022-02-10", 200, 0),
        ("2022-02-23", 180, 0),
    ],
    # Rail hub: more trains after the withdrawal announcement.
    "Unecha": [
        ("2021-09-01", 30, 0),
        ("2021-12-01", 30, 0),
        ("2022-01-15", 150, 0),
        ("2022-02-14", 220, 0),
        ("2022-02-23", 320, 0),
    ],
    # Forward camps: filled in December-January; after 15 Feb dispersed onto fields and
    # tree lines (the ring) while more units arrived.
    "Klintsy": [
        ("2021-09-01", 20, 0),
        ("2021-11-25", 20, 0),
        ("2022-01-10", 350, 0),
        ("2022-02-14", 420, 0),
        ("2022-02-18", 330, 220),
        ("2022-02-23", 300, 320),
    ],
    "Lesnovka": [
        ("2021-09-01", 10, 0),
        ("2021-11-25", 10, 0),
        ("2022-01-10", 250, 0),
        ("2022-02-14", 300, 0),
        ("2022-02-18", 250, 170),
        ("2022-02-23", 220, 260),
    ],
    # The band under 20 km stayed empty until about 20 December.
    "Klimovo Air Base": [
        ("2021-09-01", 0, 0),
        ("2021-12-20", 0, 0),
        ("2022-01-31", 200, 0),
        ("2022-02-14", 260, 0),
        ("2022-02-18", 220, 170),
        ("2022-02-23", 200, 280),
    ],
    "Valuyki": [
        ("2021-09-01", 40, 0),
        ("2021-11-30", 40, 0),
        ("2022-01-15", 380, 0),
        ("2022-02-14", 420, 0),
        ("2022-02-18", 350, 220),
        ("2022-02-23", 320, 330),
    ],
    "Soloti": [
        ("2021-09-01", 60, 0),
        ("2021-11-30", 60, 0),
        ("2022-01-15", 400, 0),
        ("2022-02-14", 450, 0),
        ("2022-02-18", 380, 220),
        ("2022-02-23", 340, 340),
    ],
    "Opuk": [
        ("2021-09-01", 80, 0),
        ("2021-12-01", 80, 0),
        ("2022-01-20", 250, 0),
        ("2022-02-23", 300, 0),
    ],
}

# Whole-scene backscatter shifts (soil moisture, frozen ground): (first day, last day, factor).
WETNESS_EVENTS: list[tuple[str, str, float]] = [
    ("2021-11-19", "2021-11-25", 1.8),
    ("2022-01-05", "2022-01-11", 0.55),
]

# No acquisitions of a site before this date (an archive gap), so claims there are blind.
FIRST_PASS: dict[str, str] = {"Opuk": "2021-09-15"}


def vehicles_on(site: str, day: date) -> tuple[int, int]:
    """True vehicles (in polygon, in ring) at ``site`` on ``day`` (linear between knots)."""
    knots = TIMELINES[site]
    xs = np.array([date.fromisoformat(d).toordinal() for d, _, _ in knots], float)
    inside = np.interp(day.toordinal(), xs, [k[1] for k in knots])
    ring = np.interp(day.toordinal(), xs, [k[2] for k in knots])
    return int(round(inside)), int(round(ring))


def wetness_factor(day: date) -> float:
    """Scene-wide clutter multiplier on ``day`` (1.0 on ordinary days)."""
    for first, last, factor in WETNESS_EVENTS:
        if date.fromisoformat(first) <= day <= date.fromisoformat(last):
            return factor
    return 1.0
