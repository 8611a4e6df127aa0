"""What every per-person rule uses: draws, tallies and status changes for one person.

A rule receives ``w`` (the world of :mod:`.world`: ``w.agents`` columns, ``w.params``,
``w.places``, ``w.streams`` and ``w.indicators`` ids) and ``d`` (the day: ``d.keys`` per stream
and sub-draw, this thread's ``d.counts`` and ``d.flows``, the day's ``d.flags``, ``d.rec``:
whether the day is recorded, ``d.tick``: the day, ``d.sleep``: whether people sleep between
events, see :mod:`.mechanisms.calendar`). Draws are :func:`corridor.rng.hash_uniform` keyed by the
person's stable identity, so they never depend on the thread or the order of people.
"""

from __future__ import annotations

import math
from collections import namedtuple

from numba import njit

from ...rng_kernels import unif
from .states import Status

__all__ = ["Day", "draw", "bern", "hit", "waited", "waited_hazard", "STAGES", "count", "set_status", "resume", "chosen",
           "FLAG_CANDIDATE", "FLAG_ADMITTED", "FLAG_SEEN"]

HAZARD_MARGIN = 1.000001   # -expm1(-h) <= h: a draw above h * margin is never a hit (no expm1 needed)
#: per person and day (``d.flags[i]``): waits for an asylum decision; entered the US; had their day
FLAG_CANDIDATE, FLAG_ADMITTED, FLAG_SEEN = 1, 2, 4

#: The day as a rule sees it (built per chunk of people: ``counts``/``flows`` are the thread's).
Day = namedtuple("Day", ["keys", "counts", "flows", "flags", "rec", "tick", "sleep"])


@njit(cache=True, _nrt=False)
def draw(d, stream, ident, sub=0):
    """U[0,1) of identity ``ident`` in ``stream`` (an id of ``w.streams``) today."""
    return unif(d.keys[stream, sub], ident)


@njit(cache=True, _nrt=False)
def bern(d, stream, ident, p, sub=0):
    """``draw(...) < p``, without hashing when the answer is known (a draw is in [0, 1))."""
    if not p > 0:
        return False
    if p >= 1:
        return True
    return unif(d.keys[stream, sub], ident) < p


@njit(cache=True, _nrt=False)
def hit(u, hazard):
    """``u < -expm1(-hazard)`` (an event under a day's integrated hazard), skipping expm1
    when ``u`` is clearly above the hazard."""
    if not u < hazard * HAZARD_MARGIN:
        return False
    return u < -math.expm1(-hazard)


#: The events a sleeper can meet, in the day's order: ``waited`` takes their index, and the
#: calendar (``mechanisms/calendar.py``) stores the first one of an event day in ``first_event``.
STAGES = ("gives up", "sets off", "detected", "attacked", "leaves the asylum queue")
STOP, SET_OFF, DETECT, PREY, LEAVE = range(len(STAGES))


@njit(cache=True, _nrt=False)
def _woken_for(a, s, stage):
    """On an event day, 1 when ``stage`` is the day's first event, 0 when it comes before it
    (it does not happen); -1 when the event is drawn as usual."""
    first = a.first_event[s]
    if first < 0 or stage > first:
        return -1
    return 1 if stage == first else 0


@njit(cache=True, _nrt=False)
def waited(d, a, s, stream, stage, p):
    """Whether event ``stage`` (of :data:`STAGES`; daily chance ``p``, drawn from ``stream``)
    happens to person ``s`` today: ``bern``, except on a day the calendar woke them for an
    event (``a.first_event[s]``: the stage of the day's first event), when the events of
    earlier stages do not happen and that one does (later ones are drawn as usual)."""
    woken = _woken_for(a, s, stage)
    if woken >= 0:
        return woken == 1
    return bern(d, stream, a.uid[s], p)


@njit(cache=True, _nrt=False)
def waited_hazard(d, a, s, stream, stage, hazard):
    """:func:`waited` for an event under a day's integrated hazard (``hit``)."""
    woken = _woken_for(a, s, stage)
    if woken >= 0:
        return woken == 1
    return hazard > 0 and hit(unif(d.keys[stream, 0], a.uid[s]), hazard)


@njit(cache=True, _nrt=False)
def count(d, indicator, nat, where):
    """One event of ``indicator`` (an id of ``w.indicators``) by nationality and place."""
    if d.rec:
        d.counts[indicator, nat, where] += 1


@njit(cache=True, _nrt=False)
def chosen(u, cum):
    """The category a draw picks from normalised cumulative weights."""
    k = 0
    for j in range(cum.size):
        if u >= cum[j]:
            k += 1
    return min(k, cum.size - 1)


@njit(cache=True, _nrt=False)
def set_status(a, s, new):
    """Move person ``s`` to status ``new``: day count reset; final statuses leave the simulation."""
    a.status[s] = new
    a.days_in_status[s] = 0
    if new == Status.IN_US or new == Status.DEAD or new == Status.GAVE_UP or new == Status.PROTECTED_MX:
        a.live[s] = False
        a.route[s] = -1


@njit(cache=True, inline="always")
def resume(w, s):
    """Put someone released or set free back on their way: in a border city they wait to cross
    (the border phase crosses, never ordinary travel); elsewhere they travel on."""
    a = w.agents
    if w.places.is_border_city[a.loc[s]]:
        set_status(a, s, Status.WAITING_NORTH)
        a.timer[s] = round(w.params.north_wait_days)
    else:
        set_status(a, s, Status.TRANSIT)
