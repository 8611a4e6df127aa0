"""The built-in default scenario at full scale (slow: about a minute).

Only the shape of the results is checked here; calibration targets are tested elsewhere.
"""

from __future__ import annotations

import numpy as np
import pytest

from corridor import load_scenario, run_scenario
from corridor.models.corridor import build_simulation
from corridor.models.corridor.states import FINAL, Status

pytestmark = pytest.mark.slow

REQUIRED = ("entries_mexico", "detentions_mexico", "deportations_mexico", "victimizations",
            "deaths", "asylum_applications_mexico", "asylum_grants_mexico",
            "arrivals_us_border", "apprehensions_us", "waiting_south", "waiting_north")
NATS = ["MEX", "GTM", "HND", "SLV", "NIC", "ECU"]


@pytest.fixture(scope="module")
def default_run():
    sc = load_scenario()
    assert sc.spec.population_scale == 1.0
    return run_scenario(sc)


def test_summary_shape(default_run):
    s = default_run.summary()
    assert s["scenario"] == "corridor-2010-2011" and s["seed"] == 20100101
    assert list(s["years"]) == ["2009", "2010", "2011"]
    assert s["periods"]["2009"]["days"] == 92 and s["periods"]["2010"]["days"] == 365
    assert list(s["fiscal_years"]) == ["2010", "2011", "2012"]
    for year, row in s["years"].items():
        for name in REQUIRED:
            entry = row[name]
            assert set(entry) == {"total", *NATS}, (year, name)
            assert entry["total"] >= 0
            assert abs(entry["total"] - sum(entry[n] for n in NATS)) <= 3, (year, name)


def test_every_nationality_moves(default_run):
    s = default_run.summary()["years"]["2010"]
    for nat in NATS:
        assert s["arrivals_us_border"][nat] > 0, nat
        assert s["apprehensions_us"][nat] > 0, nat
    for nat in NATS[1:]:
        assert s["entries_mexico"][nat] > 0, nat
    assert s["entries_mexico"]["MEX"] == 0


def test_full_scale_meta(default_run):
    m = default_run.meta
    assert m["days_simulated"] == 180 + 822
    assert m["agents_created"] > 100_000
    assert m["bytes_per_agent"] <= 64
    assert default_run.data.shape[0] == 822
    assert np.isfinite(default_run.data).all() and (default_run.data >= 0).all()


def test_validate_builtin_quickly():
    sim = build_simulation(load_scenario())
    assert sim.n_ticks == 1002
    assert set(FINAL) < set(Status)
