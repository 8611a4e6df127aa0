"""A lever added as the architecture recipe says (docs/architecture.md): one parameter and one agent
column, both declared in the predation mechanism, switched by a policy window."""

from __future__ import annotations

import numpy as np

from corridor.models.corridor import build_simulation

ROBBERS = {   # many robberies, and nothing else that money changes (all modes affordable)
    "predation_per_100km": {"*": 2.0}, "predation_waiting_per_day": {"*": 0.02},
    "predation_outcome_share": {"robbery_extortion": 1.0, "kidnapping": 0.0, "death": 0.0},
    "official_extortion_probability": 0.0, "collusion_kidnap_probability": 0.0, "mode_min_money_usd": {"*": 0},
    "robbery_loss_fraction": 0.5,
}


def _run(sc):
    sim = build_simulation(sc)
    sim.run()
    return sim


def test_robbery_min_loss_lever_takes_small_sums_whole(make_scenario):
    base = _run(make_scenario(parameters=ROBBERS))
    lever = _run(make_scenario(parameters=ROBBERS, policies=[
        {"name": "robbers-strip-small-sums", "start": "2010-01-01", "set": {"robbery_min_loss_usd": 400},
         "source": {"kind": "assumption", "note": "test"}}]))
    a, b = base.agents, lever.agents
    # the same people have the same crimes in both worlds (money moves nothing else here) ...
    assert a.n == b.n and base.recorder.total("robberies") == lever.recorder.total("robberies") > 50
    assert np.array_equal(a.status, b.status)
    robbed = a.robbed_usd > 0
    assert np.array_equal(robbed, b.robbed_usd > 0)
    # ... and lose what they carried either way: money + robbed_usd is what they left home with
    assert np.allclose(a.money + a.robbed_usd, b.money + b.robbed_usd, rtol=1e-5)
    # with the lever robbers take at least $400, or everything
    assert (b.robbed_usd >= a.robbed_usd - 1e-3).all()
    assert b.robbed_usd.sum() > 1.05 * a.robbed_usd.sum()
    poor = robbed & (a.money + a.robbed_usd < 400)
    assert poor.sum() > 5 and (b.money[poor] == 0).all() and (a.money[poor] > 0).all()


def test_without_crime_nothing_is_taken(make_scenario):
    quiet = {**ROBBERS, "predation_per_100km": {"*": 0.0}, "predation_waiting_per_day": {"*": 0.0}}
    sim = _run(make_scenario(parameters={**quiet, "robbery_min_loss_usd": 400}))
    assert sim.recorder.total("robberies") == 0 and (sim.agents.robbed_usd == 0).all()


def test_the_caravan_factor_acts_on_members_who_wait(make_scenario):
    """Predation's person factor is one rule for the road and for waiting: with crime only
    where people wait, caravan members are protected by ``predation_caravan_factor``."""
    waiting_only = {
        "departures_per_year": {"GTM": 0, "MEX": 0}, "caravan_departures_per_day": {"GTM": 20},
        "predation_per_100km": {"*": 0.0}, "predation_waiting_per_day": {"*": 0.05},
        "official_extortion_probability": 0.0, "collusion_kidnap_probability": 0.0,   # crimes of officials
        "retry_after_mx_deportation": {"*": 0.0}, "retry_after_us_return": {"*": 0.0},  # a second try: no caravan
    }

    def crimes(factor: float) -> int:
        sim = _run(make_scenario(parameters={**waiting_only, "predation_caravan_factor": factor}))
        assert sim.recorder.total("caravan_departures") == sim.recorder.total("departures") > 500
        return sim.recorder.total("victimizations")

    none, half, full = crimes(0.0), crimes(0.5), crimes(1.0)
    assert none == 0 < half < full
