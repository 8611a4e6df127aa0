"""The default scenario reproduces its targets at full scale (seed 000 and facts/01a).

Slow (one full-scale run of about 35 s): runs in CI, not in the default local run.
"""

from __future__ import annotations

import pytest

from corridor import load_scenario, run_scenario
from corridor.models.corridor.targets import TARGETS, check_targets


@pytest.mark.slow
def test_default_scenario_meets_every_target():
    rows = check_targets(run_scenario(load_scenario()))
    assert len(rows) == len(TARGETS)
    missed = [f"{t.label}: {got:,.6g} not in [{t.low:,.6g}, {t.high:,.6g}] ({t.source})"
              for t, got, ok in rows if not ok]
    assert not missed, "\n".join(missed)


def test_targets_are_the_issue_figures():
    # the acceptance ranges themselves, so that nobody widens them silently
    assert TARGETS["entries_mexico 2010 Central America"].low == 200000
    assert TARGETS["entries_mexico 2010 Central America"].high == 300000
    assert TARGETS["deportations_mexico 2010 total"].observed == 70000
    assert TARGETS["deportations_mexico 2010 Central American share"].observed == 0.93
    for key, t in TARGETS.items():
        if key.startswith("apprehensions_us"):
            assert t.low == pytest.approx(0.85 * t.observed) and t.high == pytest.approx(1.15 * t.observed)
    assert TARGETS["apprehensions_us FY2010 MEX"].observed == 396820
    assert TARGETS["apprehensions_us FY2011 SLV"].observed == 10370
