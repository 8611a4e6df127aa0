"""A Flee folder is a scenario like any other: run, validate, compare, ensemble, calibrate,
sensitivity and evidence on a small Flee world, through the command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from test_flee_rules import write_scenario
from typer.testing import CliRunner

from corridor.cli import app
from corridor.models.flee import load_flee_scenario
from corridor.models.flee.settings import load_settings

runner = CliRunner()
DAYS = 40
FREE = {"speed": {"parameter": "max_move_speed", "low": 50, "high": 300},
        "default_movechance": {"low": 0.1, "high": 0.9}}
TARGETS = "indicator,month,date,nationality,value\narrivals,2020-01,,ALL,5000\nagents,,2020-02-05,ALL,3000\n"


def town_world(folder: Path, *, closures: list[tuple] = (), free: dict | None = FREE) -> Path:
    """A (conflict zone) -150 km- T (town) -150 km- C (camp); 4,000 people arrive over 40 days,
    at hasten 2; walking 100 km a day, so speed and the town's move chance both matter."""
    write_scenario(folder, locations=[("A", "X", "conflict_zone", 0, 100000), ("T", "X", "town", "", 0),
                                      ("C", "Y", "camp", "", 0)],
                   routes=[("A", "T", 150), ("T", "C", 150)], days=DAYS, conflicts={"A": [1] * DAYS},
                   series={"total": [(0, 0), (DAYS - 1, 4000)], "C": [(0, 0), (DAYS - 1, 4000)]},
                   settings={"move_rules": {"max_move_speed": 100.0, "camp_movechance": 0.0},
                             "optimisations": {"hasten": 2}}, closures=closures)
    if free is not None:
        (folder / "free_parameters.yml").write_text(yaml.safe_dump(free))
    return folder


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    return town_world(tmp_path_factory.mktemp("flee") / "town")


def invoke(*args: str | Path):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


def test_run_writes_flees_and_corridors_outputs(world, tmp_path):
    res = invoke("run", world, "--out", tmp_path / "out", "--seed", 4)
    assert res.exit_code == 0, res.output
    assert "averaged relative difference" in res.stdout
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["seed"] == 4 and (tmp_path / "out" / "out.csv").is_file()
    assert json.loads((tmp_path / "out" / "run.json").read_text())["model"] == "flee"


def test_validate_checks_the_folder(world):
    res = invoke("validate", world)
    assert res.exit_code == 0 and "valid Flee scenario" in res.stdout


def test_compare_a_folder_with_a_copy_whose_link_closes(world, tmp_path):
    closed = town_world(tmp_path / "closed", closures=[("link", "C", "T", 5, 30)])   # closes T -> C (Flee 3.1)
    res = invoke("compare", world, closed, "-n", 2, "--workers", 1, "--out", tmp_path / "cmp", "--no-plots")
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert doc["a"]["model"] == doc["b"]["model"] == "flee"
    arrivals = next(r for r in doc["results"] if r["indicator"] == "arrivals" and r["nationality"] == "total")
    # people kept from the camp walk back and forth between A and T, each walk an arrival: more arrivals
    assert arrivals["diff_mean"] > 0 and arrivals["ci_low"] > 0
    same = invoke("compare", world, world, "-n", 2, "--workers", 1, "--out", tmp_path / "same", "-q", "--no-plots")
    assert same.exit_code == 0
    rows = json.loads((tmp_path / "same" / "compare.json").read_text())["results"]
    assert all(r["diff_mean"] == 0 for r in rows)


def test_compare_refuses_scenarios_of_two_models(world, tmp_path):
    res = invoke("compare", world, "corridor-2010-2011", "-n", 2, "--out", tmp_path / "x")
    assert res.exit_code == 2 and "cannot compare" in res.output and "Traceback" not in res.output


def test_ensemble_of_a_folder(world, tmp_path):
    res = invoke("ensemble", world, "-n", 3, "--workers", 1, "--out", tmp_path / "ens")
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "ens" / "ensemble.json").read_text())
    assert doc["members"] == 3 and "arrivals" in doc["years"]["2020"]["indicators"]
    assert "arrivals" in res.stdout
    # the bands plot shows the pack's own indicators (it once drew only the corridor's: a blank page)
    import matplotlib.image

    png = matplotlib.image.imread(tmp_path / "ens" / "bands.png")
    assert (png[..., :3].min(axis=-1) < 0.9).mean() > 0.01     # a blank page: 0.2%


def test_scale_sets_hasten(world):
    sc = load_flee_scenario(world).with_scale(0.25)
    assert sc.settings.hasten == 4 and sc.settings.max_move_speed == 100.0
    res = invoke("ensemble", world, "-n", 1, "--scale", 2, "--workers", 1)
    assert res.exit_code == 2 and "(0, 1]" in res.output


def test_calibrate_writes_a_fitted_settings_file(world, tmp_path):
    targets = tmp_path / "targets.csv"
    targets.write_text(TARGETS)
    res = invoke("calibrate", world, "--targets", targets, "--trials", 3, "--batch", 3, "--workers", 1,
                 "--scale", 0.25, "--out", tmp_path / "cal", "--no-plots")
    assert res.exit_code == 0, res.output
    report = json.loads((tmp_path / "cal" / "calibration.json").read_text())
    fitted = {p["name"]: p["fitted"] for p in report["free_parameters"]}
    settings = load_settings(tmp_path / "cal" / "simsetting-fitted.yml")
    assert settings.max_move_speed == pytest.approx(fitted["speed"])
    assert settings.default_movechance == pytest.approx(fitted["default_movechance"])
    # the rest as the folder has it: --scale ran the trials at hasten 4, the file keeps the folder's 2
    assert settings.camp_movechance == 0.0 and settings.hasten == 2
    assert "arrivals 2020-01 all" in res.stdout


def test_sensitivity_over_flees_settings(world, tmp_path):
    res = invoke("sensitivity", world, "-n", 2, "--workers", 1, "--out", tmp_path / "sa", "--no-plots")
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "sa" / "sensitivity.json").read_text())
    assert {r["name"] for r in doc["ranking"]} == {"speed", "default_movechance"}
    assert [o["output"] for o in doc["outputs"]] == ["arrivals all", "agents all"]
    assert doc["runs"] == 2 * (2 + 1)


def test_evidence_lists_the_settings_in_force_and_the_closures(tmp_path):
    folder = town_world(tmp_path / "w", closures=[("link", "T", "C", 5, 30)])
    res = invoke("evidence", folder, "--json", "-")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    rows = {p["name"]: p for p in doc["parameters"]}
    assert rows["max_move_speed"]["value"] == 100.0 and rows["max_move_speed"]["kind"] == "scenario"
    assert rows["max_move_speed"]["ref"] == "simsetting.yml: move_rules.max_move_speed"
    assert rows["camp_weight"]["ref"] == "Flee 3.1 default" and rows["camp_weight"]["origin"] == "default"
    [closure] = doc["policies"]
    assert closure["start"] == "2020-01-06" and closure["end"] == "2020-01-31" and "T" in closure["changes"][0]
    table = invoke("evidence", folder)
    assert table.exit_code == 0 and "max_move_speed" in table.stdout


@pytest.mark.parametrize("free, words", [
    (None, "declares no free parameters"),
    ({"speedy": {"parameter": "max_move_sped", "low": 1, "high": 2}}, "unknown parameter 'max_move_sped'"),
    ({"awareness_level": {"low": 1, "high": 2}}, "whole number"),
    ({"speed": {"parameter": "max_move_speed", "low": 1, "high": 2, "key": "x"}}, "no key"),
    ({"speed": {"parameter": "max_move_speed", "low": 3, "high": 2}}, "low < high"),
    ({"capacity_buffer": {"low": 0.5, "high": 1.5}}, "leave capacity_buffer's range"),
])
def test_bad_free_parameters_are_one_line(tmp_path, free, words):
    folder = town_world(tmp_path / "w", free=free)
    res = invoke("sensitivity", folder, "-n", 2, "--workers", 1, "--out", tmp_path / "sa")
    assert res.exit_code == 2, res.output
    assert words in res.output and "free_parameters.yml" in res.output and "Traceback" not in res.output


def test_flee_options_do_not_apply_to_scenario_files(tmp_path):
    res = invoke("run", "corridor-2010-2011", "--hasten", 3, "--out", tmp_path / "x")
    assert res.exit_code == 2 and "--hasten applies to Flee scenario folders only" in res.output


def test_a_copied_folder_is_the_same_scenario(world, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(world, copy)
    assert load_flee_scenario(copy).hash() == load_flee_scenario(world).hash()
