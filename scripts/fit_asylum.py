"""Fit the yearly chance of applying for asylum in Mexico to COMAR's applicants, on alternate years.

The eras' policies ``asylum-applications-YYYY`` set ``asylum_apply_probability`` (all
nationalities but Mexicans) for one calendar year, on lines marked ``# asylum fitted YYYY``,
or ``# asylum interpolated YYYY`` in the scenario files:
  * fitted, 2014, 2016, 2018 and 2020: to COMAR's applicants that year (facts/03, the main
    series), by the damped fixed-point method of scripts/fit_default.py;
  * interpolated, 2015, 2017 and 2019: the geometric mean of the fitted years on either side,
    so their applicants stay a check (docs/validation.md);
2013's applicants (1,295) gave the default of 1% (parameters.yaml); 2021's chances are set by
nationality (policy asylum-applications-2021-by-nationality). Each round runs the
built-in history, as scripts/validate.py does.

    .venv/bin/python scripts/fit_asylum.py [--rounds 5] [--scale 0.25]
"""

from __future__ import annotations

import argparse
import math
import re
from pathlib import Path

from corridor.models.corridor.validation import HISTORY, run_windows, yearly
from corridor.observed import for_indicator

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "src" / "corridor" / "data" / "corridor" / "scenarios"
FITTED = (2014, 2016, 2018, 2020)
LINE = re.compile(r'^(\s*set: \{asylum_apply_probability: \{MEX: 0\.0, "\*": )([0-9.e-]+)'
                  r'(\}\}\s*# asylum (fitted|interpolated) (\d{4}))$', re.M)


def read_values() -> dict[int, float]:
    return {int(m.group(5)): float(m.group(2)) for f in sorted(SCENARIOS.glob("*.yaml"))
            for m in LINE.finditer(f.read_text())}


def write_values(values: dict[int, float]) -> None:
    for f in sorted(SCENARIOS.glob("*.yaml")):
        text = f.read_text()
        new = LINE.sub(lambda m: f"{m.group(1)}{values[int(m.group(5))]:.4g}{m.group(3)}", text)
        if new != text:
            f.write_text(new)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--scale", type=float, default=0.25)
    ap.add_argument("--damping", type=float, default=0.9)
    args = ap.parse_args()
    observed = for_indicator("asylum_applications_mexico").values
    for rnd in range(1, args.rounds + 1):
        values = read_values()
        model = yearly(run_windows(args.scale, HISTORY), "asylum_applications_mexico", "total", fiscal=False)
        print(f"round {rnd}: " + "; ".join(f"{y} p={values[y]:.4g} {model.get(y, 0):,.0f}/{observed[y]:,.0f}"
                                           f"{'' if y in FITTED else ' (check)'}"
                                           for y in sorted(values) if y in observed), flush=True)
        for y in FITTED:
            values[y] *= (observed[y] / max(model.get(y, 0.0), 1.0)) ** args.damping
        for y in sorted(values):
            if y not in FITTED and y - 1 in FITTED and y + 1 in FITTED:
                values[y] = math.sqrt(values[y - 1] * values[y + 1])
        write_values(values)
    print("wrote the fitted chances into the scenario files")


if __name__ == "__main__":
    main()
