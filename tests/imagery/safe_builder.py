"""A synthetic Sentinel-1 GRD SAFE product for tests, with closed-form LUTs and geolocation.

The calibration LUT (``sigma_lut``), thermal noise (``noise_range`` x ``noise_azimuth``) and
geolocation (``LinearGeo``) are linear in (line, pixel), so the readers' interpolation of them is
exact and ``expected_sigma0`` is the truth at every pixel, computed without the readers' code.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning

from forcewatch.imagery.sentinel1 import parse_safe_name

NAME = "S1A_IW_GRDH_1SDV_20220110T041234_20220110T041259_041400_04ECAB_1F2E.SAFE"
STEM = "s1a-iw-grd-vv-20220110t041234-20220110t041259-041400-04ecab-001"
LINES, SAMPLES = 50, 80
_POL_ORDER = ("VV", "VH", "HH", "HV")
_NS = (
    'xmlns:safe="http://www.esa.int/safe/sentinel-1.0" '
    'xmlns:s1="http://www.esa.int/safe/sentinel-1.0/sentinel-1" '
    'xmlns:s1sarl1="http://www.esa.int/safe/sentinel-1.0/sentinel-1/sar/level-1" '
    'xmlns:gml="http://www.opengis.net/gml" xmlns:xfdu="urn:ccsds:schema:xfdu:1"'
)


@dataclass(frozen=True)
class LinearGeo:
    """Image ``(line, pixel)`` (sample centres) -> ``(lon, lat)`` degrees, affine."""

    lon0: float
    lat0: float
    lon_per_line: float
    lon_per_pixel: float
    lat_per_line: float
    lat_per_pixel: float

    def lonlat(self, line: np.ndarray | float, pixel: np.ndarray | float) -> tuple[Any, Any]:
        lon = self.lon0 + self.lon_per_line * line + self.lon_per_pixel * pixel
        lat = self.lat0 + self.lat_per_line * line + self.lat_per_pixel * pixel
        return lon, lat

    def line_pixel(self, lon: np.ndarray | float, lat: np.ndarray | float) -> tuple[Any, Any]:
        """The inverse: fractional ``(line, pixel)`` of lon/lat degrees."""
        a, b = self.lon_per_line, self.lon_per_pixel
        c, d = self.lat_per_line, self.lat_per_pixel
        det = a * d - b * c
        dlon, dlat = np.asarray(lon) - self.lon0, np.asarray(lat) - self.lat0
        return (d * dlon - b * dlat) / det, (-c * dlon + a * dlat) / det


# Pixel (0, 0) at 50.1 N 36.2 E, ~10 m samples: where the first tests' single tie point was.
DEFAULT_GEO = LinearGeo(36.2, 50.1, 0.00002, 0.00014, -0.00009, 0.00001)


def sigma_lut(line: np.ndarray | float, pixel: np.ndarray | float) -> np.ndarray | float:
    return 500.0 + 0.5 * line + 0.1 * pixel  # bilinear in (line, pixel): interpolation is exact


def noise_range(line: np.ndarray | float, pixel: np.ndarray | float) -> np.ndarray | float:
    return 2000.0 + 10.0 * pixel + 3.0 * line


def _swath_split(samples: int) -> int:
    """Last pixel of the first of two noise swath blocks."""
    return samples // 2 - 1


def expected_sigma0(dn: np.ndarray, noise: bool) -> np.ndarray:
    """``(DN**2 - eta) / A**2`` from the closed-form LUTs (float64); NaN where DN is 0."""
    lines, samples = dn.shape
    rows, cols = np.mgrid[0:lines, 0:samples].astype(np.float64)
    a = np.asarray(sigma_lut(rows, cols))
    eta = np.zeros_like(a)
    if noise:
        az = np.where(cols <= _swath_split(samples), 1.0 + 0.002 * rows, 0.8)
        eta = np.asarray(noise_range(rows, cols)) * az
    out = np.maximum(dn.astype(np.float64) ** 2 - eta, 0.0) / a**2
    out[(out <= 0) & (dn > 0)] = 1e-5
    out[dn == 0] = np.nan
    return out


def _axis(n: int, k: int) -> list[int]:
    return sorted({int(v) for v in np.linspace(0, n - 1, k).round()})


def _vector_xml(tag: str, line: int, pixels: list[int], lut: str, values: list[float]) -> str:
    px = " ".join(str(p) for p in pixels)
    vals = " ".join(f"{v:.6e}" for v in values)
    return (
        f"<{tag}><azimuthTime>2022-01-10T04:12:34.000000</azimuthTime><line>{line}</line>"
        f'<pixel count="{len(pixels)}">{px}</pixel><{lut} count="{len(pixels)}">{vals}</{lut}>'
        f"</{tag}>"
    )


def _annotation_xml(shape: tuple[int, int], geo: LinearGeo) -> str:
    lines, samples = shape
    points = []
    for ln in _axis(lines, 5):
        for px in _axis(samples, 6):
            lon, lat = geo.lonlat(np.float64(ln), np.float64(px))
            points.append(
                f"<geolocationGridPoint><line>{ln}</line><pixel>{px}</pixel>"
                f"<latitude>{lat:.10f}</latitude><longitude>{lon:.10f}</longitude>"
                "<height>150.0</height><incidenceAngle>30.5</incidenceAngle>"
                "</geolocationGridPoint>"
            )
    return (
        "<product><imageAnnotation><imageInformation>"
        "<rangePixelSpacing>1.0e+01</rangePixelSpacing>"
        "<azimuthPixelSpacing>1.0e+01</azimuthPixelSpacing>"
        f"<numberOfSamples>{samples}</numberOfSamples><numberOfLines>{lines}</numberOfLines>"
        "</imageInformation></imageAnnotation><geolocationGrid><geolocationGridPointList>"
        + "".join(points)
        + "</geolocationGridPointList></geolocationGrid></product>"
    )


def _calibration_xml(shape: tuple[int, int]) -> str:
    lines, samples = shape
    pixels = _axis(samples, 5)
    cal = "".join(
        _vector_xml(
            "calibrationVector",
            ln,
            pixels,
            "sigmaNought",
            [float(sigma_lut(ln, p)) for p in pixels],
        )
        for ln in _axis(lines, 3)
    )
    return f"<calibration><calibrationVectorList>{cal}</calibrationVectorList></calibration>"


def _noise_xml(shape: tuple[int, int]) -> str:
    lines, samples = shape
    last_line, last_px, split = lines - 1, samples - 1, _swath_split(samples)
    # range vectors with their own pixel grids, as real GRD noise files have
    rng_vec = "".join(
        _vector_xml(
            "noiseRangeVector",
            ln,
            pixels,
            "noiseRangeLut",
            [float(noise_range(ln, p)) for p in pixels],
        )
        for ln, pixels in ((0, _axis(samples, 3)), (last_line, _axis(samples, 4)))
    )
    az = (
        "<noiseAzimuthVector><swath>IW1</swath><firstAzimuthLine>0</firstAzimuthLine>"
        f"<firstRangeSample>0</firstRangeSample><lastAzimuthLine>{last_line}</lastAzimuthLine>"
        f'<lastRangeSample>{split}</lastRangeSample><line count="2">0 {last_line}</line>'
        f'<noiseAzimuthLut count="2">1.0 {1.0 + 0.002 * last_line:.6f}</noiseAzimuthLut>'
        "</noiseAzimuthVector>"
        "<noiseAzimuthVector><swath>IW2</swath><firstAzimuthLine>0</firstAzimuthLine>"
        f"<firstRangeSample>{split + 1}</firstRangeSample>"
        f"<lastAzimuthLine>{last_line}</lastAzimuthLine>"
        f'<lastRangeSample>{last_px}</lastRangeSample><line count="1">0</line>'
        '<noiseAzimuthLut count="1">0.8</noiseAzimuthLut></noiseAzimuthVector>'
    )
    return (
        f"<noise><noiseRangeVectorList>{rng_vec}</noiseRangeVectorList>"
        f"<noiseAzimuthVectorList>{az}</noiseAzimuthVectorList></noise>"
    )


def _manifest_xml(name: str, pols: tuple[str, ...], stems: list[str], corners: str) -> str:
    product = parse_safe_name(name)
    files = "".join(
        f'<dataObject ID="{kind}{i}"><byteStream><fileLocation locatorType="URL" '
        f'href="./{folder}/{prefix}{stem}.{ext}"/></byteStream></dataObject>'
        for i, stem in enumerate(stems)
        for kind, folder, prefix, ext in (
            ("product", "annotation", "", "xml"),
            ("calibration", "annotation/calibration", "calibration-", "xml"),
            ("noise", "annotation/calibration", "noise-", "xml"),
            ("measurement", "measurement", "", "tiff"),
        )
    )
    start = product.start_utc.strftime("%Y-%m-%dT%H:%M:%S") + ".123456"
    stop = product.stop_utc.strftime("%Y-%m-%dT%H:%M:%S") + ".654321"
    pol_xml = "".join(
        f"<s1sarl1:transmitterReceiverPolarisation>{p}</s1sarl1:transmitterReceiverPolarisation>"
        for p in pols
    )
    rel = product.relative_orbit
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><xfdu:XFDU {_NS}><metadataSection>'
        "<safe:platform><safe:familyName>SENTINEL-1</safe:familyName>"
        f"<safe:number>{product.mission[-1]}</safe:number><safe:instrument><safe:extension>"
        f"<s1sarl1:instrumentMode><s1sarl1:mode>{product.mode}</s1sarl1:mode>"
        "</s1sarl1:instrumentMode></safe:extension></safe:instrument></safe:platform>"
        f"<safe:orbitReference><safe:orbitNumber type='start'>{product.absolute_orbit}"
        f"</safe:orbitNumber><safe:relativeOrbitNumber type='start'>{rel}"
        "</safe:relativeOrbitNumber><safe:extension><s1:orbitProperties>"
        "<s1:pass>DESCENDING</s1:pass></s1:orbitProperties></safe:extension>"
        "</safe:orbitReference>"
        f"<s1sarl1:standAloneProductInformation>{pol_xml}"
        f"<s1sarl1:productType>{product.product_type}</s1sarl1:productType>"
        "</s1sarl1:standAloneProductInformation>"
        f"<safe:acquisitionPeriod><safe:startTime>{start}</safe:startTime>"
        f"<safe:stopTime>{stop}</safe:stopTime></safe:acquisitionPeriod>"
        f"<safe:frameSet><safe:frame><safe:footPrint><gml:coordinates>{corners}"
        "</gml:coordinates></safe:footPrint></safe:frame></safe:frameSet>"
        f"</metadataSection><dataObjectSection>{files}</dataObjectSection></xfdu:XFDU>"
    )


def make_safe(
    root: Path,
    dn: np.ndarray | Mapping[str, np.ndarray],
    with_noise: bool = True,
    *,
    name: str = NAME,
    geo: LinearGeo = DEFAULT_GEO,
    with_calibration: bool = True,
    manifest_pols: tuple[str, ...] | None = None,
    annotation_shape: tuple[int, int] | None = None,
) -> Path:
    """Write ``root/name``: uint16 measurement TIFFs (an array is VV only), annotations with a
    geolocation grid from ``geo``, calibration (unless ``with_calibration`` is False) and noise
    XMLs, and a manifest listing ``manifest_pols`` (default: the polarisations written), the
    name's times and orbits and the footprint of the image corners. ``annotation_shape``
    (lines, samples) overrides the image size the XMLs describe. Returns the SAFE path."""
    layers = {"VV": dn} if isinstance(dn, np.ndarray) else dict(dn)
    pols = tuple(p for p in _POL_ORDER if p in layers)
    shape = annotation_shape or layers[pols[0]].shape
    product = parse_safe_name(name)
    safe = root / name
    (safe / "measurement").mkdir(parents=True)
    (safe / "annotation" / "calibration").mkdir(parents=True)
    stems = []
    for i, pol in enumerate(pols):
        stem = (
            f"{product.mission.lower()}-{product.mode.lower()}-grd-{pol.lower()}-"
            f"{product.start_utc:%Y%m%dt%H%M%S}-{product.stop_utc:%Y%m%dt%H%M%S}-"
            f"{product.absolute_orbit:06d}-{product.datatake_id.lower()}-{i + 1:03d}"
        )
        stems.append(stem)
        data = layers[pol]
        height, width = data.shape
        profile = {"driver": "GTiff", "dtype": "uint16", "width": width, "height": height}
        with warnings.catch_warnings():  # image geometry: no geotransform, as in real GRD TIFFs
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(
                safe / "measurement" / f"{stem}.tiff", "w", count=1, **profile
            ) as ds:
                ds.write(data, 1)
        (safe / "annotation" / f"{stem}.xml").write_text(_annotation_xml(shape, geo))
        cal_dir = safe / "annotation" / "calibration"
        if with_calibration:
            (cal_dir / f"calibration-{stem}.xml").write_text(_calibration_xml(shape))
        if with_noise:
            (cal_dir / f"noise-{stem}.xml").write_text(_noise_xml(shape))
    last_line, last_px = shape[0] - 1, shape[1] - 1
    corner_px = ((0, 0), (0, last_px), (last_line, last_px), (last_line, 0))
    corners = " ".join(
        f"{lat:.6f},{lon:.6f}"
        for lon, lat in (geo.lonlat(np.float64(ln), np.float64(px)) for ln, px in corner_px)
    )
    (safe / "manifest.safe").write_text(_manifest_xml(name, manifest_pols or pols, stems, corners))
    return safe
