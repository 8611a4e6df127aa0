"""Closures (``closures.csv``) as engine policies, plus camp openings and closings.

Link, location and country closures become :class:`corridor.policies.CompiledPolicy`
windows on route masks, so the engine's ``policies`` phase sets which links are open each
day. A closure row with start ``s`` and end ``e`` closes on day ``s`` and reopens on day
``e`` (never when ``e`` is negative), as in Flee. ``camp`` and ``idpcamp`` rows turn a camp
into a town on day ``s`` and back into a camp on day ``e``: these change what a location
is, not a mask, and are applied by the :class:`Closures` process.

Differences, on purpose:

* ``link`` closures, by default as in Flee 3.1: its lookup compares names with ``is not``,
  which matches a name read from the file only where CPython shares the string object (a
  name of one Latin-1 character), and then closes only ``name2 -> name1``; every longer name
  closes nothing. ``corridor_rules.link_closures: both_ways`` closes the link both ways.
* Overlapping closures of the same link, by default as in Flee 3.1: each day the rows are
  applied in file order (close on ``closure_start``, reopen on ``closure_end``), so the first
  reopening reopens the link even while another row is in force. ``corridor_rules.
  overlapping_closures: any`` keeps it closed while any row is in force.
* ``remove_forced_redirection`` is accepted and has no effect: forced redirection does not
  change movement in Flee 3.1 either.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...network import Network
from ...policies import CompiledPolicy
from .inputs import Closure

__all__ = ["compile_closures", "CampToggle"]


@dataclass(frozen=True)
class CampToggle:
    tick: int
    location: int
    to_camp: bool
    idp: bool


def flee_link_closure_acts(name1: str) -> bool:
    """Whether Flee 3.1's identity test can match ``name1`` (a one-character Latin-1 name)."""
    return len(name1) == 1 and ord(name1) < 256


def _closed_routes(c: Closure, net: Network, src_c: np.ndarray, dst_c: np.ndarray, link_rule: str) -> np.ndarray:
    """The directed routes a closure row closes (a location's: every route in and out)."""
    if c.kind == "country":
        mask = ((src_c == c.name1) & (dst_c == c.name2)) | ((src_c == c.name2) & (dst_c == c.name1))
    elif c.kind == "link":
        a, b = net.index(c.name1), net.index(c.name2)
        if link_rule == "both_ways":
            mask = ((net.src == a) & (net.dst == b)) | ((net.src == b) & (net.dst == a))
        elif flee_link_closure_acts(c.name1):
            mask = (net.src == b) & (net.dst == a)
        else:
            mask = np.zeros(net.n_routes, dtype=bool)
    else:   # location
        i = net.index(c.name1)
        mask = (net.src == i) | (net.dst == i)
    return np.flatnonzero(mask).astype(np.int64)


def _window(c: Closure, n_ticks: int) -> tuple[int, int]:
    """First and last (inclusive) day a row keeps its routes closed, on its own (an end before
    the start reopens before the row closes: never lifted)."""
    return c.start, (c.end - 1 if c.end >= c.start else n_ticks + 1)


def _overlap(rows: list[tuple[Closure, np.ndarray]], n_ticks: int) -> bool:
    for k, (c1, r1) in enumerate(rows):
        f1, l1 = _window(c1, n_ticks)
        for c2, r2 in rows[k + 1:]:
            f2, l2 = _window(c2, n_ticks)
            if max(f1, f2) <= min(l1, l2) + 1 and np.intersect1d(r1, r2).size:
                return True
    return False


def _replayed(rows: list[tuple[Closure, np.ndarray]], net: Network, n_ticks: int) -> list[CompiledPolicy]:
    """Flee 3.1's day-by-day closing and reopening, as windows per group of routes."""
    closed = np.zeros(net.n_routes, dtype=bool)
    days = np.zeros((n_ticks, net.n_routes), dtype=bool)
    for t in range(n_ticks):
        for c, routes in rows:
            if t == c.start:
                closed[routes] = True
            if t == c.end:
                closed[routes] = False
        days[t] = closed
    windows: dict[tuple[int, int], list[int]] = {}
    for r in np.flatnonzero(days.any(axis=0)):
        col = np.concatenate([[False], days[:, r], [False]])
        edges = np.flatnonzero(np.diff(col.astype(np.int8)))
        for first, stop in zip(edges[::2], edges[1::2], strict=True):
            last = int(stop) - 1 if stop < n_ticks else n_ticks + 1
            windows.setdefault((int(first), last), []).append(int(r))
    return [CompiledPolicy(f"closures.csv, as Flee 3.1 applies its rows: days {f}-{min(last, n_ticks - 1)}",
                           f, last, {}, {}, np.array(rs, dtype=np.int64), np.zeros(0, dtype=np.int64))
            for (f, last), rs in sorted(windows.items())]


def compile_closures(closures: list[Closure], net: Network, country_of: list[str], n_ticks: int,
                     link_rule: str = "flee", overlap_rule: str = "flee") -> tuple[list[CompiledPolicy],
                                                                                    list[CampToggle]]:
    toggles: list[CampToggle] = []
    country = np.array(country_of, dtype=object)
    src_c, dst_c = country[net.src], country[net.dst]
    rows: list[tuple[Closure, np.ndarray]] = []
    for c in closures:
        if c.kind in ("camp", "idpcamp"):
            idx = net.index(c.name1)
            toggles.append(CampToggle(c.start, idx, False, c.kind == "idpcamp"))
            if c.end >= 0:
                toggles.append(CampToggle(c.end, idx, True, c.kind == "idpcamp"))
        elif c.kind in ("country", "link", "location"):   # remove_forced_redirection: no effect on movement
            rows.append((c, _closed_routes(c, net, src_c, dst_c, link_rule)))
    if overlap_rule == "flee" and _overlap(rows, n_ticks):
        return _replayed(rows, net, n_ticks), toggles
    policies = []
    for c, routes in rows:
        first, last = _window(c, n_ticks)
        if last >= first and routes.size:
            policies.append(CompiledPolicy(f"closure {c.kind} {c.name1} {c.name2} (row {c.line})", first, last,
                                           {}, {}, routes, np.zeros(0, dtype=np.int64)))
    return policies, toggles
