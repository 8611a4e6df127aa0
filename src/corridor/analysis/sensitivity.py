"""Global sensitivity of chosen indicators to a scenario's free parameters, with SALib.

Two methods:

* ``morris`` (default): elementary effects along ``n`` trajectories, ``n * (k + 1)`` runs
  for ``k`` free parameters. The index is mu* (mean absolute effect of moving a parameter
  across its range, in the output's units); sigma shows non-linearity and interactions.
* ``sobol``: Saltelli sampling with ``n`` base samples (a power of two), ``n * (k + 2)``
  runs. The index is the total-order index ST (share of the output's variance that
  involves the parameter); S1 is the first-order share.

Each parameter is sampled from its prior between its bounds. All runs use the same seed
(common random numbers), so the indices measure the effect of the parameters, not of
run-to-run noise. Parameters are ranked per output, and overall by the mean over outputs
of their index divided by the largest index of that output.
"""

from __future__ import annotations

import difflib
import json
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .. import __version__
from ..errors import UserInputError
from ..results.atomic import staged_files
from .backend import open_executor, run_tasks
from .calibrate import run_quantities
from .free_parameters import FreeParameters
from .series import PeriodKind, Quantity
from .targets_file import period_bounds

__all__ = ["SensitivityResult", "sensitivity", "outputs_for", "METHODS"]

METHODS = ("morris", "sobol")


def outputs_for(scenario: Any, indicators: Sequence[str] | None = None, period: str | None = None,
                nationality: str | None = None) -> list[Quantity]:
    """The quantities to analyse: each indicator (default: the pack's ``sensitivity_indicators``)
    over ``period`` ("2010", "FY2010", "2010-03", "2010-03-15"; default the whole reported
    period) for ``nationality`` (a breakdown key, keys joined by "+", or all)."""
    from .. import packs

    pack = packs.for_scenario(scenario)
    known = [i.name for i in pack.indicators]
    chosen = list(indicators) if indicators else [i for i in pack.sensitivity_indicators if i in known]
    for ind in chosen:
        if ind not in known:
            close = difflib.get_close_matches(ind, known, n=1)
            raise UserInputError(f"unknown indicator {ind!r}" + (f"; did you mean {close[0]!r}?" if close else ""),
                                 at="--indicator", expected="an indicator of the model")
    kind: PeriodKind = "all"
    text = ""
    if period:
        text = period.strip()
        kind = "fiscal_year" if text.upper().startswith("FY") else \
            {0: "year", 1: "month", 2: "date"}.get(text.count("-"), "year")
        text = text[2:] if kind == "fiscal_year" else text
        bounds = period_bounds(kind, text)
        if bounds is None:
            raise UserInputError(f"{period!r} is not a period", at="--period",
                                 expected="a year (2010), a US fiscal year (FY2010), a month (2010-03) "
                                          "or a day (2010-03-15)")
        if bounds[0] < scenario.first_day or bounds[1] > scenario.last_day:
            raise UserInputError(f"{period} is not wholly inside the reported period", at="--period",
                                 expected=f"a period between {scenario.first_day} and {scenario.last_day}")
    nats: tuple[str, ...] = ()
    if nationality and nationality.upper() not in ("ALL", "TOTAL"):
        nats = tuple(n.strip() for n in nationality.split("+"))
        for n in nats:
            if n not in scenario.breakdown:
                raise UserInputError(f"unknown nationality {n!r}", at="--nationality",
                                     expected="one of " + ", ".join(scenario.breakdown))
    return [Quantity(ind, kind, text, nats) for ind in chosen]


@dataclass
class SensitivityResult:
    scenario: str
    method: str
    n: int
    runs: int
    parameters: list[dict[str, Any]]        # name, label, low, high, prior
    outputs: list[dict[str, Any]]           # {"output", "parameters": [{name, index, conf, ...}] ranked}
    ranking: list[dict[str, Any]]           # overall: name, score, index per output
    samples: np.ndarray                     # [run, parameter]
    values: np.ndarray                      # [run, output]
    seconds: float
    backend: str
    seed: int
    files: dict[str, Path] = field(default_factory=dict)


def sensitivity(scenario: Any, outputs: Sequence[Quantity], *, method: str = "morris", n: int | None = None,
                seed: int | None = None, workers: int | None = None, scheduler: str | None = None,
                timeout: float = 10.0, progress: Callable[[int, int], None] | None = None) -> SensitivityResult:
    """Sample the free parameters, run every sample, and compute the sensitivity indices."""
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    if method not in METHODS:
        raise UserInputError(f"unknown method {method!r}", at="--method", expected=" or ".join(METHODS))
    n = n or (10 if method == "morris" else 32)
    if method == "sobol" and (n < 2 or n & (n - 1)):
        raise UserInputError(f"-n {n}: Sobol sampling needs a power of two", at="-n", expected="e.g. 32 or 64")
    if method == "morris" and n < 2:
        raise UserInputError(f"-n {n}: Morris needs at least 2 trajectories", at="-n")
    free = FreeParameters(scenario)
    free.check()
    root = scenario.seed if seed is None else int(seed)
    problem = {"num_vars": len(free.items), "names": free.names,
               "bounds": [[p.low, p.high] for p in free.items],
               "dists": ["logunif" if p.prior == "log-uniform" else "unif" for p in free.items]}
    if method == "sobol":
        x = sobol_sample.sample(problem, n, calc_second_order=False, seed=root % 2**32)
    else:
        x = morris_sample.sample(problem, n, num_levels=4, seed=root % 2**32)
    quantities = list(outputs)
    y = np.full((x.shape[0], len(quantities)), np.nan)
    done = 0
    if progress is not None:
        progress(0, x.shape[0])
    t0 = time.perf_counter()
    tasks = [(free.scenario_with(row), root, quantities) for row in x]

    def finished(i: int, value: np.ndarray) -> None:
        nonlocal done
        y[i] = value
        done += 1
        if progress is not None:
            progress(done, x.shape[0])

    with open_executor(workers, scheduler, timeout) as (executor, backend):
        run_tasks(executor, run_quantities, tasks, finished, max_pending=256)
    seconds = time.perf_counter() - t0

    per_output = []
    for j, q in enumerate(quantities):
        col = y[:, j]
        rows = []
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            if method == "sobol":
                res = sobol_analyze.analyze(problem, col, calc_second_order=False, seed=root % 2**32)
                for k, p in enumerate(free.items):
                    rows.append({"name": p.name, "index": _num(res["ST"][k]), "conf": _num(res["ST_conf"][k]),
                                 "first": _num(res["S1"][k]), "first_conf": _num(res["S1_conf"][k])})
            else:
                res = morris_analyze.analyze(problem, x, col, num_levels=4, seed=root % 2**32)
                for k, p in enumerate(free.items):
                    rows.append({"name": p.name, "index": _num(res["mu_star"][k]),
                                 "conf": _num(res["mu_star_conf"][k]), "mu": _num(res["mu"][k]),
                                 "sigma": _num(res["sigma"][k])})
        if np.ptp(col) == 0:                  # the output never moved: no parameter matters
            for r in rows:
                r.update(index=0.0, conf=0.0)
        rows.sort(key=lambda r: -(r["index"] if r["index"] is not None else -1.0))
        for rank, r in enumerate(rows, start=1):
            r["rank"] = rank
        per_output.append({"output": q.label(), "mean": float(np.mean(col)), "sd": float(np.std(col)),
                           "parameters": rows})
    ranking = []
    for p in free.items:
        scores, by_output = [], {}
        for o in per_output:
            top = max((r["index"] or 0.0) for r in o["parameters"])
            idx = next(r["index"] for r in o["parameters"] if r["name"] == p.name) or 0.0
            scores.append(idx / top if top > 0 else 0.0)
            by_output[o["output"]] = idx
        ranking.append({"name": p.name, "label": p.label(), "score": float(np.mean(scores)), "index": by_output})
    ranking.sort(key=lambda r: -r["score"])
    params = [{"name": p.name, "label": p.label(), "low": p.low, "high": p.high, "prior": p.prior}
              for p in free.items]
    return SensitivityResult(scenario=scenario.name, method=method, n=n, runs=int(x.shape[0]), parameters=params,
                             outputs=per_output, ranking=ranking, samples=x, values=y, seconds=seconds,
                             backend=backend, seed=root)


def _num(v: Any) -> float | None:
    v = float(v)
    return v if np.isfinite(v) else None


def write_sensitivity(result: SensitivityResult, out: str | Path, *, plots: bool = True) -> dict[str, Path]:
    """Write sensitivity.json, sensitivity.parquet (indices), samples.parquet and sensitivity.png,
    staged and moved into place (sensitivity.json last)."""
    with staged_files(out, "sensitivity.json") as (stage, files):
        _write_sensitivity_files(result, stage, plots=plots)
    return files


def _write_sensitivity_files(result: SensitivityResult, out: Path, *, plots: bool) -> dict[str, Path]:
    files: dict[str, Path] = {}
    rows = [{"output": o["output"], "parameter": r["name"], "rank": r["rank"], "index": r["index"], "conf": r["conf"],
             **{k: r.get(k) for k in ("first", "first_conf", "mu", "sigma")}}
            for o in result.outputs for r in o["parameters"]]
    pq.write_table(pa.Table.from_pylist(rows), out / "sensitivity.parquet")
    files["sensitivity.parquet"] = out / "sensitivity.parquet"
    cols: dict[str, Any] = {p["name"]: result.samples[:, k] for k, p in enumerate(result.parameters)}
    cols.update({o["output"]: result.values[:, j] for j, o in enumerate(result.outputs)})
    pq.write_table(pa.table(cols), out / "samples.parquet")
    files["samples.parquet"] = out / "samples.parquet"
    index = "ST (total-order Sobol index)" if result.method == "sobol" else "mu* (Morris, output units)"
    doc = {"scenario": result.scenario, "version": __version__, "method": result.method, "index": index,
           "n": result.n, "runs": result.runs, "seed": result.seed, "seconds": round(result.seconds, 2),
           "backend": result.backend, "parameters": result.parameters, "ranking": result.ranking,
           "outputs": result.outputs}
    (out / "sensitivity.json").write_text(json.dumps(doc, indent=1) + "\n")
    files["sensitivity.json"] = out / "sensitivity.json"
    if plots:
        from .plots import plot_sensitivity

        plot_sensitivity(result.outputs, result.method,
                         f"{result.scenario}: {result.method} sensitivity ({result.runs} runs)",
                         out / "sensitivity.png")
        files["sensitivity.png"] = out / "sensitivity.png"
    return files
