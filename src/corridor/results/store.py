"""Write a run to disk: Parquet tables, summary.json, plots, and the DuckDB run registry.

Files are staged and moved into place by :func:`corridor.results.atomic.staged_files`;
``summary.json`` is moved last, so its presence means the run's files are complete.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .atomic import staged_files
from .run import RunResult

__all__ = ["write_run", "daily_table", "record_run", "REGISTRY_NAME"]

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


def record_run(registry: Path, result: RunResult, out_dir: Path) -> None:
    """Append the run to the DuckDB registry (one row per run)."""
    import duckdb

    registry.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(registry))
    try:
        con.execute("""CREATE TABLE IF NOT EXISTS runs (
            recorded_at TIMESTAMP, scenario VARCHAR, scenario_hash VARCHAR, seed BIGINT,
            version VARCHAR, first_day DATE, last_day DATE, build_seconds DOUBLE,
            run_seconds DOUBLE, agents_created BIGINT, agent_days BIGINT, out_dir VARCHAR,
            phase_seconds JSON)""")
        m = result.meta
        con.execute("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            dt.datetime.now(dt.UTC).replace(tzinfo=None), result.scenario, result.scenario_hash,
            result.seed, result.version, result.dates[0], result.dates[-1], m["build_seconds"],
            m["run_seconds"], m["agents_created"], m["agent_days"], str(out_dir.resolve()),
            json.dumps(m["phase_seconds"])])
    finally:
        con.close()


def write_run(result: RunResult, out_dir: str | Path, *, plots: bool = True,
              registry: str | Path | None = None) -> dict[str, Path]:
    """Write all outputs of ``result`` into ``out_dir``; returns the paths written."""
    out = Path(out_dir)
    with staged_files(out, "summary.json") as (stage, files):   # summary.json last: the marker
        pq.write_table(daily_table(result), stage / "daily.parquet", compression="zstd")
        pq.write_table(_routes_table(result), stage / "route_flows.parquet")
        meta: dict[str, Any] = {k: v for k, v in result.meta.items() if k not in ("lat", "lon", "kinds")}
        meta.update(scenario=result.scenario, scenario_hash=result.scenario_hash,
                    seed=result.seed, version=result.version)
        (stage / "run.json").write_text(json.dumps(meta, indent=2))
        if plots:
            from .plots import plot_flow_map, plot_timeseries

            plot_timeseries(result, stage / "timeseries.png")
            plot_flow_map(result, stage / "flow_map.png")
        (stage / "summary.json").write_text(json.dumps(result.summary(), indent=2))
    reg = Path(registry) if registry is not None else out / REGISTRY_NAME
    record_run(reg, result, out)
    files[reg.name] = reg
    return files
