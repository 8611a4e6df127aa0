"""Every FabFlee folder side by side: `flee` 3.1 and Corridor, exit status, time, ARD, agreement.

For each scenario folder under ROOT (default: ``../shared/data/flee/fabflee``), both tools run
the same period at the same hasten with the folder's own ``simsetting.yml`` (by default the
folder's own period and hasten; ``--days``, ``--hasten`` and ``--hasten-for`` shorten or
hasten runs where Flee would take more than a few minutes):

* ``flee`` 3.1 through ``benchmarks/flee_reference.py`` (Flee's runner order, one replication
  per process, in a working folder where ``input_csv`` is the folder's, as FabFlee runs it);
* Corridor: ``corridor validate`` for its exit status and message, then ``-n`` runs with seeds
  0..n-1 in this process after one warm-up run (so compilation is not timed).

Printed per folder: both exit statuses (Flee's stop reason in one line), the mean time of one
run and their ratio, the averaged relative difference (plain and rescaled) of each where
observed data exist, and per-camp agreement over replications on the last day (two-sample z
of the means; |z| < 3 counts as agreeing). Needs ``pip install -e .[bench]``::

    python benchmarks/fabflee.py                                  # each folder as it is, 3 replications
    python benchmarks/fabflee.py --days 60 --hasten 10 -n 5 --hasten-for nigeria2024=100
    python benchmarks/fabflee.py -n 3 --hasten 10 --days 120 \
        --hasten-for ssudan_whole_revised=1 nigeria2024=100 --days-for ssudan_whole_revised=426 nigeria2024=30
    python benchmarks/fabflee.py --only mali2022_2024 syria2022_2024 --json out.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from corridor.errors import DataError  # noqa: E402
from corridor.models.flee import load_flee_scenario, run_flee  # noqa: E402
from corridor.models.flee.metric import ard_from_out_csv, read_out_csv  # noqa: E402

ROOT = HERE.parent.parent / "shared" / "data" / "flee" / "fabflee"


@dataclass
class FleeResult:
    status: int
    message: str
    seconds: float                      # mean over replications (Flee's run, imports excluded)
    outs: list[Path] = field(default_factory=list)


def flee_once(folder: Path, out: Path, *, hasten: int | None, days: int | None,
              settings: Path | None = None) -> tuple[int, str, float]:
    """One `flee` 3.1 run: exit status (0 = out.csv written), last message line, seconds."""
    cmd = [sys.executable, str(HERE / "flee_reference.py"), str(folder), str(out)]
    if settings:
        cmd += ["--settings", str(settings)]
    if hasten:
        cmd += ["--hasten", str(hasten)]
    if days:
        cmd += ["--days", str(days)]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip()]
    seconds = wall
    for ln in lines:
        if ln.startswith("flee_seconds="):
            seconds = float(ln.split()[0].split("=")[1])
    stops = [ln for ln in lines if ln.startswith(("Error", "flee stopped", "Traceback"))]
    status = proc.returncode if proc.returncode or out.is_file() else 3
    message = " / ".join(stops[-2:]) if status else "ran"
    return status, message, seconds


def flee_side(folder: Path, n: int, jobs: int, work: Path, hasten: int | None, days: int | None) -> FleeResult:
    first = work / "rep0.csv"
    status, message, seconds = flee_once(folder, first, hasten=hasten, days=days)
    if status:
        return FleeResult(status, message, seconds)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        rest = list(pool.map(lambda i: flee_once(folder, work / f"rep{i}.csv", hasten=hasten, days=days),
                             range(1, n)))
    times = [seconds] + [r[2] for r in rest]
    return FleeResult(0, "ran", float(np.mean(times)), [work / f"rep{i}.csv" for i in range(n)])


def corridor_status(folder: Path, hasten: int | None, days: int | None) -> tuple[int, str]:
    cmd = [sys.executable, "-c", "from corridor.cli import main; main()", "validate", str(folder)]
    cmd += ["--hasten", str(hasten)] if hasten else []
    cmd += ["--days", str(days)] if days else []
    proc = subprocess.run(cmd, capture_output=True, text=True)
    lines = [ln for ln in (proc.stdout + proc.stderr).splitlines() if ln.strip() and not ln.startswith("warning")]
    return proc.returncode, lines[-1] if lines else ""


def compare(folder: Path, *, n: int, jobs: int, hasten: int | None, days: int | None) -> dict:
    row: dict = {"folder": folder.name, "hasten": hasten, "days": days}
    with tempfile.TemporaryDirectory(prefix=f"flee-{folder.name}-") as tmp:
        fl = flee_side(folder, n, jobs, Path(tmp), hasten, days)
        row.update(flee_status=fl.status, flee_message=fl.message, flee_seconds=fl.seconds)
        c_status, c_message = corridor_status(folder, hasten, days)
        row.update(corridor_status=c_status, corridor_message=c_message)
        if c_status:
            return row
        try:
            sc = load_flee_scenario(folder, hasten=hasten, days=days)
        except DataError as exc:
            row.update(corridor_status=2, corridor_message=exc.one_line())
            return row
        run_flee(sc)                                                  # warm-up: kernels loaded
        t0 = time.perf_counter()
        runs = [run_flee(load_flee_scenario(folder, hasten=hasten, days=days, seed=s)) for s in range(n)]
        row["corridor_seconds"] = (time.perf_counter() - t0) / n
        row.update(hasten=sc.settings.hasten, days=sc.n_days)
        row["agents"] = int(runs[0].total_agents[-1])
        if fl.status == 0:
            row["speedup"] = row["flee_seconds"] / row["corridor_seconds"]
        if sc.forecast:
            row["note"] = "forecast: no observed data"
            return row
        c_ard = np.array([[r.ard.plain, r.ard.rescaled] for r in runs])
        row["corridor_ard"] = c_ard.mean(0).tolist()
        if fl.status:
            return row
        f_ard = np.array([[a.plain, a.rescaled] for a in (ard_from_out_csv(p) for p in fl.outs)])
        row["flee_ard"] = f_ard.mean(0).tolist()
        camps = read_out_csv(fl.outs[0])[0]
        f_last = np.stack([read_out_csv(p)[1][-1] for p in fl.outs])      # [rep, camp]
        c_last = np.stack([r.sim[-1] for r in runs])
        if tuple(runs[0].camps) != tuple(camps):
            row["note"] = "camp columns differ"
            return row
        se = np.sqrt((f_last.var(0, ddof=1) + c_last.var(0, ddof=1)) / n) if n > 1 else np.zeros(len(camps))
        diff = c_last.mean(0) - f_last.mean(0)
        z = np.divide(diff, se, out=np.where(diff == 0, 0.0, np.inf), where=se > 0)
        row["camps"] = len(camps)
        row["camps_agreeing"] = int((np.abs(z) < 3).sum())
        row["camps_apart"] = [{"camp": c, "flee": float(f_last[:, j].mean()), "corridor": float(c_last[:, j].mean()),
                               "z": float(z[j])} for j, c in enumerate(camps) if abs(z[j]) >= 3]
        row["max_abs_z"] = float(np.abs(z).max()) if len(camps) else 0.0
    return row


def _table(rows: list[dict]) -> str:
    head = (f"{'folder':24s} {'flee':>5s} {'corr':>5s} {'flee s':>8s} {'corr s':>8s} {'ratio':>7s} "
            f"{'ARD flee':>15s} {'ARD corridor':>15s} {'camps |z|<3':>12s}")
    out = [head]
    def ard(r: dict, key: str) -> str:
        return f"{r[key][0]:.3f}/{r[key][1]:.3f}" if key in r else "-"

    for r in rows:
        agree = f"{r['camps_agreeing']}/{r['camps']}" if "camps" in r else "-"
        out.append(f"{r['folder']:24s} {r['flee_status']:5d} {r['corridor_status']:5d} {r['flee_seconds']:8.2f} "
                   f"{r.get('corridor_seconds', float('nan')):8.3f} {r.get('speedup', float('nan')):7.1f} "
                   f"{ard(r, 'flee_ard'):>15s} {ard(r, 'corridor_ard'):>15s} {agree:>12s}")
    for r in rows:
        if r["flee_status"] or r["corridor_status"]:
            out.append(f"  {r['folder']}: flee: {r['flee_message']} | corridor: {r['corridor_message']}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("root", type=Path, nargs="?", default=ROOT)
    ap.add_argument("--only", nargs="*", default=None, help="folder names to run (default: all)")
    ap.add_argument("--days", type=int, default=None, help="default: each folder's sim_period.csv")
    ap.add_argument("--hasten", type=int, default=None, help="default: each folder's simsetting.yml")
    ap.add_argument("--hasten-for", nargs="*", default=[], metavar="FOLDER=H",
                    help="a hasten for one folder (where Flee would take more than a few minutes)")
    ap.add_argument("--days-for", nargs="*", default=[], metavar="FOLDER=D", help="a period for one folder")
    ap.add_argument("-n", "--replications", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=2, help="Flee replications run in parallel")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    special = dict(item.split("=") for item in args.hasten_for)
    periods = dict(item.split("=") for item in args.days_for)
    folders = sorted(p for p in args.root.iterdir() if p.is_dir() and (args.only is None or p.name in args.only))
    rows = []
    for folder in folders:
        hasten = int(special[folder.name]) if folder.name in special else args.hasten
        days = int(periods[folder.name]) if folder.name in periods else args.days
        row = compare(folder, n=args.replications, jobs=args.jobs, hasten=hasten, days=days)
        rows.append(row)
        print(json.dumps(row), flush=True)
    print(_table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
