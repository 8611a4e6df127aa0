"""Wall time of Corridor vs the `flee` package (3.1) on the same Flee scenario and machine.

Defaults: Mali 2012 at full scale (the FabFlee validation settings, hasten 1: 300 days,
148,063 agents). Flee runs in a subprocess (benchmarks/flee_reference.py, time of the run
without imports); Corridor runs in a fresh subprocess too, timed twice: the first run
(including loading the compiled kernels from Numba's cache, or compiling them if there is
no cache yet) and a second run in the same process. Needs ``pip install -e .[bench]``::

    python benchmarks/flee_speed.py                       # Mali 2012, full scale
    python benchmarks/flee_speed.py --corridor-only       # Corridor's times alone
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MALI = ROOT.parent / "shared" / "data" / "flee" / "mali2012"

CORRIDOR_TIMER = """
import json, sys, time
t0 = time.perf_counter()
from corridor.models.flee import load_flee_scenario, run_flee
t_import = time.perf_counter() - t0
args = json.loads(sys.argv[1])
times, cpu = [], []
for _ in range(2):
    t0, c0 = time.perf_counter(), time.process_time()
    sc = load_flee_scenario(args["scenario"], settings=args["settings"], hasten=args["hasten"])
    run = run_flee(sc)
    times.append(time.perf_counter() - t0)
    cpu.append(time.process_time() - c0)
print(json.dumps({"import": t_import, "first": times[0], "second": times[1], "cpu": cpu,
                  "agents": int(run.total_agents[-1]),
                  "days": int(sc.n_days), "ard": [run.ard.plain, run.ard.rescaled]}))
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", type=Path, nargs="?", default=MALI)
    ap.add_argument("--settings", type=Path, default=None,
                    help="default: simsetting-validation.yml for Mali 2012, else the folder's own")
    ap.add_argument("--hasten", type=int, default=1)
    ap.add_argument("--corridor-only", action="store_true")
    args = ap.parse_args(argv)
    settings = args.settings
    if settings is None and (args.scenario / "simsetting-validation.yml").is_file():
        settings = args.scenario / "simsetting-validation.yml"

    spec = json.dumps({"scenario": str(args.scenario), "settings": str(settings) if settings else None,
                       "hasten": args.hasten})
    proc = subprocess.run([sys.executable, "-c", CORRIDOR_TIMER, spec], check=True, capture_output=True, text=True,
                          cwd=ROOT)
    c = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"scenario {args.scenario} (settings {settings}, hasten {args.hasten}): {c['days']} days, "
          f"{c['agents']:,} agents")
    print(f"corridor: first run {c['first']:.2f} s wall / {c['cpu'][0]:.2f} s CPU (import {c['import']:.2f} s not "
          f"included), second run {c['second']:.2f} s wall / {c['cpu'][1]:.2f} s CPU; ARD {c['ard'][0]:.3f} "
          f"(rescaled {c['ard'][1]:.3f})")
    if args.corridor_only:
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, str(HERE / "flee_reference.py"), str(args.scenario), str(Path(tmp) / "out.csv"),
               "--hasten", str(args.hasten)]
        if settings:
            cmd += ["--settings", str(settings)]
        proc = subprocess.run(cmd, check=True, capture_output=True, text=True)
        flee_s = float(re.search(r"flee_seconds=([\d.]+)", proc.stderr).group(1))
        flee_cpu = float(re.search(r"flee_cpu_seconds=([\d.]+)", proc.stderr).group(1))
        from corridor.models.flee import ard_from_out_csv  # noqa: PLC0415

        fa = ard_from_out_csv(Path(tmp) / "out.csv")
    print(f"flee 3.1: {flee_s:.1f} s wall / {flee_cpu:.1f} s CPU; ARD {fa.plain:.3f} (rescaled {fa.rescaled:.3f})")
    print(f"speed-up (wall): {flee_s / c['first']:.0f}x (first run), {flee_s / c['second']:.0f}x (second run); "
          f"(CPU): {flee_cpu / c['cpu'][0]:.0f}x, {flee_cpu / c['cpu'][1]:.0f}x")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    sys.exit(main())
