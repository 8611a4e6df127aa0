"""The defects issue 12 lists, one test each: every one failed before its fix.

Mechanism tests run the tiny world (``make_scenario``); tests of the built-in data build or run
the built-in scenarios at a small population scale.
"""

from __future__ import annotations

import copy
import datetime as dt
import math

import numpy as np
import pytest

from corridor.models.corridor import Status, build_simulation
from corridor.models.corridor.geography import border_cities_out_of_reach
from corridor.models.corridor.states import GROUPS
from corridor.scenario.loader import load_scenario, scenario_from_dict

GTM, MEX = 0, 1
FAMILY, MINOR = GROUPS.index("family"), GROUPS.index("unaccompanied_minor")
CA = ("GTM", "HND", "SLV")


def run(make_scenario, **parameters):
    sim = build_simulation(make_scenario(parameters=parameters))
    sim.run()
    return sim


def total(sim, name, nat=None, place=None):
    i = [ind.name for ind in sim.recorder.indicators].index(name)
    block = sim.recorder.data[:, i]
    if nat is not None:
        block = block[:, nat]
    if place is not None:
        block = block[..., sim.network.index(place)]
    return int(block.sum())


def builtin(name: str, *, scale: float, drop: str | None = None, **parameters):
    """A built-in scenario at ``scale``, without policy ``drop``, with ``parameters`` set."""
    data = copy.deepcopy(load_scenario(name).canonical())
    data["population_scale"] = scale
    data["policies"] = [p for p in data["policies"] if p["name"] != drop]
    for key, value in parameters.items():
        data["parameters"][key] = {"value": value, "source": {"kind": "scenario", "note": "test"}}
    return build_simulation(scenario_from_dict(data, path=load_scenario(name).path))


# ---- geography: every border city can be reached

def test_every_border_city_can_be_reached_from_an_origin():
    net = build_simulation(load_scenario()).network
    origins = np.flatnonzero(net.mask("kind", ["origin", "other"]))
    assert border_cities_out_of_reach(net, origins) == []


def test_a_border_city_behind_another_is_out_of_reach(tmp_path):
    from conftest import NODES_CSV, ROUTES_CSV, write_network

    from corridor.network import load_network
    nodes = NODES_CSV + "matamoros,Matamoros,MEX,Tamaulipas,25.87,-97.50,border_city_mx,north_mx\n"
    n, r = write_network(tmp_path, nodes, ROUTES_CSV + "reynosa,matamoros,90,bus\nmatamoros,us_mcallen,20,foot\n")
    net = load_network(n, r)
    origins = np.flatnonzero(net.mask("kind", ["origin"]))
    assert border_cities_out_of_reach(net, origins) == ["matamoros"]


def test_the_tijuana_camp_moved_makes_crossing_from_tijuana_harder():
    """The camp policy acts on people who reach Tijuana (none could before hermosillo->tijuana)."""
    opts = dict(scale=0.2, apprehension_per_extra_km=0.05)
    on = builtin("caravans-2018-2019", **opts)
    off = builtin("caravans-2018-2019", drop="tijuana-camp-moved", **opts)
    for sim in (on, off):
        sim.run()
    attempts = [total(s, "crossing_attempts_us", place="us_san_diego") for s in (on, off)]
    caught = [total(s, "apprehensions_us", place="us_san_diego") for s in (on, off)]
    assert min(attempts) > 100
    assert caught[0] / attempts[0] > caught[1] / attempts[1] + 0.1


# ---- "stay in Mexico"

MPP = dict(us_asylum_claim_probability={"*": 1.0}, mpp_share=1.0, mpp_wait_days=60,
           predation_per_100km=0, us_return_to_border_share={"*": 1.0})


def test_people_waiting_for_a_us_hearing_are_attacked(make_scenario):
    danger = {"north_mx": 0.02, "*": 0.0}
    waiting = run(make_scenario, **MPP, predation_waiting_per_day=danger)
    entering = run(make_scenario, **{**MPP, "mpp_share": 0.0}, predation_waiting_per_day=danger)
    assert total(waiting, "mpp_enrollments", GTM) > 50
    crimes = [total(s, "victimizations", GTM, "reynosa") for s in (waiting, entering)]
    # up to sixty days in Reynosa at 2% a day (fewer for those sent back late in the run): many
    # of them are attacked while they wait (84 crimes against 29, for 90 sent back, seed 7)
    assert crimes[0] > crimes[1] + 0.3 * total(waiting, "mpp_enrollments", GTM)


def test_mpp_sends_back_neither_mexicans_nor_unaccompanied_minors(make_scenario):
    sim = run(make_scenario, **MPP)
    assert total(sim, "us_asylum_claims", MEX) > 100
    assert total(sim, "mpp_enrollments", MEX) == 0 and total(sim, "mpp_enrollments", GTM) > 50
    eligible = run(make_scenario, **MPP, mpp_eligible={"*": 1})            # the lever acts
    assert total(eligible, "mpp_enrollments", MEX) > 50
    minors = run(make_scenario, **MPP, group_share={"*": {"alone": 0, "family": 0, "unaccompanied_minor": 1}})
    assert total(minors, "us_asylum_claims", GTM) > 50 and total(minors, "mpp_enrollments") == 0


# ---- families separated by Mexico

def test_a_separated_family_leaves_children_unaccompanied(make_scenario):
    params = dict(group_share={"*": {"alone": 0, "family": 1, "unaccompanied_minor": 0}},
                  official_extortion_probability=0, collusion_kidnap_probability=0, minor_care_probability=1.0)
    torn = run(make_scenario, **params, family_separation_probability=1.0)
    kept = run(make_scenario, **params, family_separation_probability=0.0)
    n = total(torn, "family_separations")
    group = torn.agents.group
    assert n == np.count_nonzero(group != FAMILY) > 50             # each separated once, then no longer a family
    children = np.count_nonzero(group == MINOR)
    assert abs(children - n / 2) < 4 * math.sqrt(n / 4)           # separated_child_share 0.5
    # the separated children are taken into child protection, not deported
    # (a child refused asylum and detained again is taken in again)
    assert total(torn, "minors_in_care") >= children > 0 and total(kept, "minors_in_care") == 0
    assert total(torn, "deportations_mexico") < total(kept, "deportations_mexico")


# ---- caravans

def test_a_caravan_travels_together(make_scenario):
    """Members who left together stay together while nothing singles one out (no detection,
    crime or giving up here): same place, same route, same progress every day."""
    quiet = dict(caravan_asylum_apply_probability=0.0, caravan_detection_factor=0.0, predation_caravan_factor=0.0,
                 transit_stop_per_day=0.0, money_sigma=2.0)
    scenario = make_scenario(end="2010-01-07", parameters=quiet,
                             policies=[{"name": "caravan", "start": "2010-01-02", "end": "2010-01-02",
                                        "set": {"caravan_departures_per_day": {"GTM": 300}}}])
    sim = build_simulation(scenario)
    sim.run()
    a = sim.agents
    members = np.flatnonzero(a.caravan > 0)
    assert members.size > 200
    travelling = members[a.status[members] == Status.TRANSIT]
    where = {(int(a.loc[s]), int(a.route[s]), float(a.progress[s])) for s in travelling}
    assert travelling.size > 200 and len(where) == 1, where


def test_the_october_2018_caravan_reaches_tijuana_in_about_a_month():
    """7,000 left San Pedro Sula on 12-21 October 2018; more than 1,700 were in Tijuana by 15
    November and most of the caravan by late November (facts/06 rows 5, 9)."""
    on = builtin("caravans-2018-2019", scale=0.2)
    off = builtin("caravans-2018-2019", scale=0.2, drop="caravan-october-2018")
    for sim in (on, off):
        sim.run()
    i = [ind.name for ind in on.recorder.indicators].index("arrivals_us_border")
    tj = on.network.index("tijuana")
    extra = np.cumsum(on.recorder.data[:, i, :, tj].sum(axis=1) - off.recorder.data[:, i, :, tj].sum(axis=1)) / 0.2

    def by(day):
        return extra[(dt.date.fromisoformat(day) - on.day0).days - on.recorder.first_tick]
    assert by("2018-11-05") < 200                      # nobody there after two weeks on the road
    assert by("2018-11-20") > 1_700 and by("2018-11-30") > 0.35 * 7_000


# ---- departures: levels from series and shocks compose

def _factor(sim, nat: str, year: int) -> float:
    """Mean over a year of departure_level x departure_multiplier for one nationality."""
    j = sim.nationalities.index(nat)
    days = [(dt.date(year, 1, 1) + dt.timedelta(d) - sim.day0).days for d in range(365)]
    vals = [sim.schedule.at(t).params.departure_level[j] * sim.schedule.at(t).params.departure_multiplier[j]
            for t in days]
    return float(np.mean(vals))


def test_flows_windows_keep_the_development_plan_and_the_pandemic_is_counted_once():
    sim = builtin("mpp-2019-2021", scale=0.001)
    plain = builtin("mpp-2019-2021", scale=0.001, drop="development-plan")
    for nat in CA:                                        # the plan (x 0.95) acts in every year
        for year in (2019, 2020, 2021):
            assert _factor(sim, nat, year) == pytest.approx(0.95 * _factor(plain, nat, year))
    # Mexico's detentions fell from 182,940 (2019) to 82,379 (2020): x 0.450 (facts/02), which the
    # pandemic carries alone (El Salvador: no hurricane in the window)
    assert _factor(sim, "SLV", 2020) / _factor(sim, "SLV", 2019) == pytest.approx(82_379 / 182_940, abs=0.01)


# ---- Haitians' visas

@pytest.mark.slow
def test_visa_restrictions_for_haitians_raise_their_detentions():
    on = builtin("haitians-2021", scale=0.02)
    off = builtin("haitians-2021", scale=0.02, drop="visa-restrictions-for-haitians")
    for sim in (on, off):
        sim.run()
    hti = on.nationalities.index("HTI")
    assert total(on, "detentions_mexico", hti) > 1.1 * total(off, "detentions_mexico", hti) > 0


# ---- deportations by Mexico

def test_mexico_returns_central_americans_to_their_own_country():
    sim = build_simulation(load_scenario())
    net, p = sim.network, sim.schedule.at(0).params
    for nat in ("GTM", "HND", "SLV", "NIC"):
        place = int(p.deportation_destination[sim.nationalities.index(nat)])
        assert net.countries[net.country[place]] == nat, (nat, net.ids[place])
