"""Ensembles: spawned seeds, resumable member files, bands, and identical numbers on every backend."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import one_error_line
from typer.testing import CliRunner

from corridor import run_scenario
from corridor.analysis.ensemble import member_name, member_seeds, read_member, run_ensemble
from corridor.analysis.series import series_of
from corridor.cli import app
from corridor.errors import UserInputError
from corridor.rng import spawn_seeds

runner = CliRunner()
JAN = {"end": "2010-01-31"}          # one month: about 0.3 s a run


@pytest.fixture(scope="module")
def jan(make_scenario):
    return make_scenario(**JAN)


@pytest.fixture(scope="module")
def reference(jan, tmp_path_factory):
    """Three members run in this process: the numbers every backend must reproduce."""
    out = tmp_path_factory.mktemp("ens") / "inline"
    return run_ensemble(jan, 3, out, workers=1, plots=False)


def _members(out: Path, n: int) -> list[np.ndarray]:
    files = sorted((out / "members").glob("member-*.parquet"))[:n]
    return [read_member(f)[0].values for f in files]


def test_member_seeds_are_spawned_and_stable():
    assert member_seeds(20100101, 5) == spawn_seeds(20100101, 5)
    assert member_seeds(20100101, 8)[:5] == member_seeds(20100101, 5)   # a larger N only adds members
    assert len(set(member_seeds(1, 50))) == 50


def test_members_are_runs_with_spawned_seeds(jan, reference):
    seeds = member_seeds(jan.spec.seed, 3)
    assert reference.seeds == seeds and reference.computed == 3 and reference.reused == 0
    for i, s in enumerate(seeds):
        got, meta = read_member(reference.out / "members" / member_name(i, s))
        assert meta["seed"] == s and meta["member"] == i
        run = run_scenario(jan, seed=s)
        direct = series_of(run)
        np.testing.assert_array_equal(got.values, direct.values)
        assert got.indicators == direct.indicators and got.dates == direct.dates
        year = got.aggregate(np.arange(len(got.dates)))          # same totals as `corridor run`
        assert year[got.indicators.index("entries_mexico")].sum() == run.by_year()["2010"]["entries_mexico"]["total"]


def test_yearly_bands_are_quantiles_of_member_totals(jan, reference):
    table = pq.read_table(reference.out / "bands_yearly.parquet").to_pylist()
    row = next(r for r in table if r["calendar"] == "year" and r["indicator"] == "entries_mexico"
               and r["nationality"] == "total")
    members = [read_member(reference.out / "members" / member_name(i, s))[0] for i, s in enumerate(reference.seeds)]
    totals = [m.aggregate(np.arange(len(m.dates)))[m.indicators.index("entries_mexico")].sum() for m in members]
    assert row["q50"] == pytest.approx(np.median(totals))
    assert row["q05"] <= row["q25"] <= row["q50"] <= row["q75"] <= row["q95"]
    daily = pq.read_table(reference.out / "bands_daily.parquet")
    assert set(daily.column_names) >= {"date", "indicator", "nationality", "q05", "q50", "q95", "mean"}
    summary = json.loads((reference.out / "ensemble.json").read_text())
    assert summary["members"] == 3 and summary["seeds"] == reference.seeds
    assert summary["years"]["2010"]["indicators"]["entries_mexico"]["total"]["q50"] == pytest.approx(row["q50"])


def test_resume_runs_only_missing_members(jan, reference, tmp_path):
    out = tmp_path / "ens"
    first = run_ensemble(jan, 2, out, workers=1, plots=False)
    assert (first.computed, first.reused) == (2, 0)
    before = {p.name: p.stat().st_mtime_ns for p in (out / "members").iterdir()}
    again = run_ensemble(jan, 3, out, workers=1, plots=False)
    assert (again.computed, again.reused) == (1, 2)
    assert all((out / "members" / n).stat().st_mtime_ns == t for n, t in before.items())
    for a, b in zip(_members(out, 3), _members(reference.out, 3), strict=True):
        np.testing.assert_array_equal(a, b)
    assert run_ensemble(jan, 3, out, workers=1, plots=False).computed == 0


def test_interrupted_ensemble_keeps_finished_members(jan, reference, tmp_path):
    out = tmp_path / "ens"

    def stop_after_first(done: int, total: int) -> None:   # Ctrl-C once the first member is in
        if done == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_ensemble(jan, 3, out, workers=1, plots=False, progress=stop_after_first)
    files = sorted(p.name for p in (out / "members").iterdir())
    assert files == [member_name(0, reference.seeds[0])]             # whole files only, no temporary ones
    resumed = run_ensemble(jan, 3, out, workers=1, plots=False)
    assert (resumed.computed, resumed.reused) == (2, 1)
    assert (pq.read_table(out / "bands_yearly.parquet")
            .equals(pq.read_table(reference.out / "bands_yearly.parquet")))


def test_changed_scenario_or_seed_is_refused(jan, make_scenario, reference, tmp_path):
    out = tmp_path / "ens"
    run_ensemble(jan, 1, out, workers=1, plots=False)
    changed = make_scenario(end="2010-01-31", parameters={"asylum_min_days": 12})
    with pytest.raises(UserInputError, match="another scenario"):
        run_ensemble(changed, 1, out, workers=1, plots=False)
    with pytest.raises(UserInputError, match="another root seed"):
        run_ensemble(jan, 1, out, root_seed=99, workers=1, plots=False)


def test_dask_cluster_gives_identical_numbers(jan, reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as cluster:
        dask = run_ensemble(jan, 2, tmp_path / "dask", scheduler=cluster.scheduler_address, plots=False)
        assert dask.backend.startswith("Dask cluster") and dask.computed == 2
        (tmp_path / "scheduler.json").write_text(json.dumps({"type": "Scheduler",
                                                             "address": cluster.scheduler_address}))
        via_file = run_ensemble(jan, 3, tmp_path / "dask", scheduler=str(tmp_path / "scheduler.json"), plots=False)
        assert (via_file.computed, via_file.reused) == (1, 2)
    for a, b in zip(_members(tmp_path / "dask", 3), _members(reference.out, 3), strict=True):
        np.testing.assert_array_equal(a, b)
    for name in ("bands_daily", "bands_monthly", "bands_yearly"):
        assert pq.read_table(tmp_path / "dask" / f"{name}.parquet").equals(
            pq.read_table(reference.out / f"{name}.parquet"))


def test_unreachable_scheduler_is_one_error_line(tiny_file, tmp_path):
    res = runner.invoke(app, ["ensemble", str(tiny_file), "-n", "2", "--out", str(tmp_path / "e"),
                              "--scheduler", "tcp://127.0.0.1:9", "--connect-timeout", "1"],
                        env={"COLUMNS": "300"})
    assert res.exit_code == 2
    one_error_line(res.stderr, "tcp://127.0.0.1:9", "cannot reach the Dask scheduler")
    res = runner.invoke(app, ["ensemble", str(tiny_file), "-n", "2", "--out", str(tmp_path / "e"),
                              "--scheduler", str(tmp_path / "missing.json")], env={"COLUMNS": "300"})
    assert res.exit_code == 2
    one_error_line(res.stderr, "missing.json", "scheduler file not found")


@pytest.mark.slow
def test_process_pool_gives_identical_numbers(jan, reference, tmp_path):
    pool = run_ensemble(jan, 3, tmp_path / "pool", workers=2, plots=False)
    assert pool.backend == "local process pool (2 workers)"
    for a, b in zip(_members(tmp_path / "pool", 3), _members(reference.out, 3), strict=True):
        np.testing.assert_array_equal(a, b)
    assert pq.read_table(tmp_path / "pool" / "bands_daily.parquet").equals(
        pq.read_table(reference.out / "bands_daily.parquet"))


def test_cli_ensemble_writes_bands_and_resumes(tiny_file, reference, tmp_path):
    data = yaml.safe_load(tiny_file.read_text())
    data["end"] = "2010-01-31"
    tiny_file.write_text(yaml.safe_dump(data))
    out = tmp_path / "ens"
    args = ["ensemble", str(tiny_file), "-n", "2", "--workers", "1", "--out", str(out)]
    res = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    for a, b in zip(_members(out, 2), _members(reference.out, 2), strict=True):   # same world, same numbers
        np.testing.assert_array_equal(a, b)
    for name in ("manifest.json", "bands_daily.parquet", "bands_monthly.parquet", "bands_yearly.parquet",
                 "ensemble.json", "bands.png"):
        assert (out / name).is_file(), name
    assert "entries_mexico" in res.stdout and "2 members run" in res.stdout
    res = runner.invoke(app, args, env={"COLUMNS": "200"})
    assert res.exit_code == 0 and "0 members run, 2 found on disk" in res.stdout
    data["parameters"]["asylum_min_days"] = 11
    tiny_file.write_text(yaml.safe_dump(data))
    res = runner.invoke(app, args, env={"COLUMNS": "300"})
    assert res.exit_code == 2
    one_error_line(res.stderr, "another scenario")
