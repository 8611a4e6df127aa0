"""Run results: summary.json, Parquet tables, plots, the DuckDB registry, atomic writes."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pyarrow.parquet as pq
import pytest

from corridor import run_scenario, write_run
from corridor.errors import UserInputError
from corridor.results.run import fiscal_year

REQUIRED = ("entries_mexico", "detentions_mexico", "deportations_mexico", "victimizations",
            "deaths", "asylum_applications_mexico", "asylum_grants_mexico",
            "arrivals_us_border", "apprehensions_us", "waiting_south", "waiting_north")
FILES = {"daily.parquet", "route_flows.parquet", "route_flows_daily.parquet", "run.json", "summary.json",
         "timeseries.png", "flow_map.png", "runs.duckdb"}


@pytest.fixture(scope="module")
def written(tiny_result, tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "out"
    files = write_run(tiny_result, out, plots=True)
    return tiny_result, out, files


def test_all_files_written(written):
    _, out, files = written
    assert set(files) == FILES
    assert {p.name for p in out.iterdir() if not p.name.startswith(".")} == FILES
    # the folder's lock and journal, and the registry's lock
    assert {p.name for p in out.iterdir() if p.name.startswith(".")} == {
        ".corridor.lock", ".corridor-files", ".runs.duckdb.lock"}
    assert (out / ".corridor-files").read_text().split() == ["marker:summary.json", *sorted(
        FILES - {"runs.duckdb", "summary.json"})]
    for name in FILES:
        assert (out / name).stat().st_size > 0, name
    assert (out / "timeseries.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(out.glob(".partial-*"))


def test_summary_form(written):
    result, out, _ = written
    s = json.loads((out / "summary.json").read_text())
    assert s["scenario"] == "tiny" and s["seed"] == 7
    assert s["version"] == result.version and s["scenario_hash"] == result.scenario_hash
    assert list(s["years"]) == ["2010"]
    assert s["periods"]["2010"] == {"first_day": "2010-01-01", "last_day": "2010-03-31", "days": 90}
    assert list(s["fiscal_years"]) == ["2010"]
    year = s["years"]["2010"]
    for name in REQUIRED:
        entry = year[name]
        assert set(entry) == {"total", "GTM", "MEX"}, name
        parts = entry["GTM"] + entry["MEX"]
        kind = next(i.kind for i in result.indicators if i.name == name)
        tol = 1.0 if kind == "flow" else 0.1 + 1e-9
        assert abs(entry["total"] - parts) <= tol, name
        if kind == "flow":
            assert isinstance(entry["total"], int)


def test_summary_matches_recorder(written, tiny_sim):
    _, out, _ = written
    s = json.loads((out / "summary.json").read_text())["years"]["2010"]
    rec = tiny_sim.recorder
    for name in ("entries_mexico", "detentions_mexico", "apprehensions_us", "deaths"):
        assert s[name]["total"] == rec.total(name)
    i = [ind.name for ind in rec.indicators].index("waiting_north")
    assert s["waiting_north"]["total"] == pytest.approx(rec.data[:, i].sum() / 90, abs=0.05)


def test_daily_parquet_matches_summary(written):
    result, out, _ = written
    table = pq.read_table(out / "daily.parquet")
    assert set(table.column_names) == {"date", "indicator", "kind", "nationality", "location", "value"}
    df = table.to_pydict()
    s = json.loads((out / "summary.json").read_text())["years"]["2010"]
    assert all(v != 0 for v in df["value"])
    for name in REQUIRED:
        vals = [v for v, ind in zip(df["value"], df["indicator"], strict=True) if ind == name]
        kind = next(i.kind for i in result.indicators if i.name == name)
        total = sum(vals) if kind == "flow" else sum(vals) / 90
        assert total == pytest.approx(s[name]["total"], abs=0.5 if kind == "flow" else 0.05), name
    dates = set(df["date"])
    assert min(dates) >= dt.date(2010, 1, 1) and max(dates) <= dt.date(2010, 3, 31)
    assert set(df["location"]) <= set(result.locations)


def test_route_flows_parquet(written, tiny_sim):
    _, out, _ = written
    t = pq.read_table(out / "route_flows.parquet").to_pydict()
    net = tiny_sim.network
    got = {(a, b): v for a, b, v in zip(t["from"], t["to"], t["traversals"], strict=True)}
    assert len(got) == net.n_routes
    assert got[("huehuetenango", "tecun_uman")] == tiny_sim.recorder.route_flows[
        net.route_index("huehuetenango", "tecun_uman")] > 0


def test_run_json(written):
    result, out, _ = written
    meta = json.loads((out / "run.json").read_text())
    assert meta["seed"] == 7 and meta["scenario"] == "tiny"
    assert meta["agents_created"] == result.meta["agents_created"] > 0
    assert meta["bytes_per_agent"] <= 64
    assert "lat" not in meta


def test_registry_has_one_row_per_run(written, tmp_path):
    import duckdb

    result, out, _ = written
    con = duckdb.connect(str(out / "runs.duckdb"), read_only=True)
    try:
        rows = con.execute("SELECT scenario, scenario_hash, seed, first_day, last_day FROM runs").fetchall()
    finally:
        con.close()
    assert rows == [("tiny", result.scenario_hash, 7, dt.date(2010, 1, 1), dt.date(2010, 3, 31))]
    # a second run into another folder, with a shared registry
    reg = tmp_path / "reg" / "all.duckdb"
    write_run(result, tmp_path / "a", plots=False, registry=reg)
    write_run(result, tmp_path / "b", plots=False, registry=reg)
    con = duckdb.connect(str(reg), read_only=True)
    try:
        n, dirs = con.execute("SELECT count(*), count(DISTINCT out_dir) FROM runs").fetchone()
    finally:
        con.close()
    assert (n, dirs) == (2, 2)


def test_rewrite_replaces_files_and_appends_registry(make_scenario, tmp_path):
    import duckdb

    out = tmp_path / "out"
    r1 = run_scenario(make_scenario(end="2010-01-20"))
    r2 = run_scenario(make_scenario(end="2010-01-20"), seed=99)
    write_run(r1, out, plots=False)
    write_run(r2, out, plots=False)
    assert json.loads((out / "summary.json").read_text())["seed"] == 99
    con = duckdb.connect(str(out / "runs.duckdb"), read_only=True)
    try:
        seeds = [r[0] for r in con.execute("SELECT seed FROM runs ORDER BY recorded_at").fetchall()]
    finally:
        con.close()
    assert seeds == [7, 99]
    assert not list(out.glob(".partial-*"))


def test_failed_write_leaves_no_partial_files(tiny_result, tmp_path, monkeypatch):
    import corridor.results.plots as plots

    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(plots, "plot_flow_map", boom)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        write_run(tiny_result, out, plots=True)
    assert not list(out.glob(".partial-*"))
    assert not (out / "summary.json").exists()
    assert not (out / "daily.parquet").exists()


def test_unwritable_location(tiny_result, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    with pytest.raises(UserInputError) as exc:
        write_run(tiny_result, blocker / "out", plots=False)
    assert "a_file" in str(exc.value)


def test_population_scale_scales_indicators_back(make_scenario):
    """At population_scale 0.25 a quarter of the people are simulated and every count is
    multiplied by 4: expectations match the full-scale run."""
    params = {"departures_per_year": {"GTM": 20000, "MEX": 20000}}
    full = run_scenario(make_scenario(end="2010-02-28", parameters=params))
    part = run_scenario(make_scenario(end="2010-02-28", parameters=params, population_scale=0.25))
    assert part.meta["agents_created"] < 0.4 * full.meta["agents_created"]
    for name in ("departures", "entries_mexico", "arrivals_us_border", "crossing_attempts_us"):
        f, p = full.series(name).sum(), part.series(name).sum()
        assert f > 200, name
        # Poisson-like noise of the scaled count dominates: sd ~ sqrt(4 f)
        assert abs(p - f) < 5 * math.sqrt(4 * f), (name, f, p)
        assert p % 4 == 0
    assert np.allclose(part.data, np.round(part.data / 4) * 4)


def test_series_and_by_year(tiny_result):
    r = tiny_result
    total = r.series("entries_mexico")
    assert total.shape == (90,)
    assert np.array_equal(total, r.series("entries_mexico", "GTM") + r.series("entries_mexico", "MEX"))
    assert r.by_year()["2010"]["entries_mexico"]["total"] == int(total.sum())
    with pytest.raises(KeyError):
        r.series("happiness")


def test_fiscal_year():
    assert fiscal_year(dt.date(2009, 9, 30)) == 2009
    assert fiscal_year(dt.date(2009, 10, 1)) == 2010
    assert fiscal_year(dt.date(2010, 9, 30)) == 2010


def test_fiscal_years_split_at_october(make_scenario):
    r = run_scenario(make_scenario(start="2009-09-21", end="2009-10-10",
                                   parameters={"departures_per_year": {"GTM": 500, "MEX": 500}}))
    s = r.summary()
    assert list(s["fiscal_years"]) == ["2009", "2010"]
    assert list(s["years"]) == ["2009"]
    dep = s["fiscal_years"]
    assert dep["2009"]["departures"]["total"] + dep["2010"]["departures"]["total"] == \
        s["years"]["2009"]["departures"]["total"]
