"""Departures: people leave home; people sent back decide whether to try again.

How many leave is an aggregate draw per (nationality, kind, origin) and day: a Poisson count
at the rate of ``departures_per_year`` x ``departure_seasonality`` x ``departure_level`` x
``departure_multiplier`` (plus caravans at ``caravan_departures_per_day``), by inverting the
Poisson CDF at one keyed uniform, so a world with a lower rate has the same people minus the
marginal ones. The level follows a series after the fitted years (the eras' flows windows set
it); the multiplier carries shocks and policies (pandemic, hurricanes, development plan), so a
flows window never undoes a policy. Each new
person gets a stable identity (day, nationality, origin, caravan flag, index) that keys all
their draws; then papers (a visa), a group and the money they carry (log-normal).
People deported by Mexico or returned by the US try again after their wait, or give up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit
from scipy import special

from ....errors import UserInputError
from ....indicators import Indicator
from ....params import LARGEST
from ....params import ParamSpec as P
from ....rng import hash_uniform_rows
from ..declare import Column, Mechanism, Stream
from ..person import bern, chosen, count, draw, resume, set_status
from ..states import DOCUMENTS, Status, normalised_cum

TWO_PI = 2.0 * np.pi
VISA = DOCUMENTS.index("visa")
# An agent's identity packs (day, nationality, origin, caravan, index) into 64 bits: these
# fields' sizes (checked when a model is built, and per day for the index) keep it unique.
MAX_NATIONALITIES, MAX_ORIGINS, MAX_PER_CELL = 256, 4096, 1 << 20


@njit(cache=True, inline="always")
def new_person(s, w, d):
    """The draws of someone who left home today: a visa, a group, money."""
    a, p, k, x = w.agents, w.params, w.streams, w.indicators
    n = a.nationality[s]
    ident = a.uid[s]
    if bern(d, k.visa, ident, p.visa_share[n]):
        a.documents[s] = VISA
    a.group[s] = chosen(draw(d, k.group, ident), p.group_cum[n])
    # log-normal money: Box-Muller on two keyed uniforms
    u1 = max(draw(d, k.money, ident), 1e-12)
    u2 = draw(d, k.money, ident, 1)
    z = math.sqrt(-2.0 * math.log(u1)) * math.cos(TWO_PI * u2)
    a.money[s] = np.float32(p.money_median_usd[n] * math.exp(p.money_sigma * z))
    count(d, x.departures, n, a.loc[s])
    if a.caravan[s] > 0:
        count(d, x.caravan_departures, n, a.loc[s])


@njit(cache=True, inline="always")
def try_again(s, i, w, d):
    """People sent back home try again once their wait is over, or give up."""
    a, p = w.agents, w.params
    st = a.status[s]
    if (st == Status.RETURNED_BY_MX or st == Status.RETURNED_BY_US) and a.timer[s] <= 0:
        n = a.nationality[s]
        prob = p.retry_after_mx_deportation[n] if st == Status.RETURNED_BY_MX else p.retry_after_us_return[n]
        if bern(d, w.streams.try_again, a.uid[s], prob):
            a.attempts[s] += 1
            a.documents[s] = 0
            a.caravan[s] = 0
            resume(w, s)        # returned to a border city by the US: wait there and cross again
        else:
            count(d, w.indicators.gave_up, n, a.loc[s])
            set_status(a, s, Status.GAVE_UP)


def _derive(lev, places) -> dict:
    return {"group_cum": normalised_cum(np.asarray(lev.params.group_share, dtype=np.float64))}


MECHANISM = Mechanism(
    name="departures",
    doc=__doc__,
    parameters=(
        P("departures_per_year", ("nationality", "year"), 0, LARGEST, "persons/year",
          "People leaving home for the first time in a year (full scale)."),
        P("departure_seasonality", ("nationality", "month"), 0, 12, "factor",
          "Monthly multiplier of the departure rate (mean 1 over a year)."),
        P("origin_share", ("nationality", "origin"), 0, 1, "share",
          "Share of a nationality's departures leaving from each origin location."),
        P("group_share", ("nationality", "group"), 0, 1, "share",
          "Share travelling alone, in a family, or as unaccompanied minors."),
        P("money_median_usd", ("nationality",), 0, LARGEST, "USD", "Median money carried at departure."),
        P("money_sigma", (), 0, 5, "log-sd", "Spread (sd of log) of money at departure."),
        P("departure_level", ("nationality",), 0, LARGEST, "factor",
          "Departures relative to the fitted years' rate, as a series shows them later (flows windows)."),
        P("departure_multiplier", ("nationality",), 0, LARGEST, "factor",
          "Multiplier on departures: push factors (climate shocks, violence) and pull-backs (development aid)."),
        P("visa_share", ("nationality",), 0, 1, "share",
          "Share of departing people who hold a Mexican visa (legal stay; visa rules are a policy lever)."),
        P("caravan_departures_per_day", ("nationality",), 0, LARGEST, "persons/day (full scale)",
          "Extra departures travelling as a caravan (switched on by a caravan policy window)."),
        P("retry_after_mx_deportation", ("nationality",), 0, 1, "probability",
          "Chance a deportee sets off again."),
        P("retry_after_us_return", ("nationality",), 0, 1, "probability",
          "Chance someone returned or removed by the US tries again."),
    ),
    columns=(
        Column("money", "float32", 0.0, "US dollars carried"),
    ),
    indicators=(
        Indicator("departures", "flow", "people leaving home for the first time"),
        Indicator("caravan_departures", "flow", "of which leaving with a caravan"),
        Indicator("gave_up", "flow", "people who stop trying"),
    ),
    streams=(Stream("visa", "holds a visa at departure"), Stream("group", "alone, family or minor"),
             Stream("money", "money carried (two draws)"), Stream("try_again", "sets off again after a return")),
    derived=("group_cum",),
    derive=_derive,
    rule=try_again,
    entry=new_person,
    reads=("status", "timer", "nationality", "uid", "loc", "caravan", "attempts"),
    writes=("attempts", "documents", "caravan", "status", "days_in_status", "live", "route", "timer",
            "group", "money"),
)


# ---- how many leave: aggregate draws, in numpy (once per block of days, not per person)

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
    """New departures, in slot order: nationality, origin, caravan flag, identity."""

    nationality: np.ndarray
    origin: np.ndarray
    caravan: np.ndarray
    uid: np.ndarray


def departure_counts(sim, first: int, last: int | None = None
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
    # one keyed uniform per (nationality, origin, kind): counts are monotone in the rate, so a
    # world with a lower rate has the same people minus the marginal ones (identities include
    # the index), and one nationality's rate never moves another's draws
    cells = np.arange(lam.shape[1])
    u = np.stack([hash_uniform_rows(keys, tick, cells) for tick in range(first, last)])
    counts = poisson_quantile(u, lam[None]).astype(np.int64)   # one call for all the days
    return counts, nat, flag


def _departure_plan(sim, tick: int):
    """Today's Poisson rates per (nationality, kind) row and origin, and each row's stream key,
    nationality and kind (0 ordinary, 1 caravan); rows with no rate are left out. Rates change
    with the month, the year and the levers, so they are kept until one of these changes."""
    p, world = sim.params, sim.world
    date = sim.date(tick)
    yi = date.year - world.first_year
    key = (sim.levers.version if sim.levers is not None else None, yi, date.month)
    if world.departure_plan is not None and world.departure_plan[0] == key:
        return world.departure_plan[1]
    scale = world.population_scale
    rate = np.asarray(p.departures_per_year)[:, yi] / 365.25 \
        * np.asarray(p.departure_seasonality)[:, date.month - 1] \
        * np.asarray(p.departure_level) * np.asarray(p.departure_multiplier) * scale
    share = np.asarray(p.origin_share)
    caravan_rate = np.asarray(p.caravan_departures_per_day) * scale
    both = np.stack([rate, caravan_rate], axis=1).ravel()      # rows (nationality, kind)
    rows = np.flatnonzero(both > 0)
    plan = None
    if rows.size:
        nat, flag = rows // 2, rows % 2
        plan = (world.departure_keys[rows], both[rows][:, None] * share[nat], nat, flag)
    world.departure_plan = (key, plan)
    return plan


def departure_stream_names(nationalities) -> list[str]:
    """The aggregate streams of the counts: one per nationality and kind (ordinary, caravan)."""
    return [f"departures/{code}" + suffix for code in nationalities for suffix in ("", "/caravan")]


def new_people_days(sim, first: int, last: int) -> tuple[NewPeople, np.ndarray] | None:
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
    loc = sim.world.origin_locations[origin]
    day_start = np.searchsorted(tick, np.arange(first, last + 1))
    return NewPeople(nat, loc, flag.astype(np.int8), uid), day_start
