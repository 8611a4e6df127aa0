"""Python glue around the compiled day (:mod:`.day`): packing the world, cutting a run into
blocks of days, the stocks' running totals between blocks, timings.

A run is cut into blocks of days that share the levers, the month and the year; the block's
new people are drawn beforehand (departures' aggregate counts). Each day is three compiled
calls: :func:`.day.begin_day` (new people), the fused pass over those due (sleepers skipped),
in equal parts on the threads, and :func:`.day.end_day` (the coupled mechanisms, the record).
When the levers change, everyone asleep wakes (:func:`.mechanisms.calendar.wake_all`).

``CORRIDOR_SCHEDULE=daily`` (or ``CompiledDay(sim, sleep=False)``) has everyone due every day:
the per-day design, for comparison (same law, other draws; slower).

Timings: a block runs the phases together, so one day in ``PHASE_SAMPLE_EVERY`` runs them
one pass at a time (same results) to measure each phase's share; the blocks' time is split by
those shares.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numba
import numpy as np

from ...engine import Simulation
from . import day
from .mechanisms import asylum, calendar, departures
from .mechanisms import us_interior as interior
from .person import FLAG_ADMITTED, FLAG_CANDIDATE
from .world import INDICATOR_IDS, STREAM_IDS, STREAMS, Params, World, agents_of, pack_params

__all__ = ["CompiledDay", "PHASE_SAMPLE_EVERY", "SCHEDULES", "schedule_from_env"]

PARALLEL_MIN = 8192          # fewer people than this: one thread (handing out parts costs more than it saves)
PHASE_SAMPLE_EVERY = 32      # one day in this many runs phase by phase (for per-phase timings)
assert [m.name for m in day.PASS[-2:]] == ["record", "calendar"], \
    "the record step and the calendar's plan end the pass (the coupled steps run before them)"
SCHEDULES = ("events", "daily")     # people sleep between events; everyone every day (the per-day design)


def schedule_from_env() -> bool:
    """Whether people sleep between events: ``CORRIDOR_SCHEDULE`` (``events``, the default, or
    ``daily``)."""
    value = os.environ.get("CORRIDOR_SCHEDULE", "events").strip().lower() or "events"
    if value not in SCHEDULES:
        from ...errors import UserInputError
        raise UserInputError(f"CORRIDOR_SCHEDULE={value!r} is not a schedule", at="CORRIDOR_SCHEDULE",
                             expected=" or ".join(SCHEDULES))
    return value == "events"


def people_arrays(people: departures.NewPeople | None) -> tuple:
    """New people as the compiled day takes them (``day.add_rows``), with fixed dtypes."""
    if people is None:
        return np.zeros(0, np.int64), np.zeros(0, np.int16), np.zeros(0, np.int8), np.zeros(0, np.int64)
    return (people.nationality.astype(np.int64), people.origin.astype(np.int16), people.caravan,
            people.uid.astype(np.int64))


class CompiledDay:
    """Runs the corridor model's days with the compiled kernels (see the module docstring)."""

    name = "compiled"

    def __init__(self, sim: Simulation, *, phase_sample_every: int = PHASE_SAMPLE_EVERY,
                 sleep: bool | None = None) -> None:
        self.base_keys = np.array([sim.streams.key(name) for name in STREAMS], dtype=np.uint64)
        rec = sim.recorder
        threads = numba.config.NUMBA_NUM_THREADS     # count buffers: one per thread a pass can use
        self.counts = np.zeros((threads, len(rec.indicators), rec.n_nat, rec.n_loc), dtype=np.int32)
        self.flows = np.zeros((threads, sim.network.n_routes), dtype=np.int64)
        self.phase_sample_every = max(int(phase_sample_every), 1)
        # seconds per phase on the days run phase by phase: the shares by which fused time is split
        self._sampled = {name: 0.0 for name in (*(m.name for m in day.PASS), interior.MECHANISM.name)}
        self._version: object = None
        self._params: Params | None = None
        self.pool = interior.InteriorPool(len(sim.nationalities))
        self.sleep = schedule_from_env() if sleep is None else bool(sleep)
        self.held = np.zeros((day.STOCK_ROWS.size, rec.n_nat, rec.n_loc), dtype=np.int64)  # stocks now
        self.scratch = np.zeros(rec.data.shape[1:], dtype=rec.data.dtype)   # the record of a day not kept
        self.events = 0                   # person-days processed (the people due, day after day)

    def params(self, sim: Simulation) -> Params:
        """The compiled parameters for the levers in force (repacked when they change; then
        everyone asleep wakes, caught up under the levers they slept under)."""
        version = sim.levers.version
        if self._params is None or self._version != version:
            params = pack_params(sim.levers, sim.world.places)
            if self._params is not None and self.sleep and not _same(params, self._params):
                old = World(agents_of(sim.agents), self._params, sim.world.places, STREAM_IDS, INDICATOR_IDS)
                with _hashing():
                    calendar.wake_all(sim.live_slots(), old, sim.tick)
            self._params = params
            self._version = version
        return self._params

    def world(self, sim: Simulation) -> World:
        return World(agents_of(sim.agents), self.params(sim), sim.world.places, STREAM_IDS, INDICATOR_IDS)

    def step(self, sim: Simulation, tick: int) -> None:
        """One day: a compiled block of one day, or on sampled days phase by phase."""
        with _hashing():
            if tick % self.phase_sample_every:
                self._run_block(sim, tick, tick + 1)
            else:
                self._day_phase_by_phase(sim, tick)

    def _day_phase_by_phase(self, sim: Simulation, tick: int) -> None:
        """One day with each per-person rule a pass of its own, timed; the record step (and the
        calendar's plan) comes after the coupled mechanisms. Same results as a compiled day."""
        timings, clock = sim.timings, time.perf_counter
        a, rec = sim.agents, sim.recorder
        recording = tick >= rec.first_tick
        self._fit_buffers()
        t0 = clock()
        sim.tick = tick
        keys = day.day_keys(self.base_keys, tick)
        out = departures.new_people_days(sim, tick, tick + 1)
        new = 0 if out is None else int(out[1][-1])
        a.reserve(new)
        w = self.world(sim)
        first = a.n
        if new:
            day.add_rows(w.agents, first, people_arrays(out[0]), 0, new, tick)
            a.commit(first + new)
            day.new_people(first, a.n, w, keys, self.counts[0], recording, tick)
        today = sim.live_slots()
        wake_at = day.wake_days(today, w.agents.wake)
        # not a share: a day's departures can be one-off (a crowd leaving on day 0) and would
        # then weigh on every block
        _add(timings, "departures", clock() - t0)

        flags = np.zeros(today.size, dtype=np.uint8)
        for m in day.PASS[:-2]:
            t = clock()
            self._pass(today, wake_at, day.PHASE_BIT[m.name], w, keys, flags, recording, tick, first)
            self._time(timings, m.name, clock() - t)
        t2 = clock()

        d = day.Day(keys, self.counts[0], self.flows[0], flags, recording, tick, self.sleep)
        cands = day.flagged(today, flags, FLAG_CANDIDATE)
        if cands.size:
            capacity, u = asylum.daily_capacity(sim, tick, tick + 1)
            n_done = asylum.decisions_today(cands.size, capacity, u[0])
            if n_done:
                asylum.decide(cands, n_done, w, d, False)
        t3 = clock()
        self._time(timings, "asylum", t3 - t2)

        entrants = day.flagged(today, flags, FLAG_ADMITTED)
        if self.pool.room() < entrants.size:
            self.pool.grow(int(self.pool.size.max(initial=0)) + entrants.size)
        cum, thr, slot, size = self.pool.arrays()
        interior.admit(entrants, w, d, cum, thr, slot, size)
        revived = interior.arrest_and_remove(w, d, cum, thr, slot, size, False)
        t4 = clock()
        self._time(timings, interior.MECHANISM.name, t4 - t3)

        events = day.seen(flags)
        if revived.size:      # back in the simulation: their record step and plan now (due today)
            w.agents.wake[revived] = tick
            everyone, wake_at = day.merge_sorted(today, wake_at, revived, w.agents.wake)
            flags = np.zeros(everyone.size, dtype=np.uint8)     # (the end-of-day phases set none)
            events += everyone.size - today.size
        else:
            everyone = today
        for m in day.PASS[-2:]:
            t = clock()
            self._pass(everyone, wake_at, day.PHASE_BIT[m.name], w, keys, flags, recording, tick, first)
            self._time(timings, m.name, clock() - t)
        t4 = clock()
        day.reduce_counts(self.counts, self.flows, rec.data[tick - rec.first_tick] if recording else self.scratch,
                          rec.route_days[tick - rec.first_tick] if recording else rec.route_scratch, self.held)
        self.scratch[...] = 0
        rec.route_scratch[:] = 0
        sim.agent_days += int(everyone.size)
        self.events += int(events)
        sim._live = (day.compact(everyone, wake_at, a.live)[0], a.n, tick + 1)     # who is still in tomorrow
        self._time(timings, "calendar", clock() - t4)

    def _time(self, timings: dict[str, float], name: str, seconds: float) -> None:
        _add(timings, name, seconds)
        self._sampled[name] += seconds

    def run(self, sim: Simulation, progress: Callable[[int, int], None] | None = None) -> None:
        """The whole run: blocks of days between two changes (of the levers, the month or the
        year), their new people drawn at once, except the days sampled for the per-phase timings."""
        with _hashing():
            self._run(sim, progress)

    def _run(self, sim: Simulation, progress: Callable[[int, int], None] | None) -> None:
        n_ticks = sim.n_ticks
        levers = [sim.schedule.at(t) for t in range(n_ticks)]
        tick = 0
        while tick < n_ticks:
            if tick % self.phase_sample_every == 0:
                sim.step(tick)                                  # phase by phase, timed
                end = tick + 1
            else:
                key = self._block_key(sim, tick, levers[tick])
                end = tick + 1
                while end < n_ticks and end % self.phase_sample_every and \
                        self._block_key(sim, end, levers[end]) == key:
                    end += 1
                sim.levers = levers[tick]
                self._run_block(sim, tick, end)
            if progress is not None:
                progress(end, n_ticks)
            tick = end

    @staticmethod
    def _block_key(sim: Simulation, tick: int, levers) -> tuple:
        date = sim.date(tick)
        return levers.version, date.year, date.month

    def _run_block(self, sim: Simulation, t0: int, t1: int) -> int:
        """Days ``t0..t1-1`` (the levers, month and year unchanged); returns ``t1``."""
        t_start = time.perf_counter()
        a, rec = sim.agents, sim.recorder
        self._fit_buffers()
        sim.tick = t0
        out = departures.new_people_days(sim, t0, t1)
        people = people_arrays(None if out is None else out[0])
        day_start = np.zeros(t1 - t0 + 1, dtype=np.int64) if out is None else out[1]
        a.reserve(int(day_start[-1]))
        w = self.world(sim)
        capacity, capacity_u = asylum.daily_capacity(sim, t0, t1)
        live = sim.live_slots()
        wake_at = day.wake_days(live, w.agents.wake)
        for tick in range(t0, t1):
            lo, hi = int(day_start[tick - t0]), int(day_start[tick - t0 + 1])
            if self.pool.room() < live.size + hi - lo:        # everyone could enter the US today
                self.pool.grow(self.pool.thr.shape[1] - self.pool.room() + live.size + hi - lo)
            first = a.n
            keys, today, wake_at = day.begin_day(tick, first, live, wake_at, people, lo, hi, w.agents,
                                                 self.base_keys)
            a.commit(first + hi - lo)
            recording = tick >= rec.first_tick
            flags = np.zeros(today.size, dtype=np.uint8)
            self._pass(today, wake_at, day.ALL_PHASES, w, keys, flags, recording, tick, first, entry=True)
            k = tick - rec.first_tick
            live, wake_at, agent_days, events = day.end_day(
                today, wake_at, flags, w, keys, self.counts, self.flows, recording, tick, self.sleep, capacity,
                capacity_u[tick - t0], self.pool.arrays(), rec.data[k] if recording else self.scratch,
                rec.route_days[k] if recording else rec.route_scratch, self.held)
            sim.agent_days += int(agent_days)
            self.events += int(events)
        sim.tick = t1 - 1
        sim._live = (live, a.n, t1)
        # the block ran every phase at once: its time is shared as on the days run phase by phase
        seconds, total = time.perf_counter() - t_start, sum(self._sampled.values()) or 1.0
        for name, share in self._sampled.items():
            _add(sim.timings, name, seconds * share / total)
        return t1

    def _fit_buffers(self) -> None:
        if self.counts.shape[0] < numba.config.NUMBA_NUM_THREADS:      # e.g. unpickled elsewhere
            self.counts = np.zeros((numba.config.NUMBA_NUM_THREADS, *self.counts.shape[1:]), dtype=np.int32)
            self.flows = np.zeros((numba.config.NUMBA_NUM_THREADS, self.flows.shape[1]), dtype=np.int64)

    def _pass(self, slots, wake_at, phases, w, keys, flags, recording, tick, new_from, entry=False) -> None:
        """One pass of ``phases`` over those of ``slots`` due today (``wake_at``: their wake
        days; people from slot ``new_from`` on left home today: ``entry``, their departure
        draws in this pass, else made already). With more than :data:`PARALLEL_MIN` people and
        more than one thread, each thread takes a part with as many people due (and its own
        count buffers)."""
        args = (phases, w.agents, w.params, w.places, keys)
        rest = (flags, recording, tick, self.sleep, np.uint64(new_from), entry)
        threads = numba.get_num_threads()
        # plain Python (NUMBA_DISABLE_JIT) holds the GIL: threads would gain nothing
        if threads == 1 or slots.size <= PARALLEL_MIN or numba.config.DISABLE_JIT:
            day.pass_chunk(0, slots.size, slots, wake_at, *args, self.counts[0], self.flows[0], *rest)
            return
        cuts = day.due_cuts(wake_at, tick, threads)
        others = [_threads(threads - 1).submit(day.pass_chunk, int(cuts[t]), int(cuts[t + 1]), slots, wake_at, *args,
                                               self.counts[t], self.flows[t], *rest) for t in range(1, threads)]
        try:
            day.pass_chunk(0, int(cuts[1]), slots, wake_at, *args, self.counts[0], self.flows[0], *rest)  # this thread
        finally:                                     # never leave a part running past the pass
            for job in others:
                job.result()


@functools.cache
def _threads(n: int) -> ThreadPoolExecutor:
    """The threads that run a pass's other parts (the pass releases the GIL)."""
    return ThreadPoolExecutor(max_workers=n, thread_name_prefix="corridor-pass")


# a forked child has none of its parent's threads: it must make its own pool, not wait on a dead one
os.register_at_fork(after_in_child=_threads.cache_clear)


def _same(a: Params, b: Params) -> bool:
    """Whether two sets of compiled parameters are equal (a policy that changes nothing wakes
    nobody, so it leaves the results as they were)."""
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def _hashing():
    """The draws' 64-bit hashing overflows by design: silent in the plain-Python reference
    (``NUMBA_DISABLE_JIT=1``), where numpy would warn on every integer scalar overflow."""
    return np.errstate(over="ignore")


def _add(timings: dict[str, float], name: str, dt: float) -> None:
    timings[name] = timings.get(name, 0.0) + dt
