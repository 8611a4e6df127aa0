"""Route choice: the paths an agent at a location considers, and their weights.

Flee's agent at location ``o`` enumerates every simple path over open links of up to
``awareness_level`` links (a marker location does not count as a step and is not a
destination). A path ending at ``E`` after ``D`` km weighs

    ((weight_softening + score(E)) / (softening + D) ** distance_power * cap(E)) ** weight_power

where ``score`` is 1 times ``foreign_weight`` (abroad), ``camp_weight`` (camps) and
``conflict_weight ** (decay * intensity)`` (conflict zones), and ``cap`` is the capacity
multiplier of ``E`` at the moment of choice. None of this depends on the agent, only on
the location and the day, so the paths are enumerated once per state of the closures and
their weights (without ``cap``) once per day; agents draw from them in the movement
kernel. Chosen paths are kept in a table that only grows, so a path id an agent holds
stays valid when closures change the candidate sets.

Difference: with ``awareness_level: 0`` Flee 3.1 returns a link *index* where a location
name is expected, so its agents never move. Corridor picks one of the open links at
random, with equal weights, which is what level 0 ("road only") describes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .settings import FleeSettings

__all__ = ["RouteTable", "haversine_km"]


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance with Flee's earth radius (6373 km)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dlat, dlon = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dlat / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlon / 2) ** 2
    return 6373.0 * 2 * math.atan2(math.sqrt(a), math.sqrt(1 - a))


@dataclass
class Candidates:
    ptr: np.ndarray        # int64, per location: candidates ptr[o]:ptr[o+1]
    path: np.ndarray       # int32 path id
    end: np.ndarray        # int32 last location of the path
    km: np.ndarray         # float64 path length
    origin: np.ndarray     # int32


class RouteTable:
    """Paths (growing table) and the current candidates per location."""

    def __init__(self, n_locations: int, max_len: int) -> None:
        self.n_locations = n_locations
        self.max_len = max(1, max_len)
        self.nodes = np.full((64, self.max_len), -1, dtype=np.int32)
        self.length = np.zeros(64, dtype=np.int32)
        self.n_paths = 0
        self._ids: dict[tuple[int, ...], int] = {}
        self.cand: Candidates | None = None

    def _path_id(self, seq: tuple[int, ...]) -> int:
        pid = self._ids.get(seq)
        if pid is not None:
            return pid
        if len(seq) > self.max_len:
            grown = np.full((self.nodes.shape[0], len(seq)), -1, dtype=np.int32)
            grown[:, : self.max_len] = self.nodes
            self.nodes, self.max_len = grown, len(seq)
        if self.n_paths == self.nodes.shape[0]:
            cap = self.n_paths * 2
            nodes = np.full((cap, self.max_len), -1, dtype=np.int32)
            nodes[: self.n_paths] = self.nodes
            length = np.zeros(cap, dtype=np.int32)
            length[: self.n_paths] = self.length
            self.nodes, self.length = nodes, length
        pid = self.n_paths
        self.nodes[pid, : len(seq)] = seq
        self.length[pid] = len(seq)
        self._ids[seq] = pid
        self.n_paths += 1
        return pid

    def enumerate(self, indptr: np.ndarray, dst: np.ndarray, km: np.ndarray, link_open: np.ndarray,
                  marker: np.ndarray, awareness: int) -> Candidates:
        """Recompute the candidate paths of every location for these open links."""
        adj: list[list[tuple[int, float]]] = [[] for _ in range(self.n_locations)]
        for o in range(self.n_locations):
            for r in range(indptr[o], indptr[o + 1]):
                if link_open[r]:
                    adj[o].append((int(dst[r]), float(km[r])))
        ptr = [0]
        paths: list[int] = []
        ends: list[int] = []
        kms: list[float] = []
        origins: list[int] = []

        def walk(origin: int, visited: list[int], end: int, dist: float, step: int) -> None:
            if not marker[end]:
                paths.append(self._path_id(tuple(visited[1:]) + (end,)))
                ends.append(end)
                kms.append(dist)
                origins.append(origin)
            else:
                step -= 1
            if awareness > step:
                for nxt, k in adj[end]:
                    if nxt not in visited:
                        walk(origin, visited + [end], nxt, dist + k, step + 1)

        for o in range(self.n_locations):
            for nxt, k in adj[o]:
                if awareness == 0:
                    paths.append(self._path_id((nxt,)))
                    ends.append(nxt)
                    kms.append(k)
                    origins.append(o)
                else:
                    walk(o, [o], nxt, k, 1)
            ptr.append(len(paths))
        self.cand = Candidates(np.array(ptr, dtype=np.int64), np.array(paths, dtype=np.int32),
                               np.array(ends, dtype=np.int32), np.array(kms, dtype=np.float64),
                               np.array(origins, dtype=np.int32))
        return self.cand

    def weights(self, s: FleeSettings, score: np.ndarray, camp: np.ndarray, conflict: np.ndarray,
                pop: np.ndarray, home_km: np.ndarray | None) -> np.ndarray:
        """Weights of the current candidates, without the capacity factor, raised to weight_power."""
        c = self.cand
        assert c is not None
        if s.awareness_level == 0:
            return np.ones(c.path.size)
        base = score[c.end].astype(np.float64)
        if s.stay_close_to_home and home_km is not None:
            base = base / np.maximum(1.0, home_km[c.origin, c.end]) ** s.home_distance_power
        is_camp = camp[c.end]
        is_conf = ~is_camp & (conflict[c.end] > 0.0)
        is_town = ~is_camp & ~is_conf
        for flag, mask in ((s.match_camp_ethnicity, is_camp), (s.match_conflict_ethnicity, is_conf),
                           (s.match_town_ethnicity, is_town)):
            if flag:   # Flee 3.1's attribute ratio is a stub returning 1, times 10
                base = np.where(mask, base * 10.0, base)
        if s.use_pop_for_loc_weight:
            size = np.minimum(1.0, pop[c.end]) if s.pop_loc_weight == "flee" else np.maximum(1.0, pop[c.end])
            base = np.where(is_camp, base, base * size ** s.pop_power_for_loc_weight)
        w = (s.weight_softening + base) / (s.softening + c.km) ** s.distance_power
        return w ** s.weight_power
