"""Compiled (Numba) kernels of the Flee model: one day of moving, in Flee's order.

Flee moves agents one after the other: first every agent at a location may set off
(``evolve``), then every agent on a link travels (``finish_travel``), possibly over several
links in one day. Capacity multipliers read the counts of the moment, so the order
matters; the kernel keeps it (slots in increasing order, two passes) and runs it
compiled. Random numbers are the engine's counter-based draws
(:func:`corridor.rng.hash_uniform`), computed by :mod:`corridor.rng_kernels`, keyed by
(stream, day, draw number, agent slot): results do not depend on anything but the seed.

Draw numbers of an agent on one day: 1 (route) in the first pass; 2, 3, ... in the second
(walking, then move chance and route at each stop); ``WAKE_STAY_DRAW`` and
``WAKE_ARRIVE_DRAW`` for the day its move chance next comes up (see :func:`flee_day`), and
``SINK_DRAW`` for settling in a camp.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ...rng_kernels import unif as _unif
from ...rng_kernels import uniform_at  # noqa: F401  (re-exported for tests)

__all__ = ["flee_day", "uniform_at", "wait_days", "N_DRAWS", "SINK_DRAW", "ACTIVE", "SETTLED", "NEVER"]

N_DRAWS = 256            # draw numbers per agent and day
SINK_DRAW = N_DRAWS - 1
WAKE_STAY_DRAW = N_DRAWS - 2     # next move chance after a failed start
WAKE_ARRIVE_DRAW = N_DRAWS - 3   # next move chance after coming to rest from a link
_MAX_MOVE_DRAW = N_DRAWS - 4
ACTIVE, SETTLED = 0, 1   # agent status codes
NEVER = 1 << 30          # wake day of someone whose move chance is 0


@njit(cache=True, inline="always")
def _wait(u: float, log_stay: float) -> int:
    """Days until a daily chance ``p`` first comes up (1 = the first day tried), from one
    uniform draw: a geometric number; ``log_stay = log(1 - p)``."""
    if log_stay == 0.0:
        return NEVER
    if log_stay == -np.inf:
        return 1
    g = 1.0 + math.floor(math.log(1.0 - u) / log_stay)
    return int(g) if g < NEVER else NEVER


@njit(cache=True)
def wait_days(u: np.ndarray, log_stay: np.ndarray) -> np.ndarray:
    """:func:`_wait` over arrays (for agents placed or re-timed outside the kernel)."""
    out = np.empty(u.size, dtype=np.int64)
    for i in range(u.size):
        out[i] = _wait(u[i], log_stay[i])
    return out


@njit(cache=True, inline="always")
def _cap(capacity: float, count: float, buffer: float) -> float:
    """Flee's capacity multiplier: 1 below buffer x capacity, 0 at capacity, linear between."""
    if capacity < 1:
        return 1.0
    if count <= buffer * capacity:
        return 1.0
    if count >= capacity:
        return 0.0
    return 1.0 - (count - buffer * capacity) / (capacity * (1.0 - buffer))


_SET_OFF, _TRAVEL, _DONE = 0, 1, 2


@njit(cache=True)
def flee_day(ks, tick, n, status, loc, route, progress, path, hop, places, recent, bounced, wake,
             age, male, kids_rule, boys_rule, teens_only,
             loc_num, movechance, log_stay, town, camp, capacity, buffer, deactivation,
             link_src, link_dst, link_km, link_speed, link_walk, link_open, adj_ptr,
             cand_ptr, cand_path, cand_end, cand_w, uniform_choice, path_nodes, path_len,
             weight_power, max_move_speed, max_walk_speed, start_on_foot, avoid_short_stints, sinks,
             arrivals, scratch):
    """One day of Flee movement for agent slots ``0..n-1``; returns the number of agents settled.

    Pass 0 is Flee's ``evolve`` loop: an agent at a location whose move chance comes up
    sets off (plans a path if it has none, takes its next link). Pass 1 is Flee's
    ``finish_travel`` loop: agents on a link travel; one who arrives having moved less than
    the day's speed may set off again and travel on. Both passes run the same small state
    machine (set off / travel) in one function: calling helpers with array arguments
    would cost reference counting on every call.

    Flee draws every resting agent's move chance every day. Here an agent coming to rest
    draws once the day its chance will next come up (``wake``, a geometric number of days
    from the location's move chance; the same law), so the daily pass over 150,000 people
    in camps is a comparison, not a random draw. The movement process re-times agents
    whose location's move chance changes.

    ``cand_w`` holds one row of route weights per demographic group (demographics.py): row 0
    alone unless ``kids_rule`` (ChildrenAvoidHazards) is on.
    """
    settled = 0
    for pss in range(2):
        for a in range(n):
            if status[a] != ACTIVE:
                continue
            moved = 0.0
            if pss == 0:
                if route[a] >= 0 or wake[a] > tick:
                    continue
                state = _SET_OFF
                s = 1
            else:
                state = _TRAVEL if route[a] >= 0 else _DONE
                s = 2
            travelled = state == _TRAVEL
            while state != _DONE:
                if state == _SET_OFF:
                    state = _DONE
                    here = loc[a]
                    if path[a] < 0:
                        c0, c1 = cand_ptr[here], cand_ptr[here + 1]
                        if c1 > c0:
                            g = 0
                            if kids_rule:
                                if boys_rule and male[a] and age[a] > 14 and (not teens_only or age[a] < 19):
                                    g = 2
                                elif age[a] < 19:
                                    g = 1
                            total = 0.0
                            for c in range(c0, c1):
                                w = cand_w[g, c]
                                if not uniform_choice:
                                    e = cand_end[c]
                                    cm = _cap(capacity[e], loc_num[e], buffer)
                                    if cm != 1.0:
                                        w = w * (cm if weight_power == 1.0 else cm ** weight_power)
                                scratch[c - c0] = w
                                total += w
                            u2 = _unif(ks[s], a)
                            s += 1
                            chosen = c1 - 1
                            if total > 0.0:
                                x = u2 * total
                                acc = 0.0
                                for c in range(c0, c1):
                                    acc += scratch[c - c0]
                                    if x < acc and scratch[c - c0] > 0.0:
                                        chosen = c
                                        break
                                else:
                                    for c in range(c1 - 1, c0 - 1, -1):
                                        if scratch[c - c0] > 0.0:
                                            chosen = c
                                            break
                            else:   # all weights zero: equal chances, as Flee
                                chosen = c0 + min(int(u2 * (c1 - c0)), c1 - c0 - 1)
                            path[a] = cand_path[chosen]
                            hop[a] = 0
                    p = path[a]
                    if p < 0:
                        continue
                    target = path_nodes[p, hop[a]]
                    link = -1
                    for r in range(adj_ptr[here], adj_ptr[here + 1]):
                        if link_open[r] and link_dst[r] == target:
                            link = r
                            break
                    if link < 0:                  # the next link has closed: forget the route
                        path[a] = -1
                        continue
                    final = path_nodes[p, path_len[p] - 1]
                    if camp[final] and _cap(capacity[final], loc_num[final], buffer) < 0.5:
                        path[a] = -1              # destination camp is (nearly) full: stay
                        continue
                    hop[a] += 1
                    if hop[a] >= path_len[p]:
                        path[a] = -1
                    loc_num[here] -= 1
                    route[a] = link
                    progress[a] = 0.0
                    if pss == 1:
                        state = _TRAVEL
                else:   # _TRAVEL
                    state = _DONE
                    r = route[a]
                    speed = link_speed[r]
                    if start_on_foot and places[a] == 1:
                        speed = max_walk_speed
                    if link_walk[r] > 0.0:
                        if _unif(ks[s], a) < link_walk[r]:
                            speed = max_walk_speed
                        s += 1
                    progress[a] += speed
                    moved += speed
                    if progress[a] <= link_km[r]:
                        continue
                    places[a] += 1
                    moved += link_km[r] - progress[a]
                    progress[a] = 0.0
                    route[a] = -1
                    if bounced[a]:                # the link closed under them: back to the start
                        bounced[a] = False
                        loc[a] = link_src[r]
                        loc_num[link_src[r]] += 1
                        continue
                    dest = link_dst[r]
                    loc[a] = dest
                    loc_num[dest] += 1
                    arrivals[dest] += 1
                    if moved < speed and s < _MAX_MOVE_DRAW:
                        force = avoid_short_stints and (recent[a] + moved / max_move_speed) / 2.0 < 0.5
                        mc = 1.0 if (force and town[dest]) else movechance[dest]
                        u = _unif(ks[s], a)
                        s += 1
                        if u < mc:
                            state = _SET_OFF
            if pss == 0:
                if route[a] < 0:           # could not set off: try again from tomorrow
                    wake[a] = tick + _wait(_unif(ks[WAKE_STAY_DRAW], a), log_stay[loc[a]])
            elif travelled and route[a] < 0:
                wake[a] = tick + _wait(_unif(ks[WAKE_ARRIVE_DRAW], a), log_stay[loc[a]])
            if pss == 1:
                if avoid_short_stints:
                    recent[a] = (recent[a] + moved / max_move_speed) / 2.0
                if sinks and route[a] < 0 and camp[loc[a]] and deactivation[loc[a]] > 0.0:
                    if _unif(ks[SINK_DRAW], a) < deactivation[loc[a]]:
                        status[a] = SETTLED
                        settled += 1
    return settled
