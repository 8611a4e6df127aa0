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
* Overlapping closures of the same link: the link is closed while any of them is in
  force. In Flee the first reopening reopens it.
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


def compile_closures(closures: list[Closure], net: Network, country_of: list[str],
                     n_ticks: int, link_rule: str = "flee") -> tuple[list[CompiledPolicy], list[CampToggle]]:
    policies: list[CompiledPolicy] = []
    toggles: list[CampToggle] = []
    country = np.array(country_of, dtype=object)
    src_c, dst_c = country[net.src], country[net.dst]
    for c in closures:
        first = c.start
        last = c.end - 1 if c.end >= 0 else n_ticks + 1
        name = f"closure {c.kind} {c.name1} {c.name2} (row {c.line})"
        routes = np.zeros(0, dtype=np.int64)
        locs = np.zeros(0, dtype=np.int64)
        if c.kind == "country":
            mask = ((src_c == c.name1) & (dst_c == c.name2)) | ((src_c == c.name2) & (dst_c == c.name1))
            routes = np.flatnonzero(mask).astype(np.int64)
        elif c.kind == "link":
            a, b = net.index(c.name1), net.index(c.name2)
            if link_rule == "both_ways":
                mask = ((net.src == a) & (net.dst == b)) | ((net.src == b) & (net.dst == a))
            elif flee_link_closure_acts(c.name1):
                mask = (net.src == b) & (net.dst == a)
            else:
                continue
            routes = np.flatnonzero(mask).astype(np.int64)
        elif c.kind == "location":
            locs = np.array([net.index(c.name1)], dtype=np.int64)
        elif c.kind in ("camp", "idpcamp"):
            idx = net.index(c.name1)
            toggles.append(CampToggle(c.start, idx, False, c.kind == "idpcamp"))
            if c.end >= 0:
                toggles.append(CampToggle(c.end, idx, True, c.kind == "idpcamp"))
            continue
        else:   # remove_forced_redirection: no effect on movement
            continue
        if last >= first:
            policies.append(CompiledPolicy(name, first, last, {}, {}, routes, locs))
    return policies, toggles
