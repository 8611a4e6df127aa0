"""Invariants of a run of the tiny world: statuses, conservation, consistent counts."""

from __future__ import annotations

import numpy as np
import pytest

from corridor.models.corridor import PHASES, build_simulation
from corridor.models.corridor.states import FINAL, WAITING, Status

FINAL_CODES = [int(s) for s in FINAL]
GTM, MEX = 0, 1


def check_state(sim) -> None:
    a, net = sim.agents, sim.network
    n = a.n
    valid = np.isin(a.status, [int(s) for s in Status])
    assert valid.all(), np.unique(a.status[~valid])
    assert sum(int((a.status == int(s)).sum()) for s in Status) == n
    final = np.isin(a.status, FINAL_CODES)
    assert np.array_equal(a.live, ~final)
    assert ((a.loc >= 0) & (a.loc < net.n_locations)).all()
    on_route = a.route >= 0
    assert (a.status[on_route] == int(Status.TRANSIT)).all()
    r = a.route[on_route]
    assert (net.src[r] == a.loc[on_route]).all()
    assert (a.progress[on_route] < net.km[r]).all() and (a.progress[on_route] >= 0).all()
    assert (a.route[final] == -1).all()
    us = net.mask("kind", ["us_sector"])
    assert np.array_equal(us[a.loc], a.status == int(Status.IN_US))
    assert (a.timer >= 0).all()
    assert (a.attempts >= 1).all()
    assert np.isin(a.nationality, [GTM, MEX]).all()


@pytest.fixture(scope="module")
def sim(tiny_sim):
    return tiny_sim


def test_phase_order():
    assert PHASES == ("policies", "departures", "movement", "enforcement", "predation", "asylum",
                      "border", "interior", "record", "calendar")


def test_run_is_busy(sim):
    """The tiny world exercises every mechanism (otherwise the checks below are empty)."""
    rec = sim.recorder
    for name in ("departures", "entries_mexico", "detentions_mexico", "deportations_mexico",
                 "victimizations", "kidnappings", "asylum_applications_mexico",
                 "asylum_grants_mexico", "arrivals_us_border", "crossing_attempts_us",
                 "apprehensions_us", "entries_us", "gave_up"):
        assert rec.total(name) > 0, name
    assert 1000 < sim.agents.n < 3000


def test_state_after_run(sim):
    check_state(sim)


def test_state_every_day(make_scenario):
    sim = build_simulation(make_scenario(end="2010-02-15"))
    for tick in range(sim.n_ticks):
        sim.step(tick)
        check_state(sim)


def test_conservation(sim):
    a, rec = sim.agents, sim.recorder
    assert rec.total("departures") == a.n
    per_nat = rec.data[:, [i.name for i in rec.indicators].index("departures")].sum(axis=(0, 2))
    assert per_nat.tolist() == np.bincount(a.nationality, minlength=2).tolist()
    origins = {sim.network.ids[i] for i in np.unique(a.origin)}
    assert origins == {"huehuetenango", "morelia"}
    assert (a.origin[a.nationality == GTM] == sim.network.index("huehuetenango")).all()


def test_final_status_counts_match_events(sim):
    a, rec = sim.agents, sim.recorder
    count = {s: int((a.status == int(s)).sum()) for s in Status}
    # in the US: entered unseen, or let in with an asylum claim, or granted after waiting in Mexico,
    # less those removed after an interior arrest
    assert count[Status.IN_US] == rec.total("entries_us") + rec.total("us_asylum_claims") \
        - rec.total("mpp_enrollments") + rec.total("us_asylum_grants") - rec.total("us_removals")
    assert count[Status.DEAD] == rec.total("deaths")
    assert count[Status.GAVE_UP] == rec.total("gave_up")
    assert count[Status.PROTECTED_MX] <= rec.total("asylum_grants_mexico")


def _by_loc(rec, name):
    i = [ind.name for ind in rec.indicators].index(name)
    return rec.data[:, i].sum(axis=(0, 1))


def test_recorded_counts_are_consistent(sim):
    rec, net = sim.recorder, sim.network
    t = rec.total
    assert (rec.data >= 0).all()
    assert t("deportations_mexico") <= t("detentions_mexico")
    assert t("apprehensions_us") <= t("crossing_attempts_us")
    us = net.mask("kind", ["us_sector"])
    crossing_deaths = int(_by_loc(rec, "deaths")[us].sum())
    assert t("entries_us") + t("apprehensions_us") + crossing_deaths == t("crossing_attempts_us")
    assert t("asylum_grants_mexico") + t("asylum_denials_mexico") <= t("asylum_applications_mexico")
    assert t("robberies") + t("kidnappings") <= t("victimizations")
    assert t("victimizations") - t("robberies") - t("kidnappings") <= t("deaths")
    # crossings happen only at the US border, arrivals only in border cities
    bc = net.mask("kind", ["border_city_mx"])
    assert _by_loc(rec, "crossing_attempts_us")[~us].sum() == 0
    assert _by_loc(rec, "arrivals_us_border")[~bc].sum() == 0
    # Mexicans do not enter Mexico, are not detained by Mexico and do not apply for asylum
    for name in ("entries_mexico", "detentions_mexico", "asylum_applications_mexico"):
        i = [ind.name for ind in rec.indicators].index(name)
        assert rec.data[:, i, MEX].sum() == 0, name


def test_last_day_stocks_match_agents(sim):
    a, rec, net = sim.agents, sim.recorder, sim.network
    names = [ind.name for ind in rec.indicators]
    last = rec.data[-1]
    transit = np.isin(a.status, [int(Status.TRANSIT), int(Status.KIDNAPPED)])
    assert last[names.index("in_transit")].sum() == transit.sum()
    assert last[names.index("detained_mexico")].sum() == (a.status == int(Status.DETAINED_MX)).sum()
    waiting = np.isin(a.status, [int(s) for s in WAITING])
    north = net.zones.index("north_mx")
    south = net.zones.index("south_mx")
    assert last[names.index("waiting_north")].sum() == (waiting & (net.zone[a.loc] == north)).sum()
    assert last[names.index("waiting_south")].sum() == (waiting & (net.zone[a.loc] == south)).sum()


def test_spin_up_is_not_recorded(make_scenario):
    sim = build_simulation(make_scenario(spin_up_days=30))
    sim.run()
    rec = sim.recorder
    assert rec.data.shape[0] == 90 and sim.n_ticks == 120
    # people who left during the spin-up are simulated but not counted as departures
    assert rec.total("departures") < sim.agents.n
    assert rec.route_flows.sum() > 0


def test_agent_days_and_timings(sim):
    assert sim.agent_days > sim.agents.n
    assert set(sim.timings) == set(PHASES)
