"""Reading Flee scenarios: both layouts, and one clear error (file, row, column, expected) with
exit status 2 for every kind of malformed input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from corridor.cli import app
from corridor.errors import DataError
from corridor.models.flee import find_layout, load_flee_scenario, load_settings
from corridor.models.flee.settings import settings_from_dict

FIXTURE = Path(__file__).parent / "data" / "flee" / "test_input_csv"
runner = CliRunner()


@pytest.fixture
def scenario(tmp_path) -> Path:
    """A writable copy of Flee's test scenario (flat layout)."""
    dst = tmp_path / "sc"
    shutil.copytree(FIXTURE, dst)
    return dst


def test_flat_layout_is_found():
    lay = find_layout(FIXTURE)
    assert lay.input_dir == FIXTURE
    assert lay.period.name == "conflict_period.csv"
    assert lay.data_dir == FIXTURE / "refugee_data"
    assert lay.settings == FIXTURE / "simsetting.yml"
    sc = load_flee_scenario(FIXTURE)
    assert sc.n_days == 10 and sc.settings.hasten == 5
    assert [c.kind for c in sc.closures] == ["country"]


def test_input_csv_and_source_data_layout(tmp_path):
    root = tmp_path / "fab"
    (root / "input_csv").mkdir(parents=True)
    for f in ("locations.csv", "routes.csv", "closures.csv", "conflicts.csv", "conflict_period.csv"):
        shutil.copy(FIXTURE / f, root / "input_csv" / f)
    (root / "input_csv" / "conflict_period.csv").rename(root / "input_csv" / "sim_period.csv")
    shutil.copytree(FIXTURE / "refugee_data", root / "source_data")
    (root / "simsetting.yml").write_text("optimisations:\n  hasten: 2\n")
    sc = load_flee_scenario(root)
    assert sc.layout.input_dir == root / "input_csv"
    assert sc.layout.data_dir == root / "source_data"
    assert sc.settings.hasten == 2
    other = tmp_path / "other.yml"
    other.write_text("optimisations:\n  hasten: 4\n")
    assert load_flee_scenario(root, settings=other).settings.hasten == 4


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


CASES = [
    # (file, old, new, words expected in the message)
    ("locations.csv", '"D","D","DEF",1.0,1.0,"camp",,30000', '"D","D","DEF",1.0,1.0,"camp",,lots',
     ["locations.csv", "row 6", "column population", "whole number"]),
    ("locations.csv", '"F","EF","DEF",1.0,1.0,"camp"', '"F","EF","DEF",1.0,1.0,"tent"',
     ["locations.csv", "row 8", "location_type", "conflict_zone"]),
    ("locations.csv", '"A","AB","ABC",1.0,1.0', '"A","AB","ABC",91.0,1.0', ["latitude", "[-90, 90]"]),
    ("locations.csv", '"D","D","DEF",1.0,1.0,"camp",,30000', '"D","D","DEF",1.0,1.0,"camp",,999999999999999999999',
     ["locations.csv", "row 6", "column population", "[0, 1e+10]"]),
    ("routes.csv", '"C","D",150,0', '"C","Q",150,0', ["routes.csv", "row 5", "column name2", "'Q'"]),
    ("routes.csv", '"C","D",150,0', '"C","D",-150,0', ["routes.csv", "row 5", "distance", "[0, inf]"]),
    ("routes.csv", '"C","D",150,0', '"C","C",150,0', ["routes.csv", "itself"]),
    ("closures.csv", "country,ABC,DEF,5,8", "country,ABC,XYZ,5,8", ["closures.csv", "row 2", "unknown country"]),
    ("closures.csv", "country,ABC,DEF,5,8", "border,ABC,DEF,5,8", ["closure type 'border'"]),
    ("closures.csv", "country,ABC,DEF,5,8", "country,ABC,DEF,five,8", ["closure_start", "whole number"]),
    ("conflicts.csv", "3,1,1", "3,1,x", ["conflicts.csv", "row 5", "'x' is not a number"]),
    ("conflicts.csv", "3,1,1", "3,1,1,1", ["conflicts.csv", "row 5", "4 columns, the header has 3"]),
    ("conflicts.csv", "3,1,1", "3,1,-1", ["conflicts.csv", "row 5", "column B", "[0, inf]"]),
    ("conflicts.csv", "3,1,1", "3,1,nan", ["conflicts.csv", "row 5", "column B", "not finite"]),
    ("conflicts.csv", "3,1,1", "3,1", ["conflicts.csv", "row 5", "2 columns, the header has 3"]),
    ("conflicts.csv", "#Day, A, B", "#Day, A, B, A", ["conflicts.csv", "'A' appears twice"]),
    ("conflict_period.csv", "StartDate,2020-01-01", "StartDate,2020-02-30", ["conflict_period.csv", "not a date"]),
    ("conflict_period.csv", "Length,10", "Length,0", ["conflict_period.csv", "[1, inf]"]),
    ("refugee_data/data_layout.csv", "E,E.csv", "E,nope.csv", ["data_layout.csv", "row 3", "'nope.csv' not found"]),
    ("refugee_data/data_layout.csv", "F,F.csv", "#F,F.csv", ["camp 'F'", "no observed series"]),
    ("refugee_data/D.csv", "2010-01-11,500", "2010-13-11,500", ["D.csv", "row 3", "not a date"]),
    ("refugee_data/D.csv", "2010-01-11,500", "2010-01-11,many", ["D.csv", "row 3", "'many' is not a number"]),
    ("refugee_data/D.csv", "2010-01-11,500", "2010-01-11,1e21", ["D.csv", "row 3", "[0, 1e+10]"]),
    ("refugee_data/D.csv", "2010-04-01,30000", "2010-04-01,9e9", ["data_layout.csv", "agents at hasten 5", "--hasten"]),
    ("simsetting.yml", "hasten: 5", "hasten: 0", ["simsetting.yml", "optimisations.hasten", "[1, inf]"]),
    ("simsetting.yml", "hasten: 5", "hasten: 5\nmove_rules:\n  max_move_sped: 100",
     ["unknown setting 'max_move_sped'", "max_move_speed"]),
    ("simsetting.yml", "hasten: 5", "hasten: 5\nmove_rules:\n  default_movechance: 1.5",
     ["move_rules.default_movechance", "[0, 1]"]),
    ("simsetting.yml", "hasten: 5", "hasten: 5\nmove_rules:\n  start_on_foot: maybe",
     ["move_rules.start_on_foot", "true or false"]),
    ("simsetting.yml", "hasten: 5", "hasten: [5", ["simsetting.yml", "invalid YAML"]),
]


@pytest.mark.parametrize(("fname", "old", "new", "words"), CASES, ids=[f"{c[0]}:{c[3][-1]}" for c in CASES])
def test_malformed_inputs_give_one_clear_error(scenario, fname, old, new, words):
    _edit(scenario / fname, old, new)
    with pytest.raises(DataError) as info:
        load_flee_scenario(scenario)
    text = info.value.one_line()
    for w in words:
        assert w in text, text
    result = runner.invoke(app, ["run", str(scenario), "--out", str(scenario.parent / "out")])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "error:" in result.output


@pytest.mark.parametrize("missing", ["locations.csv", "routes.csv", "conflict_period.csv",
                                     "refugee_data/data_layout.csv"])
def test_missing_files_are_named(scenario, missing):
    (scenario / missing).unlink()
    with pytest.raises(DataError) as info:
        load_flee_scenario(scenario)
    assert Path(missing).name.split("_")[0] in info.value.one_line()


def test_empty_file_is_an_error(scenario):
    (scenario / "routes.csv").write_text("")
    with pytest.raises(DataError, match="no routes"):
        load_flee_scenario(scenario)


def test_short_conflict_file_is_an_error(scenario):
    with pytest.raises(DataError, match="11 days of conflict data for a 20-day run"):
        load_flee_scenario(scenario, days=20)


def test_settings_defaults_and_rules():
    s = load_settings(None)
    assert s.max_move_speed == 360.0 and s.awareness_level == 1 and s.hasten == 1
    assert s.conflict_decay(100) == 1.0
    v1 = settings_from_dict({"move_rules": {"use_v1_rules": True, "camp_weight": 7}})
    assert v1.max_move_speed == 200.0 and v1.camp_weight == 2.0 and v1.conflict_weight == 0.25
    sinks = settings_from_dict({"spawn_rules": {"camps_are_sicks": True}})
    assert sinks.camps_are_sinks
    decay = settings_from_dict({"spawn_rules": {"conflict_spawn_decay": [1.0, 0.5, 0.1]}})
    assert [decay.conflict_decay(d) for d in (0, 29, 30, 61, 500)] == [1.0, 1.0, 0.5, 0.1, 0.1]
    later = settings_from_dict({"spawn_rules": {"sum_from_camps": True}})
    assert any("sum_from_camps" in w for w in later.warnings)
    kids = settings_from_dict({"move_rules": {"ChildrenAvoidHazards": True, "BoysTakeRisk": True}})
    assert kids.children_avoid_hazards and kids.boys_take_risk
    fixed = settings_from_dict({"corridor_rules": {"conflict_end": "any", "observed_order": "date"}})
    assert (fixed.conflict_end, fixed.observed_order, fixed.duplicate_locations) == ("any", "date", "flee")
    with pytest.raises(DataError, match="corridor_rules.conflict_end"):
        settings_from_dict({"corridor_rules": {"conflict_end": "sometimes"}})
    with pytest.raises(DataError, match="unknown rule"):
        settings_from_dict({"corridor_rules": {"conflict_ends": "any"}})
    flood = settings_from_dict({"spawn_rules": {"flood_driven_spawning": True}})   # read by Flee only with ...
    assert any("flood_zone_spawning_only" in w for w in flood.warnings)
    with pytest.raises(DataError, match="flood-driven spawning"):                   # ... this, which stops it
        settings_from_dict({"spawn_rules": {"flood_zone_spawning_only": True, "conflict_zone_spawning_only": False}})
    with pytest.raises(DataError, match="unknown spawn mode 'Constant'"):
        settings_from_dict({"spawn_rules": {"conflict_driven_spawning": {"spawn_mode": "Constant"}}})
    with pytest.raises(DataError, match="flood"):
        settings_from_dict({"flood_rules": {"max_flood_level": 3}})
    with pytest.raises(DataError, match="spawn mode"):
        settings_from_dict({"spawn_rules": {"conflict_driven_spawning": {"spawn_mode": "burst"}}})


def test_validate_checks_a_flee_folder_without_running_it():
    result = runner.invoke(app, ["validate", str(FIXTURE)])
    assert result.exit_code == 0, result.output
    assert "valid Flee scenario" in result.output and "7 locations" in result.output


def test_a_folder_that_is_not_a_flee_scenario(tmp_path):
    result = runner.invoke(app, ["run", str(tmp_path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "no locations.csv" in result.output


def test_agents_csv_places_initial_agents(scenario):
    (scenario / "simsetting.yml").write_text("spawn_rules:\n  read_from_agents_csv_file: true\n")
    sc = load_flee_scenario(scenario)
    assert [sc.locations[i].name for i in sc.initial_agents] == ["A", "B"]
    (scenario / "agents.csv").write_text("location,age\nA,30\nNowhere,40\n")
    with pytest.raises(DataError, match="row 3, column location: unknown location 'Nowhere'"):
        load_flee_scenario(scenario)
