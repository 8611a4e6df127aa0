"""Calibration: fit a scenario's free parameters to observed series with Optuna.

The objective is the weighted squared distance between modelled and observed targets,
``sum(((model - observed) / sd) ** 2)`` (a chi-square when the sd are true standard
deviations). Optuna's TPE sampler (seeded) proposes parameter values from each free
parameter's prior (uniform or log-uniform between its bounds). Trials are asked for in
batches of fixed size and evaluated in parallel on the chosen backend, then told back in
trial order, so the result depends on the seed and the batch size, never on the worker
count or the backend.

Every trial runs the scenario with the same seeds (common random numbers: trial 0 is
the scenario as given and reproduces ``corridor run``), so differences between trials
come from the parameters, not from noise. With ``replicates > 1`` each trial averages
that many runs (seeds spawned from the root seed).
"""

from __future__ import annotations

import datetime as dt
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
from ..params import Source
from ..results.atomic import staged_files
from ..results.run import run_scenario
from ..rng import spawn_seeds
from .backend import open_executor, run_tasks
from .free_parameters import FreeParameters
from .series import Quantity, evaluate, series_of
from .targets_file import Target, read_targets

__all__ = ["CalibrationResult", "calibrate", "load_targets", "loss", "run_quantities"]


def run_quantities(scenario: Any, seed: int, quantities: Sequence[Quantity]) -> np.ndarray:
    """Run ``scenario`` with ``seed`` and return the values of ``quantities`` (runs in a worker)."""
    return evaluate(series_of(run_scenario(scenario, seed=seed)), quantities)


def loss(modelled: np.ndarray, targets: Sequence[Target]) -> float:
    obs = np.array([t.value for t in targets])
    sd = np.array([t.sd for t in targets])
    return float(np.sum(((modelled - obs) / sd) ** 2))


def load_targets(path: str | Path, scenario: Any) -> list[Target]:
    """Read a targets CSV and check it against the scenario (indicators, nationalities, period)."""
    from .. import packs

    return read_targets(path, indicators=[i.name for i in packs.for_scenario(scenario).indicators],
                        nationalities=scenario.breakdown, first_day=scenario.first_day,
                        last_day=scenario.last_day)


@dataclass
class CalibrationResult:
    """The outcome of :func:`calibrate`."""

    scenario: str
    free: list[dict[str, Any]]              # name, parameter, key, mode, low, high, prior, initial, fitted
    targets: list[Target]
    initial: np.ndarray | None              # modelled targets of the scenario as given (trial 0)
    fitted: np.ndarray                      # modelled targets at the best trial
    initial_loss: float | None
    best_loss: float
    best_trial: int
    trials: list[dict[str, Any]]            # number, params, loss
    seconds: float
    backend: str
    settings: dict[str, Any]
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def values(self) -> dict[str, float]:
        return {p["name"]: p["fitted"] for p in self.free}


def _distribution(p: Any) -> Any:
    import optuna

    return optuna.distributions.FloatDistribution(p.low, p.high, log=p.prior == "log-uniform")


def calibrate(scenario: Any, targets: Sequence[Target], *, trials: int = 100, batch: int = 8,
              seed: int | None = None, replicates: int = 1, workers: int | None = None,
              scheduler: str | None = None, timeout: float = 10.0,
              progress: Callable[[int, int], None] | None = None) -> CalibrationResult:
    """Fit the scenario's free parameters to ``targets`` in ``trials`` model evaluations."""
    import optuna

    if trials < 1 or batch < 1 or replicates < 1:
        raise UserInputError("--trials, --batch and --replicates must be at least 1")
    free = FreeParameters(scenario)
    free.check()
    root = scenario.seed if seed is None else int(seed)
    seeds = [root] if replicates == 1 else spawn_seeds(root, replicates)
    quantities = [t.quantity for t in targets]
    dists = {p.name: _distribution(p) for p in free.items}
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with warnings.catch_warnings():            # multivariate TPE is flagged experimental
        warnings.simplefilter("ignore")
        sampler = optuna.samplers.TPESampler(seed=root % 2**32, multivariate=True)
    study = optuna.create_study(direction="minimize", sampler=sampler)
    current = free.current()
    start = {k: v for k, v in current.items() if v is not None}
    if start:
        study.enqueue_trial(start)              # trial 0: the scenario as it stands
    records: list[dict[str, Any]] = []
    modelled: dict[int, np.ndarray] = {}
    t0 = time.perf_counter()
    with open_executor(workers, scheduler, timeout) as (executor, backend):
        while len(records) < trials:
            asked = [study.ask(dists) for _ in range(min(batch, trials - len(records)))]
            tasks = [(free.scenario_with(t.params), s, quantities) for t in asked for s in seeds]
            results: list[np.ndarray | None] = [None] * len(tasks)

            def done(i: int, value: np.ndarray, results: list = results, n_asked: int = len(asked)) -> None:
                results[i] = value
                if progress is not None:      # trials whose replicates are all in
                    r = len(seeds)
                    full = sum(all(x is not None for x in results[j * r:(j + 1) * r]) for j in range(n_asked))
                    progress(len(records) + full, trials)

            run_tasks(executor, run_quantities, tasks, done)
            for j, trial in enumerate(asked):
                reps = results[j * len(seeds):(j + 1) * len(seeds)]
                mean = np.mean(np.stack(reps), axis=0)        # type: ignore[arg-type]
                value = loss(mean, targets)
                study.tell(trial, value)
                modelled[trial.number] = mean
                records.append({"number": trial.number, "loss": value,
                                **{f"param {k}": v for k, v in trial.params.items()}})
    seconds = time.perf_counter() - t0
    best = study.best_trial
    initial = modelled.get(0) if start and len(start) == len(free.items) else None
    free_rows = []
    for p in free.items:
        free_rows.append({"name": p.name, "parameter": p.parameter, "key": ".".join(map(str, p.key)),
                          "mode": p.mode, "low": p.low, "high": p.high, "prior": p.prior,
                          "initial": current[p.name], "fitted": float(best.params[p.name])})
    return CalibrationResult(
        scenario=scenario.name, free=free_rows, targets=list(targets), initial=initial,
        fitted=modelled[best.number], initial_loss=loss(initial, targets) if initial is not None else None,
        best_loss=float(best.value), best_trial=best.number, trials=records, seconds=seconds, backend=backend,
        settings={"trials": trials, "batch": batch, "seed": root, "replicates": replicates,
                  "sampler": "optuna TPESampler(multivariate=True)", "optuna": optuna.__version__})


def write_calibration(result: CalibrationResult, scenario: Any, out: str | Path, *, targets_file: str | Path,
                      plots: bool = True) -> dict[str, Path]:
    """Write calibration.json, fit.parquet, trials.parquet, fit.png and fitted.yaml into ``out``,
    staged and moved into place (calibration.json last)."""
    with staged_files(out, "calibration.json") as (stage, files):
        _write_calibration_files(result, scenario, stage, targets_file=targets_file, plots=plots)
    return files


def _write_calibration_files(result: CalibrationResult, scenario: Any, out: Path, *,
                             targets_file: str | Path, plots: bool) -> dict[str, Path]:
    files: dict[str, Path] = {}
    obs = np.array([t.value for t in result.targets])
    sd = np.array([t.sd for t in result.targets])
    fit_rows = {
        "target": [t.label() for t in result.targets], "indicator": [t.quantity.indicator for t in result.targets],
        "period_kind": [t.quantity.kind for t in result.targets], "period": [t.quantity.period for t in result.targets],
        "nationality": ["+".join(t.quantity.nationalities) or "ALL" for t in result.targets],
        "observed": obs, "sd": sd,
        "initial": result.initial if result.initial is not None else np.full(len(obs), np.nan),
        "fitted": result.fitted, "z": (result.fitted - obs) / sd,
        "source": [t.source for t in result.targets], "row": [t.row for t in result.targets]}
    pq.write_table(pa.table(fit_rows), out / "fit.parquet")
    files["fit.parquet"] = out / "fit.parquet"
    pq.write_table(pa.Table.from_pylist(result.trials), out / "trials.parquet")
    files["trials.parquet"] = out / "trials.parquet"
    stamp = dt.date.today().isoformat()
    report = {
        "scenario": result.scenario, "version": __version__, "targets_file": str(targets_file),
        "settings": result.settings, "backend": result.backend, "seconds": round(result.seconds, 2),
        "initial_loss": result.initial_loss, "best_loss": result.best_loss, "best_trial": result.best_trial,
        "free_parameters": result.free,
        "fit": [{k: (v[i].item() if isinstance(v, np.ndarray) else v[i]) for k, v in fit_rows.items()}
                for i in range(len(obs))],
    }
    (out / "calibration.json").write_text(json.dumps(report, indent=1, default=str) + "\n")
    files["calibration.json"] = out / "calibration.json"
    # the fitted scenario, in the pack's own form (a scenario file, a settings file), with its sources
    free = FreeParameters(scenario)
    ref = (f"corridor calibrate --targets {Path(targets_file).name} ({result.settings['trials']} trials, "
           f"seed {result.settings['seed']}, {stamp})")
    src = Source(kind="fitted", ref=ref, note="free parameters " + ", ".join(
        f"{p['name']}={p['fitted']:.6g}" for p in result.free) + f"; loss {result.best_loss:.4g}")
    name, text = free.space.fitted_file(free.scenario_with(result.values, source=src),
                                        f"with its free parameters fitted to {Path(targets_file).name} "
                                        f"by `corridor calibrate` ({stamp}).")
    (out / name).write_text(text)
    files[name] = out / name
    if plots:
        from .plots import plot_fit

        plot_fit([t.label() for t in result.targets], obs, sd, result.initial, result.fitted,
                 f"{result.scenario}: fit to {Path(targets_file).name} (loss {result.best_loss:.3g})",
                 out / "fit.png")
        files["fit.png"] = out / "fit.png"
    return files
