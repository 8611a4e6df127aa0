"""Numba kernels of the corridor model's day.

Every expression here mirrors one in the numpy processes (departures.py, movement.py,
enforcement.py, predation.py, asylum.py, border.py, bookkeeping.py), with the same
operations in the same order and the same dtypes (float64 for hazards and probabilities,
float32 for the stored columns), so that both backends produce the same bits. Random
numbers are :func:`corridor.rng.hash_uniform` recomputed per agent: the (stream, day, sub)
part once a day (:func:`day_keys`), then two SplitMix64 rounds keyed by the agent's
identity, so a draw never depends on which thread ran the agent or in which order.

A day is one parallel pass over the people in the corridor (:func:`day_pass`). Each
person goes through the per-person part of every phase in the phase order (second tries,
movement, enforcement, predation, asylum applications and abandonment, the border): people
never read each other's state, so person-major order gives what the numpy path's
phase-major order gives. The only coupling between people, the asylum queue (oldest cases
first, a daily capacity), runs afterwards (:func:`asylum_decide`); it touches only people
waiting for a decision, whom the border phase never touches. Counts go to per-thread
integer buffers summed afterwards, so totals do not depend on the number of threads.
"""

from __future__ import annotations

import math

import numpy as np
from numba import get_thread_id, njit, prange

from .... import rng_kernels as _rk
from ....rng_kernels import unif as _unif
from ....rng_kernels import uniform_at  # noqa: F401  (re-exported for tests)
from ..model import INDICATORS
from ..states import DOCUMENTS, GROUPS, Status

TWO_PI = 2.0 * np.pi
HAZARD_MARGIN = 1.000001   # -expm1(-h) <= h: a draw above h * margin is never a hit (no expm1 needed)

# statuses
TRANSIT = int(Status.TRANSIT)
WAITING_NORTH = int(Status.WAITING_NORTH)
DETAINED_MX = int(Status.DETAINED_MX)
ASYLUM_MX = int(Status.ASYLUM_MX)
KIDNAPPED = int(Status.KIDNAPPED)
RETURNED_BY_MX = int(Status.RETURNED_BY_MX)
RETURNED_BY_US = int(Status.RETURNED_BY_US)
IN_US = int(Status.IN_US)
DEAD = int(Status.DEAD)
GAVE_UP = int(Status.GAVE_UP)
PROTECTED_MX = int(Status.PROTECTED_MX)
WAITING_US_HEARING = int(Status.WAITING_US_HEARING)

VISITOR_CARD = DOCUMENTS.index("visitor_card")
TRANSIT_DOCUMENT = DOCUMENTS.index("transit_document")
VISA = DOCUMENTS.index("visa")
RECEIPT = DOCUMENTS.index("asylum_receipt")
REFUGEE = DOCUMENTS.index("refugee")
FAMILY = GROUPS.index("family")
MINOR = GROUPS.index("unaccompanied_minor")
ROBBERY, KIDNAPPING, KILLING = 0, 1, 2
MAX_LEGS_PER_DAY = 12            # movement.MAX_LEGS_PER_DAY (checked by the runner)

# indicators
_IX = {ind.name: i for i, ind in enumerate(INDICATORS)}
I_DEPARTURES = _IX["departures"]
I_CARAVAN_DEPARTURES = _IX["caravan_departures"]
I_ENTRIES_MEXICO = _IX["entries_mexico"]
I_DETENTIONS = _IX["detentions_mexico"]
I_DEPORTATIONS = _IX["deportations_mexico"]
I_VICTIMIZATIONS = _IX["victimizations"]
I_ROBBERIES = _IX["robberies"]
I_KIDNAPPINGS = _IX["kidnappings"]
I_DEATHS = _IX["deaths"]
I_ASYLUM_APPLICATIONS = _IX["asylum_applications_mexico"]
I_ASYLUM_GRANTS = _IX["asylum_grants_mexico"]
I_ASYLUM_DENIALS = _IX["asylum_denials_mexico"]
I_ARRIVALS_BORDER = _IX["arrivals_us_border"]
I_CROSSING_ATTEMPTS = _IX["crossing_attempts_us"]
I_APPREHENSIONS = _IX["apprehensions_us"]
I_ENTRIES_US = _IX["entries_us"]
I_GAVE_UP = _IX["gave_up"]
I_BY_OFFICIALS = _IX["victimizations_by_officials"]
I_FAMILY_SEPARATIONS = _IX["family_separations"]
I_MINORS_IN_CARE = _IX["minors_in_care"]
I_TRANSIT_DOCUMENTS = _IX["transit_documents"]
I_VISITOR_CARDS = _IX["visitor_cards"]
I_HUMANITARIAN_VISAS = _IX["humanitarian_visas"]
I_US_ASYLUM_CLAIMS = _IX["us_asylum_claims"]
I_MPP = _IX["mpp_enrollments"]
I_US_ASYLUM_GRANTS = _IX["us_asylum_grants"]
I_US_FLIGHTS = _IX["us_flights_south_mexico"]
I_US_INTERIOR_ARRESTS = _IX["us_interior_arrests"]
I_US_REMOVALS = _IX["us_removals"]
I_WAITING_SOUTH = _IX["waiting_south"]
I_WAITING_NORTH = _IX["waiting_north"]
I_IN_TRANSIT = _IX["in_transit"]
I_DETAINED = _IX["detained_mexico"]

# random streams: the names the numpy processes pass to Simulation.draw (row of day_keys)
STREAMS = ("visa", "group", "money", "try_again", "transit_stop", "set_off", "route", "route_caravan", "mode",
           "papers", "deport", "detect", "extortion", "separation", "collusion", "minor_care", "kidnap_end",
           "prey", "prey_kind", "asylum_apply", "asylum_abandon", "asylum_decision", "asylum_stay",
           "us_asylum_decision", "us_removal_hearing", "crossing", "us_asylum_claim", "mpp", "us_return",
           "us_removal_route", "interior_budget", "interior_removal", "interior_removal_route")
_SX = {name: i for i, name in enumerate(STREAMS)}
K_VISA, K_GROUP, K_MONEY, K_TRY_AGAIN = _SX["visa"], _SX["group"], _SX["money"], _SX["try_again"]
K_TRANSIT_STOP, K_SET_OFF, K_ROUTE, K_ROUTE_CARAVAN = (_SX["transit_stop"], _SX["set_off"], _SX["route"],
                                                       _SX["route_caravan"])
K_MODE, K_PAPERS, K_DEPORT, K_DETECT = _SX["mode"], _SX["papers"], _SX["deport"], _SX["detect"]
K_EXTORTION, K_SEPARATION, K_COLLUSION = _SX["extortion"], _SX["separation"], _SX["collusion"]
K_MINOR_CARE, K_KIDNAP_END, K_PREY, K_PREY_KIND = (_SX["minor_care"], _SX["kidnap_end"], _SX["prey"],
                                                   _SX["prey_kind"])
K_ASYLUM_APPLY, K_ASYLUM_ABANDON = _SX["asylum_apply"], _SX["asylum_abandon"]
K_ASYLUM_DECISION, K_ASYLUM_STAY = _SX["asylum_decision"], _SX["asylum_stay"]
K_US_ASYLUM_DECISION, K_US_REMOVAL_HEARING = _SX["us_asylum_decision"], _SX["us_removal_hearing"]
K_CROSSING, K_US_ASYLUM_CLAIM, K_MPP = _SX["crossing"], _SX["us_asylum_claim"], _SX["mpp"]
K_US_RETURN, K_US_REMOVAL_ROUTE = _SX["us_return"], _SX["us_removal_route"]
K_INTERIOR_BUDGET, K_INTERIOR_REMOVAL = _SX["interior_budget"], _SX["interior_removal"]
K_INTERIOR_REMOVAL_ROUTE = _SX["interior_removal_route"]
N_SUB = MAX_LEGS_PER_DAY         # sub-draws per stream and day (legs of a day's travel)

# phases of the per-person pass (bit mask: all at once, or one at a time for timing)
PH_TRY_AGAIN, PH_MOVEMENT, PH_ENFORCEMENT, PH_PREDATION, PH_ASYLUM, PH_BORDER, PH_RECORD = 1, 2, 4, 8, 16, 32, 64
PH_FUSED = 127                   # ... and the record step (the queue and the interior then fix up their people)
PASS_PHASES = (("departures", PH_TRY_AGAIN), ("movement", PH_MOVEMENT), ("enforcement", PH_ENFORCEMENT),
               ("predation", PH_PREDATION), ("asylum", PH_ASYLUM), ("border", PH_BORDER))
FLAG_CANDIDATE, FLAG_ADMITTED = 1, 2   # per person and day: waits for an asylum decision; entered the US

# packed parameters: scalars (ps), integers (pi), by nationality (pn, pni), zone (pz), documents (pd)
(P_CARAVAN_MOVE, P_CARAVAN_DETECTION, P_CARAVAN_PREDATION, P_CARAVAN_VISA, P_EXTORTION, P_COLLUSION,
 P_MINOR_CARE, P_FAMILY_SEPARATION, P_DEPORTATION_SHARE, P_KIDNAP_DEATH, P_CARAVAN_ASYLUM, P_ASYLUM_MIN_DAYS,
 P_ABANDON, P_STAY, P_US_DEATH, P_APPREHENSION_PER_KM, P_MPP_SHARE, P_MONEY_SIGMA, P_KEEP_AFTER_ROBBERY,
 N_PS) = range(20)
(I_NORTH_WAIT, I_DETENTION_DAYS, I_KIDNAP_DAYS, I_RETRY_WAIT_MX, I_MPP_WAIT, I_EXPULSION_DAYS, I_CARD_DAYS,
 I_SOUTH_LOCATION, I_MEXICAN, I_ZONE_SOUTH, I_ZONE_NORTH, N_PI) = range(12)
(N_VISA, N_MONEY_MEDIAN, N_RETRY_MX, N_RETRY_US, N_TRANSIT_DOC, N_VISITOR_CARD, N_PREY_NAT, N_ASYLUM_APPLY,
 N_RECOGNITION, N_US_APPREHENSION, N_US_CLAIM, N_US_GRANT, N_US_RETURN, N_REMOVAL_SOUTH, N_ARREST_PER_YEAR,
 N_US_REMOVAL, N_CONSULAR, N_PN) = range(18)
NI_DEPORT_TO, NI_RETRY_WAIT_US, N_PNI = range(3)
Z_TRANSIT_STOP, Z_MOVE, Z_DETECT_WAITING, Z_PREY_WAITING, N_PZ = range(5)
D_DETECT, D_PREY, N_PD = range(3)


@njit(cache=True)
def day_keys(base, tick):
    """``keys[stream, sub]`` for every stream of :data:`STREAMS` and sub-draw of a day."""
    return _rk.day_keys(base, tick, N_SUB)


@njit(cache=True, inline="always")
def _hit(u, hazard):
    """``u < -expm1(-hazard)``, skipping expm1 when ``u`` is clearly above the hazard."""
    if not u < hazard * HAZARD_MARGIN:
        return False
    return u < -math.expm1(-hazard)


@njit(cache=True, inline="always")
def _bern(k, ident, p):
    """``hash_uniform(...) < p`` without hashing when the answer is known (u is in [0, 1))."""
    if not p > 0:
        return False
    if p >= 1:
        return True
    return _unif(k, ident) < p


@njit(cache=True, inline="always")
def _set_status(s, new, status, dis, live, route):
    status[s] = new
    dis[s] = 0
    if new == IN_US or new == DEAD or new == GAVE_UP or new == PROTECTED_MX:
        live[s] = False
        route[s] = -1


@njit(cache=True, inline="always")
def _resume(s, status, dis, live, route, loc, timer, is_border, north_wait):
    """common.resume: wait to cross in a border city, else travel on."""
    if is_border[loc[s]]:
        _set_status(s, WAITING_NORTH, status, dis, live, route)
        timer[s] = north_wait
    else:
        _set_status(s, TRANSIT, status, dis, live, route)


@njit(cache=True, inline="always")
def _count(counts, rec, ind, nat, where):
    if rec:
        counts[ind, nat, where] += 1


@njit(cache=True, inline="always")
def _stock(counts, rec, st, nat, here, zone, zone_south, zone_north, delta):
    """bookkeeping: the day's stocks a person in status ``st`` counts in (``delta`` +1 or -1)."""
    if rec:
        if st == WAITING_NORTH or st == ASYLUM_MX or st == RETURNED_BY_MX or st == RETURNED_BY_US \
                or st == WAITING_US_HEARING:
            if zone == zone_south:
                counts[I_WAITING_SOUTH, nat, here] += delta
            if zone == zone_north:
                counts[I_WAITING_NORTH, nat, here] += delta
        if st == TRANSIT or st == KIDNAPPED:
            counts[I_IN_TRANSIT, nat, here] += delta
        if st == DETAINED_MX:
            counts[I_DETAINED, nat, here] += delta


@njit(cache=True, inline="always")
def _document_detection(docs, card_days, card_valid_here, factor):
    """movement.document_detection_factor for one person (``factor``: that of ``docs``;
    ``card_valid_here``: visitor_card_region of the state)."""
    if docs == VISITOR_CARD and (card_days <= 0 or card_valid_here == 0):
        return 1.0
    return factor


@njit(cache=True, inline="always")
def _chosen(u, cum):
    """common.chosen for one draw, given the row's normalised cumulative weights."""
    k = 0
    for j in range(cum.size):
        if u >= cum[j]:
            k += 1
    return min(k, cum.size - 1)


@njit(cache=True, inline="always")
def _remove(s, k, n, status, dis, live, route, loc, origin, timer, counts, rec, ps_i, pn, pni, ident):
    """border.remove: a US removal home, or by flight to southern Mexico."""
    if _bern(k, ident, pn[N_REMOVAL_SOUTH, n]):
        loc[s] = ps_i[I_SOUTH_LOCATION]
        _count(counts, rec, I_US_FLIGHTS, n, loc[s])
        _set_status(s, DETAINED_MX, status, dis, live, route)
        timer[s] = ps_i[I_EXPULSION_DAYS]
    else:
        loc[s] = origin[s]
        _set_status(s, RETURNED_BY_US, status, dis, live, route)
        timer[s] = pni[NI_RETRY_WAIT_US, n]


@njit(cache=True)
def _init_person(s, nat, docs, group, money, loc, caravan, uid, pn, group_cum, sigma, keys, counts, rec):
    """Departures' draws for one person who left today: papers, group, money."""
    n = nat[s]
    ident = uid[s]
    if _bern(keys[K_VISA, 0], ident, pn[N_VISA, n]):
        docs[s] = VISA
    group[s] = _chosen(_unif(keys[K_GROUP, 0], ident), group_cum[n])
    # log-normal money: Box-Muller on two keyed uniforms
    u1 = max(_unif(keys[K_MONEY, 0], ident), 1e-12)
    u2 = _unif(keys[K_MONEY, 1], ident)
    z = math.sqrt(-2.0 * math.log(u1)) * math.cos(TWO_PI * u2)
    money[s] = np.float32(pn[N_MONEY_MEDIAN, n] * math.exp(sigma * z))
    _count(counts, rec, I_DEPARTURES, n, loc[s])
    if caravan[s] > 0:
        _count(counts, rec, I_CARAVAN_DEPARTURES, n, loc[s])


@njit(cache=True, error_model="numpy")
def init_people(lo, hi, cols, par, keys, counts, rec):
    """Departures' draws for the people who left today (slots ``lo..hi-1``)."""
    (live, status, dis, loc, route, progress, uid, nat, group, docs, caravan, origin, attempts, money, timer,
     mode, applied, card, expd, expp) = cols
    pn, group_cum, sigma = par[2], par[11], par[0][P_MONEY_SIGMA]
    for s in range(lo, hi):
        _init_person(s, nat, docs, group, money, loc, caravan, uid, pn, group_cum, sigma, keys, counts, rec)


@njit(cache=True, error_model="numpy")
def _chunk(lo, hi, slots, phases, cols, net, par, keys, counts, flows, flags, rec, new_from):
    """The per-person part of a day for ``slots[lo:hi]`` (see the module docstring); people
    in slots from ``new_from`` on left home today and get their departure draws first."""
    (live, status, dis, loc, route, progress, uid, nat, group, docs, caravan, origin, attempts, money, timer,
     mode, applied, card, expd, expp) = cols
    (zone_of, in_mexico, is_border, is_office, entry_route, route_allows, crossing_route, km, dst, region,
     route_cum, has_route, last_route, speed_rm, detect_rm, prey_rm, indptr, mode_cum) = net
    (ps, pi, pn, pni, pz, pd, group_factor, mode_weight, mode_levels, card_region, extra_km, group_cum,
     outcome_cum) = par
    mexican = pi[I_MEXICAN]
    north_wait = pi[I_NORTH_WAIT]
    keep32 = np.float32(ps[P_KEEP_AFTER_ROBBERY])
    n_modes = mode_weight.size
    for i in range(lo, hi):
        s = np.uint64(slots[i])   # unsigned: no negative-index wraparound code
        if s >= new_from:
            _init_person(s, nat, docs, group, money, loc, caravan, uid, pn, group_cum, ps[P_MONEY_SIGMA], keys,
                         counts, rec)
        st = status[s]
        ident = uid[s]
        n = nat[s]

        # ---- departures: people sent back try again (departures._try_again)
        if phases & PH_TRY_AGAIN:
            if (st == RETURNED_BY_MX or st == RETURNED_BY_US) and timer[s] <= 0:
                prob = pn[N_RETRY_MX, n] if st == RETURNED_BY_MX else pn[N_RETRY_US, n]
                if _bern(keys[K_TRY_AGAIN, 0], ident, prob):
                    attempts[s] += 1
                    docs[s] = 0
                    caravan[s] = 0
                    _resume(s, status, dis, live, route, loc, timer, is_border, north_wait)
                else:
                    _count(counts, rec, I_GAVE_UP, n, loc[s])
                    _set_status(s, GAVE_UP, status, dis, live, route)
                st = status[s]

        # ---- movement (movement.Movement.step)
        if phases & PH_MOVEMENT and st == TRANSIT:
            zone = zone_of[loc[s]]
            at_place = route[s] < 0
            rest = True
            if _bern(keys[K_TRANSIT_STOP, 0], ident, pz[Z_TRANSIT_STOP, zone]):
                _count(counts, rec, I_GAVE_UP, n, loc[s])
                _set_status(s, GAVE_UP, status, dis, live, route)
            else:
                move_p = ps[P_CARAVAN_MOVE] if caravan[s] > 0 else pz[Z_MOVE, zone]
                # rest = at_place & (u >= move_p); the draw only matters strictly between 0 and 1
                rest = at_place and (move_p <= 0 or (move_p < 1 and _unif(keys[K_SET_OFF, 0], ident) >= move_p))
            if not rest:
                det_f = (1.0 if n != mexican else 0.0) * (ps[P_CARAVAN_DETECTION] if caravan[s] > 0 else 1.0)
                prey_f = group_factor[group[s]] * pn[N_PREY_NAT, n] * pd[D_PREY, docs[s]] \
                    * (ps[P_CARAVAN_PREDATION] if caravan[s] > 0 else 1.0)
                time_left = 1.0
                for leg in range(MAX_LEGS_PER_DAY):
                    if route[s] < 0:                      # movement._start_legs
                        here = np.int64(loc[s])
                        if has_route[here]:
                            if caravan[s] > 0:            # a caravan moves as one: one draw per place
                                u = _unif(keys[K_ROUTE_CARAVAN, leg], here)
                            else:
                                u = _unif(keys[K_ROUTE, leg], ident)
                            u = min(u, 1.0 - 1e-9)
                            # searchsorted(route_cum, here + u, "right"), clipped to this place's
                            # routes: every earlier value is <= here, every later one > here + u
                            v = here + u
                            r = indptr[here]
                            end = indptr[here + 1]
                            while r < end and route_cum[r] <= v:
                                r += 1
                            r = min(r, last_route[here])
                            # mode: among those the route allows and the person can pay for; the
                            # choice's cumulative weights depend only on how many of the modes'
                            # money thresholds the person reaches (tables made by the runner)
                            cash = money[s]
                            level = 0
                            for j in range(mode_levels.size):
                                if cash >= mode_levels[j]:
                                    level += 1
                            um = _unif(keys[K_MODE, leg], ident)
                            m = 0
                            for j in range(n_modes):
                                if um >= mode_cum[r, level, j]:
                                    m += 1
                            m = min(m, n_modes - 1)
                            route[s] = r
                            mode[s] = m
                            progress[s] = 0.0
                            if entry_route[r]:            # movement._papers_at_entry
                                where = dst[r]
                                none = docs[s] == 0
                                visa = none and caravan[s] > 0 and _bern(keys[K_PAPERS, 0], ident, ps[P_CARAVAN_VISA])
                                if visa:
                                    docs[s] = VISA
                                    _count(counts, rec, I_HUMANITARIAN_VISAS, n, where)
                                if none and not visa and _bern(keys[K_PAPERS, 1], ident, pn[N_TRANSIT_DOC, n]):
                                    docs[s] = TRANSIT_DOCUMENT
                                    _count(counts, rec, I_TRANSIT_DOCUMENTS, n, where)
                                if docs[s] == 0 and _bern(keys[K_PAPERS, 2], ident, pn[N_VISITOR_CARD, n]):
                                    docs[s] = VISITOR_CARD
                                    card[s] = pi[I_CARD_DAYS]
                                    _count(counts, rec, I_VISITOR_CARDS, n, where)
                    r = route[s]
                    if r < 0:
                        break
                    m = mode[s]
                    speed = speed_rm[r, m]
                    remaining = km[r] - progress[s]
                    need = remaining / speed
                    arrive = need <= time_left
                    dist = remaining if arrive else speed * time_left
                    dk = docs[s]
                    doc_f = _document_detection(dk, card[s], card_region[region[dst[r]]], pd[D_DETECT, dk])
                    expd[s] = expd[s] + np.float32(dist * detect_rm[r, m] * det_f * doc_f)
                    expp[s] = expp[s] + np.float32(dist * prey_rm[r, m] * prey_f)
                    progress[s] = progress[s] + np.float32(dist)
                    if not arrive:
                        break
                    time_left = time_left - need
                    # movement._arrive
                    if rec:
                        flows[r] += 1
                    d = dst[r]
                    loc[s] = d
                    route[s] = -1
                    progress[s] = 0.0
                    mode[s] = -1
                    if entry_route[r]:
                        _count(counts, rec, I_ENTRIES_MEXICO, n, d)
                    if is_border[d]:
                        _count(counts, rec, I_ARRIVALS_BORDER, n, d)
                        _set_status(s, WAITING_NORTH, status, dis, live, route)
                        timer[s] = north_wait
                        break
                    if is_office[d] or not time_left > 1e-6:
                        break
            st = status[s]

        # ---- enforcement (enforcement.Enforcement.step)
        if phases & PH_ENFORCEMENT:
            if st == DETAINED_MX and timer[s] <= 0:          # _deport
                if _bern(keys[K_DEPORT, 0], ident, ps[P_DEPORTATION_SHARE]):
                    _count(counts, rec, I_DEPORTATIONS, n, loc[s])
                    loc[s] = pni[NI_DEPORT_TO, n]
                    docs[s] = 0
                    _set_status(s, RETURNED_BY_MX, status, dis, live, route)
                    timer[s] = pi[I_RETRY_WAIT_MX]
                else:
                    _resume(s, status, dis, live, route, loc, timer, is_border, north_wait)
                st = status[s]
            if st == TRANSIT or st == WAITING_NORTH:          # _detect
                hazard = np.float64(expd[s])
                here = loc[s]
                term = (1.0 if (route[s] < 0 and n != mexican) else 0.0) * pz[Z_DETECT_WAITING, zone_of[here]]
                term = term * (1.0 if in_mexico[here] else 0.0)
                term = term * (ps[P_CARAVAN_DETECTION] if caravan[s] > 0 else 1.0)
                dk = docs[s]
                term = term * _document_detection(dk, card[s], card_region[region[here]], pd[D_DETECT, dk])
                hazard = hazard + term
                if hazard > 0 and _hit(_unif(keys[K_DETECT, 0], ident), hazard):
                    route[s] = -1
                    progress[s] = 0.0
                    if _bern(keys[K_EXTORTION, 0], ident, ps[P_EXTORTION]):
                        _count(counts, rec, I_VICTIMIZATIONS, n, here)
                        _count(counts, rec, I_ROBBERIES, n, here)
                        _count(counts, rec, I_BY_OFFICIALS, n, here)
                        money[s] = money[s] * keep32
                    else:
                        _count(counts, rec, I_DETENTIONS, n, here)
                        if group[s] == FAMILY and _bern(keys[K_SEPARATION, 0], ident, ps[P_FAMILY_SEPARATION]):
                            _count(counts, rec, I_FAMILY_SEPARATIONS, n, here)
                        _set_status(s, DETAINED_MX, status, dis, live, route)
                        timer[s] = pi[I_DETENTION_DAYS]
                        if _bern(keys[K_COLLUSION, 0], ident, ps[P_COLLUSION]):
                            _count(counts, rec, I_VICTIMIZATIONS, n, here)
                            _count(counts, rec, I_KIDNAPPINGS, n, here)
                            _count(counts, rec, I_BY_OFFICIALS, n, here)
                            _set_status(s, KIDNAPPED, status, dis, live, route)
                            timer[s] = pi[I_KIDNAP_DAYS]
                        elif group[s] == MINOR and _bern(keys[K_MINOR_CARE, 0], ident, ps[P_MINOR_CARE]):
                            _count(counts, rec, I_MINORS_IN_CARE, n, here)
                            _count(counts, rec, I_ASYLUM_APPLICATIONS, n, here)
                            applied[s] = 1
                            docs[s] = RECEIPT
                            _set_status(s, ASYLUM_MX, status, dis, live, route)
                st = status[s]

        # ---- predation (predation.Predation.step)
        if phases & PH_PREDATION:
            if st == KIDNAPPED and timer[s] <= 0:             # _release
                if _bern(keys[K_KIDNAP_END, 0], ident, ps[P_KIDNAP_DEATH]):
                    _count(counts, rec, I_DEATHS, n, loc[s])
                    _set_status(s, DEAD, status, dis, live, route)
                else:
                    money[s] = 0.0
                    _resume(s, status, dis, live, route, loc, timer, is_border, north_wait)
                st = status[s]
            if st == TRANSIT or st == WAITING_NORTH or st == ASYLUM_MX or st == RETURNED_BY_MX \
                    or st == RETURNED_BY_US:                  # _attack
                hazard = np.float64(expp[s])
                here = loc[s]
                term = (1.0 if route[s] < 0 else 0.0) * pz[Z_PREY_WAITING, zone_of[here]]
                term = term * group_factor[group[s]]
                term = term * pn[N_PREY_NAT, n]
                term = term * pd[D_PREY, docs[s]]
                hazard = hazard + term
                if hazard > 0 and _hit(_unif(keys[K_PREY, 0], ident), hazard):
                    kind = _chosen(_unif(keys[K_PREY_KIND, 0], ident), outcome_cum)
                    _count(counts, rec, I_VICTIMIZATIONS, n, here)
                    if kind == ROBBERY:
                        _count(counts, rec, I_ROBBERIES, n, here)
                        money[s] = money[s] * keep32
                    elif kind == KIDNAPPING:
                        _count(counts, rec, I_KIDNAPPINGS, n, here)
                        route[s] = -1
                        progress[s] = 0.0
                        _set_status(s, KIDNAPPED, status, dis, live, route)
                        timer[s] = pi[I_KIDNAP_DAYS]
                    else:
                        _count(counts, rec, I_DEATHS, n, here)
                        _set_status(s, DEAD, status, dis, live, route)
                st = status[s]

        # ---- asylum: applications and abandonment (asylum._apply, asylum._abandon)
        if phases & PH_ASYLUM:
            if st == TRANSIT and route[s] < 0 and applied[s] == 0 and not (docs[s] == VISA or docs[s] == REFUGEE) \
                    and is_office[loc[s]]:
                prob = ps[P_CARAVAN_ASYLUM] if caravan[s] > 0 else pn[N_ASYLUM_APPLY, n]
                applied[s] = 1
                if _bern(keys[K_ASYLUM_APPLY, 0], ident, prob):
                    _count(counts, rec, I_ASYLUM_APPLICATIONS, n, loc[s])
                    docs[s] = RECEIPT
                    _set_status(s, ASYLUM_MX, status, dis, live, route)
                st = status[s]
            if st == ASYLUM_MX:
                if _bern(keys[K_ASYLUM_ABANDON, 0], ident, ps[P_ABANDON]):
                    docs[s] = 0
                    _set_status(s, TRANSIT, status, dis, live, route)
                elif np.float64(dis[s]) >= ps[P_ASYLUM_MIN_DAYS]:
                    flags[i] |= FLAG_CANDIDATE
                st = status[s]

        # ---- border (border.Border.step)
        if phases & PH_BORDER:
            if st == WAITING_US_HEARING and timer[s] <= 0:    # _hearings
                if _bern(keys[K_US_ASYLUM_DECISION, 0], ident, pn[N_US_GRANT, n]):
                    _count(counts, rec, I_US_ASYLUM_GRANTS, n, loc[s])
                    rt = crossing_route[loc[s]]
                    if rt >= 0:
                        loc[s] = dst[rt]
                    _set_status(s, IN_US, status, dis, live, route)
                    flags[i] |= FLAG_ADMITTED
                else:
                    _remove(s, keys[K_US_REMOVAL_HEARING, 0], n, status, dis, live, route, loc, origin, timer,
                            counts, rec, pi, pn, pni, ident)
                st = status[s]
            if st == WAITING_NORTH and timer[s] <= 0 and crossing_route[loc[s]] >= 0:   # _crossings
                here = loc[s]
                side = dst[crossing_route[here]]
                _count(counts, rec, I_CROSSING_ATTEMPTS, n, side)
                u = _unif(keys[K_CROSSING, 0], ident)
                p_death = ps[P_US_DEATH]
                extra = extra_km[here]
                p_app = pn[N_US_APPREHENSION, n]
                if extra > 0:
                    p_app = 1.0 - (1.0 - p_app) * math.exp(-ps[P_APPREHENSION_PER_KM] * extra)
                if u < p_death:
                    _count(counts, rec, I_DEATHS, n, side)
                    _set_status(s, DEAD, status, dis, live, route)
                elif u < p_death + (1.0 - p_death) * p_app:
                    _count(counts, rec, I_APPREHENSIONS, n, side)
                    if _bern(keys[K_US_ASYLUM_CLAIM, 0], ident, pn[N_US_CLAIM, n]):
                        _count(counts, rec, I_US_ASYLUM_CLAIMS, n, side)
                        if _bern(keys[K_MPP, 0], ident, ps[P_MPP_SHARE]):
                            _count(counts, rec, I_MPP, n, here)
                            _set_status(s, WAITING_US_HEARING, status, dis, live, route)
                            timer[s] = pi[I_MPP_WAIT]
                        else:
                            loc[s] = side
                            _set_status(s, IN_US, status, dis, live, route)
                            flags[i] |= FLAG_ADMITTED
                    elif _bern(keys[K_US_RETURN, 0], ident, pn[N_US_RETURN, n]):
                        _set_status(s, RETURNED_BY_US, status, dis, live, route)
                        timer[s] = pni[NI_RETRY_WAIT_US, n]
                    else:
                        _remove(s, keys[K_US_REMOVAL_ROUTE, 0], n, status, dis, live, route, loc, origin, timer,
                                counts, rec, pi, pn, pni, ident)
                else:
                    loc[s] = side
                    _count(counts, rec, I_ENTRIES_US, n, side)
                    _set_status(s, IN_US, status, dis, live, route)
                    flags[i] |= FLAG_ADMITTED
                st = status[s]

        # ---- record (bookkeeping.Bookkeeping.step and the engine's end of day)
        if phases & PH_RECORD:
            here = loc[s]
            _stock(counts, rec, st, n, here, zone_of[here], pi[I_ZONE_SOUTH], pi[I_ZONE_NORTH], 1)
            # timer and card: max(x - 1, 0); exposures back to 0 (stores only where something changes)
            t = timer[s]
            if t > 0:
                timer[s] = t - 1
            elif t < 0:
                timer[s] = 0
            t = card[s]
            if t > 0:
                card[s] = t - 1
            elif t < 0:
                card[s] = 0
            if expd[s] != 0:
                expd[s] = 0.0
            if expp[s] != 0:
                expp[s] = 0.0
            if dis[s] < 32767:
                dis[s] += 1


@njit(cache=True, parallel=True)
def day_pass(slots, chunk, phases, cols, net, par, keys, counts, flows, flags, rec, new_from):
    """:func:`_chunk` over all of ``slots`` in parallel chunks (per-thread count buffers)."""
    n_chunks = (slots.size + chunk - 1) // chunk
    for c in prange(n_chunks):
        t = get_thread_id()
        lo = c * chunk
        _chunk(lo, min(lo + chunk, slots.size), slots, phases, cols, net, par, keys, counts[t], flows[t], flags,
               rec, new_from)


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
def _stable_order(key):
    """Indices sorting ``key`` ascending, ties in index order (a bottom-up merge sort)."""
    n = key.size
    idx = np.arange(n)
    tmp = np.empty(n, dtype=np.int64)
    width = 1
    while width < n:
        for lo in range(0, n, 2 * width):
            mid = min(lo + width, n)
            hi = min(lo + 2 * width, n)
            i, j, k = lo, mid, lo
            while i < mid and j < hi:
                if key[idx[j]] < key[idx[i]]:
                    tmp[k] = idx[j]
                    j += 1
                else:
                    tmp[k] = idx[i]
                    i += 1
                k += 1
            while i < mid:
                tmp[k] = idx[i]
                i += 1
                k += 1
            while j < hi:
                tmp[k] = idx[j]
                j += 1
                k += 1
        idx, tmp = tmp, idx
        width *= 2
    return idx


@njit(cache=True)
def asylum_decide(cands, n_done, cols, net, par, keys, counts, rec, recorded):
    """asylum._decide: the ``n_done`` oldest cases (ties by slot) of ``cands`` (in slot order).

    ``recorded``: the day's record step has already run (fused pass); the people decided on
    then move from the waiting stock to their new one, and end the day one day in status."""
    zone_of = net[0]
    (live, status, dis, loc, route, progress, uid, nat, group, docs, caravan, origin, attempts, money, timer,
     mode, applied, card, expd, expp) = cols
    (ps, pi, pn, pni, pz, pd, group_factor, mode_weight, mode_levels, card_region, extra_km, group_cum,
     outcome_cum) = par
    age = np.empty(cands.size, dtype=np.int64)
    for j in range(cands.size):
        age[j] = -np.int64(dis[cands[j]])
    order = _stable_order(age)                    # oldest first, then by slot
    for j in range(n_done):
        s = cands[order[j]]
        n = nat[s]
        here = loc[s]
        if recorded:
            _stock(counts, rec, status[s], n, here, zone_of[here], pi[I_ZONE_SOUTH], pi[I_ZONE_NORTH], -1)
        if _bern(keys[K_ASYLUM_DECISION, 0], uid[s], pn[N_RECOGNITION, n]):
            _count(counts, rec, I_ASYLUM_GRANTS, n, loc[s])
            if _bern(keys[K_ASYLUM_STAY, 0], uid[s], ps[P_STAY]):
                _set_status(s, PROTECTED_MX, status, dis, live, route)
            else:
                docs[s] = REFUGEE
                _set_status(s, TRANSIT, status, dis, live, route)
        else:
            _count(counts, rec, I_ASYLUM_DENIALS, n, loc[s])
            docs[s] = 0
            _set_status(s, TRANSIT, status, dis, live, route)
        if recorded:
            _stock(counts, rec, status[s], n, here, zone_of[here], pi[I_ZONE_SOUTH], pi[I_ZONE_NORTH], 1)
            dis[s] = 1


@njit(cache=True)
def compact(slots, live):
    """The slots of people still in the simulation (``live``), in order."""
    out = np.empty(slots.size, dtype=np.int64)
    k = 0
    for i in range(slots.size):
        s = slots[i]
        out[k] = s
        k += 1 if live[s] else 0
    return out[:k].copy()


@njit(cache=True)
def reduce_counts(counts, flows, slab, route_flows):
    """Add the per-thread buffers to the day's record (integers: any order gives the same sums) and
    clear them."""
    t_n = counts.shape[0]
    c2 = counts.reshape(t_n, -1)
    s1 = slab.reshape(-1)
    for t in range(t_n):
        for j in range(s1.size):
            v = c2[t, j]
            if v != 0:
                s1[j] += v
                c2[t, j] = 0
        for r in range(route_flows.size):
            v = flows[t, r]
            if v != 0:
                route_flows[r] += v
                flows[t, r] = 0


# ---- US interior enforcement (us_interior.InteriorEnforcement, with binary heaps)
# Each entrant's arrest threshold is the nationality's cumulative hazard at entry plus an Exp(1)
# budget; everyone whose threshold the cumulative hazard has reached is arrested that day. The
# numpy process keeps the thresholds in a sorted array plus a buffer; a min-heap per nationality
# gives the same set of people each day.


@njit(cache=True)
def interior_admit(entrants, cols, keys, cum, heap_thr, heap_slot, heap_n):
    """Register today's entrants into the US (heaps must have room for them)."""
    (live, status, dis, loc, route, progress, uid, nat, group, docs, caravan, origin, attempts, money, timer,
     mode, applied, card, expd, expp) = cols
    for j in range(entrants.size):
        s = entrants[j]
        n = nat[s]
        u = _unif(keys[K_INTERIOR_BUDGET, 0], uid[s])
        budget = -math.log1p(-u)                      # Exp(1)
        thr = cum[n] + budget
        # push, sift up
        k = heap_n[n]
        heap_n[n] = k + 1
        while k > 0:
            parent = (k - 1) >> 1
            if heap_thr[n, parent] <= thr:
                break
            heap_thr[n, k] = heap_thr[n, parent]
            heap_slot[n, k] = heap_slot[n, parent]
            k = parent
        heap_thr[n, k] = thr
        heap_slot[n, k] = s


@njit(cache=True)
def _heap_pop(heap_thr, heap_slot, heap_n, n):
    top = heap_slot[n, 0]
    m = heap_n[n] - 1
    heap_n[n] = m
    if m > 0:
        thr, slot = heap_thr[n, m], heap_slot[n, m]
        k = 0
        while True:
            c = 2 * k + 1
            if c >= m:
                break
            if c + 1 < m and heap_thr[n, c + 1] < heap_thr[n, c]:
                c += 1
            if heap_thr[n, c] >= thr:
                break
            heap_thr[n, k] = heap_thr[n, c]
            heap_slot[n, k] = heap_slot[n, c]
            k = c
        heap_thr[n, k] = thr
        heap_slot[n, k] = slot
    return top


@njit(cache=True)
def interior_step(cum, heap_thr, heap_slot, heap_n, cols, par, keys, counts, rec, zone_of, listed, recorded):
    """One day of interior enforcement; returns the people removed (brought back into the
    simulation, in slot order).

    ``recorded``: the day's record step has already run for the people in ``listed`` (sorted);
    the people brought back get theirs here (those listed today, who entered the US today,
    have had their visitor card day counted already)."""
    (live, status, dis, loc, route, progress, uid, nat, group, docs, caravan, origin, attempts, money, timer,
     mode, applied, card, expd, expp) = cols
    (ps, pi, pn, pni, pz, pd, group_factor, mode_weight, mode_levels, card_region, extra_km, group_cum,
     outcome_cum) = par
    any_due = False
    for n in range(cum.size):
        cum[n] = cum[n] + pn[N_ARREST_PER_YEAR, n] / 365.25
        if heap_n[n] > 0 and heap_thr[n, 0] <= cum[n]:
            any_due = True
    if not any_due:
        return np.empty(0, dtype=np.int64)
    found = np.empty(64, dtype=np.int64)
    k = 0
    for n in range(cum.size):
        while heap_n[n] > 0 and heap_thr[n, 0] <= cum[n]:
            if k == found.size:
                bigger = np.empty(2 * k, dtype=np.int64)
                bigger[:k] = found
                found = bigger
            found[k] = _heap_pop(heap_thr, heap_slot, heap_n, n)
            k += 1
    due = np.sort(found[:k])
    out = np.empty(due.size, dtype=np.int64)
    n_out = 0
    for j in range(due.size):
        s = due[j]
        n = nat[s]
        _count(counts, rec, I_US_INTERIOR_ARRESTS, n, loc[s])
        if _bern(keys[K_INTERIOR_REMOVAL, 0], uid[s], min(pn[N_US_REMOVAL, n] * pn[N_CONSULAR, n], 1.0)):
            _count(counts, rec, I_US_REMOVALS, n, loc[s])
            out[n_out] = s
            n_out += 1
    for j in range(n_out):
        s = out[j]
        live[s] = True
        _remove(s, keys[K_INTERIOR_REMOVAL_ROUTE, 0], nat[s], status, dis, live, route, loc, origin, timer,
                counts, rec, pi, pn, pni, uid[s])
        if recorded:
            here = loc[s]
            _stock(counts, rec, status[s], nat[s], here, zone_of[here], pi[I_ZONE_SOUTH], pi[I_ZONE_NORTH], 1)
            t = timer[s]
            timer[s] = t - 1 if t > 0 else 0
            k = np.searchsorted(listed, s)
            if not (k < listed.size and listed[k] == s):
                t = card[s]
                card[s] = t - 1 if t > 0 else 0
                expd[s] = 0.0
                expp[s] = 0.0
            dis[s] = 1
    return out[:n_out]


@njit(cache=True)
def merge_sorted(index, add):
    """The sorted union of a sorted index and a few sorted, distinct slots (block copies)."""
    out = np.empty(index.size + add.size, dtype=np.int64)
    i = k = 0
    for j in range(add.size):
        pos = np.searchsorted(index, add[j])
        out[k:k + pos - i] = index[i:pos]
        k += pos - i
        i = pos
        if i < index.size and index[i] == add[j]:
            continue
        out[k] = add[j]
        k += 1
    out[k:k + index.size - i] = index[i:]
    k += index.size - i
    return out[:k]


# ---- many days in one call (Simulation.run): the runner's day, compiled end to end


@njit(cache=True)
def _append_range(index, lo, hi):
    """``index`` followed by ``lo..hi-1`` (all larger than its entries)."""
    out = np.empty(index.size + hi - lo, dtype=np.int64)
    out[: index.size] = index
    for j in range(hi - lo):
        out[index.size + j] = lo + j
    return out


@njit(cache=True)
def run_days(t0, t1, first_rec, n, live_index, people, day_start, cols, net, par, base_keys, counts, flows,
             data, route_flows, cum, heap_thr, heap_slot, heap_n, capacity, capacity_u, chunk, parallel_min,
             parallel):
    """Days ``t0..t1-1`` (parameters constant over them) as :meth:`.runner.CompiledDay.step`
    runs one: departures (``people``: nationality, place, caravan flag and identity of the
    days' new people, ``day_start`` where each day begins; written into the table's free rows
    from ``n`` on), the fused pass, the asylum queue, US interior enforcement, the record.

    ``cols`` are whole storage arrays (rows past ``n`` hold the defaults). ``capacity_u``:
    the day's uniform for the fractional asylum capacity. Stops early, before a day starts,
    when the interior heaps might overflow that day. Returns (next day, rows in use, index of
    people still in the simulation, agent-days added)."""
    p_nat, p_loc, p_flag, p_uid = people
    (live_col, status, dis, loc_col, route, progress, uid_col, nat_col, group, docs, caravan_col, origin_col,
     attempts_col, money, timer, mode, applied, card, expd, expp) = cols
    whole = np.int64(capacity)
    frac = capacity - whole
    agent_days = 0
    for tick in range(t0, t1):
        j = tick - t0
        lo, hi = day_start[j], day_start[j + 1]
        if heap_n.max() + live_index.size + (hi - lo) > heap_thr.shape[1]:
            return tick, n, live_index, agent_days
        rec = tick >= first_rec
        keys = day_keys(base_keys, tick)
        # departures: new rows (departures.add_people), then their draws
        for i in range(lo, hi):
            s = n + i - lo
            nat_col[s] = p_nat[i]
            origin_col[s] = p_loc[i]
            loc_col[s] = p_loc[i]
            status[s] = TRANSIT
            live_col[s] = True
            attempts_col[s] = 1
            caravan_col[s] = p_flag[i]
            uid_col[s] = p_uid[i]
        live = _append_range(live_index, n, n + hi - lo)
        new_from = np.uint64(n)                              # their draws: in the pass
        n += hi - lo

        flags = np.zeros(live.size, dtype=np.uint8)
        if parallel and live.size > parallel_min:
            day_pass(live, chunk, PH_FUSED, cols, net, par, keys, counts, flows, flags, rec, new_from)
        else:
            _chunk(0, live.size, live, PH_FUSED, cols, net, par, keys, counts[0], flows[0], flags, rec, new_from)

        cands = flagged(live, flags, FLAG_CANDIDATE)          # the asylum queue
        if cands.size:
            extra = 1 if cands.size > whole and frac > 0 and capacity_u[j] < frac else 0
            n_done = min(cands.size, whole + extra)
            if n_done:
                asylum_decide(cands, n_done, cols, net, par, keys, counts[0], rec, True)

        entrants = flagged(live, flags, FLAG_ADMITTED)        # US interior enforcement
        interior_admit(entrants, cols, keys, cum, heap_thr, heap_slot, heap_n)
        revived = interior_step(cum, heap_thr, heap_slot, heap_n, cols, par, keys, counts[0], rec, net[0], live,
                                True)
        everyone = merge_sorted(live, revived) if revived.size else live
        if rec:
            reduce_counts(counts, flows, data[tick - first_rec], route_flows)
        agent_days += everyone.size
        live_index = compact(everyone, live_col)
    return t1, n, live_index, agent_days
