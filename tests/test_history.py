"""The built-in history: the eras are windows of it, and each seed policy acts in it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from corridor.models.corridor import build_simulation
from corridor.models.corridor.world import PARAM_SPECS
from corridor.scenario.loader import load_scenario

HISTORY = "history-2010-2024"
ERAS = ("corridor-2010-2011", "southern-border-2013-2016", "consular-defence-2017", "caravans-2018-2019",
        "mpp-2019-2021", "haitians-2021")


@pytest.fixture(scope="module")
def history():
    return build_simulation(load_scenario(HISTORY))


def _aligned(value, dims, rows, first_year, years):
    """A parameter's array restricted to an era's nationalities (``rows``) and years (the
    array's years start at ``first_year``)."""
    for axis, dim in enumerate(dims):
        if dim == "nationality":
            value = np.take(value, rows, axis=axis)
        elif dim == "year":
            value = np.take(value, [y - first_year for y in years], axis=axis)
    return value


def _years(sim, spec_name="departures_per_year"):
    """The years an era's yearly arrays hold."""
    n = np.asarray(getattr(sim.schedule.at(0).params, spec_name)).shape[1]
    return range(sim.world.first_year, sim.world.first_year + n)


@pytest.mark.parametrize("era", ERAS)
def test_each_era_is_a_window_of_the_history(history, era):
    """On every day an era runs (spin-up included) its levers are the history's on that date:
    the same parameters for its nationalities, the same open routes and places."""
    sim = build_simulation(load_scenario(era))
    rows = [history.nationalities.index(n) for n in sim.nationalities]
    years = _years(sim)
    for tick in range(0, sim.n_ticks, 7):
        there = (sim.day0 + dt.timedelta(tick) - history.day0).days
        mine, theirs = sim.schedule.at(tick), history.schedule.at(there)
        assert np.array_equal(mine.route_open, theirs.route_open)
        assert np.array_equal(mine.location_open, theirs.location_open)
        for name, spec in PARAM_SPECS.items():
            a = _aligned(np.asarray(getattr(mine.params, name)), spec.dims, list(range(len(rows))),
                         sim.world.first_year, years)
            b = _aligned(np.asarray(getattr(theirs.params, name)), spec.dims, rows, history.world.first_year, years)
            assert np.array_equal(a, b), (era, sim.day0 + dt.timedelta(tick), name)


def test_the_history_covers_fy2010_to_2024_with_every_era_policy(history):
    names = {p.name for p in load_scenario(HISTORY).spec.policies}
    for era in ERAS[1:]:
        assert {p.name for p in load_scenario(era).spec.policies} <= names
    assert history.day0 + dt.timedelta(180) == dt.date(2009, 10, 1)
    assert history.day0 + dt.timedelta(history.n_ticks - 1) == dt.date(2024, 12, 31)
    assert "CUB" in history.nationalities
    assert history.policies_outside_run == ()
