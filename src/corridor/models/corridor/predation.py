"""Phase "predation": robbery or extortion, kidnapping and killing by criminals.

Hazard = km-integrated exposure from today's travel (by state, mode, group, documents
and caravan) plus a daily hazard for people waiting in a place (by zone). The type of
crime is drawn from ``predation_outcome_share``. Documents act only through
``predation_document_factor`` (1 by default: the source article argues criminals
ignore papers, seed 000), so a user can test the opposite assumption.
"""

from __future__ import annotations

import numpy as np

from ...engine import Simulation
from .common import chosen, resume, set_status, with_status
from .kernels import libm
from .states import Status

ROBBERY, KIDNAPPING, DEATH = 0, 1, 2


class Predation:
    name = "predation"
    reads = ("status", "exposure_prey", "loc", "route", "group", "documents", "caravan", "timer")
    writes = ("status", "money", "timer", "live")

    def step(self, sim: Simulation, tick: int) -> None:
        self._release(sim, tick)
        self._attack(sim, tick)

    def _release(self, sim: Simulation, tick: int) -> None:
        a, p = sim.agents, sim.params
        idx = with_status(sim, Status.KIDNAPPED)
        idx = idx[a.timer[idx] <= 0]
        if idx.size == 0:
            return
        killed = sim.draw("kidnap_end", tick, idx) < float(p.kidnap_death_probability)
        dead = idx[killed]
        sim.recorder.count("deaths", a.nationality[dead], a.loc[dead])
        set_status(a, dead, Status.DEAD)
        freed = idx[~killed]
        a.money[freed] = 0.0           # ransom paid by relatives; they carry nothing more
        resume(sim, freed)

    def _attack(self, sim: Simulation, tick: int) -> None:
        a, p = sim.agents, sim.params
        st = sim.context["static"]
        idx = with_status(sim, Status.TRANSIT, Status.WAITING_NORTH, Status.ASYLUM_MX,
                          Status.RETURNED_BY_MX, Status.RETURNED_BY_US)
        if idx.size == 0:
            return
        hazard = a.exposure_prey[idx].astype(np.float64)
        still = a.route[idx] < 0
        hazard += still * np.asarray(p.predation_waiting_per_day)[st.zone_of[a.loc[idx]]] \
            * np.asarray(p.predation_group_factor)[a.group[idx]] \
            * np.asarray(p.predation_nationality_factor)[a.nationality[idx]] \
            * np.asarray(p.predation_document_factor)[a.documents[idx]]
        hit = sim.draw("prey", tick, idx) < -libm.expm1(-hazard)
        v = idx[hit]
        if v.size == 0:
            return
        kind = chosen(sim.draw("prey_kind", tick, v),
                      np.broadcast_to(np.asarray(p.predation_outcome_share), (v.size, 3)))
        nat, loc = a.nationality[v], a.loc[v]
        sim.recorder.count("victimizations", nat, loc)
        rob = v[kind == ROBBERY]
        sim.recorder.count("robberies", a.nationality[rob], a.loc[rob])
        a.money[rob] *= np.float32(1.0 - float(p.robbery_loss_fraction))
        kid = v[kind == KIDNAPPING]
        sim.recorder.count("kidnappings", a.nationality[kid], a.loc[kid])
        a.route[kid] = -1
        a.progress[kid] = 0.0
        set_status(a, kid, Status.KIDNAPPED)
        a.timer[kid] = int(round(float(p.kidnap_days)))
        dead = v[kind == DEATH]
        sim.recorder.count("deaths", a.nationality[dead], a.loc[dead])
        set_status(a, dead, Status.DEAD)
