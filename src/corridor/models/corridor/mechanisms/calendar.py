"""The calendar: people sleep between events, so a day costs what happens in it.

Most days of most people are uneventful: waiting out a timer (detention, the wait before
crossing, a kidnapping, the wait before trying again), waiting under constant daily chances
(of being detected, attacked, of setting off, giving up or leaving the asylum queue), or
travelling a long leg at constant speed. At the end of a person's day, :func:`plan` works
out the next day on which anything can happen to them and puts them to sleep until then,
the earlier of:

* the next **due day**: a timer ends, an asylum case becomes decidable, a visitor card
  expires, a leg ends (the day of arrival);
* the next **event day**: with the day's chances p_1..p_k of the events a sleeper faces, in
  the day's order (gives up, sets off, is detected, is attacked, leaves the asylum queue), a
  day is quiet with chance q = (1 - p_1)...(1 - p_k). The number of quiet days is geometric
  (one draw); on the event day the first event is j with chance
  (1 - p_1)...(1 - p_{j-1}) p_j / (1 - q) (a second draw). That day the earlier events do
  not happen, event j does, and the later ones are drawn as usual (:func:`..person.waited`;
  the events are ``person.STAGES``).

This is the daily model's law, not an approximation, while the chances stay constant:
they depend only on the person's state (unchanged while asleep) and on the levers, so
everybody wakes when the levers change (:func:`wake_all`; only departures have parameters by
month or year). Days slept through are caught up on waking (:func:`catch_up`: timers, days in
status, the visitor card, progress along a leg). The people asleep stay counted in their
stocks (:mod:`.record` keeps running totals).

The day's pass skips everyone whose day has not come (one comparison per person in the
simulation, in slot order: cheaper than any list of who is due, which would visit people out
of memory order). The draws are keyed by the person's identity and the day they fall asleep,
so results depend neither on threads nor on the order of people.
With ``d.sleep`` false everyone wakes every day: the per-day design, kept to compare with
(``CORRIDOR_SCHEDULE=daily``; the same numbers as before the calendar, bit for bit).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ....kernel_pipeline import fused
from ..declare import Column, Mechanism, Stream
from ..person import DETECT, LEAVE, PREY, SET_OFF, STOP, draw
from ..states import DOCUMENTS, Status
from . import asylum, enforcement, movement, predation, record

LATER = np.int64(2**30)     # "no due day"
VISITOR_CARD = DOCUMENTS.index("visitor_card")


@njit(cache=True, inline="always")
def _log_quiet(p):
    """log(1 - p): the log of the chance that an event of daily chance ``p`` does not happen
    (-inf for a sure event, as compiled code gives, where plain Python would raise)."""
    if p >= 1.0:
        return -math.inf
    return math.log1p(-p) if p > 0.0 else 0.0


@njit(cache=True, inline="always")
def _timer_due(s, w, t):
    """The day the status timer of ``s`` ends (its value after today's record step)."""
    return t + 1 + max(np.int64(w.agents.timer[s]), 0)


@njit(cache=True, inline="always")
def plan(s, i, w, d):
    """After the day of ``s`` (their record step done): the day they next need one
    (``a.wake``) and, when that day is an event day, its first event (``a.first_event``: an
    index of ``person.STAGES``; -1 otherwise)."""
    a, g, k = w.agents, w.places, w.streams
    t = np.int64(d.tick)
    a.first_event[s] = -1
    a.wake[s] = t + 1
    if not d.sleep or not a.live[s]:
        return
    st = a.status[s]
    due = LATER
    # the events' daily chances (p_*) and hazards (h_*: the chance is 1 - exp(-h))
    p_stop = p_off = p_leave = h_detect = h_prey = 0.0
    if st == Status.TRANSIT:
        p_stop = movement.stop_probability(s, w)
        r = a.route[s]
        if r >= 0:                                         # on a leg: sleeps until the day of arrival
            m = a.mode[s]
            v = movement.leg_speed(s, w)
            days = (g.km[r] - np.float64(a.progress[s])) / v
            due = t + max(1, np.int64(math.ceil(days - 1e-6)))     # early rather than late
            h_detect = enforcement.leg_hazard(s, w, r, m, v, enforcement.person_factor(s, w))
            h_prey = predation.leg_hazard(w, r, m, v, predation.person_factor(s, w))
        else:
            if asylum.may_apply(s, w) or a.caravan[s] > 0:      # a caravan sets off as one: drawn daily
                return
            p_off = movement.set_off_probability(s, w)
            h_detect = enforcement.waiting_hazard(s, w)
            h_prey = predation.waiting_hazard(s, w)
    elif st == Status.WAITING_NORTH:
        due = _timer_due(s, w, t)
        h_detect = enforcement.waiting_hazard(s, w)
        h_prey = predation.waiting_hazard(s, w)
    elif st == Status.ASYLUM_MX:
        due = t + 1 + asylum.days_to_candidate(s, w)
        h_prey = predation.waiting_hazard(s, w)
        p_leave = asylum.abandon_probability(w)
    elif st == Status.RETURNED_BY_MX or st == Status.RETURNED_BY_US or st == Status.WAITING_US_HEARING:
        due = _timer_due(s, w, t)
        h_prey = predation.waiting_hazard(s, w)
    else:                                                  # detained, kidnapped
        due = _timer_due(s, w, t)
    if a.documents[s] == VISITOR_CARD and a.card_days[s] > 0:      # detection changes when it expires
        due = min(due, t + 1 + np.int64(a.card_days[s]))
    log_quiet = _log_quiet(p_stop) + _log_quiet(p_off) + _log_quiet(p_leave) - h_detect - h_prey
    if log_quiet < 0.0 and due > t + 1:
        days = math.floor(math.log1p(-draw(d, k.wake, a.uid[s])) / log_quiet)     # quiet days: geometric
        if t + 1 + days < due:
            due = t + 1 + np.int64(days)
            a.first_event[s] = _first_event(draw(d, k.wake, a.uid[s], 1) * -math.expm1(log_quiet), p_stop,
                                            p_off, -math.expm1(-h_detect), -math.expm1(-h_prey), p_leave)
    a.wake[s] = due


@njit(**fused())
def plan_now(s, w, d):
    """:func:`plan` for someone whose status changed outside the pass (an asylum decision, a
    US removal): compiled once for those callers instead of copied into each."""
    plan(s, 0, w, d)


@njit(cache=True, inline="always")
def _first_event(v, p_stop, p_off, p_detect, p_prey, p_leave):
    """The first event of an event day, an index of ``person.STAGES`` (``v``: uniform on
    [0, 1 - q))."""
    first, c, quiet = _next_stage(-1, v, 0.0, 1.0, STOP, p_stop)
    first, c, quiet = _next_stage(first, v, c, quiet, SET_OFF, p_off)
    first, c, quiet = _next_stage(first, v, c, quiet, DETECT, p_detect)
    first, c, quiet = _next_stage(first, v, c, quiet, PREY, p_prey)
    first, c, quiet = _next_stage(first, v, c, quiet, LEAVE, p_leave)
    return first


@njit(cache=True, inline="always")
def _next_stage(first, v, c, quiet, stage, p):
    """One stage of :func:`_first_event`: ``c`` the chance that the first event is this stage
    or an earlier one, ``quiet`` that none of the earlier ones happens. Once ``v`` falls
    below ``c`` the first event is found; rounding can leave ``v`` above the last ``c``: the
    last possible event then."""
    if p <= 0.0 or (first >= 0 and v < c):
        return first, c, quiet
    return stage, c + quiet * p, quiet * (1.0 - p)


@njit(cache=True, inline="always")
def catch_up(s, w, tick):
    """Bring someone asleep up to the start of day ``tick`` (the days slept through)."""
    a = w.agents
    days = np.int64(tick) - a.seen[s] - 1
    if days > 0:
        record.skip(a, s, days)
        r = a.route[s]
        if r >= 0 and a.status[s] == Status.TRANSIT:
            a.progress[s] = a.progress[s] + np.float32(movement.leg_speed(s, w) * days)
    a.seen[s] = tick - 1


@njit(cache=True, inline="always")
def wake(s, w, d):
    """The start of the day of someone who was in the simulation yesterday: out of their stock
    (the record step puts them back), the days they slept caught up."""
    record.stock(s, w, d, -1)
    catch_up(s, w, d.tick)
    w.agents.seen[s] = d.tick


@njit(cache=True)
def wake_all(live, w, tick):
    """Everyone in the simulation (``live``) is due on day ``tick`` (the levers change: their
    chances with them), caught up to its start under the levers of the days they slept
    through (``w``)."""
    a = w.agents
    for j in range(live.size):
        s = live[j]
        if a.live[s]:
            catch_up(s, w, tick)
            a.wake[s] = tick
            a.first_event[s] = -1


MECHANISM = Mechanism(
    name="calendar",
    doc=__doc__,
    columns=(
        Column("wake", "int32", 0, "the next day the person needs (until then asleep)"),
        Column("seen", "int32", -1, "the last day the person was processed"),
        Column("first_event", "int8", -1, "on an event day, the stream of its first event (-1: none)"),
    ),
    streams=(Stream("wake", "days until the next event (0), which event comes first (1)"),),
    rule=plan,
    reads=("status", "live", "route", "mode", "progress", "loc", "nationality", "uid", "caravan", "group",
           "documents", "card_days", "timer", "days_in_status", "applied_asylum"),
    writes=("first_event", "wake"),
)
