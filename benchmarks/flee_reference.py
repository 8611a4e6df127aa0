"""Run a Flee scenario with the `flee` package (3.1) and write Flee's out.csv.

Benchmark-only: needs ``pip install flee==3.1`` (the ``bench`` extra). Corridor never
imports ``flee``. The wheel ships the package without its runner script, so this drives
the package's API in the order Flee's own runner uses each day::

    conflict zones -> spawning -> spawn weights -> border closures -> evolve -> out.csv row

Usage::

    python benchmarks/flee_reference.py SCENARIO_DIR OUT_CSV [--settings FILE] [--hasten N] [--days N]

SCENARIO_DIR is laid out as for ``corridor run`` (``input_csv/`` + ``source_data/`` or
flat). Flee keeps its spawning state in module globals and has no seed control, so run
one replication per process (benchmarks/flee_side_by_side.py does). The agent and link
diagnostic logs are switched off: they only write files and would slow Flee down.
Timing of the run (excluding imports) is printed to stderr as ``flee_seconds=<wall s>
flee_cpu_seconds=<process CPU s>``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from corridor.models.flee.layout import find_layout  # noqa: E402  (file discovery only)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", type=Path)
    ap.add_argument("out_csv", type=Path)
    ap.add_argument("--settings", type=Path, default=None)
    ap.add_argument("--hasten", type=int, default=None, help="override optimisations.hasten")
    ap.add_argument("--days", type=int, default=None)
    args = ap.parse_args(argv)

    lay = find_layout(args.scenario.resolve(), settings=args.settings.resolve() if args.settings else None)
    out_csv = args.out_csv.resolve()
    try:
        return _run(args, lay, out_csv)
    except SystemExit as exc:   # Flee 3.1 stops some errors with sys.exit() (status 0, message on stdout)
        print(f"flee stopped: sys.exit({exc.code!r})", file=sys.stderr)
        return 3
    except Exception as exc:    # what Flee stops on: report it in one line, as a failed run
        print(f"flee stopped: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 3


def _run(args: argparse.Namespace, lay, out_csv: Path) -> int:
    # Flee reads demographics from ./input_csv (FabFlee runs in the scenario's folder) and writes
    # logs to the working directory: a temporary one, with input_csv linked in
    with tempfile.TemporaryDirectory() as cwd, contextlib.chdir(cwd):
        os.symlink(lay.input_dir, Path(cwd) / "input_csv")
        settings_file = lay.settings
        if settings_file is None:
            settings_file = Path(cwd) / "empty.yml"
            settings_file.write_text("{}\n")
        with contextlib.redirect_stderr(open(os.devnull, "w")):  # noqa: SIM115
            from flee import InputGeography, flee, spawning
            from flee.datamanager import handle_refugee_data, read_period
            from flee.postprocessing import analysis as a
            from flee.SimulationSettings import SimulationSettings

            SimulationSettings.ReadFromYML(str(settings_file))
        for k in SimulationSettings.log_levels:
            SimulationSettings.log_levels[k] = 0
        if args.hasten is not None:
            SimulationSettings.optimisations["PopulationScaleDownFactor"] = args.hasten
        hasten = SimulationSettings.optimisations["PopulationScaleDownFactor"]
        start_date, end_time = read_period.read_conflict_period(str(lay.period))
        if args.days:
            end_time = args.days
        t0, c0 = time.perf_counter(), time.process_time()
        with contextlib.redirect_stderr(open(os.devnull, "w")):  # noqa: SIM115
            SimulationSettings.ConflictInputFile = str(lay.conflicts) if lay.conflicts else ""
            e = flee.Ecosystem()
            ig = InputGeography.InputGeography()
            if lay.conflicts:
                ig.ReadConflictInputCSV(str(lay.conflicts))
            ig.ReadLocationsFromCSV(str(lay.locations))
            ig.ReadLinksFromCSV(str(lay.routes))
            if lay.closures:
                ig.ReadClosuresFromCSV(str(lay.closures))
            else:
                ig.closures = []
            e, lm = ig.StoreInputGeographyInEcosystem(e)
            data_dir = lay.data_dir or lay.root / "source_data"   # a forecast: Flee looks there and stops
            d = handle_refugee_data.RefugeeTable(csvformat="generic", data_directory=str(data_dir),
                                                 start_date=start_date, data_layout="data_layout.csv",
                                                 population_scaledown_factor=hasten)
            if lay.corrections:
                d.ReadL1Corrections(str(lay.corrections))
            camps = e.get_camp_names()
            header = "Day,Date,"
            for c in camps:
                spawning.add_initial_refugees(e, d, lm[c])
                header += f"{c} sim,{c} data,{c} error,"
            header += ("Total error,refugees in camps (UNHCR),total refugees (simulation),"
                       "raw UNHCR refugee count,refugees in camps (simulation),refugee_debt")
            lines = [header]
            start = datetime.strptime(start_date, "%Y-%m-%d")
            for t in range(end_time):
                ig.AddNewConflictZones(e, t)
                _, refugees_raw, refugee_debt = spawning.spawn_daily_displaced(e, t, d)
                spawning.refresh_spawn_weights(e)
                e.enact_border_closures(t)
                e.evolve()
                loc_data = [d.get_field(c, t) for c in camps]
                sim = [lm[c].numAgents for c in camps]
                row = f"{t},{(start + timedelta(days=t)).strftime('%Y-%m-%d')}"
                for s, o in zip(sim, loc_data, strict=True):
                    row += f",{s},{o},{a.rel_error(s, o)}"
                abs_err = sum(a.abs_error(s, o) for s, o in zip(sim, loc_data, strict=True))
                if refugees_raw > 0:
                    row += (f",{float(abs_err) / float(refugees_raw)},{int(sum(loc_data))},{e.numAgents()},"
                            f"{refugees_raw},{sum(sim)},{refugee_debt}")
                else:
                    row += f",0.0,0,{e.numAgents()},0,{sum(sim)},0"
                lines.append(row)
        seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    out_csv.write_text("\n".join(lines) + "\n")
    print(f"flee_seconds={seconds:.3f} flee_cpu_seconds={cpu:.3f} agents={e.numAgents()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
