"""Phase "asylum": applications in Mexico, a first-in first-out queue, decisions.

People in transit at a place with an asylum office may apply (once). Applicants are
held in that place (they wait there, seed 004) until the commission decides: at most
``asylum_decisions_per_day`` decisions a day, oldest cases first, none before
``asylum_min_days``. Recognition rates differ by nationality. Some abandon the queue
and carry on north; refused applicants carry on irregularly.
"""

from __future__ import annotations

import numpy as np

from ...engine import Simulation
from .common import set_status, with_status
from .states import DOCUMENTS, Status

RECEIPT = DOCUMENTS.index("asylum_receipt")
REFUGEE = DOCUMENTS.index("refugee")


class Asylum:
    name = "asylum"
    reads = ("status", "loc", "route", "applied_asylum", "days_in_status", "nationality")
    writes = ("status", "applied_asylum", "documents")

    def step(self, sim: Simulation, tick: int) -> None:
        self._apply(sim, tick)
        self._abandon(sim, tick)
        self._decide(sim, tick)

    def _apply(self, sim: Simulation, tick: int) -> None:
        a, p = sim.agents, sim.params
        st = sim.context["static"]
        idx = with_status(sim, Status.TRANSIT)
        # people in Mexico legally (a visa, refugee status) have no reason to apply
        legal = (a.documents[idx] == DOCUMENTS.index("visa")) | (a.documents[idx] == REFUGEE)
        idx = idx[(a.route[idx] < 0) & (a.applied_asylum[idx] == 0) & ~legal]
        idx = idx[st.is_asylum_office[a.loc[idx]]]
        if idx.size == 0:
            return
        prob = np.where(a.caravan[idx] > 0, float(p.caravan_asylum_apply_probability),
                        np.asarray(p.asylum_apply_probability)[a.nationality[idx]])
        apply_ = sim.draw("asylum_apply", tick, idx) < prob
        ap = idx[apply_]
        a.applied_asylum[idx] = 1   # the decision is made once per person
        sim.recorder.count("asylum_applications_mexico", a.nationality[ap], a.loc[ap])
        a.documents[ap] = RECEIPT
        set_status(a, ap, Status.ASYLUM_MX)

    def _abandon(self, sim: Simulation, tick: int) -> None:
        a, p = sim.agents, sim.params
        idx = with_status(sim, Status.ASYLUM_MX)
        leave = idx[sim.draw("asylum_abandon", tick, idx) < float(p.asylum_abandon_per_day)]
        a.documents[leave] = 0
        set_status(a, leave, Status.TRANSIT)

    def _decide(self, sim: Simulation, tick: int) -> None:
        a, p = sim.agents, sim.params
        idx = with_status(sim, Status.ASYLUM_MX)
        idx = idx[a.days_in_status[idx] >= float(p.asylum_min_days)]
        if idx.size == 0:
            return
        capacity = float(p.asylum_decisions_per_day) * sim.context["population_scale"]
        whole = int(capacity)
        extra = sim.streams.generator("asylum_capacity", tick).random() < capacity - whole
        n = min(idx.size, whole + int(extra))
        if n == 0:
            return
        # oldest first; ties by slot (stable and seed-independent)
        order = np.lexsort((idx, -a.days_in_status[idx].astype(np.int64)))
        done = idx[order[:n]]
        nat = a.nationality[done]
        grant = sim.draw("asylum_decision", tick, done) \
            < np.asarray(p.asylum_recognition_rate)[nat]
        g, r = done[grant], done[~grant]
        sim.recorder.count("asylum_grants_mexico", a.nationality[g], a.loc[g])
        sim.recorder.count("asylum_denials_mexico", a.nationality[r], a.loc[r])
        stay = sim.draw("asylum_stay", tick, g) < float(p.asylum_stay_after_grant)
        set_status(a, g[stay], Status.PROTECTED_MX)
        a.documents[g[~stay]] = REFUGEE
        set_status(a, g[~stay], Status.TRANSIT)
        a.documents[r] = 0
        set_status(a, r, Status.TRANSIT)
