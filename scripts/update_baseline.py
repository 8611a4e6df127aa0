"""Regenerate the regression baseline (tests/baseline/*.json).

The baseline is the summary of the built-in default scenario at population scale 0.05
with a fixed seed. tests/test_regression.py compares a fresh run with it, number for
number. When a change to the model is *meant* to change results, run

    .venv/bin/python scripts/update_baseline.py

and commit the new baseline together with the change, saying why the numbers moved.
"""

from __future__ import annotations

import json
from pathlib import Path

from corridor.results.run import run_scenario
from corridor.scenario.loader import load_scenario, scenario_from_dict

BASELINE = Path(__file__).resolve().parents[1] / "tests" / "baseline" / "default_scale005_seed7.json"
SCALE, SEED = 0.05, 7


def baseline_summary() -> dict:
    data = load_scenario().canonical()
    data["population_scale"] = SCALE
    summary = run_scenario(scenario_from_dict(data), seed=SEED).summary()
    summary.pop("version")   # the version string may change without the numbers changing
    return summary


def main() -> None:
    BASELINE.parent.mkdir(parents=True, exist_ok=True)
    BASELINE.write_text(json.dumps(baseline_summary(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {BASELINE}")


if __name__ == "__main__":
    main()
