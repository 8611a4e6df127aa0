"""The corridor model's mechanisms: declarations, isolation of the per-person pass, and the
compiled day against the same rules run as plain Python (``NUMBA_DISABLE_JIT=1``), bit for bit.

The reference runs in a subprocess (Numba reads ``NUMBA_DISABLE_JIT`` at import). The busy world
turns every lever on, with rates high enough that each mechanism acts within 60 days, and two
mid-run policies (a new parameter version, a closed route).
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import pickle
import subprocess
import sys
import textwrap

import numba
import numpy as np
import pytest
from scipy.stats import poisson

from corridor.errors import UserInputError
from corridor.indicators import Indicator
from corridor.models.corridor import build_simulation, day, runner, world
from corridor.models.corridor.declare import Column, Mechanism, Stream
from corridor.models.corridor.isolation import touches
from corridor.models.corridor.mechanisms import MECHANISMS, PHASES
from corridor.models.corridor.mechanisms.departures import poisson_quantile
from corridor.params import ParamSpec
from corridor.rng import RandomStreams, day_key, hash_uniform
from corridor.rng_kernels import uniform_at

EVERYTHING = {   # every lever on at once, with rates high enough that each mechanism acts in 60 days
    "caravan_departures_per_day": {"GTM": 15}, "caravan_visa_probability": 0.3,
    "caravan_asylum_apply_probability": 0.5, "caravan_detection_factor": 1.5, "predation_caravan_factor": 0.5,
    "transit_document_share": {"GTM": 0.3}, "visitor_card_share": {"GTM": 0.5, "MEX": 0.0},
    "visitor_card_validity_days": 3, "visitor_card_region": {"Chiapas": 1, "*": 0},
    "detection_document_factor": {"transit_document": 0.5, "visitor_card": 0.2},
    "predation_document_factor": {"visa": 0.5},
    "official_extortion_probability": 0.2, "collusion_kidnap_probability": 0.1,
    "minor_care_probability": 0.7, "family_separation_probability": 0.5,
    "group_share": {"*": {"alone": 0.5, "family": 0.3, "unaccompanied_minor": 0.2}},
    "visa_share": {"GTM": 0.1, "MEX": 0.0},
    "us_asylum_claim_probability": {"GTM": 0.6, "MEX": 0.1}, "mpp_share": 0.5, "mpp_wait_days": 5,
    "us_asylum_grant_probability": {"*": 0.3}, "us_return_to_border_share": {"*": 0.3},
    "us_removal_to_south_mexico_share": {"GTM": 0.5}, "us_removal_south_location": "tapachula",
    "expulsion_days": 2, "crossing_extra_km": {"reynosa": 18}, "apprehension_per_extra_km": 0.05,
    "port_entry_share": {"GTM": 0.2},
    "us_interior_arrest_per_year": {"*": 6.0}, "us_removal_probability": {"*": 0.8},
    "consular_defence_factor": {"MEX": 0.5, "*": 1.0},
    "asylum_decisions_per_day": 1.7, "asylum_min_days": 3, "asylum_abandon_per_day": 0.02,
    "kidnap_days": 2, "detention_days": 3, "retry_wait_days_mx": 4, "retry_wait_days_us": {"*": 3},
    "north_wait_days": 1, "money_sigma": 1.5, "mode_min_money_usd": {"bus": 300},
    "kidnap_death_probability": 0.2, "us_crossing_death_probability": 0.02,
}
POLICIES = [   # levers that change mid-run (a new parameter version, closed routes)
    {"name": "crackdown", "start": "2010-01-20", "end": "2010-02-05",
     "scale": {"mx_detection_per_100km": {"Chiapas": 4.0}, "daily_move_probability": 0.5}},
    {"name": "closure", "start": "2010-02-01", "end": "2010-02-10", "close_routes": ["tapachula->veracruz"]},
]


def outcome(sim) -> dict:
    """Everything a run leaves: records, flows, agent-days and every column of every agent."""
    return {"data": sim.recorder.data.copy(), "route_flows": sim.recorder.route_flows.copy(),
            "agent_days": sim.agent_days, "agents": sim.agents.snapshot(),
            "still_in": sorted(int(s) for s in sim.live_slots() if sim.agents.live[s])}


def assert_same(a: dict, b: dict) -> None:
    assert a["agent_days"] == b["agent_days"]
    assert np.array_equal(a["data"], b["data"]), np.argwhere(a["data"] != b["data"])[:5]
    assert np.array_equal(a["route_flows"], b["route_flows"])
    for name in a["agents"]:
        same = a["agents"][name] == b["agents"][name]
        assert same.all(), (name, np.flatnonzero(~same)[:5])
    assert a["still_in"] == b["still_in"]


def run(scenario, **runner_options):
    sim = build_simulation(scenario)
    if runner_options:
        sim.runner = runner.CompiledDay(sim, **runner_options)
    sim.run()
    return sim


REFERENCE = """
import pickle, sys
from corridor.models.corridor import build_simulation
from corridor.scenario.loader import load_scenario
sys.path.insert(0, {tests!r})
from test_mechanisms import outcome
sim = build_simulation(load_scenario({path!r}))
sim.run()
pickle.dump(outcome(sim), open({out!r}, "wb"))
"""


def python_reference(scenario, tmp_path) -> dict:
    """The same scenario with the rules run as plain Python (``NUMBA_DISABLE_JIT=1``)."""
    path, out = tmp_path / "scenario.yaml", tmp_path / "reference.pkl"
    path.write_text(json.dumps(scenario.canonical(), default=str), encoding="utf-8")
    code = REFERENCE.format(tests=os.path.dirname(__file__), path=str(path), out=str(out))
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    with open(out, "rb") as f:
        return pickle.load(f)


@pytest.fixture(scope="module")
def busy(make_scenario):
    return make_scenario(end="2010-03-01", spin_up_days=10, parameters=EVERYTHING, policies=POLICIES)


@pytest.fixture(scope="module")
def busy_compiled(busy):
    return run(busy)


@pytest.fixture(scope="module")
def busy_reference(busy, tmp_path_factory):
    return python_reference(busy, tmp_path_factory.mktemp("reference"))


# ---- declarations: one rule, and the tables derived from what each mechanism declares

def test_tables_are_the_union_of_the_declarations():
    assert list(world.PARAM_SPECS) == [p.name for m in MECHANISMS for p in m.parameters]
    assert [i.name for i in world.INDICATORS] == [i.name for m in MECHANISMS for i in m.indicators]
    assert world.STREAMS == tuple(s.name for m in MECHANISMS for s in m.streams)
    assert world.Params._fields == (*world.PARAM_SPECS, *(n for m in MECHANISMS for n in m.derived))
    assert PHASES == ("policies", *(m.name for m in MECHANISMS))
    for m in MECHANISMS:
        assert m.doc and (m.rule is not None or m.coupled), m.name
        for name in m.also_counts:
            assert name in {i.name for i in world.INDICATORS}, (m.name, name)


def _module_source(m: Mechanism) -> str:
    fn = (m.rule or m.coupled[0]).py_func
    return inspect.getsource(sys.modules[fn.__module__])


@pytest.mark.parametrize("mech", MECHANISMS, ids=lambda m: m.name)
def test_a_mechanism_uses_only_what_it_declares(mech):
    """Every parameter, stream and indicator a mechanism's compiled code reads by name is declared by
    that mechanism (or, for indicators, listed in ``also_counts``; for parameters, declared by
    the mechanism whose helper it calls)."""
    tree = ast.parse(_module_source(mech))
    compiled = [f for f in tree.body if isinstance(f, ast.FunctionDef)
                and any("njit" in ast.unparse(dec) for dec in f.decorator_list)]
    used = {"params": set(), "streams": set(), "indicators": set()}
    short = {"p": "params", "k": "streams", "x": "indicators"}
    for node in (n for f in compiled for n in ast.walk(f)):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in short:
            used[short[node.value.id]].add(node.attr)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute) \
                and node.value.attr in used and isinstance(node.value.value, ast.Name) and node.value.value.id == "w":
            used[node.value.attr].add(node.attr)
    own = {p.name for p in mech.parameters} | set(mech.derived)
    foreign = used["params"] - own
    # a parameter of another mechanism is read only through that mechanism's declaration
    owners = {p.name: m.name for m in MECHANISMS for p in m.parameters} | \
        {n: m.name for m in MECHANISMS for n in m.derived}
    assert all(name in owners for name in used["params"]), used["params"] - set(owners)
    assert foreign <= {"north_wait_days", "robbery_loss_fraction", "robbery_min_loss_usd", "kidnap_days",
                       "retry_wait_days_us",
                       "us_removal_to_south_mexico_share", "us_removal_south_location", "expulsion_days"}, \
        (mech.name, sorted(foreign))
    assert used["streams"] <= {s.name for s in mech.streams}, (mech.name, used["streams"])
    assert used["indicators"] <= {i.name for i in mech.indicators} | set(mech.also_counts), \
        (mech.name, used["indicators"])


@pytest.mark.parametrize("mech", [m for m in MECHANISMS if m.rule is not None], ids=lambda m: m.name)
def test_declared_columns_are_what_the_rule_touches(mech):
    found = touches(mech.rule)
    if mech.entry is not None:
        extra = touches(mech.entry)
        found.reads |= extra.reads
        found.writes |= extra.writes
        found.other_rows += extra.other_rows
    assert found.reads == set(mech.reads), (sorted(found.reads - set(mech.reads)),
                                            sorted(set(mech.reads) - found.reads))
    assert found.writes == set(mech.writes), (sorted(found.writes - set(mech.writes)),
                                              sorted(set(mech.writes) - found.writes))
    assert found.other_rows == [], found.other_rows      # the person's own row only


def _neighbour_helper(tbl, j):
    tbl.timer[j + 1] = 0                                     # a helper writing the next row


def test_a_coupled_rule_is_caught():
    """A crowding rule that reads other people's rows, or the day's tallies, or flags another
    position, cannot pass as a per-person rule, however it reaches them."""
    def crowding(s, i, w, d):
        a = w.agents
        if a.loc[s - 1] == a.loc[s]:                        # the neighbour in the table
            a.timer[s] += 1
        if d.counts[0, a.nationality[s], a.loc[s]] > 10:    # how many others did something today
            a.status[s] = 0
        _neighbour_helper(w.agents, s)                      # through a helper, by another name
        d.flags[i + 1] |= 1                                  # someone else's flag
        s = a.route[s]                                       # then "s" is somebody else
        a.timer[s] = 0

    found = touches(crowding)
    assert len(found.other_rows) == 5, found.other_rows
    assert any("loc[s - 1]" in x for x in found.other_rows)
    assert any("tallies are write-only" in x for x in found.other_rows)
    assert any("timer[j + 1] in _neighbour_helper" in x for x in found.other_rows)
    assert any("another position" in x for x in found.other_rows)
    assert any("s rebound" in x for x in found.other_rows)
    assert {"loc", "timer", "nationality", "route"} <= found.reads and {"timer", "status"} <= found.writes


def test_the_pass_calls_every_rule_in_the_registry_order():
    """``day.person`` is the one hand-written list of the pass: its calls must be the registry's
    per-person rules, in order, each under its own phase bit."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(day.person.py_func)))
    calls = []
    for node in tree.body[0].body:
        if isinstance(node, ast.If):
            bit = node.test.right.value
            call = node.body[0].value
            calls.append((bit, ast.unparse(call.func)))
    expected = [(day.PHASE_BIT[m.name], f"{m.rule.py_func.__module__.rsplit('.', 1)[1]}.{m.rule.py_func.__name__}")
                for m in day.PASS]
    expected = [(bit, name.replace("us_interior.", "interior.")) for bit, name in expected]
    assert calls == expected


def _calls(fn) -> list[str]:
    """``module.function`` of every call in ``fn``'s source, in order."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(getattr(fn, "py_func", fn))))
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)]
    return [ast.unparse(n.func) for n in sorted(calls, key=lambda n: (n.lineno, n.col_offset))]


def _named(fn) -> str:
    module = fn.py_func.__module__.rsplit(".", 1)[1]
    return f"{'interior' if module == 'us_interior' else module}.{fn.py_func.__name__}"


def test_the_coupled_steps_run_in_the_registry_order():
    """The day runs the registry's coupled steps after the pass, in order, in the compiled day
    and in the day run phase by phase; new people's draws are the registry's entry."""
    coupled = [_named(f) for m in MECHANISMS for f in m.coupled]
    assert coupled == ["asylum.decide", "interior.admit", "interior.arrest_and_remove"]
    for fn in (day.end_day, runner.CompiledDay._day_phase_by_phase):
        assert [c for c in _calls(fn) if c in coupled] == coupled, fn
    entries = [_named(m.entry) for m in MECHANISMS if m.entry is not None]
    assert entries == ["departures.new_person"]
    assert [c for c in _calls(day.pass_chunk) + _calls(day.new_people) if c == entries[0]] == entries * 2


def test_the_agent_table_refuses_to_replace_a_column(tiny_sim):
    with pytest.raises(AttributeError, match="timer"):
        tiny_sim.agents.timer = np.zeros(3)


# ---- the compiled day against the same rules as plain Python

def test_compiled_day_is_the_python_rules_bit_for_bit(busy_compiled, busy_reference):
    rec = busy_compiled.recorder
    for ind in world.INDICATORS:
        if ind.kind == "flow":
            assert rec.total(ind.name) > 0, ind.name      # the world exercises every mechanism
    assert_same(outcome(busy_compiled), busy_reference)


@pytest.mark.parametrize("threads", sorted({1, numba.config.NUMBA_NUM_THREADS}))
def test_parallel_pass_identical_for_any_thread_count(busy, busy_compiled, monkeypatch, threads):
    """No minimum size: every pass runs in parts, one per thread."""
    monkeypatch.setattr(runner, "PARALLEL_MIN", 0)
    old = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        sim = run(busy)
    finally:
        numba.set_num_threads(old)
    assert_same(outcome(busy_compiled), outcome(sim))


def test_phase_by_phase_identical(busy, busy_compiled):
    """Every day run one rule at a time (what timing samples do) gives the fused pass's results."""
    assert_same(outcome(busy_compiled), outcome(run(busy, phase_sample_every=1)))


def test_run_in_blocks_equals_day_by_day(make_scenario):
    """Simulation.run (blocks of days) leaves the world Simulation.step leaves."""
    sc = make_scenario(end="2010-02-20", parameters=EVERYTHING, policies=POLICIES)
    a, b = build_simulation(sc), build_simulation(sc)
    a.run()
    for tick in range(b.n_ticks):
        b.step(tick)
    assert_same(outcome(a), outcome(b))


def test_interior_heaps_grow_within_a_block(busy, busy_compiled):
    """Heaps too small for a day's entrants: they grow before that day, and the run goes on
    with the same results."""
    sim = build_simulation(busy)
    sim.runner.pool = type(sim.runner.pool)(len(sim.nationalities), capacity=2)
    sim.run()
    assert sim.runner.pool.thr.shape[1] > 2
    assert_same(outcome(busy_compiled), outcome(sim))


def test_timings_cover_every_phase(tiny_sim):
    assert set(tiny_sim.timings) == set(PHASES)
    assert all(v >= 0 for v in tiny_sim.timings.values())


def test_more_agents_than_people(make_scenario):
    """population_scale above 1 (several agents a person): about that many more agents."""
    one = run(make_scenario(population_scale=1.0, end="2010-02-15"))
    ten = run(make_scenario(population_scale=10.0, end="2010-02-15"))
    assert 8 * one.agents.n < ten.agents.n < 12 * one.agents.n


def test_too_many_agents_is_a_user_error_before_the_run(make_scenario):
    with pytest.raises(UserInputError, match="fit in memory") as info:
        build_simulation(make_scenario(population_scale=100.0, parameters={"departure_multiplier": {"*": 1e6}}))
    assert info.value.at == "parameters.departures_per_year"


# ---- the building blocks

def test_kernel_draws_are_hash_uniform():
    rng = np.random.default_rng(3)
    ids = np.concatenate([rng.integers(0, 2**62, 500), np.arange(10), [2**63 - 1]]).astype(np.int64)
    streams = RandomStreams(11)
    for name in world.STREAMS[:5]:
        key = streams.key(name)
        for tick in (0, 1, 977, 20000):
            for sub in (0, 3, 11):
                assert np.array_equal(uniform_at(np.uint64(key), tick, sub, ids), hash_uniform(key, tick, ids, sub))
    base = np.array([streams.key(n) for n in world.STREAMS], dtype=np.uint64)
    keys = day.day_keys(base, 123)
    assert keys.shape == (len(world.STREAMS), day.N_SUB)
    assert all(int(keys[i, s]) == day_key(int(base[i]), 123, s) for i in range(base.size) for s in range(day.N_SUB))


def test_poisson_quantile_is_scipys():
    rng = np.random.default_rng(5)
    q = np.concatenate([rng.random(4000), [0.0, 1e-300, 0.5, 1 - 2**-53]])
    mu = np.concatenate([rng.choice([0.0, 1e-9, 0.3, 7.5, 120.0, 1e5, 1e7], 4000), [0.0, 3.0, 0.0, 50.0]])
    assert np.array_equal(poisson_quantile(q, mu), poisson.ppf(q, mu))
    edge = poisson_quantile(np.array([0.0, 1.0, 0.5, 0.5]), np.array([2.0, 2.0, -1.0, np.nan]))
    ref = poisson.ppf(np.array([0.0, 1.0, 0.5, 0.5]), np.array([2.0, 2.0, -1.0, np.nan]))
    assert np.array_equal(edge, ref, equal_nan=True)


# ---- recipe (docs/architecture.md): a new mechanism's declarations become the model's tables

CROWDING = Mechanism(
    name="crowding", doc="A test mechanism: shelters fill up.",
    parameters=(ParamSpec("shelter_beds", ("location",), 0, float("inf"), "beds", "Beds per shelter."),),
    columns=(Column("nights_outside", "int16", 0, "nights slept outside"),),
    indicators=(Indicator("turned_away", "flow", "people a full shelter turned away"),),
    streams=(Stream("bed", "gets a bed"),))


def test_a_new_mechanism_declares_once_and_the_tables_follow():
    t = world.tables((*MECHANISMS, CROWDING))
    assert "shelter_beds" in t.param_specs and t.param_specs["shelter_beds"].unit == "beds"
    assert t.agent_columns["nights_outside"] == ("int16", 0)
    assert t.indicators[-1].name == "turned_away" and t.streams[-1] == "bed"
    assert world.tables(MECHANISMS) == world.TABLES          # nothing else moved
    twice = Mechanism(name="again", doc="", indicators=(Indicator("deaths", "flow", ""),))
    with pytest.raises(RuntimeError, match="indicator 'deaths' is declared twice"):
        world.tables((*MECHANISMS, twice))
    engine_column = Mechanism(name="clash", doc="", columns=(Column("status", "int8", 0, ""),))
    with pytest.raises(RuntimeError, match="status"):
        world.tables((*MECHANISMS, engine_column))
