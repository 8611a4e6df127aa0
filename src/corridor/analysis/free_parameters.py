"""Free parameters: what a scenario lets calibration and sensitivity analysis vary.

A scenario declares them under ``free_parameters`` (schema: :class:`FreeParameter`)::

    free_parameters:
      us_apprehension_probability: {key: MEX, low: 0.4, high: 0.8}       # one key, set
      detection: {parameter: mx_detection_per_100km, mode: scale, low: 0.5, high: 2}
      departures_gtm: {parameter: departures_per_year, key: GTM, mode: scale,
                       low: 0.5, high: 2, prior: log-uniform}

(a Flee scenario folder declares the same entries, without ``key``, in its
``free_parameters.yml``: docs/flee.md). The scenario's model pack says which parameters
exist, their dimensions and bounds, and the values in force (:class:`ParameterSpace`).

``key`` is a path into the parameter's value along its dimensions, dot-separated
(``MEX.2010``) or as a list; no key means the whole parameter. ``mode: set`` puts the
sampled number at that place; ``mode: scale`` multiplies every number under it (a
common factor, so a state-by-state shape is kept). Values resolve exactly as a run
resolves them: the model's defaults, merged key by key with the scenario's own value
(a mapping with ``"*"`` replaces its level), then the free values applied in the order
declared. A year key follows the year rule: it sets that year and the following ones up
to the next year listed.

:class:`FreeParameters` turns sampled numbers into a new :class:`Scenario` whose
parameters hold the complete resulting values, so the run itself needs nothing new.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import UserInputError
from ..params import ParamSpec, Source
from ..scenario.schema import FreeParameter

__all__ = ["FreeParam", "FreeParameters", "ParameterSpace", "check_free_parameters"]


@dataclass(frozen=True)
class FreeParam:
    """One declared free parameter, checked against the scenario's world."""

    name: str
    parameter: str
    key: tuple[str | int, ...]
    mode: str                  # "set" or "scale"
    low: float
    high: float
    prior: str                 # "uniform" or "log-uniform"

    def label(self) -> str:
        where = f"[{'.'.join(map(str, self.key))}]" if self.key else ""
        return f"{self.parameter}{where}" + (" (factor)" if self.mode == "scale" else "")

    def unit_sample(self, u: float) -> float:
        """The value at quantile ``u`` in [0, 1] of the prior."""
        if self.prior == "log-uniform":
            return math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        return self.low + u * (self.high - self.low)


def _match(mapping: Mapping[Any, Any], key: str | int) -> Any:
    """The key of ``mapping`` equal to ``key`` (YAML may give years as int or str)."""
    for k in mapping:
        if str(k) == str(key):
            return k
    return None


def _year_lookup(mapping: Mapping[Any, Any], year: int) -> Any:
    given = {int(k): v for k, v in mapping.items() if k != "*"}
    if not given:
        return mapping.get("*")
    before = [g for g in given if g <= year]
    return given[max(before) if before else min(given)]


def _get(value: Any, path: tuple, dims: tuple[str, ...]) -> Any:
    """The value in force at ``path`` (a number, or a mapping over the remaining dims)."""
    if not path or not isinstance(value, Mapping):
        return value                     # a plain number stands for every key below
    k, d = path[0], dims[0]
    if d == "year":
        sub = _year_lookup(value, int(k))
    else:
        mk = _match(value, k)
        sub = value[mk] if mk is not None else value.get("*")
    if sub is None:
        raise KeyError(k)
    return _get(sub, path[1:], dims[1:])


def _put(value: Any, path: tuple, dims: tuple[str, ...], new: Any, first_year: int) -> Any:
    """``value`` with the entry at ``path`` replaced by ``new`` (other keys unchanged)."""
    if not path:
        return new
    k, d = path[0], dims[0]
    if isinstance(value, Mapping):
        out = dict(value)
    elif d == "year":
        out = {first_year: value}        # a year mapping's "*" yields to listed years
    else:
        out = {"*": value}
    mk = _match(out, k)
    current = out[mk] if mk is not None else _get(out, (k,), (d,))
    out[mk if mk is not None else k] = _put(current, path[1:], dims[1:], new, first_year)
    return out


def _scale(value: Any, factor: float) -> Any:
    if isinstance(value, Mapping):
        return {k: _scale(v, factor) for k, v in value.items()}
    return float(value) * factor


@dataclass(frozen=True)
class ParameterSpace:
    """A scenario's parameters as its model pack shows them to the free-parameter machinery."""

    scenario: Any
    declared: Mapping[str, FreeParameter]     # the scenario's free-parameter entries, by name
    specs: Mapping[str, ParamSpec]            # every parameter of the pack
    axes: Mapping[str, Sequence[Any]]         # dimension -> the keys of this world
    base: Callable[[str], Any]                # a parameter's value in force, as YAML would write it
    fixed: Mapping[str, str]                  # parameters that cannot be free -> why
    first_year: int                           # first simulated year (the year rule of year keys)
    with_values: Callable[[Mapping[str, Any], Source | None], Any]   # the scenario with these complete values
    fitted_file: Callable[[Any, str], tuple[str, str]]    # (file name, text) of a fitted scenario, given a note
    error: Callable[..., UserInputError]      # error(message, at, expected=None): ``at`` below the entry's name


class FreeParameters:
    """The free parameters a scenario declares, and scenarios with values put in."""

    def __init__(self, scenario: Any) -> None:
        from .. import packs

        self.scenario = scenario
        self.pack = packs.for_scenario(scenario)
        space: ParameterSpace = self.pack.parameter_space(scenario)
        self.space = space
        self._first_year = space.first_year
        self.specs: dict[str, ParamSpec] = {}
        self._base: dict[str, Any] = {}
        items = []
        for name, fp in space.declared.items():
            pname = fp.parameter or name
            pspec = space.specs.get(pname)
            if pspec is None:
                raise space.error(f"unknown parameter {pname!r}", name + (".parameter" if fp.parameter else ""),
                                  "a parameter of the model (`corridor evidence` lists them)")
            if pname in space.fixed:
                raise space.error(f"{pname} cannot be free: {space.fixed[pname]}", name)
            raw = fp.key if isinstance(fp.key, list) else \
                ([] if fp.key is None else str(fp.key).split(".") if isinstance(fp.key, str) else [fp.key])
            if len(raw) > len(pspec.dims):
                raise space.error(f"key {fp.key!r} is deeper than {pname}'s dimensions "
                                  f"({', '.join(pspec.dims) or 'none'})", f"{name}.key",
                                  f"at most {len(pspec.dims)} keys")
            key: list[str | int] = []
            for k, dim in zip(raw, pspec.dims, strict=False):
                if dim in ("year", "month"):
                    try:
                        key.append(int(k))
                    except (TypeError, ValueError):
                        raise space.error(f"{k!r} is not a {dim}", f"{name}.key", f"a {dim} number") from None
                    if dim == "month" and not 1 <= int(k) <= 12:
                        raise space.error(f"{k!r} is not a month", f"{name}.key", "1 to 12")
                elif str(k) == "*" or str(k) in {str(x) for x in space.axes[dim]}:
                    key.append(str(k))
                else:
                    known = ", ".join(map(str, list(space.axes[dim])[:12]))
                    raise space.error(f"unknown {dim} {k!r}", f"{name}.key", f"one of {known}")
            if fp.mode == "set" and (fp.low < pspec.low or fp.high > pspec.high):
                raise space.error(f"bounds [{fp.low:g}, {fp.high:g}] leave {pname}'s range "
                                  f"[{pspec.low:g}, {pspec.high:g}]", name,
                                  f"bounds within [{pspec.low:g}, {pspec.high:g}]")
            if fp.mode == "scale" and fp.low < 0:
                raise space.error("a scale factor cannot be negative", f"{name}.low", "low >= 0")
            if pname not in self._base:
                self._base[pname] = space.base(pname)
                self.specs[pname] = pspec
            items.append(FreeParam(name, pname, tuple(key), fp.mode, fp.low, fp.high, fp.prior))
        self.items: tuple[FreeParam, ...] = tuple(items)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.items]

    def values_of(self, values: Mapping[str, float] | Any) -> dict[str, float]:
        """``values`` as a name -> float mapping (a sequence is taken in declaration order)."""
        if isinstance(values, Mapping):
            return {p.name: float(values[p.name]) for p in self.items}
        vals = list(values)
        return {p.name: float(v) for p, v in zip(self.items, vals, strict=True)}

    def resolved(self, values: Mapping[str, float] | Any) -> dict[str, Any]:
        """Parameter name -> its complete value (as YAML would write it) with ``values`` put in."""
        vals = self.values_of(values)
        out: dict[str, Any] = {}
        for p in self.items:
            dims = self.specs[p.parameter].dims
            cur = out.get(p.parameter, self._base[p.parameter])
            new = vals[p.name] if p.mode == "set" else _scale(_get(cur, p.key, dims), vals[p.name])
            out[p.parameter] = _put(cur, p.key, dims, new, self._first_year)
        return out

    def scenario_with(self, values: Mapping[str, float] | Any, *, source: Source | None = None) -> Any:
        """The scenario with the free parameters at ``values``."""
        return self.space.with_values(self.resolved(values), source)

    def current(self) -> dict[str, float | None]:
        """Each free parameter's value in the scenario as it stands (1 for a factor);
        ``None`` where the place holds several numbers or the value is out of bounds."""
        out: dict[str, float | None] = {}
        for p in self.items:
            v: Any = 1.0 if p.mode == "scale" else _get(self._base[p.parameter], p.key,
                                                         self.specs[p.parameter].dims)
            ok = isinstance(v, int | float) and not isinstance(v, bool) and p.low <= float(v) <= p.high
            out[p.name] = float(v) if ok else None
        return out

    def check(self) -> None:
        """Build the scenario with each free parameter at its low and at its high bound (the
        others at their midpoints), so a bad bound fails before any run starts."""
        mid = {p.name: p.unit_sample(0.5) for p in self.items}
        for p in self.items:
            for end, value in (("low", p.low), ("high", p.high)):
                try:
                    self.pack.build(self.scenario_with({**mid, p.name: value}))
                except UserInputError as exc:
                    raise self.space.error(f"at its {end} bound ({value:g}) the scenario is invalid: "
                                           f"{exc.at + ': ' if exc.at else ''}{exc.message}",
                                           f"{p.name}.{end}") from None


def check_free_parameters(scenario: Any) -> str:
    """What ``validate`` checks of a scenario's free parameters (as calibrate and sensitivity
    will): each names a parameter that can be free, and the scenario is valid at every bound."""
    free = FreeParameters(scenario)
    free.check()
    return f"free parameters: {len(free.items)} valid at their bounds ({', '.join(free.names)})"
