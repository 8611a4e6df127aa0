"""Where each assumption comes from (corridor.evidence) and the `corridor evidence` command."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from conftest import write_yaml
from typer.testing import CliRunner

from corridor.cli import app
from corridor.errors import DataError, ScenarioError
from corridor.evidence import NO_SOURCE, compact, scenario_evidence
from corridor.models import corridor as corridor_model  # the pack's public names, looked up when called
from corridor.params import ParamSpec
from corridor.scenario.loader import builtin_scenarios, load_scenario

runner = CliRunner()
DEFAULT_KINDS = {"seed", "facts", "fitted", "assumption"}


@pytest.mark.parametrize("name", sorted(builtin_scenarios()))
def test_every_declared_parameter_has_a_sourced_row(name):
    ev = scenario_evidence(load_scenario(name))
    assert [p.name for p in ev.parameters] == list(corridor_model.PARAM_SPECS)
    for p in ev.parameters:
        assert p.kind in DEFAULT_KINDS | {"scenario"}, p.name
        assert p.ref.strip() or p.note.strip(), f"{p.name}: empty source"
        assert p.file, p.name
        assert p.value is not None, p.name


def test_defaults_come_from_the_defaults_files():
    ev = scenario_evidence(load_scenario())
    files = {Path(p.file).name for p in ev.parameters}
    assert files <= {"parameters.yaml", "fitted.yaml"}
    assert all(p.origin == "default" and p.scenario_value is None for p in ev.parameters)
    fitted = [p for p in ev.parameters if Path(p.file).name == "fitted.yaml"]
    assert fitted and all(p.kind == "fitted" for p in fitted)


def test_a_declared_parameter_without_default_is_an_error(monkeypatch):
    real = corridor_model.default_parameters()
    monkeypatch.setattr(corridor_model, "default_parameters",
                        lambda: {k: v for k, v in real.items() if k != "money_sigma"})
    with pytest.raises(DataError) as info:
        scenario_evidence(load_scenario())
    assert "money_sigma" in info.value.one_line()
    assert "parameters.yaml" in info.value.one_line()


def test_a_newly_declared_parameter_must_get_a_default(monkeypatch):
    monkeypatch.setitem(corridor_model.PARAM_SPECS, "brand_new_lever",
                        ParamSpec("brand_new_lever", (), 0, 1, "share"))
    with pytest.raises(DataError, match="brand_new_lever"):
        scenario_evidence(load_scenario())


def test_a_default_with_an_empty_source_is_an_error(monkeypatch):
    real = corridor_model.default_parameters()
    rec = real["money_sigma"]
    empty = dataclasses.replace(rec, source=rec.source.model_copy(update={"ref": "", "note": ""}))
    monkeypatch.setattr(corridor_model, "default_parameters", lambda: {**real, "money_sigma": empty})
    with pytest.raises(DataError, match="neither a reference nor a note"):
        scenario_evidence(load_scenario())


@pytest.fixture
def chain(tmp_path):
    """parent.yaml extends the built-in scenario; child.yaml extends parent.yaml."""
    parent = write_yaml(tmp_path / "parent.yaml", {
        "extends": "builtin:corridor-2010-2011", "name": "parent",
        "parameters": {
            "money_median_usd": {"value": {"GTM": 500},
                                 "source": {"kind": "assumption", "note": "poorer Guatemalans"}},
            "money_sigma": 0.8,
        },
        "policies": [{"name": "crackdown", "start": "2011-01-01", "end": "2011-06-30",
                      "scale": {"mx_detection_per_100km": {"Chiapas": 2.0}},
                      "close_routes": ["arriaga->ixtepec"],
                      "source": {"kind": "facts", "ref": "facts/11 row 5"}}],
    })
    child = write_yaml(tmp_path / "child.yaml", {
        "extends": "parent.yaml", "name": "child",
        "parameters": {"kidnap_days": {"value": 10, "unit": "days"}},
        "policies": [{"name": "strict-border", "start": "2010-06-01",
                      "set": {"us_apprehension_probability": {"MEX": 0.7}}}],
    })
    return parent, child


def test_overrides_show_the_scenario_file_and_source(chain):
    parent, child = chain
    ev = scenario_evidence(load_scenario(child))
    rows = {p.name: p for p in ev.parameters}
    assert [p.name for p in ev.parameters] == list(corridor_model.PARAM_SPECS)
    money = rows["money_median_usd"]
    assert money.origin == "scenario" and Path(money.file) == parent
    assert money.kind == "assumption" and money.note == "poorer Guatemalans"
    assert money.value == {"MEX": 800, "*": 400, "GTM": 500}        # merged into the default
    assert money.scenario_value == {"GTM": 500} and money.default_value == {"MEX": 800, "*": 400}
    sigma = rows["money_sigma"]
    assert sigma.kind == "scenario" and Path(sigma.file) == parent and sigma.value == 0.8
    assert sigma.note                                               # says there is no source
    days = rows["kidnap_days"]
    assert days.kind == "scenario" and Path(days.file) == child and days.value == 10
    untouched = rows["route_km_scale"]
    assert untouched.origin == "default" and untouched.kind in DEFAULT_KINDS
    assert ev.chain[0] == str(child) and len(ev.chain) == 3


def test_policies_are_listed_with_window_levers_and_source(chain):
    parent, child = chain
    pols = {p.name: p for p in scenario_evidence(load_scenario(child)).policies}
    crack = pols["crackdown"]
    assert crack.window == "2011-01-01 to 2011-06-30"
    assert crack.parameters == ("mx_detection_per_100km",)
    assert "scale mx_detection_per_100km {Chiapas: 2}" in crack.changes
    assert "close routes arriaga->ixtepec" in crack.changes
    assert crack.kind == "facts" and crack.source_text == "facts: facts/11 row 5"
    assert Path(crack.file) == parent
    strict = pols["strict-border"]
    assert strict.end is None and strict.window == "2010-06-01 to end of run"
    assert strict.source_text == NO_SOURCE and Path(strict.file) == child


def test_unknown_parameters_are_scenario_errors(make_scenario):
    with pytest.raises(ScenarioError, match="unknown parameter"):
        scenario_evidence(make_scenario(parameters={"happiness": 1.0}))
    bad_policy = [{"name": "p", "start": "2010-01-05", "scale": {"happiness": 2.0}}]
    with pytest.raises(ScenarioError, match="happiness"):
        scenario_evidence(make_scenario(policies=bad_policy))


def test_scenarios_built_from_a_mapping(make_scenario):
    ev = scenario_evidence(make_scenario(policies=[{"name": "p", "start": "2010-01-05",
                                                    "close_locations": ["veracruz"]}]))
    rows = {p.name: p for p in ev.parameters}
    assert rows["asylum_min_days"].origin == "scenario" and rows["asylum_min_days"].file.endswith("tiny.yaml")
    assert ev.policies[0].changes == ("close places veracruz",)


def test_compact():
    assert compact({"MEX": 800, "*": 400}) == '{MEX: 800, "*": 400}'
    assert compact(0.5) == "0.5" and compact(657840.0) == "657840" and compact(2.5e6) == "2,500,000"
    assert compact({1: [1, 2]}) == "{1: [1, 2]}"
    assert compact({"a": "x" * 50}, 20) == "{a: xxxxxxxxxxxxxxx…"
    assert len(compact({"a": "x" * 50}, 20)) == 20


# ------------------------------------------------------------------ the command

def test_cli_table_lists_every_parameter():
    res = runner.invoke(app, ["evidence"], env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    for name in corridor_model.PARAM_SPECS:
        assert name in res.stdout, name


def test_cli_json_file_and_stdout(chain, tmp_path):
    _, child = chain
    out = tmp_path / "evidence.json"
    res = runner.invoke(app, ["evidence", str(child), "--json", str(out)], env={"COLUMNS": "250"})
    assert res.exit_code == 0, res.output
    assert "strict-border" in res.stdout and NO_SOURCE in res.stdout
    doc = json.loads(out.read_text())
    assert doc["scenario"] == "child" and len(doc["parameters"]) == len(corridor_model.PARAM_SPECS)
    by_name = {p["name"]: p for p in doc["parameters"]}
    assert by_name["kidnap_days"]["file"] == str(child)
    assert {p["name"] for p in doc["policies"]} == {"crackdown", "strict-border"}
    res = runner.invoke(app, ["evidence", str(child), "--json", "-"])
    assert res.exit_code == 0
    assert json.loads(res.stdout) == doc


def test_cli_errors_are_one_line(tmp_path):
    bad = write_yaml(tmp_path / "bad.yaml", {"extends": "builtin:corridor-2010-2011", "name": "bad",
                                              "parameters": {"happiness": 1}})
    res = runner.invoke(app, ["evidence", str(bad)])
    assert res.exit_code == 2
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "bad.yaml" in lines[0] and "happiness" in lines[0], res.stderr
    res = runner.invoke(app, ["evidence", str(tmp_path / "none.yaml")])
    assert res.exit_code == 2 and "none.yaml" in res.stderr
