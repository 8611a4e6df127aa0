"""Predation: robbery or extortion, kidnapping and killing by criminals.

Hazard = km-integrated exposure from the day's travel (by state and mode) plus a daily hazard
for people waiting in a place (by zone), both times the person's factor: group, nationality,
documents and caravan (``predation_caravan_factor``: the numbers of a caravan act on the road
and in camp alike). The type of crime is drawn from ``predation_outcome_share``: a robbery
takes ``robbery_loss_fraction`` of the money carried, but at least ``robbery_min_loss_usd``
(everything, from someone who carries less); the kidnapped are held ``kidnap_days`` and then
killed or set free without their money. What robbers (and extorting officials, see
enforcement) took from a person adds up in the column ``robbed_usd``. Documents act only
through ``predation_document_factor`` (1 by default: the source article argues criminals
ignore papers, seed 000), so a user can test the opposite assumption.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ....indicators import Indicator
from ....params import LARGEST
from ....params import ParamSpec as P
from ..declare import Column, Mechanism, Stream
from ..person import PREY, bern, chosen, count, draw, resume, set_status, waited_hazard
from ..states import Status, normalised_cum

ROBBERY, KIDNAPPING, KILLING = 0, 1, 2      # OUTCOMES


@njit(cache=True, inline="always")
def person_factor(s, w):
    """The person's predation multiplier, travelling or waiting: group, nationality, documents,
    caravan."""
    a, p = w.agents, w.params
    return p.predation_group_factor[a.group[s]] * p.predation_nationality_factor[a.nationality[s]] \
        * p.predation_document_factor[a.documents[s]] \
        * (p.predation_caravan_factor if a.caravan[s] > 0 else 1.0)


@njit(cache=True, inline="always")
def leg_hazard(w, r, m, km, factor):
    """Predation hazard of ``km`` travelled on route ``r`` by mode ``m``."""
    return km * w.params.prey_per_km[r, m] * factor


@njit(cache=True, inline="always")
def take_money(s, w, share, at_least):
    """Robbers (or extorting officials) take ``share`` of the money carried, but at least
    ``at_least`` dollars (or all there is); what they take adds up in ``robbed_usd``."""
    a = w.agents
    before = a.money[s]
    after = before * np.float32(1.0 - share)
    floor = before - np.float32(at_least)
    if floor < after:
        after = max(floor, np.float32(0.0))
    a.money[s] = after
    a.robbed_usd[s] = a.robbed_usd[s] + (before - after)


@njit(cache=True, inline="always")
def exposed(status):
    """Statuses in which criminals may attack someone."""
    return status == Status.TRANSIT or status == Status.WAITING_NORTH or status == Status.ASYLUM_MX \
        or status == Status.RETURNED_BY_MX or status == Status.RETURNED_BY_US \
        or status == Status.WAITING_US_HEARING       # "stay in Mexico": months in a border city (seed 004)


@njit(cache=True, inline="always")
def waiting_hazard(s, w):
    """The day's predation hazard of someone at a place (not on a route)."""
    a = w.agents
    if a.route[s] >= 0:
        return 0.0
    return w.params.predation_waiting_per_day[w.places.zone_of[a.loc[s]]] * person_factor(s, w)


@njit(cache=True, inline="always")
def attack(s, i, w, d):
    """The day's crimes (from the exposure of travel and waiting) and the end of kidnappings."""
    a, p, k, x = w.agents, w.params, w.streams, w.indicators
    n = a.nationality[s]
    ident = a.uid[s]
    if a.status[s] == Status.KIDNAPPED and a.timer[s] <= 0:
        if bern(d, k.kidnap_end, ident, p.kidnap_death_probability):
            count(d, x.deaths, n, a.loc[s])
            set_status(a, s, Status.DEAD)
        else:
            take_money(s, w, 1.0, 0.0)         # set free without their money
            resume(w, s)
    if not exposed(a.status[s]):
        return
    here = a.loc[s]
    if not waited_hazard(d, a, s, k.prey, PREY, np.float64(a.exposure_prey[s]) + waiting_hazard(s, w)):
        return
    kind = chosen(draw(d, k.prey_kind, ident), p.outcome_cum)
    count(d, x.victimizations, n, here)
    if kind == ROBBERY:
        count(d, x.robberies, n, here)
        take_money(s, w, p.robbery_loss_fraction, p.robbery_min_loss_usd)
    elif kind == KIDNAPPING:
        count(d, x.kidnappings, n, here)
        a.route[s] = -1
        a.progress[s] = 0.0
        set_status(a, s, Status.KIDNAPPED)
        a.timer[s] = round(p.kidnap_days)
    else:
        count(d, x.deaths, n, here)
        set_status(a, s, Status.DEAD)


def _derive(lev, g) -> dict:
    """Predation hazard per km on each route and mode; the outcome draw's cumulative shares."""
    p = lev.params
    per_km = np.asarray(p.predation_per_100km)[g.region[g.dst]][:, None] \
        * np.asarray(p.predation_mode_factor)[None, :] / 100.0
    return {"prey_per_km": per_km,
            "outcome_cum": normalised_cum(np.asarray(p.predation_outcome_share, dtype=np.float64))}


MECHANISM = Mechanism(
    name="predation",
    doc=__doc__,
    parameters=(
        P("predation_per_100km", ("region",), 0, LARGEST, "per 100 km",
          "Hazard of a crime against a migrant per 100 km travelled, by state."),
        P("predation_mode_factor", ("mode",), 0, LARGEST, "factor", "Predation multiplier by mode."),
        P("predation_group_factor", ("group",), 0, LARGEST, "factor", "Predation multiplier by group."),
        P("predation_document_factor", ("documents",), 0, LARGEST, "factor",
          "Predation multiplier by documents held."),
        P("predation_nationality_factor", ("nationality",), 0, LARGEST, "factor",
          "Predation multiplier by nationality (criminals target foreigners without papers)."),
        P("predation_caravan_factor", (), 0, LARGEST, "factor",
          "Predation multiplier for people travelling with a caravan."),
        P("predation_waiting_per_day", ("zone",), 0, 1, "per day",
          "Daily hazard of a crime against someone waiting in a place."),
        P("predation_outcome_share", ("outcome",), 0, 1, "share",
          "Type of crime: robbery or extortion, kidnapping, killing."),
        P("robbery_loss_fraction", (), 0, 1, "share", "Share of money lost in a robbery."),
        P("robbery_min_loss_usd", (), 0, LARGEST, "USD",
          "Least a robbery takes (all the money of someone who carries less): robbers strip small sums."),
        P("kidnap_days", (), 0, 365, "days", "Days held by kidnappers."),
        P("kidnap_death_probability", (), 0, 1, "probability", "Chance a kidnapping ends in death."),
    ),
    columns=(
        Column("exposure_prey", "float32", 0.0, "today's predation hazard (integrated), then reset"),
        Column("robbed_usd", "float32", 0.0, "money robbers and extorting officials took from the person (USD)"),
    ),
    indicators=(
        Indicator("victimizations", "flow", "crimes against migrants (all types)"),
        Indicator("robberies", "flow", "robberies and extortions"),
        Indicator("kidnappings", "flow", "kidnappings"),
        Indicator("deaths", "flow", "deaths (crime, kidnapping, border crossing)"),
    ),
    streams=(Stream("kidnap_end", "a kidnapping ends in death"), Stream("prey", "a crime today"),
             Stream("prey_kind", "the kind of crime")),
    derived=("prey_per_km", "outcome_cum"),
    derive=_derive,
    rule=attack,
    reads=("status", "timer", "nationality", "uid", "loc", "exposure_prey", "route", "group", "documents",
           "caravan", "money", "robbed_usd", "first_event"),
    writes=("status", "days_in_status", "live", "route", "money", "progress", "timer", "robbed_usd"),
)
