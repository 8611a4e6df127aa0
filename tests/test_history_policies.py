"""Every policy of the history acts: switched off (same seed, so common random numbers), the
indicator its mechanism moves changes in the direction it implies, in its window and place.

One run of the history with everything, then one without each policy, at population scale
0.05 (results at full size). Slow: it runs in CI.
"""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np
import pytest

from corridor.results.run import run_to_end
from corridor.scenario.loader import load_scenario, scenario_from_dict

HISTORY = "history-2010-2024"
SCALE = 0.05
CA = ("GTM", "HND", "SLV")


def _run(drop: str | None = None):
    data = copy.deepcopy(load_scenario(HISTORY).canonical())
    data["population_scale"] = SCALE
    if drop is not None:
        names = [p["name"] for p in data["policies"]]
        assert drop in names, drop
        data["policies"] = [p for p in data["policies"] if p["name"] != drop]
    return run_to_end(scenario_from_dict(data, path=load_scenario(HISTORY).path)).result


@pytest.fixture(scope="module")
def everything():
    return _run()


def total(res, indicator, start, end, nats=None, places=None) -> float:
    """An indicator summed over the days ``start..end`` (ISO dates), nationalities and places."""
    days = [i for i, d in enumerate(res.dates) if dt.date.fromisoformat(start) <= d <= dt.date.fromisoformat(end)]
    block = res.data[days, res.index(indicator)]
    if nats is not None:
        block = block[:, [res.nationalities.index(n) for n in nats]]
    if places is not None:
        block = block[..., [res.locations.index(p) for p in places]]
    return float(block.sum())


def share(res, num, den, start, end, places):
    return total(res, num, start, end, places=places) / max(total(res, den, start, end, places=places), 1.0)


#: policy -> (measure(result) -> number, +1: higher with the policy, -1: lower)
CASES = {
    # Southern Border Program (seed 002): more detentions; minors taken into care; card holders
    "southern-border-program": (lambda r: total(r, "detentions_mexico", "2015-01-01", "2015-12-31"), +1),
    "visitor-card-seven-days": (lambda r: total(r, "detentions_mexico", "2017-06-01", "2018-12-31", ("GTM",),
                                                ("tapachula", "tenosique", "palenque", "comitan", "arriaga")), -1),
    "enforcement-from-2012": (lambda r: total(r, "detentions_mexico", "2013-01-01", "2013-12-31"), -1),
    # consular defence and US interior enforcement (seed 001)
    "consular-legal-defence": (lambda r: total(r, "us_removals", "2017-06-01", "2021-12-31", ("MEX",)), -1),
    "us-interior-enforcement-fy2017": (lambda r: total(r, "us_interior_arrests", "2017-02-01", "2021-12-31"), +1),
    # caravans and Mexico's 2018 response (seed 003)
    "caravan-october-2018": (lambda r: total(r, "caravan_departures", "2018-10-01", "2018-10-31"), +1),
    "caravans-head-for-tijuana": (lambda r: total(r, "arrivals_us_border", "2018-11-01", "2019-01-31",
                                                  places=("tijuana",)), +1),
    "mexico-2018-response": (lambda r: total(r, "humanitarian_visas", "2018-10-19", "2019-01-30"), +1),
    "development-plan": (lambda r: total(r, "departures", "2019-01-01", "2021-12-31", CA), -1),
    "tijuana-camp-moved": (lambda r: share(r, "apprehensions_us", "crossing_attempts_us", "2018-12-01",
                                           "2019-12-31", ("us_san_diego",)), +1),
    # seed 004
    "stay-in-mexico": (lambda r: total(r, "waiting_north", "2019-02-01", "2021-06-01"), +1),
    "national-guard-southern-border": (lambda r: total(r, "detentions_mexico", "2019-07-01", "2020-03-19"), +1),
    "title-42-expulsions": (lambda r: total(r, "us_asylum_claims", "2020-03-20", "2021-12-31"), -1),
    "pandemic-2020": (lambda r: total(r, "departures", "2020-03-20", "2020-12-31"), -1),
    "hurricanes-eta-iota": (lambda r: total(r, "departures", "2020-11-15", "2021-03-31", ("HND", "GTM")), +1),
    "deportation-flights-south-mexico": (lambda r: total(r, "us_flights_south_mexico", "2021-08-01",
                                                         "2021-12-31"), +1),
    "visa-restrictions-for-haitians": (lambda r: total(r, "detentions_mexico", "2021-01-01", "2021-12-31",
                                                       ("HTI",)), +1),
    "families-and-asylum-claims-2019": (lambda r: total(r, "us_asylum_claims", "2019-01-01", "2020-03-19"), +1),
    # 2022-2024
    "cubans-by-way-of-managua": (lambda r: total(r, "departures", "2022-01-01", "2022-12-31", ("CUB",)), +1),
    "visa-required-for-venezuelans": (lambda r: total(r, "detentions_mexico", "2022-02-01", "2022-12-31",
                                                      ("VEN",)), +1),
    "stay-in-mexico-reinstated": (lambda r: total(r, "mpp_enrollments", "2021-12-06", "2022-08-08"), +1),
    "title-42-for-venezuelans": (lambda r: total(r, "us_asylum_claims", "2022-10-19", "2023-05-11", ("VEN",)), -1),
    "parole-for-venezuelans": (lambda r: total(r, "apprehensions_us", "2022-10-19", "2024-12-31", ("VEN",)), -1),
    "parole-for-cubans-haitians-nicaraguans": (lambda r: total(r, "apprehensions_us", "2023-01-05", "2024-12-31",
                                                               ("CUB", "NIC")), -1),
    "mexico-enforcement-2023": (lambda r: total(r, "detentions_mexico", "2023-01-01", "2023-12-31"), +1),
    "mexico-enforcement-2024": (lambda r: total(r, "detentions_mexico", "2024-01-01", "2024-12-31"), +1),
    "visitor-card-for-hondurans-and-salvadorans": (lambda r: total(
        r, "detentions_mexico", "2023-10-01", "2024-12-31", ("HND", "SLV"),
        ("tapachula", "tenosique", "palenque", "comitan", "arriaga")), -1),
    "panama-closes-darien": (lambda r: total(r, "departures", "2024-07-01", "2024-12-31", ("VEN", "HTI", "ECU")), -1),
    # the flows and yearly rates the history follows
    "flows-2013-2016": (lambda r: total(r, "departures", "2013-01-01", "2016-12-31", CA), +1),
    "haitians-and-venezuelans-2021": (lambda r: total(r, "departures", "2021-01-01", "2021-12-31", ("HTI",)), +1),
    "deportations-2021": (lambda r: total(r, "deportations_mexico", "2021-01-01", "2021-12-31"), -1),
    "asylum-applications-2019": (lambda r: total(r, "asylum_applications_mexico", "2019-01-01", "2019-12-31"), +1),
    "comar-2021": (lambda r: total(r, "asylum_grants_mexico", "2021-01-01", "2021-12-31"), +1),
}


@pytest.mark.slow
@pytest.mark.parametrize("policy", sorted(CASES))
def test_each_policy_moves_its_indicator(everything, policy):
    measure, sign = CASES[policy]
    on, off = measure(everything), measure(_run(drop=policy))
    assert np.sign(on - off) == sign and abs(on - off) > 0.02 * max(abs(off), 1.0), (policy, on, off)


def test_every_seed_policy_of_the_history_has_a_case():
    """A new policy in the history needs a case here (or a reason in SEED_LESS)."""
    seed_less = {p.name for p in load_scenario(HISTORY).spec.policies
                 if p.name.startswith(("flows-", "deportations-", "asylum-applications-", "caravan-"))}
    names = {p.name for p in load_scenario(HISTORY).spec.policies}
    assert names - seed_less - set(CASES) == set()
