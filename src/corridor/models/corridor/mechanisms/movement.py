"""Movement: route and mode choice, travel along routes, papers at the crossing, arrivals.

People between legs set off with a daily probability and choose a route by a logit on the
detour it implies: its km plus the cost to the US from its end, beyond the cost from here. The
cost to the US is road km plus, at the crossing, the border city's ``crossing_cost_km`` (fees,
terrain, enforcement) and its camp's distance to the line, so a dearer crossing displaces
people to others and a closed route re-routes them. They choose a mode among those the route
allows and they can pay for, and travel at that mode's speed; a day may span several legs.
A caravan moves as one: its members at a place set off on the same days, by the same route
and mode (draws keyed by the place, the mode among those everyone can pay for), at the
caravan's own pace, toward ``caravan_destination`` when one is set, so they arrive together
(facts/06-07: about 30 days together from San Pedro Sula to Tijuana).
The hazards of detection and predation are integrated over the km travelled on each route and
mode (the enforcement and predation mechanisms say how; they act on the exposures later in
the day). Mexico hands out papers at the southern border: transit documents, regional visitor
cards, humanitarian visas for caravan members (each a lever). Some in transit stop trying.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from ....indicators import Indicator
from ....network import MODES
from ....params import LARGEST
from ....params import ParamSpec as P
from ..declare import Column, Mechanism, Stream
from ..person import SET_OFF, STOP, bern, count, draw, set_status, waited
from ..states import DOCUMENTS, Status, normalised_cum
from . import enforcement, predation

PROHIBITIVE_KM = 1e7              # a crossing cost no detour can make worth it
MAX_LEGS_PER_DAY = 12            # legs a day can span (sub-draws of the route and mode streams)
VISITOR_CARD = DOCUMENTS.index("visitor_card")
TRANSIT_DOCUMENT = DOCUMENTS.index("transit_document")
VISA = DOCUMENTS.index("visa")


@njit(cache=True, inline="always")
def _papers_at_entry(s, w, d, where):
    """Papers given at the southern border before the first leg in Mexico."""
    a, p, k, x = w.agents, w.params, w.streams, w.indicators
    n = a.nationality[s]
    ident = a.uid[s]
    none = a.documents[s] == 0
    visa = none and a.caravan[s] > 0 and bern(d, k.papers, ident, p.caravan_visa_probability)
    if visa:
        a.documents[s] = VISA
        count(d, x.humanitarian_visas, n, where)
    if none and not visa and bern(d, k.papers, ident, p.transit_document_share[n], 1):
        a.documents[s] = TRANSIT_DOCUMENT
        count(d, x.transit_documents, n, where)
    if a.documents[s] == 0 and bern(d, k.papers, ident, p.visitor_card_share[n], 2):
        a.documents[s] = VISITOR_CARD
        a.card_days[s] = round(p.visitor_card_validity_days)
        count(d, x.visitor_cards, n, where)


@njit(cache=True, inline="always")
def _start_leg(s, w, d, leg):
    """Someone at a place picks a route out (and a mode for it)."""
    a, p, g, k = w.agents, w.params, w.places, w.streams
    here = np.int64(a.loc[s])
    nat = a.nationality[s]
    toward = a.caravan[s] > 0 and p.caravan_destination >= 0     # a caravan heading for its city
    cum = p.route_cum_caravan if toward else p.route_cum[nat]
    if not (p.has_route_caravan[here] if toward else p.has_route[nat, here]):
        return
    if a.caravan[s] > 0:                      # a caravan moves as one: one draw per place
        u = draw(d, k.route_caravan, here, leg)
    else:
        u = draw(d, k.route, a.uid[s], leg)
    u = min(u, 1.0 - 1e-9)
    # the first route whose cumulative choice weight passes here + u (each place's routes
    # are contiguous: every earlier value is <= here, every later one > here + u)
    v = here + u
    r = g.indptr[here]
    end = g.indptr[here + 1]
    while r < end and cum[r] <= v:
        r += 1
    r = min(r, p.last_route[here])
    # mode: among those the route allows and the person can pay for; the choice's cumulative
    # weights depend only on how many of the modes' money thresholds the person reaches
    level = 0
    for j in range(p.mode_levels.size):
        if a.money[s] >= p.mode_levels[j]:
            level += 1
    if a.caravan[s] > 0:                      # one mode for all, among those everyone can pay for (its
        level = min(level, 1)                 # hazards; a caravan moves at its own pace): one draw per place
        um = draw(d, k.mode_caravan, here, leg)
    else:
        um = draw(d, k.mode, a.uid[s], leg)
    m = 0
    for j in range(p.mode_cum.shape[2]):
        if um >= p.mode_cum[r, level, j]:
            m += 1
    a.route[s] = r
    a.mode[s] = min(m, p.mode_cum.shape[2] - 1)
    a.progress[s] = 0.0
    if g.entry_route[r]:
        _papers_at_entry(s, w, d, g.dst[r])


@njit(cache=True, inline="always")
def stop_probability(s, w):
    """Daily chance that someone in transit stops trying (a caravan member at the caravan's rate)."""
    if w.agents.caravan[s] > 0:
        return w.params.caravan_stop_per_day
    return w.params.transit_stop_per_day[w.places.zone_of[w.agents.loc[s]]]


@njit(cache=True, inline="always")
def set_off_probability(s, w):
    """Daily chance that someone in transit between legs, not with a caravan, sets off."""
    return w.params.daily_move_probability[w.places.zone_of[w.agents.loc[s]]]


@njit(cache=True, inline="always")
def leg_speed(s, w):
    """Km a day on the person's current leg (route and mode; a caravan's own pace)."""
    if w.agents.caravan[s] > 0:
        return w.params.caravan_speed_km_per_day
    return w.params.speed[w.agents.route[s], w.agents.mode[s]]


@njit(cache=True, inline="always")
def travel(s, i, w, d):
    """A day of someone in transit: stop trying, rest, or travel one or more legs."""
    a, p, g, x = w.agents, w.params, w.places, w.indicators
    if a.status[s] != Status.TRANSIT:
        return
    n = a.nationality[s]
    if waited(d, a, s, w.streams.transit_stop, STOP, stop_probability(s, w)):
        count(d, x.gave_up, n, a.loc[s])
        set_status(a, s, Status.GAVE_UP)
        return
    if a.route[s] < 0:                         # between legs: sets off or rests today
        if a.caravan[s] > 0:                   # a caravan as one: one draw per place (kept awake by the calendar)
            if not bern(d, w.streams.set_off_caravan, np.int64(a.loc[s]), p.caravan_move_probability):
                return
        elif not waited(d, a, s, w.streams.set_off, SET_OFF, set_off_probability(s, w)):
            return
    det_f = enforcement.person_factor(s, w)
    prey_f = predation.person_factor(s, w)
    time_left = 1.0
    for leg in range(MAX_LEGS_PER_DAY):
        if a.route[s] < 0:
            _start_leg(s, w, d, leg)
        r = a.route[s]
        if r < 0:
            break
        m = a.mode[s]
        speed = leg_speed(s, w)
        remaining = g.km[r] - a.progress[s]
        need = remaining / speed
        arrive = need <= time_left
        dist = remaining if arrive else speed * time_left
        a.exposure_detect[s] = a.exposure_detect[s] + np.float32(enforcement.leg_hazard(s, w, r, m, dist, det_f))
        a.exposure_prey[s] = a.exposure_prey[s] + np.float32(predation.leg_hazard(w, r, m, dist, prey_f))
        a.progress[s] = a.progress[s] + np.float32(dist)
        if not arrive:
            break
        time_left = time_left - need
        # arrival at the end of the route
        if d.rec:
            d.flows[r] += 1
        here = g.dst[r]
        a.loc[s] = here
        a.route[s] = -1
        a.progress[s] = 0.0
        a.mode[s] = -1
        if g.entry_route[r]:
            count(d, x.entries_mexico, n, here)
        if g.is_border_city[here]:
            count(d, x.arrivals_us_border, n, here)
            set_status(a, s, Status.WAITING_NORTH)
            a.timer[s] = round(p.north_wait_days)
            break
        # stop for the day at an asylum office (the asylum mechanism decides) or out of time
        if g.is_asylum_office[here] or not time_left > 1e-6:
            break


def mode_tables(allows: np.ndarray, weight: np.ndarray, min_money: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mode choice, tabulated: the sorted distinct money thresholds, and for each route and
    each number of thresholds reached, the cumulative weights a draw is compared with. With no
    affordable mode a person takes any allowed one (nobody is stuck for lack of money)."""
    levels = np.unique(min_money)
    rank = np.searchsorted(levels, min_money)            # a mode is affordable at level L if rank < L
    weight_r = allows * weight[None, :]
    fallback = weight_r + allows * 1e-9
    out = np.empty((allows.shape[0], levels.size + 1, weight.size))
    for level in range(levels.size + 1):
        can_pay = weight_r * (rank < level)[None, :]
        w = np.where(can_pay.sum(axis=1, keepdims=True) > 0, can_pay, fallback)
        out[:, level, :] = normalised_cum(w)
    return levels, out


def cost_to_us(g, route_open: np.ndarray, crossing_cost_km: np.ndarray, extra_km: np.ndarray) -> np.ndarray:
    """Km-equivalent from every place to the US side along open routes: road km, plus at the
    crossing the border city's ``crossing_cost_km`` (smugglers' fees, terrain, enforcement)
    and the walk from its camp (``crossing_extra_km``); ``inf`` where the US cannot be reached."""
    us = g.dist_goal == 0
    weight = g.km + np.where(g.is_border_city[g.src] & us[g.dst], crossing_cost_km[g.src] + extra_km[g.src], 0.0)
    # travel ends at the first border city (people cross there): no road on along the border
    keep = route_open & (weight > 0) & (~g.is_border_city[g.src] | us[g.dst])
    n = g.zone_of.size
    reverse = csr_matrix((weight[keep], (g.dst[keep], g.src[keep])), shape=(n, n))
    if not us.any():
        return np.full(n, np.inf)
    return dijkstra(reverse, directed=True, indices=np.flatnonzero(us), min_only=True)


def route_choice(g, route_open: np.ndarray, goal: np.ndarray, km_scale: float) -> tuple[np.ndarray, np.ndarray]:
    """The logit on detours as cumulative weights: per route, its place's index plus the share
    of that place's weight up to and including it (a draw u picks the first route past
    place + u); and per place, whether any route out is usable."""
    src, dst = g.src, g.dst
    # routes into the US are crossed only by the border mechanism, never by ordinary travel
    usable = route_open & np.isfinite(goal[dst]) & (g.dist_goal[dst] > 0)
    detour = g.km + np.where(np.isfinite(goal[dst]), goal[dst], 0.0) - np.where(np.isfinite(goal[src]), goal[src], 0.0)
    w = np.where(usable, np.exp(-np.maximum(detour, 0.0) / km_scale), 0.0)
    cw = np.cumsum(w)
    before = np.concatenate([[0.0], cw])[g.indptr[:-1]]          # cumulative weight before each place's routes
    seg_total = np.concatenate([[0.0], cw])[g.indptr[1:]] - before
    within = cw - before[src]
    tot = seg_total[src]
    return src + np.divide(within, tot, out=np.zeros_like(within), where=tot > 0), seg_total > 0


def _derive(lev, g) -> dict:
    """Route choice by nationality (their crossing costs differ) and speeds for the levers in
    force (closed routes, crossing costs, km scale, speeds)."""
    p = lev.params
    extra = np.asarray(p.crossing_extra_km, dtype=np.float64)
    # one route table per distinct row of crossing costs (most nationalities share one)
    costs, row_of = np.unique(np.asarray(p.crossing_cost_km, dtype=np.float64), axis=0, return_inverse=True)
    cum, has = zip(*(route_choice(g, lev.route_open, cost_to_us(g, lev.route_open, cost, extra),
                                  float(p.route_km_scale)) for cost in costs), strict=True)
    # a caravan heading for one border city: the same logit on the cost to that city's crossing
    # (the others' made prohibitive, not closed: a caravan member who cannot reach it still moves)
    dest = int(p.caravan_destination)
    if dest >= 0:
        only = np.where(g.is_border_city & (np.arange(g.zone_of.size) != dest), PROHIBITIVE_KM, 0.0)
        to_dest, has_to_dest = route_choice(g, lev.route_open, cost_to_us(g, lev.route_open, only, extra),
                                            float(p.route_km_scale))
    else:
        to_dest, has_to_dest = np.zeros(g.km.size), np.zeros(g.zone_of.size, dtype=bool)
    km = g.km
    speed_mode = np.asarray(p.speed_km_per_day, dtype=np.float64)
    days = np.maximum(km[:, None] / speed_mode[None, :], g.min_days[:, None])
    levels, mode_cum = mode_tables(g.route_allows, np.asarray(p.mode_weight, dtype=np.float64),
                                   np.asarray(p.mode_min_money_usd, dtype=np.float64))
    row_of = np.ravel(row_of)
    return {"route_cum": np.stack(cum)[row_of], "has_route": np.stack(has)[row_of], "route_cum_caravan": to_dest,
            "has_route_caravan": has_to_dest, "last_route": np.maximum(g.indptr[1:] - 1, 0),
            "speed": km[:, None] / days, "mode_levels": levels, "mode_cum": mode_cum}


MECHANISM = Mechanism(
    name="movement",
    doc=__doc__,
    parameters=(
        P("transit_document_share", ("nationality",), 0, 1, "share",
          "Share of entrants given a transit document for 'persons in the process of migration' (seed 000)."),
        P("visitor_card_share", ("nationality",), 0, 1, "share",
          "Share of entrants holding the regional visitor card (eligible nationalities only)."),
        P("visitor_card_validity_days", (), 0, 3650, "days", "Days a regional visitor card entry is valid."),
        P("caravan_visa_probability", (), 0, 1, "probability",
          "Chance that a caravan member is given a humanitarian visa on entering Mexico."),
        P("daily_move_probability", ("zone",), 0, 1, "per day",
          "Chance that someone between legs sets off that day (the rest rest, work or wait)."),
        P("route_km_scale", (), 1, LARGEST, "km",
          "Route choice: a detour of this many km makes a route e times less likely."),
        P("crossing_cost_km", ("nationality", "location"), 0, LARGEST, "km",
          "Route choice: what crossing from a border city costs a nationality beyond its road km "
          "(smugglers' fees and networks, terrain, enforcement), in km of detour; hardening a crossing raises it."),
        P("speed_km_per_day", ("mode",), 1, LARGEST, "km/day", "Distance covered per day by mode."),
        P("mode_weight", ("mode",), 0, LARGEST, "weight", "Relative preference among a route's modes."),
        P("mode_min_money_usd", ("mode",), 0, LARGEST, "USD",
          "Money needed to use a mode (fares, smugglers); below it the mode is not chosen."),
        P("transit_stop_per_day", ("zone",), 0, 1, "per day",
          "Daily chance that someone in transit stops trying (settles or goes home)."),
        P("caravan_move_probability", (), 0, 1, "per day", "Chance a caravan sets off on a given day."),
        P("caravan_stop_per_day", (), 0, 1, "per day",
          "Daily chance that a caravan member stops trying (goes home or stays)."),
        P("caravan_speed_km_per_day", (), 1, LARGEST, "km/day",
          "A caravan's pace on a day it moves (walking and rides together), whatever the mode."),
        P("caravan_destination", (), -1, LARGEST, "location",
          "The border city caravans head for ('none': they choose as others of their nationality)."),
    ),
    columns=(
        Column("mode", "int8", -1, f"travel mode on the current route (index into {', '.join(MODES)})"),
        Column("card_days", "int16", 0, "days left on a regional visitor card entry"),
    ),
    indicators=(
        Indicator("entries_mexico", "flow", "crossings into Mexico from the south (re-entries included)"),
        Indicator("arrivals_us_border", "flow", "arrivals in a Mexican border city on a journey north"),
        Indicator("transit_documents", "flow", "transit documents issued at the southern border"),
        Indicator("visitor_cards", "flow", "entries with a regional visitor card"),
        Indicator("humanitarian_visas", "flow", "humanitarian visas given to caravan members"),
    ),
    also_counts=("gave_up",),
    streams=(Stream("transit_stop", "stops trying"), Stream("set_off", "sets off today"),
             Stream("route", "route out of a place, per leg"),
             Stream("route_caravan", "a caravan's route out of a place, per leg (keyed by the place)"),
             Stream("mode", "travel mode, per leg"),
             Stream("set_off_caravan", "a caravan sets off from a place today (keyed by the place)"),
             Stream("mode_caravan", "a caravan's travel mode out of a place, per leg (keyed by the place)"),
             Stream("papers", "papers at the crossing (three draws)")),
    derived=("route_cum", "has_route", "route_cum_caravan", "has_route_caravan", "last_route", "speed",
             "mode_levels", "mode_cum"),
    derive=_derive,
    rule=travel,
    reads=("status", "nationality", "loc", "uid", "caravan", "route", "money", "mode", "progress", "documents",
           "exposure_detect", "exposure_prey", "group", "card_days", "first_event"),
    writes=("status", "days_in_status", "live", "route", "mode", "progress", "loc", "documents", "card_days",
            "exposure_detect", "exposure_prey", "timer"),
)
