"""Named model parameters: declared specs, sourced values, and their resolution to arrays.

A model pack declares each parameter once as a :class:`ParamSpec` (its dimensions,
bounds and unit). Values come from the pack's defaults file and from scenarios as
plain YAML: a number, or a mapping over the keys of a dimension (nationality codes,
region names, mode names, ...), where ``"*"`` stands for every key not listed.
Every value carries a :class:`Source`. :func:`resolve` turns a value into a numpy
array over the dimension's index (the order the world uses), checking keys and
bounds so a mistake is reported with its key path.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

__all__ = ["LARGEST", "Source", "ParamSpec", "ParamError", "resolve", "merge_value", "Axes"]

#: The upper bound of a parameter with no natural one (a rate, a factor, a count): past it
#: the model's arithmetic loses its meaning (an infinite hazard, a count no memory holds).
LARGEST = 1e9

#: Dimension name -> the ordered keys of that dimension in this world.
Axes = Mapping[str, Sequence[Any]]


class Source(BaseModel):
    """Where a parameter value comes from.

    kind: ``seed`` (a source article, ``ref`` names it and the figure), ``facts`` (a
    row of data/facts, ``ref`` names file and row), ``fitted`` (calibrated, ``ref``
    names the procedure and its targets), ``assumption`` (``note`` gives the
    reason), ``scenario`` (set by a scenario file without a source of its own).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["seed", "facts", "fitted", "assumption", "scenario"]
    ref: str = ""
    note: str = ""

    def short(self) -> str:
        text = self.kind + (f": {self.ref}" if self.ref else "")
        return text + (f" ({self.note})" if self.note else "")


@dataclass(frozen=True)
class ParamSpec:
    """Declaration of one parameter: dimensions, bounds, unit and meaning."""

    name: str
    dims: tuple[str, ...] = ()
    low: float = 0.0
    high: float = LARGEST
    unit: str = ""
    doc: str = ""


class ParamError(ValueError):
    """A value does not fit its spec; ``at`` is the key path below the value; ``missing``
    the keys that have no value (a "no value for" error)."""

    def __init__(self, message: str, at: str = "", expected: str = "", missing: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message, self.at, self.expected, self.missing = message, at, expected, missing


def _fill(spec: ParamSpec, value: Any, axes: Axes, dims: tuple[str, ...], path: str,
          fill: float) -> np.ndarray:
    if not dims:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParamError(f"{value!r} is not a number", path, "a number")
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise ParamError(f"{value!r} is not a finite number", path, "a finite number")
        return np.asarray(number)
    dim, rest = dims[0], dims[1:]
    keys = list(axes[dim])
    shape = [len(axes[d]) for d in dims]
    if not isinstance(value, Mapping):
        # a plain number (or a nested mapping for the remaining dims) applies to every key
        return np.broadcast_to(_fill(spec, value, axes, rest, path, fill), shape).copy()
    out = np.full(shape, fill, dtype=np.float64)
    default = value.get("*")
    if default is not None:
        out[...] = _fill(spec, default, axes, rest, f"{path}.*", fill)
    lookup = {str(k): i for i, k in enumerate(keys)}
    if dim == "year":
        # piecewise constant over years: a year takes the value of the latest key <= it
        given = {}
        for k, v in value.items():
            if k == "*":
                continue
            try:
                given[int(k)] = v
            except (TypeError, ValueError):
                raise ParamError(f"{k!r} is not a year", f"{path}.{k}", "a year such as 2010") from None
        if given:
            first = min(given)
            for i, y in enumerate(keys):
                le = [g for g in given if g <= y]
                g = max(le) if le else first
                out[i] = _fill(spec, given[g], axes, rest, f"{path}.{g}", fill)
        return out
    for k, v in value.items():
        if k == "*":
            continue
        i = lookup.get(str(k))
        if i is None:
            shown = ", ".join(map(str, keys[:12])) + (", ..." if len(keys) > 12 else "")
            raise ParamError(f"unknown {dim} {k!r}", f"{path}.{k}", f"one of {shown}")
        out[i] = _fill(spec, v, axes, rest, f"{path}.{k}", fill)
    return out


def resolve(spec: ParamSpec, value: Any, axes: Axes, *, path: str = "value",
            fill: float = np.nan, check_bounds: bool = True) -> np.ndarray:
    """The array of ``value`` over ``spec.dims``; keys missing from a mapping take
    ``fill`` (NaN by default: an error for a complete value, "unchanged" for a policy)."""
    for d in spec.dims:
        if d not in axes:
            raise ParamError(f"dimension {d!r} is not defined in this world", path)
    arr = _fill(spec, value, axes, spec.dims, path, fill)
    if check_bounds:
        if np.isnan(arr).any():
            missing = [str(axes[spec.dims[0]][i]) for i in np.unique(np.argwhere(np.isnan(arr))[:, 0])] \
                if spec.dims else []
            raise ParamError(f"no value for {', '.join(missing[:8])}", path,
                             'a value for every key, or a "*" default', missing=tuple(missing))
        bad = (arr < spec.low) | (arr > spec.high)
        if bad.any():
            v = float(arr[bad].flat[0])
            raise ParamError(f"{v:g} is outside [{spec.low:g}, {spec.high:g}]", path,
                             f"a value in [{spec.low:g}, {spec.high:g}]"
                             + (f" {spec.unit}" if spec.unit else ""))
    return arr


def merge_value(base: Any, over: Any) -> Any:
    """A scenario's value over a default, key by key; a mapping with "*" replaces the whole level
    (its "*" stands for every key it does not list, as everywhere)."""
    if isinstance(over, Mapping) and "*" not in over and not isinstance(base, Mapping) and base is not None:
        return {"*": base, **over}      # a default for every key, with the listed keys changed
    if isinstance(base, Mapping) and isinstance(over, Mapping) and "*" not in over:
        out = dict(base)
        for k, v in over.items():
            out[k] = merge_value(base.get(k), v) if k in base else v
        return out
    return over
