"""Run the built-in history and write docs/validation.md: the model beside every yearly series of
the facts it produces, each year marked fitted, input or check, with naive forecasts beside the
checks (see corridor.models.corridor.validation).

    .venv/bin/python scripts/validate.py [--scale 1.0]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from corridor.models.corridor.validation import build_report, markdown, run_windows
from corridor.results.atomic import write_text_atomic

OUT = Path(__file__).resolve().parents[1] / "docs" / "validation.md"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="population scale of the runs")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    t0 = time.perf_counter()
    runs = run_windows(args.scale)
    report = build_report(runs, args.scale, time.perf_counter() - t0)
    write_text_atomic(args.out, markdown(report), option="--out")
    print(f"wrote {args.out} ({report.seconds:.0f} s)")


if __name__ == "__main__":
    main()
