"""Where every assumption of a scenario comes from.

:func:`scenario_evidence` asks the scenario's model pack for each parameter in force with
its value, unit and source, and for each policy (:class:`Evidence`).

For packs whose scenarios are Corridor scenario files (the corridor model),
:func:`declared_evidence` does the work from the pack's declared parameters
(:class:`~corridor.params.ParamSpec`) and its defaults. Each parameter comes

* from the pack's defaults (the corridor model: ``parameters.yaml``, then ``fitted.yaml``),
  with their source (``seed``, ``facts``, ``fitted`` or ``assumption``), or
* from the scenario file that overrides it (the scenario itself or a scenario it extends),
  with the override's own source if it gives one, else kind ``scenario``.

Each policy of the scenario is listed with its window, the levers it moves and its source
("no source given" when it has none). A declared parameter without a default, or a default
without a reference or a note, is an error (:class:`DataError`): every figure the model uses
must be traceable.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .errors import DataError, ScenarioError
from .params import ParamSpec, Source, merge_value
from .scenario.loader import Scenario
from .user_files import read_yaml

__all__ = ["ParameterEvidence", "PolicyEvidence", "Evidence", "scenario_evidence", "declared_evidence", "compact"]

NO_SOURCE = "no source given"


def compact(value: Any, width: int | None = None) -> str:
    """A value on one line, YAML flow style (``{MEX: 800, "*": 400}``), cut to ``width``."""
    def fmt(v: Any) -> str:
        if isinstance(v, Mapping):
            return "{" + ", ".join(f"{_key(k)}: {fmt(x)}" for k, x in v.items()) + "}"
        if isinstance(v, list | tuple):
            return "[" + ", ".join(fmt(x) for x in v) + "]"
        if isinstance(v, bool) or v is None:
            return str(v).lower() if v is not None else "null"
        if isinstance(v, float):
            return f"{v:g}" if abs(v) < 1e6 else f"{v:,.0f}"
        return str(v)

    text = fmt(value)
    if width is not None and len(text) > width:
        text = text[: max(1, width - 1)] + "…"
    return text


def _key(k: Any) -> str:
    return '"*"' if k == "*" else str(k)


def _plain(value: Any) -> Any:
    """The value with string keys, ready for JSON (YAML gives int keys for months, years)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class ParameterEvidence:
    """One parameter in force: value as given, unit, source and the file it comes from."""

    name: str
    value: Any                 # in force: the default with the scenario's keys merged in
    unit: str
    kind: str                  # seed, facts, fitted, assumption or scenario
    ref: str
    note: str
    file: str                  # defaults file, or the scenario file that sets it
    origin: str                # "default" or "scenario"
    dims: tuple[str, ...]
    doc: str
    default_value: Any
    scenario_value: Any = None     # the override as the scenario writes it (None: not overridden)
    low: float | None = None       # the allowed range of every value (None: not declared)
    high: float | None = None

    @property
    def source_text(self) -> str:
        return Source(kind=self.kind, ref=self.ref, note=self.note).short()

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("value", "default_value", "scenario_value"):
            d[k] = _plain(d[k])
        d["dims"] = list(self.dims)
        return d


@dataclass(frozen=True)
class PolicyEvidence:
    """One policy: window, the levers it moves, and its source."""

    name: str
    start: str
    end: str | None            # None: until the end of the run
    changes: tuple[str, ...]   # e.g. 'scale mx_detection_per_100km {Chiapas: 2}'
    parameters: tuple[str, ...]
    kind: str                  # the source kind, or "no source given"
    ref: str
    note: str
    file: str
    description: str = ""

    @property
    def window(self) -> str:
        return f"{self.start} to {self.end or 'end of run'}"

    @property
    def source_text(self) -> str:
        if self.kind == NO_SOURCE:
            return NO_SOURCE
        return Source(kind=self.kind, ref=self.ref, note=self.note).short()

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["changes"], d["parameters"] = list(self.changes), list(self.parameters)
        return d


@dataclass(frozen=True)
class Evidence:
    scenario: str
    file: str | None
    chain: tuple[str, ...]
    scenario_hash: str
    parameters: tuple[ParameterEvidence, ...]
    policies: tuple[PolicyEvidence, ...]

    def to_json(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "file": self.file, "chain": list(self.chain),
                "scenario_hash": self.scenario_hash,
                "parameters": [p.to_json() for p in self.parameters],
                "policies": [p.to_json() for p in self.policies]}

    def write_json(self, path: str | Path) -> None:
        from .results.atomic import write_text_atomic

        write_text_atomic(path, json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n", option="--json")


def _chain_policies(scenario: Scenario) -> dict[str, Path]:
    """Policy name -> the file in the ``extends`` chain that defines it last (child wins)."""
    out: dict[str, Path] = {}
    for path in reversed(scenario.chain):       # the chain lists the child first
        try:
            raw = read_yaml(path, ScenarioError).data or {}
        except ScenarioError:
            continue                            # not a file (built from a mapping): fall back below
        pols = raw.get("policies") if isinstance(raw, dict) else None
        for pol in pols if isinstance(pols, list) else []:
            if isinstance(pol, dict) and isinstance(pol.get("name"), str):
                out[pol["name"]] = Path(path)
    return out


def scenario_evidence(scenario: Any) -> Evidence:
    """Every parameter in force in ``scenario`` and every policy, with their sources (from its pack)."""
    from . import packs

    return packs.for_scenario(scenario).evidence(scenario)


def declared_evidence(scenario: Scenario, specs: Mapping[str, ParamSpec], defaults: Mapping[str, Any]) -> Evidence:
    """The evidence of a Corridor scenario file, given its pack's declared parameters and defaults
    (name -> a record with ``value``, ``unit``, ``source`` and ``file``).

    Raises :class:`DataError` when a declared parameter has no default or a default has
    neither a reference nor a note, and :class:`ScenarioError` when the scenario names a
    parameter the pack does not declare.
    """
    defaults_file = next((rec.file for rec in defaults.values()), None)
    spec = scenario.spec
    for name in spec.parameters:
        if name not in specs:
            raise scenario.error("unknown parameter", f"parameters.{name}",
                                 "a parameter declared by the model (corridor evidence lists them)")
    rows = []
    for name, pspec in specs.items():
        rec = defaults.get(name)
        if rec is None:
            raise DataError(f"declared parameter {name!r} has no default value and source",
                            where=defaults_file, at=name,
                            expected="an entry with value and source in the model's defaults")
        if not (rec.source.ref.strip() or rec.source.note.strip()):
            raise DataError(f"the source of {name!r} has neither a reference nor a note", where=rec.file,
                            at=f"{name}.source", expected="a ref (seed, facts, fitted) or a note (assumption)")
        over = spec.parameters.get(name)
        if over is None:
            rows.append(ParameterEvidence(
                name=name, value=rec.value, unit=pspec.unit, kind=rec.source.kind,
                ref=rec.source.ref, note=rec.source.note, file=rec.file, origin="default",
                dims=pspec.dims, doc=pspec.doc, default_value=rec.value, low=pspec.low, high=pspec.high))
            continue
        file = scenario.file_for(f"parameters.{name}")
        src = over.source
        rows.append(ParameterEvidence(
            name=name, value=merge_value(rec.value, over.value),
            unit=over.unit or pspec.unit, kind=src.kind if src else "scenario",
            ref=src.ref if src else "", note=src.note if src else "set by the scenario without a source",
            file=str(file) if file else "", origin="scenario", dims=pspec.dims, doc=pspec.doc,
            default_value=rec.value, scenario_value=over.value, low=pspec.low, high=pspec.high))

    pol_files = _chain_policies(scenario)
    policies = []
    for i, pol in enumerate(spec.policies):
        changes, names = [], []
        for verb in ("scale", "set"):
            for pname, value in getattr(pol, verb).items():
                if pname not in specs:
                    raise scenario.error(f"unknown parameter {pname!r}", f"policies.{i}.{verb}.{pname}",
                                         "a parameter declared by the model (corridor evidence lists them)")
                changes.append(f"{verb} {pname} {compact(value)}")
                names.append(pname)
        if pol.close_routes:
            changes.append("close routes " + ", ".join(pol.close_routes))
        if pol.close_locations:
            changes.append("close places " + ", ".join(pol.close_locations))
        file = pol_files.get(pol.name) or scenario.file_for(f"policies.{i}")
        src = pol.source
        policies.append(PolicyEvidence(
            name=pol.name, start=str(pol.start), end=str(pol.end) if pol.end else None,
            changes=tuple(changes), parameters=tuple(dict.fromkeys(names)),
            kind=src.kind if src else NO_SOURCE, ref=src.ref if src else "", note=src.note if src else "",
            file=str(file) if file else "", description=pol.description))
    return Evidence(scenario=scenario.name, file=str(scenario.path) if scenario.path else None,
                    chain=tuple(str(p) for p in scenario.chain), scenario_hash=scenario.hash(),
                    parameters=tuple(rows), policies=tuple(policies))
