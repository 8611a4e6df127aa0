"""Phase "departures": people leave home; people who were sent back decide to try again."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from ...engine import Simulation
from ...errors import UserInputError
from ...rng import hash_uniform_rows
from .common import chosen, resume, set_status, with_status
from .kernels import libm
from .states import DOCUMENTS, Status

# An agent's identity packs (day, nationality, origin, caravan, index) into 64 bits: these
# fields' sizes (checked when a model is built, and per day for the index) keep it unique.
MAX_NATIONALITIES, MAX_ORIGINS, MAX_PER_CELL = 256, 4096, 1 << 20


def poisson_quantile(q: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """``scipy.stats.poisson.ppf(q, mu)``, value for value, without its per-call overhead.

    The same special functions in the same order (``pdtrik``, then the ``pdtr`` check);
    a zero rate has quantile 0 for any ``q`` in (0, 1) and is not passed to ``pdtrik``
    (its cost is per element, and most cells of the nationality x origin table are zero).
    ``q == 0`` gives -1 and ``q == 1`` infinity, as scipy's convention; a negative or NaN
    rate gives NaN.
    """
    q, mu = np.broadcast_arrays(np.asarray(q, dtype=np.float64), np.asarray(mu, dtype=np.float64))
    out = np.zeros(q.shape)
    work = (mu > 0) & (q > 0) & (q < 1)
    if work.any():
        qq, mm = q[work], mu[work]
        vals = np.ceil(special.pdtrik(qq, mm))
        vals1 = np.maximum(vals - 1, 0)
        out[work] = np.where(special.pdtr(vals1, mm) >= qq, vals1, vals)
    if (q <= 0).any() or (q >= 1).any() or not (mu >= 0).all():     # scipy's conventions at the edges
        ok = mu >= 0
        out[(q == 0) & ok] = -1.0
        out[(q == 1) & ok] = np.inf
        out[~ok | np.isnan(q) | (q < 0) | (q > 1)] = np.nan
    return out


@dataclass(frozen=True)
class NewPeople:
    """Today's new departures, in slot order: nationality, origin, caravan flag, identity."""

    nationality: np.ndarray
    origin: np.ndarray
    caravan: np.ndarray
    uid: np.ndarray


def departure_counts(sim: Simulation, first: int, last: int | None = None
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Numbers leaving on days ``first..last-1`` (default: day ``first`` alone), shape
    (days, (nationality, kind) rows, origins), with each row's nationality and caravan flag;
    ``None`` when nobody can leave. The days must share the month, the year and the levers
    (the plan in force, that of ``sim.levers``)."""
    plan = _departure_plan(sim, first)
    if plan is None:
        return None
    keys, lam, nat, flag = plan
    last = first + 1 if last is None else last
    # Poisson counts by inverting the CDF at one keyed uniform per (nationality, origin, kind):
    # counts are monotone in the rate, so a world with a lower rate has the same people
    # minus the marginal ones (identities include the index), and one nationality's rate
    # never moves another's draws (common random numbers for departure policies)
    cells = np.arange(lam.shape[1])
    u = np.stack([hash_uniform_rows(keys, tick, cells) for tick in range(first, last)])
    counts = poisson_quantile(u, lam[None]).astype(np.int64)   # one call for all the days
    return counts, nat, flag


def _departure_plan(sim: Simulation, tick: int):
    """Today's Poisson rates per (nationality, kind) row and origin, and each row's stream key,
    nationality and kind (0 ordinary, 1 caravan); rows with no rate are left out. Rates change
    with the month, the year and the levers, so they are kept until one of these changes."""
    p, ctx = sim.params, sim.context
    date = sim.date(tick)
    yi = date.year - ctx["first_year"]
    key = (sim.levers.version if sim.levers is not None else None, yi, date.month)
    cached = ctx.get("departure_plan")
    if cached is not None and cached[0] == key:
        return cached[1]
    scale = ctx["population_scale"]
    rate = np.asarray(p.departures_per_year)[:, yi] / 365.25 \
        * np.asarray(p.departure_seasonality)[:, date.month - 1] \
        * np.asarray(p.departure_multiplier) * scale
    share = np.asarray(p.origin_share)
    caravan_rate = np.asarray(p.caravan_departures_per_day) * scale
    both = np.stack([rate, caravan_rate], axis=1).ravel()      # rows (nationality, kind)
    rows = np.flatnonzero(both > 0)
    plan = None
    if rows.size:
        nat, flag = rows // 2, rows % 2
        plan = (_departure_keys(sim)[rows], both[rows][:, None] * share[nat], nat, flag)
    ctx["departure_plan"] = (key, plan)
    return plan


def _departure_keys(sim: Simulation) -> np.ndarray:
    keys = sim.context.get("departure_keys")
    if keys is None:
        names = [f"departures/{code}" + suffix for code in sim.nationalities for suffix in ("", "/caravan")]
        keys = np.array([sim.streams.key(n) for n in names], dtype=np.uint64)
        sim.context["departure_keys"] = keys
    return keys


def new_people(sim: Simulation, tick: int) -> NewPeople | None:
    """Who leaves home on day ``tick`` (``None``: nobody)."""
    out = new_people_days(sim, tick, tick + 1)
    return None if out is None else out[0]


def new_people_days(sim: Simulation, first: int, last: int) -> tuple[NewPeople, np.ndarray] | None:
    """Who leaves home on days ``first..last-1`` (days sharing the plan, as in
    :func:`departure_counts`), day by day in slot order, and where each day starts in the
    arrays (``last - first + 1`` offsets). No Python loop over origins: one block per non-zero
    count."""
    out = departure_counts(sim, first, last)
    if out is None:
        return None
    counts, nat_row, flag_row = out
    flat = counts.ravel()
    cells = np.flatnonzero(flat)
    if cells.size == 0:
        return None
    k = flat[cells]
    if k.max() > MAX_PER_CELL:
        raise UserInputError(f"{int(k.max()):,} agents would leave one place of origin on one day",
                             at="population_scale",
                             expected=f"at most {MAX_PER_CELL:,} (a smaller population_scale or departure rate)")
    n_rows, n_origins = counts.shape[1:]
    day, row, o = cells // (n_rows * n_origins), (cells // n_origins) % n_rows, cells % n_origins
    nat = np.repeat(nat_row[row], k)
    flag = np.repeat(flag_row[row], k)
    origin = np.repeat(o, k)
    tick = np.repeat(first + day, k)
    index = np.arange(nat.size) - np.repeat(np.cumsum(k) - k, k)
    # stable identity: (day, nationality, origin, caravan, index) -> the agent's draws
    # do not depend on how many others left that day or in other worlds
    uid = (((tick * MAX_NATIONALITIES + nat) * MAX_ORIGINS + origin) * 2 + flag) * MAX_PER_CELL + index
    loc = sim.context["origin_locations"][origin]
    day_start = np.searchsorted(tick, np.arange(first, last + 1))
    return NewPeople(nat, loc, flag.astype(np.int8), uid), day_start


def add_people(sim: Simulation, people: NewPeople) -> np.ndarray:
    """Append today's new departures to the agent table; returns their slots."""
    return sim.agents.add(people.nationality.size, nationality=people.nationality, origin=people.origin,
                          loc=people.origin, status=int(Status.TRANSIT), live=True, attempts=1,
                          caravan=people.caravan, uid=people.uid)


class Departures:
    name = "departures"
    reads = ("status", "timer", "loc", "origin")
    writes = ("live", "status", "nationality", "group", "money", "origin", "loc", "attempts")

    def step(self, sim: Simulation, tick: int) -> None:
        self._new_departures(sim, tick)
        self._try_again(sim, tick)

    def _new_departures(self, sim: Simulation, tick: int) -> None:
        p = sim.params
        people = new_people(sim, tick)
        if people is None:
            return
        nat, loc, caravan = people.nationality, people.origin, people.caravan
        a = sim.agents
        slots = add_people(sim, people)
        has_visa = sim.draw("visa", tick, slots) < np.asarray(p.visa_share)[nat]
        a.documents[slots[has_visa]] = DOCUMENTS.index("visa")
        u = sim.draw("group", tick, slots)
        a.group[slots] = chosen(u, np.asarray(p.group_share)[nat])
        # log-normal money: Box-Muller on two keyed uniforms
        u1 = np.maximum(sim.draw("money", tick, slots), 1e-12)
        u2 = sim.draw("money", tick, slots, sub=1)
        z = np.sqrt(-2.0 * libm.log(u1)) * libm.cos(2.0 * np.pi * u2)
        a.money[slots] = np.asarray(p.money_median_usd)[nat] * libm.exp(float(p.money_sigma) * z)
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
