"""The ``corridor`` command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import one_error_line
from typer.testing import CliRunner

from corridor import __version__
from corridor.cli import app

runner = CliRunner()
EXE = Path(sys.executable).parent / "corridor"


def test_run_writes_outputs(tiny_file, tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", str(tiny_file), "--out", str(out), "-q", "--no-plots"])
    assert res.exit_code == 0, res.output
    for name in ("daily.parquet", "route_flows.parquet", "route_flows_daily.parquet", "run.json", "summary.json",
                 "runs.duckdb"):
        assert (out / name).is_file(), name
    assert not (out / "timeseries.png").exists()
    s = json.loads((out / "summary.json").read_text())
    assert s["scenario"] == "tiny" and s["seed"] == 7
    assert res.stdout == ""             # quiet


def test_seed_option(tiny_file, tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", str(tiny_file), "--seed", "31", "--out", str(out), "-q",
                              "--no-plots"])
    assert res.exit_code == 0, res.output
    assert json.loads((out / "summary.json").read_text())["seed"] == 31


def test_run_prints_a_summary_table(tiny_file, tmp_path):
    res = runner.invoke(app, ["run", str(tiny_file), "--out", str(tmp_path / "o"), "--no-plots"])
    assert res.exit_code == 0, res.output
    assert "entries_mexico" in res.stdout and "apprehensions_us" in res.stdout
    assert "agents" in res.stdout


def test_negative_seed_is_a_usage_error(tiny_file, tmp_path):
    res = runner.invoke(app, ["run", str(tiny_file), "--seed", "-1", "--out", str(tmp_path)])
    assert res.exit_code == 2


def test_bad_scenario_one_line(tmp_path, tiny_file):
    data = yaml.safe_load(tiny_file.read_text())
    data["colour"] = "red"
    bad = tmp_path / "bad_scenario.yaml"
    bad.write_text(yaml.safe_dump(data))
    res = runner.invoke(app, ["run", str(bad), "--out", str(tmp_path / "o"), "-q"])
    assert res.exit_code == 2
    one_error_line(res.stderr, "bad_scenario.yaml")
    assert "colour" in res.stderr
    assert not (tmp_path / "o").exists()


def test_missing_scenario(tmp_path):
    res = runner.invoke(app, ["run", str(tmp_path / "nope.yaml"), "-q"])
    assert res.exit_code == 2
    one_error_line(res.stderr, "nope.yaml")


def test_unwritable_out(tiny_file, tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    res = runner.invoke(app, ["run", str(tiny_file), "--out", str(blocker / "out"), "-q", "--no-plots"])
    assert res.exit_code == 2
    one_error_line(res.stderr, "blocker")


def test_subprocess_bad_scenario(tmp_path, tiny_file):
    data = yaml.safe_load(tiny_file.read_text())
    data["parameters"]["us_apprehension_probability"] = 1.5
    bad = tmp_path / "too_likely.yaml"
    bad.write_text(yaml.safe_dump(data))
    proc = subprocess.run([str(EXE), "run", str(bad), "-q", "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    one_error_line(proc.stderr, "too_likely.yaml")
    assert "us_apprehension_probability" in proc.stderr
    assert proc.stdout == ""


def test_subprocess_huge_seed_is_a_user_error(tiny_file, tmp_path):
    """A seed the run registry cannot store must not end in a traceback."""
    proc = subprocess.run([str(EXE), "run", str(tiny_file), "-q", "--no-plots", "--seed",
                           str(2**64), "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.returncode in (0, 2)


def test_schema_stdout_and_file(tmp_path):
    res = runner.invoke(app, ["schema"])
    assert res.exit_code == 0
    schema = json.loads(res.stdout)
    assert "properties" in schema and "start" in schema["properties"]
    assert schema["additionalProperties"] is False
    out = tmp_path / "schema.json"
    res = runner.invoke(app, ["schema", "--out", str(out)])
    assert res.exit_code == 0
    assert json.loads(out.read_text()) == schema


def test_scenarios_lists_builtin():
    res = runner.invoke(app, ["scenarios"], env={"COLUMNS": "200"})
    assert res.exit_code == 0
    assert "corridor-2010-2011" in res.stdout


def test_validate_ok(tiny_file):
    res = runner.invoke(app, ["validate", str(tiny_file)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "tiny: valid" in res.stdout and "90 days" in res.stdout


def test_validate_builtin():
    res = runner.invoke(app, ["validate", "corridor-2010-2011"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "valid" in res.stdout


@pytest.mark.parametrize("change, words", [
    ({"end": "2009-01-01"}, "before start"),
    ({"policies": [{"name": "x", "start": "2010-01-05", "close_locations": ["atlantis"]}]}, "atlantis"),
])
def test_validate_failing(tiny_file, tmp_path, change, words):
    data = yaml.safe_load(tiny_file.read_text())
    data.update(change)
    bad = tiny_file.parent / "invalid.yaml"
    bad.write_text(yaml.safe_dump(data))
    res = runner.invoke(app, ["validate", str(bad)])
    assert res.exit_code == 2
    one_error_line(res.stderr, "invalid.yaml")
    assert words in res.stderr


def test_version():
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0
    assert res.stdout.strip() == f"corridor {__version__}"
