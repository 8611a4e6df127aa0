"""Assemble a corridor-model :class:`~corridor.engine.Simulation` from a scenario.

Checks everything a scenario refers to (places, parameters, keys, bounds, policy
windows) before the first day runs, and reports problems as ``ScenarioError`` /
``DataError`` naming the file, the key path and what was expected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import ValidationError

from ...agents import MAX_AGENTS, AgentTable
from ...engine import Simulation
from ...errors import DataError, ScenarioError
from ...indicators import Recorder
from ...network import MODES, Network, load_network
from ...params import ParamError, Source, merge_value, resolve
from ...policies import LeverSchedule, compile_policy, place_indices
from ...rng import RandomStreams
from ...scenario.loader import Scenario
from ...scenario.schema import ParamOverride
from .geography import check_places, check_reachable
from .mechanisms import PHASES
from .mechanisms.departures import MAX_NATIONALITIES, MAX_ORIGINS, departure_stream_names
from .runner import CompiledDay
from .states import DOCUMENTS, GROUPS, OUTCOMES
from .world import AGENT_COLUMNS, INDICATORS, LOCATION_VALUED, PARAM_SPECS, CorridorWorld, places_of

__all__ = ["INDICATORS", "PHASES", "ParamRecord", "build_simulation", "default_parameters",
           "builtin_network_paths", "parameter_axes", "prune_defaults"]

_HERE = Path(str(resources.files("corridor") / "models" / "corridor"))
_DATA = Path(str(resources.files("corridor") / "data" / "corridor"))
DEFAULT_FILES = (_HERE / "parameters.yaml", _HERE / "fitted.yaml")


def builtin_network_paths() -> tuple[Path, Path]:
    return _DATA / "network" / "nodes.csv", _DATA / "network" / "routes.csv"


@dataclass(frozen=True)
class ParamRecord:
    """A parameter in force at the start of a run: its value as given and its source."""

    name: str
    value: Any
    unit: str
    source: Source
    file: str


def default_parameters() -> dict[str, ParamRecord]:
    """The pack's default values and sources (parameters.yaml, then fitted.yaml)."""
    out: dict[str, ParamRecord] = {}
    for path in DEFAULT_FILES:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise DataError(f"cannot read defaults ({exc})", where=path) from None
        for name, entry in raw.items():
            if name not in PARAM_SPECS:
                raise DataError(f"unknown parameter {name!r}", where=path, at=name,
                                expected="a parameter declared by a mechanism (corridor evidence lists them)")
            try:
                ov = ParamOverride.model_validate(entry)
            except ValidationError as exc:
                e = exc.errors()[0]
                raise DataError(e["msg"], where=path,
                                at=".".join([name, *map(str, e["loc"])])) from None
            if ov.source is None:
                raise DataError("no source", where=path, at=f"{name}.source",
                                expected="a source (seed, facts, fitted or assumption)")
            unit = PARAM_SPECS[name].unit
            if ov.unit and ov.unit != unit:       # the mechanism's declaration is the one unit
                raise DataError(f"unit {ov.unit!r} differs from the declared {unit!r}", where=path,
                                at=f"{name}.unit", expected=f"{unit!r} or no unit")
            out[name] = ParamRecord(name, ov.value, unit, ov.source, str(path))
    missing = sorted(set(PARAM_SPECS) - set(out))
    if missing:
        raise DataError(f"no default for {', '.join(missing)}", where=DEFAULT_FILES[0])
    return out


def parameter_axes(net: Network, nationalities: tuple[str, ...], first_year: int, last_year: int) -> dict:
    origins = [net.ids[i] for i in np.flatnonzero(net.mask("kind", ["origin"]))]
    return {
        "nationality": nationalities, "region": net.regions, "zone": net.zones, "mode": MODES,
        "group": GROUPS, "documents": DOCUMENTS, "outcome": OUTCOMES, "origin": tuple(origins),
        "month": tuple(range(1, 13)), "year": tuple(range(first_year, last_year + 1)),
        "location": net.ids,
    }


def prune_defaults(value: Any, dims: tuple[str, ...], axes: Mapping[str, Any], net: Network,
                    location_valued: bool) -> Any:
    """Keep the keys of a default value that exist in this world.

    The defaults cover the built-in corridor (all its nationalities, states, origins); a
    scenario may model fewer nationalities or bring its own network. Keys the world lacks
    are dropped ("*" always stays); so are location values that are not in the network.
    """
    if not dims or not isinstance(value, Mapping):
        if location_valued and isinstance(value, str) and not net.has(value):
            return None
        return value
    dim, rest = dims[0], dims[1:]
    known = {str(k) for k in axes[dim]}
    out = {}
    for k, v in value.items():
        if k == "*" or str(k) in known or dim == "year":
            pruned = prune_defaults(v, rest, axes, net, location_valued)
            if pruned is not None:
                out[k] = pruned
    return out


def _check_shares(name: str, arr: np.ndarray, rows: tuple[str, ...], scenario: Scenario,
                  used: np.ndarray | None = None) -> None:
    sums = arr.sum(axis=-1)
    for i, s in enumerate(np.atleast_1d(sums)):
        if (used is None or used[i]) and abs(s - 1.0) > 1e-6:
            key = f"parameters.{name}" + (f".value.{rows[i]}" if arr.ndim > 1 else ".value")
            raise scenario.error(f"shares add up to {s:g}", key, "shares adding up to 1")


#: Most cells of a run's daily results (day x indicator x nationality x place), about 12 bytes
#: each while the results are written: 5 GiB.
MAX_RESULT_CELLS = 400_000_000


def _check_size(scenario: Scenario, schedule: LeverSchedule, n_ticks: int, n_days: int, n_nats: int,
                n_places: int) -> float:
    """A run that would not fit in memory, or that a tiny population_scale leaves without anyone,
    is an error before it starts; returns the most agents the run can create."""
    cells = n_days * len(INDICATORS) * n_nats * n_places
    if cells > MAX_RESULT_CELLS:
        raise scenario.error(f"{n_days:,} days x {len(INDICATORS)} indicators x {n_nats} nationalities x "
                             f"{n_places} places is {cells:,} daily results, more than the {MAX_RESULT_CELLS:,} "
                             "that fit in memory", "end", "a shorter period or fewer places")
    # the most people the policies in force send on their way, window by window (an upper bound:
    # the busiest year's rate; a one-day crowd counts one day)
    cuts = sorted({0, n_ticks, *(t for pol in schedule.policies for t in (pol.first_tick, pol.last_tick + 1)
                                 if 0 < t < n_ticks)})
    people = 0.0
    for lo, hi in zip(cuts, cuts[1:], strict=False):
        p = schedule.at(lo).params
        factor = p.departure_level * p.departure_multiplier
        per_year = float((p.departures_per_year * factor[:, None]).sum(axis=0).max())
        people += (per_year / 365.25 + float(p.caravan_departures_per_day.sum())) * (hi - lo)
    scale = scenario.spec.population_scale
    agents = scale * people
    if agents > MAX_AGENTS:
        raise scenario.error(f"about {agents:,.0f} agents at population_scale {scale:g}, more than the "
                             f"{MAX_AGENTS:,} that fit in memory", "parameters.departures_per_year",
                             "fewer departures or a smaller population_scale")
    if agents < 1 <= agents / scale:
        raise scenario.error(f"population_scale {scale:g} leaves fewer than one agent in the whole run "
                             f"(about {agents / scale:,.0f} at scale 1)", "population_scale",
                             f"a scale of at least {1 / (agents / scale):.2g}")
    return agents


def build_simulation(scenario: Scenario, *, seed: int | None = None) -> Simulation:
    """The scenario's world, ready to run (compiled kernels; with ``NUMBA_DISABLE_JIT=1`` the
    same rules run as plain Python, bit for bit)."""
    spec = scenario.spec
    if spec.network is None:
        nodes, routes = builtin_network_paths()
    else:
        nodes, routes = Path(spec.network.nodes), Path(spec.network.routes)
    net = load_network(nodes, routes)
    check_places(net)
    nats = tuple(spec.nationalities)
    day0 = spec.start - dt.timedelta(days=spec.spin_up_days)
    n_ticks = (spec.end - day0).days + 1
    axes = parameter_axes(net, nats, day0.year, spec.end.year)

    # parameters: defaults, then the scenario's overrides
    defaults = default_parameters()
    base: dict[str, np.ndarray] = {}
    for name, pspec in PARAM_SPECS.items():
        rec = defaults[name]
        value = prune_defaults(rec.value, pspec.dims, axes, net, name in LOCATION_VALUED)
        origin_file = rec.file
        over = spec.parameters.get(name)
        if over is not None:
            value = merge_value(value, over.value)
            set_by = scenario.file_for(f"parameters.{name}")
            origin_file = str(set_by) if set_by else None      # None: a scenario built in memory (no file)
        at = f"parameters.{name}.value"
        try:
            if name in LOCATION_VALUED:
                # no value: the default place is not in this network (-1: the mechanism needs one set)
                value = -1 if value is None and not pspec.dims else place_indices(value, net, at)
            base[name] = resolve(pspec, value, axes, path=at)
        except ParamError as exc:
            if exc.missing and origin_file == rec.file and scenario.path is not None:
                # the package's default lacks a key the user's scenario brought in (a nationality,
                # a place): the fix belongs in the user's file
                raise ScenarioError(f"no value for {', '.join(exc.missing[:8])} in the package's default "
                                    f"({Path(rec.file).name})", where=scenario.path, at=f"parameters.{name}",
                                    expected=f"a value for {', '.join(exc.missing[:8])} under "
                                             f"parameters.{name}") from None
            raise ScenarioError(exc.message, where=origin_file, at=exc.at,
                                expected=exc.expected or None) from None
    for name in spec.parameters:
        if name not in PARAM_SPECS:
            raise scenario.error("unknown parameter", f"parameters.{name}",
                                 "a parameter listed by `corridor evidence`")

    if (base["us_removal_to_south_mexico_share"] > 0).any() and base["us_removal_south_location"] < 0:
        raise scenario.error("deportation flights to southern Mexico need a landing place",
                             "parameters.us_removal_south_location", "a location id of this network")
    used = base["departures_per_year"].sum(axis=1) > 0
    _check_shares("origin_share", base["origin_share"], nats, scenario, used)
    _check_shares("group_share", base["group_share"], nats, scenario)
    _check_shares("predation_outcome_share", base["predation_outcome_share"], (), scenario)
    origin_ids = axes["origin"]
    leaving = (base["departures_per_year"].sum(axis=1)[:, None] * base["origin_share"]).sum(axis=0) > 0
    places = places_of(net, nats)
    check_reachable(net, np.array([net.index(o) for o in origin_ids], dtype=np.int64)[leaving], places.dist_goal)

    policies, outside = [], []
    for i, pol in enumerate(spec.policies):
        at = f"policies.{i}"
        if pol.start > spec.end or (pol.end is not None and pol.end < day0):
            # entirely outside this run (often inherited from another era): no effect; validate says so
            outside.append(pol.name)
            continue
        try:
            policies.append(compile_policy(pol, specs=PARAM_SPECS, axes=axes, network=net,
                                           day0=day0, n_ticks=n_ticks, at=at))
        except ParamError as exc:
            raise scenario.error(exc.message, exc.at, exc.expected or None) from None
    schedule = LeverSchedule(base, PARAM_SPECS, policies, net)
    problems = schedule.check(n_ticks)
    if problems:
        name, exc = problems[0]
        idx = [p.name for p in spec.policies].index(name)
        raise scenario.error(exc.message, f"policies.{idx}", exc.expected or None)

    most_agents = _check_size(scenario, schedule, n_ticks, n_ticks - spec.spin_up_days, len(nats), net.n_locations)

    streams = RandomStreams(spec.seed if seed is None else seed)
    agents = AgentTable(AGENT_COLUMNS, capacity=4096)
    recorder = Recorder(INDICATORS, n_ticks - spec.spin_up_days, len(nats), net.n_locations,
                        first_tick=spec.spin_up_days)
    recorder.track_routes(net.n_routes)
    # an agent's identity packs (day, nationality, origin, caravan, index) in 64 bits (departures.py)
    if len(nats) > MAX_NATIONALITIES or len(origin_ids) > MAX_ORIGINS:
        raise scenario.error(f"{len(nats)} nationalities and {len(origin_ids)} places of origin",
                             "nationalities" if len(nats) > MAX_NATIONALITIES else "network.nodes",
                             f"at most {MAX_NATIONALITIES} nationalities and {MAX_ORIGINS} places of origin")
    world = CorridorWorld(
        places=places, first_year=day0.year, population_scale=float(spec.population_scale),
        origin_locations=np.array([net.index(o) for o in origin_ids], dtype=np.int64),
        departure_keys=np.array([streams.key(n) for n in departure_stream_names(nats)], dtype=np.uint64),
        param_records={n: defaults[n] for n in PARAM_SPECS})
    sim = Simulation(network=net, agents=agents, schedule=schedule, streams=streams, recorder=recorder,
                     processes=(), day0=day0, n_ticks=n_ticks, nationalities=nats, world=world,
                     policies_outside_run=tuple(outside), most_agents=most_agents)
    sim.runner = CompiledDay(sim)
    return sim
