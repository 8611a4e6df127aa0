"""The compiled backend's driver: Python glue around the kernels of :mod:`.core`.

A run is cut into blocks of days that share the levers, the month and the year; each block
is one call of :func:`.core.run_days`, which does per day (same phase order and same results
as the numpy processes):

1. departures: the block's new people are drawn beforehand (scipy's Poisson quantile, shared
   with the numpy path) and written into the agent table day by day;
2. one pass over the people in the corridor (:func:`.core.day_pass`, parallel when there
   are many): new people's draws, second tries, movement, enforcement, predation, asylum
   applications, the border, and the day's record step (stocks, timers, days in status);
3. the asylum queue (:func:`.core.asylum_decide`) and US interior enforcement
   (:func:`.core.interior_admit`, :func:`.core.interior_step`: a heap per nationality);
   the few people they change get their record step redone;
4. the per-thread counts are added to the day's record, and the index of people still in
   the simulation is compacted for the next day.

Timings: a block runs the phases together, so one day in ``PHASE_SAMPLE_EVERY`` runs them
one pass at a time from Python (same results) to measure each phase's share; the blocks'
time is split by those shares.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numba
import numpy as np

from ....engine import Simulation
from ..departures import add_people, new_people, new_people_days
from ..movement import MAX_LEGS_PER_DAY, current_dynamic
from . import core

__all__ = ["CompiledDay", "CHUNK", "PHASE_SAMPLE_EVERY"]

CHUNK = 2048                 # people per parallel work item
PARALLEL_MIN = 4 * CHUNK     # fewer people than this: one thread (a parallel region costs more than it saves)
NOBODY_NEW = np.uint64(2**63)   # new_from for passes after init_people has run
PHASE_SAMPLE_EVERY = 32      # one day in this many runs phase by phase (for per-phase timings)
COLUMNS = ("live", "status", "days_in_status", "loc", "route", "progress", "uid", "nationality", "group",
           "documents", "caravan", "origin", "attempts", "money", "timer", "mode", "applied_asylum",
           "card_days", "exposure_detect", "exposure_prey")

assert MAX_LEGS_PER_DAY == core.MAX_LEGS_PER_DAY


def _normalised_cum(prob: np.ndarray) -> np.ndarray:
    """The cumulative weights common.chosen compares a draw with (same operations)."""
    cum = np.cumsum(prob, axis=-1)
    total = cum[..., -1:]
    return np.ascontiguousarray(np.divide(cum, total, out=np.zeros_like(cum), where=total > 0))


def mode_tables(allows: np.ndarray, weight: np.ndarray, min_money: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """movement._start_legs' mode choice, tabulated: the sorted distinct money thresholds, and
    for each route and each number of thresholds reached, the cumulative weights common.chosen
    compares the draw with (the same operations as the numpy path, so the same doubles)."""
    levels = np.unique(min_money)
    rank = np.searchsorted(levels, min_money)            # a mode is affordable at level L if rank < L
    weight_r = allows * weight[None, :]                  # allowed * mode_weight
    fallback = weight_r + allows * 1e-9                  # nothing affordable: any allowed mode
    out = np.empty((allows.shape[0], levels.size + 1, weight.size))
    for level in range(levels.size + 1):
        can_pay = weight_r * (rank < level)[None, :]
        w = np.where(can_pay.sum(axis=1, keepdims=True) > 0, can_pay, fallback)
        out[:, level, :] = _normalised_cum(w)
    return levels, out


def _days(x) -> int:
    return int(round(float(x)))


def pack_parameters(sim: Simulation) -> tuple[tuple, tuple]:
    """The arrays the kernels read, for the levers in force: (network, parameters)."""
    p, ctx, net = sim.params, sim.context, sim.network
    st, dyn = ctx["static"], current_dynamic(sim)
    f64, i64 = np.float64, np.int64

    ps = np.zeros(core.N_PS)
    ps[core.P_CARAVAN_MOVE] = float(p.caravan_move_probability)
    ps[core.P_CARAVAN_DETECTION] = float(p.caravan_detection_factor)
    ps[core.P_CARAVAN_PREDATION] = float(p.predation_caravan_factor)
    ps[core.P_CARAVAN_VISA] = float(p.caravan_visa_probability)
    ps[core.P_EXTORTION] = float(p.official_extortion_probability)
    ps[core.P_COLLUSION] = float(p.collusion_kidnap_probability)
    ps[core.P_MINOR_CARE] = float(p.minor_care_probability)
    ps[core.P_FAMILY_SEPARATION] = float(p.family_separation_probability)
    ps[core.P_DEPORTATION_SHARE] = float(p.deportation_share)
    ps[core.P_KIDNAP_DEATH] = float(p.kidnap_death_probability)
    ps[core.P_CARAVAN_ASYLUM] = float(p.caravan_asylum_apply_probability)
    ps[core.P_ASYLUM_MIN_DAYS] = float(p.asylum_min_days)
    ps[core.P_ABANDON] = float(p.asylum_abandon_per_day)
    ps[core.P_STAY] = float(p.asylum_stay_after_grant)
    ps[core.P_US_DEATH] = float(p.us_crossing_death_probability)
    ps[core.P_APPREHENSION_PER_KM] = float(p.apprehension_per_extra_km)
    ps[core.P_MPP_SHARE] = float(p.mpp_share)
    ps[core.P_MONEY_SIGMA] = float(p.money_sigma)
    ps[core.P_KEEP_AFTER_ROBBERY] = float(np.float32(1.0 - float(p.robbery_loss_fraction)))

    pi = np.zeros(core.N_PI, dtype=i64)
    pi[core.I_NORTH_WAIT] = _days(p.north_wait_days)
    pi[core.I_DETENTION_DAYS] = _days(p.detention_days)
    pi[core.I_KIDNAP_DAYS] = _days(p.kidnap_days)
    pi[core.I_RETRY_WAIT_MX] = _days(p.retry_wait_days_mx)
    pi[core.I_MPP_WAIT] = _days(p.mpp_wait_days)
    pi[core.I_EXPULSION_DAYS] = _days(p.expulsion_days)
    pi[core.I_CARD_DAYS] = _days(p.visitor_card_validity_days)
    pi[core.I_SOUTH_LOCATION] = int(p.us_removal_south_location)
    pi[core.I_MEXICAN] = st.mexican
    pi[core.I_ZONE_SOUTH] = ctx["zone_south"]
    pi[core.I_ZONE_NORTH] = ctx["zone_north"]

    by_nat = {
        core.N_VISA: p.visa_share, core.N_MONEY_MEDIAN: p.money_median_usd,
        core.N_RETRY_MX: p.retry_after_mx_deportation, core.N_RETRY_US: p.retry_after_us_return,
        core.N_TRANSIT_DOC: p.transit_document_share, core.N_VISITOR_CARD: p.visitor_card_share,
        core.N_PREY_NAT: p.predation_nationality_factor, core.N_ASYLUM_APPLY: p.asylum_apply_probability,
        core.N_RECOGNITION: p.asylum_recognition_rate, core.N_US_APPREHENSION: p.us_apprehension_probability,
        core.N_US_CLAIM: p.us_asylum_claim_probability, core.N_US_GRANT: p.us_asylum_grant_probability,
        core.N_US_RETURN: p.us_return_to_border_share, core.N_REMOVAL_SOUTH: p.us_removal_to_south_mexico_share,
        core.N_ARREST_PER_YEAR: p.us_interior_arrest_per_year, core.N_US_REMOVAL: p.us_removal_probability,
        core.N_CONSULAR: p.consular_defence_factor,
    }
    pn = np.stack([np.asarray(by_nat[k], dtype=f64) for k in range(core.N_PN)])
    pni = np.stack([np.asarray(p.deportation_destination).astype(i64),
                    np.round(np.asarray(p.retry_wait_days_us)).astype(np.int16).astype(i64)])
    pz = np.stack([np.asarray(x, dtype=f64) for x in (p.transit_stop_per_day, p.daily_move_probability,
                                                      p.mx_detection_waiting_per_day, p.predation_waiting_per_day)])
    pd = np.stack([np.asarray(p.detection_document_factor, dtype=f64),
                   np.asarray(p.predation_document_factor, dtype=f64)])
    c = np.ascontiguousarray
    levels, mode_cum = mode_tables(st.route_allows, np.asarray(p.mode_weight, dtype=f64),
                                   np.asarray(p.mode_min_money_usd, dtype=f64))
    par = (ps, pi, c(pn), c(pni), c(pz), c(pd), c(np.asarray(p.predation_group_factor, dtype=f64)),
           c(np.asarray(p.mode_weight, dtype=f64)), c(levels),
           c(np.asarray(p.visitor_card_region, dtype=f64)), c(np.asarray(p.crossing_extra_km, dtype=f64)),
           _normalised_cum(np.asarray(p.group_share, dtype=f64)),
           _normalised_cum(np.asarray(p.predation_outcome_share, dtype=f64)))
    netw = (c(st.zone_of.astype(i64)), c(st.in_mexico.astype(bool)), c(st.is_border_city.astype(bool)),
            c(st.is_asylum_office.astype(bool)), c(st.entry_route.astype(bool)), c(st.route_allows.astype(bool)),
            c(st.crossing_route.astype(i64)), c(net.km.astype(f64)), c(net.dst.astype(i64)),
            c(net.region.astype(i64)), c(dyn.route_cum.astype(f64)), c(dyn.has_route.astype(bool)),
            c(dyn.last_route.astype(i64)), c(dyn.speed.astype(f64)), c(dyn.detect.astype(f64)),
            c(dyn.prey.astype(f64)), c(net.indptr.astype(i64)), c(mode_cum))
    return netw, par


class CompiledDay:
    """Runs one day of the corridor model with the compiled kernels (see the module docstring)."""

    name = "compiled"

    def __init__(self, sim: Simulation, *, phase_sample_every: int = PHASE_SAMPLE_EVERY) -> None:
        self.base_keys = np.array([sim.streams.key(name) for name in core.STREAMS], dtype=np.uint64)
        rec = sim.recorder
        threads = numba.config.NUMBA_NUM_THREADS     # thread ids in parallel regions are below this
        self.counts = np.zeros((threads, len(rec.indicators), rec.n_nat, rec.n_loc), dtype=np.int32)
        self.flows = np.zeros((threads, sim.network.n_routes), dtype=np.int64)
        self.phase_sample_every = max(int(phase_sample_every), 1)
        # seconds per phase on the days run phase by phase: the shares by which fused time is split
        self._sampled = {name: 0.0 for name in (*(n for n, _ in core.PASS_PHASES), "interior", "record")}
        self._version: object = None
        self._packed: tuple[tuple, tuple] | None = None
        # US interior enforcement: cumulative hazard and a min-heap of arrest thresholds per nationality
        n_nat = len(sim.nationalities)
        self.cum_hazard = np.zeros(n_nat)
        self.heap_thr = np.zeros((n_nat, 4096))
        self.heap_slot = np.zeros((n_nat, 4096), dtype=np.int64)
        self.heap_n = np.zeros(n_nat, dtype=np.int64)

    def _parameters(self, sim: Simulation) -> tuple[tuple, tuple]:
        version = sim.levers.version
        if self._packed is None or self._version != version or sim.context.get("dynamic_version") != version:
            self._packed = pack_parameters(sim)
            self._version = version
        return self._packed

    def step(self, sim: Simulation, tick: int) -> None:
        """One day: a compiled block of one day, or on sampled days phase by phase."""
        if tick % self.phase_sample_every:
            self._run_block(sim, tick, tick + 1)
        else:
            self._day_phase_by_phase(sim, tick)

    def _day_phase_by_phase(self, sim: Simulation, tick: int) -> None:
        """One day with each phase a pass of its own, timed (the shares by which the time of
        compiled blocks is split); the record step comes after the queue and the interior, as
        the numpy processes do. Same results as a compiled day."""
        timings, clock = sim.timings, time.perf_counter
        a, rec = sim.agents, sim.recorder
        recording = tick >= rec.first_tick
        self._fit_buffers()
        t0 = clock()
        netw, par = self._parameters(sim)
        keys = core.day_keys(self.base_keys, tick)
        people = new_people(sim, tick)
        if people is not None:
            first = a.n
            add_people(sim, people)
            core.init_people(first, a.n, self._columns(a), par, keys, self.counts[0], recording)
        cols = self._columns(a)
        live = sim.live_slots()
        t1 = clock()
        # not a share: a day's departures can be one-off (a crowd leaving on day 0) and would
        # then weigh on every block
        _add(timings, "departures", t1 - t0)

        flags = np.zeros(live.size, dtype=np.uint8)
        parallel = live.size > PARALLEL_MIN and numba.get_num_threads() > 1
        for name, bit in core.PASS_PHASES:
            t = clock()
            self._pass(parallel, live, bit, cols, netw, par, keys, flags, recording)
            self._time(timings, name, clock() - t)
        t2 = clock()

        # the asylum queue: oldest cases first, a daily capacity (asylum._decide)
        cands = core.flagged(live, flags, core.FLAG_CANDIDATE)
        if cands.size:
            capacity = float(sim.params.asylum_decisions_per_day) * sim.context["population_scale"]
            whole = int(capacity)
            extra = False
            if cands.size > whole and capacity - whole > 0:
                extra = sim.streams.generator("asylum_capacity", tick).random() < capacity - whole
            n_done = min(cands.size, whole + int(extra))
            if n_done:
                core.asylum_decide(cands, n_done, cols, netw, par, keys, self.counts[0], recording, False)
        t3 = clock()
        self._time(timings, "asylum", t3 - t2)

        # US interior enforcement: today's entrants, then today's arrests and removals
        entrants = core.flagged(live, flags, core.FLAG_ADMITTED)
        if self.heap_n.max(initial=0) + entrants.size > self.heap_thr.shape[1]:
            self._grow_heaps(self.heap_n.max(initial=0) + entrants.size)
        core.interior_admit(entrants, cols, keys, self.cum_hazard, self.heap_thr, self.heap_slot, self.heap_n)
        revived = core.interior_step(self.cum_hazard, self.heap_thr, self.heap_slot, self.heap_n, cols, par, keys,
                                     self.counts[0], recording, netw[0], live, False)
        everyone = core.merge_sorted(live, revived) if revived.size else live
        t4 = clock()
        self._time(timings, "interior", t4 - t3)

        # record: stocks, timers, days in status
        self._pass(parallel, everyone, core.PH_RECORD, cols, netw, par, keys, flags, recording)
        if recording:
            core.reduce_counts(self.counts, self.flows, rec.data[tick - rec.first_tick], rec.route_flows)
        sim.agent_days += int(everyone.size)
        sim._live = (core.compact(everyone, cols[0]), a.n, tick + 1)     # who is still in tomorrow
        self._time(timings, "record", clock() - t4)

    def _time(self, timings: dict[str, float], name: str, seconds: float) -> None:
        _add(timings, name, seconds)
        self._sampled[name] += seconds

    def run(self, sim: Simulation, progress: Callable[[int, int], None] | None = None) -> None:
        """The whole run: the days between two changes (of the levers, the month or the year)
        in one compiled call each (:func:`.core.run_days`), except the days sampled for the
        per-phase timings, which :meth:`step` runs."""
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
        """Days ``t0..t1-1`` in compiled calls; returns ``t1``."""
        t_start = time.perf_counter()
        a, rec = sim.agents, sim.recorder
        self._fit_buffers()
        netw, par = self._parameters(sim)
        out = new_people_days(sim, t0, t1)
        if out is None:
            people = (np.zeros(0, np.int64), np.zeros(0, np.int16), np.zeros(0, np.int8), np.zeros(0, np.int64))
            day_start = np.zeros(t1 - t0 + 1, dtype=np.int64)
        else:
            p, day_start = out
            people = (p.nationality.astype(np.int64), p.origin.astype(np.int16), p.caravan, p.uid.astype(np.int64))
        a.reserve(int(day_start[-1]))
        cols = tuple(a.storage(name) for name in COLUMNS)
        capacity = float(sim.params.asylum_decisions_per_day) * sim.context["population_scale"]
        capacity_u = np.zeros(t1 - t0)
        if capacity - int(capacity) > 0:
            capacity_u = np.array([sim.streams.generator("asylum_capacity", t).random() for t in range(t0, t1)])
        sim.tick = t0
        live = sim.live_slots()
        parallel = numba.get_num_threads() > 1
        tick, n = t0, a.n
        while tick < t1:
            first = int(day_start[tick - t0])
            tick_next, n, live, agent_days = core.run_days(
                tick, t1, rec.first_tick, n, live, tuple(x[first:] for x in people), day_start[tick - t0:] - first,
                cols, netw, par, self.base_keys, self.counts, self.flows, rec.data, rec.route_flows,
                self.cum_hazard, self.heap_thr, self.heap_slot, self.heap_n, capacity, capacity_u[tick - t0:],
                CHUNK, PARALLEL_MIN, parallel)
            a.commit(n)
            sim.agent_days += int(agent_days)
            if tick_next < t1:                               # the interior heaps need more room
                self._grow_heaps(int(self.heap_n.max(initial=0)) + live.size + int(day_start[-1] - day_start[0]))
            tick = tick_next
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

    def _pass(self, parallel, live, phases, cols, netw, par, keys, flags, recording) -> None:
        if parallel:
            core.day_pass(live, CHUNK, phases, cols, netw, par, keys, self.counts, self.flows, flags, recording,
                          NOBODY_NEW)
        else:
            core._chunk(0, live.size, live, phases, cols, netw, par, keys, self.counts[0], self.flows[0], flags,
                        recording, NOBODY_NEW)

    def _grow_heaps(self, need: int) -> None:
        cap = self.heap_thr.shape[1]
        cap = max(int(need), cap + cap // 2)        # x1.5, like the agent table: amortised O(1), little slack
        for name in ("heap_thr", "heap_slot"):
            old = getattr(self, name)
            new = np.empty((old.shape[0], cap), dtype=old.dtype)
            new[:, : old.shape[1]] = old
            setattr(self, name, new)

    @staticmethod
    def _columns(a) -> tuple:
        return tuple(a.column(name) for name in COLUMNS)


def _add(timings: dict[str, float], name: str, dt: float) -> None:
    timings[name] = timings.get(name, 0.0) + dt


def warm_up() -> None:
    """Load the kernels from Numba's cache, or compile them the first time after installing
    (about 3 minutes): a three-day run of the default scenario at a thousandth of its size."""
    from ....scenario.loader import load_scenario, scenario_from_dict
    from ..model import build_simulation

    data = load_scenario().canonical()
    data.update(population_scale=0.001, spin_up_days=2, end=data["start"])
    sim = build_simulation(scenario_from_dict(data), backend="numba")
    sim.run()
    # the parallel pass is called from Python only on sampled days with many people, which this
    # small world never has: load (or compile) it too, on an empty list
    day = sim.runner
    netw, par = day._parameters(sim)
    day._pass(True, np.zeros(0, dtype=np.int64), core.PH_RECORD, day._columns(sim.agents), netw, par,
              core.day_keys(day.base_keys, 0), np.zeros(0, dtype=np.uint8), False)
