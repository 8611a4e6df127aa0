"""Arrays derived from the network and the levers in force, cached per lever version.

Route choice probabilities and per-route hazards depend only on parameters and masks,
not on agents, so they are computed once per change of policy rather than per agent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...network import MODES, Network
from ...policies import Levers

__all__ = ["Static", "Dynamic", "static_arrays", "dynamic_arrays"]

_BITS = np.arange(len(MODES), dtype=np.uint8)


@dataclass(frozen=True)
class Static:
    """Facts about the network the model uses every day."""

    dist_goal: np.ndarray        # km from each location to the nearest US-side location
    zone_of: np.ndarray          # zone index per location
    in_mexico: np.ndarray        # bool per location
    is_border_city: np.ndarray   # bool per location (kind border_city_mx)
    is_asylum_office: np.ndarray  # bool per location (kind asylum_office)
    entry_route: np.ndarray      # bool per route: crosses into Mexico
    route_allows: np.ndarray     # bool [route, mode]
    crossing_route: np.ndarray   # per location: route to the US side (-1 if none)
    mexican: int                 # nationality index of MEX, or -1


def static_arrays(net: Network, nationalities: tuple[str, ...]) -> Static:
    us = net.mask("kind", ["us_sector"])
    dist = net.distance_to(us)
    mx = net.country == (net.countries.index("MEX") if "MEX" in net.countries else -1)
    crossing = np.full(net.n_locations, -1, dtype=np.int64)
    # the shortest route from each border city to the US side
    for r in np.argsort(net.km)[::-1]:
        if us[net.dst[r]]:
            crossing[net.src[r]] = r
    entry = ~mx[net.src] & mx[net.dst]
    allows = ((net.mode_mask[:, None] >> _BITS[None, :]) & 1).astype(bool)
    return Static(dist, net.zone.astype(np.int64), mx, net.mask("kind", ["border_city_mx"]),
                  net.mask("kind", ["asylum_office"]), entry, allows, crossing,
                  nationalities.index("MEX") if "MEX" in nationalities else -1)


@dataclass(frozen=True)
class Dynamic:
    """Arrays that change with the levers in force."""

    route_cum: np.ndarray        # per route: src + cumulative choice probability within src
    has_route: np.ndarray        # bool per location: at least one usable route out
    last_route: np.ndarray       # per location: index of its last route (for clipping)
    speed: np.ndarray            # effective km/day [route, mode]
    detect: np.ndarray           # detection hazard per km [route, mode]
    prey: np.ndarray             # predation hazard per km [route, mode]


def dynamic_arrays(net: Network, st: Static, lev: Levers) -> Dynamic:
    p = lev.params
    src, dst, km = net.src, net.dst, net.km
    # routes into the US are crossed only in the border phase, never by ordinary travel
    usable = lev.route_open & np.isfinite(st.dist_goal[dst]) & (st.dist_goal[dst] > 0)
    detour = km + np.where(np.isfinite(st.dist_goal[dst]), st.dist_goal[dst], 0.0) \
        - np.where(np.isfinite(st.dist_goal[src]), st.dist_goal[src], 0.0)
    w = np.where(usable, np.exp(-np.maximum(detour, 0.0) / float(p.route_km_scale)), 0.0)
    cw = np.cumsum(w)
    before = np.concatenate([[0.0], cw])[net.indptr[:-1]]          # cumulative weight before each segment
    seg_total = np.concatenate([[0.0], cw])[net.indptr[1:]] - before
    within = cw - before[src]
    tot = seg_total[src]
    frac = np.divide(within, tot, out=np.zeros_like(within), where=tot > 0)
    last = np.maximum(net.indptr[1:] - 1, 0)
    speed_mode = np.asarray(p.speed_km_per_day, dtype=np.float64)
    days = np.maximum(km[:, None] / speed_mode[None, :], net.min_days[:, None])
    speed = km[:, None] / days
    region_dst = net.region[dst]
    in_mx_route = st.in_mexico[dst]
    detect = (np.asarray(p.mx_detection_per_100km)[region_dst] * in_mx_route)[:, None] \
        * np.asarray(p.detection_mode_factor)[None, :] / 100.0
    prey = np.asarray(p.predation_per_100km)[region_dst][:, None] \
        * np.asarray(p.predation_mode_factor)[None, :] / 100.0
    return Dynamic(src + frac, seg_total > 0, last, speed, detect, prey)
