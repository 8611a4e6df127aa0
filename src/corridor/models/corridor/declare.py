"""How a mechanism of the corridor model declares what it owns.

A mechanism module states one rule and, beside it, everything the rule touches: its
parameters (with bounds, units and meaning; values and sources live in parameters.yaml and
fitted.yaml), the agent columns it adds, the indicators it defines or also counts, its random
streams, and the arrays it derives from the levers in force. The model's tables (parameter
specs, agent columns, indicator catalogue, stream keys, the compiled world's fields) are
derived from these declarations by :mod:`.world`; nothing is kept in step by hand.

Two kinds of rule (see docs/architecture.md):

* ``rule(s, i, w, d)`` acts on one person ``s`` (position ``i`` in the day's list) and may
  read and write only that person's row, the world's read-only tables and the day's tallies.
  All per-person rules run fused in one pass over the people in the corridor, person by
  person, in the order of :data:`.mechanisms.MECHANISMS`; that order is only the phase order
  because no person reads another's state (checked by ``tests/test_mechanisms.py``).
* ``coupled``: a step that sees several people at once (a queue with a capacity, a pool of
  people exposed to one hazard). It runs after the pass, on the people the pass flagged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ...indicators import Indicator
from ...params import ParamSpec

__all__ = ["Column", "Stream", "Mechanism"]


@dataclass(frozen=True)
class Column:
    """An agent attribute: numpy dtype, value of a new agent, meaning."""

    name: str
    dtype: str
    default: int | float
    doc: str


@dataclass(frozen=True)
class Stream:
    """A named random stream: one U[0,1) per identity, day and sub-draw (``corridor.rng``).
    The name keys the numbers: renaming a stream changes the results."""

    name: str
    doc: str = ""


@dataclass(frozen=True)
class Mechanism:
    """One mechanism: its declarations and its rule (see the module docstring)."""

    name: str
    doc: str
    parameters: tuple[ParamSpec, ...] = ()
    columns: tuple[Column, ...] = ()
    indicators: tuple[Indicator, ...] = ()          # defined here
    also_counts: tuple[str, ...] = ()               # indicators defined by another mechanism
    streams: tuple[Stream, ...] = ()
    #: names of the arrays ``derive`` returns (fields of the compiled parameters)
    derived: tuple[str, ...] = ()
    derive: Callable[[Any, Any], Mapping[str, Any]] | None = None
    rule: Any = None                                # per-person rule, compiled
    entry: Any = None                               # per-person draws of people who left home today
    coupled: tuple = ()                             # the coupled steps, in the order they run
    reads: tuple[str, ...] = field(default=())      # agent columns the rule and entry read
    writes: tuple[str, ...] = field(default=())     # agent columns the rule and entry write
