"""US interior enforcement and removal (CORRIDOR.md process 7).

People who entered the US leave the daily pass (status IN_US, not live) but stay exposed to
interior arrest at ``us_interior_arrest_per_year``. Each gets, on entry, an exponential
"hazard budget" E ~ Exp(1); they are arrested on the first day the cumulative hazard of their
nationality since entry exceeds E (a time change that lets the hazard vary with policies).
The thresholds (cumulative hazard at entry + E) are kept in a min-heap per nationality, so a
day costs O(arrests x log people), never a pass over everyone who ever entered. An arrest
ends in removal with ``us_removal_probability`` times ``consular_defence_factor`` (seed 001:
Mexico's consulates pay lawyers for their nationals).

A coupled mechanism: the pool of people in the US shares one cumulative hazard per
nationality. It runs after the day's pass on the people the pass admitted.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ....indicators import Indicator
from ....kernel_pipeline import fused
from ....params import LARGEST
from ....params import ParamSpec as P
from ....rng_kernels import unif
from ..declare import Mechanism, Stream
from ..person import bern, count
from . import calendar
from .border import remove
from .record import catch_up


class InteriorPool:
    """The people exposed to interior enforcement: cumulative hazard and a min-heap of arrest
    thresholds (with the person's slot) per nationality; heaps grow by half when full."""

    def __init__(self, n_nationalities: int, capacity: int = 4096) -> None:
        self.cum_hazard = np.zeros(n_nationalities)
        self.thr = np.zeros((n_nationalities, capacity))
        self.slot = np.zeros((n_nationalities, capacity), dtype=np.int64)
        self.size = np.zeros(n_nationalities, dtype=np.int64)

    def room(self) -> int:
        return self.thr.shape[1] - int(self.size.max(initial=0))

    def grow(self, need: int) -> None:
        """Room for ``need`` people per nationality (x1.5 at least: amortised O(1))."""
        cap = self.thr.shape[1]
        cap = max(int(need), cap + cap // 2)
        for name in ("thr", "slot"):
            old = getattr(self, name)
            new = np.empty((old.shape[0], cap), dtype=old.dtype)
            new[:, : old.shape[1]] = old
            setattr(self, name, new)

    def arrays(self) -> tuple:
        return self.cum_hazard, self.thr, self.slot, self.size


@njit(cache=True)
def admit(entrants, w, d, cum, heap_thr, heap_slot, heap_n):
    """Register today's entrants into the US (the heaps must have room for them)."""
    a = w.agents
    for j in range(entrants.size):
        s = entrants[j]
        n = a.nationality[s]
        u = unif(d.keys[w.streams.interior_budget, 0], a.uid[s])
        thr = cum[n] + -math.log1p(-u)                   # + Exp(1)
        k = heap_n[n]                                    # push, sift up
        heap_n[n] = k + 1
        while k > 0:
            parent = (k - 1) >> 1
            if heap_thr[n, parent] <= thr:
                break
            heap_thr[n, k] = heap_thr[n, parent]
            heap_slot[n, k] = heap_slot[n, parent]
            k = parent
        heap_thr[n, k] = thr
        heap_slot[n, k] = s


@njit(cache=True)
def _pop(heap_thr, heap_slot, heap_n, n):
    top = heap_slot[n, 0]
    m = heap_n[n] - 1
    heap_n[n] = m
    if m > 0:
        thr, slot = heap_thr[n, m], heap_slot[n, m]
        k = 0
        while True:
            c = 2 * k + 1
            if c >= m:
                break
            if c + 1 < m and heap_thr[n, c + 1] < heap_thr[n, c]:
                c += 1
            if heap_thr[n, c] >= thr:
                break
            heap_thr[n, k] = heap_thr[n, c]
            heap_slot[n, k] = heap_slot[n, c]
            k = c
        heap_thr[n, k] = thr
        heap_slot[n, k] = slot
    return top


@njit(**fused())
def arrest_and_remove(w, d, cum, heap_thr, heap_slot, heap_n, recorded):
    """One day of interior enforcement; returns the people removed (brought back into the
    simulation, in slot order).

    ``recorded``: the day's record step has already run for the people in the pass; the people
    brought back get theirs here, and the calendar's plan (those in the pass, who entered the
    US today, have had their visitor card day counted already)."""
    a, p, x = w.agents, w.params, w.indicators
    any_due = False
    for n in range(cum.size):
        cum[n] = cum[n] + p.us_interior_arrest_per_year[n] / 365.25
        if heap_n[n] > 0 and heap_thr[n, 0] <= cum[n]:
            any_due = True
    if not any_due:
        return np.empty(0, dtype=np.int64)
    found = np.empty(64, dtype=np.int64)
    k = 0
    for n in range(cum.size):
        while heap_n[n] > 0 and heap_thr[n, 0] <= cum[n]:
            if k == found.size:
                bigger = np.empty(2 * k, dtype=np.int64)
                bigger[:k] = found
                found = bigger
            found[k] = _pop(heap_thr, heap_slot, heap_n, n)
            k += 1
    due = np.sort(found[:k])
    out = np.empty(due.size, dtype=np.int64)
    n_out = 0
    for j in range(due.size):
        s = due[j]
        n = a.nationality[s]
        count(d, x.us_interior_arrests, n, a.loc[s])
        if bern(d, w.streams.interior_removal, a.uid[s],
                min(p.us_removal_probability[n] * p.consular_defence_factor[n], 1.0)):
            count(d, x.us_removals, n, a.loc[s])
            out[n_out] = s
            n_out += 1
    for j in range(n_out):
        s = out[j]
        a.live[s] = True
        remove(s, w, d, w.streams.interior_removal_route)
        in_pass = a.seen[s] == d.tick
        a.seen[s] = d.tick
        if recorded:
            catch_up(s, w, d, in_pass)
            calendar.plan_now(s, w, d)
    return out[:n_out]


MECHANISM = Mechanism(
    name="interior",
    doc=__doc__,
    parameters=(
        P("us_interior_arrest_per_year", ("nationality",), 0, LARGEST, "per year",
          "Hazard of arrest by US interior enforcement (ICE) for people who entered."),
        P("us_removal_probability", ("nationality",), 0, 1, "probability",
          "Chance an interior arrest ends in removal."),
        P("consular_defence_factor", ("nationality",), 0, LARGEST, "factor",
          "Multiplier on the removal probability from consular legal defence (seed 001)."),
    ),
    indicators=(
        Indicator("us_interior_arrests", "flow", "arrests by US interior enforcement"),
        Indicator("us_removals", "flow", "removals after an interior arrest"),
    ),
    also_counts=("us_flights_south_mexico",),
    streams=(Stream("interior_budget", "the arrest threshold drawn on entry"),
             Stream("interior_removal", "an arrest ends in removal"),
             Stream("interior_removal_route", "removal route after an arrest")),
    coupled=(admit, arrest_and_remove),
)
