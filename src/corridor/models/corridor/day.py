"""The corridor model's compiled day: the per-person rules fused in one pass, then the coupled
mechanisms, then the day's tallies.

:func:`person` runs every per-person rule of :data:`.mechanisms.MECHANISMS` for one person, in
that order (``tests/test_mechanisms.py`` checks the calls against the registry). Since no rule
reads or writes another person's row (also checked there), running person by person gives what
running phase by phase would. A pass (:func:`pass_chunk`, over one part of the people per
thread: :mod:`.runner`) writes counts to per-thread integer buffers summed afterwards, so
totals do not depend on the number of threads. Draws are keyed by identity, so they do not
depend on the order either.

A day is :func:`begin_day` (new people's rows, the people due), the pass (people asleep until
their next event are skipped: :mod:`.mechanisms.calendar`), then :func:`end_day` (the asylum
queue, US interior enforcement, the record). The pass releases the GIL, so :mod:`.runner`
runs it on Python threads: Numba's parallel loop, handed the whole world, took 41 s to
compile (docs/performance.md, "Compilation").

With ``NUMBA_DISABLE_JIT=1`` the same functions run as plain Python: the reference for reading
and debugging (same numbers, bit for bit; ``tests/test_mechanisms.py``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ...kernel_pipeline import fused
from ...rng_kernels import day_keys as _day_keys
from .mechanisms import MECHANISMS, asylum, border, calendar, departures, enforcement, movement, predation, record
from .mechanisms import us_interior as interior
from .person import FLAG_ADMITTED, FLAG_CANDIDATE, FLAG_SEEN, Day
from .states import Status
from .world import INDICATOR_IDS, INDICATORS, STREAM_IDS, World

N_SUB = movement.MAX_LEGS_PER_DAY            # sub-draws per stream and day (legs of a day's travel)
#: The per-person rules in pass order, each with its bit in a pass's ``phases`` mask.
PASS = tuple(m for m in MECHANISMS if m.rule is not None)
PHASE_BIT = {m.name: 1 << k for k, m in enumerate(PASS)}
ALL_PHASES = (1 << len(PASS)) - 1
#: the phases run after the coupled steps when a day runs phase by phase: the record, the calendar
END_OF_DAY = PHASE_BIT["record"] | PHASE_BIT["calendar"]
#: the stocks' rows of the record (kept as running totals)
STOCK_ROWS = np.array([k for k, ind in enumerate(INDICATORS) if ind.kind == "stock"], dtype=np.int64)


@njit(cache=True)
def day_keys(base, tick):
    """``keys[stream, sub]`` for every stream and sub-draw of day ``tick``."""
    return _day_keys(base, tick, N_SUB)


@njit(cache=True, inline="always")
def person(s, i, phases, w, d):
    """One person's day: every per-person rule, in the registry's order (bit k: rule k)."""
    if phases & 1:
        departures.try_again(s, i, w, d)
    if phases & 2:
        movement.travel(s, i, w, d)
    if phases & 4:
        enforcement.detain_or_deport(s, i, w, d)
    if phases & 8:
        predation.attack(s, i, w, d)
    if phases & 16:
        asylum.apply_or_wait(s, i, w, d)
    if phases & 32:
        border.hearings_and_crossings(s, i, w, d)
    if phases & 64:
        record.end_of_day(s, i, w, d)
    if phases & 128:
        calendar.plan(s, i, w, d)


# no allocation in the pass: without reference counting, reading a world's arrays costs nothing
# (the world comes in parts; the stream and indicator ids are constants of the declarations)
@njit(**fused(_nrt=False, error_model="numpy", nogil=True))
def pass_chunk(lo, hi, slots, wake_at, phases, agents, params, places, keys, counts, flows, flags, rec, tick, sleep,
               new_from, entry):
    """The pass for ``slots[lo:hi]`` on day ``tick``, for those of them due today (``wake_at``:
    each one's wake day, kept beside the list so that sleepers cost one read in memory order;
    :mod:`.mechanisms.calendar`). Their day starts with the first phase:
    people in slots from ``new_from`` on left home today (with ``entry``: their departure
    draws here), the others wake (:func:`.calendar.wake`); it ends with the record phase and
    the calendar's plan of their next day (the last rule)."""
    w = World(agents, params, places, STREAM_IDS, INDICATOR_IDS)
    d = Day(keys, counts, flows, flags, rec, tick, sleep)
    for i in range(lo, hi):
        if wake_at[i] > tick:
            continue              # asleep: nothing can happen to them today
        s = np.uint64(slots[i])   # unsigned: no negative-index wraparound code
        if phases & 1:
            flags[i] |= FLAG_SEEN
            if s < new_from:
                calendar.wake(s, w, d)
            elif entry:
                departures.new_person(s, w, d)
        person(s, i, phases, w, d)
        if phases & 128:
            wake_at[i] = agents.wake[s]


@njit(**fused())
def new_people(lo, hi, w, keys, counts, rec, tick):
    """The departure draws of the people in slots ``lo..hi-1`` (who left today)."""
    d = Day(keys, counts, np.zeros(1, dtype=np.int64), np.zeros(1, dtype=np.uint8), rec, tick, True)
    for s in range(lo, hi):
        departures.new_person(s, w, d)


@njit(cache=True)
def add_rows(agents, n, people, lo, hi, tick):
    """Rows for ``people[lo:hi]`` (nationality, home, caravan flag, identity: see
    ``runner.people_arrays``), written from row ``n`` on: people in transit at home on their
    first journey, due today (rows past the table's count hold the other columns' defaults)."""
    p_nat, p_loc, p_flag, p_uid = people
    for i in range(lo, hi):
        s = n + i - lo
        agents.nationality[s] = p_nat[i]
        agents.origin[s] = p_loc[i]
        agents.loc[s] = p_loc[i]
        agents.status[s] = Status.TRANSIT
        agents.live[s] = True
        agents.attempts[s] = 1
        agents.caravan[s] = p_flag[i]
        agents.uid[s] = p_uid[i]
        agents.wake[s] = tick
        agents.seen[s] = tick


@njit(cache=True)
def flagged(slots, flags, flag):
    """Slots whose day flag has bit ``flag`` (in slot order)."""
    k = 0
    for i in range(slots.size):
        if flags[i] & flag:
            k += 1
    out = np.empty(k, dtype=np.int64)
    k = 0
    for i in range(slots.size):
        if flags[i] & flag:
            out[k] = slots[i]
            k += 1
    return out


@njit(cache=True)
def compact(slots, wake_at, live):
    """The slots of people still in the simulation (``live``), in order, and their wake days."""
    out = np.empty(slots.size, dtype=np.int64)
    out_wake = np.empty(slots.size, dtype=np.int32)
    k = 0
    for i in range(slots.size):
        s = slots[i]
        out[k] = s
        out_wake[k] = wake_at[i]
        k += 1 if live[s] else 0
    return out[:k].copy(), out_wake[:k].copy()


@njit(cache=True)
def merge_sorted(index, wake_at, add, wake):
    """The sorted union of a sorted index and a few sorted, distinct slots (block copies), with
    the wake days: ``wake_at`` beside the index, ``wake[s]`` for the added."""
    out = np.empty(index.size + add.size, dtype=np.int64)
    out_wake = np.empty(index.size + add.size, dtype=np.int32)
    i = k = 0
    for j in range(add.size):
        pos = np.searchsorted(index, add[j])
        out[k:k + pos - i] = index[i:pos]
        out_wake[k:k + pos - i] = wake_at[i:pos]
        k += pos - i
        i = pos
        if i < index.size and index[i] == add[j]:
            continue
        out[k] = add[j]
        out_wake[k] = wake[add[j]]
        k += 1
    out[k:k + index.size - i] = index[i:]
    out_wake[k:k + index.size - i] = wake_at[i:]
    k += index.size - i
    return out[:k], out_wake[:k]


@njit(cache=True)
def refresh(index, wake_at, changed, wake):
    """The wake days beside ``index`` of the people in ``changed`` (sorted) whose plan changed
    after the pass (those in the index)."""
    for j in range(changed.size):
        pos = np.searchsorted(index, changed[j])
        if pos < index.size and index[pos] == changed[j]:
            wake_at[pos] = wake[changed[j]]


@njit(cache=True)
def seen(flags):
    """How many people had their day (``FLAG_SEEN``)."""
    k = 0
    for i in range(flags.size):
        k += 1 if flags[i] & FLAG_SEEN else 0
    return k


@njit(cache=True)
def reduce_counts(counts, flows, slab, route_slab, held):
    """Add the per-thread buffers to the day's record (``slab``; ``route_slab``: the day's
    traversals per route; integers: any order gives the same sums) and clear them; the stocks'
    rows hold changes, added to the running totals ``held``, which the record then shows."""
    t_n = counts.shape[0]
    c2 = counts.reshape(t_n, -1)
    s1 = slab.reshape(-1)
    for t in range(t_n):
        for j in range(s1.size):
            v = c2[t, j]
            if v != 0:
                s1[j] += v
                c2[t, j] = 0
        for r in range(route_slab.size):
            v = flows[t, r]
            if v != 0:
                route_slab[r] += v
                flows[t, r] = 0
    for j in range(STOCK_ROWS.size):
        row = STOCK_ROWS[j]
        for n in range(held.shape[1]):
            for k in range(held.shape[2]):
                held[j, n, k] += slab[row, n, k]
                slab[row, n, k] = held[j, n, k]


@njit(cache=True)
def _append_range(index, wake_at, lo, hi, tick):
    """``index`` followed by ``lo..hi-1`` (all larger than its entries), due on day ``tick``."""
    out = np.empty(index.size + hi - lo, dtype=np.int64)
    out_wake = np.empty(index.size + hi - lo, dtype=np.int32)
    out[: index.size] = index
    out_wake[: index.size] = wake_at
    for j in range(hi - lo):
        out[index.size + j] = lo + j
        out_wake[index.size + j] = tick
    return out, out_wake


@njit(cache=True)
def wake_days(index, wake):
    """The wake days of the people in ``index``."""
    out = np.empty(index.size, dtype=np.int32)
    for i in range(index.size):
        out[i] = wake[index[i]]
    return out


@njit(cache=True)
def due_cuts(wake_at, tick, parts):
    """Cut points of ``parts`` consecutive slices with as many people due on day ``tick`` each
    (``wake_at``: the wake days; the pass costs about the same per person due, and nearly
    nothing per sleeper)."""
    due = 0
    for i in range(wake_at.size):
        due += 1 if wake_at[i] <= tick else 0
    cuts = np.full(parts + 1, wake_at.size, dtype=np.int64)
    cuts[0] = 0
    k, seen_so_far = 1, 0
    for i in range(wake_at.size):
        if k == parts:
            break
        if wake_at[i] <= tick:
            seen_so_far += 1
            if seen_so_far * parts >= k * due:
                cuts[k] = i + 1
                k += 1
    return cuts


@njit(cache=True)
def begin_day(tick, n, live_index, wake_at, people, lo, hi, agents, base_keys):
    """The start of day ``tick``: its draw keys; the rows of its new people (``people[lo:hi]``,
    written from row ``n`` on; their departure draws are made in the pass); the people in the
    simulation (``live_index``, sorted, with their wake days ``wake_at``) followed by them."""
    add_rows(agents, n, people, lo, hi, tick)
    live, wake_at = _append_range(live_index, wake_at, n, n + hi - lo, tick)
    return day_keys(base_keys, tick), live, wake_at


@njit(cache=True)
def end_day(live, wake_at, flags, w, keys, counts, flows, rec, tick, sleep, capacity, capacity_u, pool, slab,
            route_slab, held):
    """After the pass over ``live`` (``flags``: what it flagged): the asylum queue
    (``capacity`` decisions a day, the fraction taken when ``capacity_u`` is below it), US
    interior enforcement (``pool``: see ``us_interior.InteriorPool``; room for everyone
    today), the day's record (``slab``, ``route_slab``: the record's rows, or scratch rows
    cleared afterwards on a day not recorded; ``held``: the stocks' running totals). Returns
    the people still in the simulation and their wake days, the agent-days and the events
    (person-days processed)."""
    cum, heap_thr, heap_slot, heap_n = pool
    # "called from here", as a run-time bool: a literal True would make Numba compile every callee
    # taking it a second time (the calls from Python pass a bool)
    inside = np.bool_(True)
    a = w.agents
    d = Day(keys, counts[0], flows[0], flags, rec, tick, sleep)
    cands = flagged(live, flags, FLAG_CANDIDATE)          # the asylum queue
    if cands.size:
        n_done = asylum.decisions_today(cands.size, capacity, capacity_u)
        if n_done:
            decided = asylum.decide(cands, n_done, w, d, inside)
            for c in range(decided.size):                 # the plan of their new status (the others' holds)
                calendar.plan_now(decided[c], w, d)
            refresh(live, wake_at, decided, a.wake)

    entrants = flagged(live, flags, FLAG_ADMITTED)        # US interior enforcement
    interior.admit(entrants, w, d, cum, heap_thr, heap_slot, heap_n)
    revived = interior.arrest_and_remove(w, d, cum, heap_thr, heap_slot, heap_n, inside)
    reduce_counts(counts, flows, slab, route_slab, held)
    if not rec:
        slab[...] = 0
        route_slab[:] = 0
    events = seen(flags)
    if revived.size:
        refresh(live, wake_at, revived, a.wake)
        everyone, wake_at = merge_sorted(live, wake_at, revived, a.wake)
        events += everyone.size - live.size
    else:
        everyone = live
    live_index, wake_at = compact(everyone, wake_at, a.live)
    return live_index, wake_at, everyone.size, events
