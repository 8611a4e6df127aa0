"""Write a run to disk: Parquet tables, summary.json, plots, and the DuckDB run registry.

Files are staged and published by :func:`corridor.results.atomic.staged_files`: a folder holds
one run's files, ``summary.json`` last, so its presence means the run's files are complete.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import UserInputError
from .atomic import held_lock, staged_files
from .run import RunResult

__all__ = ["write_run", "daily_table", "route_days_table", "record_run", "REGISTRY_NAME"]

REGISTRY_NAME = "runs.duckdb"


def daily_table(result: RunResult) -> pa.Table:
    """Long table of non-zero daily values: date, indicator, kind, nationality, location, value."""
    day, ind, nat, loc = np.nonzero(result.data)
    dates = np.array(result.dates, dtype="datetime64[D]")
    return pa.table({
        "date": pa.array(dates[day]),
        "indicator": pa.DictionaryArray.from_arrays(
            pa.array(ind.astype(np.int32)), pa.array([i.name for i in result.indicators])),
        "kind": pa.DictionaryArray.from_arrays(
            pa.array(ind.astype(np.int32)), pa.array([i.kind for i in result.indicators])),
        "nationality": pa.DictionaryArray.from_arrays(
            pa.array(nat.astype(np.int32)), pa.array(list(result.nationalities))),
        "location": pa.DictionaryArray.from_arrays(
            pa.array(loc.astype(np.int32)), pa.array(list(result.locations))),
        "value": pa.array(result.data[day, ind, nat, loc]),
    })


def _routes_table(result: RunResult) -> pa.Table:
    return pa.table({"from": [r[0] for r in result.routes], "to": [r[1] for r in result.routes],
                     "traversals": result.route_flows})


def route_days_table(result: RunResult) -> pa.Table:
    """Long table of non-zero daily traversals: date, from, to, traversals."""
    days = result.route_days if result.route_days is not None else np.zeros((len(result.dates), 0))
    day, route = np.nonzero(days)
    dates = np.array(result.dates, dtype="datetime64[D]")
    ends = [pa.array([r[k] for r in result.routes]) for k in (0, 1)]
    return pa.table({
        "date": pa.array(dates[day]),
        "from": pa.DictionaryArray.from_arrays(pa.array(route.astype(np.int32)), ends[0]),
        "to": pa.DictionaryArray.from_arrays(pa.array(route.astype(np.int32)), ends[1]),
        "traversals": pa.array(days[day, route]),
    })


def record_run(registry: Path, result: RunResult, out_dir: Path) -> None:
    """Append the run to the DuckDB registry (one row per run). Writers take turns on a lock
    beside the registry; a registry held open by another program is waited for a while."""
    import duckdb

    registry.parent.mkdir(parents=True, exist_ok=True)
    m = result.meta
    row = [dt.datetime.now(dt.UTC).replace(tzinfo=None), result.scenario, result.scenario_hash,
           result.seed, result.version, result.dates[0], result.dates[-1], m["build_seconds"],
           m["run_seconds"], m["agents_created"], m["agent_days"], str(out_dir.resolve()),
           json.dumps(m["phase_seconds"])]
    with held_lock(registry.with_name(f".{registry.name}.lock"), timeout=REGISTRY_WAIT_SECONDS,
                   busy=f"the run registry stayed locked for {REGISTRY_WAIT_SECONDS:g} s",
                   expected="the other writer to finish; the run's files are written"):
        con = _connect_waiting(duckdb, registry)
        try:
            con.execute(_REGISTRY_TABLE)
            con.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
        finally:
            con.close()


#: How long a run waits for another process to let go of the registry.
REGISTRY_WAIT_SECONDS = 120.0
_REGISTRY_TABLE = """CREATE TABLE IF NOT EXISTS runs (
    recorded_at TIMESTAMP, scenario VARCHAR, scenario_hash VARCHAR, seed BIGINT,
    version VARCHAR, first_day DATE, last_day DATE, build_seconds DOUBLE,
    run_seconds DOUBLE, agents_created BIGINT, agent_days BIGINT, out_dir VARCHAR,
    phase_seconds JSON)"""


def _connect_waiting(duckdb: Any, registry: Path) -> Any:
    # another program (a DuckDB shell, a notebook) may hold the file: DuckDB then refuses at once
    deadline = time.monotonic() + REGISTRY_WAIT_SECONDS
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(registry))
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                raise UserInputError(f"cannot open the run registry ({str(exc).splitlines()[0]})",
                                     where=registry, expected="a DuckDB file no other program holds") from None
            time.sleep(delay)
            delay = min(1.0, delay * 2)


def write_run(result: RunResult, out_dir: str | Path, *, plots: bool = True,
              registry: str | Path | None = None, extra: Mapping[str, str] | None = None) -> dict[str, Path]:
    """Write all outputs of ``result`` (and the texts ``extra``, by file name) into ``out_dir``;
    returns the paths written. They replace the folder's previous result at once, and the
    registry row is added under the same folder lock (see corridor.results.atomic)."""
    out = Path(out_dir)
    reg = Path(registry) if registry is not None else out / REGISTRY_NAME
    with staged_files(out, "summary.json",          # summary.json last: the marker
                      then=lambda: record_run(reg, result, out)) as (stage, files):
        for name, text in (extra or {}).items():
            (stage / name).write_text(text, encoding="utf-8")
        pq.write_table(daily_table(result), stage / "daily.parquet", compression="zstd")
        pq.write_table(_routes_table(result), stage / "route_flows.parquet")
        pq.write_table(route_days_table(result), stage / "route_flows_daily.parquet", compression="zstd")
        meta: dict[str, Any] = {k: v for k, v in result.meta.items() if k not in ("lat", "lon", "kinds")}
        meta.update(scenario=result.scenario, scenario_hash=result.scenario_hash,
                    seed=result.seed, version=result.version)
        (stage / "run.json").write_text(json.dumps(meta, indent=2))
        if plots:
            from .plots import plot_flow_map, plot_timeseries

            plot_timeseries(result, stage / "timeseries.png")
            plot_flow_map(result, stage / "flow_map.png")
        (stage / "summary.json").write_text(json.dumps(result.summary(), indent=2))
    files[reg.name] = reg
    return files
