"""Policies as time-windowed levers on named parameters and on route/location masks.

:class:`LeverSchedule` compiles the scenario's policies once. ``at(tick)`` returns the
parameter arrays and open-masks in force that day; they are recomputed only when the
set of active policies changes, and every distinct set is checked when the run is
built, so a policy that pushes a value out of bounds fails before the run starts.
A policy never touches agents: processes read the parameters it changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np

from .network import Network
from .params import ParamError, ParamSpec, resolve

__all__ = ["CompiledPolicy", "LeverSchedule", "Levers"]


@dataclass(frozen=True)
class CompiledPolicy:
    name: str
    first_tick: int
    last_tick: int                      # inclusive
    scale: dict[str, np.ndarray]
    set: dict[str, np.ndarray]
    closed_routes: np.ndarray           # int route indices
    closed_locations: np.ndarray        # int location indices


@dataclass(frozen=True)
class Levers:
    """What is in force on one day: parameter arrays and open masks."""

    params: SimpleNamespace
    route_open: np.ndarray              # bool per route
    location_open: np.ndarray           # bool per location
    active: tuple[str, ...]             # names of the policies in force
    version: int                        # changes whenever the levers change


#: The unit of a parameter whose values are places (ids in the scenario, indices in the arrays).
PLACE_UNIT = "location"


#: The value of a place-valued parameter that names no place (index -1).
NO_PLACE = "none"


def place_indices(value: Any, network: Network, path: str) -> Any:
    """A place-valued parameter's value with every place id replaced by its index (``none``:
    -1, no place); anything but an id of the network (a number, a typo) is an error naming the
    key path."""
    if isinstance(value, Mapping):
        return {k: place_indices(v, network, f"{path}.{k}") for k, v in value.items()}
    if value == NO_PLACE and not network.has(NO_PLACE):
        return -1
    if not isinstance(value, str):
        raise ParamError(f"{value!r} is not a place", path, f"a location id from nodes.csv (or {NO_PLACE})")
    if not network.has(value):
        raise ParamError(f"unknown location {value!r}", path, f"a location id from nodes.csv (or {NO_PLACE})")
    return network.index(value)


def compile_policy(spec: Any, *, specs: Mapping[str, ParamSpec], axes: Mapping[str, Sequence[Any]],
                   network: Network, day0: dt.date, n_ticks: int, at: str) -> CompiledPolicy:
    """Turn a validated ``PolicySpec`` into arrays; raises ``ParamError`` with a key path."""
    scale, setv = {}, {}
    for kind, target in (("scale", scale), ("set", setv)):
        for pname, value in getattr(spec, kind).items():
            if pname not in specs:
                raise ParamError(f"unknown parameter {pname!r}", f"{at}.{kind}.{pname}",
                                 "a parameter listed by `corridor evidence`")
            if specs[pname].unit == PLACE_UNIT:
                if kind == "scale":
                    raise ParamError(f"{pname} holds places: it can be set, not scaled", f"{at}.scale.{pname}",
                                     f"set: {{{pname}: PLACE}}")
                value = place_indices(value, network, f"{at}.{kind}.{pname}")
            arr = resolve(specs[pname], value, axes, path=f"{at}.{kind}.{pname}",
                          fill=1.0 if kind == "scale" else np.nan, check_bounds=False)
            if kind == "scale" and (np.isnan(arr).any() or (arr < 0).any()):
                raise ParamError("scale factors must be >= 0", f"{at}.{kind}.{pname}", "factors >= 0")
            target[pname] = arr
    closed_r = []
    for i, text in enumerate(spec.close_routes):
        a, b = (p.strip() for p in text.split("->"))
        try:
            closed_r.append(network.route_index(a, b))
        except KeyError:
            raise ParamError(f"no route {text!r} in the network", f"{at}.close_routes.{i}",
                             "a route listed in routes.csv") from None
    closed_l = []
    for i, lid in enumerate(spec.close_locations):
        if not network.has(lid):
            raise ParamError(f"unknown location {lid!r}", f"{at}.close_locations.{i}",
                             "a location id from nodes.csv")
        closed_l.append(network.index(lid))
    first = (spec.start - day0).days
    last = min((spec.end - day0).days, n_ticks - 1) if spec.end is not None else n_ticks - 1
    return CompiledPolicy(spec.name, first, last, scale, setv,
                          np.array(closed_r, dtype=np.int64), np.array(closed_l, dtype=np.int64))


class LeverSchedule:
    """Base parameter arrays plus compiled policies -> the levers of each day."""

    def __init__(self, base: Mapping[str, np.ndarray], specs: Mapping[str, ParamSpec],
                 policies: Sequence[CompiledPolicy], network: Network) -> None:
        self.base = dict(base)
        self.specs = specs
        self.policies = list(policies)
        self.network = network
        self._cache: dict[tuple[int, ...], Levers] = {}

    def active_at(self, tick: int) -> tuple[int, ...]:
        return tuple(i for i, p in enumerate(self.policies) if p.first_tick <= tick <= p.last_tick)

    def at(self, tick: int) -> Levers:
        key = self.active_at(tick)
        lev = self._cache.get(key)
        if lev is None:
            lev = self._build(key)
            self._cache[key] = lev
        return lev

    def states(self) -> list[Levers]:
        """Every set of levers built so far (after :meth:`check`: every set the run will meet)."""
        return list(self._cache.values())

    def check(self, n_ticks: int) -> list[tuple[str, ParamError]]:
        """Build every distinct set of active policies over the run; report bound errors."""
        problems = []
        for tick in sorted({0, *[p.first_tick for p in self.policies],
                            *[p.last_tick + 1 for p in self.policies]}):
            if 0 <= tick < n_ticks:
                try:
                    self.at(tick)
                except ParamError as exc:
                    problems.append((exc.at, exc))
        return problems

    def _build(self, active: tuple[int, ...]) -> Levers:
        values = {k: v.copy() for k, v in self.base.items()}
        route_open = np.ones(self.network.n_routes, dtype=bool)
        loc_open = np.ones(self.network.n_locations, dtype=bool)
        for i in active:
            p = self.policies[i]
            for name, arr in p.set.items():
                values[name] = np.where(np.isnan(arr), values[name], arr)
            for name, arr in p.scale.items():
                values[name] = values[name] * arr
            route_open[p.closed_routes] = False
            loc_open[p.closed_locations] = False
        for i in active:
            p = self.policies[i]
            for name in (*p.set, *p.scale):
                spec, arr = self.specs[name], values[name]
                bad = (arr < spec.low) | (arr > spec.high)
                if bad.any():
                    raise ParamError(f"policy {p.name!r} makes {name} = {float(arr[bad].flat[0]):g}, "
                                     f"outside [{spec.low:g}, {spec.high:g}]", p.name,
                                     f"values in [{spec.low:g}, {spec.high:g}]")
        # routes into a closed location are closed too
        route_open &= loc_open[self.network.dst] & loc_open[self.network.src]
        return Levers(SimpleNamespace(**values), route_open, loc_open,
                      tuple(self.policies[i].name for i in active), version=hash(active))
