"""Asylum in Mexico: applications, a first-in first-out queue with a daily capacity, decisions.

People in transit at a place with an asylum office may apply (once; caravan members at their
own rate). Applicants are held in that place (they wait there, seed 004) until the commission
decides: at most ``asylum_decisions_per_day`` decisions a day (scaled with the population),
oldest cases first, none before ``asylum_min_days``. Recognition rates differ by nationality;
most recognised refugees leave Mexico with their papers. Some applicants abandon the queue
and carry on north; refused applicants carry on irregularly.

Applying and abandoning act on one person at a time (:func:`apply_or_wait`); the queue
couples the applicants (a shared capacity, oldest first) and runs after the day's pass on
the people it flagged (:func:`decide`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ....indicators import Indicator
from ....params import LARGEST
from ....params import ParamSpec as P
from ..declare import Column, Mechanism, Stream
from ..person import FLAG_CANDIDATE, LEAVE, bern, count, set_status, waited
from ..states import DOCUMENTS, Status
from .record import stock

VISA = DOCUMENTS.index("visa")
RECEIPT = DOCUMENTS.index("asylum_receipt")
REFUGEE = DOCUMENTS.index("refugee")


@njit(cache=True, inline="always")
def may_apply(s, w):
    """Someone in transit at a place with an asylum office who has not applied yet (and has no
    visa or refugee status)."""
    a = w.agents
    return a.status[s] == Status.TRANSIT and a.route[s] < 0 and a.applied_asylum[s] == 0 \
        and not (a.documents[s] == VISA or a.documents[s] == REFUGEE) and w.places.is_asylum_office[a.loc[s]]


@njit(cache=True, inline="always")
def abandon_probability(w):
    """Daily chance that an applicant leaves the queue."""
    return w.params.asylum_abandon_per_day


@njit(cache=True, inline="always")
def days_to_candidate(s, w):
    """Days from today until an applicant's case can be decided (0: it can be today)."""
    wait = w.params.asylum_min_days - np.float64(w.agents.days_in_status[s])
    return 0 if wait <= 0 else int(np.ceil(wait))


@njit(cache=True, inline="always")
def apply_or_wait(s, i, w, d):
    """Someone at an asylum office may apply; applicants may abandon, or join today's queue."""
    a, p, k = w.agents, w.params, w.streams
    n = a.nationality[s]
    if may_apply(s, w):
        prob = p.caravan_asylum_apply_probability if a.caravan[s] > 0 else p.asylum_apply_probability[n]
        a.applied_asylum[s] = 1
        if bern(d, k.asylum_apply, a.uid[s], prob):
            count(d, w.indicators.asylum_applications_mexico, n, a.loc[s])
            a.documents[s] = RECEIPT
            set_status(a, s, Status.ASYLUM_MX)
    if a.status[s] == Status.ASYLUM_MX:
        if waited(d, a, s, k.asylum_abandon, LEAVE, abandon_probability(w)):
            a.documents[s] = 0
            set_status(a, s, Status.TRANSIT)
        elif days_to_candidate(s, w) == 0:
            d.flags[i] |= FLAG_CANDIDATE


def daily_capacity(sim, first: int, last: int) -> tuple[float, np.ndarray]:
    """Decisions a day (scaled with the population) and, for days ``first..last-1``, the uniform
    that decides whether the fraction of a decision is taken that day (zeros when the capacity
    is whole)."""
    capacity = float(sim.params.asylum_decisions_per_day) * sim.world.population_scale
    if capacity - int(capacity) > 0:
        return capacity, np.array([sim.streams.generator("asylum_capacity", t).random() for t in range(first, last)])
    return capacity, np.zeros(last - first)


@njit(cache=True)
def decisions_today(n_cands, capacity, u):
    """How many of today's candidates the commission decides on: the whole daily capacity, and
    one more with the chance of its fraction (``u``: the day's uniform)."""
    whole = np.int64(capacity)
    frac = capacity - whole
    extra = 1 if n_cands > whole and frac > 0 and u < frac else 0
    return min(n_cands, whole + extra)


@njit(cache=True)
def oldest(cands, n_done, a):
    """The ``n_done`` oldest cases of ``cands`` (most days in status; ties by slot, the order of
    ``cands``), in slot order: one pass to count the cases of each age, one to pick, so the
    cost follows the queue's length, not its length times its log."""
    if n_done >= cands.size:
        return cands.copy()
    top = 0
    for j in range(cands.size):
        top = max(top, np.int64(a.days_in_status[cands[j]]))
    per_age = np.zeros(top + 1, dtype=np.int64)
    for j in range(cands.size):
        per_age[a.days_in_status[cands[j]]] += 1
    age, older = top, 0                     # the youngest age taken, and how many are older
    while older + per_age[age] < n_done:
        older += per_age[age]
        age -= 1
    at_age = n_done - older                 # how many of that age, the first in slot order
    out = np.empty(n_done, dtype=np.int64)
    m = 0
    for j in range(cands.size):
        s = cands[j]
        if a.days_in_status[s] > age or (a.days_in_status[s] == age and at_age > 0):
            if a.days_in_status[s] == age:
                at_age -= 1
            out[m] = s
            m += 1
    return out


@njit(cache=True)
def decide(cands, n_done, w, d, recorded):
    """The queue: decisions on the ``n_done`` oldest cases (ties by slot) of ``cands`` (the
    day's candidates, in slot order); returns those decided on. ``recorded``: the day's record
    step has already run for them; those decided on then move from the waiting stock to their
    new one, and end the day one day in status."""
    a, p, k, x = w.agents, w.params, w.streams, w.indicators
    decided = oldest(cands, n_done, a)            # each case's draws are its own: any order gives the same
    for j in range(decided.size):
        s = decided[j]
        n = a.nationality[s]
        if recorded:
            stock(s, w, d, -1)
        if bern(d, k.asylum_decision, a.uid[s], p.asylum_recognition_rate[n]):
            count(d, x.asylum_grants_mexico, n, a.loc[s])
            if bern(d, k.asylum_stay, a.uid[s], p.asylum_stay_after_grant):
                set_status(a, s, Status.PROTECTED_MX)
            else:
                a.documents[s] = REFUGEE
                set_status(a, s, Status.TRANSIT)
        else:
            count(d, x.asylum_denials_mexico, n, a.loc[s])
            a.documents[s] = 0
            set_status(a, s, Status.TRANSIT)
        if recorded:
            stock(s, w, d, 1)
            a.days_in_status[s] = 1
    return decided


MECHANISM = Mechanism(
    name="asylum",
    doc=__doc__,
    parameters=(
        P("asylum_apply_probability", ("nationality",), 0, 1, "probability",
          "Chance of applying for asylum when at a place with an asylum office."),
        P("caravan_asylum_apply_probability", (), 0, 1, "probability",
          "Chance a caravan member applies for asylum at a place with an asylum office."),
        P("asylum_min_days", (), 0, 3650, "days", "Days before a decision can be made."),
        P("asylum_decisions_per_day", (), 0, LARGEST, "decisions/day (full scale)",
          "Processing capacity of the asylum commission."),
        P("asylum_recognition_rate", ("nationality",), 0, 1, "share", "Share of decisions granting protection."),
        P("asylum_abandon_per_day", (), 0, 1, "per day", "Daily chance an applicant leaves the queue."),
        P("asylum_stay_after_grant", (), 0, 1, "share", "Share of recognised refugees who stay in Mexico."),
    ),
    columns=(
        Column("applied_asylum", "int8", 0, "1 once the person has applied for asylum in Mexico"),
    ),
    indicators=(
        Indicator("asylum_applications_mexico", "flow", "asylum applications in Mexico"),
        Indicator("asylum_grants_mexico", "flow", "asylum decisions granting protection"),
        Indicator("asylum_denials_mexico", "flow", "asylum decisions refusing protection"),
    ),
    streams=(Stream("asylum_apply", "applies at an office"), Stream("asylum_abandon", "leaves the queue today"),
             Stream("asylum_decision", "protection granted"), Stream("asylum_stay", "a refugee stays in Mexico")),
    rule=apply_or_wait,
    coupled=(decide,),
    reads=("status", "route", "applied_asylum", "documents", "loc", "caravan", "nationality", "uid",
           "days_in_status", "first_event"),
    writes=("applied_asylum", "documents", "status", "days_in_status", "live", "route"),
)
