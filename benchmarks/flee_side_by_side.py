"""Corridor vs the `flee` package (3.1) on a Flee scenario, over replications of both.

Flee has no seed control, so both sides are compared as distributions: for each camp and
a few days, the mean and standard deviation over replications, and a two-sample z score of
the difference of means; plus the averaged relative difference (ARD, plain and rescaled)
of each side against the observed data. Needs ``pip install -e .[bench]`` (flee 3.1).

Example (the documented side-by-side command, see docs/flee.md)::

    python benchmarks/flee_side_by_side.py ../shared/data/flee/mali2012 -n 10
    python benchmarks/flee_side_by_side.py ../shared/data/flee/mali2012 \\
        --settings ../shared/data/flee/mali2012/simsetting-validation.yml -n 4 --jobs 2
    python benchmarks/flee_side_by_side.py ../shared/data/flee/flee-test-data/test_input_csv -n 10

Flee runs one replication per process (``benchmarks/flee_reference.py``); ``--flee-dir``
keeps their out.csv files, and existing ``rep<i>.csv`` files there are reused.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from fabflee import flee_once  # noqa: E402

from corridor.models.flee import ard_from_out_csv, load_flee_scenario, run_flee  # noqa: E402
from corridor.models.flee.metric import read_out_csv  # noqa: E402


def flee_replications(scenario: Path, settings: Path | None, n: int, jobs: int, folder: Path,
                      hasten: int | None, days: int | None) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)

    def one(i: int) -> Path:
        out = folder / f"rep{i}.csv"
        if not out.is_file():
            status, message, _ = flee_once(scenario, out, hasten=hasten, days=days, settings=settings)
            if status:
                raise SystemExit(f"flee stopped on {scenario}: {message}")
        return out

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(one, range(n)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", type=Path)
    ap.add_argument("--settings", type=Path, default=None)
    ap.add_argument("--hasten", type=int, default=None)
    ap.add_argument("--days", type=int, default=None)
    ap.add_argument("-n", "--replications", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=1, help="Flee replications run in parallel")
    ap.add_argument("--flee-dir", type=Path, default=None, help="keep / reuse Flee's out.csv files here")
    ap.add_argument("--json", type=Path, default=None, help="write the comparison here")
    args = ap.parse_args(argv)
    n = args.replications

    t0 = time.perf_counter()
    flee_dir = args.flee_dir or Path(tempfile.mkdtemp(prefix="flee-reps-"))
    paths = flee_replications(args.scenario.resolve(), args.settings.resolve() if args.settings else None, n,
                              args.jobs, flee_dir, args.hasten, args.days)
    t_flee = time.perf_counter() - t0
    flee = [read_out_csv(p) for p in paths]
    camps = flee[0][0]
    f_sim = np.stack([f[1] for f in flee])
    f_ard = [ard_from_out_csv(p) for p in paths]

    t0 = time.perf_counter()
    c_runs = [run_flee(load_flee_scenario(args.scenario, settings=args.settings, hasten=args.hasten, days=args.days,
                                          seed=s)) for s in range(n)]
    t_corr = time.perf_counter() - t0
    assert c_runs[0].camps == camps, (c_runs[0].camps, camps)
    c_sim = np.stack([r.sim for r in c_runs])
    obs = c_runs[0].obs

    n_days = c_sim.shape[1]
    days = sorted({min(d, n_days - 1) for d in (n_days // 10, n_days // 3, 2 * n_days // 3, n_days - 1)})
    rows = []
    print(f"{args.scenario} (settings: {args.settings or 'in folder'}): {n} replications each; "
          f"flee {t_flee:.0f} s, corridor {t_corr:.1f} s")
    print(f"{'camp':16s} {'day':>4s} {'flee mean':>10s} {'sd':>7s} {'corridor':>10s} {'sd':>7s} {'z':>6s} "
          f"{'observed':>9s}")
    worst = 0.0
    for j, camp in enumerate(camps):
        for d in days:
            fm, fs = f_sim[:, d, j].mean(), f_sim[:, d, j].std(ddof=1) if n > 1 else 0.0
            cm, cs = c_sim[:, d, j].mean(), c_sim[:, d, j].std(ddof=1) if n > 1 else 0.0
            se = np.sqrt((fs**2 + cs**2) / n)
            z = (cm - fm) / se if se > 0 else (0.0 if cm == fm else np.inf)
            worst = max(worst, abs(z))
            rows.append({"camp": camp, "day": d, "flee_mean": fm, "flee_sd": fs, "corridor_mean": cm,
                         "corridor_sd": cs, "z": z, "observed": float(obs[d, j])})
            print(f"{camp:16s} {d:4d} {fm:10.1f} {fs:7.1f} {cm:10.1f} {cs:7.1f} {z:6.2f} {obs[d, j]:9.0f}")
    # whole-series agreement: mean over days of |mean_c - mean_f| over the observed camp total
    denom = np.maximum(obs.sum(axis=1), 1.0)
    series_gap = float((np.abs(c_sim.mean(0) - f_sim.mean(0)).sum(axis=1) / denom).mean())
    fa = np.array([[a.plain, a.rescaled] for a in f_ard])
    ca = np.array([[r.ard.plain, r.ard.rescaled] for r in c_runs])
    print(f"max |z| over camps and days: {worst:.2f}; mean daily gap between the two means / observed total: "
          f"{series_gap:.4f}")
    print(f"ARD flee     {fa[:, 0].mean():.4f} ± {fa[:, 0].std():.4f}   rescaled {fa[:, 1].mean():.4f} ± "
          f"{fa[:, 1].std():.4f}")
    print(f"ARD corridor {ca[:, 0].mean():.4f} ± {ca[:, 0].std():.4f}   rescaled {ca[:, 1].mean():.4f} ± "
          f"{ca[:, 1].std():.4f}")
    if args.json:
        args.json.write_text(json.dumps({
            "scenario": str(args.scenario), "settings": str(args.settings), "replications": n, "camps": camps,
            "rows": rows, "max_abs_z": worst, "series_gap": series_gap,
            "ard_flee": fa.mean(0).tolist(), "ard_corridor": ca.mean(0).tolist(),
            "ard_flee_sd": fa.std(0).tolist(), "ard_corridor_sd": ca.std(0).tolist()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
