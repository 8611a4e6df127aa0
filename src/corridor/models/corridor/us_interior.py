"""Phase "interior": US interior enforcement and removal (CORRIDOR.md process 7).

People who entered the US leave the daily loop (status IN_US, not live) but stay exposed to
interior arrest at ``us_interior_arrest_per_year``. Each gets, on entry, an exponential
"hazard budget" E ~ Exp(1); they are arrested on the first day the cumulative hazard of their
nationality since entry exceeds E (a time change that lets the hazard vary with policies).
Budgets are kept per nationality in a sorted array plus a small unsorted buffer, so a day
costs O(arrests + buffer), never a pass over everyone who ever entered. An arrest ends in
removal with ``us_removal_probability`` times ``consular_defence_factor`` (seed 001: Mexico's
consulates pay lawyers for their nationals).
"""

from __future__ import annotations

import numpy as np

from ...engine import Simulation
from .border import remove
from .kernels import libm

_MERGE_AT = 20000


class InteriorEnforcement:
    name = "interior"
    reads = ("status", "nationality")
    writes = ("status", "loc", "live", "timer")

    def __init__(self, n_nationalities: int) -> None:
        self.cum_hazard = np.zeros(n_nationalities)           # cumulative hazard per nationality
        self.sorted_thr = [np.zeros(0) for _ in range(n_nationalities)]
        self.sorted_slot = [np.zeros(0, dtype=np.int64) for _ in range(n_nationalities)]
        self.buf_thr = [np.zeros(0) for _ in range(n_nationalities)]
        self.buf_slot = [np.zeros(0, dtype=np.int64) for _ in range(n_nationalities)]

    def admit(self, sim: Simulation, slots: np.ndarray, tick: int) -> None:
        """Register people who just entered the US."""
        if slots.size == 0:
            return
        u = sim.draw("interior_budget", tick, slots)
        budget = -libm.log1p(-u)                              # Exp(1)
        nat = sim.agents.nationality[slots]
        for n in np.unique(nat):
            sel = nat == n
            self.buf_thr[n] = np.concatenate([self.buf_thr[n], self.cum_hazard[n] + budget[sel]])
            self.buf_slot[n] = np.concatenate([self.buf_slot[n], slots[sel]])

    def step(self, sim: Simulation, tick: int) -> None:
        p = sim.params
        self.cum_hazard += np.asarray(p.us_interior_arrest_per_year) / 365.25
        due_parts = []
        for n in range(self.cum_hazard.size):
            h = self.cum_hazard[n]
            if self.buf_thr[n].size > _MERGE_AT:
                self._merge(n)
            # sorted part: a prefix is due
            k = int(np.searchsorted(self.sorted_thr[n], h, side="right"))
            if k:
                due_parts.append(self.sorted_slot[n][:k])
                self.sorted_thr[n] = self.sorted_thr[n][k:]
                self.sorted_slot[n] = self.sorted_slot[n][k:]
            # buffer: scan (small by construction)
            hit = self.buf_thr[n] <= h
            if hit.any():
                due_parts.append(self.buf_slot[n][hit])
                self.buf_thr[n], self.buf_slot[n] = self.buf_thr[n][~hit], self.buf_slot[n][~hit]
        if not due_parts:
            return
        due = np.sort(np.concatenate(due_parts))
        a = sim.agents
        nat = a.nationality[due]
        sim.recorder.count("us_interior_arrests", nat, a.loc[due])
        p_remove = np.minimum(np.asarray(p.us_removal_probability)[nat]
                              * np.asarray(p.consular_defence_factor)[nat], 1.0)
        out = due[sim.draw("interior_removal", tick, due) < p_remove]
        sim.recorder.count("us_removals", a.nationality[out], a.loc[out])
        sim.revive(out)
        remove(sim, out, tick, "interior_removal_route")

    def _merge(self, n: int) -> None:
        thr = np.concatenate([self.sorted_thr[n], self.buf_thr[n]])
        sl = np.concatenate([self.sorted_slot[n], self.buf_slot[n]])
        order = np.argsort(thr, kind="stable")
        self.sorted_thr[n], self.sorted_slot[n] = thr[order], sl[order]
        self.buf_thr[n], self.buf_slot[n] = np.zeros(0), np.zeros(0, dtype=np.int64)
