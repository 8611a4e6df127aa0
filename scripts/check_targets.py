"""Run the default scenario at full scale and compare it with its targets.

    .venv/bin/python scripts/check_targets.py [--seed N]

Prints one line per target (observed, modelled, range, pass/fail) and exits 1 if any
target is missed. docs/calibration.md reproduces its output.
"""

from __future__ import annotations

import argparse
import sys

from corridor import load_scenario, run_scenario
from corridor.models.corridor.targets import check_targets


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    result = run_scenario(load_scenario(), seed=args.seed)
    rows = check_targets(result)
    print(f"{'target':52s} {'observed':>10s} {'modelled':>10s}  range")
    for t, got, ok in rows:
        print(f"{t.label:52s} {t.observed:>10,.6g} {got:>10,.6g}  [{t.low:,.6g}, {t.high:,.6g}] "
              f"{'ok' if ok else 'MISSED'}  ({t.source})")
    print(f"run: {result.meta['run_seconds']:.1f} s, {result.meta['agents_created']:,} agents, seed {result.seed}")
    return 0 if all(ok for *_, ok in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
