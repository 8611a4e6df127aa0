"""Phase "record": daily stocks, timers and the day's hazard accumulators."""

from __future__ import annotations

import numpy as np

from ...engine import Simulation
from .common import with_status
from .states import WAITING, Status


class Bookkeeping:
    name = "record"
    reads = ("status", "loc", "nationality", "live")
    writes = ("timer", "exposure_detect", "exposure_prey")

    def step(self, sim: Simulation, tick: int) -> None:
        a = sim.agents
        st = sim.context["static"]
        south, north = sim.context["zone_south"], sim.context["zone_north"]
        w = with_status(sim, *WAITING)
        zone = st.zone_of[a.loc[w]]
        for name, z in (("waiting_south", south), ("waiting_north", north)):
            sel = w[zone == z]
            sim.recorder.stock(name, a.nationality[sel], a.loc[sel])
        t = with_status(sim, Status.TRANSIT, Status.KIDNAPPED)
        sim.recorder.stock("in_transit", a.nationality[t], a.loc[t])
        d = with_status(sim, Status.DETAINED_MX)
        sim.recorder.stock("detained_mexico", a.nationality[d], a.loc[d])
        live = sim.live_slots()
        timer = a.timer
        timer[live] = np.maximum(timer[live] - 1, 0)
        cards = a.card_days
        cards[live] = np.maximum(cards[live] - 1, 0)
        a.exposure_detect[live] = 0.0
        a.exposure_prey[live] = 0.0
