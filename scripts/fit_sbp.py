"""Fit the enforcement levels of the 2013-2016 scenario to Mexico's deportations and detentions.

Two factors on ``mx_detection_per_100km``, marked ``# fitted`` in
src/corridor/data/corridor/scenarios/history-2010-2024.yaml (the policies of the era
southern-border-2013-2016, a window of the history, on which they are measured):
  * policy ``enforcement-from-2012`` (the level from 2012 on): to 80,902 deportations in 2013
    (facts/02 row 25, El Economista citing INM/SEGOB);
  * policy ``southern-border-program`` (from 7 July 2014, a multiplier on that level): to 181,163 deportations in 2015
    (facts/02 row 31) and 186,216 detentions in 2016 (facts/02 row 34), equally weighted.
Deportations in 2014 (107,811, facts/02 row 26) and detentions in 2015 (198,141, row 30) are
reported as checks, not fitted. Same damped fixed-point method as scripts/fit_default.py.

    .venv/bin/python scripts/fit_sbp.py [--rounds 5] [--scale 0.1] [--seed 20130101]
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from corridor.results.run import run_scenario
from corridor.scenario.loader import load_scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "src" / "corridor" / "data" / "corridor" / "scenarios"
SCENARIO = SCENARIOS / "southern-border-2013-2016.yaml"     # measured on this era
FITTED_FILE = SCENARIOS / "history-2010-2024.yaml"         # its policies live in the history
TARGETS = {"deportations 2013": 80902, "deportations 2015": 181163, "detentions 2016": 186216}
CHECKS = {"deportations 2014": 107811, "detentions 2015": 198141}
FITTED_LINE = re.compile(r"^(\s*(?:scale: \{)?mx_detection_per_100km: )([0-9.]+)(\}?\s*# fitted)$", re.M)


def read_factors(text: str) -> list[float]:
    return [float(m.group(2)) for m in FITTED_LINE.finditer(text)]


def write_factors(text: str, factors: list[float]) -> str:
    it = iter(factors)
    return FITTED_LINE.sub(lambda m: f"{m.group(1)}{next(it):.4g}{m.group(3)}", text)


def measure(scale: float, seed: int) -> dict[str, float]:
    data = load_scenario(SCENARIO).canonical()
    data["population_scale"] = scale
    result = run_scenario(scenario_from_dict(data, path=SCENARIO), seed=seed)
    by = result.by_year()
    return {f"{kind} {y}": by[str(y)][f"{kind}_mexico"]["total"]
            for kind in ("deportations", "detentions") for y in (2013, 2014, 2015, 2016)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--scale", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=20130101)
    ap.add_argument("--damping", type=float, default=0.9)
    args = ap.parse_args()
    for rnd in range(1, args.rounds + 1):
        text = FITTED_FILE.read_text()
        before, sbp = read_factors(text)
        got = measure(args.scale, args.seed)
        shown = ", ".join(f"{k} {got[k]:,.0f} (target {v:,})" for k, v in {**TARGETS, **CHECKS}.items())
        print(f"round {rnd}: factors from 2012 {before:.4g}, SBP {sbp:.4g}; {shown}", flush=True)
        r_before = (TARGETS["deportations 2013"] / max(got["deportations 2013"], 1)) ** args.damping
        r_sbp = ((TARGETS["deportations 2015"] / max(got["deportations 2015"], 1)
                  * TARGETS["detentions 2016"] / max(got["detentions 2016"], 1)) ** 0.5) ** args.damping
        FITTED_FILE.write_text(write_factors(text, [before * r_before, sbp * r_sbp]))
    print(f"wrote the fitted factors into {FITTED_FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
