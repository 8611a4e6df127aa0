"""Fit Cubans' departures and Mexico's detection in 2023-2024 through the model's own detection.

Three values in the built-in history, on lines marked ``# flows fitted ...``:
  * ``CUB 2022``: Cubans' departures a year (policy cubans-by-way-of-managua) to the Cubans Mexico
    detained in January-November 2022 (38,087, facts/02 row 73), times 12/11;
  * ``2023``: one factor on Mexico's detection (policy mexico-enforcement-2023) so that all of
    the model's detentions in Mexico in 2023 match Mexico's 782,176 events (facts/02 row 93);
    every nationality's flows are set from other series (the Darien, COMAR) and not moved;
  * ``2024``: likewise (mexico-enforcement-2024), to the 2.7 million detentions from December
    2018 to August 2024 (facts/02 row 95); only January-August 2024 is free, the rest is set.
Detentions grow with departures and with detection, so each round scales a value by observed /
modelled (damped), as scripts/fit_default.py does. Each round runs the built-in history, as scripts/validate.py does.
These three observed figures are then fitted, not checks (docs/validation.md).

    .venv/bin/python scripts/fit_flows.py [--rounds 3] [--scale 0.25]
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from pathlib import Path

import numpy as np

from corridor.models.corridor.validation import HISTORY, run_windows

ROOT = Path(__file__).resolve().parents[1]
FILE = ROOT / "src" / "corridor" / "data" / "corridor" / "scenarios" / "history-2010-2024.yaml"
CUBANS_2022 = 38087 * 12 / 11
DETENTIONS_2023 = 782176
DETENTIONS_DEC2018_AUG2024 = 2_700_000
CUB_LINE = re.compile(r"(departures_per_year: \{CUB: )([0-9.]+)(\}\}\s*# flows fitted CUB 2022)")


def scale_detection(text: str, year: int, factor: float) -> str:
    line = re.compile(r"(scale: \{mx_detection_per_100km: )([0-9.e-]+)(\}\s*# flows fitted " + str(year) + ")")
    new, n = line.subn(lambda m: f"{m.group(1)}{float(m.group(2)) * factor:.4g}{m.group(3)}", text)
    assert n == 1, f"no line marked '# flows fitted {year}' in {FILE}"
    return new


def detentions(result, nationalities, first: dt.date, last: dt.date) -> float:
    days = np.array([first <= d <= last for d in result.dates])
    codes = [n for n in nationalities if n in result.nationalities] if nationalities else [None]
    return float(sum(result.series("detentions_mexico", n)[days].sum() for n in codes))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--scale", type=float, default=0.25)
    ap.add_argument("--damping", type=float, default=0.9)
    args = ap.parse_args()
    for rnd in range(1, args.rounds + 1):
        res = run_windows(args.scale, HISTORY)[0].result
        d = dt.date
        cub = detentions(res, ("CUB",), d(2022, 1, 1), d(2022, 12, 31))
        total23 = detentions(res, None, d(2023, 1, 1), d(2023, 12, 31))
        total_cum = detentions(res, None, d(2018, 12, 1), d(2024, 8, 31))
        free24 = detentions(res, None, d(2024, 1, 1), d(2024, 8, 31))
        f_cub = (CUBANS_2022 / max(cub, 1.0)) ** args.damping
        f23 = (DETENTIONS_2023 / max(total23, 1.0)) ** args.damping
        f24 = (max(DETENTIONS_DEC2018_AUG2024 - (total_cum - free24), 1.0) / max(free24, 1.0)) ** args.damping
        print(f"round {rnd}: Cubans 2022 {cub:,.0f}/{CUBANS_2022:,.0f}; detentions 2023 {total23:,.0f}/"
              f"{DETENTIONS_2023:,}; Dec 2018-Aug 2024 {total_cum:,.0f}/{DETENTIONS_DEC2018_AUG2024:,} "
              f"(Jan-Aug 2024 {free24:,.0f}); factors {f_cub:.3f} {f23:.3f} {f24:.3f}", flush=True)
        text = FILE.read_text()
        text, n = CUB_LINE.subn(lambda m, f=f_cub: f"{m.group(1)}{float(m.group(2)) * f:.0f}{m.group(3)}", text)
        assert n == 1, f"no line marked '# flows fitted CUB 2022' in {FILE}"
        text = scale_detection(text, 2023, f23)
        text = scale_detection(text, 2024, f24)
        FILE.write_text(text)
    print(f"wrote the fitted values into {FILE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
