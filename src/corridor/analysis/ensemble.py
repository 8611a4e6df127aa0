"""Ensembles: N replications of a scenario from spawned seeds, and their quantile bands.

Member ``i`` runs the scenario with seed ``spawn_seeds(root, N)[i]``
(``SeedSequence(root).spawn``; member ``i``'s seed does not depend on N, so a larger N
only adds members). Each member is a pure function of (scenario, seed), so the members,
and the bands computed from them in member order, are the same on every backend and for
any number of workers.

The ensemble folder::

    manifest.json            scenario name and hash, root seed, version (written first)
    members/member-00003-seed-2214750951.parquet
                             one per finished member: date, indicator, nationality, value
                             (summed over places), written to a temporary name and moved
                             into place, so a killed process never leaves half a member
    bands_daily.parquet      quantiles per day, indicator and nationality ("total" = all)
    bands_monthly.parquet    the same for monthly totals (stocks: mean per day)
    bands_yearly.parquet     the same for calendar and US fiscal years
    ensemble.json            the yearly bands, seeds, timings
    bands.png                monthly median with 50% and 90% bands of the main indicators

Running the same command again resumes: finished members are read back, not rerun. A
folder made with another scenario, root seed or version is refused.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .. import __version__
from ..errors import UserInputError
from ..results.atomic import abandoned, owned_prefix
from ..results.run import fiscal_year, run_scenario
from ..rng import spawn_seeds
from .backend import open_executor, run_tasks
from .series import Series, series_of

__all__ = ["EnsembleResult", "run_ensemble", "ensemble_hash", "member_seeds", "read_member",
           "QUANTILES", "band_tables"]

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
Q_NAMES = tuple(f"q{round(q * 100):02d}" for q in QUANTILES)
MANIFEST = "manifest.json"
FORMAT = "corridor-ensemble/1"
_MEMBER_RE = re.compile(r"member-(\d{5,})-seed-(\d+)\.parquet")


def ensemble_hash(scenario: Any) -> str:
    """Hash of the scenario without its seed (the root seed is recorded on its own)."""
    return scenario.with_seed(0).hash()


def member_seeds(root: int, n: int) -> list[int]:
    return spawn_seeds(root, n)


def member_name(index: int, seed: int) -> str:
    return f"member-{index:05d}-seed-{seed}.parquet"


def _run_member(scenario: Any, seed: int) -> tuple[Series, float]:
    """One replication (runs in a worker): its series and its run time in seconds."""
    t0 = time.perf_counter()
    result = run_scenario(scenario, seed=seed)
    return series_of(result), time.perf_counter() - t0


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    tmp = path.with_name(owned_prefix("tmp") + path.name)
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_member(path: Path, series: Series, *, index: int, seed: int, scenario_hash: str,
                 seconds: float) -> None:
    days, n_ind, n_nat = series.values.shape
    dates = np.array(series.dates, dtype="datetime64[D]")
    table = pa.table({
        "date": pa.array(np.repeat(dates, n_ind * n_nat)),
        "indicator": pa.DictionaryArray.from_arrays(
            pa.array(np.tile(np.repeat(np.arange(n_ind, dtype=np.int32), n_nat), days)),
            pa.array(list(series.indicators))),
        "nationality": pa.DictionaryArray.from_arrays(
            pa.array(np.tile(np.arange(n_nat, dtype=np.int32), days * n_ind)),
            pa.array(list(series.nationalities))),
        "value": pa.array(series.values.reshape(-1)),
    })
    meta = {"member": index, "seed": seed, "scenario_hash": scenario_hash, "version": __version__,
            "indicators": list(series.indicators), "kinds": list(series.kinds),
            "nationalities": list(series.nationalities), "first_day": str(series.dates[0]),
            "days": days, "run_seconds": round(seconds, 3)}
    table = table.replace_schema_metadata({b"corridor": json.dumps(meta).encode()})
    _atomic_write(path, lambda p: pq.write_table(table, p, compression="zstd"))


def read_member(path: Path) -> tuple[Series, dict[str, Any]]:
    """A member file back as a :class:`Series` and its metadata."""
    table = pq.read_table(path, columns=["value"])
    meta = json.loads(pq.read_schema(path).metadata[b"corridor"])
    first = dt.date.fromisoformat(meta["first_day"])
    dates = tuple(first + dt.timedelta(days=i) for i in range(meta["days"]))
    values = table.column("value").to_numpy().reshape(meta["days"], len(meta["indicators"]),
                                                      len(meta["nationalities"]))
    return Series(dates, tuple(meta["indicators"]), tuple(meta["kinds"]), tuple(meta["nationalities"]),
                  values), meta


@dataclass
class EnsembleResult:
    """What :func:`run_ensemble` did and wrote."""

    out: Path
    scenario: str
    scenario_hash: str
    root_seed: int
    seeds: list[int]
    computed: int                     # members run by this call
    reused: int                       # members found on disk
    seconds: float
    backend: str
    files: dict[str, Path] = field(default_factory=dict)
    yearly: pa.Table | None = None

    @property
    def n(self) -> int:
        return len(self.seeds)


def _check_manifest(out: Path, manifest: dict[str, Any]) -> None:
    path = out / MANIFEST
    if not path.exists():
        if any((out / "members").glob("member-*.parquet")):
            raise UserInputError("the folder holds ensemble members but no manifest.json", where=out,
                                 expected="an ensemble folder made by `corridor ensemble`, or a new --out")
        return
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise UserInputError(f"unreadable manifest ({exc})", where=path) from None
    if old.get("format") != FORMAT:
        raise UserInputError("not an ensemble folder of this version of Corridor", where=path,
                             expected=f"format {FORMAT}")
    for key, what in (("scenario_hash", "scenario"), ("root_seed", "root seed"), ("version", "Corridor version")):
        if old.get(key) != manifest[key]:
            raise UserInputError(
                f"this ensemble was made with another {what} ({old.get(key)!s:.12}, now {manifest[key]!s:.12}); "
                "its members cannot be mixed with new ones", where=out,
                expected="the same scenario and seed to resume, or a new --out folder")


def run_ensemble(scenario: Any, n: int, out: str | Path, *, root_seed: int | None = None,
                 workers: int | None = None, scheduler: str | None = None, timeout: float = 10.0,
                 plots: bool = True, progress: Callable[[int, int], None] | None = None) -> EnsembleResult:
    """Run (or resume) an ensemble of ``n`` members into ``out`` and write its bands."""
    from .. import packs

    if n < 1:
        raise UserInputError(f"-n {n}: an ensemble needs at least one member", expected="N >= 1")
    packs.for_scenario(scenario).build(scenario)   # a bad scenario fails here, not in N workers
    root = scenario.seed if root_seed is None else int(root_seed)
    out = Path(out)
    members_dir = out / "members"
    try:
        members_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserInputError(f"cannot create the ensemble folder ({exc.strerror})", where=out) from None
    shash = ensemble_hash(scenario)
    manifest = {"format": FORMAT, "scenario": scenario.name, "scenario_hash": shash, "root_seed": root,
                "version": __version__}
    _check_manifest(out, manifest)
    if not (out / MANIFEST).exists():
        created = {**manifest, "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        _atomic_write(out / MANIFEST, lambda p: p.write_text(json.dumps(created, indent=1) + "\n"))
    for stale in members_dir.glob(".tmp-*"):        # left by a process killed while writing
        if abandoned(stale):
            stale.unlink(missing_ok=True)

    seeds = member_seeds(root, n)
    series: list[Series | None] = [None] * n
    for i, s in enumerate(seeds):
        path = members_dir / member_name(i, s)
        if path.exists():
            try:
                got, meta = read_member(path)
            except (OSError, ValueError, KeyError, pa.ArrowException):
                path.unlink()                       # unreadable: run it again
                continue
            if meta.get("scenario_hash") == shash and meta.get("seed") == s:
                series[i] = got
    todo = [i for i in range(n) if series[i] is None]
    reused = n - len(todo)
    done = reused
    if progress is not None:
        progress(done, n)
    t0 = time.perf_counter()
    backend = "none (all members on disk)"
    if todo:
        with open_executor(workers, scheduler, timeout) as (executor, backend):
            def finished(k: int, res: tuple[Series, float]) -> None:
                nonlocal done
                i = todo[k]
                s, secs = res
                write_member(members_dir / member_name(i, seeds[i]), s, index=i, seed=seeds[i],
                             scenario_hash=shash, seconds=secs)
                series[i] = s
                done += 1
                if progress is not None:
                    progress(done, n)

            run_tasks(executor, _run_member, [(scenario, seeds[i]) for i in todo], finished,
                      max_pending=max(64, 4 * (workers or 1)))
    seconds = time.perf_counter() - t0
    members = [s for s in series if s is not None]
    res = EnsembleResult(out=out, scenario=scenario.name, scenario_hash=shash, root_seed=root, seeds=seeds,
                         computed=len(todo), reused=reused, seconds=seconds, backend=backend)
    write_bands(members, res, plots=plots)
    return res


def _with_total(values: np.ndarray) -> np.ndarray:
    """``[..., nationality]`` plus a last column: the sum over nationalities."""
    return np.concatenate([values, values.sum(axis=-1, keepdims=True)], axis=-1)


def _periods(dates: tuple[dt.date, ...], kind: str) -> dict[str, np.ndarray]:
    if kind == "year":
        keys = [str(d.year) for d in dates]
    elif kind == "fiscal_year":
        keys = [str(fiscal_year(d)) for d in dates]
    else:
        keys = [f"{d.year:04d}-{d.month:02d}" for d in dates]
    arr = np.array(keys)
    return {k: np.flatnonzero(arr == k) for k in dict.fromkeys(keys)}


def _bands_rows(stack: np.ndarray) -> dict[str, np.ndarray]:
    """Quantiles and mean over members (axis 0), flattened in C order."""
    qs = np.quantile(stack, QUANTILES, axis=0)
    cols = {name: qs[i].reshape(-1) for i, name in enumerate(Q_NAMES)}
    cols["mean"] = stack.mean(axis=0).reshape(-1)
    return cols


def band_tables(members: list[Series]) -> dict[str, pa.Table]:
    """Daily, monthly and yearly quantile tables of an ensemble's members."""
    ref = members[0]
    stack = _with_total(np.stack([m.values for m in members]))      # [member, day, ind, nat+1]
    n_day, n_ind, n_nat = stack.shape[1:]
    nats = [*ref.nationalities, "total"]
    kinds = dict(zip(ref.indicators, ref.kinds, strict=True))
    dates = np.array(ref.dates, dtype="datetime64[D]")
    ind_idx = np.tile(np.repeat(np.arange(n_ind, dtype=np.int32), n_nat), n_day)
    nat_idx = np.tile(np.arange(n_nat, dtype=np.int32), n_day * n_ind)
    ind_dict = pa.array(list(ref.indicators))
    kind_dict = pa.array([kinds[i] for i in ref.indicators])
    daily = pa.table({
        "date": pa.array(np.repeat(dates, n_ind * n_nat)),
        "indicator": pa.DictionaryArray.from_arrays(pa.array(ind_idx), ind_dict),
        "kind": pa.DictionaryArray.from_arrays(pa.array(ind_idx), kind_dict),
        "nationality": pa.DictionaryArray.from_arrays(pa.array(nat_idx), pa.array(nats)),
        **_bands_rows(stack),
    })
    tables = {"daily": daily}
    for name, period_kinds in (("monthly", ("month",)), ("yearly", ("year", "fiscal_year"))):
        cols: dict[str, list] = {k: [] for k in ("calendar", "period", "days", "indicator", "kind",
                                                 "nationality", *Q_NAMES, "mean")}
        for pk in period_kinds:
            for label, days in _periods(ref.dates, pk).items():
                agg = _with_total(np.stack([m.aggregate(days) for m in members]))   # [member, ind, nat+1]
                rows = _bands_rows(agg)
                k = n_ind * n_nat
                cols["calendar"] += [pk] * k
                cols["period"] += [label] * k
                cols["days"] += [int(days.size)] * k
                cols["indicator"] += [i for i in ref.indicators for _ in range(n_nat)]
                cols["kind"] += [kinds[i] for i in ref.indicators for _ in range(n_nat)]
                cols["nationality"] += nats * n_ind
                for q in (*Q_NAMES, "mean"):
                    cols[q] += rows[q].tolist()
        tables[name] = pa.table(cols)
    return tables


def _yearly_json(table: pa.Table) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for row in table.to_pylist():
        cal = out.setdefault(row["calendar"] + "s", {})
        per = cal.setdefault(row["period"], {"days": row["days"], "indicators": {}})
        per["indicators"].setdefault(row["indicator"], {})[row["nationality"]] = {
            q: round(row[q], 3) for q in (*Q_NAMES, "mean")}
    return out


def write_bands(members: list[Series], res: EnsembleResult, *, plots: bool = True) -> None:
    """Write the band tables, ensemble.json and the plot into ``res.out``: published together
    (corridor.results.atomic), ``ensemble.json`` last; the members and manifest stay."""
    from ..results.atomic import staged_files

    tables = band_tables(members)
    out = res.out
    res.yearly = tables["yearly"]
    run_secs = []
    for i, s in enumerate(res.seeds):
        meta = pq.read_schema(out / "members" / member_name(i, s)).metadata
        run_secs.append(json.loads(meta[b"corridor"]).get("run_seconds"))
    summary = {
        "scenario": res.scenario, "scenario_hash": res.scenario_hash, "version": __version__,
        "root_seed": res.root_seed, "members": res.n, "seeds": res.seeds,
        "quantiles": dict(zip(Q_NAMES, QUANTILES, strict=True)),
        "last_call": {"computed": res.computed, "reused": res.reused, "seconds": round(res.seconds, 2),
                      "backend": res.backend},
        "member_run_seconds": run_secs,
        **_yearly_json(tables["yearly"]),
    }
    with staged_files(out, "ensemble.json") as (stage, files):
        for name, table in tables.items():
            pq.write_table(table, stage / f"bands_{name}.parquet", compression="zstd")
        (stage / "ensemble.json").write_text(json.dumps(summary, indent=1) + "\n")
        if plots:
            from .plots import plot_bands

            plot_bands(tables["monthly"], res, stage / "bands.png")
    res.files.update(files)
