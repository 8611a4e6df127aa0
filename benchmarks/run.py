"""Corridor's benchmark suite: one command, results saved as JSON.

    .venv/bin/python benchmarks/run.py                        # the standard cases: a b c d
    .venv/bin/python benchmarks/run.py a b --threads 1        # chosen cases, one thread
    .venv/bin/python benchmarks/run.py --compare latest       # also the ratio to the previous results
    .venv/bin/python benchmarks/run.py c --profile            # and where the time goes (cProfile)
    .venv/bin/python benchmarks/run.py a --schedule events    # one schedule only (default: both)

Cases (each runs in a fresh process, so that its peak memory is its own):

  a        the default scenario, one year (FY2010, after its 180 days of spin-up), full scale
  b        the same year at 10 times the population (population_scale 10): how cost grows
  c        a synthetic graph of 10,000 places; 10 million people leave on day one; 100 days
  d        Flee's Mali 2012 scenario, Corridor and the `flee` package side by side
           (benchmarks/flee_speed.py; reported as skipped when that script or flee is missing)
  full     the default scenario as shipped (1,002 days)
  eras     every built-in era scenario at full scale, one after another (2010-2021 in windows)
  history  the built-in history, history-2010-2024, at full scale (FY2010 to 2021 in one run)

Each Corridor case runs under both schedules by default, interleaved run by run, each in a
fresh process: ``events`` (people sleep between events: the calendar) and ``daily`` (everyone
drawn every day: the per-day design it replaced, same law), and prints their ratio.

To compare two versions of the code (e.g. before and after a change), interleave their runs with
``benchmarks/versions.py``.

For each case it prints wall time, agent-days per second (live people summed over days),
events per second (person-days processed: the people due each day), peak memory (peak
resident set size of the process, and its growth over the baseline after
loading the kernels) and bytes per agent (state columns, and memory growth per agent
created). Each result file ``benchmarks/results/<UTC time>.json`` also records the machine,
its load average before and after each case, the thread count and the git revision, and the
time per phase of every case. ``--compare FILE|latest`` prints agent-days/s relative to an
earlier file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
SYNTH_DIR = HERE / ".synthetic"          # generated graph (not committed)

CASES: dict[str, dict] = {
    "a": {"kind": "default", "scale": 1.0, "end": "2010-09-30",
          "label": "default scenario, FY2010 + 180 d spin-up, full scale"},
    "b": {"kind": "default", "scale": 10.0, "end": "2010-09-30",
          "label": "case a at 10x the population (population_scale 10: ten agents a person)"},
    "c": {"kind": "synthetic", "agents": 10_000_000, "days": 100, "layers": 100, "width": 100,
          "label": "synthetic graph, 10,000 places, 10 M agents, 100 days"},
    "d": {"kind": "flee", "label": "Flee's Mali 2012 (full scale), Corridor vs flee 3.1"},
    "full": {"kind": "default", "scale": 1.0, "end": None,
             "label": "default scenario as shipped (1,002 days), full scale"},
    "eras": {"kind": "eras", "label": "every built-in era scenario (2010-2021 in windows), full scale"},
    "history": {"kind": "builtin", "name": "history-2010-2024",
                "label": "the built-in history, FY2010 to 2021 in one run, full scale"},
}
SCHEDULES = ("events", "daily")
STANDARD = ("a", "b", "c", "d")


# ---------------------------------------------------------------- child: one case, measured in-process

def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _scenario(case: dict):
    from corridor import load_scenario
    from corridor.scenario.loader import scenario_from_dict

    if case["kind"] == "default":
        data = load_scenario().canonical()
        data["population_scale"] = case["scale"]
        if case["end"]:
            data["end"] = case["end"]
        return scenario_from_dict(data)
    sys.path.insert(0, str(HERE))
    import synthetic

    folder = SYNTH_DIR / f"{case['layers']}x{case['width']}"
    data = synthetic.scenario(folder, agents=case["agents"], days=case["days"], layers=case["layers"],
                              width=case["width"])
    return scenario_from_dict(data, path=folder / "synthetic.yaml")


def _warm_up() -> float:
    """Load (or compile) the kernels on a small world; returns the seconds it took."""
    sys.path.insert(0, str(HERE))
    import synthetic

    from corridor.models.corridor import build_simulation
    from corridor.scenario.loader import scenario_from_dict

    t = time.perf_counter()
    folder = SYNTH_DIR / "warm-up"
    data = synthetic.scenario(folder, agents=20_000, days=20, layers=8, width=20)
    sim = build_simulation(scenario_from_dict(data, path=folder / "w.yaml"))
    sim.run()
    return time.perf_counter() - t


def _simulations(case: dict):
    """The case's simulations, built (one, or one per era scenario)."""
    from corridor.models.corridor import build_simulation
    from corridor.scenario.loader import builtin_scenarios, load_scenario

    if case["kind"] == "builtin":
        return [build_simulation(load_scenario(case["name"]))]
    if case["kind"] != "eras":
        return [build_simulation(_scenario(case))]
    return [build_simulation(load_scenario(name)) for name in builtin_scenarios()
            if not name.endswith("-calibration") and not name.startswith("history-")]


def run_corridor_case(name: str, repeat: int, profile: bool) -> dict:
    import gc

    import numba

    case = CASES[name]
    t_warm = _warm_up()
    gc.collect()
    base = _rss()
    runs, sims = [], []
    prof_rows = None
    for _ in range(repeat):
        sims = []
        gc.collect()
        load0 = os.getloadavg()[0]
        t = time.perf_counter()
        sims = _simulations(case)
        t_build = time.perf_counter() - t
        c0, w0 = time.process_time(), time.perf_counter()
        if profile and prof_rows is None:
            import cProfile
            import pstats

            pr = cProfile.Profile()
            pr.enable()
            for sim in sims:
                sim.run()
            pr.disable()
            wall = time.perf_counter() - w0
            prof_rows = _profile_rows(pstats.Stats(pr))
        else:
            for sim in sims:
                sim.run()
            wall = time.perf_counter() - w0
        runs.append({"build_s": round(t_build, 3), "wall_s": round(wall, 3),
                     "cpu_s": round(time.process_time() - c0, 3),
                     "load_before": round(load0, 2), "load_after": round(os.getloadavg()[0], 2)})
    best = min(r["wall_s"] for r in runs)
    peak = _peak_rss()
    agents = sum(int(sim.agents.n) for sim in sims)
    agent_days = sum(int(sim.agent_days) for sim in sims)
    events = sum(int(sim.runner.events) for sim in sims)
    timings: dict[str, float] = {}
    for sim in sims:
        for k, v in sim.timings.items():
            timings[k] = timings.get(k, 0.0) + v
    out = {
        "case": name, "label": case["label"], "threads": numba.get_num_threads(),
        "schedule": "events" if sims[0].runner.sleep else "daily",
        "days": sum(int(sim.n_ticks) for sim in sims), "agents": agents, "agent_days": agent_days,
        "events": events, "wall_s": best, "wall_s_runs": [r["wall_s"] for r in runs], "runs": runs,
        "agent_days_per_s": agent_days / best, "events_per_s": events / best,
        "peak_rss_bytes": peak, "baseline_rss_bytes": base, "peak_growth_bytes": peak - base,
        "state_bytes_per_agent": sims[0].agents.nbytes_per_agent(),
        "memory_bytes_per_agent": (peak - base) / max(agents, 1),
        "warm_up_s": round(t_warm, 3),
        "phase_s": {k: round(v, 3) for k, v in timings.items()},
    }
    if prof_rows is not None:
        out["profile"] = prof_rows
    return out


def _profile_rows(stats, n: int = 25) -> list[dict]:
    rows = []
    for (file, line, func), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():
        rows.append({"function": f"{Path(file).name}:{line}({func})", "calls": ncalls,
                     "self_s": round(tottime, 4), "cumulative_s": round(cumtime, 4)})
    rows.sort(key=lambda r: -r["self_s"])
    return rows[:n]


def run_flee_case() -> dict:
    script = HERE / "flee_speed.py"
    if not script.is_file():
        return {"case": "d", "label": CASES["d"]["label"], "skipped": "benchmarks/flee_speed.py not found"}
    try:
        import flee  # noqa: F401
    except ImportError:
        return {"case": "d", "label": CASES["d"]["label"], "skipped": "the flee package is not installed "
                "(pip install -e .[bench])"}
    load0 = os.getloadavg()[0]
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        return {"case": "d", "label": CASES["d"]["label"],
                "skipped": f"flee_speed.py failed ({proc.returncode}): {proc.stderr.strip()[-300:]}"}
    text = proc.stdout
    out = {"case": "d", "label": CASES["d"]["label"], "output": text.strip().splitlines(),
           "peak_rss_bytes": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
           "peak_rss_note": "largest process of the comparison (flee's or Corridor's)",
           "suite_wall_s": round(wall, 1), "load_before": round(load0, 2), "load_after": round(os.getloadavg()[0], 2)}
    m = re.search(r"(\d+) days, ([\d,]+) agents", text)
    if m:
        out["days"], out["agents"] = int(m.group(1)), int(m.group(2).replace(",", ""))
    m = re.search(r"first run ([\d.]+) s.*second run ([\d.]+) s", text)
    if m:
        out["corridor_first_s"], out["corridor_s"] = float(m.group(1)), float(m.group(2))
        out["wall_s"] = out["corridor_s"]
    m = re.search(r"flee 3\.1: ([\d.]+) s", text)
    if m:
        out["flee_s"] = float(m.group(1))
    if "flee_s" in out and "corridor_s" in out:
        out["speedup_vs_flee"] = out["flee_s"] / out["corridor_s"]
        out["speedup_vs_flee_first_run"] = out["flee_s"] / out["corridor_first_s"]
    return out


# ---------------------------------------------------------------- parent: cases in fresh processes, report

def _machine(threads: int | None) -> dict:
    cpu = ""
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--", "src"], capture_output=True, text=True,
                                    cwd=ROOT).stdout.strip())
    except OSError:
        rev, dirty = "", None
    import numba
    import numpy

    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": numpy.__version__, "numba": numba.__version__, "threads": threads or os.cpu_count(),
            "load_average": [round(x, 2) for x in os.getloadavg()], "git": rev.strip(), "src_modified": dirty}


def _child(name: str, threads: int | None, repeat: int, profile: bool, schedule: str = "events") -> dict:
    env = dict(os.environ)
    env["CORRIDOR_SCHEDULE"] = schedule
    if threads:
        env["NUMBA_NUM_THREADS"] = str(threads)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, "--repeat", str(repeat)]
    if profile:
        cmd.append("--profile")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    if proc.returncode != 0:
        return {"case": name, "label": CASES[name]["label"], "schedule": schedule,
                "failed": proc.stderr.strip()[-2000:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _side_by_side(name: str, threads: int | None, repeat: int, profile: bool, schedules: list[str]) -> list[dict]:
    """The case under each schedule, interleaved run by run (the machine drifts); the fastest
    run of each is kept."""
    if CASES[name]["kind"] == "flee":
        return [_child(name, threads, repeat, profile)]
    best: dict[str, dict] = {}
    for _ in range(repeat):
        for schedule in schedules:
            r = _child(name, threads, 1, profile, schedule)
            old = best.get(schedule)
            if old is None or "failed" in old or ("wall_s" in r and r["wall_s"] < old["wall_s"]):
                runs = (old or {}).get("wall_s_runs", []) + r.get("wall_s_runs", [])
                best[schedule] = {**r, "wall_s_runs": runs}
            else:
                old["wall_s_runs"] = old.get("wall_s_runs", []) + r.get("wall_s_runs", [])
    return [best[s] for s in schedules]


def _fmt_bytes(b: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(b) < 1024 or unit == "GiB":
            return f"{b:.0f} {unit}" if unit == "B" else f"{b:.1f} {unit}"
        b /= 1024
    return f"{b:.1f} GiB"


def _print(r: dict, previous: dict | None) -> None:
    name = r["case"]
    if "skipped" in r or "failed" in r:
        print(f"{name:10s} {'SKIPPED' if 'skipped' in r else 'FAILED'}: {r.get('skipped') or r.get('failed')}")
        return
    if name == "d":
        nan = float("nan")
        print(f"{name:10s} corridor {r.get('corridor_s', nan):8.2f} s  flee {r.get('flee_s', nan):8.1f} s"
              f"  ratio {r.get('speedup_vs_flee', nan):7.1f}x  peak {_fmt_bytes(r['peak_rss_bytes'])}"
              f"  ({r.get('agents', 0):,} agents, {r.get('days', 0)} days)")
        return
    line = (f"{name:4s} {r.get('schedule', ''):6s} {r['wall_s']:8.2f} s  {r['agent_days_per_s']:10.3g} agent-days/s  "
            f"{r.get('events_per_s', float('nan')):9.3g} events/s  "
            f"peak {_fmt_bytes(r['peak_rss_bytes'])} (+{_fmt_bytes(r['peak_growth_bytes'])})  "
            f"{r['state_bytes_per_agent']} B state/agent, {r['memory_bytes_per_agent']:.0f} B/agent  "
            f"[{r['agents']:,} agents, {r['agent_days']:,} agent-days, {r['threads']} thr]")
    if previous and name in previous and "agent_days_per_s" in previous[name]:
        line += f"  x{r['agent_days_per_s'] / previous[name]['agent_days_per_s']:.2f} vs previous"
    print(line)


def _print_ratio(rows: list[dict]) -> None:
    by = {r.get("schedule"): r for r in rows if "wall_s" in r}
    if "events" in by and "daily" in by:
        e, d = by["events"], by["daily"]
        print(f"{e['case']:4s} events / daily: x{d['wall_s'] / e['wall_s']:.2f} faster, "
              f"{e['events'] / max(e['agent_days'], 1):.3f} events per agent-day, "
              f"memory growth x{e['peak_growth_bytes'] / max(d['peak_growth_bytes'], 1):.2f}")


def _previous(arg: str | None) -> tuple[Path | None, dict | None]:
    if not arg:
        return None, None
    if arg == "latest":
        files = sorted(RESULTS.glob("*.json"))
        if not files:
            return None, None
        path = files[-1]
    else:
        path = Path(arg)
    data = json.loads(path.read_text())
    return path, {c["case"]: c for c in data["cases"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cases", nargs="*", help=f"cases to run (default: {' '.join(STANDARD)}; all: {' '.join(CASES)})")
    ap.add_argument("--threads", type=int, default=None, help="Numba threads (default: all cores)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per case; the fastest is reported")
    ap.add_argument("--profile", action="store_true", help="cProfile the (first) run of each case")
    ap.add_argument("--compare", default=None, help="an earlier results file, or 'latest'")
    ap.add_argument("--schedule", nargs="+", choices=SCHEDULES, default=list(SCHEDULES),
                    help="schedules to run each Corridor case under, side by side (default: both)")
    ap.add_argument("--out", type=Path, default=None, help="results file (default benchmarks/results/<time>.json)")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child:
        r = run_flee_case() if CASES[args.child]["kind"] == "flee" else \
            run_corridor_case(args.child, args.repeat, args.profile)
        print(json.dumps(r))
        return 0

    names = args.cases or list(STANDARD)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        ap.error(f"unknown case(s) {', '.join(unknown)}; known: {', '.join(CASES)}")
    prev_path, previous = _previous(args.compare)
    machine = _machine(args.threads)
    print(f"machine: {machine['cpu']}, {machine['cores']} cores, load {machine['load_average']}, "
          f"threads {machine['threads']}, git {machine['git']}{' (modified)' if machine['src_modified'] else ''}")
    if prev_path:
        print(f"comparing with {prev_path}")
    results = []
    for name in names:
        rows = _side_by_side(name, args.threads, args.repeat, args.profile, args.schedule)
        for r in rows:
            _print(r, previous)
        _print_ratio(rows)
        results.extend(rows)
    by = {r["case"]: r for r in results if r.get("schedule", "events") == "events"}
    if "a" in by and "b" in by and "wall_s" in by["a"] and "wall_s" in by["b"]:
        a, b = by["a"], by["b"]
        print(f"b / a: agent-days x{b['agent_days'] / a['agent_days']:.2f}, time x{b['wall_s'] / a['wall_s']:.2f}, "
              f"agents x{b['agents'] / a['agents']:.2f}, "
              f"memory growth x{b['peak_growth_bytes'] / a['peak_growth_bytes']:.2f}")
    out = args.out or RESULTS / (dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ") + ".json")
    from corridor.results.atomic import write_text_atomic

    # one file, whole or not at all; the earlier results files in the folder stay (publishing
    # the folder as a command's output would replace them: it did, until issue 16)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out, json.dumps({"machine": machine, "argv": sys.argv[1:], "cases": results}, indent=1) + "\n",
                      option="--out")
    print(f"saved {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
