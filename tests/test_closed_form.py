"""Closed-form checks on the tiny world: with chosen parameters, a mechanism's output is
known in advance (up to sampling noise, with tolerances of several standard deviations)."""

from __future__ import annotations

import math

import numpy as np

from corridor.models.corridor import build_simulation, runner
from corridor.models.corridor.states import Status

GTM, MEX = 0, 1
QUIET = {  # no crime, no detection, no giving up, no asylum: only the mechanism under test
    "predation_per_100km": 0, "predation_waiting_per_day": 0, "mx_detection_per_100km": 0,
    "mx_detection_waiting_per_day": 0, "transit_stop_per_day": 0, "asylum_apply_probability": 0,
    "departure_seasonality": 1, "daily_move_probability": 1,
    "official_extortion_probability": 0, "collusion_kidnap_probability": 0,
}


def test_departures_follow_the_rate(make_scenario):
    rate = 36525.0          # 100 a day per nationality
    sim = build_simulation(make_scenario(
        end="2010-01-30", parameters={**QUIET, "departures_per_year": {"GTM": rate, "MEX": rate / 2},
                                      "daily_move_probability": 0}))
    sim.run()
    counts = np.bincount(sim.agents.nationality, minlength=2)
    for nat, r in ((GTM, rate), (MEX, rate / 2)):
        expected = r * sim.n_ticks / 365.25
        assert abs(counts[nat] - expected) < 4 * math.sqrt(expected), (nat, counts[nat], expected)


def test_population_scale_scales_departures(make_scenario):
    rate = 36525.0
    sim = build_simulation(make_scenario(
        end="2010-01-30", population_scale=0.25,
        parameters={**QUIET, "departures_per_year": {"GTM": rate, "MEX": 0},
                    "daily_move_probability": 0}))
    sim.run()
    expected = 0.25 * rate * 30 / 365.25
    assert abs(sim.agents.n - expected) < 4 * math.sqrt(expected)


def test_seasonality_shapes_departures(make_scenario):
    sim = build_simulation(make_scenario(
        end="2010-02-28",
        parameters={**QUIET, "departures_per_year": {"GTM": 36525, "MEX": 0},
                    "departure_seasonality": {"GTM": {1: 0.2, 2: 1.8, "*": 1}},
                    "daily_move_probability": 0}))
    sim.run()
    rec = sim.recorder
    dep = rec.data[:, 0].sum(axis=(1, 2))
    jan, feb = dep[:31].sum(), dep[31:].sum()
    assert abs(jan - 0.2 * 100 * 31) < 4 * math.sqrt(620)
    assert abs(feb - 1.8 * 100 * 28) < 4 * math.sqrt(5040)


def test_walking_60_km_at_30_km_a_day_takes_two_days(make_scenario):
    sim = build_simulation(make_scenario(
        parameters={**QUIET, "departures_per_year": {"GTM": 36525, "MEX": 0},
                    "speed_km_per_day": {"foot": 30}}))
    net, a = sim.network, sim.agents
    origin, border = net.index("huehuetenango"), net.index("tecun_uman")
    route = net.route_index("huehuetenango", "tecun_uman")
    sim.step(0)
    first = np.arange(a.n)
    assert first.size > 50
    assert (a.route[first] == route).all() and np.allclose(a.progress[first], 30.0)
    assert (a.loc[first] == origin).all()
    sim.step(1)
    assert (a.loc[first] == border).all() and (a.route[first] == -1).all()
    second = np.arange(first.size, a.n)
    assert (a.route[second] == route).all() and np.allclose(a.progress[second], 30.0)
    # nobody arrived a day early
    assert sim.recorder.route_flows[route] == first.size


def test_minimum_days_slow_a_route_down(make_scenario, tmp_path):
    from conftest import NODES_CSV, ROUTES_CSV, write_network

    routes = ROUTES_CSV.replace("from,to,road_km,modes", "from,to,road_km,modes,min_days")
    routes = "\n".join(line + (",4" if line.startswith("huehuetenango") else ",")
                       if i else line for i, line in enumerate(routes.strip().splitlines())) + "\n"
    n, r = write_network(tmp_path, NODES_CSV, routes)
    for sleep in (True, False):
        sim = build_simulation(make_scenario(
            network={"nodes": str(n), "routes": str(r)},
            parameters={**QUIET, "departures_per_year": {"GTM": 36525, "MEX": 0}}))
        sim.runner = runner.CompiledDay(sim, sleep=sleep)
        net, a = sim.network, sim.agents
        sim.step(0)
        first = np.arange(a.n)
        for tick in (1, 2):
            sim.step(tick)
            assert (a.loc[first] == net.index("huehuetenango")).all()
            if not sleep:                # asleep on the leg, people's progress is caught up when they wake
                assert np.allclose(a.progress[first], 15.0 * (tick + 1))
        sim.step(3)
        assert (a.loc[first] == net.index("tecun_uman")).all()


def test_us_apprehension_frequency(make_scenario):
    p = {"GTM": 0.2, "MEX": 0.6}
    sim = build_simulation(make_scenario(parameters={
        **QUIET, "departures_per_year": {"GTM": 0, "MEX": 20000},
        "us_apprehension_probability": {"GTM": p["GTM"], "MEX": p["MEX"]},
        "us_crossing_death_probability": 0, "north_wait_days": 0}))
    sim.run()
    rec = sim.recorder
    attempts, caught = rec.total("crossing_attempts_us"), rec.total("apprehensions_us")
    assert attempts > 2000
    share = caught / attempts
    sd = math.sqrt(p["MEX"] * (1 - p["MEX"]) / attempts)
    assert abs(share - p["MEX"]) < 4 * sd, (share, attempts)
    assert rec.total("deaths") == 0
    assert rec.total("entries_us") == attempts - caught


def test_crossing_deaths_frequency(make_scenario):
    q, p = 0.1, 0.5
    sim = build_simulation(make_scenario(parameters={
        **QUIET, "departures_per_year": {"GTM": 0, "MEX": 20000},
        "us_apprehension_probability": p, "us_crossing_death_probability": q,
        "north_wait_days": 0}))
    sim.run()
    t = sim.recorder.total
    n = t("crossing_attempts_us")
    assert abs(t("deaths") / n - q) < 4 * math.sqrt(q * (1 - q) / n)
    survivors = n - t("deaths")
    assert abs(t("apprehensions_us") / survivors - p) < 4 * math.sqrt(p * (1 - p) / survivors)


def test_detection_hazard_integrates_over_km(make_scenario):
    """On a 600 km route (travelled over two days) with hazard h per 100 km, a share
    1 - exp(-6 h) of travellers is detected; nowhere else is anyone detected."""
    h = 0.1
    sim = build_simulation(make_scenario(
        end="2010-03-31",
        parameters={**QUIET, "departures_per_year": {"GTM": 8000, "MEX": 0},
                    "mx_detection_per_100km": {"Veracruz": h, "*": 0},
                    "detection_mode_factor": 1.0, "retry_after_mx_deportation": 0},
        policies=[{"name": "stop", "start": "2010-02-20", "set": {"departures_per_year": 0}}]))
    sim.run()
    net, rec = sim.network, sim.recorder
    det = _by_loc(rec, "detentions_mexico")
    route = net.route_index("tapachula", "veracruz")
    caught = int(det[net.index("tapachula")])
    arrived = int(rec.route_flows[route])
    # detected on that route only: on the road (held at Tapachula, where they set off) or on
    # the day they reach Veracruz (held there; they count among the arrivals)
    assert det.sum() == caught + det[net.index("veracruz")]
    n = caught + arrived                              # everyone who finished the route
    assert n > 400
    expected = 1 - math.exp(-h * 600 / 100)
    share = det.sum() / n
    assert abs(share - expected) < 4 * math.sqrt(expected * (1 - expected) / n), (share, n)
    # nobody is left on the road when the run ends
    assert not (sim.agents.route == route).any()


def test_mexicans_are_not_detected_by_mexico(make_scenario):
    sim = build_simulation(make_scenario(parameters={
        "departures_per_year": {"GTM": 0, "MEX": 5000},
        "mx_detection_per_100km": 5.0, "mx_detection_waiting_per_day": 0.5}))
    sim.run()
    assert sim.recorder.total("detentions_mexico") == 0
    assert sim.recorder.total("arrivals_us_border") > 0


def test_deportees_go_where_the_parameter_says(make_scenario):
    sim = build_simulation(make_scenario(parameters={
        **QUIET, "departures_per_year": {"GTM": 5000, "MEX": 0},
        "mx_detection_per_100km": {"Chiapas": 50, "*": 0}, "detention_days": 2,
        "deportation_share": 1.0, "retry_after_mx_deportation": 0.0,
        "deportation_destination": {"GTM": "huehuetenango"}}))
    sim.run()
    a, net, t = sim.agents, sim.network, sim.recorder.total
    assert t("deportations_mexico") > 100
    gave_up = a.status == int(Status.GAVE_UP)
    assert gave_up.sum() == t("gave_up") == t("deportations_mexico") - \
        int(((a.status == int(Status.RETURNED_BY_MX))).sum())
    assert (a.loc[gave_up] == net.index("huehuetenango")).all()
    # 50 per 100 km over 30 km: almost everyone is caught on entering Chiapas
    assert t("detentions_mexico") >= 0.99 * t("entries_mexico")


def _by_loc(rec, name):
    i = [ind.name for ind in rec.indicators].index(name)
    return rec.data[:, i].sum(axis=(0, 1))


def test_star_in_a_scenario_value_covers_keys_the_defaults_list(make_scenario):
    """'"*" stands for every key not listed' (parameters.yaml): a scenario value that lists
    no nationality applies to all of them, including those the defaults list one by one
    (departure_seasonality has its own GTM and MEX rows in parameters.yaml)."""
    sim = build_simulation(make_scenario(parameters={
        "departure_seasonality": {"*": {1: 0.2, "*": 1}}}))
    sim.step(0)
    season = np.asarray(sim.params.departure_seasonality)
    assert season[:, 0].tolist() == [0.2, 0.2]
    assert (season[:, 1:] == 1).all()
