"""Phase "border": crossing attempts at the US border, apprehension, asylum claims, return.

People in a border city cross after ``north_wait_days``. An attempt may end in death, in
apprehension, or in entry; the farther their camp is from the border (``crossing_extra_km``,
the Tijuana camp moved 11 miles), the likelier apprehension. Apprehended people may ask for
asylum: under "stay in Mexico" (``mpp_share``) they wait for their hearing in the border city,
otherwise they enter pending their case. The others are returned to the border city (as most
Mexicans were around 2010), removed home, or flown to southern Mexico and expelled into
Guatemala (seed 004).
"""

from __future__ import annotations

import numpy as np

from ...engine import Simulation
from .common import set_status, with_status
from .kernels import libm
from .states import Status


def remove(sim: Simulation, slots: np.ndarray, tick: int, stream: str) -> None:
    """US removal of ``slots``: home, or by flight to southern Mexico for Mexico to expel."""
    if slots.size == 0:
        return
    a, p = sim.agents, sim.params
    nat = a.nationality[slots]
    south = sim.draw(stream, tick, slots) < np.asarray(p.us_removal_to_south_mexico_share)[nat]
    flown = slots[south]
    a.loc[flown] = int(p.us_removal_south_location)
    sim.recorder.count("us_flights_south_mexico", a.nationality[flown], a.loc[flown])
    set_status(a, flown, Status.DETAINED_MX)
    a.timer[flown] = int(round(float(p.expulsion_days)))
    home = slots[~south]
    a.loc[home] = a.origin[home]
    set_status(a, home, Status.RETURNED_BY_US)
    a.timer[home] = np.round(np.asarray(p.retry_wait_days_us)[a.nationality[home]]).astype(np.int16)


class Border:
    name = "border"
    reads = ("status", "timer", "loc", "nationality", "origin")
    writes = ("status", "timer", "loc", "live")

    def step(self, sim: Simulation, tick: int) -> None:
        self._hearings(sim, tick)
        self._crossings(sim, tick)

    def _crossings(self, sim: Simulation, tick: int) -> None:
        a, p, net = sim.agents, sim.params, sim.network
        st = sim.context["static"]
        idx = with_status(sim, Status.WAITING_NORTH)
        idx = idx[(a.timer[idx] <= 0) & (st.crossing_route[a.loc[idx]] >= 0)]
        if idx.size == 0:
            return
        us_side = net.dst[st.crossing_route[a.loc[idx]]]
        nat = a.nationality[idx]
        sim.recorder.count("crossing_attempts_us", nat, us_side)
        u = sim.draw("crossing", tick, idx)
        p_death = float(p.us_crossing_death_probability)
        extra = np.asarray(p.crossing_extra_km)[a.loc[idx]]
        p_app = np.asarray(p.us_apprehension_probability)[nat]
        p_app = np.where(extra > 0, 1.0 - (1.0 - p_app) * libm.exp(-float(p.apprehension_per_extra_km) * extra), p_app)
        died = u < p_death
        caught = ~died & (u < p_death + (1.0 - p_death) * p_app)
        crossed = ~died & ~caught
        d = idx[died]
        sim.recorder.count("deaths", a.nationality[d], us_side[died])
        set_status(a, d, Status.DEAD)
        c, c_side = idx[caught], us_side[caught]
        sim.recorder.count("apprehensions_us", a.nationality[c], c_side)
        # asylum claims: wait in Mexico for the hearing (MPP) or enter pending the case
        claim = sim.draw("us_asylum_claim", tick, c) \
            < np.asarray(p.us_asylum_claim_probability)[a.nationality[c]]
        sim.recorder.count("us_asylum_claims", a.nationality[c[claim]], c_side[claim])
        mpp = claim & (sim.draw("mpp", tick, c) < float(p.mpp_share))
        m = c[mpp]
        sim.recorder.count("mpp_enrollments", a.nationality[m], a.loc[m])
        set_status(a, m, Status.WAITING_US_HEARING)
        a.timer[m] = int(round(float(p.mpp_wait_days)))
        released = c[claim & ~mpp]
        a.loc[released] = c_side[claim & ~mpp]
        set_status(a, released, Status.IN_US)
        sim.context["interior"].admit(sim, released, tick)
        rest = c[~claim]
        back = sim.draw("us_return", tick, rest) \
            < np.asarray(p.us_return_to_border_share)[a.nationality[rest]]
        b = rest[back]
        set_status(a, b, Status.RETURNED_BY_US)
        a.timer[b] = np.round(np.asarray(p.retry_wait_days_us)[a.nationality[b]]).astype(np.int16)
        remove(sim, rest[~back], tick, "us_removal_route")
        e = idx[crossed]
        a.loc[e] = us_side[crossed]
        sim.recorder.count("entries_us", a.nationality[e], us_side[crossed])
        set_status(a, e, Status.IN_US)
        sim.context["interior"].admit(sim, e, tick)

    def _hearings(self, sim: Simulation, tick: int) -> None:
        """People waiting in Mexico under MPP get their hearing: protection or removal."""
        a, p, net = sim.agents, sim.params, sim.network
        st = sim.context["static"]
        idx = with_status(sim, Status.WAITING_US_HEARING)
        idx = idx[a.timer[idx] <= 0]
        if idx.size == 0:
            return
        grant = sim.draw("us_asylum_decision", tick, idx) \
            < np.asarray(p.us_asylum_grant_probability)[a.nationality[idx]]
        g = idx[grant]
        sim.recorder.count("us_asylum_grants", a.nationality[g], a.loc[g])
        route = st.crossing_route[a.loc[g]]
        a.loc[g] = np.where(route >= 0, net.dst[np.maximum(route, 0)], a.loc[g])
        set_status(a, g, Status.IN_US)
        sim.context["interior"].admit(sim, g, tick)
        remove(sim, idx[~grant], tick, "us_removal_hearing")
