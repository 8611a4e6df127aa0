"""Phase "movement": route and mode choice, travel along routes, arrivals.

People between legs set off with a daily probability, choose a route by a logit on
the detour it implies (km beyond the shortest way to the US border), choose a mode
among those the route allows and they can pay for, and travel at that mode's speed.
A day may span several legs. The hazards of detection and predation are integrated
over the km travelled on each route and mode (``exposure_*``) and acted on by the
enforcement and predation phases.
"""

from __future__ import annotations

import numpy as np

from ...engine import Simulation
from .common import chosen, set_status, with_status
from .derived import dynamic_arrays
from .states import DOCUMENTS, Status

MAX_LEGS_PER_DAY = 12
VISITOR_CARD = DOCUMENTS.index("visitor_card")


def document_detection_factor(p, documents: np.ndarray, card_days: np.ndarray, region: np.ndarray) -> np.ndarray:
    """Detection multiplier of the documents held; a regional visitor card protects only while
    valid and only in the states where it is valid."""
    f = np.asarray(p.detection_document_factor)[documents]
    card_void = (documents == VISITOR_CARD) & ((card_days <= 0) | (np.asarray(p.visitor_card_region)[region] == 0))
    return np.where(card_void, 1.0, f)


def current_dynamic(sim: Simulation):
    ctx = sim.context
    lev = sim.levers
    if ctx.get("dynamic_version") != lev.version:
        ctx["dynamic"] = dynamic_arrays(sim.network, ctx["static"], lev)
        ctx["dynamic_version"] = lev.version
    return ctx["dynamic"]


class Movement:
    name = "movement"
    reads = ("status", "loc", "route", "progress", "mode", "money", "nationality", "group",
             "documents", "caravan")
    writes = ("loc", "route", "progress", "mode", "status", "timer", "exposure_detect",
              "exposure_prey")

    def step(self, sim: Simulation, tick: int) -> None:
        a, p, net = sim.agents, sim.params, sim.network
        st, dyn = sim.context["static"], current_dynamic(sim)
        idx = with_status(sim, Status.TRANSIT)
        if idx.size == 0:
            return
        zone = st.zone_of[a.loc[idx]]
        at_place = a.route[idx] < 0
        # some stop trying altogether (settle where they are or go home)
        stop = sim.draw("transit_stop", tick, idx) < np.asarray(p.transit_stop_per_day)[zone]
        quit_ = idx[stop]
        sim.recorder.count("gave_up", a.nationality[quit_], a.loc[quit_])
        set_status(a, quit_, Status.GAVE_UP)
        u = sim.draw("set_off", tick, idx)
        move_p = np.where(a.caravan[idx] > 0, float(p.caravan_move_probability),
                          np.asarray(p.daily_move_probability)[zone])
        rest = at_place & (u >= move_p)
        movers = idx[~rest & ~stop]
        # per-agent hazard multipliers (documents act per leg: a visitor card is valid in some states only)
        nat = a.nationality[movers]
        det_f = (nat != st.mexican) * np.where(a.caravan[movers] > 0, float(p.caravan_detection_factor), 1.0)
        prey_f = np.asarray(p.predation_group_factor)[a.group[movers]] \
            * np.asarray(p.predation_nationality_factor)[nat] \
            * np.asarray(p.predation_document_factor)[a.documents[movers]] \
            * np.where(a.caravan[movers] > 0, float(p.predation_caravan_factor), 1.0)
        time_left = np.ones(movers.size)
        for leg in range(MAX_LEGS_PER_DAY):
            if movers.size == 0:
                break
            self._start_legs(sim, tick, leg, movers, dyn)
            on_route = a.route[movers] >= 0
            movers, time_left = movers[on_route], time_left[on_route]
            det_f, prey_f = det_f[on_route], prey_f[on_route]
            if movers.size == 0:
                break
            r = a.route[movers]
            m = a.mode[movers].astype(np.int64)
            speed = dyn.speed[r, m]
            remaining = net.km[r] - a.progress[movers]
            need = remaining / speed
            arrive = need <= time_left
            dist = np.where(arrive, remaining, speed * time_left)
            doc_f = document_detection_factor(p, a.documents[movers], a.card_days[movers],
                                              net.region[net.dst[r]])
            a.exposure_detect[movers] += (dist * dyn.detect[r, m] * det_f * doc_f).astype(np.float32)
            a.exposure_prey[movers] += (dist * dyn.prey[r, m] * prey_f).astype(np.float32)
            a.progress[movers] += dist.astype(np.float32)
            time_left = np.where(arrive, time_left - need, 0.0)
            keep = self._arrive(sim, movers[arrive], r[arrive], st)
            cont = np.zeros(movers.size, dtype=bool)
            cont[np.flatnonzero(arrive)[keep]] = True
            cont &= time_left > 1e-6
            movers, time_left = movers[cont], time_left[cont]
            det_f, prey_f = det_f[cont], prey_f[cont]

    def _start_legs(self, sim: Simulation, tick: int, leg: int, movers: np.ndarray, dyn) -> None:
        a, p = sim.agents, sim.params
        who = movers[a.route[movers] < 0]
        if who.size == 0:
            return
        here = a.loc[who].astype(np.int64)
        can = dyn.has_route[here]
        who, here = who[can], here[can]
        if who.size == 0:
            return
        u = sim.draw("route", tick, who, sub=leg)
        # a caravan moves as one: its members at a place share one draw, keyed by the place
        car = a.caravan[who] > 0
        if car.any():
            u[car] = sim.streams.uniform("route_caravan", tick, here[car], sub=leg)
        u = np.minimum(u, 1.0 - 1e-9)
        r = np.searchsorted(dyn.route_cum, here + u, side="right")
        r = np.minimum(r, dyn.last_route[here])
        allowed = sim.context["static"].route_allows[r]
        weight = allowed * np.asarray(p.mode_weight)[None, :]
        afford = a.money[who][:, None] >= np.asarray(p.mode_min_money_usd)[None, :]
        can_pay = weight * afford
        # nobody is stuck for lack of money: with no affordable mode, any allowed one
        weight = np.where(can_pay.sum(axis=1, keepdims=True) > 0, can_pay, weight + allowed * 1e-9)
        mode = chosen(sim.draw("mode", tick, who, sub=leg), weight)
        a.route[who] = r
        a.mode[who] = mode
        a.progress[who] = 0.0
        # papers are handed out at the crossing, before the first leg in Mexico
        entry = sim.context["static"].entry_route[r]
        self._papers_at_entry(sim, who[entry], sim.network.dst[r[entry]])

    def _papers_at_entry(self, sim: Simulation, who: np.ndarray, where: np.ndarray) -> None:
        """Documents Mexico gives at the southern border: transit documents, regional visitor
        cards, humanitarian visas for caravan members (each a lever, off in 2010-11)."""
        if who.size == 0:
            return
        a, p = sim.agents, sim.params
        nat = a.nationality[who]
        none = a.documents[who] == 0
        u = sim.draw("papers", sim.tick, who)
        visa = none & (a.caravan[who] > 0) & (u < float(p.caravan_visa_probability))
        a.documents[who[visa]] = DOCUMENTS.index("visa")
        sim.recorder.count("humanitarian_visas", nat[visa], where[visa])
        u2 = sim.draw("papers", sim.tick, who, sub=1)
        doc = none & ~visa & (u2 < np.asarray(p.transit_document_share)[nat])
        a.documents[who[doc]] = DOCUMENTS.index("transit_document")
        sim.recorder.count("transit_documents", nat[doc], where[doc])
        u3 = sim.draw("papers", sim.tick, who, sub=2)
        card = (a.documents[who] == 0) & (u3 < np.asarray(p.visitor_card_share)[nat])
        a.documents[who[card]] = VISITOR_CARD
        a.card_days[who[card]] = int(round(float(p.visitor_card_validity_days)))
        sim.recorder.count("visitor_cards", nat[card], where[card])

    def _arrive(self, sim: Simulation, who: np.ndarray, r: np.ndarray, st) -> np.ndarray:
        """Put arrivals at the end of their route; returns which may go on today."""
        a, net, p = sim.agents, sim.network, sim.params
        if sim.tick >= sim.recorder.first_tick:
            sim.recorder.route_flows += np.bincount(r, minlength=net.n_routes)
        dst = net.dst[r]
        a.loc[who] = dst
        a.route[who] = -1
        a.progress[who] = 0.0
        a.mode[who] = -1
        entry = st.entry_route[r]
        sim.recorder.count("entries_mexico", a.nationality[who[entry]], dst[entry])
        border = st.is_border_city[dst]
        b = who[border]
        sim.recorder.count("arrivals_us_border", a.nationality[b], dst[border])
        set_status(a, b, Status.WAITING_NORTH)
        a.timer[b] = int(round(float(p.north_wait_days)))
        # stop for the day at an asylum office (the asylum phase decides) or the border
        return ~(border | st.is_asylum_office[dst])
