"""Two versions of Corridor side by side: interleaved runs, their ratio, and whether they agree.

    .venv/bin/python benchmarks/versions.py 63fb2c9 HEAD               # case a, 5 rounds
    .venv/bin/python benchmarks/versions.py 63fb2c9 WORKTREE --rounds 7 --end 2011-09-30

Each version is a git revision checked out in ``benchmarks/.versions/`` (``WORKTREE``: the
files as they are now) and imported through ``PYTHONPATH`` by this virtualenv's Python, each
run in a fresh process that first loads the kernels from the cache (timed apart, as ``corridor
run`` does under its status message) and then builds and runs the scenario. The machine is
shared and noisy, so the versions' runs alternate (A B B A A B ...) and the report gives each
one's best and median wall time and the ratios. Every run also digests its results (every
indicator by name, every agent column, route flows, agent-days), and the report says which
parts the two versions share and whether they are identical: "same numbers" is checked, not
assumed.

``--compile`` first times each version's warm-up (the status message of a first ``corridor
run``) with an empty Numba cache: the compile a new user waits for after installing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VERSIONS = HERE / ".versions"

WARM = r"""
import time
t = time.perf_counter()
try:
    from corridor.models.corridor import warm_up
except ImportError:                      # versions before the model packs
    from corridor.models.corridor.kernels.runner import warm_up
warm_up()
print(time.perf_counter() - t)
"""

CHILD = r"""
import hashlib, json, sys, time
import numpy as np
t = time.perf_counter()
try:
    from corridor.models.corridor import warm_up
except ImportError:                      # versions before the model packs
    from corridor.models.corridor.kernels.runner import warm_up
warm_up()                                # load the kernels from the cache, as `corridor run` does first
load_s = time.perf_counter() - t
from corridor import load_scenario
from corridor.models.corridor import build_simulation
from corridor.scenario.loader import scenario_from_dict
data = load_scenario(sys.argv[3] if len(sys.argv) > 3 else None).canonical()
data["population_scale"] = float(sys.argv[1])
if sys.argv[2] != "-":
    data["end"] = sys.argv[2]
t0 = time.perf_counter()
sim = build_simulation(scenario_from_dict(data))
t1 = time.perf_counter()
sim.run()
t2 = time.perf_counter()
digest = lambda b: hashlib.sha256(b).hexdigest()[:16]
rec = sim.recorder
parts = {"indicator " + ind.name: digest(rec.data[:, k].tobytes()) for k, ind in enumerate(rec.indicators)}
parts.update({"column " + name: digest(col.tobytes()) for name, col in sim.agents.snapshot().items()})
parts["route flows"] = digest(rec.route_flows.tobytes())
parts["agent-days"] = str(sim.agent_days)
print(json.dumps({"load_s": load_s, "build_s": t1 - t0, "run_s": t2 - t1, "agent_days": sim.agent_days,
                  "parts": parts}))
"""


def checkout(rev: str) -> Path:
    """The source folder of ``rev`` (a worktree under benchmarks/.versions, made once)."""
    if rev == "WORKTREE":
        return ROOT / "src"
    sha = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.strip()
    where = VERSIONS / sha
    if not where.exists():
        VERSIONS.mkdir(exist_ok=True)
        subprocess.run(["git", "worktree", "add", "--detach", str(where), sha], cwd=ROOT, check=True,
                       capture_output=True)
    return where / "src"


def warm(src: Path, env_extra: dict | None = None) -> float:
    """Seconds the version's warm-up takes (loading, or compiling, every kernel)."""
    env = {**os.environ, "PYTHONPATH": str(src), **(env_extra or {})}
    done = subprocess.run([sys.executable, "-c", WARM], env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{src}: {done.stderr[-2000:]}")
    return float(done.stdout.strip().splitlines()[-1])


def child(src: Path, scale: float, end: str, scenario: str | None = None) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    t = __import__("time").perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, str(scale), end, *([scenario] if scenario else [])],
                          env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{src}: {done.stderr[-2000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["process_s"] = __import__("time").perf_counter() - t
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--scale", type=float, default=1.0, help="population_scale (default 1: case a)")
    ap.add_argument("--end", default="2010-09-30", help="last day ('-': the scenario's own end)")
    ap.add_argument("--scenario", help="a built-in scenario or a YAML file (default: the default scenario)")
    ap.add_argument("--compile", action="store_true", help="also time each version's first run, empty cache")
    args = ap.parse_args()
    srcs = {"old": checkout(args.old), "new": checkout(args.new)}
    print(f"old = {args.old} ({srcs['old']}), new = {args.new} ({srcs['new']}); "
          f"{args.scenario or 'default scenario'} at scale {args.scale}, end {args.end}; "
          f"load {os.getloadavg()[0]:.2f}")
    if args.compile:
        for label, src in srcs.items():
            with tempfile.TemporaryDirectory() as cache:
                seconds = warm(src, {"NUMBA_CACHE_DIR": cache})
            print(f"warm-up with an empty cache (every kernel compiled), {label}: {seconds:.1f} s")
    for label, src in srcs.items():         # compile once, outside the timed rounds
        print(f"warm-up, {label}: {warm(src):.1f} s")
    times: dict[str, list[float]] = {"old": [], "new": []}
    parts: dict[str, list[dict]] = {"old": [], "new": []}
    loads: dict[str, list[float]] = {"old": [], "new": []}
    for r in range(args.rounds):
        order = ("old", "new") if r % 2 == 0 else ("new", "old")
        for label in order:
            out = child(srcs[label], args.scale, args.end, args.scenario)
            times[label].append(out["run_s"])
            loads[label].append(out["load_s"])
            parts[label].append(out["parts"])
            print(f"round {r + 1} {label}: run {out['run_s']:.2f} s, {out['agent_days'] / out['run_s']:.3g} "
                  f"agent-days/s (kernels loaded in {out['load_s']:.2f} s first)")
    for label in ("old", "new"):
        t = times[label]
        print(f"{label}: best {min(t):.2f} s, median {statistics.median(t):.2f} s over {len(t)} runs; "
              f"loading the kernels: median {statistics.median(loads[label]):.2f} s")
    print(f"new / old: best {min(times['new']) / min(times['old']):.3f}, "
          f"median {statistics.median(times['new']) / statistics.median(times['old']):.3f} (below 1: new is faster)")
    report_agreement(parts)


def report_agreement(parts: dict[str, list[dict]]) -> None:
    """Whether every run of both versions gave the same numbers, part by part (an indicator, an
    agent column, ...); parts that only one version has are named, not compared."""
    runs = parts["old"] + parts["new"]
    if any(p != parts["old"][0] for p in parts["old"]) or any(p != parts["new"][0] for p in parts["new"]):
        print("results: a version gave different numbers from one run to the next")
    old, new = parts["old"][0], parts["new"][0]
    common = sorted(set(old) & set(new))
    differ = [k for k in common if old[k] != new[k]]
    for label, only in (("old", sorted(set(old) - set(new))), ("new", sorted(set(new) - set(old)))):
        if only:
            print(f"only in {label}: {', '.join(only)}")
    print(f"results: {len(common) - len(differ)} of {len(common)} common parts identical bit for bit over "
          f"{len(runs)} runs" + (f"; differ: {', '.join(differ)}" if differ else ""))


if __name__ == "__main__":
    main()
