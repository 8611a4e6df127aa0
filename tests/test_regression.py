"""Regression baseline: the default scenario at scale 0.05, seed 7, must not change silently,
with people sleeping between events (the default) and with everyone drawn every day (the
per-day design, whose baseline dates from before the calendar: the calendar left it
unchanged, bit for bit).

If a change is meant to move the numbers, regenerate with scripts/update_baseline.py.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

import pytest  # noqa: E402
from update_baseline import BASELINES, baseline_summary  # noqa: E402


def _diff(a, b, path=""):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                yield f"{path}.{k}: only in {'baseline' if k in a else 'new run'}"
            else:
                yield from _diff(a[k], b[k], f"{path}.{k}")
    elif a != b:
        yield f"{path}: baseline {a!r}, now {b!r}"


@pytest.mark.parametrize("schedule", sorted(BASELINES))
def test_default_scenario_matches_baseline(schedule):
    expected = json.loads(BASELINES[schedule].read_text())
    got = json.loads(json.dumps(baseline_summary(schedule)))    # same JSON round trip as the file
    differences = list(_diff(expected, got))
    assert not differences, "results moved (run scripts/update_baseline.py if intended):\n" + \
        "\n".join(differences[:20])
