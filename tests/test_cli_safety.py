"""Commands that could destroy what a project holds refuse, in one line (found by a robustness
sweep of the CLI: each test names what used to happen)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from forcewatch.cli import app
from forcewatch.errors import ForceWatchError
from tests.helpers import tiny_project

SQLITE_MAGIC = b"SQLite format 3\x00"


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "p"
    tiny_project(folder)
    result = CliRunner().invoke(
        app,
        ["claims", "add", "--project", str(folder), "--speaker", "Russian Ministry of Defence",
         "--kind", "withdrawal", "--stated-on", "2022-02-15", "--quote", "units are returning"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return folder


def _refused(folder: Path, args: list[str], says: str) -> None:
    result = CliRunner().invoke(app, [*args, "--project", str(folder)])
    assert isinstance(result.exception, ForceWatchError), result.output
    assert says in str(result.exception) and "\n" not in str(result.exception)


@pytest.mark.parametrize(
    "args",
    [
        ["claims", "export", "forcewatch.db"],
        ["report", "--out", "forcewatch.db"],
        ["bundle", "--out", "forcewatch.db"],
        ["export", "--format", "gpkg", "--out", "forcewatch.db"],
    ],
)
def test_no_output_is_written_over_the_store(
    project: Path, args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    _refused(project, args, "the project's store")  # each wrote over it, exit 0
    assert (project / "forcewatch.db").read_bytes()[:16] == SQLITE_MAGIC
    listed = CliRunner().invoke(app, ["claims", "list", "--project", str(project)])
    assert listed.exit_code == 0 and "units are returning" in listed.output


def test_no_output_is_written_over_the_configuration_or_an_input(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    before = (project / "forcewatch.yaml").read_text()
    _refused(project, ["claims", "export", "forcewatch.yaml"], "configuration")
    assert (project / "forcewatch.yaml").read_text() == before
    image = next((project / "imagery").rglob("*.tif"))
    result = CliRunner().invoke(app, ["detect", str(image), "--out", str(image)])
    assert isinstance(result.exception, ForceWatchError)  # it wrote GeoJSON over the image
    assert "one of the inputs" in str(result.exception)


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_claim_dated_outside_any_imagery_is_refused(project: Path, day: str) -> None:
    # 0001-01-01 was stored, then verdicts, report and bundle crashed for the whole project;
    # 9999-12-31 crashed `claims add` with an OverflowError
    _refused(
        project,
        ["claims", "add", "--speaker", "X", "--kind", "withdrawal", "--stated-on", day,
         "--quote", "q"],
        "outside 1950-2100",
    )  # fmt: skip
    listed = CliRunner().invoke(app, ["claims", "list", "--project", str(project), "--json"])
    assert listed.exit_code == 0 and listed.output.count('"id"') == 1


def test_the_demo_does_not_write_into_a_real_project(project: Path) -> None:
    config = project / "forcewatch.yaml"
    config.write_text(config.read_text().replace("simulated: true", "simulated: false"))
    # it added 11 simulated claims and ~300 simulated scenes to the store, exit 0
    result = CliRunner().invoke(app, ["demo", "--out", str(project)])
    assert isinstance(result.exception, ForceWatchError)
    assert "not the simulated demo" in str(result.exception)
    listed = CliRunner().invoke(app, ["claims", "list", "--project", str(project), "--json"])
    assert listed.output.count('"id"') == 1


def test_adding_a_site_under_a_taken_name_needs_replace(project: Path) -> None:
    args = ["sites", "add", "Klintsy", "--lat", "60", "--lon", "30"]
    # it replaced the site's geometry silently ("updated"); the next analyze dropped its data
    _refused(project, args, "pass --replace")
    result = CliRunner().invoke(app, [*args, "--replace", "--project", str(project)])
    assert result.exit_code == 0 and "updated" in result.output


def test_a_scene_with_nothing_valid_on_a_site_blinds_that_date_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import rasterio

    from forcewatch.pipeline import analyze, ingest, store_for
    from forcewatch.store import repo

    project, imagery = tiny_project(tmp_path / "p")
    scene = sorted(imagery.rglob("*.tif"))[2]
    with rasterio.open(scene, "r+") as ds:
        ds.write(-abs(ds.read()))  # dB values in a file tagged linear
    ingest(project, [imagery])
    # the unit failed whole, with ~45 lines of Dask logs and a traceback
    summary = analyze(project)
    assert summary.failures == [] and summary.units_measured == summary.units_total
    assert str(scene) in caplog.text and "sar_units: db" in caplog.text
    store = store_for(project)
    try:
        rows = repo.measurements_frame(store)
    finally:
        store.dispose()
    blind = rows[(rows.metric == "valid_frac") & (rows.value == 0)]
    assert len(blind) >= 1 and rows.metric.nunique() > 5


def test_ingest_names_a_scene_whose_file_is_gone(tmp_path: Path) -> None:
    from forcewatch.pipeline import ingest

    project, imagery = tiny_project(tmp_path / "p")
    ingest(project, [imagery])
    gone = sorted(imagery.rglob("*.tif"))[1]
    gone.unlink()
    summary = ingest(project, [imagery])
    assert summary.missing == [str(gone)]  # was "N unchanged", and the date silently dropped


def test_an_unforeseen_error_is_one_line_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import logging

    from forcewatch import cli

    def broken() -> None:
        raise ValueError("could not convert string to float: 'abc'\nsecond line [units]")

    monkeypatch.setattr(cli, "app", broken)
    monkeypatch.setattr(logging.getLogger(), "level", logging.WARNING)
    with pytest.raises(SystemExit) as exited:
        cli.main()  # was a Python traceback
    captured = capsys.readouterr()
    said = " ".join((captured.out + captured.err).split())
    assert exited.value.code == 1
    assert said.startswith("error: ValueError: could not convert string to float: 'abc'")
    assert "-v" in said and "Traceback" not in said and "second line" not in said


def test_more_inputs_that_ended_in_tracebacks(tmp_path: Path) -> None:
    from forcewatch.claims.article import read_index
    from forcewatch.claims.ledger import load_ledger
    from forcewatch.config import load_project
    from forcewatch.engine import client
    from forcewatch.errors import EngineError, InputError
    from forcewatch.measure.objects.labels import _text
    from forcewatch.pipeline import init_project

    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(InputError, match="is a file; give a folder"):
        init_project(afile)  # FileExistsError
    with pytest.raises(InputError, match="cannot create the project folder"):
        init_project(afile / "sub")  # NotADirectoryError
    project, _ = tiny_project(tmp_path / "p")
    assert load_project(project.config_path).root == project.root  # "-p p/forcewatch.yaml"
    ledger = tmp_path / "ledger.yaml"
    ledger.write_bytes(b"\xff\xfe c\x00l\x00")
    with pytest.raises(InputError, match="not UTF-8"):  # UnicodeDecodeError
        load_ledger(ledger)
    index = tmp_path / "index.yaml"
    index.write_text("- file: a.txt\n  published: 2022-02-30\n")
    with pytest.raises(InputError, match="does not exist"):  # ValueError
        read_index(index)
    labels = tmp_path / "x.txt"
    labels.write_bytes(b"\x00\xd5\xff")
    with pytest.raises(InputError, match="not a text label file"):  # UnicodeDecodeError
        _text(labels)
    with pytest.raises(EngineError, match="cannot reach Dask scheduler"):  # "missing port"
        with client("dask-head"):
            pass
    out = str(afile / "x.gpkg")
    result = CliRunner().invoke(
        app, ["export", "--format", "gpkg", "--out", out, "--project", str(project.root)]
    )
    assert isinstance(result.exception, ForceWatchError)  # pyogrio's DataSourceError
    assert "cannot write the gpkg export" in str(result.exception)


def test_init_reads_its_paths_from_where_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from forcewatch.config import load_project
    from forcewatch.sites import load_watchlist

    monkeypatch.chdir(tmp_path)
    (tmp_path / "sites.yaml").write_text("sites:\n  - {name: A, lat: 51.5, lon: 36.5}\n")
    result = CliRunner().invoke(app, ["init", "myproject", "--watchlist", "sites.yaml"])
    assert result.exit_code == 0, result.output
    # the README's sequence: the path was kept as typed and looked for inside myproject
    project = load_project(tmp_path / "myproject")
    assert project.config.sites.watchlist is not None
    assert load_watchlist(project.resolve(project.config.sites.watchlist))[0].name == "A"
    missing = CliRunner().invoke(app, ["init", "other", "--watchlist", "nowhere.geojson"])
    assert isinstance(missing.exception, ForceWatchError)  # was accepted, exit 0
    assert "no such file" in str(missing.exception)


def test_bundle_alone_builds_and_brackets_in_quotes_stay(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    built = CliRunner().invoke(app, ["bundle"])  # printed the help, exit 2, as documented
    assert built.exit_code == 0 and (project / "out" / "evidence.zip").is_file()
    CliRunner().invoke(
        app,
        ["claims", "add", "--speaker", "Analyst", "--kind", "withdrawal", "--stated-on",
         "2022-02-15", "--quote", "They [the units] left the camp"],
    )  # fmt: skip
    listed = CliRunner().invoke(app, ["claims", "list"], terminal_width=200)
    assert "They [the units] left the camp" in listed.output  # was "They  left the camp"


def test_an_edited_ledger_updates_its_claims_and_a_claim_can_be_removed(
    project: Path, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.yaml"
    exported = CliRunner().invoke(app, ["claims", "export", str(ledger), "--project", str(project)])
    assert exported.exit_code == 0
    ledger.write_text(ledger.read_text().replace("units are returning", "units are leaving"))
    again = CliRunner().invoke(app, ["claims", "import", str(ledger), "--project", str(project)])
    # was "0 added, 1 already in the ledger", and the edit silently ignored
    assert "0 added, 1 updated, 0 already in the ledger" in again.output
    listed = CliRunner().invoke(app, ["claims", "list", "--project", str(project), "--json"])
    assert "units are leaving" in listed.output and "units are returning" not in listed.output
    claim_id = listed.output.split('"id": "')[1][:8]
    _refused(project, ["claims", "remove", "zzzzzzzz"], "no claim has that id")
    removed = CliRunner().invoke(app, ["claims", "remove", claim_id, "--project", str(project)])
    assert removed.exit_code == 0 and "1 removed" in removed.output
    listed = CliRunner().invoke(app, ["claims", "list", "--project", str(project), "--json"])
    assert '"id"' not in listed.output


def test_what_was_accepted_silently(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    add = ["claims", "add", "--speaker", "X", "--kind", "withdrawal", "--quote", "q"]
    # a typo'd site was accepted (first without a word, then with a warning) and the claim
    # tested on no site; the dashboard's API refused it
    _refused(project, [*add, "--stated-on", "2022-02-15", "--site", "Klinsty"], "'Klintsy'?")
    _refused(project, [*add, "--stated-on", "2031-01-01"], "in the future")
    cased = CliRunner().invoke(
        app, [*add, "--stated-on", "2022-02-15", "--site", "klintsy", "--project", str(project)]
    )
    # a site named in another case is tested there: no warning that it would not be
    assert cased.exit_code == 0 and "watchlist" not in cased.output, cased.output
    from forcewatch.config import load_project
    from forcewatch.pipeline import analyze, ingest

    ingest(load_project(project), [project / "imagery"])
    analyze(load_project(project))
    _refused(project, ["series", "--metric", "no_such_metric"], "no such metric")  # empty column
    _refused(project, ["sites", "add", "   ", "--lat", "52", "--lon", "35"], "needs a name")


def test_messages_that_misled(tmp_path: Path) -> None:
    from forcewatch.claims.article import read_article
    from forcewatch.claims.extract import extract_claims
    from forcewatch.errors import InputError
    from forcewatch.sites import load_watchlist

    big = tmp_path / "big.yaml"
    big.write_text("sites:\n  - {name: Big, lat: 51, lon: 36, radius_km: 5000}\n")
    with pytest.raises(InputError, match="too large for a site"):  # was "self-intersection"
        load_watchlist(big)
    bom = tmp_path / "bom.geojson"
    bom.write_bytes(
        b'\xef\xbb\xbf{"type": "FeatureCollection", "features": [{"type": "Feature", '
        b'"properties": {"name": 123}, "geometry": {"type": "Point", "coordinates": [36, 51]}}]}'
    )
    assert load_watchlist(bom)[0].name == "123"  # were "not valid JSON (BOM)", "needs a name"
    article = tmp_path / "a.txt"
    text = (
        "Russia's defence ministry said on Tuesday that some units were returning to their "
        "bases after drills in the Southern and Western military districts, and that more "
        "would follow in the coming days. Read more"
    )
    article.write_bytes(b"\xef\xbb\xbf" + text.encode())
    claims = extract_claims(read_article(article).text, date(2022, 2, 16), "X")
    # was none: the paragraph did not end with a full stop; and the BOM went into the quote
    assert len(claims) == 1 and claims[0].quote.startswith("Russia's defence ministry")


def test_an_article_extracted_again_replaces_its_claims(project: Path, tmp_path: Path) -> None:
    article = tmp_path / "wire.txt"
    article.write_text(
        "Russia has moved 30,000 troops to Belarus, US officials said on Tuesday.\n\n"
        "The Russian defence ministry said units were returning to their bases.\n"
    )
    extract = ["claims", "extract", str(article), "--save", "--project", str(project)]
    first = CliRunner().invoke(app, [*extract, "--published", "2022-02-16"])
    assert first.exit_code == 0, first.output
    before = CliRunner().invoke(app, ["claims", "list", "--json", "--project", str(project)])
    n = before.output.count('"id"')
    again = CliRunner().invoke(app, [*extract, "--published", "2022-02-17"])  # a corrected date
    assert again.exit_code == 0 and "replaced" in again.output, again.output
    after = CliRunner().invoke(app, ["claims", "list", "--json", "--project", str(project)])
    assert after.output.count('"id"') == n  # was 2 more: the same quotes a day later
    assert '"2022-02-17"' in after.output
    _refused(project, [*extract[:-2], "--published", "2031-05-05"], "in the future")


def test_a_site_can_be_removed_and_names_differing_only_in_case_are_refused(
    project: Path,
) -> None:
    def run(*args: str) -> Any:
        return CliRunner().invoke(app, [*args, "--project", str(project)])

    assert run("sites", "add", "Zz", "--lat", "32.25", "--lon", "52.74").exit_code == 0
    # was accepted beside Klintsy, and claims and the dashboard match names whatever the case
    _refused(project, ["sites", "add", "klintsy", "--lat", "52.7", "--lon", "32.2"], "only in case")
    _refused(project, ["sites", "add", "Yy", "--lat", "52", "--lon", "32", "--radius-km", "-1"],
             "'Yy': --radius-km -1.0 must be positive")  # fmt: skip
    _refused(project, ["sites", "remove", "Nowhere"], "unknown site(s): Nowhere")
    removed = run("sites", "remove", "Zz")  # a site the tool warned was swapped: no way out before
    assert removed.exit_code == 0 and "1 removed" in removed.output, removed.output
    listed = run("sites", "list", "--json")
    assert '"Zz"' not in listed.output and '"Klintsy"' in listed.output


def test_messages_that_blamed_the_wrong_thing(project: Path, tmp_path: Path) -> None:
    _refused(project, ["report", "--out", str(tmp_path / "r.pdf")], "the report is HTML")
    _refused(project, ["ingest"], "no imagery given")  # was "no raster files found in the paths"
    _refused(project, ["serve", "--host", "999.1.1.1", "--port", "8765"], "--host must be")
    img = tmp_path / "a.png"
    from PIL import Image

    Image.new("RGB", (64, 64)).save(img)
    # was read as an unreadable image, "none of the 1 image(s) could be read"
    args = ["detect", str(img), "--out", str(tmp_path / "d.geojson"), "--gsd-m", "-1"]
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, ForceWatchError), result.output
    assert "metres per pixel > 0" in str(result.exception)


def test_ctrl_c_says_what_happened(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    from forcewatch import cli, pipeline

    def interrupted(*_a: object, **_k: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "analyze", interrupted)
    monkeypatch.setattr(sys, "argv", ["forcewatch", "analyze", "--project", str(project)])
    with pytest.raises(SystemExit) as stopped:
        cli.main()
    assert stopped.value.code == 130
    assert "interrupted" in capsys.readouterr().err  # was silent (Typer's own exit 130)
