"""Policies: time windows, scale and set levers, closed routes and places, bounds."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from conftest import START

from corridor.errors import ScenarioError
from corridor.models.corridor import build_simulation

GTM, MEX = 0, 1


def tick_of(date: str) -> int:
    return (dt.date.fromisoformat(date) - START).days


def _params_on(sim, tick):
    sim.levers = sim.schedule.at(tick)
    return sim.params


def test_window_is_inclusive(make_scenario):
    sim = build_simulation(make_scenario(
        parameters={"us_apprehension_probability": 0.5},
        policies=[{"name": "crackdown", "start": "2010-01-10", "end": "2010-01-20",
                   "set": {"us_apprehension_probability": {"MEX": 0.9}}}]))
    seen = {}
    for tick in range(tick_of("2010-01-22")):
        sim.step(tick)
        seen[tick] = (np.asarray(sim.params.us_apprehension_probability).tolist(), sim.levers.active)
    assert seen[tick_of("2010-01-09")] == ([0.5, 0.5], ())
    assert seen[tick_of("2010-01-10")] == ([0.5, 0.9], ("crackdown",))
    assert seen[tick_of("2010-01-20")] == ([0.5, 0.9], ("crackdown",))
    assert seen[tick_of("2010-01-21")] == ([0.5, 0.5], ())


def test_open_ended_policy_runs_to_the_end(make_scenario):
    sim = build_simulation(make_scenario(policies=[
        {"name": "p", "start": "2010-03-01", "set": {"kidnap_days": 2}}]))
    assert float(_params_on(sim, tick_of("2010-02-28")).kidnap_days) == 7
    assert float(_params_on(sim, tick_of("2010-03-01")).kidnap_days) == 2
    assert float(_params_on(sim, sim.n_ticks - 1).kidnap_days) == 2


def test_scale_mapping_only_touches_listed_keys(make_scenario):
    sim = build_simulation(make_scenario(
        parameters={"us_apprehension_probability": 0.4},
        policies=[{"name": "p", "start": "2010-01-01",
                   "scale": {"us_apprehension_probability": {"MEX": 2.0},
                             "speed_km_per_day": {"bus": 0.5}}}]))
    p = _params_on(sim, 0)
    assert np.asarray(p.us_apprehension_probability).tolist() == [0.4, 0.8]
    speed = dict(zip(("foot", "bus", "car", "freight_train", "boat", "air"),
                     np.asarray(p.speed_km_per_day).tolist(), strict=True))
    assert speed == {"foot": 30, "bus": 250, "car": 700, "freight_train": 90, "boat": 100, "air": 5000}


def test_scalar_scale_and_overlapping_policies(make_scenario):
    sim = build_simulation(make_scenario(
        parameters={"us_apprehension_probability": 0.2},
        policies=[{"name": "a", "start": "2010-01-05", "end": "2010-01-15",
                   "scale": {"us_apprehension_probability": 2}},
                  {"name": "b", "start": "2010-01-10", "end": "2010-01-20",
                   "scale": {"us_apprehension_probability": 1.5}}]))
    val = {d: np.asarray(_params_on(sim, tick_of(d)).us_apprehension_probability).tolist()
           for d in ("2010-01-04", "2010-01-05", "2010-01-12", "2010-01-18")}
    assert val["2010-01-04"] == [0.2, 0.2]
    assert val["2010-01-05"] == [0.4, 0.4]
    assert np.allclose(val["2010-01-12"], [0.6, 0.6])
    assert np.allclose(val["2010-01-18"], [0.3, 0.3])


def test_base_values_are_not_modified(make_scenario):
    sim = build_simulation(make_scenario(
        parameters={"us_apprehension_probability": 0.2},
        policies=[{"name": "a", "start": "2010-01-05", "end": "2010-01-06",
                   "scale": {"us_apprehension_probability": 3}}]))
    _params_on(sim, tick_of("2010-01-05"))
    assert np.asarray(_params_on(sim, 0).us_apprehension_probability).tolist() == [0.2, 0.2]
    assert sim.schedule.base["us_apprehension_probability"].tolist() == [0.2, 0.2]


def test_close_routes_and_locations_masks(make_scenario):
    sim = build_simulation(make_scenario(policies=[
        {"name": "r", "start": "2010-01-10", "end": "2010-01-11", "close_routes": ["morelia->veracruz"]},
        {"name": "l", "start": "2010-01-20", "end": "2010-01-20", "close_locations": ["reynosa"]},
    ]))
    net = sim.network
    r = net.route_index("morelia", "veracruz")
    lev = sim.schedule.at(tick_of("2010-01-09"))
    assert lev.route_open.all() and lev.location_open.all()
    lev = sim.schedule.at(tick_of("2010-01-10"))
    assert np.flatnonzero(~lev.route_open).tolist() == [r]
    assert lev.location_open.all()
    lev = sim.schedule.at(tick_of("2010-01-20"))
    assert np.flatnonzero(~lev.location_open).tolist() == [net.index("reynosa")]
    closed = {(net.ids[net.src[i]], net.ids[net.dst[i]]) for i in np.flatnonzero(~lev.route_open)}
    assert closed == {("veracruz", "reynosa"), ("reynosa", "us_mcallen")}
    assert sim.schedule.at(tick_of("2010-01-21")).route_open.all()


def test_closed_route_is_not_travelled(make_scenario):
    sim = build_simulation(make_scenario(policies=[
        {"name": "r", "start": "2010-01-01", "close_routes": ["morelia->veracruz"]}]))
    sim.run()
    net, a = sim.network, sim.agents
    assert sim.recorder.route_flows[net.route_index("morelia", "veracruz")] == 0
    mex = a.nationality == MEX
    assert mex.sum() > 0
    # Mexicans cannot leave Morelia (some give up there, none is anywhere else)
    assert (a.loc[mex] == net.index("morelia")).all()
    assert sim.recorder.route_flows[net.route_index("tapachula", "veracruz")] > 0


def test_closed_location_is_not_entered(make_scenario):
    sim = build_simulation(make_scenario(policies=[
        {"name": "l", "start": "2010-01-01", "close_locations": ["tapachula"]}]))
    sim.run()
    net = sim.network
    assert sim.recorder.route_flows[net.route_index("tecun_uman", "tapachula")] == 0
    assert sim.recorder.total("entries_mexico") == 0
    assert sim.recorder.total("asylum_applications_mexico") == 0


def test_policy_pushing_probability_above_one_is_rejected_at_build(make_scenario):
    sc = make_scenario(parameters={"us_apprehension_probability": 0.6},
                       policies=[{"name": "harsh", "start": "2010-02-01", "end": "2010-02-10",
                                  "scale": {"us_apprehension_probability": {"GTM": 2}}}])
    with pytest.raises(ScenarioError) as exc:
        build_simulation(sc)
    assert exc.value.at == "policies.0"
    assert "harsh" in str(exc.value) and "1.2" in str(exc.value) and "tiny.yaml" in str(exc.value)


def test_combination_of_policies_out_of_bounds_is_rejected(make_scenario):
    sc = make_scenario(parameters={"us_apprehension_probability": 0.4},
                       policies=[{"name": "a", "start": "2010-02-01", "end": "2010-02-10",
                                  "scale": {"us_apprehension_probability": 2}},
                                 {"name": "b", "start": "2010-02-10", "end": "2010-02-20",
                                  "scale": {"us_apprehension_probability": 1.5}}])
    with pytest.raises(ScenarioError):
        build_simulation(sc)


@pytest.mark.parametrize("lever", [{"scale": {"kidnap_days": -1}},
                                   {"scale": {"us_apprehension_probability": {"ZZZ": 2}}},
                                   {"set": {"route_km_scale": "far"}}])
def test_bad_levers(make_scenario, lever):
    with pytest.raises(ScenarioError) as exc:
        build_simulation(make_scenario(policies=[{"name": "p", "start": "2010-02-01", **lever}]))
    assert exc.value.at.startswith("policies.0")
