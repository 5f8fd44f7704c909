"""What a user following the docs ran into (a sweep of README and docs/ against the CLI): each
test names what used to happen."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from forcewatch import __version__
from forcewatch.cli import _short_id, app
from forcewatch.scenario.simulate import ScenarioSpec
from tests.helpers import tiny_project


def test_version_works_without_a_command() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0, result.output  # was "Missing command", exit 2
    assert result.stdout.strip() == f"forcewatch {__version__}"


def test_listed_claim_ids_are_long_enough_to_be_used() -> None:
    ids = ["ru-mod-2022-02-15-a", "ru-mod-2022-02-16-b", "maxar-2021-11-01", "0123456789abcdef"]
    shown = [_short_id(i, ids) for i in ids]
    # was the first 8 characters: "ru-mod-2" twice, which `claims remove` refuses as ambiguous
    assert shown == ["ru-mod-2022-02-15", "ru-mod-2022-02-16", "maxar-20", "01234567"]
    for full, short in zip(ids, shown, strict=True):
        assert [i for i in ids if i.startswith(short)] == [full]


def test_one_scene_per_orbit_is_said_to_wait_and_json_has_iso_times(tmp_path: Path) -> None:
    spec = ScenarioSpec(
        start=date(2021, 12, 1), end=date(2021, 12, 6), revisit_days=12, radius_km=0.4,
        ring_km=0.2, margin_km=0.4, sites=("Klintsy",),
    )  # fmt: skip
    project, imagery = tiny_project(tmp_path / "p", spec)
    runner = CliRunner()
    ingested = runner.invoke(app, ["ingest", str(imagery), "--project", str(project.root)])
    assert ingested.exit_code == 0, ingested.output
    result = runner.invoke(app, ["analyze", "--project", str(project.root)])
    assert result.exit_code == 0, result.output
    # was "units: 0 measured, 0 already done of 0" and nothing else
    assert "wait for a second scene of the same orbit" in result.stderr
    assert "Klintsy s1:ro" in result.stderr
    as_json = runner.invoke(app, ["analyze", "--json", "--project", str(project.root)])
    waiting = json.loads(as_json.stdout)["waiting"]
    assert waiting and all(w.startswith("Klintsy s1:ro") for w in waiting)


def test_simulated_scenes_are_said_so_even_when_the_project_file_does_not(tmp_path: Path) -> None:
    project, imagery = tiny_project(tmp_path / "p")
    config = project.root / "forcewatch.yaml"
    config.write_text(config.read_text().replace("simulated: true", "simulated: false"))
    assert "simulated: false" in config.read_text()
    p = ["--project", str(project.root)]
    runner = CliRunner()
    for args in (
        ["ingest", str(imagery)],
        ["analyze"],
        ["claims", "add", "--speaker", "Russian Ministry of Defence", "--kind", "withdrawal",
         "--stated-on", "2022-01-10", "--quote", "units are returning", "--site", "Klintsy"],
    ):  # fmt: skip
        result = runner.invoke(app, [*args, *p])
        assert result.exit_code == 0, result.output
    # the table keyed the banner on the project file only; series and the JSON never said it
    assert "SIMULATED IMAGERY" in runner.invoke(app, ["verdicts", *p]).stdout
    assert "SIMULATED IMAGERY" in runner.invoke(app, ["series", "Klintsy", *p]).stdout
    verdicts = json.loads(runner.invoke(app, ["verdicts", "--json", *p]).stdout)
    assert verdicts and all(v["simulated"] is True for v in verdicts)
    rows = json.loads(runner.invoke(app, ["series", "Klintsy", "--json", *p]).stdout)
    assert rows and all(r["simulated"] is True for r in rows)
    assert all("T" in r["acquired_utc"] for r in rows)  # was "2021-12-01 15:40:00+00:00"


def test_a_watch_cycle_says_what_the_channels_took_not_sent_for_raised() -> None:
    from datetime import UTC, datetime

    from forcewatch.alerts import DeliveryReport
    from forcewatch.monitor import CycleResult

    now = datetime(2022, 2, 20, tzinfo=UTC)
    alerts = [{"id": i, "suppressed": i > 2} for i in range(1, 6)]
    quiet = CycleResult(1, "ok", now, now, alerts=alerts)
    # was "5 alert(s), 2 sent" with no channel configured, or with every channel failing
    assert "2 raised, 3 suppressed" in quiet.describe(channels=0)
    assert "no alert channel configured" in quiet.describe(channels=0)
    failing = CycleResult(
        1, "ok", now, now, alerts=alerts, deliveries=DeliveryReport(sent=0, failed=2)
    )
    assert "deliveries: 0 sent, 2 failed" in failing.describe(channels=1)
    assert "sent" not in CycleResult(2, "ok", now, now).describe(channels=1)


def test_serve_refuses_a_port_out_of_range_in_one_line(tmp_path: Path) -> None:
    project, _ = tiny_project(tmp_path / "p")
    result = CliRunner().invoke(app, ["serve", "--port", "99999", "-p", str(project.root)])
    # was "dashboard on ...", then a 40-line traceback from uvicorn
    assert result.exit_code != 0 and "dashboard on" not in result.output
    assert "1-65535" in str(result.exception)


def test_init_reads_the_watchlist_it_is_given(tmp_path: Path) -> None:
    bow = tmp_path / "bow.geojson"
    bow.write_text(
        json.dumps(
            {"type": "FeatureCollection", "features": [{"type": "Feature",
             "properties": {"name": "Bowtie"}, "geometry": {"type": "Polygon",
             "coordinates": [[[30, 50], [31, 51], [31, 50], [30, 51], [30, 50]]]}}]}
        )
    )  # fmt: skip
    result = CliRunner().invoke(app, ["init", str(tmp_path / "p"), "--watchlist", str(bow)])
    # was "Project ready", after which every `sites add` failed naming bow.geojson
    assert result.exit_code != 0 and "invalid polygon" in str(result.exception)
    assert not (tmp_path / "p" / "forcewatch.yaml").exists()


def test_claims_add_takes_what_the_ledger_holds(tmp_path: Path) -> None:
    project, _ = tiny_project(tmp_path / "p")
    p = ["--project", str(project.root)]
    result = CliRunner().invoke(
        app,
        ["claims", "add", *p, "--speaker", "Test", "--stated-on", "2022-01-10", "--kind",
         "movement", "--direction", "toward", "--quantity", "40", "--unit", "vehicles",
         "--places", "Belarus, Crimea", "--band-km", "0,50", "--quote", "40 vehicles moved"],
    )  # fmt: skip
    # a movement added on the command line had no direction, so nothing testable
    assert result.exit_code == 0, result.output
    listed = json.loads(CliRunner().invoke(app, ["claims", "list", "--json", *p]).stdout)
    c = next(x for x in listed if x["speaker"] == "Test")
    assert (c["direction"], c["quantity"], c["unit"]) == ("toward", 40, "vehicles")
    assert c["places"] == ["Belarus", "Crimea"] and c["band_km"] == [0, 50]


def test_detect_with_no_readable_image_writes_nothing_and_says_it_once(tmp_path: Path) -> None:
    bad = tmp_path / "z.png"
    bad.write_text("not an image")
    out = tmp_path / "det.geojson"
    result = CliRunner().invoke(app, ["detect", str(bad), "--out", str(out)])
    # was an empty table, "detections: det.geojson" and the failure said twice
    assert result.exit_code != 0 and not out.exists()
    assert "nothing written" in str(result.exception)
    assert result.stderr.count("skipped") == 1 and "skipping" not in result.stderr


def test_long_work_reports_progress_in_plain_lines_without_a_terminal(tmp_path: Path) -> None:
    project, imagery = tiny_project(tmp_path / "p")
    result = CliRunner().invoke(app, ["ingest", str(imagery), "--project", str(project.root)])
    assert result.exit_code == 0, result.output
    # was silent for the whole run when stderr was a log file or a pipe
    assert "ingest: " in result.stderr and "/" in result.stderr.split("ingest: ")[1]


def test_bundle_takes_the_claims_and_sites_the_report_takes(tmp_path: Path) -> None:
    import zipfile

    project, imagery = tiny_project(tmp_path / "p")
    p = ["--project", str(project.root)]
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(imagery), *p]).exit_code == 0
    out = tmp_path / "k.zip"
    result = runner.invoke(app, ["bundle", "--site", "Klintsy", "--out", str(out), *p])
    assert result.exit_code == 0, result.output  # was "No such option: --site"
    with zipfile.ZipFile(out) as z:
        sites = z.read("config/sites.geojson").decode()
    assert "Klintsy" in sites and "Valuyki" not in sites
