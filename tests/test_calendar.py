"""The calendar (people sleep between events): the per-day design's law, closed-form waiting
times and competing hazards on the tiny world, everybody waking when the levers change, and
the per-day schedule kept bit for bit.

Statistical checks use several standard deviations and fixed seeds: they are deterministic,
and a calendar that drew the wrong law (an event day not conditioned on an event, a sleeper
that misses a lever change) fails them by far more (see docs/performance.md).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_closed_form import QUIET
from test_mechanisms import EVERYTHING, POLICIES

from corridor.models.corridor import build_simulation, runner, world

GTM = 0
#: nobody comes back home from the US (so everyone at home has not left yet)
NOBODY_BACK = {"us_apprehension_probability": 0, "us_crossing_death_probability": 0, "us_interior_arrest_per_year": 0}


def run(scenario, sleep=True, seed=None):
    sim = build_simulation(scenario, seed=seed)
    sim.runner = runner.CompiledDay(sim, sleep=sleep)
    sim.run()
    return sim


def at(sim, indicator, place):
    loc = sim.network.index(place)
    return int(sim.recorder.data[:, sim.recorder._index[indicator], :, loc].sum())


# ---- closed forms

def test_competing_chances_at_a_place_give_up_or_set_off(make_scenario):
    """At home, each day someone gives up with chance p_s, else sets off with chance p_m: the
    share who give up is p_s / (1 - q), q = (1 - p_s)(1 - p_m) the chance of a quiet day.
    (Travel is fast enough to leave home's zone the day they set off.)"""
    p_s, p_m = 0.02, 0.05
    sc = make_scenario(end="2010-06-30", parameters={
        **QUIET, **NOBODY_BACK, "departures_per_year": {"GTM": 36525, "MEX": 0}, "speed_km_per_day": {"*": 5000},
        "transit_stop_per_day": {"origin": p_s, "*": 0}, "daily_move_probability": {"origin": p_m, "*": 1}})
    share = p_s / (1 - (1 - p_s) * (1 - p_m))
    for sleep in (True, False):
        sim = run(sc, sleep)
        a = sim.agents
        home = sim.network.index("huehuetenango")
        decided = int((a.nationality[: a.n] == GTM).sum()) - int(((a.loc == home) & a.live)[: a.n].sum())
        gave_up = at(sim, "gave_up", "huehuetenango")
        se = math.sqrt(share * (1 - share) / decided)
        assert decided > 5000 and abs(gave_up / decided - share) < 4 * se, (sleep, gave_up, decided, share)


def test_waiting_under_a_constant_hazard_until_a_deadline(make_scenario):
    """People wait ``north_wait_days`` = W days in the border city under a daily detection hazard
    h (nothing else happens there): detected before crossing with chance 1 - exp(-h (W + 1))
    (exposed on the day of arrival and on the day of the crossing, before it)."""
    h, wait = 0.05, 9
    sc = make_scenario(end="2010-06-30", parameters={
        **QUIET, "departures_per_year": {"GTM": 36525, "MEX": 0},
        "mx_detection_waiting_per_day": {"north_mx": h, "*": 0}, "north_wait_days": wait})
    expected = 1 - math.exp(-h * (wait + 1))
    for sleep in (True, False):
        sim = run(sc, sleep)
        arrived = at(sim, "arrivals_us_border", "reynosa")
        detained = at(sim, "detentions_mexico", "reynosa")
        crossed = at(sim, "crossing_attempts_us", "us_mcallen")
        done = detained + crossed        # those whose wait ended within the run
        assert done > 5000 and arrived >= done
        se = math.sqrt(expected * (1 - expected) / done)
        assert abs(detained / done - expected) < 4 * se, (sleep, detained, done, expected)


def test_sleepers_wake_when_the_levers_change(make_scenario):
    """A long wait (60 days) with no hazard, then a policy switches a daily detection hazard on:
    the people already waiting are detected from that day on, at the new rate (a sleeper
    planned under the old levers would sleep through to the end of the wait)."""
    h = 0.1
    sc = make_scenario(end="2010-04-30", parameters={
        **QUIET, "departures_per_year": {"GTM": 36525, "MEX": 0}, "north_wait_days": 60},
        policies=[{"name": "raids", "start": "2010-04-01", "set": {"mx_detection_waiting_per_day": h}}])
    sim = run(sc)
    rec = sim.recorder
    day = (np.datetime64("2010-04-01") - np.datetime64(sim.day0.isoformat())).astype(int) - rec.first_tick
    reynosa = sim.network.index("reynosa")
    waiting = rec.data[day - 1, rec._index["waiting_north"], :, reynosa].sum()
    detained = rec.data[day, rec._index["detentions_mexico"], :, reynosa].sum()
    assert rec.data[:day, rec._index["detentions_mexico"]].sum() == 0
    expected = waiting * (1 - math.exp(-h))     # the day's waiting people (and a few arrivals)
    assert waiting > 1000
    assert abs(detained - expected) < 5 * math.sqrt(expected) + 0.02 * waiting, (detained, expected, waiting)


# ---- the per-day law, over many seeds

SEEDS = range(1, 9)


@pytest.fixture(scope="module")
def busy(make_scenario):
    return make_scenario(end="2010-03-31", spin_up_days=10, parameters=EVERYTHING, policies=POLICIES)


def totals(sim) -> dict[str, float]:
    """Every indicator's total (flows) or mean per day (stocks)."""
    rec = sim.recorder
    return {ind.name: rec.total(ind.name) / (rec.data.shape[0] if ind.kind == "stock" else 1)
            for ind in world.INDICATORS}


def test_sleeping_keeps_the_per_day_law(busy):
    """Every indicator of a world where every mechanism acts (and levers change mid-run) agrees,
    over 8 seeds, between people sleeping between events and everyone drawn every day: the
    difference of the means within 4 standard errors (plus 1% for indicators near zero)."""
    runs = {sleep: [totals(run(busy, sleep, seed)) for seed in SEEDS] for sleep in (True, False)}
    bad = []
    for ind in world.INDICATORS:
        a = np.array([r[ind.name] for r in runs[True]])
        b = np.array([r[ind.name] for r in runs[False]])
        se = math.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
        if abs(a.mean() - b.mean()) > 4 * se + 0.01 * max(abs(b.mean()), 1.0):
            bad.append((ind.name, a.mean(), b.mean(), se))
    assert not bad, bad


def test_sleepers_are_most_person_days(make_scenario):
    """The point of the calendar: on the default scenario (a small sample of it) three
    person-days in four need no processing; with the per-day schedule all do."""
    from corridor.scenario.loader import load_scenario, scenario_from_dict

    data = load_scenario().canonical()
    data.update(population_scale=0.01)
    sc = scenario_from_dict(data)
    events, daily = run(sc), run(sc, sleep=False)
    assert daily.runner.events == daily.agent_days
    assert events.runner.events < 0.35 * events.agent_days
    assert abs(events.agent_days / daily.agent_days - 1) < 0.02


def test_the_rules_meet_the_stages_in_the_days_order():
    """``person.waited`` conditions an event day on the stages' order: the rules must draw them
    in that order (the registry's order of the rules, then their order in each rule)."""
    import ast
    import inspect

    from corridor.models.corridor.mechanisms import MECHANISMS
    from corridor.models.corridor.person import STAGES

    names = ["STOP", "SET_OFF", "DETECT", "PREY", "LEAVE"]
    met = []
    for m in MECHANISMS:
        if m.rule is None:
            continue
        tree = ast.parse(inspect.getsource(inspect.getmodule(m.rule.py_func)))
        rule = next(f for f in tree.body if isinstance(f, ast.FunctionDef) and f.name == m.rule.py_func.__name__)
        calls = sorted((n for n in ast.walk(rule) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                        and n.func.id in ("waited", "waited_hazard")), key=lambda n: (n.lineno, n.col_offset))
        met += [ast.unparse(c.args[4]) for c in calls]
    assert met == names and len(STAGES) == len(names)


def test_schedule_from_the_environment(monkeypatch, make_scenario):
    monkeypatch.setenv("CORRIDOR_SCHEDULE", "daily")
    assert runner.CompiledDay(build_simulation(make_scenario())).sleep is False
    monkeypatch.setenv("CORRIDOR_SCHEDULE", "events")
    assert runner.CompiledDay(build_simulation(make_scenario())).sleep is True
    monkeypatch.setenv("CORRIDOR_SCHEDULE", "hourly")
    from corridor.errors import UserInputError
    with pytest.raises(UserInputError, match="CORRIDOR_SCHEDULE"):
        runner.schedule_from_env()


def test_only_departures_change_with_the_calendar_month():
    """Sleepers' chances are constant between lever changes only while no parameter another
    mechanism reads varies by month or year (departures' rates may: they draw no sleeper)."""
    from corridor.models.corridor.mechanisms import MECHANISMS

    timed = {(m.name, p.name) for m in MECHANISMS for p in m.parameters if {"year", "month"} & set(p.dims)}
    assert timed and {name for name, _ in timed} == {"departures"}, timed
