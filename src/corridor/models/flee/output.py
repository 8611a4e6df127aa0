"""Running a Flee scenario and writing its results: Flee's ``out.csv`` beside Corridor's files.

``out.csv`` has Flee's columns, in Flee's order, at the simulation's scale (divided by
``hasten``, as Flee writes it), so Flee's post-processing reads it unchanged::

    Day,Date,<camp> sim,<camp> data,<camp> error,...,Total error,refugees in camps (UNHCR),
    total refugees (simulation),raw UNHCR refugee count,refugees in camps (simulation),refugee_debt

A forecast scenario (no observed data) writes ``out.csv`` without the data columns::

    Day,Date,<camp> sim,...,total refugees (simulation),refugees in camps (simulation)

and ``validation.json`` says there is nothing to compare with.

The Corridor files (``daily.parquet``, ``summary.json``, ``run.json``, the run registry) hold
the indicators ``agents``, ``new_displaced`` and ``arrivals`` per location, scaled back to full
size. ``validation.json`` holds the averaged relative difference.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...packs import FinishedRun
from ...results.run import RunResult, run_to_end
from .metric import ARD, averaged_relative_difference
from .model import FleeScenario, FleeWorld

__all__ = ["FleeRun", "flee_run", "run_flee", "write_flee_run", "out_csv_text"]


@dataclass
class FleeRun:
    scenario: FleeScenario
    result: RunResult
    camps: tuple[str, ...]
    sim: np.ndarray            # [day, camp] agents in each camp (simulation scale)
    obs: np.ndarray            # [day, camp] observed (simulation scale)
    total_agents: np.ndarray   # [day]
    raw_total: np.ndarray      # [day] interpolated observed total
    debts: np.ndarray          # [day]
    ard: ARD | None            # None: a forecast, nothing to compare with
    seconds: float


def _rel_error(val: float, correct: float) -> float:
    if correct < 0.00001:
        return 0.0
    return round(abs(float(val) / float(correct) - 1), 4)


def out_csv_text(run: FleeRun) -> str:
    """The content of ``out.csv`` (Flee's format)."""
    if run.scenario.forecast:
        return _forecast_csv_text(run)
    head = "Day,Date," + "".join(f"{c} sim,{c} data,{c} error," for c in run.camps)
    head += ("Total error,refugees in camps (UNHCR),total refugees (simulation),raw UNHCR refugee count,"
             "refugees in camps (simulation),refugee_debt")
    lines = [head]
    start = run.scenario.period.start
    for t in range(run.sim.shape[0]):
        sim, obs = run.sim[t].tolist(), run.obs[t].tolist()
        row = [str(t), (start + dt.timedelta(days=t)).isoformat()]
        for s, o in zip(sim, obs, strict=True):
            row += [str(int(s)), str(int(o)), repr(_rel_error(s, o))]
        raw = int(run.raw_total[t])
        in_camps = int(sum(sim))
        if raw > 0:
            abs_err = sum(round(abs(float(s) - float(o)), 4) for s, o in zip(sim, obs, strict=True))
            row += [repr(float(abs_err) / float(raw)), str(int(sum(obs))), str(int(run.total_agents[t])),
                    str(raw), str(in_camps), str(int(run.debts[t]))]
        else:
            row += ["0.0", "0", str(int(run.total_agents[t])), "0", str(in_camps), "0"]
        lines.append(",".join(row))
    return "\n".join(lines) + "\n"


def _forecast_csv_text(run: FleeRun) -> str:
    lines = ["Day,Date," + "".join(f"{c} sim," for c in run.camps)
             + "total refugees (simulation),refugees in camps (simulation)"]
    start = run.scenario.period.start
    for t in range(run.sim.shape[0]):
        sim = [str(int(v)) for v in run.sim[t].tolist()]
        lines.append(",".join([str(t), (start + dt.timedelta(days=t)).isoformat(), *sim,
                               str(int(run.total_agents[t])), str(int(run.sim[t].sum()))]))
    return "\n".join(lines) + "\n"


def run_flee(sc: FleeScenario, *, progress: Callable[[int, int], None] | None = None) -> FleeRun:
    """Build and run a checked Flee scenario."""
    return flee_run(run_to_end(sc, progress=progress))


def flee_run(finished: FinishedRun) -> FleeRun:
    """Flee's view of a finished run: camp counts against the observed series, and the ARD."""
    sc: FleeScenario = finished.scenario
    w: FleeWorld = finished.simulation.world
    result = finished.result
    result.meta.update(settings=str(sc.layout.settings or "Flee defaults"), hasten=sc.settings.hasten)
    camps = tuple(w.names[i] for i in w.camp_columns)
    ard = None if sc.forecast else averaged_relative_difference(w.camp_counts, w.observed_camps, camps)
    return FleeRun(sc, result, camps, w.camp_counts.copy(), w.observed_camps.copy(), w.total_agents.copy(),
                   w.observed_total.copy(), w.debts.copy(), ard,
                   result.meta["build_seconds"] + result.meta["run_seconds"])


def write_flee_run(run: FleeRun, out_dir: str | Path, *, registry: str | Path | None = None) -> dict[str, Path]:
    """Write ``out.csv`` and ``validation.json`` next to the usual Corridor results."""
    from ...results.store import write_run

    if run.ard is None:
        validation = {"averaged_relative_difference": None, "rescaled": None, "days": int(run.sim.shape[0]),
                      "camps": list(run.camps), "hasten": run.scenario.settings.hasten,
                      "note": "a forecast: the scenario has no observed data (no data_layout.csv), "
                              "so there is nothing to compare with"}
    else:
        validation = {"averaged_relative_difference": run.ard.plain, "rescaled": run.ard.rescaled,
                      "days": run.ard.days, "camps": list(run.camps), "hasten": run.scenario.settings.hasten}
    # one publish: out.csv and validation.json appear together with the Corridor files
    extra = {"out.csv": out_csv_text(run), "validation.json": json.dumps(validation, indent=2) + "\n"}
    return write_run(run.result, out_dir, plots=False, registry=registry, extra=extra)
