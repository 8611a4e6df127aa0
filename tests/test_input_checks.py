"""Every value checked where it enters (issue 17): each mistake named in the issue gives one
line naming the user's file and exit status 2 from ``validate`` and ``run`` alike; the real
inputs it names (a byte-order mark, spaces in a header) get through.

The random counterpart of these cases is tests/test_fuzz.py.
"""

from __future__ import annotations

import copy
import datetime as dt
import shutil
from pathlib import Path

import pytest
from conftest import NODES_CSV, ROUTES_CSV, one_error_line, write_network, write_yaml
from typer.testing import CliRunner

from corridor.cli import app, main

runner = CliRunner()
FLEE_FIXTURE = Path(__file__).parent / "data" / "flee" / "test_input_csv"


def refused(path: Path | str, *words: str, command: str = "validate") -> None:
    args = [command, str(path)] + (["--out", str(Path(path).parent / "out"), "-q", "--no-plots"]
                                   if command == "run" else [])
    res = runner.invoke(app, args)
    assert res.exit_code == 2, res.output
    one_error_line(res.stderr, *words)


def scenario(tmp_path: Path, tiny_dict: dict, name: str = "s.yaml", **changes) -> Path:
    data = copy.deepcopy(tiny_dict)
    data.update(changes)
    return write_yaml(tmp_path / name, data)


def yaml_text(tmp_path: Path, tiny_file: Path, old: str, new: str) -> Path:
    text = tiny_file.read_text()
    assert old in text, old
    path = tmp_path / "edited.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


# ---- dates

@pytest.mark.parametrize(("written", "words"), [
    ("2010-02-30", ["line", "not a calendar date"]), ("2010-13-01", ["line", "not a calendar date"]),
    ("2011-02-29", ["line", "not a calendar date"]), ("0001-01-01", ["end", "outside the years 1900 to 2200"]),
    ("'0'", ["end", "not a date"]), ("'1262304000'", ["end", "not a date"]), ("1262304000", ["end", "not a date"]),
    ("3010-01-01", ["end", "outside the years"]), ("2150-01-01", ["51,135 days", "more than the 30,000"]),
])
def test_impossible_or_absurd_dates(tmp_path, tiny_file, written, words):
    path = yaml_text(tmp_path, tiny_file, "end: '2010-03-31'", f"end: {written}")
    refused(path, "edited.yaml", *words)
    refused(path, "edited.yaml", *words, command="run")


def test_an_impossible_date_in_a_parent_names_the_parent(tmp_path, tiny_file):
    parent = yaml_text(tmp_path, tiny_file, "end: '2010-03-31'", "end: 2010-02-30")
    child = tmp_path / "child.yaml"
    child.write_text(f"extends: {parent.name}\nname: child\n")
    refused(child, "edited.yaml", "not a calendar date")


def test_an_impossible_date_in_flee_settings_or_period(tmp_path):
    folder = tmp_path / "flee"
    shutil.copytree(FLEE_FIXTURE, folder)
    (folder / "simsetting.yml").write_text("optimisations:\n  hasten: 5\nlog_levels:\n  start: 2010-02-30\n")
    refused(folder, "simsetting.yml", "not a calendar date")
    (folder / "simsetting.yml").write_text("optimisations:\n  hasten: 5\n")
    (folder / "conflict_period.csv").write_text("StartDate,0001-01-01\nLength,10\n")
    refused(folder, "conflict_period.csv", "outside the years")


# ---- numbers

@pytest.mark.parametrize(("parameters", "words"), [
    ({"us_apprehension_probability": float("nan")}, ["us_apprehension_probability", "not a finite number"]),
    ({"mx_detection_per_100km": float("inf")}, ["mx_detection_per_100km", "not a finite number"]),
    ({"speed_km_per_day": {"bus": float("inf")}}, ["speed_km_per_day.value.bus", "not a finite number"]),
    ({"mode_weight": float("inf")}, ["mode_weight", "not a finite number"]),
    ({"departures_per_year": {"GTM": 1e300, "MEX": 10}}, ["departures_per_year", "outside"]),
    ({"deportation_destination": {"GTM": 5}}, ["deportation_destination.value.GTM", "5 is not a place"]),
    ({"us_removal_south_location": 100000}, ["us_removal_south_location", "not a place"]),
])
def test_non_finite_out_of_range_and_mistyped_parameters(tmp_path, tiny_dict, parameters, words):
    data = copy.deepcopy(tiny_dict)
    data["parameters"].update(parameters)
    path = write_yaml(tmp_path / "p.yaml", data)
    refused(path, "p.yaml", *words)
    refused(path, "p.yaml", *words, command="run")


@pytest.mark.parametrize(("policy", "words"), [
    ({"set": {"us_apprehension_probability": float("nan")}}, ["policies.0.set.us_apprehension_probability",
                                                               "not a finite number"]),
    ({"scale": {"us_apprehension_probability": float("inf")}}, ["policies.0.scale", "not a finite number"]),
    ({"scale": {"asylum_min_days": 1e300}}, ["policies.0", "outside"]),
    ({"set": {"deportation_destination": {"GTM": 3}}}, ["deportation_destination.GTM", "not a place"]),
    ({"scale": {"deportation_destination": 2}}, ["can be set, not scaled"]),
    ({"close_locations": [5]}, ["policies.0.close_locations.0", "valid string"]),
])
def test_policies_with_bad_values(tmp_path, tiny_dict, policy, words):
    path = scenario(tmp_path, tiny_dict, policies=[{"name": "x", "start": "2010-02-01", **policy}])
    refused(path, "s.yaml", *words)


@pytest.mark.parametrize(("policies", "words"), [
    (5, ["policies", "valid list"]),
    ([{"start": "2010-02-01"}], ["policies.0.name", "missing key"]),
    ([{"name": ["a", "b"], "start": "2010-02-01"}], ["policies.0.name", "valid string"]),
])
def test_policies_that_are_not_policies(tmp_path, tiny_dict, policies, words):
    refused(scenario(tmp_path, tiny_dict, policies=policies), "s.yaml", *words)


def test_a_policy_without_a_name_in_a_child_scenario(tmp_path, tiny_file):
    child = tmp_path / "child.yaml"
    child.write_text(f"extends: {tiny_file}\nname: child\npolicies:\n  - start: 2010-02-01\n")
    refused(child, "child.yaml", "policies.0.name", "missing key")


@pytest.mark.parametrize(("scale", "words"), [(1e-300, ["population_scale", "greater than or equal"]),
                                              (1e-6, ["population_scale", "fewer than one agent"])])
def test_a_population_scale_that_leaves_nobody(tmp_path, tiny_dict, scale, words):
    refused(scenario(tmp_path, tiny_dict, population_scale=scale), "s.yaml", *words)


def test_a_run_that_would_not_fit_in_memory(tmp_path, tiny_dict):
    data = copy.deepcopy(tiny_dict)
    data["parameters"]["departures_per_year"] = {"GTM": 1e9, "MEX": 1e9}
    data["population_scale"] = 100
    refused(write_yaml(tmp_path / "big.yaml", data), "big.yaml", "200,000,000 that fit in memory")


def test_a_crowd_of_one_day_counts_one_day(make_scenario):
    """The size check bounds the people each policy window sends, not the busiest day's rate
    over the whole run: a million leaving on one day of a year-long run is a million (it was
    refused as 365 million)."""
    from corridor.models.corridor import build_simulation

    sim = build_simulation(make_scenario(
        end="2010-12-31", parameters={"departures_per_year": {"GTM": 365.25, "MEX": 0}},
        policies=[{"name": "crowd", "start": "2010-03-01", "end": "2010-03-01",
                   "scale": {"departure_multiplier": {"GTM": 1e6}}}]))
    assert 1e6 <= sim.most_agents < 1.01e6


# ---- YAML itself

@pytest.mark.parametrize(("text", "words"), [
    ("name: a\nname: b\n", ["line 2", "key 'name' repeated"]),
    ("a: " + "[" * 3000 + "]" * 3000 + "\n", ["nested deeper than 100"]),
    ("\x1fname: a\n", ["line 1", "U+001F"]),
    ('a: &a ["x","x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
     'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n'
     'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n'
     'g: [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n', ["aliases expand to more than 1,000,000 values"]),
])
def test_yaml_that_would_mislead_or_exhaust(tmp_path, text, words):
    path = tmp_path / "y.yaml"
    path.write_text(text)
    refused(path, "y.yaml", *words)


def test_binary_and_nul_paths(tmp_path, tiny_dict):
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(bytes(range(256)) * 4)
    refused(binary, "bin.yaml", "binary file")
    data = copy.deepcopy(tiny_dict)
    data["network"]["nodes"] = "a\x00b.csv"
    refused(write_yaml(tmp_path / "nul.yaml", data), "nul.yaml", "network.nodes", "NUL")


def test_free_parameters_are_checked_by_validate_and_run(tmp_path, tiny_dict):
    for free, words in (({"x": {"parameter": "no_such", "low": 0, "high": 1}}, ["unknown parameter 'no_such'"]),
                        ({"us_apprehension_probability": {"low": 0.5, "high": 1.5}}, ["bounds [0.5, 1.5]"])):
        path = scenario(tmp_path, tiny_dict, free_parameters=free)
        refused(path, "s.yaml", "free_parameters", *words)
        refused(path, "s.yaml", "free_parameters", *words, command="run")


def test_a_nationality_the_defaults_lack_is_reported_in_the_users_file(tmp_path, tiny_dict):
    path = scenario(tmp_path, tiny_dict, nationalities=["GTM", "MEX", "HTI"])
    res = runner.invoke(app, ["validate", str(path)])
    one_error_line(res.stderr, "s.yaml", "parameters.departures_per_year", "no value for HTI")
    assert "fitted.yaml:" not in res.stderr.split("(")[0]


def test_flee_only_options_with_a_scenario_file(tiny_file):
    for option in (["--days", "5"], ["--settings", "x.yml"], ["--hasten", "2"]):
        res = runner.invoke(app, ["run", str(tiny_file), *option, "-q"])
        assert res.exit_code == 2
        one_error_line(res.stderr, option[0], "Flee scenario folders only")


# ---- networks

def network_scenario(tmp_path: Path, tiny_dict: dict, nodes: str = NODES_CSV, routes: str = ROUTES_CSV) -> Path:
    write_network(tmp_path, nodes, routes)
    data = copy.deepcopy(tiny_dict)
    data["network"] = {"nodes": "nodes.csv", "routes": "routes.csv"}
    return write_yaml(tmp_path / "net.yaml", data)


@pytest.mark.parametrize(("edit", "words"), [
    (("nodes", "asylum_office,south_mx", "asylum_ofice,south_mx"), ["nodes.csv", "asylum_ofice", "did you mean"]),
    (("nodes", "MEX,Chiapas", "MXX,Chiapas"), ["nodes.csv", "MXX", "ISO 3166"]),
    (("nodes", ",us_sector,us", ",transit,us"), ["nodes.csv", "us_sector"]),
    (("routes", "reynosa,us_mcallen,18,foot\n", ""), ["routes.csv", "no route leads"]),
    (("nodes", "tenosique,Tenosique,MEX,Tabasco,17.47,-91.42,transit,south_mx",
      "tenosique,Tenosique,MEX,Tabasco,17.47,-91.42,border_crossing,south_mx"),
     ["routes.csv", "tenosique", "dead end"]),
    (("nodes", "Tecun Uman", "Tecun" + "x" * 140_000), ["nodes.csv", "not a readable CSV file"]),
    (("routes", "60,foot", '"60,foot'), ["routes.csv", "not a readable CSV file"]),
])
def test_networks_checked_for_meaning(tmp_path, tiny_dict, edit, words):
    which, old, new = edit
    nodes, routes = NODES_CSV, ROUTES_CSV
    if which == "nodes":
        assert old in nodes
        nodes = nodes.replace(old, new, 1)
    else:
        assert old in routes
        routes = routes.replace(old, new, 1)
    refused(network_scenario(tmp_path, tiny_dict, nodes, routes), *words)


def test_a_network_with_more_places_than_fit(tmp_path, tiny_dict):
    extra = "".join(f"p{i},P{i},MEX,Veracruz,19.0,-96.0,transit,transit_mx\n" for i in range(33_000))
    refused(network_scenario(tmp_path, tiny_dict, NODES_CSV + extra), "nodes.csv", "32,767")


def test_spreadsheet_csvs_get_through(tmp_path, tiny_dict):
    nodes = "\ufeff" + NODES_CSV.replace("id,name,country,admin1", "ID, Name , country,admin1 ", 1)
    routes = "\ufeff" + ROUTES_CSV.replace("from,to,road_km,modes", "from, to, road_km, modes", 1)
    res = runner.invoke(app, ["validate", str(network_scenario(tmp_path, tiny_dict, nodes, routes))])
    assert res.exit_code == 0, res.output


# ---- targets files and command lines

@pytest.mark.parametrize(("row", "words"), [
    ("mx_detained,0,GTM,5", ["row 2, column year", "not a year"]),
    ('mx_detained,2010,GTM,"0,5"', ["row 2, column value", "not a number"]),
    ('mx_detained,2010,GTM,"1,2,3"', ["row 2, column value", "not a number"]),
    ('mx_detained,2010,GTM,"1', ["row 2", "not a readable CSV file"]),
    ("mx_detained,2010,GTM,1e300", ["row 2, column value", "more people than live on Earth"]),
])
def test_targets_files(tmp_path, row, words):
    import datetime as dt

    from corridor.analysis.targets_file import read_targets
    from corridor.errors import DataError

    path = tmp_path / "targets.csv"
    path.write_text(f"indicator,year,nationality,value\n{row}\n")
    with pytest.raises(DataError) as info:
        read_targets(path, indicators=["mx_detained"], nationalities=["GTM"], first_day=dt.date(2010, 1, 1),
                     last_day=dt.date(2010, 12, 31))
    for w in words:
        assert w in info.value.one_line()


@pytest.mark.parametrize(("argv", "words"), [
    (["run", "--bogus"], ["No such option", "corridor run --help"]),
    (["ensemble", "-n", "-1"], ["--members", "greater than or equal to 1"]),
    (["nonsense"], ["No such command"]),
    (["run", "--out", "/", "-q"], ["root of the file system"]),
])
def test_command_line_mistakes_are_one_line(capsys, argv, words):
    assert main(argv) == 2
    one_error_line(capsys.readouterr().err, *words)


def test_a_scenario_name_cannot_lead_out_of_the_runs_folder(tmp_path, tiny_dict):
    from corridor.cli import _default_out

    data = {**tiny_dict, "name": "Chiapas/Tabasco ../../escaped"}
    assert runner.invoke(app, ["validate", str(write_yaml(tmp_path / "s.yaml", data))]).exit_code == 0
    data = {**tiny_dict, "name": "two\nlines"}
    refused(write_yaml(tmp_path / "s.yaml", data), "s.yaml", "name", "control character")
    assert _default_out("ensemble", "../../escaped") == Path("runs") / "ensemble-escaped"
    assert _default_out("calibrate", "..") == Path("runs") / "calibrate-scenario"
    assert _default_out("sensitivity", "corridor-2010-2011") == Path("runs") / "sensitivity-corridor-2010-2011"


def test_yaml_merge_keys_are_read_as_yaml_reads_them(tmp_path, tiny_file):
    """``<<: *anchor`` is YAML, not a repeated key; an override after it neither."""
    path = tmp_path / "merge.yaml"
    path.write_text(tiny_file.read_text() + "free_parameters:\n  p:\n    <<: {low: 1, high: 5}\n"
                    "    parameter: asylum_min_days\n    high: 9\n")
    res = runner.invoke(app, ["validate", str(path)])
    assert res.exit_code == 0, res.output
    assert "free parameters: 1 valid" in res.output


def test_an_alias_inside_itself_is_one_line(tmp_path):
    path = tmp_path / "self.yaml"
    path.write_text("name: x\nparameters: &a\n  x: *a\n")
    refused(path, "self.yaml", "alias refers to the mapping or list that contains it")


def test_a_policy_may_last_for_good(tmp_path, tiny_dict):
    path = scenario(tmp_path, tiny_dict, policies=[{"name": "for-good", "start": "2010-02-01", "end": "9999-12-31",
                                                    "scale": {"us_apprehension_probability": 0.5}}])
    assert runner.invoke(app, ["validate", str(path)]).exit_code == 0


def test_paths_the_system_cannot_use(tmp_path, tiny_file, capsys):
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(tmp_path / "loop1")
    long = str(tmp_path / ("a" * 300))
    for argv, words in ((["validate", str(tmp_path / "loop1")], ["cannot use this path"]),
                        (["run", str(tiny_file), "--out", str(tmp_path / "loop1"), "-q"], ["--out", "cannot use"]),
                        (["validate", long + ".yaml"], ["too long"]),
                        (["run", str(tiny_file), "--out", long, "-q"], ["--out", "too long"]),
                        (["schema", "--out", long], ["--out", "too long"])):
        assert main(argv) == 2, argv
        one_error_line(capsys.readouterr().err, *words)


def test_file_options_write_through_links_and_into_pipes(tmp_path, capfd):
    real = tmp_path / "real.json"
    real.write_text("{}")
    (tmp_path / "link.json").symlink_to(real)
    assert main(["schema", "--out", str(tmp_path / "link.json")]) == 0
    assert (tmp_path / "link.json").is_symlink() and "$defs" in real.read_text()
    assert main(["schema", "--out", "/dev/stdout"]) == 0
    assert "$defs" in capfd.readouterr().out


def test_numbers_with_an_exponent_are_numbers(tmp_path, tiny_file):
    """YAML 1.1 reads 1e-3 as text; a user means a number (and 1e300 must meet the bounds)."""
    path = yaml_text(tmp_path, tiny_file, "GTM: 0.3", "GTM: 3e-1")
    assert runner.invoke(app, ["validate", str(path)]).exit_code == 0
    path = yaml_text(tmp_path, tiny_file, "GTM: 0.3", "GTM: 1e300")
    refused(path, "asylum_apply_probability", "outside")


def test_a_policy_sets_a_place_valued_parameter_by_id(make_scenario):
    """The lever acts: while the policy is in force the parameter holds the named place."""
    from corridor.models.corridor import build_simulation

    sim = build_simulation(make_scenario(policies=[{"name": "elsewhere", "start": "2010-02-01", "end": "2010-02-28",
                                                    "set": {"deportation_destination": {"GTM": "tapachula"}}}]))
    gtm = sim.nationalities.index("GTM")
    during = sim.schedule.at((dt.date(2010, 2, 10) - sim.day0).days).params.deportation_destination[gtm]
    before = sim.schedule.at(0).params.deportation_destination[gtm]
    assert during == sim.network.index("tapachula") and before != during
