"""Phase "departures": people leave home; people who were sent back decide to try again."""

from __future__ import annotations

import numpy as np

from ...engine import Simulation
from .common import chosen, set_status, with_status
from .states import DOCUMENTS, Status


class Departures:
    name = "departures"
    reads = ("status", "timer", "loc", "origin")
    writes = ("live", "status", "nationality", "group", "money", "origin", "loc", "attempts")

    def step(self, sim: Simulation, tick: int) -> None:
        self._new_departures(sim, tick)
        self._try_again(sim, tick)

    def _new_departures(self, sim: Simulation, tick: int) -> None:
        p, ctx = sim.params, sim.context
        date = sim.date(tick)
        yi = date.year - ctx["first_year"]
        scale = ctx["population_scale"]
        rate = np.asarray(p.departures_per_year)[:, yi] / 365.25 \
            * np.asarray(p.departure_seasonality)[:, date.month - 1] \
            * np.asarray(p.departure_multiplier) * scale
        share = np.asarray(p.origin_share)
        rng = sim.streams.generator("departures", tick)
        counts = rng.poisson(rate[:, None] * share)                      # [nationality, origin]
        # caravans: a separate draw, so that switching a caravan on leaves other departures as they were
        caravan_rate = np.asarray(p.caravan_departures_per_day) * scale
        caravan = sim.streams.generator("caravan_departures", tick).poisson(caravan_rate[:, None] * share) \
            if caravan_rate.any() else np.zeros_like(counts)
        total = int(counts.sum() + caravan.sum())
        if total == 0:
            return
        nat_parts, loc_parts, car_parts = [], [], []
        for block, flag in ((counts, 0), (caravan, 1)):
            nat_idx, org_idx = np.nonzero(block)
            reps = block[nat_idx, org_idx]
            nat_parts.append(np.repeat(nat_idx, reps))
            loc_parts.append(np.repeat(ctx["origin_locations"][org_idx], reps))
            car_parts.append(np.full(int(reps.sum()), flag, dtype=np.int8))
        nat, loc = np.concatenate(nat_parts), np.concatenate(loc_parts)
        a = sim.agents
        slots = a.add(total, nationality=nat, origin=loc, loc=loc, status=int(Status.TRANSIT),
                      live=True, attempts=1, caravan=np.concatenate(car_parts))
        has_visa = sim.streams.uniform("visa", tick, slots) < np.asarray(p.visa_share)[nat]
        a.documents[slots[has_visa]] = DOCUMENTS.index("visa")
        u = sim.streams.uniform("group", tick, slots)
        a.group[slots] = chosen(u, np.asarray(p.group_share)[nat])
        # log-normal money: Box-Muller on two keyed uniforms
        u1 = np.maximum(sim.streams.uniform("money", tick, slots), 1e-12)
        u2 = sim.streams.uniform("money", tick, slots, sub=1)
        z = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
        a.money[slots] = np.asarray(p.money_median_usd)[nat] * np.exp(float(p.money_sigma) * z)
        sim.recorder.count("departures", nat, loc)

    def _try_again(self, sim: Simulation, tick: int) -> None:
        a, p = sim.agents, sim.params
        idx = with_status(sim, Status.RETURNED_BY_MX, Status.RETURNED_BY_US)
        idx = idx[a.timer[idx] <= 0]
        if idx.size == 0:
            return
        nat = a.nationality[idx]
        by_mx = a.status[idx] == int(Status.RETURNED_BY_MX)
        prob = np.where(by_mx, np.asarray(p.retry_after_mx_deportation)[nat],
                        np.asarray(p.retry_after_us_return)[nat])
        go = sim.streams.uniform("try_again", tick, idx) < prob
        quit_ = idx[~go]
        sim.recorder.count("gave_up", a.nationality[quit_], a.loc[quit_])
        set_status(a, quit_, Status.GAVE_UP)
        again = idx[go]
        a.attempts[again] += 1
        a.documents[again] = 0
        a.caravan[again] = 0
        at_border = sim.context["static"].is_border_city[a.loc[again]]
        # returned to a border city by the US: wait there and cross again
        wait = again[at_border]
        set_status(a, wait, Status.WAITING_NORTH)
        a.timer[wait] = int(round(float(p.north_wait_days)))
        set_status(a, again[~at_border], Status.TRANSIT)
