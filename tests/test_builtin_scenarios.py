"""Every built-in scenario loads and builds (fast), and runs with its policies doing something (slow)."""

from __future__ import annotations

import pytest

from corridor.models.corridor import build_simulation
from corridor.results.run import run_scenario
from corridor.scenario.loader import builtin_scenarios, load_scenario, scenario_from_dict

ERAS = ["corridor-2010-2011", "transit-documents-2011", "southern-border-2013-2016", "consular-defence-2017",
        "caravans-2018-2019", "mpp-2019-2021", "haitians-2021", "history-2010-2024"]

# indicators each era's policies must move off zero (at a small population scale)
SIGNATURE = {
    "transit-documents-2011": ["transit_documents"],
    "southern-border-2013-2016": ["visitor_cards", "minors_in_care"],
    "consular-defence-2017": ["us_interior_arrests"],
    "caravans-2018-2019": ["caravan_departures", "humanitarian_visas"],
    "mpp-2019-2021": ["mpp_enrollments", "us_flights_south_mexico", "family_separations"],
    "haitians-2021": ["asylum_applications_mexico"],
    "history-2010-2024": ["visitor_cards", "us_interior_arrests", "caravan_departures", "mpp_enrollments",
                          "family_separations"],
}


def test_the_eras_are_all_built_in():
    assert set(ERAS) <= set(builtin_scenarios())


@pytest.mark.parametrize("name", ERAS)
def test_builtin_scenario_builds(name):
    sc = load_scenario(name)
    sim = build_simulation(sc)
    assert sim.n_ticks == (sc.spec.end - sc.spec.start).days + 1 + sc.spec.spin_up_days
    for pol in sc.spec.policies:                    # every policy names its source
        assert pol.source is not None, f"{name}: policy {pol.name} has no source"


@pytest.mark.slow
@pytest.mark.parametrize("name", ERAS)
def test_builtin_scenario_runs_and_its_policies_act(name):
    data = load_scenario(name).canonical()
    data["population_scale"] = 0.01
    result = run_scenario(scenario_from_dict(data, path=load_scenario(name).path), seed=3)
    summary = result.summary()
    assert summary["years"], name
    totals = {ind.name: result.data[:, result.index(ind.name)].sum() for ind in result.indicators}
    assert totals["departures"] > 0 and totals["entries_mexico"] > 0 and totals["apprehensions_us"] > 0
    for ind in SIGNATURE.get(name, []):
        assert totals[ind] > 0, f"{name}: {ind} stayed at zero"
    if result.dates[-1].year >= 2021:       # Haitians came in 2021 (every era has them, at zero before)
        assert result.series("asylum_applications_mexico", "HTI").sum() > 0
