"""Phase "enforcement": detection, detention and deportation by Mexico.

Detection hazard = km-integrated exposure from today's travel (by state and mode)
plus a daily hazard for foreigners waiting in a place in Mexico; both scale with the
documents held (a visa or refugee status protects; a transit document is a lever).
Detainees are deported after ``detention_days`` to the place Mexico returns their
nationality to (the southern border for Central Americans), where they may try again.
"""

from __future__ import annotations

import numpy as np

from ...engine import Simulation
from .common import set_status, with_status
from .states import Status


class Enforcement:
    name = "enforcement"
    reads = ("status", "timer", "exposure_detect", "loc", "route", "nationality", "documents")
    writes = ("status", "timer", "loc", "route", "progress", "documents")

    def step(self, sim: Simulation, tick: int) -> None:
        self._deport(sim, tick)
        self._detect(sim, tick)

    def _deport(self, sim: Simulation, tick: int) -> None:
        a, p = sim.agents, sim.params
        idx = with_status(sim, Status.DETAINED_MX)
        idx = idx[a.timer[idx] <= 0]
        if idx.size == 0:
            return
        deport = sim.streams.uniform("deport", tick, idx) < float(p.deportation_share)
        out = idx[deport]
        nat = a.nationality[out]
        sim.recorder.count("deportations_mexico", nat, a.loc[out])
        a.loc[out] = np.asarray(p.deportation_destination).astype(np.int64)[nat]
        a.documents[out] = 0
        set_status(a, out, Status.RETURNED_BY_MX)
        a.timer[out] = int(round(float(p.retry_wait_days_mx)))
        set_status(a, idx[~deport], Status.TRANSIT)   # released, carry on

    def _detect(self, sim: Simulation, tick: int) -> None:
        a, p = sim.agents, sim.params
        st = sim.context["static"]
        idx = with_status(sim, Status.TRANSIT, Status.WAITING_NORTH)
        if idx.size == 0:
            return
        hazard = a.exposure_detect[idx].astype(np.float64)
        # waiting in a place: a daily hazard (foreigners without protective documents)
        still = a.route[idx] < 0
        loc = a.loc[idx]
        foreign = a.nationality[idx] != st.mexican
        hazard += still * foreign * np.asarray(p.mx_detection_waiting_per_day)[st.zone_of[loc]] \
            * st.in_mexico[loc] * np.asarray(p.detection_document_factor)[a.documents[idx]]
        caught = sim.streams.uniform("detect", tick, idx) < -np.expm1(-hazard)
        c = idx[caught]
        if c.size == 0:
            return
        # someone caught on a route is held at the place they were last at
        a.route[c] = -1
        a.progress[c] = 0.0
        sim.recorder.count("detentions_mexico", a.nationality[c], a.loc[c])
        set_status(a, c, Status.DETAINED_MX)
        a.timer[c] = int(round(float(p.detention_days)))
