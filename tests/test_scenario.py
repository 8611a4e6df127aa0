"""Scenario files: loading, extends chains, schema, and one clear error per mistake."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import NODES_CSV, ROUTES_CSV, write_network, write_yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from corridor import load_scenario
from corridor.errors import DataError, ScenarioError, UserInputError
from corridor.models.corridor import build_simulation
from corridor.scenario.loader import builtin_scenarios, scenario_from_dict
from corridor.scenario.schema import ScenarioFile


def _file(tmp_path: Path, data: dict[str, Any], name: str = "bad.yaml") -> Path:
    write_network(tmp_path)
    data = copy.deepcopy(data)
    if isinstance(data.get("network"), dict):
        data["network"] = {"nodes": "nodes.csv", "routes": "routes.csv"}
    return write_yaml(tmp_path / name, data)


def _fails(path: Path, *, at: str | None, build: bool = False,
           kind: type[UserInputError] = ScenarioError, file: Path | None = None) -> UserInputError:
    with pytest.raises(UserInputError) as exc:
        sc = load_scenario(path)
        if build:
            build_simulation(sc)
    err = exc.value
    assert isinstance(err, kind), f"{type(err).__name__}: {err}"
    text = str(err)
    assert (file or path).name in text, text
    assert str(file or path) == err.where
    if at is not None:
        assert err.at == at, text
        assert at in text
    assert "\n" not in text
    return err


# --- good files ------------------------------------------------------------------------

def test_tiny_file_loads_and_builds(tiny_file):
    sc = load_scenario(tiny_file)
    assert sc.name == "tiny" and sc.path == tiny_file and sc.chain == (tiny_file,)
    assert sc.spec.nationalities == ["GTM", "MEX"]
    # network paths are made relative to the scenario file
    assert Path(sc.spec.network.nodes) == (tiny_file.parent / "nodes.csv").resolve()
    sim = build_simulation(sc)
    assert sim.n_ticks == 90 and sim.nationalities == ("GTM", "MEX")


def test_hash_is_stable_and_seed_sensitive(tiny_file, tiny_dict):
    a, b = load_scenario(tiny_file), load_scenario(tiny_file)
    assert a.hash() == b.hash() and len(a.hash()) == 64
    c = a.with_seed(123)
    assert c.spec.seed == 123 and a.spec.seed == 7
    assert c.hash() != a.hash()
    # key order does not matter
    reordered = dict(reversed(list(tiny_dict.items())))
    assert scenario_from_dict(reordered).hash() == scenario_from_dict(tiny_dict).hash()


def test_builtin_by_name_and_default():
    assert "corridor-2010-2011" in builtin_scenarios()
    a = load_scenario("corridor-2010-2011")
    b = load_scenario(None)
    c = load_scenario("builtin:corridor-2010-2011")
    assert a.hash() == b.hash() == c.hash()
    assert a.spec.nationalities == ["MEX", "GTM", "HND", "SLV", "NIC", "ECU"]


def test_unknown_builtin():
    with pytest.raises(ScenarioError, match="no built-in scenario"):
        load_scenario("builtin:atlantis")


def test_bare_parameter_value_and_full_form(tiny_dict):
    tiny_dict["parameters"]["money_sigma"] = 0.5
    tiny_dict["parameters"]["kidnap_days"] = {"value": 3, "unit": "days",
                                              "source": {"kind": "assumption", "note": "test"}}
    sc = scenario_from_dict(tiny_dict)
    assert sc.spec.parameters["money_sigma"].value == 0.5
    assert sc.spec.parameters["kidnap_days"].source.kind == "assumption"


# --- one error per mistake -------------------------------------------------------------

def test_missing_key(tmp_path, tiny_dict):
    del tiny_dict["end"]
    err = _fails(_file(tmp_path, tiny_dict), at="end")
    assert "missing" in err.message


@pytest.mark.parametrize("key, value", [
    ("start", "the first of May"), ("end", [2010]), ("seed", "lucky"), ("seed", 1.5),
    ("population_scale", "half"), ("spin_up_days", "a week"), ("name", 12),
    ("nationalities", "GTM"), ("parameters", [1, 2]), ("policies", {"a": 1}),
    ("network", "nodes.csv"), ("model", "weather"),
])
def test_wrong_type(tmp_path, tiny_dict, key, value):
    tiny_dict[key] = value
    _fails(_file(tmp_path, tiny_dict), at=key)


@pytest.mark.parametrize("key, value", [
    ("population_scale", 0), ("population_scale", 100.5), ("seed", -1), ("spin_up_days", -3),
])
def test_value_out_of_range(tmp_path, tiny_dict, key, value):
    tiny_dict[key] = value
    _fails(_file(tmp_path, tiny_dict), at=key)


def test_unknown_top_level_key(tmp_path, tiny_dict):
    tiny_dict["colour"] = "red"
    err = _fails(_file(tmp_path, tiny_dict), at="colour")
    assert "unknown key" in err.message


def test_unknown_key_in_a_policy(tmp_path, tiny_dict):
    tiny_dict["policies"] = [{"name": "p", "start": "2010-02-01", "sclae": {"kidnap_days": 2}}]
    _fails(_file(tmp_path, tiny_dict), at="policies.0.sclae")


def test_unknown_key_in_network(tmp_path, tiny_dict):
    tiny_dict["network"]["edges"] = "x.csv"
    path = _file(tmp_path, tiny_dict)
    data = yaml.safe_load(path.read_text())
    data["network"]["edges"] = "x.csv"
    write_yaml(path, data)
    _fails(path, at="network.edges")


def test_unknown_key_in_a_parameter(tmp_path, tiny_dict):
    tiny_dict["parameters"]["kidnap_days"] = {"value": 3, "units": "days"}
    _fails(_file(tmp_path, tiny_dict), at="parameters.kidnap_days.units")


def test_unknown_close_location(tmp_path, tiny_dict):
    tiny_dict["policies"] = [{"name": "p", "start": "2010-02-01", "close_locations": ["atlantis"]}]
    err = _fails(_file(tmp_path, tiny_dict), at="policies.0.close_locations.0", build=True)
    assert "atlantis" in err.message


def test_unknown_close_route(tmp_path, tiny_dict):
    tiny_dict["policies"] = [{"name": "p", "start": "2010-02-01",
                              "close_routes": ["reynosa->veracruz"]}]
    _fails(_file(tmp_path, tiny_dict), at="policies.0.close_routes.0", build=True)


def test_malformed_close_route(tmp_path, tiny_dict):
    tiny_dict["policies"] = [{"name": "p", "start": "2010-02-01", "close_routes": ["reynosa"]}]
    _fails(_file(tmp_path, tiny_dict), at="policies.0.close_routes")


def test_unknown_deportation_destination(tmp_path, tiny_dict):
    tiny_dict["parameters"]["deportation_destination"] = {"GTM": "atlantis"}
    err = _fails(_file(tmp_path, tiny_dict), at="parameters.deportation_destination.value.GTM",
                 build=True)
    assert "atlantis" in err.message


def test_negative_distance_in_network_file(tmp_path, tiny_dict):
    path = _file(tmp_path, tiny_dict)
    (tmp_path / "routes.csv").write_text(ROUTES_CSV + "tapachula,reynosa,-40,bus\n")
    _fails(path, at="row 8, column road_km", build=True, kind=DataError,
           file=tmp_path / "routes.csv")


def test_empty_network(tmp_path, tiny_dict):
    path = _file(tmp_path, tiny_dict)
    (tmp_path / "nodes.csv").write_text(NODES_CSV.splitlines()[0] + "\n")
    _fails(path, at=None, build=True, kind=DataError, file=tmp_path / "nodes.csv")


def test_missing_network_file(tmp_path, tiny_dict):
    path = _file(tmp_path, tiny_dict)
    (tmp_path / "routes.csv").unlink()
    _fails(path, at=None, build=True, kind=DataError, file=tmp_path / "routes.csv")


def test_end_before_start(tmp_path, tiny_dict):
    tiny_dict["end"] = "2009-12-01"
    err = _fails(_file(tmp_path, tiny_dict), at=None)
    assert "before start" in err.message


def test_policy_end_before_start(tmp_path, tiny_dict):
    tiny_dict["policies"] = [{"name": "p", "start": "2010-02-01", "end": "2010-01-15"}]
    err = _fails(_file(tmp_path, tiny_dict), at="policies.0")
    assert "before start" in err.message


def test_policy_outside_the_run_has_no_effect_and_validate_says_so(tmp_path, tiny_dict):
    # a policy of another era (often inherited by `extends`) is harmless: skipped, and reported
    from typer.testing import CliRunner

    from corridor.cli import app
    from corridor.models.corridor import build_simulation
    from corridor.scenario.loader import load_scenario

    plain = build_simulation(load_scenario(_file(tmp_path, tiny_dict)))
    plain.run()
    tiny_dict["policies"] = [{"name": "later", "start": "2011-02-01", "set": {"kidnap_days": 1}}]
    path = _file(tmp_path / "b", tiny_dict)
    sim = build_simulation(load_scenario(path))
    sim.run()
    assert sim.policies_outside_run == ("later",)
    assert (sim.recorder.data == plain.recorder.data).all()
    res = CliRunner().invoke(app, ["validate", str(path)])
    assert res.exit_code == 0 and "later" in res.output and "no effect" in res.output


def test_policy_names_repeat(tmp_path, tiny_dict):
    tiny_dict["policies"] = [{"name": "p", "start": "2010-02-01"}, {"name": "p", "start": "2010-03-01"}]
    err = _fails(_file(tmp_path, tiny_dict), at=None)
    assert "repeat" in err.message


def test_probability_above_one(tmp_path, tiny_dict):
    tiny_dict["parameters"]["us_apprehension_probability"] = 1.5
    err = _fails(_file(tmp_path, tiny_dict), at="parameters.us_apprehension_probability.value",
                 build=True)
    assert "1.5" in err.message and "[0, 1]" in err.message


def test_negative_probability_for_one_nationality(tmp_path, tiny_dict):
    tiny_dict["parameters"]["us_apprehension_probability"] = {"GTM": -0.1, "*": 0.5}
    _fails(_file(tmp_path, tiny_dict), at="parameters.us_apprehension_probability.value",
           build=True)


def test_shares_must_add_up(tmp_path, tiny_dict):
    tiny_dict["parameters"]["origin_share"]["GTM"]["quetzaltenango"] = 0.5
    err = _fails(_file(tmp_path, tiny_dict), at="parameters.origin_share.value.GTM", build=True)
    assert "1.5" in err.message


def test_unknown_parameter(tmp_path, tiny_dict):
    tiny_dict["parameters"]["happiness"] = 0.5
    _fails(_file(tmp_path, tiny_dict), at="parameters.happiness", build=True)


def test_unknown_parameter_in_a_policy(tmp_path, tiny_dict):
    tiny_dict["policies"] = [{"name": "p", "start": "2010-02-01", "scale": {"happiness": 2}}]
    _fails(_file(tmp_path, tiny_dict), at="policies.0.scale.happiness", build=True)


def test_unknown_nationality_key(tmp_path, tiny_dict):
    tiny_dict["parameters"]["us_apprehension_probability"] = {"FRA": 0.2, "*": 0.5}
    err = _fails(_file(tmp_path, tiny_dict),
                 at="parameters.us_apprehension_probability.value.FRA", build=True)
    assert "GTM" in err.expected


@pytest.mark.parametrize("codes", [["GT"], ["gtm"], ["GTM1"], ["GTM", "GTM"], []])
def test_bad_nationalities(tmp_path, tiny_dict, codes):
    tiny_dict["nationalities"] = codes
    _fails(_file(tmp_path, tiny_dict), at="nationalities")


def test_nonexistent_file(tmp_path):
    _fails(tmp_path / "nope.yaml", at=None)


def test_directory(tmp_path):
    (tmp_path / "dir.yaml").mkdir()
    _fails(tmp_path / "dir.yaml", at=None)


def test_invalid_yaml(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nstart: [2010-01-01\nend: 2010-02-01\n")
    err = _fails(path, at=None)
    assert "invalid YAML" in err.message and err.at.startswith("line ")


def test_not_utf8(tmp_path):
    path = tmp_path / "latin.yaml"
    path.write_bytes("name: Tecún\n".encode("latin-1"))
    err = _fails(path, at=None)
    assert "UTF-8" in err.message


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just text\n"])
def test_not_a_mapping(tmp_path, text):
    path = tmp_path / "odd.yaml"
    path.write_text(text)
    _fails(path, at=None)


# --- extends ---------------------------------------------------------------------------

@pytest.fixture
def parent(tmp_path, tiny_dict):
    data = copy.deepcopy(tiny_dict)
    data["name"] = "parent"
    data["parameters"]["kidnap_days"] = 3
    data["policies"] = [
        {"name": "a", "start": "2010-02-01", "scale": {"us_apprehension_probability": 0.5}},
        {"name": "b", "start": "2010-03-01", "set": {"kidnap_days": 4}},
    ]
    return _file(tmp_path / "base", data, "parent.yaml")


def test_extends_child_overrides_parent(tmp_path, parent):
    child = write_yaml(tmp_path / "child" / "child.yaml", {
        "extends": "../base/parent.yaml", "name": "child", "seed": 99,
        "parameters": {"kidnap_days": 5, "departures_per_year": {"GTM": 100}},
        "policies": [
            {"name": "a", "start": "2010-01-15", "scale": {"us_apprehension_probability": 0.1}},
            {"name": "c", "start": "2010-03-15", "close_locations": ["tenosique"]},
        ],
    })
    sc = load_scenario(child)
    s = sc.spec
    assert [p.resolve() for p in sc.chain] == [child, parent]
    assert s.name == "child" and s.seed == 99
    assert s.start.isoformat() == "2010-01-01" and s.nationalities == ["GTM", "MEX"]  # kept
    assert s.parameters["kidnap_days"].value == 5
    assert s.parameters["departures_per_year"].value == {"GTM": 100, "MEX": 3000}   # deep merge
    assert s.parameters["asylum_min_days"].value == 10                              # kept
    # the parent's network paths stay relative to the parent file
    assert Path(s.network.nodes) == (parent.parent / "nodes.csv").resolve()
    # policies merge by name: a replaced, b kept, c added
    assert [p.name for p in s.policies] == ["a", "b", "c"]
    assert s.policies[0].scale == {"us_apprehension_probability": 0.1}
    assert str(s.policies[0].start) == "2010-01-15"
    assert s.policies[1].set == {"kidnap_days": 4}
    assert sc.file_for("parameters.kidnap_days").resolve() == child
    assert sc.file_for("parameters.origin_share").resolve() == parent
    build_simulation(sc)


def test_error_in_parent_names_the_parent(tmp_path, parent):
    data = yaml.safe_load(parent.read_text())
    data["colour"] = "red"
    write_yaml(parent, data)
    child = write_yaml(tmp_path / "child.yaml", {"extends": "base/parent.yaml", "name": "c"})
    _fails(child, at="colour", file=parent)


def test_extends_missing_parent(tmp_path):
    child = write_yaml(tmp_path / "child.yaml", {"extends": "nope.yaml", "name": "c"})
    with pytest.raises(ScenarioError, match="nope.yaml"):
        load_scenario(child)


def test_extends_builtin(tmp_path):
    child = write_yaml(tmp_path / "child.yaml", {
        "extends": "builtin:corridor-2010-2011", "name": "short", "end": "2009-10-31",
        "population_scale": 0.01})
    sc = load_scenario(child)
    assert sc.name == "short" and sc.spec.spin_up_days == 180
    assert sc.spec.nationalities[0] == "MEX" and sc.spec.population_scale == 0.01


def test_extends_cycle(tmp_path):
    write_yaml(tmp_path / "a.yaml", {"extends": "b.yaml", "name": "a"})
    write_yaml(tmp_path / "b.yaml", {"extends": "a.yaml", "name": "b"})
    err = _fails(tmp_path / "a.yaml", at="extends")
    assert "cycle" in err.message


def test_extends_itself(tmp_path):
    write_yaml(tmp_path / "a.yaml", {"extends": "a.yaml", "name": "a"})
    _fails(tmp_path / "a.yaml", at="extends")


def test_extends_not_a_string(tmp_path):
    write_yaml(tmp_path / "a.yaml", {"extends": ["b.yaml"], "name": "a"})
    _fails(tmp_path / "a.yaml", at="extends")


# --- JSON schema -----------------------------------------------------------------------

def test_json_schema_is_closed():
    schema = ScenarioFile.model_json_schema()
    json.dumps(schema)
    assert schema["additionalProperties"] is False
    assert {"name", "start", "end", "nationalities", "parameters", "policies", "network",
            "population_scale", "seed", "spin_up_days"} <= set(schema["properties"])
    assert {"name", "start", "end"} <= set(schema["required"])
    for name in ("PolicySpec", "NetworkFiles", "ParamOverride"):
        assert schema["$defs"][name]["additionalProperties"] is False, name


def test_schema_and_validation_agree_on_keys(tiny_dict):
    schema = ScenarioFile.model_json_schema()
    for key in schema["properties"]:
        assert key in ScenarioFile.model_fields
    tiny_dict["not_in_schema"] = 1
    with pytest.raises(ScenarioError):
        scenario_from_dict(tiny_dict)


# --- property tests --------------------------------------------------------------------

TOP_KEYS = set(ScenarioFile.model_fields)
POLICY_KEYS = {"name", "description", "start", "end", "scale", "set", "close_routes",
               "close_locations", "source"}
junk = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                    | st.text(max_size=8),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
                    max_leaves=6)
MINIMAL = {"name": "x", "start": "2010-01-01", "end": "2010-02-01", "nationalities": ["GTM"],
           "policies": [{"name": "p", "start": "2010-01-05"}]}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(extra=st.dictionaries(st.text(min_size=1, max_size=12), junk, min_size=1, max_size=3),
       where=st.sampled_from(["top", "policy", "network"]))
def test_extra_keys_always_rejected(extra, where):
    data = copy.deepcopy(MINIMAL)
    data["network"] = {"nodes": "n.csv", "routes": "r.csv"}
    known = {"top": TOP_KEYS, "policy": POLICY_KEYS, "network": {"nodes", "routes"}}[where]
    extra = {k: v for k, v in extra.items() if k not in known}
    if not extra:
        return
    target = {"top": data, "policy": data["policies"][0], "network": data["network"]}[where]
    target.update(extra)
    with pytest.raises(ScenarioError) as exc:
        scenario_from_dict(data)
    assert "unknown key" in str(exc.value)


NOT_TEXT = st.integers() | st.floats(allow_nan=False) | st.lists(st.integers(), max_size=2) \
    | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2) | st.booleans()
NOT_A_DATE = st.text(max_size=10).filter(lambda s: not s[:1].isdigit()) \
    | st.lists(st.integers(), max_size=2) | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)
NOT_A_NUMBER = st.text(alphabet="abcxyz ", max_size=6) | st.lists(st.integers(), min_size=1, max_size=2) \
    | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2)
WRONG = {
    "name": NOT_TEXT | st.none(),
    "description": NOT_TEXT | st.none(),
    "model": st.text(max_size=8).filter(lambda s: s != "corridor") | NOT_TEXT,
    "start": NOT_A_DATE,
    "end": NOT_A_DATE,
    "spin_up_days": NOT_A_NUMBER | st.integers(max_value=-1) | st.integers(min_value=3651)
    | st.floats(0.1, 0.9),
    "seed": NOT_A_NUMBER | st.integers(max_value=-1) | st.floats(0.1, 0.9),
    "population_scale": NOT_A_NUMBER | st.floats(max_value=0.0) | st.floats(min_value=100.01),
    "nationalities": st.text(max_size=5) | st.integers() | st.lists(
        st.text(max_size=5).filter(lambda s: not (len(s) == 3 and s.isalpha() and s.isupper())),
        min_size=1, max_size=3),
    "parameters": st.lists(st.integers(), max_size=2) | st.text(max_size=5) | st.integers(),
    "policies": st.dictionaries(st.text(max_size=3), st.integers(), max_size=2) | st.text(max_size=5)
    | st.lists(st.integers() | st.text(max_size=3), min_size=1, max_size=2),
    "network": st.text(max_size=5) | st.integers() | st.lists(st.text(max_size=3), max_size=2)
    | st.just({"nodes": "n.csv"}),
}


@settings(max_examples=300, deadline=None)
@given(data=st.data(), key=st.sampled_from(sorted(WRONG)))
def test_wrong_values_always_rejected_with_scenario_error(data, key):
    doc = copy.deepcopy(MINIMAL)
    doc[key] = data.draw(WRONG[key], label=key)
    with pytest.raises(ScenarioError) as exc:     # never another exception type
        scenario_from_dict(doc)
    assert exc.value.at is not None and exc.value.at.split(".")[0] == key


@settings(max_examples=200, deadline=None)
@given(doc=st.dictionaries(st.sampled_from(sorted(TOP_KEYS) + ["extra"]), junk, max_size=8))
def test_arbitrary_documents_never_crash(doc):
    try:
        scenario_from_dict(doc)
    except ScenarioError:
        pass


# --- lax coercions that should be errors ----------------------------------------------

@pytest.mark.parametrize("key, value", [
    ("seed", True),                 # YAML `seed: yes`
    ("population_scale", True),     # YAML `population_scale: on`
    ("start", 0),                   # a number is not a date (read as 1970-01-01)
])
def test_values_of_another_type_are_not_coerced(tiny_dict, key, value):
    tiny_dict[key] = value
    if key == "start":
        tiny_dict["end"] = "2010-01-01"
    with pytest.raises(ScenarioError):
        scenario_from_dict(tiny_dict)


def test_seed_beyond_64_bits_rejected(tiny_dict):
    """The run registry stores the seed as BIGINT; larger seeds must be refused up front."""
    tiny_dict["seed"] = 2**63
    with pytest.raises(ScenarioError) as exc:
        scenario_from_dict(tiny_dict)
    assert exc.value.at == "seed"


def test_parameter_entries_merge_across_extends(tmp_path, tiny_dict):
    """A parent's {value, source} entry and a child's bare mapping merge value by value; a
    mapping with "*" replaces the level, as it does over the defaults."""
    from corridor.scenario.loader import load_scenario

    tiny_dict["parameters"]["us_apprehension_probability"] = {
        "value": {"GTM": 0.3, "MEX": 0.4}, "source": {"kind": "assumption", "note": "parent's value"}}
    _file(tmp_path, tiny_dict, "parent.yaml")
    (tmp_path / "child.yaml").write_text(
        "extends: parent.yaml\nname: child\nparameters:\n  us_apprehension_probability: {GTM: 0.9}\n"
        "  kidnap_days: {value: 3}\n")
    spec = load_scenario(tmp_path / "child.yaml").spec
    entry = spec.parameters["us_apprehension_probability"]
    assert entry.value == {"GTM": 0.9, "MEX": 0.4}
    assert entry.source is None            # the child changed the value; the parent's source no longer covers it
    (tmp_path / "star.yaml").write_text(
        "extends: parent.yaml\nname: star\nparameters:\n  us_apprehension_probability: {'*': 0.5}\n")
    assert load_scenario(tmp_path / "star.yaml").spec.parameters["us_apprehension_probability"].value == {"*": 0.5}
