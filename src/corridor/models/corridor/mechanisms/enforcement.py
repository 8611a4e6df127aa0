"""Enforcement in Mexico: detection, detention, extortion by officials, deportation.

Detection hazard = km-integrated exposure from the day's travel (by state and mode) plus a
daily hazard for foreigners waiting in a place in Mexico; both scale with the documents held
(a visa or refugee status protects; a regional visitor card only while valid and only in
the states where it is valid) and with caravan membership. Mexicans are not detected by
Mexico. A detection may end in extortion by officials and release (they take money by the
robbers' rule, ``predation.take_money``); otherwise the person is
detained (a family may be separated: a child detained without their family becomes an
unaccompanied minor, an adult goes on alone; officials may hand the person to criminals; an
unaccompanied minor may be taken into child protection and asylum). Detainees are deported
after ``detention_days`` to the place Mexico returns their nationality to, where they may
try again (see departures), or released.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ....indicators import Indicator
from ....params import LARGEST
from ....params import ParamSpec as P
from ..declare import Column, Mechanism, Stream
from ..person import DETECT, bern, count, resume, set_status, waited_hazard
from ..states import DOCUMENTS, GROUPS, Status
from . import predation

VISITOR_CARD = DOCUMENTS.index("visitor_card")
RECEIPT = DOCUMENTS.index("asylum_receipt")
ALONE = GROUPS.index("alone")
FAMILY = GROUPS.index("family")
MINOR = GROUPS.index("unaccompanied_minor")


@njit(cache=True, inline="always")
def document_factor(s, w, region):
    """Detection multiplier of the documents held, in a place of state ``region``."""
    a, p = w.agents, w.params
    docs = a.documents[s]
    if docs == VISITOR_CARD and (a.card_days[s] <= 0 or p.visitor_card_region[region] == 0):
        return 1.0
    return p.detection_document_factor[docs]


@njit(cache=True, inline="always")
def person_factor(s, w):
    """The person's detection multiplier, travelling or waiting: Mexicans are not detected by
    Mexico; caravans are more visible (documents act by place: :func:`document_factor`)."""
    a = w.agents
    return (1.0 if a.nationality[s] != w.places.mexican else 0.0) \
        * (w.params.caravan_detection_factor if a.caravan[s] > 0 else 1.0)


@njit(cache=True, inline="always")
def leg_hazard(s, w, r, m, km, factor):
    """Detection hazard of ``km`` travelled on route ``r`` by mode ``m``."""
    g = w.places
    return km * w.params.detect_per_km[r, m] * factor * document_factor(s, w, g.region[g.dst[r]])


@njit(cache=True, inline="always")
def exposed(status):
    """Statuses in which Mexico's migration authority may detect someone."""
    return status == Status.TRANSIT or status == Status.WAITING_NORTH


@njit(cache=True, inline="always")
def waiting_hazard(s, w):
    """The day's detection hazard of someone at a place (not on a route) in Mexico."""
    a, p, g = w.agents, w.params, w.places
    here = a.loc[s]
    if a.route[s] >= 0 or not g.in_mexico[here]:
        return 0.0
    return p.mx_detection_waiting_per_day[g.zone_of[here]] * person_factor(s, w) \
        * document_factor(s, w, g.region[here])


@njit(cache=True, inline="always")
def detain_or_deport(s, i, w, d):
    """The day's detentions (from the exposure of travel and waiting) and deportations."""
    a, p, k, x = w.agents, w.params, w.streams, w.indicators
    n = a.nationality[s]
    ident = a.uid[s]
    if a.status[s] == Status.DETAINED_MX and a.timer[s] <= 0:
        if bern(d, k.deport, ident, p.deportation_share):
            count(d, x.deportations_mexico, n, a.loc[s])
            a.loc[s] = p.deportation_destination[n]
            a.documents[s] = 0
            set_status(a, s, Status.RETURNED_BY_MX)
            a.timer[s] = round(p.retry_wait_days_mx)
        else:
            resume(w, s)
    if not exposed(a.status[s]):
        return
    here = a.loc[s]
    if not waited_hazard(d, a, s, k.detect, DETECT, np.float64(a.exposure_detect[s]) + waiting_hazard(s, w)):
        return
    a.route[s] = -1
    a.progress[s] = 0.0
    if bern(d, k.extortion, ident, p.official_extortion_probability):
        count(d, x.victimizations, n, here)
        count(d, x.robberies, n, here)
        count(d, x.victimizations_by_officials, n, here)
        predation.take_money(s, w, p.robbery_loss_fraction, p.robbery_min_loss_usd)   # robbed, by officials
        return
    count(d, x.detentions_mexico, n, here)
    if a.group[s] == FAMILY and bern(d, k.separation, ident, p.family_separation_probability):
        count(d, x.family_separations, n, here)
        # torn from their family: a child is now an unaccompanied minor (child protection may
        # take them, below), an adult goes on alone
        a.group[s] = MINOR if bern(d, k.separation, ident, p.separated_child_share, 1) else ALONE
    set_status(a, s, Status.DETAINED_MX)
    a.timer[s] = round(p.detention_days)
    if bern(d, k.collusion, ident, p.collusion_kidnap_probability):
        count(d, x.victimizations, n, here)
        count(d, x.kidnappings, n, here)
        count(d, x.victimizations_by_officials, n, here)
        set_status(a, s, Status.KIDNAPPED)
        a.timer[s] = round(p.kidnap_days)
    elif a.group[s] == MINOR and bern(d, k.minor_care, ident, p.minor_care_probability):
        count(d, x.minors_in_care, n, here)
        count(d, x.asylum_applications_mexico, n, here)
        a.applied_asylum[s] = 1
        a.documents[s] = RECEIPT
        set_status(a, s, Status.ASYLUM_MX)


def _derive(lev, g) -> dict:
    """Detection hazard per km on each route and mode (zero on routes ending outside Mexico)."""
    p = lev.params
    in_mx_route = g.in_mexico[g.dst]
    per_km = (np.asarray(p.mx_detection_per_100km)[g.region[g.dst]] * in_mx_route)[:, None] \
        * np.asarray(p.detection_mode_factor)[None, :] / 100.0
    return {"detect_per_km": per_km}


MECHANISM = Mechanism(
    name="enforcement",
    doc=__doc__,
    parameters=(
        P("mx_detection_per_100km", ("region",), 0, LARGEST, "per 100 km",
          "Hazard of detection by Mexican migration authorities per 100 km travelled, by state."),
        P("detection_mode_factor", ("mode",), 0, LARGEST, "factor", "Detection hazard multiplier by mode."),
        P("detection_document_factor", ("documents",), 0, LARGEST, "factor",
          "Detection hazard multiplier by documents held."),
        P("visitor_card_region", ("region",), 0, 1, "flag", "States where the regional visitor card is valid (1)."),
        P("mx_detection_waiting_per_day", ("zone",), 0, 1, "per day",
          "Daily detection hazard for foreigners waiting in a place in Mexico."),
        P("caravan_detection_factor", (), 0, LARGEST, "factor",
          "Detection multiplier for caravan members (visibility; repression of caravans)."),
        P("official_extortion_probability", (), 0, 1, "probability",
          "Chance that a detection ends in extortion by officials and release, not a recorded detention."),
        P("collusion_kidnap_probability", (), 0, 1, "probability",
          "Chance that officials hand a detainee to criminals (collusion)."),
        P("minor_care_probability", (), 0, 1, "probability",
          "Chance a detained unaccompanied minor is taken into child protection and asylum instead of deported."),
        P("family_separation_probability", (), 0, 1, "probability",
          "Chance that the detention of a family member separates the family."),
        P("separated_child_share", (), 0, 1, "share",
          "Share of family members separated at a detention who are children (then unaccompanied)."),
        P("detention_days", (), 0, 365, "days", "Days in detention before deportation."),
        P("deportation_share", (), 0, 1, "share", "Share of detentions ending in deportation."),
        P("deportation_destination", ("nationality",), 0, LARGEST, "location",
          "Where Mexico returns deportees of each nationality."),
        P("retry_wait_days_mx", (), 0, 3650, "days", "Days before a deportee sets off again."),
    ),
    columns=(
        Column("exposure_detect", "float32", 0.0, "today's detection hazard (integrated), then reset"),
    ),
    indicators=(
        Indicator("detentions_mexico", "flow", "detentions by Mexico's migration authority"),
        Indicator("deportations_mexico", "flow", "deportations by Mexico"),
        Indicator("victimizations_by_officials", "flow", "extortion by officials and handovers to criminals"),
        Indicator("family_separations", "flow", "detentions that separated a family"),
        Indicator("minors_in_care", "flow", "detained unaccompanied minors taken into child protection"),
    ),
    also_counts=("victimizations", "robberies", "kidnappings", "asylum_applications_mexico"),
    streams=(Stream("deport", "deported when detention ends"), Stream("detect", "detected today"),
             Stream("extortion", "extorted and released by officials"),
             Stream("separation", "a family separated (0), the member a child (1)"),
             Stream("collusion", "handed to criminals"),
             Stream("minor_care", "a minor taken into child protection")),
    derived=("detect_per_km",),
    derive=_derive,
    rule=detain_or_deport,
    reads=("status", "timer", "nationality", "uid", "loc", "exposure_detect", "route", "caravan", "documents",
           "card_days", "money", "robbed_usd", "group", "first_event"),
    writes=("loc", "documents", "status", "days_in_status", "live", "route", "timer", "progress", "money",
            "robbed_usd", "applied_asylum", "group"),
)
