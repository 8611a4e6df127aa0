"""Phase "departures": people leave home; people who were sent back decide to try again."""

from __future__ import annotations

import numpy as np
from scipy.stats import poisson

from ...engine import Simulation
from .common import chosen, resume, set_status, with_status
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
        caravan_rate = np.asarray(p.caravan_departures_per_day) * scale
        # Poisson counts by inverting the CDF at one keyed uniform per (nationality, origin, kind):
        # counts are monotone in the rate, so a world with a lower rate has the same people
        # minus the marginal ones (identities below include the index), and one nationality's
        # rate never moves another's draws (common random numbers for departure policies)
        cells = np.arange(share.shape[1])
        keys, lams, us = [], [], []
        for n, code in enumerate(sim.nationalities):
            for flag, r in ((0, rate[n]), (1, caravan_rate[n])):
                if r > 0:
                    keys.append((n, flag))
                    lams.append(r * share[n])
                    us.append(sim.streams.uniform(f"departures/{code}" + ("/caravan" if flag else ""), tick, cells))
        if not keys:
            return
        counts = poisson.ppf(np.stack(us), np.stack(lams)).astype(np.int64)   # one call a day
        blocks = [(n, flag, counts[i]) for i, (n, flag) in enumerate(keys)]
        nat_parts, loc_parts, car_parts, uid_parts = [], [], [], []
        for n, flag, counts in blocks:
            for o in np.flatnonzero(counts):
                k = int(counts[o])
                nat_parts.append(np.full(k, n))
                loc_parts.append(np.full(k, ctx["origin_locations"][o]))
                car_parts.append(np.full(k, flag, dtype=np.int8))
                # stable identity: (day, nationality, origin, caravan, index) -> the agent's draws
                # do not depend on how many others left that day or in other worlds
                uid_parts.append((((tick * 256 + n) * 4096 + o) * 2 + flag) * (1 << 20) + np.arange(k))
        if not nat_parts:
            return
        nat, loc = np.concatenate(nat_parts), np.concatenate(loc_parts)
        caravan = np.concatenate(car_parts)
        a = sim.agents
        slots = a.add(nat.size, nationality=nat, origin=loc, loc=loc, status=int(Status.TRANSIT),
                      live=True, attempts=1, caravan=caravan, uid=np.concatenate(uid_parts))
        has_visa = sim.draw("visa", tick, slots) < np.asarray(p.visa_share)[nat]
        a.documents[slots[has_visa]] = DOCUMENTS.index("visa")
        u = sim.draw("group", tick, slots)
        a.group[slots] = chosen(u, np.asarray(p.group_share)[nat])
        # log-normal money: Box-Muller on two keyed uniforms
        u1 = np.maximum(sim.draw("money", tick, slots), 1e-12)
        u2 = sim.draw("money", tick, slots, sub=1)
        z = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
        a.money[slots] = np.asarray(p.money_median_usd)[nat] * np.exp(float(p.money_sigma) * z)
        sim.recorder.count("departures", nat, loc)
        sim.recorder.count("caravan_departures", nat[caravan > 0], loc[caravan > 0])

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
        go = sim.draw("try_again", tick, idx) < prob
        quit_ = idx[~go]
        sim.recorder.count("gave_up", a.nationality[quit_], a.loc[quit_])
        set_status(a, quit_, Status.GAVE_UP)
        again = idx[go]
        a.attempts[again] += 1
        a.documents[again] = 0
        a.caravan[again] = 0
        resume(sim, again)   # returned to a border city by the US: wait there and cross again
