"""Conflict zones and spawning: who becomes displaced, where, each day.

**Conflict zones** (``conflicts.csv``): a location becomes a conflict zone on the first day of a
run of positive intensities (move chance ``conflict_movechance``, intensity of that day,
its conflict clock restarts) and stops being one on the first day back at zero (it becomes
a town). Intensity changes inside a run are not applied, as in Flee. Difference: Flee 3.1
ends a conflict only if the previous day's intensity was exactly 1; Corridor ends it
whatever the intensity was. Without ``conflicts.csv``, a ``conflict_zone`` of
``locations.csv`` becomes one on its ``conflict_date`` (Flee 3.1's fallback reads the
wrong column and never does).

**Spawning from observed totals** (default): the number of new agents on day ``t`` is the
day's change in the interpolated ``total`` series, less any debt from earlier decreases;
on day 0 nobody spawns when ``insert_day0`` put the observed camp populations into the
camps. New agents are spread over conflict zones in proportion to
``population x intensity x decay(days since the conflict began)`` (a multinomial draw, the
same law as Flee's one draw per agent). As in Flee, these weights are the ones refreshed
at the end of the previous day unless a conflict zone started or ended today.

**Conflict-driven spawning** (``spawn_rules.conflict_driven_spawning``): every conflict zone
spawns ``displaced_per_conflict_day x intensity`` agents a day (``constant``),
``... x population`` (``pop_ratio``), or a Poisson number with that mean (``Poisson``).
Difference: Flee 3.1 compares ``mode.lower()`` with ``"Poisson"``, so its Poisson mode fails;
Corridor draws the Poisson numbers.

``take_from_population`` removes spawned agents from the zone's population; a zone that
runs out is an error naming it and the day, as in Flee (which stops on an assertion).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ...errors import UserInputError

if TYPE_CHECKING:
    from ...engine import Simulation
    from .demographics import Demographics
    from .model import FleeWorld

__all__ = ["Conflicts", "Spawning", "data_driven_spawns"]


def data_driven_spawns(total: np.ndarray, insert_day0: bool) -> tuple[np.ndarray, np.ndarray]:
    """New agents per day and the debt after each day, from the daily observed total."""
    n = total.size
    spawns = np.zeros(n, dtype=np.int64)
    debts = np.zeros(n, dtype=np.int64)
    debt = 0
    for t in range(n):
        diff = int(total[0]) if t == 0 else int(total[t] - total[t - 1])
        new = diff - debt
        if insert_day0 and t == 0:
            new = 0
        if new < 0:
            debt = -new
            new = 0
        elif debt > 0:
            debt = 0
        spawns[t], debts[t] = new, debt
    return spawns, debts


def give_demographics(demo: Demographics | None, sim: Simulation, slots: np.ndarray, locs: np.ndarray,
                      tick: int) -> None:
    """Draw age and gender of the agents in ``slots`` (at ``locs``), when a rule reads them."""
    if demo is None or not locs.size:
        return
    a = sim.agents
    a.age[slots], a.male[slots] = demo.draw(locs.astype(np.int64), sim.streams.uniform("demographics", tick, slots, 0),
                                            sim.streams.uniform("demographics", tick, slots, 1))


class Conflicts:
    """Start and end conflict zones on their days (phase ``conflicts``)."""

    name = "conflicts"

    def step(self, sim: Simulation, tick: int) -> None:
        w: FleeWorld = sim.world
        w.conflict_changed = False
        for loc, intensity in w.conflict_events.get(tick, ()):
            w.conflict_changed = True
            if intensity > 0:
                w.movechance_base[loc] = w.settings.conflict_movechance
                w.conflict[loc] = intensity
                w.town[loc] = False
                w.time_of_conflict[loc] = tick
            else:
                w.movechance_base[loc] = w.settings.default_movechance
                w.conflict[loc] = -1.0
                w.town[loc] = True


class Spawning:
    """Add the day's newly displaced agents (phase ``spawning``)."""

    name = "spawning"

    def __init__(self) -> None:
        self._weights: np.ndarray | None = None

    def spawn_weights(self, w: FleeWorld, time: int) -> np.ndarray:
        decay = w.settings.conflict_decays(time - w.time_of_conflict)
        weights = np.where(w.conflict > 0.0, w.pop * w.conflict * decay, 0.0)
        if not w.settings.conflict_zone_spawning_only:
            # Flee 3.1 gives non-conflict locations weight 0 either way
            weights = np.where(w.conflict > 0.0, weights, 0.0)
        return weights

    def step(self, sim: Simulation, tick: int) -> None:
        w: FleeWorld = sim.world
        s = w.settings
        n_loc = w.pop.size
        if s.conflict_driven_spawning:
            counts = np.zeros(n_loc, dtype=np.int64)
            zones = w.conflict > 0.0
            if s.conflict_spawn_mode == "constant":
                counts[zones] = (s.displaced_per_conflict_day * w.conflict[zones]).astype(np.int64)
            elif s.conflict_spawn_mode == "pop_ratio":
                counts[zones] = (s.displaced_per_conflict_day * w.pop[zones] * w.conflict[zones]).astype(np.int64)
            else:
                rng = sim.streams.generator("spawn", tick)
                counts[zones] = rng.poisson(s.displaced_per_conflict_day * w.conflict[zones])
        else:
            if self._weights is None or w.conflict_changed or tick == 0:
                self._weights = self.spawn_weights(w, tick)
            number = int(w.spawns[tick])
            counts = np.zeros(n_loc, dtype=np.int64)
            if number > 0:
                total = self._weights.sum()
                if total <= 0:
                    raise UserInputError(f"{number} people to spawn on day {tick} ({sim.date(tick)}) but no "
                                         "conflict zone has a population", where=w.layout.locations,
                                         expected="a conflict zone with a population on every day people arrive")
                rng = sim.streams.generator("spawn", tick)
                counts = rng.multinomial(number, self._weights / total)
        if counts.any():
            if s.take_from_population:
                short = (w.conflict > 0.0) & (counts > w.pop)
                if short.any():
                    i = int(np.flatnonzero(short)[0])
                    raise UserInputError(f"conflict zone {w.names[i]!r} has no population left on day {tick}",
                                         where=w.layout.locations, at=f"row {w.locations[i].line}, column population",
                                         expected="a population at least as large as the people spawned there "
                                         "(take_from_population is set)")
                w.pop = w.pop - np.where(w.conflict > 0.0, counts, 0)
            locs = np.repeat(np.arange(n_loc, dtype=np.int16), counts)
            slots = sim.agents.add(locs.size, loc=locs)
            give_demographics(w.scenario.demographics, sim, slots, locs, tick)
            w.loc_num += counts
            day = tick - sim.recorder.first_tick
            if day >= 0:
                sim.recorder.data[day, w.spawned_indicator, 0, :] += counts.astype(np.int32)
        # the weights Flee refreshes after spawning, for tomorrow
        if not s.conflict_driven_spawning:
            self._weights = self.spawn_weights(w, tick)
