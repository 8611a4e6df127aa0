"""Global sensitivity (SALib): the parameter that drives an output ranks first; an inert one scores 0."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from corridor.analysis import outputs_for, sensitivity
from corridor.analysis.series import Quantity
from corridor.cli import app
from corridor.errors import UserInputError

runner = CliRunner()

FREE = {
    "us_apprehension_probability": {"key": "MEX", "low": 0.2, "high": 0.9},
    "departures_gtm": {"parameter": "departures_per_year", "key": "GTM", "mode": "scale", "low": 0.5, "high": 2.0},
    # no one travels with a caravan in the tiny world: this factor cannot change anything
    "caravan_factor": {"parameter": "predation_caravan_factor", "low": 0.1, "high": 1.0},
}


def test_outputs_for_checks_its_arguments(make_scenario):
    sc = make_scenario()
    assert outputs_for(sc, ["entries_mexico"], "2010-02", "GTM+MEX") == [
        Quantity("entries_mexico", "month", "2010-02", ("GTM", "MEX"))]
    assert outputs_for(sc, ["deaths"])[0].kind == "all"
    for args, words in ((["entries_mexco"], "did you mean 'entries_mexico'"),
                        ((["deaths"], "2011"), "not wholly inside"), ((["deaths"], "20x0"), "not a period"),
                        ((["deaths"], None, "HND"), "unknown nationality")):
        if isinstance(args, list):
            args = (args,)
        with pytest.raises(UserInputError, match=words):
            outputs_for(sc, *args)


def test_sobol_needs_a_power_of_two(make_scenario):
    sc = make_scenario(free_parameters=FREE)
    with pytest.raises(UserInputError, match="power of two"):
        sensitivity(sc, outputs_for(sc, ["deaths"]), method="sobol", n=12, workers=1)


def test_sensitivity_command_ranks_the_driving_parameter_first(tiny_file, tmp_path):
    data = yaml.safe_load(tiny_file.read_text())
    data.update(end="2010-01-31", free_parameters=FREE)
    tiny_file.write_text(yaml.safe_dump(data))
    out = tmp_path / "sa"
    res = runner.invoke(app, ["sensitivity", str(tiny_file), "-n", "2", "--workers", "1", "--indicator",
                              "apprehensions_us,entries_mexico", "--nationality", "MEX", "--out", str(out)],
                        env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    for name in ("sensitivity.json", "sensitivity.parquet", "samples.parquet", "sensitivity.png"):
        assert (out / name).is_file(), name
    doc = json.loads((out / "sensitivity.json").read_text())
    assert doc["method"] == "morris" and doc["runs"] == 2 * (len(FREE) + 1)
    by_output = {o["output"]: o["parameters"] for o in doc["outputs"]}
    apprehensions = by_output["apprehensions_us MEX"]
    assert apprehensions[0]["name"] == "us_apprehension_probability"
    assert next(p for p in apprehensions if p["name"] == "caravan_factor")["index"] == 0
    # Mexicans do not cross Mexico's southern border: nothing here moves their entries
    assert all(p["index"] == 0 for p in by_output["entries_mexico MEX"])
    assert doc["ranking"][0]["name"] == "us_apprehension_probability"
    assert "us_apprehension_probability[MEX]" in res.stdout and "morris sensitivity" in res.stdout


@pytest.mark.slow
def test_sobol_indices_on_the_tiny_world(make_scenario):
    sc = make_scenario(end="2010-01-31", free_parameters=FREE)
    res = sensitivity(sc, outputs_for(sc, ["apprehensions_us", "entries_mexico"], nationality="GTM"),
                      method="sobol", n=16, workers=2)
    assert res.runs == 16 * (len(FREE) + 2)
    entries = {p["name"]: p for p in res.outputs[1]["parameters"]}
    assert res.outputs[1]["parameters"][0]["name"] == "departures_gtm"
    assert entries["departures_gtm"]["index"] > 0.5 and entries["caravan_factor"]["index"] == 0
