"""Regenerate the regression baseline (tests/baseline/*.json).

The baseline is the summary of the built-in default scenario at population scale 0.05
with a fixed seed, once per schedule: people sleeping between events (the default,
``default_scale005_seed7.json``) and everyone drawn every day (the per-day design,
``..._daily.json``; unchanged since before the calendar). tests/test_regression.py compares
fresh runs with them, number for number. When a change to the model is *meant* to change results, run

    .venv/bin/python scripts/update_baseline.py

and commit the new baseline together with the change, saying why the numbers moved.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from corridor.results.run import run_scenario
from corridor.scenario.loader import load_scenario, scenario_from_dict

FOLDER = Path(__file__).resolve().parents[1] / "tests" / "baseline"
BASELINES = {"events": FOLDER / "default_scale005_seed7.json", "daily": FOLDER / "default_scale005_seed7_daily.json"}
SCALE, SEED = 0.05, 7


def baseline_summary(schedule: str = "events") -> dict:
    data = load_scenario().canonical()
    data["population_scale"] = SCALE
    before = os.environ.get("CORRIDOR_SCHEDULE")
    os.environ["CORRIDOR_SCHEDULE"] = schedule
    try:
        summary = run_scenario(scenario_from_dict(data), seed=SEED).summary()
    finally:
        if before is None:
            os.environ.pop("CORRIDOR_SCHEDULE")
        else:
            os.environ["CORRIDOR_SCHEDULE"] = before
    summary.pop("version")   # the version string may change without the numbers changing
    return summary


def main() -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    for schedule, path in BASELINES.items():
        path.write_text(json.dumps(baseline_summary(schedule), indent=1, sort_keys=True) + "\n")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
