"""The compiled (Numba) backend against the numpy reference: the same numbers, bit for bit.

Each world is run with ``backend="numpy"`` and ``backend="numba"``; every indicator of every
day, the route flows, the agent-days and every column of every agent must be equal. The
worlds switch on every mechanism (caravans, papers, MPP, flights to southern Mexico,
interior arrests, a fractional asylum capacity, spin-up, ...). The compiled results must
not depend on the number of threads, on the chunking of the parallel pass, or on whether
the phases run fused or one at a time.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest
from scipy.stats import poisson

from corridor.engine import resolve_backend
from corridor.errors import UserInputError
from corridor.models.corridor import build_simulation
from corridor.models.corridor.departures import poisson_quantile
from corridor.models.corridor.kernels import core, libm, runner
from corridor.rng import RandomStreams, day_key, hash_uniform

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


def run(scenario, backend, **runner_options):
    sim = build_simulation(scenario, backend=backend)
    if runner_options:
        sim.runner = runner.CompiledDay(sim, **runner_options)
    sim.run()
    return sim


def assert_same(a, b) -> None:
    assert a.agents.n == b.agents.n
    assert a.agent_days == b.agent_days
    assert np.array_equal(a.recorder.data, b.recorder.data), np.argwhere(a.recorder.data != b.recorder.data)[:5]
    assert np.array_equal(a.recorder.route_flows, b.recorder.route_flows)
    sa, sb = a.agents.snapshot(), b.agents.snapshot()
    for name in sa:
        same = sa[name] == sb[name]
        assert same.all(), (name, np.flatnonzero(~same)[:5], sa[name][~same][:5], sb[name][~same][:5])
    # the index of people in the simulation (a day's index may still list people who left that day)
    la, lb = a.live_slots(), b.live_slots()
    assert np.array_equal(la[a.agents.live[la]], lb[b.agents.live[lb]])


@pytest.fixture(scope="module")
def busy(make_scenario):
    return make_scenario(end="2010-03-01", spin_up_days=10, parameters=EVERYTHING, policies=POLICIES)


@pytest.fixture(scope="module")
def busy_numpy(busy):
    return run(busy, "numpy")


def test_tiny_world_identical(make_scenario, tiny_sim):
    assert tiny_sim.backend == "numba"          # the default backend
    assert_same(run(make_scenario(), "numpy"), tiny_sim)


def test_every_mechanism_identical(busy, busy_numpy):
    rec = busy_numpy.recorder
    for name in ("humanitarian_visas", "transit_documents", "visitor_cards", "victimizations_by_officials",
                 "family_separations", "minors_in_care", "mpp_enrollments", "us_asylum_grants",
                 "us_flights_south_mexico", "us_interior_arrests", "us_removals", "asylum_grants_mexico",
                 "caravan_departures", "kidnappings", "deaths", "gave_up"):
        assert rec.total(name) > 0, name          # the world exercises the mechanism
    assert_same(busy_numpy, run(busy, "numba"))


@pytest.mark.parametrize("threads", sorted({1, numba.config.NUMBA_NUM_THREADS}))
def test_parallel_pass_identical_for_any_thread_count(busy, busy_numpy, monkeypatch, threads):
    """Small chunks and no minimum size: the parallel pass runs with many work items."""
    monkeypatch.setattr(runner, "CHUNK", 64)
    monkeypatch.setattr(runner, "PARALLEL_MIN", 0)
    old = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        sim = run(busy, "numba")
    finally:
        numba.set_num_threads(old)
    assert_same(busy_numpy, sim)


def test_phase_by_phase_identical(busy, busy_numpy):
    """Every day run one phase at a time (what timing samples do) gives the fused pass's results."""
    assert_same(busy_numpy, run(busy, "numba", phase_sample_every=1))


def test_day_by_day_identical(make_scenario):
    """Same state after every single day, including a world stepped by hand and inspected."""
    sc = make_scenario(end="2010-01-25", parameters=EVERYTHING)
    a, b = build_simulation(sc, backend="numpy"), build_simulation(sc, backend="numba")
    for tick in range(a.n_ticks):
        a.step(tick)
        b.step(tick)
        assert_same(a, b)


def test_default_scenario_small_scale_identical():
    from corridor import load_scenario
    from corridor.scenario.loader import scenario_from_dict

    data = load_scenario().canonical()
    data["population_scale"] = 0.01
    data["end"] = "2010-06-30"
    sc = scenario_from_dict(data)
    assert_same(run(sc, "numpy"), run(sc, "numba"))


def test_timings_cover_every_phase(tiny_sim):
    from corridor.models.corridor import PHASES

    assert set(tiny_sim.timings) == set(PHASES)
    assert all(v >= 0 for v in tiny_sim.timings.values())


# ---- the building blocks

def test_kernel_draws_are_hash_uniform():
    rng = np.random.default_rng(3)
    ids = np.concatenate([rng.integers(0, 2**62, 500), np.arange(10), [2**63 - 1]]).astype(np.int64)
    streams = RandomStreams(11)
    for name in core.STREAMS[:5]:
        key = streams.key(name)
        for tick in (0, 1, 977, 20000):
            for sub in (0, 3, 11):
                assert np.array_equal(core.uniform_at(np.uint64(key), tick, sub, ids),
                                      hash_uniform(key, tick, ids, sub))
    base = np.array([streams.key(n) for n in core.STREAMS], dtype=np.uint64)
    keys = core.day_keys(base, 123)
    assert keys.shape == (len(core.STREAMS), core.N_SUB)
    assert all(int(keys[i, s]) == day_key(int(base[i]), 123, s) for i in range(base.size) for s in range(core.N_SUB))


def test_poisson_quantile_is_scipys():
    rng = np.random.default_rng(5)
    q = np.concatenate([rng.random(4000), [0.0, 1e-300, 0.5, 1 - 2**-53]])
    mu = np.concatenate([rng.choice([0.0, 1e-9, 0.3, 7.5, 120.0, 1e5, 1e7], 4000), [0.0, 3.0, 0.0, 50.0]])
    assert np.array_equal(poisson_quantile(q, mu), poisson.ppf(q, mu))
    edge = poisson_quantile(np.array([0.0, 1.0, 0.5, 0.5]), np.array([2.0, 2.0, -1.0, np.nan]))
    ref = poisson.ppf(np.array([0.0, 1.0, 0.5, 0.5]), np.array([2.0, 2.0, -1.0, np.nan]))
    assert np.array_equal(edge, ref, equal_nan=True)


@pytest.mark.parametrize("name", ["exp", "expm1", "log", "log1p", "cos"])
def test_libm_ufuncs_are_the_c_library(name):
    x = np.random.default_rng(1).random(2000) * 4 - 2
    if name in ("log",):
        x = np.abs(x) + 1e-12
    if name == "log1p":
        x = -np.abs(x) / 2.0
    got = getattr(libm, name)(x)
    ref = np.array([getattr(math, name)(v) for v in x])
    assert np.array_equal(got, ref)


def test_backend_selection(monkeypatch, make_scenario):
    monkeypatch.delenv("CORRIDOR_BACKEND", raising=False)
    assert resolve_backend() == "numba"
    monkeypatch.setenv("CORRIDOR_BACKEND", "NumPy")
    assert resolve_backend() == "numpy"
    sim = build_simulation(make_scenario(end="2010-01-05"))
    assert sim.backend == "numpy" and sim.runner is None
    assert resolve_backend("numba") == "numba"
    monkeypatch.setenv("CORRIDOR_BACKEND", "gpu")
    with pytest.raises(UserInputError, match="CORRIDOR_BACKEND"):
        resolve_backend()
    with pytest.raises(UserInputError):
        resolve_backend("fortran")


def test_interior_heaps_grow_within_a_block(busy, busy_numpy):
    """Heaps too small for a day's entrants: the compiled block stops before that day, the
    heaps grow, and the run goes on with the same results."""
    sim = build_simulation(busy, backend="numba")
    r = sim.runner
    r.heap_thr = np.zeros((r.heap_thr.shape[0], 2))
    r.heap_slot = np.zeros((r.heap_slot.shape[0], 2), dtype=np.int64)
    sim.run()
    assert r.heap_thr.shape[1] > 2
    assert_same(busy_numpy, sim)


def test_run_in_blocks_equals_day_by_day(make_scenario):
    """Simulation.run (many days per compiled call) leaves the world Simulation.step leaves."""
    sc = make_scenario(end="2010-02-20", parameters=EVERYTHING, policies=POLICIES)
    a, b = build_simulation(sc, backend="numba"), build_simulation(sc, backend="numba")
    a.run()
    for tick in range(b.n_ticks):
        b.step(tick)
    assert_same(a, b)


def test_more_agents_than_people(make_scenario):
    """population_scale above 1 (several agents a person): more agents, and both backends agree."""
    one = build_simulation(make_scenario(population_scale=1.0))
    one.run()
    ten = make_scenario(population_scale=10.0, end="2010-02-15")
    a, b = run(ten, "numpy"), run(ten, "numba")
    assert_same(a, b)
    assert b.agents.n > 2 * one.agents.n


def test_too_many_agents_a_day_is_a_user_error(make_scenario):
    sim = build_simulation(make_scenario(population_scale=100.0, parameters={"departure_multiplier": {"*": 1e6}}))
    with pytest.raises(UserInputError, match="one place of origin on one day") as info:
        sim.run()
    assert info.value.at == "population_scale"
