"""The daily loop: one fixed phase order, the same for every run of a model.

A :class:`Simulation` owns the world (network, agents, levers, random streams,
recorder) and a list of processes. Each day it

1. sets the levers in force (``policies`` phase), then
2. runs every process's ``step(sim, tick)`` in the order the model pack declares,
3. advances day counters and closes the day's record.

A pack either lists processes whose ``step`` the engine calls (the Flee pack), or hands the
whole day to a compiled :class:`DayRunner` (the corridor pack: its mechanisms run fused, see
docs/architecture.md).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from .agents import AgentTable
from .indicators import Recorder
from .network import Network
from .policies import Levers, LeverSchedule
from .rng import RandomStreams

__all__ = ["DayRunner", "Process", "Simulation"]


class Process(Protocol):
    """One mechanism of a model, run once a day in its phase."""

    name: str

    def step(self, sim: Simulation, tick: int) -> None: ...


class DayRunner(Protocol):
    """Runs every process of one day at once (a compiled backend). It must leave the world
    exactly as the processes' ``step`` calls would, add the day's live agents to
    ``agent_days`` and advance ``days_in_status`` (what :meth:`Simulation.step` does after
    the processes), and add its times to ``timings`` under the phase names."""

    def step(self, sim: Simulation, tick: int) -> None: ...

    def run(self, sim: Simulation, progress: Callable[[int, int], None] | None) -> None:
        """Every day of the run (as many ``step`` calls would), by the backend when there is one."""


@dataclass
class Simulation:
    network: Network
    agents: AgentTable
    schedule: LeverSchedule
    streams: RandomStreams
    recorder: Recorder
    processes: Sequence[Process]
    day0: dt.date                     # date of tick 0 (start of spin-up)
    n_ticks: int
    nationalities: tuple[str, ...]
    world: Any = None                 # the pack's typed world: everything derived from the scenario
    policies_outside_run: tuple[str, ...] = ()   # policies of the scenario that fall outside the run
    most_agents: float = 0.0          # the model's upper bound on the agents the run creates (0: unknown)
    levers: Levers | None = None
    timings: dict[str, float] = field(default_factory=dict)
    tick: int = 0
    agent_days: int = 0
    runner: DayRunner | None = None   # runs whole days (None: the engine calls the processes' step)
    _live: tuple = (np.zeros(0, dtype=np.int64), 0, -1)

    @property
    def params(self) -> Any:
        assert self.levers is not None
        return self.levers.params

    def date(self, tick: int) -> dt.date:
        return self.day0 + dt.timedelta(days=int(tick))

    def live_slots(self) -> np.ndarray:
        """Slots of agents still in the simulation, in increasing order.

        Kept as a compact index refreshed once a day (plus agents added since), so daily
        processes cost O(people in the corridor), not O(everyone who ever left). Agents
        that reach a final status during the day may still be listed until the next day:
        callers select by status, and final statuses are never selected.
        """
        a = self.agents
        cached, n_cached, day = self._live
        if day != self.tick:
            cached = cached[a.live[cached]] if cached.size else cached
            day = self.tick
        if a.n > n_cached:
            cached = np.concatenate([cached, np.arange(n_cached, a.n, dtype=np.int64)])
            n_cached = a.n
        self._live = (cached, n_cached, day)
        return cached

    def step(self, tick: int) -> None:
        self.tick = tick
        self.recorder.set_tick(tick)
        t0 = time.perf_counter()
        self.levers = self.schedule.at(tick)
        self.timings["policies"] = self.timings.get("policies", 0.0) + time.perf_counter() - t0
        if self.runner is not None:
            self.runner.step(self, tick)
            return
        for proc in self.processes:
            t0 = time.perf_counter()
            proc.step(self, tick)
            self.timings[proc.name] = self.timings.get(proc.name, 0.0) + time.perf_counter() - t0
        self.end_of_day()

    def end_of_day(self) -> None:
        """After the processes: count the day's agent-days, one more day in status."""
        live = self.live_slots()
        self.agent_days += int(live.size)
        dis = self.agents.days_in_status
        # one more day in status, saturating (never wrapping) at the dtype's maximum
        dis[live] = np.minimum(dis[live], np.iinfo(dis.dtype).max - 1) + 1

    def run(self, progress: Callable[[int, int], None] | None = None) -> None:
        if self.runner is not None:
            self.runner.run(self, progress)       # a compiled backend draws a block's new people at once
            return
        for tick in range(self.n_ticks):
            self.step(tick)
            if progress is not None:
                progress(tick + 1, self.n_ticks)
