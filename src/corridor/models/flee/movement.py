"""Daily location scores, the closures process and movement (phases ``closures``, ``movement``).

Scores and move chances are arrays over locations, recomputed each day in numpy; route
candidates are re-enumerated only when the set of open links changes; the agents' moves
run in the compiled kernel (:mod:`.kernels`). Camps are sinks when ``camps_are_sinks`` is
set: an agent resting in a camp settles there with the camp's ``deactivation_probability``
per day, stays counted in the camp (as in Flee, whose deactivated agents keep counting)
and never moves again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ...rng_kernels import day_keys
from .kernels import N_DRAWS as _N_DRAWS
from .kernels import SETTLED, flee_day, wait_days

if TYPE_CHECKING:
    from ...engine import Simulation
    from .model import FleeWorld

__all__ = ["Closures", "Movement", "Record"]


class Closures:
    """Apply the day's closures (phase ``closures``): links closed by the engine's levers,
    agents on a link that closes under them, and camps opened or closed."""

    name = "closures"

    def step(self, sim: Simulation, tick: int) -> None:
        w: FleeWorld = sim.world
        assert sim.levers is not None
        s = w.settings
        for tg in w.camp_toggles.get(tick, ()):
            w.camp[tg.location] = tg.to_camp
            w.town[tg.location] = not tg.to_camp
            w.conflict[tg.location] = -1.0
            if tg.to_camp:
                w.movechance_base[tg.location] = s.idpcamp_movechance if tg.idp else s.camp_movechance
            else:
                w.movechance_base[tg.location] = s.default_movechance
        route_open = sim.levers.route_open
        if not np.array_equal(route_open, w.link_open):
            closing = w.link_open & ~route_open
            if closing.any():
                a = sim.agents
                on_link = a.route >= 0
                hit = np.flatnonzero(on_link)
                hit = hit[closing[a.route[hit]]]
                a.bounced[hit] = True
            w.link_open = route_open.copy()
            w.enumerate_routes()


class Movement:
    """Scores, move chances, route weights, then the compiled day of moves (phase ``movement``)."""

    name = "movement"

    def step(self, sim: Simulation, tick: int) -> None:
        w: FleeWorld = sim.world
        s = w.settings
        a = sim.agents
        if s.awareness_level == 0 and s.awareness_zero == "flee":
            return   # Flee 3.1: the planned route is a link index, never matched: nobody moves
        score = np.ones(w.n_locations)
        score = np.where(w.foreign, score * s.foreign_weight, score)
        score = np.where(w.camp, score * s.camp_weight, score)
        decay = s.conflict_decays(tick - w.time_of_conflict)
        score = np.where(w.conflict > 0.0, score * s.conflict_weight ** (decay * np.maximum(w.conflict, 0.0)), score)
        pop = w.pop.astype(np.float64)
        if s.children_avoid_hazards:   # one row per demographic group: score, score squared, 1
            cand_w = np.stack([w.routes.weights(s, base, w.camp, w.conflict, pop, w.home_km)
                               for base in (score, score * score, np.ones_like(score))])
        else:
            cand_w = w.routes.weights(s, score, w.camp, w.conflict, pop, w.home_km)[None, :]
        size = np.maximum(w.pop, w.capacity).astype(np.float64)
        movechance = np.minimum(w.movechance_base * (size / s.movechance_pop_base) ** s.movechance_pop_scale_factor,
                                1.0)
        with np.errstate(divide="ignore"):
            log_stay = np.log1p(-movechance)
        resting = a.route < 0
        changed = movechance != w.prev_movechance if w.prev_movechance.size else np.zeros(movechance.size, bool)
        w.prev_movechance = movechance
        if changed.any():
            # a location's move chance changed: re-time the people resting there, from today
            hit = np.flatnonzero(resting[: w.timed] & changed[a.loc[: w.timed]])
            if hit.size:
                u = sim.streams.uniform("wake", tick, hit, sub=1)
                a.wake[hit] = tick + wait_days(u, log_stay[a.loc[hit]]) - 1
        if a.n > w.timed:   # new agents: their first chance is today
            new = np.arange(w.timed, a.n, dtype=np.int64)
            u = sim.streams.uniform("wake", tick, new, sub=0)
            a.wake[new] = tick + wait_days(u, log_stay[a.loc[new]]) - 1
            w.timed = a.n
        ks = day_keys(np.array([w.move_key], dtype=np.uint64), tick, _N_DRAWS)[0]
        arrivals = np.zeros(w.n_locations, dtype=np.int64)
        c = w.routes.cand
        assert c is not None
        settled = flee_day(
            ks, tick, a.n, a.status, a.loc, a.route, a.progress, a.path, a.hop, a.places, a.recent, a.bounced,
            a.wake, a.age, a.male, s.children_avoid_hazards, s.boys_take_risk, s.boys_take_risk_ages == "teens",
            w.loc_num, movechance, log_stay, w.town, w.camp, w.capacity, s.capacity_buffer, w.deactivation,
            w.link_src, w.link_dst, w.link_km, w.link_speed, w.link_walk, w.link_open, w.adj_ptr,
            c.ptr, c.path, c.end, cand_w, s.awareness_level == 0, w.routes.nodes, w.routes.length,
            s.weight_power, s.max_move_speed, s.max_walk_speed, s.start_on_foot, s.avoid_short_stints,
            s.camps_are_sinks, arrivals, w.scratch)
        if settled:
            newly = np.flatnonzero((a.status == SETTLED) & a.live)
            a.live[newly] = False
        w.settled += settled
        day = tick - sim.recorder.first_tick
        if day >= 0:
            sim.recorder.data[day, w.arrivals_indicator, 0, :] += arrivals.astype(np.int32)


class Record:
    """Close the day: people at each location (phase ``record``)."""

    name = "record"

    def step(self, sim: Simulation, tick: int) -> None:
        w: FleeWorld = sim.world
        rec = sim.recorder
        day = tick - rec.first_tick
        if day >= 0:   # a stock known as one array: written directly, not counted per agent
            rec.data[day, w.agents_indicator, 0, :] = w.loc_num
        w.camp_counts[tick] = w.loc_num[w.camp_columns]
        w.total_agents[tick] = sim.agents.n
