"""Route choice by a generalised cost to the US, and the Border Patrol sectors it is fitted to."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from conftest import NODES_CSV, ROUTES_CSV, write_network

from corridor.models.corridor import build_simulation
from corridor.models.corridor.mechanisms.movement import cost_to_us
from corridor.models.corridor.sectors import group_targets, observed_shares, place_sectors
from corridor.scenario.loader import load_scenario, scenario_from_dict

GTM, MEX = 0, 1
# a second border city, farther from Veracruz than Reynosa (860 km against 800)
NODES = NODES_CSV + ("matamoros,Matamoros,MEX,Tamaulipas,25.87,-97.50,border_city_mx,north_mx\n"
                     "us_brownsville,USBP Rio Grande Valley Sector (Brownsville),USA,Texas,25.92,-97.49,us_sector,us\n")
ROUTES = ROUTES_CSV + "veracruz,matamoros,860,bus\nmatamoros,us_brownsville,5,foot\n"


@pytest.fixture(scope="module")
def two_cities(tmp_path_factory, tiny_base):
    folder = tmp_path_factory.mktemp("two_cities")
    nodes, routes = write_network(folder, NODES, ROUTES)
    base = copy.deepcopy(tiny_base)
    base["network"] = {"nodes": str(nodes), "routes": str(routes)}

    def run(**parameters):
        data = copy.deepcopy(base)
        data["parameters"].update(parameters)
        sim = build_simulation(scenario_from_dict(data, path=folder / "s.yaml"))
        sim.run()
        return sim
    return run


def arrivals(sim, place, nat=None):
    i = [ind.name for ind in sim.recorder.indicators].index("arrivals_us_border")
    block = sim.recorder.data[:, i] if nat is None else sim.recorder.data[:, i, nat][:, None]
    return int(block[..., sim.network.index(place)].sum())


def test_a_dearer_crossing_displaces_people_to_the_other(two_cities):
    base = two_cities()
    dear = two_cities(crossing_cost_km={"*": {"reynosa": 600.0, "*": 0.0}})
    # 60 km farther: Matamoros gets exp(-60/300) / (1 + exp(-60/300)) = 45% of the arrivals
    share = arrivals(base, "matamoros") / (arrivals(base, "matamoros") + arrivals(base, "reynosa"))
    assert 0.38 < share < 0.52
    # 540 km dearer: 14% of the arrivals against 55% (a quarter as many)
    assert arrivals(dear, "reynosa") < 0.35 * arrivals(base, "reynosa")
    assert arrivals(dear, "matamoros") > 1.5 * arrivals(base, "matamoros")


def test_crossing_costs_act_by_nationality(two_cities):
    base = two_cities()
    mex_only = two_cities(crossing_cost_km={"MEX": {"reynosa": 600.0, "*": 0.0}, "*": 0.0})
    assert arrivals(mex_only, "reynosa", MEX) < 0.35 * arrivals(base, "reynosa", MEX)
    # Guatemalans choose as before: the same draws, the same routes
    assert arrivals(mex_only, "reynosa", GTM) == arrivals(base, "reynosa", GTM)


def test_the_cost_to_the_us_counts_crossing_costs_and_avoids_closed_routes(two_cities):
    sim = build_simulation(load_scenario())
    g, net = sim.world.places, sim.network
    lev = sim.schedule.at(0)
    n_nat, n = len(sim.nationalities), net.n_locations
    zero = np.zeros(n)
    free = cost_to_us(g, lev.route_open, zero, zero)
    assert np.allclose(free, g.dist_goal)             # no costs: road km (the network's own distances)
    tijuana = net.index("tijuana")
    dear = zero.copy()
    dear[tijuana] = 1000.0
    assert cost_to_us(g, lev.route_open, dear, zero)[tijuana] == pytest.approx(free[tijuana] + 1000.0)
    # travel stops at the first border city: Mexicali's cost is its own crossing, not Tijuana's
    assert cost_to_us(g, lev.route_open, dear, zero)[net.index("mexicali")] == free[net.index("mexicali")]
    closed = lev.route_open.copy()
    closed[net.route_index("hermosillo", "nogales_son")] = False
    assert cost_to_us(g, closed, zero, zero)[net.index("hermosillo")] > free[net.index("hermosillo")]
    assert sim.schedule.at(0).params.crossing_cost_km.shape == (n_nat, n)


def test_every_us_place_stands_for_a_border_patrol_sector_of_the_facts():
    net = build_simulation(load_scenario()).network
    sectors = place_sectors(net)
    assert set(sectors) == set(observed_shares(2010))
    assert sum(len(v) for v in sectors.values()) == int(net.mask("kind", ["us_sector"]).sum())


def test_group_targets_explain_the_fitted_years():
    """The Mexicans' and the others' shares: each sums to 1, and mixed by each year's share of
    Mexicans they give the observed shares of FY2010 and FY2013 within 3.5 points."""
    t = group_targets((2010, 2013))
    for group in t.values():
        assert sum(group.values()) == pytest.approx(1.0) and min(group.values()) > 0
    assert t["MEX"]["Tucson"] > 0.4 and t["*"]["Rio Grande Valley"] > 0.7
    for year, mex in ((2010, 396_820 / 447_731), (2013, 265_410 / 414_397)):
        for k, v in observed_shares(year).items():
            assert abs(mex * t["MEX"][k] + (1 - mex) * t["*"][k] - v) < 0.035, (year, k)
