"""Run a scenario and hold its results: per-day indicator arrays plus run metadata."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import __version__
from ..indicators import Indicator
from ..packs import FinishedRun

__all__ = ["RunResult", "run_scenario", "run_to_end", "fiscal_year"]


def fiscal_year(d: dt.date) -> int:
    """US federal fiscal year of a date (FY2010 = 1 Oct 2009 - 30 Sep 2010)."""
    return d.year + 1 if d.month >= 10 else d.year


@dataclass
class RunResult:
    """Indicators of one run at full scale: ``data[day, indicator, nationality, location]``."""

    scenario: str
    scenario_hash: str
    seed: int
    version: str
    dates: list[dt.date]
    indicators: tuple[Indicator, ...]
    nationalities: tuple[str, ...]
    locations: tuple[str, ...]
    data: np.ndarray
    route_flows: np.ndarray
    routes: list[tuple[str, str]]
    meta: dict[str, Any] = field(default_factory=dict)
    route_days: np.ndarray | None = None     # traversals ``[day, route]`` (None: the pack does not track routes)

    def index(self, indicator: str) -> int:
        for i, ind in enumerate(self.indicators):
            if ind.name == indicator:
                return i
        raise KeyError(indicator)

    def series(self, indicator: str, nationality: str | None = None) -> np.ndarray:
        """Daily values (summed over locations, and over nationalities unless one is named)."""
        x = self.data[:, self.index(indicator)]
        if nationality is not None:
            x = x[:, self.nationalities.index(nationality)]
            return x.sum(axis=1)
        return x.sum(axis=(1, 2))

    def periods(self, fiscal: bool = False) -> dict[int, np.ndarray]:
        """Day indices of each calendar (or US fiscal) year in the run."""
        key = fiscal_year if fiscal else (lambda d: d.year)
        years = np.array([key(d) for d in self.dates])
        return {int(y): np.flatnonzero(years == y) for y in np.unique(years)}

    def by_year(self, fiscal: bool = False) -> dict[str, dict[str, dict[str, float]]]:
        """``{year: {indicator: {"total": x, NAT: x, ...}}}``: flows summed, stocks averaged."""
        out: dict[str, dict[str, dict[str, float]]] = {}
        per_nat = self.data.sum(axis=3)           # [day, indicator, nationality]
        for year, days in self.periods(fiscal).items():
            block = per_nat[days]
            row: dict[str, dict[str, float]] = {}
            for i, ind in enumerate(self.indicators):
                vals = block[:, i].sum(axis=0) if ind.kind == "flow" else block[:, i].mean(axis=0)
                fmt = (lambda v: int(round(float(v)))) if ind.kind == "flow" else \
                    (lambda v: round(float(v), 1))
                entry = {"total": fmt(vals.sum())}
                entry.update({nat: fmt(v) for nat, v in zip(self.nationalities, vals, strict=True)})
                row[ind.name] = entry
            out[str(year)] = row
        return out

    def summary(self) -> dict[str, Any]:
        """The content of summary.json (see README, "Results")."""
        periods = {str(y): {"first_day": str(self.dates[d[0]]), "last_day": str(self.dates[d[-1]]),
                            "days": int(d.size)} for y, d in self.periods().items()}
        return {
            "scenario": self.scenario,
            "scenario_hash": self.scenario_hash,
            "seed": self.seed,
            "version": self.version,
            "periods": periods,
            "years": self.by_year(),
            "fiscal_years": self.by_year(fiscal=True),
        }


def run_scenario(scenario: Any, *, seed: int | None = None,
                 progress: Callable[[int, int], None] | None = None) -> RunResult:
    """Build and run ``scenario`` of any model pack (with ``seed`` overriding the scenario's own)."""
    return run_to_end(scenario, seed=seed, progress=progress).result


def run_to_end(scenario: Any, *, seed: int | None = None,
               progress: Callable[[int, int], None] | None = None) -> FinishedRun:
    """Run ``scenario`` with its pack; keep the finished simulation beside the results (the
    pack's own outputs may need its world)."""
    from .. import packs

    pack = packs.for_scenario(scenario)
    if seed is not None:
        scenario = scenario.with_seed(seed)
    t0 = time.perf_counter()
    sim = pack.build(scenario)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    sim.run(progress)
    t_run = time.perf_counter() - t0
    scale = 1.0 / scenario.population_scale
    rec = sim.recorder
    dates = [scenario.first_day + dt.timedelta(days=i) for i in range(rec.data.shape[0])]
    net = sim.network
    tracked = rec.route_days.shape[1] == net.n_routes > 0                        # a pack may not track routes
    flows = rec.route_flows if tracked else np.zeros(net.n_routes)
    result = RunResult(
        scenario=scenario.name, scenario_hash=scenario.hash(), seed=scenario.seed, version=__version__,
        dates=dates, indicators=rec.indicators, nationalities=sim.nationalities,
        locations=net.ids, data=rec.data.astype(np.float64) * scale,
        route_flows=flows.astype(np.float64) * scale,
        routes=[(net.ids[s], net.ids[d]) for s, d in zip(net.src, net.dst, strict=True)],
        meta={"model": scenario.model, "build_seconds": round(t_build, 3), "run_seconds": round(t_run, 3),
              "days_simulated": sim.n_ticks, "agents_created": int(sim.agents.n),
              "bytes_per_agent": sim.agents.nbytes_per_agent(),
              "population_scale": scenario.population_scale, "agent_days": sim.agent_days,
              "phase_seconds": {k: round(v, 3) for k, v in sim.timings.items()},
              "lat": net.lat.tolist(), "lon": net.lon.tolist(),
              "kinds": [net.kinds[k] for k in net.kind]},
        route_days=rec.route_days.astype(np.float64) * scale if tracked else None,
    )
    return FinishedRun(scenario, sim, result)
