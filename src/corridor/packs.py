"""Model packs: what the commands need from a model, and the registry that finds each one.

A pack is one model (its world, rules, indicators and outputs) behind :class:`ModelPack`.
Every command (run, validate, compare, ensemble, calibrate, sensitivity, evidence) works on
a pack's scenarios through this protocol and :class:`PackScenario`, never through a pack's
own modules: the registry names each pack as ``"module:attribute"`` and imports it on first
use (:mod:`importlib`), so no framework module imports a pack and packs may import the
framework freely without an import cycle.

This module imports nothing from Corridor at import time (the scenario schema reads the
registered names from here).
"""

from __future__ import annotations

import datetime as dt
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Self, runtime_checkable

if TYPE_CHECKING:
    from .engine import Simulation
    from .evidence import Evidence
    from .indicators import Indicator
    from .results.run import RunResult

__all__ = ["ModelPack", "PackScenario", "FinishedRun", "REGISTRY", "names", "get",
           "for_arg", "for_scenario", "load_any"]


@runtime_checkable
class PackScenario(Protocol):
    """What every pack's scenario offers the commands."""

    @property
    def name(self) -> str: ...

    @property
    def model(self) -> str:
        """The name of the pack that runs it."""

    @property
    def path(self) -> Path | None:
        """The file or folder it was read from (for messages)."""

    @property
    def seed(self) -> int: ...

    @property
    def first_day(self) -> dt.date:
        """First reported day."""

    @property
    def last_day(self) -> dt.date:
        """Last reported day (inclusive)."""

    @property
    def spin_up_days(self) -> int:
        """Days simulated before ``first_day`` and not reported."""

    @property
    def breakdown(self) -> tuple[str, ...]:
        """The keys results are broken down by, besides place (the corridor's nationalities)."""

    @property
    def population_scale(self) -> float:
        """Agents per person; results are scaled back to full size."""

    def hash(self) -> str: ...

    def with_seed(self, seed: int) -> Self: ...

    def with_scale(self, scale: float | None) -> Self:
        """The scenario at another population scale (``None``: unchanged)."""


@dataclass(frozen=True)
class FinishedRun:
    """A run of one scenario: the simulation after its last day and its results at full size."""

    scenario: Any
    simulation: Simulation
    result: RunResult


@runtime_checkable
class ModelPack(Protocol):
    """One model as the commands see it."""

    name: str
    indicators: tuple[Indicator, ...]
    table_indicators: tuple[str, ...]        # rows of the tables `run`, `compare`, `ensemble` print
    sensitivity_indicators: tuple[str, ...]  # what `sensitivity` analyses unless told

    def recognises(self, arg: str | None) -> bool:
        """Whether a command-line scenario argument is this pack's (``None``: no argument)."""

    def load(self, arg: str | None, **options: Any) -> PackScenario:
        """Read and check a scenario; ``options`` are the pack's own command-line options."""

    def build(self, scenario: Any, *, seed: int | None = None) -> Simulation:
        """The scenario's world, ready to run (a bad scenario fails here, before any day runs)."""

    def warm_up(self) -> None:
        """Load compiled code before the first run's progress bar starts (may compile, once)."""

    def write_run(self, run: FinishedRun, out: Path, *, plots: bool) -> dict[str, Path]:
        """What `run` writes: the framework's files (results.store) and the pack's own."""

    def describe_run(self, run: FinishedRun) -> list[Any]:
        """What `run` prints after writing: rich tables or text lines."""

    def validate(self, arg: str, **options: Any) -> list[str]:
        """What `validate` prints for ``arg`` (a scenario, or any other input the pack checks)."""

    def evidence(self, scenario: Any) -> Evidence:
        """Every parameter in force with its value, unit and source, and every policy."""

    def parameter_space(self, scenario: Any) -> Any:
        """The scenario's parameters for calibration and sensitivity
        (:class:`corridor.analysis.free_parameters.ParameterSpace`)."""


#: Pack name -> "module:attribute" of its pack object, imported on first use. A command-line
#: argument goes to the first pack that recognises it: the corridor pack, which takes any
#: argument that is not a folder or a CSV file, comes last.
REGISTRY: dict[str, str] = {
    "flee": "corridor.models.flee.pack:PACK",
    "corridor": "corridor.models.corridor.pack:PACK",
}
_loaded: dict[str, ModelPack] = {}


def names() -> tuple[str, ...]:
    return tuple(REGISTRY)


def get(name: str) -> ModelPack:
    """The pack registered as ``name``."""
    from .errors import UserInputError

    if name not in REGISTRY:
        raise UserInputError(f"unknown model {name!r}", at="model", expected="one of " + ", ".join(REGISTRY))
    if name not in _loaded:
        module, _, attribute = REGISTRY[name].partition(":")
        _loaded[name] = getattr(importlib.import_module(module), attribute)
    return _loaded[name]


def for_arg(arg: str | Path | None) -> ModelPack:
    """The pack that reads a command-line scenario argument (the first that recognises it)."""
    from .errors import UserInputError

    text = None if arg is None else str(arg)
    for name in REGISTRY:
        pack = get(name)
        try:
            if pack.recognises(text):
                return pack
        except (OSError, ValueError) as exc:       # a name too long, a NUL character
            raise UserInputError(f"cannot use this path ({getattr(exc, 'strerror', None) or exc})",
                                 where=text) from None
    raise UserInputError("no model reads this", where=text,
                         expected="a scenario file, a built-in scenario name, or a Flee scenario folder")


def for_scenario(scenario: PackScenario) -> ModelPack:
    """The pack that runs ``scenario``."""
    return get(scenario.model)


def load_any(arg: str | Path | None, **options: Any) -> PackScenario:
    """Read a scenario with whichever pack recognises ``arg``; options left at ``None`` are dropped."""
    given = {k: v for k, v in options.items() if v is not None}
    return for_arg(arg).load(None if arg is None else str(arg), **given)

