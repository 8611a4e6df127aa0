"""The US border: crossing attempts, apprehension, asylum claims, "stay in Mexico", returns.

People in a border city cross after ``north_wait_days``. An attempt may end in death, in
apprehension, or in entry; the farther their camp is from the border (``crossing_extra_km``,
the Tijuana camp moved 11 miles), the likelier apprehension. Apprehended people may ask for
asylum: under "stay in Mexico" (``mpp_share`` of the nationalities in ``mpp_eligible``; never
unaccompanied minors) they wait for their hearing in the border city, exposed to its criminals,
otherwise they enter pending their case. The others are returned to the border city (as most
Mexicans were around 2010), removed home, or flown to southern Mexico and expelled into
Guatemala (seed 004). Where a lawful pathway is open (``port_entry_share``: parole for Cubans,
Haitians, Nicaraguans and Venezuelans from 2023, facts/10), that share of those ready to cross
present themselves at a port of entry instead: they enter pending their case and are not
Border Patrol apprehensions.
"""

from __future__ import annotations

import math

from numba import njit

from ....indicators import Indicator
from ....params import LARGEST
from ....params import ParamSpec as P
from ..declare import Mechanism, Stream
from ..person import FLAG_ADMITTED, bern, count, draw, set_status
from ..states import GROUPS, Status

MINOR = GROUPS.index("unaccompanied_minor")


@njit(cache=True, inline="always")
def remove(s, w, d, stream):
    """A US removal: home, or by a flight to southern Mexico (then expelled, as detainees)."""
    a, p = w.agents, w.params
    n = a.nationality[s]
    if bern(d, stream, a.uid[s], p.us_removal_to_south_mexico_share[n]):
        a.loc[s] = p.us_removal_south_location
        count(d, w.indicators.us_flights_south_mexico, n, a.loc[s])
        set_status(a, s, Status.DETAINED_MX)
        a.timer[s] = round(p.expulsion_days)
    else:
        a.loc[s] = a.origin[s]
        set_status(a, s, Status.RETURNED_BY_US)
        a.timer[s] = round(p.retry_wait_days_us[n])


@njit(cache=True, inline="always")
def hearings_and_crossings(s, i, w, d):
    """Hearings of people waiting in Mexico for their US case, then the day's crossings."""
    a, p, g, k, x = w.agents, w.params, w.places, w.streams, w.indicators
    n = a.nationality[s]
    ident = a.uid[s]
    if a.status[s] == Status.WAITING_US_HEARING and a.timer[s] <= 0:
        if bern(d, k.us_asylum_decision, ident, p.us_asylum_grant_probability[n]):
            count(d, x.us_asylum_grants, n, a.loc[s])
            rt = g.crossing_route[a.loc[s]]
            if rt >= 0:
                a.loc[s] = g.dst[rt]
            set_status(a, s, Status.IN_US)
            d.flags[i] |= FLAG_ADMITTED
        else:
            remove(s, w, d, k.us_removal_hearing)
    if not (a.status[s] == Status.WAITING_NORTH and a.timer[s] <= 0 and g.crossing_route[a.loc[s]] >= 0):
        return
    here = a.loc[s]
    side = g.dst[g.crossing_route[here]]
    if bern(d, k.port_entry, ident, p.port_entry_share[n]):
        a.loc[s] = side
        count(d, x.port_entries_us, n, side)
        set_status(a, s, Status.IN_US)
        d.flags[i] |= FLAG_ADMITTED
        return
    count(d, x.crossing_attempts_us, n, side)
    u = draw(d, k.crossing, ident)
    p_death = p.us_crossing_death_probability
    extra = p.crossing_extra_km[here]
    p_app = p.us_apprehension_probability[n]
    if extra > 0:
        p_app = 1.0 - (1.0 - p_app) * math.exp(-p.apprehension_per_extra_km * extra)
    if u < p_death:
        count(d, x.deaths, n, side)
        set_status(a, s, Status.DEAD)
    elif u < p_death + (1.0 - p_death) * p_app:
        count(d, x.apprehensions_us, n, side)
        if bern(d, k.us_asylum_claim, ident, p.us_asylum_claim_probability[n]):
            count(d, x.us_asylum_claims, n, side)
            if a.group[s] != MINOR and bern(d, k.mpp, ident, p.mpp_share * p.mpp_eligible[n]):
                count(d, x.mpp_enrollments, n, here)
                set_status(a, s, Status.WAITING_US_HEARING)
                a.timer[s] = round(p.mpp_wait_days)
            else:
                a.loc[s] = side
                set_status(a, s, Status.IN_US)
                d.flags[i] |= FLAG_ADMITTED
        elif bern(d, k.us_return, ident, p.us_return_to_border_share[n]):
            set_status(a, s, Status.RETURNED_BY_US)
            a.timer[s] = round(p.retry_wait_days_us[n])
        else:
            remove(s, w, d, k.us_removal_route)
    else:
        a.loc[s] = side
        count(d, x.entries_us, n, side)
        set_status(a, s, Status.IN_US)
        d.flags[i] |= FLAG_ADMITTED


MECHANISM = Mechanism(
    name="border",
    doc=__doc__,
    parameters=(
        P("north_wait_days", (), 0, 3650, "days", "Days in a border city before a crossing attempt."),
        P("us_apprehension_probability", ("nationality",), 0, 1, "probability",
          "Chance that a crossing attempt ends in apprehension by the Border Patrol."),
        P("us_crossing_death_probability", (), 0, 1, "probability", "Chance of dying in a crossing attempt."),
        P("crossing_extra_km", ("location",), 0, LARGEST, "km",
          "Extra distance between a border city's camp or shelter and the border (Tijuana camp moved 11 miles)."),
        P("apprehension_per_extra_km", (), 0, LARGEST, "per km",
          "How much each extra km to the border adds to the chance of apprehension (hazard per km)."),
        P("us_asylum_claim_probability", ("nationality",), 0, 1, "probability",
          "Chance an apprehended person asks for asylum in the US."),
        P("mpp_share", (), 0, 1, "share",
          "Share of asylum seekers sent back to wait in Mexico for their hearing ('stay in Mexico', MPP)."),
        P("mpp_eligible", ("nationality",), 0, 1, "flag",
          "Nationalities 'stay in Mexico' may send back (1; the programme excluded Mexicans). "
          "Unaccompanied minors are never sent back."),
        P("mpp_wait_days", (), 0, 3650, "days", "Days waiting in a Mexican border city for a US hearing."),
        P("us_asylum_grant_probability", ("nationality",), 0, 1, "probability",
          "Chance a US asylum case ends in protection."),
        P("us_return_to_border_share", ("nationality",), 0, 1, "share",
          "Share of apprehended people returned to the Mexican border city (the rest are removed home)."),
        P("retry_wait_days_us", ("nationality",), 0, 3650, "days",
          "Days before someone returned by the US tries again."),
        P("us_removal_to_south_mexico_share", ("nationality",), 0, 1, "share",
          "Share of removals of non-Mexicans flown to southern Mexico instead of home (seed 004)."),
        P("us_removal_south_location", (), -1, LARGEST, "location",
          "Where deportation flights to southern Mexico land (-1: no such place in this network)."),
        P("port_entry_share", ("nationality",), 0, 1, "share",
          "Share of people ready to cross who go to a port of entry by a lawful pathway (parole, "
          "appointments) instead of crossing between ports."),
        P("expulsion_days", (), 0, 365, "days",
          "Days before people flown to southern Mexico are expelled into Guatemala."),
    ),
    indicators=(
        Indicator("crossing_attempts_us", "flow", "attempts to cross into the US"),
        Indicator("apprehensions_us", "flow", "apprehensions by the US Border Patrol"),
        Indicator("entries_us", "flow", "crossings into the US without apprehension"),
        Indicator("us_asylum_claims", "flow", "asylum claims by people apprehended at the US border"),
        Indicator("mpp_enrollments", "flow", "asylum seekers sent back to wait in Mexico (MPP)"),
        Indicator("us_asylum_grants", "flow", "US asylum grants after waiting in Mexico"),
        Indicator("us_flights_south_mexico", "flow", "people flown by the US to southern Mexico"),
        Indicator("port_entries_us", "flow", "people admitted at a port of entry by a lawful pathway"),
    ),
    also_counts=("deaths",),
    streams=(Stream("us_asylum_decision", "protection after an MPP hearing"),
             Stream("us_removal_hearing", "removal route after a refused case"),
             Stream("crossing", "the outcome of a crossing attempt"),
             Stream("us_asylum_claim", "an apprehended person claims asylum"),
             Stream("mpp", "an asylum seeker is sent back to wait in Mexico"),
             Stream("us_return", "returned to the border city rather than removed"),
             Stream("us_removal_route", "removal route after an apprehension"),
             Stream("port_entry", "goes to a port of entry by a lawful pathway")),
    rule=hearings_and_crossings,
    reads=("status", "timer", "nationality", "uid", "loc", "origin", "group"),
    writes=("loc", "status", "days_in_status", "live", "route", "timer"),
)
