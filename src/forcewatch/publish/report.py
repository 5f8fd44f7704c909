"""The HTML report: one self-contained file a journalist can open offline, on a laptop or phone.

Styles are inlined, charts are inline SVG, image chips are PNG data URIs: the file references
nothing outside itself. ``--pdf`` prints it with headless Chromium when one is installed.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from forcewatch.config import Project
from forcewatch.publish import PublishError, charts, context
from forcewatch.publish.source import Evidence, Source, load_evidence, open_source
from forcewatch.store import repo
from forcewatch.store.db import Store

log = logging.getLogger(__name__)
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PDF_TIMEOUT_S = 120


def template_env() -> Environment:
    """The Jinja2 environment of ``publish/templates`` (HTML autoescaped, undefined is an error)."""
    return Environment(
        loader=PackageLoader("forcewatch.publish", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def methods_context(evidence: Evidence, source: Source) -> dict[str, Any]:
    """Tests, parameters, data sources, code version and limits for the methods section."""
    project = source.project
    config = project.config.model_dump(mode="json") if project else {}
    keys = ("sar", "assess", "sites", "imagery")
    shown: dict[str, Any] = {k: config[k] for k in keys if k in config}
    for key in ("watchlist", "reference"):
        shown.get("sites", {}).pop(key, None)
    shown.get("imagery", {}).pop("paths", None)
    runs = [
        {
            "id": r["id"],
            "command": r["command"],
            "started": r["started_utc"].strftime("%Y-%m-%d %H:%M") if r["started_utc"] else "",
            "status": r["status"],
            "params": context.as_params_table(dict(r.get("params") or {})),
            "code_version": r["code_version"],
        }
        for r in evidence.runs[-5:]
    ]
    return {
        "config": context.as_params_table(shown),
        "has_config": project is not None,
        "runs": runs,
        "params_hashes": evidence.params_hashes(),
        "code_versions": sorted({r["code_version"] for r in evidence.runs} | {repo.CODE_VERSION}),
        "sources": context.scene_sources(evidence),
        "blind": context.blind_periods(evidence),
        "res_m": project.config.imagery.grid_res_m if project else 10.0,
        "sar": project.config.sar if project else None,
        "assess": project.config.assess if project else None,
    }


def render_report(
    evidence: Evidence, source: Source, title: str | None = None, generated: datetime | None = None
) -> str:
    """The report's HTML text."""
    project = source.project
    res_m = project.config.imagery.grid_res_m if project else 10.0
    margin_km = project.config.sites.margin_km if project else 1.0
    sites = [s.site for s in evidence.sites]
    ctx = {
        "title": title or (project.config.name if project else "ForceWatch report"),
        "generated": (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC"),
        "code_version": repo.CODE_VERSION,
        "simulated": evidence.simulated,
        "claims": context.claim_rows(evidence.claims, evidence.verdicts),
        "verdict_words": context.VERDICT_WORDS,
        "map_svg": charts.site_map_svg(
            sites, evidence.reference, evidence.bands_km, evidence.latest_state
        ),
        "reference_name": evidence.reference.name if evidence.reference else None,
        "sites": context.site_rows(evidence),
        "chips": context.chip_pairs(evidence, res_m=res_m, margin_km=margin_km),
        "band_svg": charts.band_chart_svg(context.weekly_band_activity(evidence)),
        "methods": methods_context(evidence, source),
        "state_style": charts.STATE_STYLE,
    }
    return template_env().get_template("report.html.j2").render(**ctx)


def build_report(
    project_or_store: Project | Store | str | Path,
    out_path: str | Path,
    claim_ids: Sequence[str] | None = None,
    site_names: Sequence[str] | None = None,
    pdf: bool = False,
) -> Path:
    """Write the offline HTML report to ``out_path``; with ``pdf`` also print it to PDF.

    Returns the HTML path, or the PDF path (``out_path`` with suffix ``.pdf``) when ``pdf``.
    Raises InputError for unknown sites/claims, StoreError, PublishError (no Chromium, write
    failure).
    """
    source = open_source(project_or_store)
    evidence = load_evidence(source, site_names=site_names, claim_ids=claim_ids)
    html = render_report(evidence, source)
    out = Path(out_path)
    html_path = out.with_suffix(".html") if out.suffix.lower() == ".pdf" else out
    try:
        html_path.parent.mkdir(parents=True, exist_ok=True)
        html_path.write_text(html, encoding="utf-8")
    except OSError as exc:
        raise PublishError(f"cannot write the report to {html_path}: {exc}") from exc
    log.info("report written to %s (%d bytes)", html_path, len(html))
    if pdf:
        return print_pdf(html_path, html_path.with_suffix(".pdf"))
    return html_path


def find_chromium() -> str | None:
    """Path of an installed Chromium/Chrome, ``FORCEWATCH_CHROMIUM`` first; None if absent."""
    chosen = os.environ.get("FORCEWATCH_CHROMIUM")
    if chosen:
        return chosen if Path(chosen).is_file() else shutil.which(chosen)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def print_pdf(html_path: Path, pdf_path: Path) -> Path:
    """Print ``html_path`` to ``pdf_path`` with headless Chromium. Raises PublishError."""
    browser = find_chromium()
    chosen = os.environ.get("FORCEWATCH_CHROMIUM")
    if browser is None and chosen:
        raise PublishError(
            f"FORCEWATCH_CHROMIUM is {chosen!r}, which is no program here; point it at the "
            "Chromium or Chrome executable (e.g. /usr/bin/chromium), or unset it"
        )
    if browser is None:
        raise PublishError(
            "PDF needs Chromium, which is not installed; install it (Debian: "
            "apt-get install chromium) or set FORCEWATCH_CHROMIUM, or use the HTML report"
        )
    pdf_path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="forcewatch-chromium-") as profile:
        cmd = [
            browser,
            "--headless",
            "--disable-gpu",
            "--no-pdf-header-footer",
            f"--user-data-dir={profile}",
            f"--print-to-pdf={pdf_path.resolve()}",
            html_path.resolve().as_uri(),
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.insert(1, "--no-sandbox")  # Chromium refuses to start its sandbox as root
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=PDF_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PublishError(f"Chromium failed to print the PDF: {exc}") from exc
    if not pdf_path.is_file() or pdf_path.stat().st_size == 0:
        tail = (proc.stderr or "").strip().splitlines()[-1:] or ["no message"]
        raise PublishError(f"Chromium did not write {pdf_path} (exit {proc.returncode}: {tail[0]})")
    return pdf_path
