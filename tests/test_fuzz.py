"""Fuzzing every reader a user's input goes through (Hypothesis).

Each property runs twice: a short run in the default test command and a long one marked
``slow`` (CI). The promise checked everywhere: an input is either accepted and gives finite
results, or refused with a :class:`UserInputError` whose message is one line; any other
exception fails the test. Where a value's domain is documented (a parameter's bounds, a
date), a value outside it must be refused.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from conftest import NODES_CSV, ROUTES_CSV, write_network, write_yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from corridor import packs, run_scenario
from corridor.analysis.targets_file import read_targets
from corridor.cli import main as cli_main
from corridor.errors import UserInputError
from corridor.models.corridor import build_simulation
from corridor.models.corridor import model as corridor_model
from corridor.models.corridor.geography import KINDS, ZONES
from corridor.scenario.loader import load_scenario
from corridor.scenario.schema import FIRST_YEAR, LAST_YEAR, MAX_RUN_DAYS

FLEE_FIXTURE = Path(__file__).parent / "data" / "flee" / "test_input_csv"

#: (examples, marks): the short run by default, the long one in CI.
RUNS = [pytest.param(25, id="short"), pytest.param(400, id="long", marks=pytest.mark.slow)]


def fuzz(examples: int) -> Callable:
    """Hypothesis settings for one run: deterministic, no deadline (a build may compile)."""
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


def outcome(action: Callable[[], Any]) -> tuple[str, Any]:
    """("ok", result) or ("refused", message); anything but a user error propagates."""
    try:
        result = action()
    except UserInputError as exc:
        line = exc.one_line()
        assert "\n" not in line and line.strip(), repr(line)
        _tally("refused")
        return "refused", line
    _tally("accepted")
    return "ok", result


def _tally(kind: str) -> None:
    # shown by ``pytest --hypothesis-show-statistics``: how many inputs got through
    if currently_in_test_context():
        event(kind)


def validate(path: Path) -> tuple[str, Any]:
    return outcome(lambda: packs.for_arg(str(path)).validate(str(path)))


def assert_runs_finite(path: Path, max_days: int = 400, max_agents: float = 50_000) -> None:
    """An accepted scenario of modest size runs, and every indicator is finite and >= 0."""
    sc = load_scenario(path)
    if (sc.spec.end - sc.spec.start).days > max_days or build_simulation(sc).most_agents > max_agents:
        return
    res = run_scenario(sc)
    assert np.isfinite(res.data).all() and (res.data >= 0).all()


# ---- values YAML can hold

SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.dates(min_value=dt.date(1, 1, 1)), st.sampled_from(["*", "GTM", "MEX", "tapachula", "bus", "2010-02-30"]),
)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=8) | st.integers(0, 3000), inner, max_size=3),
                      max_leaves=8)
KEYS = st.sampled_from(["name", "start", "end", "seed", "population_scale", "network", "nationalities",
                        "parameters", "policies", "set", "scale", "value", "source", "spin_up_days",
                        "close_locations", "close_routes", "free_parameters", "extends", "*"]) | st.text(max_size=8)


def _paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _paths(v, (*prefix, i))
    return out


def mutate(data: Any, draw: Callable) -> Any:
    """One random edit of a YAML tree: replace, delete or add a value somewhere."""
    data = copy.deepcopy(data)
    path = draw(st.sampled_from(_paths(data)))
    parent = data
    for k in path[:-1]:
        parent = parent[k]
    last = path[-1]
    op = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
    if op == "replace":
        parent[last] = draw(VALUES)
    elif op == "delete":
        del parent[last]
    elif isinstance(parent[last], dict):
        parent[last][draw(KEYS)] = draw(VALUES)
    elif isinstance(parent[last], list):
        parent[last].append(draw(VALUES))
    else:
        parent[last] = draw(VALUES)
    return data


# ---- scenarios

@pytest.mark.parametrize("examples", RUNS)
def test_mutated_scenarios_are_refused_in_one_line_or_run_finite(examples, tiny_dict, tmp_path):
    write_network(tmp_path)
    base = copy.deepcopy(tiny_dict)
    base["network"] = {"nodes": "nodes.csv", "routes": "routes.csv"}
    base["policies"] = [{"name": "lever", "start": "2010-02-01", "end": "2010-02-20",
                         "scale": {"us_apprehension_probability": 0.5}, "set": {"asylum_min_days": 5},
                         "close_routes": ["tecun_uman->tapachula"]}]

    @fuzz(examples)
    @given(st.data())
    def prop(data):
        tree = base
        for _ in range(data.draw(st.integers(1, 3))):
            tree = mutate(tree, data.draw)
        path = tmp_path / "mutated.yaml"
        path.write_text(yaml.safe_dump(tree, allow_unicode=True), encoding="utf-8")
        kind, _ = validate(path)
        if kind == "ok":
            assert_runs_finite(path)

    prop()


@pytest.mark.parametrize("examples", RUNS)
def test_mangled_yaml_text_is_refused_in_one_line(examples, tiny_file):
    text = tiny_file.read_text(encoding="utf-8")
    pieces = st.sampled_from([":", "-", "[", "]", "{", "}", "&a", "*a", "!!python/object", "\t", "\x00",
                              "\n", "  ", "'", '"', "#", "é", "\ufeff", "<<: *a", "? ", "%YAML 1.1\n---"])

    @fuzz(examples)
    @given(st.lists(st.tuples(st.integers(0, len(text)), st.integers(0, 8), pieces | st.text(max_size=4)),
                    min_size=1, max_size=4))
    def prop(edits):
        out = text
        for at, cut, piece in edits:
            at = min(at, len(out))
            out = out[:at] + piece + out[at + cut:]
        tiny_file.write_text(out, encoding="utf-8")
        validate(tiny_file)

    prop()


def _numeric_parameters() -> list[tuple[str, float, float]]:
    return [(name, spec.low, spec.high) for name, spec in corridor_model.PARAM_SPECS.items()
            if name not in corridor_model.LOCATION_VALUED]


@pytest.mark.parametrize("examples", RUNS)
def test_a_value_outside_its_documented_domain_is_refused(examples, tiny_dict, tmp_path):
    """Non-finite numbers and numbers outside a parameter's bounds, given as a parameter's value
    or by a policy's ``set``, never validate (they used to run to NaN results)."""
    params = _numeric_parameters()

    @fuzz(examples)
    @given(st.sampled_from(params), st.sampled_from(["parameter", "policy set", "policy scale"]), st.data())
    def prop(param, where, data):
        name, low, high = param
        bad = [st.sampled_from([math.nan, math.inf, -math.inf])]
        if where != "policy scale":          # a factor may leave a value inside its bounds
            bad.append(st.floats(max_value=low, exclude_max=True, allow_nan=False, allow_infinity=False,
                                 min_value=-1e300))
            bad.append(st.floats(min_value=high, exclude_min=True, allow_nan=False, allow_infinity=False,
                                 max_value=1e300))
        value = data.draw(st.one_of(bad))
        sc = copy.deepcopy(tiny_dict)
        if where == "parameter":
            sc["parameters"][name] = value
        else:
            sc["policies"] = [{"name": "bad", "start": "2010-01-10", where.split()[1]: {name: value}}]
        kind, message = validate(write_yaml(tmp_path / "domain.yaml", sc))
        assert kind == "refused", f"{name} = {value!r} as a {where} validated"

    prop()


@pytest.mark.parametrize("examples", RUNS)
def test_dates_are_accepted_exactly_when_they_exist_and_fit(examples, tiny_dict, tmp_path):
    @fuzz(examples)
    @given(st.integers(2005, 2100) | st.integers(0, 9999), st.integers(1, 12) | st.integers(0, 13),
           st.integers(27, 31) | st.integers(0, 32))
    def prop(year, month, day):
        text = f"{year:04d}-{month:02d}-{day:02d}"
        sc = copy.deepcopy(tiny_dict)
        sc["end"] = text
        path = tmp_path / "dates.yaml"
        # written by hand: the date must reach the loader as YAML text, not a quoted string
        path.write_text(yaml.safe_dump(sc, sort_keys=False).replace(f"'{text}'", text), encoding="utf-8")
        try:
            end = dt.date(year, month, day)
        except ValueError:
            end = None
        start = dt.date(2010, 1, 1)
        fits = (end is not None and FIRST_YEAR <= year <= LAST_YEAR and end >= start
                and (end - start).days + 1 <= MAX_RUN_DAYS)
        kind, message = validate(path)
        assert (kind == "ok") == fits, (text, message)

    prop()


# ---- networks

WILD = st.one_of(st.text(max_size=10), st.sampled_from(["", "nan", "inf", "-1", "1e400", "a,b", '"', " "]))
NUMBER_TEXT = st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: f"{x:.6g}")
#: Plausible values per column, and now and then a wild one: most edits keep a readable file,
#: so that both refusals and accepted networks that must then run are exercised.
COLUMN_CELLS = {
    "id": st.sampled_from(["huehuetenango", "tapachula", "veracruz", "reynosa", "new_place"]),
    "name": st.text(max_size=12), "admin1": st.sampled_from(["Chiapas", "Tabasco", "Texas", "Nowhere", ""]),
    "country": st.sampled_from(["GTM", "MEX", "USA", "HND", "XKX", "XXX", "gtm", "Mexico"]),
    "lat": NUMBER_TEXT | st.sampled_from(["91", "-91", "15.3"]), "lon": NUMBER_TEXT | st.sampled_from(["181", "-92.1"]),
    "kind": st.sampled_from([*KINDS, "border_crosing", "Transit", "camp"]),
    "zone": st.sampled_from([*ZONES, "southmx", "US"]),
    "from": st.sampled_from(["tapachula", "veracruz", "reynosa", "morelia", "nowhere"]),
    "to": st.sampled_from(["tapachula", "veracruz", "reynosa", "us_mcallen", "nowhere"]),
    "road_km": NUMBER_TEXT | st.sampled_from(["0", "1e7", "-5", "12.5"]),
    "modes": st.sampled_from(["foot", "bus;foot", "freight_train", "air", "bus; car", "teleport", ""]),
}


@pytest.mark.parametrize("examples", RUNS)
def test_mutated_networks_are_refused_in_one_line_or_run_finite(examples, tiny_dict, tmp_path):
    base = {name: [line.split(",") for line in text.strip().splitlines()]
            for name, text in (("nodes", NODES_CSV), ("routes", ROUTES_CSV))}

    @fuzz(examples)
    @given(st.data())
    def prop(data):
        tables = copy.deepcopy(base)
        for _ in range(data.draw(st.integers(1, 3))):
            name = data.draw(st.sampled_from(["nodes", "routes"]))
            table, header = tables[name], base[name][0]
            row = data.draw(st.integers(1, len(table) - 1))
            op = data.draw(st.sampled_from(["cell"] * 6 + ["wild cell", "drop row", "repeat row", "header"]))
            col = data.draw(st.integers(0, len(table[0]) - 1))
            if op == "cell" and col < len(table[row]):
                table[row][col] = data.draw(COLUMN_CELLS[header[col]])
            elif op == "wild cell" and col < len(table[row]):
                table[row][col] = data.draw(WILD)
            elif op == "drop row" and len(table) > 2:
                del table[row]
            elif op == "repeat row":
                table.append(list(table[row]))
            elif op == "header":
                table[0][col] = data.draw(st.sampled_from([" " + table[0][col] + " ", table[0][col].upper(), "x"]))
        for name, table in tables.items():
            (tmp_path / f"{name}.csv").write_text("\n".join(",".join(r) for r in table) + "\n", encoding="utf-8")
        sc = copy.deepcopy(tiny_dict)
        sc["network"] = {"nodes": "nodes.csv", "routes": "routes.csv"}
        path = write_yaml(tmp_path / "net.yaml", sc)
        kind, _ = validate(path)
        if kind == "ok":
            assert_runs_finite(path)

    prop()


def test_a_byte_order_mark_and_spaces_in_the_header_are_accepted(tiny_dict, tmp_path):
    nodes = "\ufeff" + NODES_CSV.replace(",", ", ", 7).replace("\n", "\n", 1)
    routes = ROUTES_CSV.replace("from,to,road_km,modes", "from , to, road_km ,modes")
    write_network(tmp_path, nodes, routes)
    sc = copy.deepcopy(tiny_dict)
    sc["network"] = {"nodes": "nodes.csv", "routes": "routes.csv"}
    kind, message = validate(write_yaml(tmp_path / "bom.yaml", sc))
    assert kind == "ok", message


# ---- Flee folders

FLEE_CELLS = st.one_of(st.text(max_size=8), st.sampled_from(
    ["", "nan", "inf", "-5", "1e30", "1e400", "0", "2010-02-30", "13", "camp", "town", "conflict_zone",
     "#", "A", "Z", "forward", "both", "-1", "99999"]))


@pytest.mark.parametrize("examples", RUNS)
def test_mutated_flee_folders_are_refused_in_one_line_or_read(examples, tmp_path):
    files = sorted(p.relative_to(FLEE_FIXTURE) for p in FLEE_FIXTURE.rglob("*.csv"))

    @fuzz(examples)
    @given(st.data())
    def prop(data):
        folder = tmp_path / "flee"
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(FLEE_FIXTURE, folder)
        for _ in range(data.draw(st.integers(1, 3))):
            target = folder / data.draw(st.sampled_from(files + [Path("simsetting.yml")]))
            if target.suffix == ".yml":
                tree = yaml.safe_load(target.read_text()) or {}
                target.write_text(yaml.safe_dump(mutate(tree, data.draw) if tree else {}), encoding="utf-8")
                continue
            rows = [line.split(",") for line in target.read_text(encoding="utf-8").splitlines()]
            if not rows:
                continue
            r = data.draw(st.integers(0, len(rows) - 1))
            if data.draw(st.booleans()) and rows[r]:
                rows[r][data.draw(st.integers(0, len(rows[r]) - 1))] = data.draw(FLEE_CELLS)
            else:
                del rows[r]
            target.write_text("\n".join(",".join(x) for x in rows) + "\n", encoding="utf-8")
        validate(folder)

    prop()


# ---- targets files

TARGET_VALUES = st.one_of(
    st.integers(0, 10**7).map(str), st.integers(0, 10**7).map(lambda x: f"{x:,}"),
    st.floats(0, 1e7, allow_nan=False).map(repr),
    st.sampled_from(["0,5", "1,2,3", "12,34", "1_000", "", "x", "nan", "-inf", "1e999", "-3", "١٢"]),
    st.floats().map(repr), st.text(max_size=6))
PERIOD_TEXT = {"year": st.sampled_from(["2010", "2011", "2010.0"]), "fiscal_year": st.sampled_from(["2010", "2011"]),
               "month": st.sampled_from(["2010-03", "2011-12", "2010-1"]),
               "date": st.sampled_from(["2010-03-15", "2011-02-28"])}
WILD_PERIODS = st.one_of(st.sampled_from(["0", "0000", "0001", "2010-13", "2010-02-30", "2011-02-29", "", "9999",
                                          "-1", "2009"]), st.text(max_size=6))


@pytest.mark.parametrize("examples", RUNS)
def test_targets_files_are_refused_in_one_line_or_read_finite(examples, tmp_path):
    indicators = ["mx_detained", "us_apprehended", "comar_applications"]
    kinds = ["year", "month", "date", "fiscal_year"]

    @fuzz(examples)
    @given(st.lists(st.tuples(st.sampled_from(indicators) | st.text(max_size=5), st.sampled_from(kinds),
                              st.booleans(), WILD_PERIODS, st.sampled_from(["GTM", "MEX", "GTM+MEX", "ALL", "XXX", ""]),
                              TARGET_VALUES, TARGET_VALUES | st.just("")),
                    min_size=1, max_size=3), st.data())
    def prop(rows, data):
        lines = ["indicator,year,month,date,fiscal_year,nationality,value,sd"]
        for ind, kind, plausible, wild, nat, value, sd in rows:
            cells = dict.fromkeys(kinds, "")
            cells[kind] = data.draw(PERIOD_TEXT[kind]) if plausible else wild
            lines.append(",".join(_csv_cell(c) for c in (ind, cells["year"], cells["month"], cells["date"],
                                                          cells["fiscal_year"], nat, value, sd)))
        path = tmp_path / "targets.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        kind, targets = outcome(lambda: read_targets(path, indicators=indicators, nationalities=["GTM", "MEX"],
                                                     first_day=dt.date(2009, 10, 1),
                                                     last_day=dt.date(2011, 12, 31)))
        if kind == "ok":
            for t in targets:
                assert math.isfinite(t.value) and t.value >= 0 and math.isfinite(t.sd) and t.sd > 0

    prop()


def _csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"' if any(c in text for c in ',"\n\r') else text


@pytest.mark.parametrize(("text", "value"), [("12,345", 12345.0), ("1,234,567.5", 1234567.5), ("1_000", 1000.0),
                                             ("0.25", 0.25), ("0,5", None), ("1,2,3", None), ("12,34", None),
                                             ("1,000_000", None)])
def test_targets_read_commas_only_as_thousands_separators(tmp_path, text, value):
    path = tmp_path / "t.csv"
    path.write_text(f'indicator,year,nationality,value\nmx_detained,2010,GTM,"{text}"\n', encoding="utf-8")
    kind, got = outcome(lambda: read_targets(path, indicators=["mx_detained"], nationalities=["GTM"],
                                             first_day=dt.date(2010, 1, 1), last_day=dt.date(2010, 12, 31)))
    if value is None:
        assert kind == "refused" and "row 2, column value" in got
    else:
        assert kind == "ok" and got[0].value == value


# ---- the command line

ARGS = st.sampled_from(["run", "validate", "schema", "evidence", "scenarios", "compare", "--out", "--json",
                        "--seed", "-n", "--days", "--settings", "--hasten", "--scale", "--quiet", "-q",
                        "--no-plots", "--help", "--version", "--bogus", "", "-1", "0", "1", "x", "1e9",
                        "builtin:corridor-2010-2011", "nothere.yaml", "SCENARIO", "FOLDER", "FILE", "OUT"])


@pytest.mark.parametrize("examples", RUNS)
def test_random_command_lines_end_in_one_line_or_succeed(examples, tiny_file, tmp_path, capsys, monkeypatch):
    """The installed command (``corridor.cli.main``, not the test runner) on random arguments:
    exit 0, or exit 2 with one ``error:`` line; never a traceback."""
    monkeypatch.chdir(tmp_path)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(bytes(range(256)))
    names = {"SCENARIO": str(tiny_file), "FOLDER": str(tmp_path), "FILE": str(binary),
             "OUT": str(tmp_path / "out" / "deeper")}

    @fuzz(examples)
    @given(st.lists(ARGS, min_size=1, max_size=6))
    def prop(argv):
        argv = [names.get(a, a) for a in argv]
        if argv[0] in ("run", "compare") and not any(a in argv for a in ("--help", "--version")):
            argv += ["-q", "--no-plots"] if argv[0] == "run" else ["-q", "-n", "1"]
            if "builtin:corridor-2010-2011" in argv:
                return                        # a full-length run: too slow for a fuzz case
        capsys.readouterr()
        code = cli_main(argv)
        err = capsys.readouterr().err
        assert "Traceback" not in err, (argv, err)
        assert code in (0, 2), (argv, code, err)
        if code == 2:
            lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("warning:")]
            assert len(lines) == 1 and lines[0].startswith("error:"), (argv, err)

    prop()
