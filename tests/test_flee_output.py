"""Flee output: out.csv in Flee's format beside Corridor's results, and the validation metric."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from corridor.cli import app
from corridor.models.flee import (
    ard_from_out_csv,
    averaged_relative_difference,
    load_flee_scenario,
    out_csv_text,
    run_flee,
)

FIXTURE = Path(__file__).parent / "data" / "flee" / "test_input_csv"
runner = CliRunner()

FLEE_COLUMNS_TAIL = ["Total error", "refugees in camps (UNHCR)", "total refugees (simulation)",
                     "raw UNHCR refugee count", "refugees in camps (simulation)", "refugee_debt"]


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("flee_out")
    result = runner.invoke(app, ["run", str(FIXTURE), "--out", str(out), "--seed", "5"])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_run_writes_out_csv_beside_corridor_results(cli_run):
    out, text = cli_run
    for name in ("out.csv", "validation.json", "daily.parquet", "summary.json", "run.json", "runs.duckdb"):
        assert (out / name).is_file(), name
    assert "averaged relative difference" in text


def test_out_csv_has_flees_columns_and_values(cli_run):
    out, _ = cli_run
    with (out / "out.csv").open() as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    assert header[:2] == ["Day", "Date"]
    assert header[2:11] == ["D sim", "D data", "D error", "E sim", "E data", "E error", "F sim", "F data", "F error"]
    assert header[11:] == FLEE_COLUMNS_TAIL
    assert len(rows) == 11
    first = dict(zip(header, rows[1], strict=True))
    # Flee's test data are dated 2010, before the 2020 start: the last counts (/ hasten 5) hold
    assert first["Date"] == "2020-01-01"
    assert (first["D data"], first["E data"], first["F data"]) == ("6000", "4000", "2000")
    assert first["raw UNHCR refugee count"] == "12000" and first["total refugees (simulation)"] == "12000"
    sims = [int(first[f"{c} sim"]) for c in "DEF"]
    assert int(first["refugees in camps (simulation)"]) == sum(sims)
    assert float(first["D error"]) == round(abs(sims[0] / 6000 - 1), 4)


def test_validate_prints_the_ard_of_an_output_folder_and_file(cli_run):
    out, _ = cli_run
    want = ard_from_out_csv(out)
    for arg in (out, out / "out.csv"):
        result = runner.invoke(app, ["validate", str(arg)])
        assert result.exit_code == 0, result.output
        assert f"averaged relative difference {want.plain:.4f}" in result.output
    stored = json.loads((out / "validation.json").read_text())
    assert stored["averaged_relative_difference"] == pytest.approx(want.plain)


def test_validate_reports_a_bad_out_csv(tmp_path):
    bad = tmp_path / "out.csv"
    bad.write_text("Day,Date,X sim,X data\n0,2020-01-01,abc,3\n")
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert "row 2, column X sim" in result.output


def test_ard_closed_form():
    sim = np.array([[10, 0], [5, 5], [0, 0]])
    obs = np.array([[5, 5], [5, 5], [2, 2]])
    ard = averaged_relative_difference(sim, obs)
    # day 0: |10-5|+|0-5| = 10 over 10; day 1: 0; day 2: 4 over 4
    assert ard.plain == pytest.approx((1.0 + 0.0 + 1.0) / 3)
    # rescaled: day 0 sim scaled to 10 total: 10, 0 -> 10 over 10; day 2: no one simulated -> 4/4
    assert ard.rescaled == pytest.approx((1.0 + 0.0 + 1.0) / 3)


def test_ard_matches_out_csv_columns():
    run = run_flee(load_flee_scenario(FIXTURE, seed=2))
    tot_err = [float(line.split(",")[-6]) for line in out_csv_text(run).splitlines()[1:]]
    abs_diff = np.abs(run.sim - run.obs).sum(axis=1) / run.raw_total
    assert np.allclose(tot_err, abs_diff)
    assert run.ard.plain == pytest.approx(float(np.mean(np.abs(run.sim - run.obs).sum(axis=1)
                                                        / run.obs.sum(axis=1))))
