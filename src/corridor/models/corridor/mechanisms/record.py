"""The day's record: stocks of people by status and place, then timers, visitor-card days,
the day's hazard accumulators and days in status move on by one day.

Runs last in the pass, for everyone processed today. Stocks are kept as running totals:
a person is taken out of their stock when their day starts (:mod:`.calendar`) and put back
in at its end, so people asleep between events stay counted where they are. The coupled
mechanisms (the asylum queue, US interior enforcement) run after the pass and change a few
people whose record step has already run: they call :func:`stock` to move them from one
stock to another. The days someone sleeps through are caught up on waking (:func:`skip`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ....indicators import Indicator
from ..declare import Mechanism
from ..states import Status


@njit(cache=True, inline="always")
def stock(s, w, d, delta):
    """Count person ``s`` (``delta`` +1, or -1 to take them out) in the stocks of their status
    (a change to the running totals: counted on every day, recorded or not)."""
    a, g, x = w.agents, w.places, w.indicators
    st, n, here = a.status[s], a.nationality[s], a.loc[s]
    zone = g.zone_of[here]
    if st == Status.WAITING_NORTH or st == Status.ASYLUM_MX or st == Status.RETURNED_BY_MX \
            or st == Status.RETURNED_BY_US or st == Status.WAITING_US_HEARING:
        if zone == g.zone_south:
            d.counts[x.waiting_south, n, here] += delta
        if zone == g.zone_north:
            d.counts[x.waiting_north, n, here] += delta
    if st == Status.TRANSIT or st == Status.KIDNAPPED:
        d.counts[x.in_transit, n, here] += delta
    if st == Status.DETAINED_MX:
        d.counts[x.detained_mexico, n, here] += delta


@njit(cache=True, inline="always")
def _timers(a, s):
    """One day less on the status timer: max(timer - 1, 0)."""
    t = a.timer[s]
    if t > 0:
        a.timer[s] = t - 1
    elif t < 0:
        a.timer[s] = 0


@njit(cache=True, inline="always")
def _card_and_exposures(a, s):
    """One day less on a visitor card; the day's hazards back to 0 (stores only where needed)."""
    t = a.card_days[s]
    if t > 0:
        a.card_days[s] = t - 1
    elif t < 0:
        a.card_days[s] = 0
    if a.exposure_detect[s] != 0:
        a.exposure_detect[s] = 0.0
    if a.exposure_prey[s] != 0:
        a.exposure_prey[s] = 0.0


@njit(cache=True, inline="always")
def skip(a, s, days):
    """``days`` days without events (slept through): what that many record steps do to the
    timers, the visitor card and the days in status (the hazards were 0 on those days)."""
    if days <= 0:
        return
    t = a.timer[s]
    a.timer[s] = t - days if t > days else 0
    t = a.card_days[s]
    a.card_days[s] = t - days if t > days else 0
    a.days_in_status[s] = min(np.int64(a.days_in_status[s]) + days, 32767)


@njit(cache=True, inline="always")
def _one_more_day(a, s):
    if a.days_in_status[s] < 32767:
        a.days_in_status[s] += 1


@njit(cache=True, inline="always")
def end_of_day(s, i, w, d):
    """Stocks, then one day less on timers and one day more in status."""
    stock(s, w, d, 1)
    _timers(w.agents, s)
    _card_and_exposures(w.agents, s)
    _one_more_day(w.agents, s)


@njit(cache=True, inline="always")
def catch_up(s, w, d, card_done):
    """The record step of someone a coupled mechanism brought back into the simulation after
    the pass (``card_done``: their card and hazards were already counted today)."""
    stock(s, w, d, 1)
    _timers(w.agents, s)
    if not card_done:
        _card_and_exposures(w.agents, s)
    _one_more_day(w.agents, s)


MECHANISM = Mechanism(
    name="record",
    doc=__doc__,
    indicators=(
        Indicator("waiting_south", "stock", "people waiting in southern Mexico (Chiapas, Tabasco)"),
        Indicator("waiting_north", "stock", "people waiting in Mexican border cities"),
        Indicator("in_transit", "stock", "people on the way (travelling, resting or held by criminals)"),
        Indicator("detained_mexico", "stock", "people held in Mexican migration stations"),
    ),
    rule=end_of_day,
    reads=("status", "nationality", "loc", "timer", "card_days", "exposure_detect", "exposure_prey",
           "days_in_status"),
    writes=("timer", "card_days", "exposure_detect", "exposure_prey", "days_in_status"),
)
