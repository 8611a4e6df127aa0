"""Read scenario YAML files: ``extends`` chains, merging, validation, clear errors.

``load_scenario`` returns a :class:`Scenario`: the validated :class:`ScenarioFile`,
the file it came from, the chain of files it extends, and a content hash. Every
error names the file, the key path and what was expected (see
:class:`corridor.errors.ScenarioError`).
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import ScenarioError, UserInputError
from ..params import merge_value
from ..user_files import read_yaml
from .schema import MAX_POPULATION_SCALE, MIN_POPULATION_SCALE, ScenarioFile

__all__ = ["Scenario", "load_scenario", "builtin_scenarios", "DEFAULT_SCENARIO", "scenario_from_dict"]

DEFAULT_SCENARIO = "corridor-2010-2011"
_BUILTIN_PREFIX = "builtin:"


def _builtin_dir() -> Path:
    return Path(str(resources.files("corridor") / "data" / "corridor" / "scenarios"))


def builtin_scenarios() -> dict[str, Path]:
    """Names and paths of the scenarios shipped with Corridor."""
    return {p.stem: p for p in sorted(_builtin_dir().glob("*.yaml"))}


@dataclass(frozen=True)
class Scenario:
    """A validated scenario and where it came from."""

    spec: ScenarioFile
    path: Path | None            # the file named by the user (None if built from a dict)
    chain: tuple[Path, ...]      # that file and the files it extends, child first
    provenance: dict[str, Path]  # top-level key path -> file that set it last

    @property
    def name(self) -> str:
        return self.spec.name

    # what every pack's scenario offers the commands (corridor.packs.PackScenario)
    @property
    def model(self) -> str:
        return self.spec.model

    @property
    def seed(self) -> int:
        return self.spec.seed

    @property
    def first_day(self) -> dt.date:
        return self.spec.start

    @property
    def last_day(self) -> dt.date:
        return self.spec.end

    @property
    def spin_up_days(self) -> int:
        return self.spec.spin_up_days

    @property
    def breakdown(self) -> tuple[str, ...]:
        return tuple(self.spec.nationalities)

    @property
    def population_scale(self) -> float:
        return self.spec.population_scale

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def file_for(self, key_path: str) -> Path | None:
        """The file that set ``key_path`` (longest known prefix), for error messages."""
        parts = key_path.split(".")
        for n in range(len(parts), 0, -1):
            hit = self.provenance.get(".".join(parts[:n]))
            if hit is not None:
                return hit
        return self.path

    def error(self, message: str, at: str, expected: str | None = None) -> ScenarioError:
        return ScenarioError(message, where=self.file_for(at), at=at, expected=expected)

    def canonical(self) -> dict[str, Any]:
        return self.spec.model_dump(mode="json")

    def hash(self) -> str:
        """SHA-256 of the merged, validated scenario (stable across key order)."""
        text = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def with_seed(self, seed: int) -> Scenario:
        return Scenario(self.spec.model_copy(update={"seed": int(seed)}), self.path,
                        self.chain, self.provenance)

    def with_scale(self, scale: float | None, *, at: str = "--scale") -> Scenario:
        """This scenario at another ``population_scale`` (``None``: unchanged)."""
        if scale is None:
            return self
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) \
                or not MIN_POPULATION_SCALE <= scale <= MAX_POPULATION_SCALE:
            raise UserInputError(f"{scale!r} is not a population scale", at=at,
                                 expected=f"a number in [{MIN_POPULATION_SCALE:g}, {MAX_POPULATION_SCALE:g}]")
        return Scenario(self.spec.model_copy(update={"population_scale": float(scale)}), self.path,
                        self.chain, self.provenance)


def _resolve_ref(ref: str, base: Path | None, *, where: Path | None, at: str) -> Path:
    if "\x00" in ref:
        raise ScenarioError("the file name holds a NUL character", where=where, at=at,
                            expected='a path or "builtin:NAME"')
    if ref.startswith(_BUILTIN_PREFIX) or (base is None and "/" not in ref and not ref.endswith(".yaml")):
        name = ref.removeprefix(_BUILTIN_PREFIX)
        known = builtin_scenarios()
        if name not in known:
            raise ScenarioError(f"no built-in scenario {name!r}", where=where, at=at,
                                expected="one of " + ", ".join(known))
        return known[name]
    path = Path(ref)
    if not path.is_absolute() and base is not None:
        path = base / path
    return path


def _read_yaml(path: Path) -> dict[str, Any]:
    doc = read_yaml(path, ScenarioError, what="a YAML scenario file")
    data = doc.data
    if data is None:
        raise ScenarioError("empty file", where=path, expected="a YAML mapping of scenario keys")
    if not isinstance(data, dict):
        raise ScenarioError(f"top level is a {type(data).__name__}", where=path,
                            expected="a YAML mapping of scenario keys")
    return data


def _merge(base: Any, over: Any) -> Any:
    """Deep merge: mappings merge key by key, policies merge by name, the rest replaces."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            if k == "parameters" and isinstance(v, dict) and isinstance(base.get(k), dict):
                out[k] = _merge_parameters(base[k], v)
            elif k == "policies" and isinstance(v, list) and isinstance(base.get(k), list):
                out[k] = _merge_policies(base[k], v)
            else:
                out[k] = _merge(base[k], v) if k in base else v
        return out
    return over


def _as_entry(v: Any) -> Any:
    # ``x: 0.3`` and ``x: {GTM: 0.3}`` are shorthand for ``x: {value: ...}``
    return v if isinstance(v, dict) and "value" in v else {"value": v}


def _merge_parameters(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """A child's parameter entry over its parent's: values merge key by key; a child's
    source replaces the parent's, and a child without one does not inherit it."""
    out = dict(base)
    for name, entry in over.items():
        if name not in base:
            out[name] = entry
            continue
        parent, child = _as_entry(base[name]), _as_entry(entry)
        merged = {k: v for k, v in parent.items() if k not in ("value", "source")}
        merged.update({k: v for k, v in child.items() if k != "value"})
        merged["value"] = merge_value(parent["value"], child["value"])
        out[name] = merged
    return out


def _policy_name(p: Any) -> str | None:
    """A policy's name, or None where it has none that can be merged on (the schema reports it)."""
    name = p.get("name") if isinstance(p, dict) else None
    return name if isinstance(name, str) else None


def _policy_list(data: dict[str, Any]) -> list[Any]:
    """The ``policies`` list, or [] where it is not a list (the schema reports it)."""
    policies = data.get("policies")
    return policies if isinstance(policies, list) else []


def _merge_policies(base: list[Any], over: list[Any]) -> list[Any]:
    named = {_policy_name(p): i for i, p in enumerate(base) if _policy_name(p) is not None}
    out = list(base)
    for p in over:
        i = named.get(_policy_name(p)) if _policy_name(p) is not None else None
        if i is None:
            out.append(p)
        else:
            out[i] = p
    return out


def _note_provenance(data: dict[str, Any], path: Path, prov: dict[str, Path], prefix: str = "") -> None:
    for k, v in data.items():
        key = f"{prefix}{k}"
        prov[key] = path
        if isinstance(v, dict) and k != "value":
            _note_provenance(v, path, prov, key + ".")


def _rebase_paths(data: dict[str, Any], path: Path) -> None:
    # network file paths are relative to the file that names them
    net = data.get("network")
    if isinstance(net, dict):
        for k in ("nodes", "routes"):
            if isinstance(net.get(k), str) and "\x00" in net[k]:
                raise ScenarioError("the file name holds a NUL character", where=path, at=f"network.{k}",
                                    expected="a path to a CSV file")
            if isinstance(net.get(k), str) and not Path(net[k]).is_absolute():
                net[k] = os.path.normpath(path.parent.resolve() / net[k])


def _real(path: Path, at: str) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError) as exc:      # a loop of symbolic links, a name too long
        raise ScenarioError(f"cannot use this path ({getattr(exc, 'strerror', None) or exc})", where=path,
                            at=at) from None


def _load_chain(path: Path, seen: tuple[Path, ...]) -> tuple[dict[str, Any], list[Path], dict[str, Path]]:
    if _real(path, "scenario" if not seen else "extends") in seen:
        raise ScenarioError("extends itself (cycle: " + " -> ".join(p.name for p in (*seen, path)) + ")",
                            where=path, at="extends")
    data = _read_yaml(path)
    _rebase_paths(data, path)
    parent_ref = data.pop("extends", None)
    prov: dict[str, Path] = {}
    if parent_ref is None:
        _note_provenance(data, path, prov)
        return data, [path], prov
    if not isinstance(parent_ref, str) or not parent_ref:
        raise ScenarioError("extends must name a file or a built-in scenario", where=path,
                            at="extends", expected='a path or "builtin:NAME"')
    parent_path = _resolve_ref(parent_ref, path.parent, where=path, at="extends")
    parent, chain, prov = _load_chain(parent_path, (*seen, _real(path, "scenario")))
    owners = _policy_owners(parent, prov)
    _note_provenance(data, path, prov)
    merged = _merge(parent, data)
    # policies merge by name: each keeps the file that defined it, for error messages
    owners.update({_policy_name(p): path for p in _policy_list(data) if _policy_name(p) is not None})
    for i, p in enumerate(_policy_list(merged)):
        if _policy_name(p) in owners:
            prov[f"policies.{i}"] = owners[_policy_name(p)]
    return merged, [path, *chain], prov


def _policy_owners(data: dict[str, Any], prov: dict[str, Path]) -> dict[Any, Path]:
    return {_policy_name(p): prov.get(f"policies.{i}", prov.get("policies"))
            for i, p in enumerate(_policy_list(data)) if _policy_name(p) is not None}


def _allowed_keys(parent: tuple) -> list[str]:
    """Field names valid at the location ``parent`` of the scenario mapping."""
    from .schema import NetworkFiles, ParamOverride, PolicySpec

    model: type = ScenarioFile
    for part in parent:
        if model is ScenarioFile and part == "policies":
            model = PolicySpec
        elif model is ScenarioFile and part == "network":
            model = NetworkFiles
        elif model is ScenarioFile and part == "parameters":
            model = ParamOverride
        elif isinstance(part, int) or model is ParamOverride:
            continue
        else:
            return []
    return (["extends"] if model is ScenarioFile else []) + list(model.model_fields)


def _validation_error(exc: ValidationError, prov: dict[str, Path], path: Path | None) -> ScenarioError:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    probe = Scenario.__new__(Scenario)
    object.__setattr__(probe, "provenance", prov)
    object.__setattr__(probe, "path", path)
    where = probe.file_for(loc) if loc else path
    kind = err["type"]
    msg = err["msg"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(err["loc"][:-1])
        close = difflib.get_close_matches(str(err["loc"][-1]), allowed, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return ScenarioError(f"unknown key; {hint}".rstrip("; "), where=where, at=loc,
                             expected="one of " + ", ".join(allowed) if allowed else None)
    if kind == "missing":
        return ScenarioError("missing key", where=where, at=loc, expected="a value for it")
    if msg.startswith("Value error, "):
        msg = msg.removeprefix("Value error, ")
    inp = err.get("input")
    shown = f" (got {inp!r})" if inp is not None and not isinstance(inp, dict | list) else ""
    return ScenarioError(msg + shown, where=where, at=loc or None)


def scenario_from_dict(data: dict[str, Any], *, path: Path | None = None) -> Scenario:
    """Validate an in-memory scenario mapping (used by tests and the Python API)."""
    prov: dict[str, Path] = {}
    if path is not None:
        _note_provenance(data, path, prov)
    try:
        spec = ScenarioFile.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(exc, prov, path) from None
    return Scenario(spec, path, (path,) if path else (), prov)


def load_scenario(ref: str | Path | None = None) -> Scenario:
    """Load a scenario by path, or a built-in one by name (default: the 2010-2011 corridor)."""
    if ref is None:
        ref = DEFAULT_SCENARIO
    ref = str(ref)
    if "\x00" in ref:
        raise ScenarioError("the file name holds a NUL character", at="scenario", expected="a path to a YAML file")
    path = _resolve_ref(ref, None, where=None, at="scenario") \
        if (ref.startswith(_BUILTIN_PREFIX) or (ref in builtin_scenarios() and not Path(ref).exists())) \
        else Path(ref)
    data, chain, prov = _load_chain(path, ())
    try:
        spec = ScenarioFile.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(exc, prov, path) from None
    return Scenario(spec, path, tuple(chain), prov)
