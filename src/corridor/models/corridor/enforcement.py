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
from .common import resume, set_status, with_status
from .kernels import libm
from .movement import document_detection_factor
from .states import DOCUMENTS, GROUPS, Status

FAMILY = GROUPS.index("family")
MINOR = GROUPS.index("unaccompanied_minor")


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
        deport = sim.draw("deport", tick, idx) < float(p.deportation_share)
        out = idx[deport]
        nat = a.nationality[out]
        sim.recorder.count("deportations_mexico", nat, a.loc[out])
        a.loc[out] = np.asarray(p.deportation_destination).astype(np.int64)[nat]
        a.documents[out] = 0
        set_status(a, out, Status.RETURNED_BY_MX)
        a.timer[out] = int(round(float(p.retry_wait_days_mx)))
        resume(sim, idx[~deport])   # released, carry on

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
            * st.in_mexico[loc] * np.where(a.caravan[idx] > 0, float(p.caravan_detection_factor), 1.0) \
            * document_detection_factor(p, a.documents[idx], a.card_days[idx], sim.network.region[loc])
        caught = sim.draw("detect", tick, idx) < -libm.expm1(-hazard)
        c = idx[caught]
        if c.size == 0:
            return
        # someone caught on a route is held at the place they were last at
        a.route[c] = -1
        a.progress[c] = 0.0
        # some pay officials to be let go: extortion, not a recorded detention
        paid = sim.draw("extortion", tick, c) < float(p.official_extortion_probability)
        e = c[paid]
        for name in ("victimizations", "robberies", "victimizations_by_officials"):
            sim.recorder.count(name, a.nationality[e], a.loc[e])
        a.money[e] *= np.float32(1.0 - float(p.robbery_loss_fraction))
        c = c[~paid]
        nat, where = a.nationality[c], a.loc[c]
        sim.recorder.count("detentions_mexico", nat, where)
        fam = c[(a.group[c] == FAMILY) & (sim.draw("separation", tick, c)
                                          < float(p.family_separation_probability))]
        sim.recorder.count("family_separations", a.nationality[fam], a.loc[fam])
        set_status(a, c, Status.DETAINED_MX)
        a.timer[c] = int(round(float(p.detention_days)))
        # collusion: officials hand some detainees to criminals
        sold = c[sim.draw("collusion", tick, c) < float(p.collusion_kidnap_probability)]
        for name in ("victimizations", "kidnappings", "victimizations_by_officials"):
            sim.recorder.count(name, a.nationality[sold], a.loc[sold])
        set_status(a, sold, Status.KIDNAPPED)
        a.timer[sold] = int(round(float(p.kidnap_days)))
        # unaccompanied minors in care: child protection and an asylum procedure instead of deportation
        minors = c[(a.group[c] == MINOR) & (a.status[c] == int(Status.DETAINED_MX))]
        cared = minors[sim.draw("minor_care", tick, minors) < float(p.minor_care_probability)]
        sim.recorder.count("minors_in_care", a.nationality[cared], a.loc[cared])
        sim.recorder.count("asylum_applications_mexico", a.nationality[cared], a.loc[cared])
        a.applied_asylum[cared] = 1
        a.documents[cared] = DOCUMENTS.index("asylum_receipt")
        set_status(a, cared, Status.ASYLUM_MX)
