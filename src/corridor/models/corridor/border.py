"""Phase "border": crossing attempts at the US border, apprehension, return or removal.

People in a border city cross after ``north_wait_days``. An attempt may end in death,
in apprehension, or in entry. Apprehended people are returned to the border city (as
most Mexicans were around 2010) or removed to their home town, and may try again.
"""

from __future__ import annotations

import numpy as np

from ...engine import Simulation
from .common import set_status, with_status
from .states import Status


class Border:
    name = "border"
    reads = ("status", "timer", "loc", "nationality", "origin")
    writes = ("status", "timer", "loc", "live")

    def step(self, sim: Simulation, tick: int) -> None:
        a, p, net = sim.agents, sim.params, sim.network
        st = sim.context["static"]
        idx = with_status(sim, Status.WAITING_NORTH)
        idx = idx[(a.timer[idx] <= 0) & (st.crossing_route[a.loc[idx]] >= 0)]
        if idx.size == 0:
            return
        us_side = net.dst[st.crossing_route[a.loc[idx]]]
        nat = a.nationality[idx]
        sim.recorder.count("crossing_attempts_us", nat, us_side)
        u = sim.streams.uniform("crossing", tick, idx)
        p_death = float(p.us_crossing_death_probability)
        p_app = np.asarray(p.us_apprehension_probability)[nat]
        died = u < p_death
        caught = ~died & (u < p_death + (1.0 - p_death) * p_app)
        crossed = ~died & ~caught
        d = idx[died]
        sim.recorder.count("deaths", a.nationality[d], us_side[died])
        set_status(a, d, Status.DEAD)
        c = idx[caught]
        sim.recorder.count("apprehensions_us", a.nationality[c], us_side[caught])
        back = sim.streams.uniform("us_return", tick, c) \
            < np.asarray(p.us_return_to_border_share)[a.nationality[c]]
        a.loc[c[~back]] = a.origin[c[~back]]       # removed home
        set_status(a, c, Status.RETURNED_BY_US)
        a.timer[c] = np.round(np.asarray(p.retry_wait_days_us)[a.nationality[c]]).astype(np.int16)
        e = idx[crossed]
        a.loc[e] = us_side[crossed]
        sim.recorder.count("entries_us", a.nationality[e], us_side[crossed])
        set_status(a, e, Status.IN_US)
