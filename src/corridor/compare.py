"""Compare two scenarios over the same replications (common random numbers).

:func:`compare_scenarios` runs scenario A and scenario B once per member seed. The seeds
are spawned from one root (:func:`corridor.rng.spawn_seeds`), and member ``i`` of A and
member ``i`` of B use the same seed. Wherever B's policies do not reach, the two runs
therefore draw the same random numbers, and the paired difference ``B_i - A_i`` mostly
carries the effect of the change rather than noise.

For every indicator, calendar year and nationality (plus ``"total"``) a
:class:`Comparison` gives the mean of A and of B over the members, the mean paired
difference, and two intervals at ``level`` (0.90 by default):

* ``ci``: a Student t confidence interval of the *mean* difference
  (mean +/- t[n-1] * sd / sqrt(n)). It answers "does B change the expected value, and
  by how much?". This is the interval the table and the plot show.
* ``spread``: the central ``level`` range (empirical percentiles) of the paired
  differences themselves, i.e. how far apart A and B can end up in one realisation.

Both have zero width when A and B are the same scenario. docs/compare.md explains the
choice. Members run in a local process pool (``workers``). Each member is a pure
function of (scenario, seed), and results are gathered by member index, so the numbers
do not depend on the worker count or on the order in which members finish.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .errors import UserInputError
from .rng import spawn_seeds

__all__ = ["Comparison", "compare_scenarios", "write_comparison", "t_quantile", "TOTAL"]

#: The label of the all-nationalities row.
TOTAL = "total"


# ---------------------------------------------------------------- statistics

def _t_coverage(t: float, df: int) -> float:
    """P(|T| <= t) for Student's t with integer ``df`` (closed form, Abramowitz & Stegun 26.7.3-4)."""
    theta = math.atan(t / math.sqrt(df))
    s, c = math.sin(theta), math.cos(theta)
    c2 = c * c
    if df % 2 == 1:
        total, term = 0.0, 1.0
        if df > 1:
            total = 1.0
            for k in range(1, (df - 3) // 2 + 1):
                term *= (2 * k) / (2 * k + 1) * c2
                total += term
        return 2.0 / math.pi * (theta + s * c * total)
    total, term = 1.0, 1.0
    for k in range(1, (df - 2) // 2 + 1):
        term *= (2 * k - 1) / (2 * k) * c2
        total += term
    return s * total


def t_quantile(level: float, df: int) -> float:
    """The ``t`` with P(|T| <= t) = ``level`` for Student's t with ``df`` degrees of freedom.

    Two-sided: ``t_quantile(0.90, 9)`` is the 95th percentile of t(9), 1.8331. Exact up to
    bisection tolerance (no SciPy needed).
    """
    if not 0.0 < level < 1.0:
        raise ValueError("level must be in (0, 1)")
    if df < 1:
        raise ValueError("df must be >= 1")
    lo, hi = 0.0, 1.0
    while _t_coverage(hi, df) < level:
        lo, hi = hi, hi * 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if _t_coverage(mid, df) < level:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-12 * max(1.0, hi):
            break
    return 0.5 * (lo + hi)


# ---------------------------------------------------------------- one member

@dataclass(frozen=True)
class _Member:
    """What one run sends back: yearly values ``[indicator, year, group]`` (group 0 = total)."""

    values: np.ndarray
    indicators: tuple[str, ...]
    kinds: tuple[str, ...]
    years: tuple[int, ...]
    days: tuple[int, ...]
    first_days: tuple[str, ...]
    last_days: tuple[str, ...]
    nationalities: tuple[str, ...]
    run_seconds: float
    agents_created: int
    locations: tuple[str, ...] = ()
    place_values: np.ndarray | None = None    # [indicator, year, location] when places were asked for


def _run_member(scenario: Any, seed: int, places: bool = False) -> _Member:
    """Run ``scenario`` with ``seed`` and reduce it to yearly values at full scale.

    Runs in a worker process; only the reduced array travels back (a full-scale run's
    daily array is tens of MB). Flows are summed over each calendar year, stocks are the
    mean number of people per day (as in summary.json), without rounding.
    """
    from .results.run import run_scenario

    res = run_scenario(scenario, seed=seed)
    per_nat = res.data.sum(axis=3)                      # [day, indicator, nationality]
    periods = res.periods()
    years = tuple(sorted(periods))
    values = np.zeros((len(res.indicators), len(years), 1 + len(res.nationalities)))
    place_values = np.zeros((len(res.indicators), len(years), len(res.locations))) if places else None
    flow = np.array([ind.kind == "flow" for ind in res.indicators])
    for j, year in enumerate(years):
        block = per_nat[periods[year]]
        v = np.where(flow[:, None], block.sum(axis=0), block.mean(axis=0))     # [indicator, nationality]
        values[:, j, 1:] = v
        values[:, j, 0] = v.sum(axis=1)
        if place_values is not None:
            by_place = res.data[periods[year]].sum(axis=2)                     # [day, indicator, location]
            place_values[:, j] = np.where(flow[:, None], by_place.sum(axis=0), by_place.mean(axis=0))
    return _Member(
        values=values, indicators=tuple(i.name for i in res.indicators),
        kinds=tuple(i.kind for i in res.indicators), years=years,
        days=tuple(int(periods[y].size) for y in years),
        first_days=tuple(str(res.dates[periods[y][0]]) for y in years),
        last_days=tuple(str(res.dates[periods[y][-1]]) for y in years),
        nationalities=tuple(res.nationalities), run_seconds=float(res.meta["run_seconds"]),
        agents_created=int(res.meta["agents_created"]), locations=tuple(res.locations),
        place_values=place_values)


# ---------------------------------------------------------------- the comparison

@dataclass(frozen=True)
class Comparison:
    """Paired replications of two scenarios, reduced to yearly values.

    ``a_values`` and ``b_values`` are ``[member, indicator, year, group]`` at full scale;
    group 0 is the total over nationalities, then ``nationalities`` in order.
    """

    a: dict[str, Any]                   # name, file, scenario_hash, population_scale, seed_in_file
    b: dict[str, Any]
    root_seed: int
    seeds: tuple[int, ...]
    level: float
    indicators: tuple[str, ...]
    kinds: tuple[str, ...]
    years: tuple[int, ...]
    periods: dict[str, dict[str, Any]]
    nationalities: tuple[str, ...]
    a_values: np.ndarray
    b_values: np.ndarray
    members: list[dict[str, Any]] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    locations: tuple[str, ...] = ()
    a_places: np.ndarray | None = None    # [member, indicator, year, location] (``places=True`` only)
    b_places: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.seeds)

    @property
    def groups(self) -> tuple[str, ...]:
        return (TOTAL, *self.nationalities)

    def stats(self) -> dict[str, np.ndarray]:
        """Arrays ``[indicator, year, group]``: a_mean, b_mean, diff_mean, diff_sd, ci_low,
        ci_high, spread_low, spread_high (NaN where undefined: intervals need n >= 2)."""
        return _paired_stats(self.a_values, self.b_values, self.level)

    def place_stats(self) -> dict[str, np.ndarray]:
        """As :meth:`stats`, by place: arrays ``[indicator, year, location]`` (a comparison made
        with ``places=True``)."""
        if self.a_places is None or self.b_places is None:
            raise ValueError("this comparison was made without places=True")
        return _paired_stats(self.a_places, self.b_places, self.level)

    def cell(self, indicator: str, year: int, group: str = TOTAL) -> dict[str, float]:
        """The statistics of one indicator, year and nationality (or ``"total"``)."""
        i, j, k = self.indicators.index(indicator), self.years.index(year), self.groups.index(group)
        return {key: float(arr[i, j, k]) for key, arr in self.stats().items()}

    def rows(self, *, members: bool = False) -> list[dict[str, Any]]:
        """One row per indicator, year and group (total first); with ``members`` the
        per-member values of A and B as lists ``a``, ``b``."""
        st = self.stats()
        out = []
        for i, name in enumerate(self.indicators):
            for j, year in enumerate(self.years):
                for k, group in enumerate(self.groups):
                    row: dict[str, Any] = {"indicator": name, "kind": self.kinds[i], "year": year,
                                           "nationality": group, "n": self.n}
                    for key, arr in st.items():
                        row[key] = _num(arr[i, j, k])
                    a_mean = float(st["a_mean"][i, j, k])
                    row["relative_diff"] = _num(st["diff_mean"][i, j, k] / a_mean) if a_mean else None
                    if members:
                        row["a"] = [float(x) for x in self.a_values[:, i, j, k]]
                        row["b"] = [float(x) for x in self.b_values[:, i, j, k]]
                    out.append(row)
        return out

    def to_json(self) -> dict[str, Any]:
        """Everything: scenarios, seeds, method, periods, per-cell statistics and member values."""
        pct = f"{100 * self.level:g}%"
        return {
            "a": self.a, "b": self.b, "version": __version__, "root_seed": self.root_seed,
            "n": self.n, "seeds": list(self.seeds), "level": self.level,
            "method": {
                "pairing": "member i of A and member i of B use seed i (common random numbers)",
                "diff_mean": "mean over members of the paired differences B_i - A_i",
                "ci": f"{pct} Student t interval of the mean difference: diff_mean +/- "
                      "t(n-1) * diff_sd / sqrt(n)",
                "spread": f"central {pct} of the paired differences (empirical percentiles)",
                "values": "full scale (divided by population_scale); flows summed over the year, "
                          "stocks the mean number of people per day",
            },
            "periods": self.periods, "nationalities": list(self.nationalities),
            "indicators": {n: k for n, k in zip(self.indicators, self.kinds, strict=True)},
            "results": self.rows(members=True), "members": self.members, "meta": self.meta,
        }


def _paired_stats(a: np.ndarray, b: np.ndarray, level: float) -> dict[str, np.ndarray]:
    """Means, mean paired difference and its intervals over the first axis (members)."""
    d = b - a
    n = d.shape[0]
    out = {"a_mean": a.mean(axis=0), "b_mean": b.mean(axis=0), "diff_mean": d.mean(axis=0)}
    nan = np.full(d.shape[1:], np.nan)
    if n >= 2:
        sd = d.std(axis=0, ddof=1)
        half = t_quantile(level, n - 1) * sd / math.sqrt(n)
        tail = 50.0 * (1.0 - level)
        lo, hi = np.percentile(d, [tail, 100.0 - tail], axis=0)
        out.update(diff_sd=sd, ci_low=out["diff_mean"] - half, ci_high=out["diff_mean"] + half,
                   spread_low=lo, spread_high=hi)
    else:
        out.update(diff_sd=nan, ci_low=nan, ci_high=nan, spread_low=nan, spread_high=nan)
    return out


def _num(x: float) -> float | None:
    x = float(x)
    return None if math.isnan(x) else x


def _check_compatible(a: Any, b: Any) -> None:
    if a.model != b.model:
        raise UserInputError(f"cannot compare: A ({a.name}) is a {a.model} scenario, B ({b.name}) a {b.model} one",
                             where=b.path, expected="two scenarios of the same model")
    if (a.first_day, a.last_day) != (b.first_day, b.last_day):
        raise UserInputError(
            f"cannot compare: B ({b.name}) reports {b.first_day} to {b.last_day}, A ({a.name}) reports "
            f"{a.first_day} to {a.last_day}", where=b.path, at="start",
            expected="the same start and end in both scenarios")
    if set(a.breakdown) != set(b.breakdown):
        only_a = sorted(set(a.breakdown) - set(b.breakdown))
        only_b = sorted(set(b.breakdown) - set(a.breakdown))
        diff = "; ".join(p for p in (f"only A has {', '.join(only_a)}" if only_a else "",
                                     f"only B has {', '.join(only_b)}" if only_b else "") if p)
        raise UserInputError(f"cannot compare: the nationalities differ ({diff})", where=b.path,
                             at="nationalities", expected="the same nationalities in both scenarios")


def _pick(requested: Sequence[Any] | None, known: Sequence[Any], what: str) -> tuple[Any, ...]:
    if not requested:
        return tuple(known)
    out = []
    for r in requested:
        if r not in known:
            raise UserInputError(f"unknown {what} {r!r}", at=f"--{what}s",
                                 expected="one of " + ", ".join(map(str, known)))
        if r not in out:
            out.append(r)
    return tuple(out)


def _describe(sc: Any) -> dict[str, Any]:
    return {"name": sc.name, "model": sc.model, "file": str(sc.path) if sc.path else None,
            "scenario_hash": sc.hash(), "population_scale": sc.population_scale, "spin_up_days": sc.spin_up_days}


def compare_scenarios(a: Any, b: Any, *, n: int = 10, root_seed: int | None = None,
                      workers: int | None = 1, scale: float | None = None,
                      indicators: Sequence[str] | None = None, years: Sequence[int] | None = None,
                      level: float = 0.90, places: bool = False,
                      progress: Callable[[int, int], None] | None = None) -> Comparison:
    """Run ``n`` paired members of ``a`` and ``b`` and reduce them to yearly statistics.

    ``root_seed`` defaults to A's seed. ``scale`` replaces both scenarios'
    ``population_scale``. ``workers`` processes run the 2n runs (1: in this process;
    None: one per CPU). ``progress(done, total)`` is called after each run. With ``places``
    the comparison also holds each indicator by place (:meth:`Comparison.place_stats`). Raises
    :class:`UserInputError` for scenarios that cannot be compared or bad options.
    """
    from . import packs

    if isinstance(n, bool) or n < 1:
        raise UserInputError(f"{n!r} replications", at="-n", expected="an integer >= 1")
    if not 0.0 < level < 1.0:
        raise UserInputError(f"level {level!r}", at="--level", expected="a number in (0, 1), e.g. 0.9")
    if workers is None:
        workers = os.cpu_count() or 1
    if workers < 1:
        raise UserInputError(f"{workers!r} workers", at="--workers", expected="an integer >= 1")
    a, b = a.with_scale(scale), b.with_scale(scale)
    _check_compatible(a, b)
    root = a.seed if root_seed is None else int(root_seed)
    if not 0 <= root < 2**63:
        raise UserInputError(f"seed {root}", at="--seed", expected="an integer in [0, 2**63)")
    pack = packs.for_scenario(a)
    sel_ind = _pick(indicators, [i.name for i in pack.indicators], "indicator")
    sel_years = _pick(years, list(range(a.first_day.year, a.last_day.year + 1)), "year")
    # build both worlds here first: a bad scenario fails fast, with its file and key path,
    # before any process starts
    pack.build(a)
    pack.build(b)

    seeds = spawn_seeds(root, n)
    jobs = [(side, i) for i in range(n) for side in (0, 1)]
    results: dict[tuple[int, int], _Member] = {}
    t0 = time.perf_counter()
    workers = max(1, min(workers, len(jobs)))
    if workers == 1:
        for done, (side, i) in enumerate(jobs, start=1):
            results[(side, i)] = _run_member((a, b)[side], seeds[i], places)
            if progress is not None:
                progress(done, len(jobs))
    else:
        # "spawn": clean workers on every platform (no fork of a process holding threads)
        ctx = multiprocessing.get_context("spawn")
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx)
        try:
            pending: dict[Future, tuple[int, int]] = {
                pool.submit(_run_member, (a, b)[side], seeds[i], places): (side, i) for side, i in jobs}
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    results[pending.pop(fut)] = fut.result()
                if progress is not None:
                    progress(len(results), len(jobs))
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    wall = time.perf_counter() - t0
    return _assemble(a, b, root, seeds, results, sel_ind, sel_years, level,
                     {"wall_seconds": round(wall, 3), "workers": workers,
                      "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})


def _assemble(a: Any, b: Any, root: int, seeds: list[int],
              results: dict[tuple[int, int], _Member], sel_ind: tuple[str, ...],
              sel_years: tuple[int, ...], level: float, meta: dict[str, Any]) -> Comparison:
    first = results[(0, 0)]
    nats = first.nationalities
    ind_idx = [first.indicators.index(x) for x in sel_ind]
    year_idx = [first.years.index(y) for y in sel_years]

    def take(m: _Member) -> np.ndarray:
        if m.indicators != first.indicators or m.years != first.years:
            raise RuntimeError("members report different indicators or years")
        # B may list the same nationalities in another order: align on A's
        groups = [0, *[1 + m.nationalities.index(x) for x in nats]]
        return m.values[np.ix_(ind_idx, year_idx, groups)]

    n = len(seeds)
    a_vals = np.stack([take(results[(0, i)]) for i in range(n)])
    b_vals = np.stack([take(results[(1, i)]) for i in range(n)])
    periods = {str(first.years[j]): {"first_day": first.first_days[j], "last_day": first.last_days[j],
                                     "days": first.days[j]} for j in year_idx}
    members = [{"member": i, "seed": seeds[i],
                "a_run_seconds": results[(0, i)].run_seconds, "b_run_seconds": results[(1, i)].run_seconds,
                "a_agents": results[(0, i)].agents_created, "b_agents": results[(1, i)].agents_created}
               for i in range(n)]
    notes = []
    if a.spin_up_days != b.spin_up_days:
        notes.append("the scenarios have different spin-up periods, so their days are keyed "
                     "differently and common random numbers do not line up: intervals are wider")
    meta = {**meta, "notes": notes}
    places: dict[str, Any] = {}
    if first.place_values is not None:
        if any(results[(1, i)].locations != first.locations for i in range(n)):
            notes.append("the scenarios have different places: no comparison by place")
        else:
            places = {"locations": first.locations,
                      "a_places": np.stack([results[(0, i)].place_values[ind_idx][:, year_idx] for i in range(n)]),
                      "b_places": np.stack([results[(1, i)].place_values[ind_idx][:, year_idx] for i in range(n)])}
    return Comparison(**places, a=_describe(a), b=_describe(b), root_seed=root, seeds=tuple(seeds), level=level,
                      indicators=sel_ind, kinds=tuple(first.kinds[i] for i in ind_idx),
                      years=sel_years, periods=periods, nationalities=nats,
                      a_values=a_vals, b_values=b_vals, members=members, meta=meta)


# ---------------------------------------------------------------- output files

def _table(cmp: Comparison) -> Any:
    import pyarrow as pa

    rows = cmp.rows()
    cols = list(rows[0])
    return pa.table({c: [r[c] for r in rows] for c in cols})


def _members_table(cmp: Comparison) -> Any:
    import pyarrow as pa

    m, ni, ny, ng = cmp.a_values.shape
    member, ind, year, grp = (x.ravel() for x in np.meshgrid(np.arange(m), np.arange(ni), np.arange(ny),
                                                            np.arange(ng), indexing="ij"))
    a = cmp.a_values.ravel()
    b = cmp.b_values.ravel()
    return pa.table({
        "member": member.astype(np.int32), "seed": np.asarray(cmp.seeds, dtype=np.int64)[member],
        "indicator": [cmp.indicators[i] for i in ind], "year": np.asarray(cmp.years, dtype=np.int32)[year],
        "nationality": [cmp.groups[g] for g in grp], "a": a, "b": b, "diff": b - a})


def _places_table(cmp: Comparison) -> Any:
    import pyarrow as pa

    st = cmp.place_stats()
    ni, ny, nl = st["a_mean"].shape
    ind, year, loc = (x.ravel() for x in np.meshgrid(np.arange(ni), np.arange(ny), np.arange(nl), indexing="ij"))
    cols: dict[str, Any] = {"indicator": [cmp.indicators[i] for i in ind],
                            "year": np.asarray(cmp.years, dtype=np.int32)[year],
                            "location": [cmp.locations[k] for k in loc]}
    for key in ("a_mean", "b_mean", "diff_mean", "ci_low", "ci_high"):
        cols[key] = st[key].ravel()
    return pa.table(cols)


def write_comparison(cmp: Comparison, out_dir: str | Path, *, plots: bool = True,
                     extra: dict[str, str] | None = None) -> dict[str, Path]:
    """Write ``compare.json`` (everything), ``compare.parquet`` and ``compare.csv`` (one row
    per indicator, year and nationality), ``compare_members.parquet`` (the paired values of
    each member), ``compare_places.parquet`` (by place, when the comparison has places),
    ``compare.png`` and the texts ``extra`` (by file name). As with runs, files are staged and
    moved into place, ``compare.json`` last."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from .results.atomic import staged_files

    with staged_files(out_dir, "compare.json") as (stage, files):   # compare.json last: the marker
        table = _table(cmp)
        pq.write_table(table, stage / "compare.parquet")
        pacsv.write_csv(table, stage / "compare.csv")
        pq.write_table(_members_table(cmp), stage / "compare_members.parquet", compression="zstd")
        if cmp.a_places is not None:
            pq.write_table(_places_table(cmp), stage / "compare_places.parquet")
        for name, text in (extra or {}).items():
            (stage / name).write_text(text, encoding="utf-8")
        if plots:
            plot_comparison(cmp, stage / "compare.png")
        (stage / "compare.json").write_text(json.dumps(cmp.to_json(), indent=1))
    return files


def plot_comparison(cmp: Comparison, path: Path) -> None:
    """One panel per indicator: B - A (total) by year, with the t interval and the spread."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    st = cmp.stats()
    k = len(cmp.indicators)
    ncol = min(4, k)
    nrow = math.ceil(k / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(max(3.6 * ncol, 8.0), 2.8 * nrow + 0.4),
                             squeeze=False)
    x = np.arange(len(cmp.years))
    pct = f"{100 * cmp.level:g}%"
    for i, name in enumerate(cmp.indicators):
        ax = axes.flat[i]
        mean = st["diff_mean"][i, :, 0]
        ax.axhline(0.0, color="0.5", lw=0.8)
        if cmp.n >= 2:
            ax.vlines(x, st["spread_low"][i, :, 0], st["spread_high"][i, :, 0], color="tab:blue",
                      alpha=0.25, lw=8, label=f"central {pct} of paired differences")
            ax.errorbar(x, mean, yerr=[mean - st["ci_low"][i, :, 0], st["ci_high"][i, :, 0] - mean],
                        fmt="o", color="tab:red", capsize=4, label=f"mean, {pct} t interval")
        else:
            ax.plot(x, mean, "o", color="tab:red", label="difference (one member)")
        kind = cmp.kinds[i]
        ax.set_title(name.replace("_", " ") + (" (per year)" if kind == "flow" else " (mean/day)"),
                     fontsize=9)
        ax.set_xticks(x, [f"{y}" + ("" if cmp.periods[str(y)]["days"] >= 365 else "*") for y in cmp.years])
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    for ax in axes.flat[k:]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7, loc="best")
    height = fig.get_figheight()
    fig.suptitle(f"{cmp.b['name']} minus {cmp.a['name']}: {cmp.n} paired members, root seed "
                 f"{cmp.root_seed} (* part year)", fontsize=10, y=1 - 0.15 / height)
    # fixed margins in inches: tight_layout costs seconds on a grid of 30+ panels
    fig.subplots_adjust(left=0.7 / fig.get_figwidth(), right=0.98, bottom=0.4 / height,
                        top=1 - 0.75 / height, wspace=0.35, hspace=0.5)
    fig.savefig(path, dpi=90)
    plt.close(fig)
