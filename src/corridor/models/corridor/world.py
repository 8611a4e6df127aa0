"""The corridor model's tables, derived from the mechanisms' declarations, and the typed
world the compiled day reads.

Nothing here is kept in step by hand: the parameter specs, the agent columns, the indicator
catalogue and the random streams are the union of what :data:`.mechanisms.MECHANISMS`
declare, and the compiled day reads them by name through named tuples (``w.params.mpp_share``,
``w.agents.timer[s]``, ``w.streams.crossing``, ``w.indicators.deaths``) whose fields are those
same declarations. A parameter or column added to a mechanism is a field here at once.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...agents import BASE_COLUMNS
from ...indicators import Indicator
from ...network import MODES, Network
from ...params import ParamSpec
from ...policies import PLACE_UNIT, Levers
from .mechanisms import MECHANISMS
from .states import PERSON_COLUMNS

__all__ = ["Tables", "tables", "TABLES", "PARAM_SPECS", "LOCATION_VALUED", "AGENT_COLUMNS", "INDICATORS",
           "STREAMS", "Agents", "Params", "Places", "StreamIds", "IndicatorIds", "World", "CorridorWorld",
           "places_of", "pack_params", "agents_of", "STREAM_IDS", "INDICATOR_IDS"]


def _unique(pairs, what: str) -> dict:
    out: dict = {}
    for name, value, owner in pairs:
        if name in out:
            raise RuntimeError(f"{what} {name!r} is declared twice (by {out[name][1]} and {owner})")
        out[name] = (value, owner)
    return {k: v for k, (v, _) in out.items()}


@dataclass(frozen=True)
class Tables:
    """The model's tables, derived from a list of mechanisms (each name declared once)."""

    param_specs: dict[str, ParamSpec]          # every parameter, by the mechanism that uses it
    agent_columns: dict[str, tuple[str, int | float]]   # identity and shared state, then each mechanism's
    indicators: tuple[Indicator, ...]
    streams: tuple[str, ...]
    derived: tuple[str, ...]                   # arrays the mechanisms derive from the levers


def tables(mechanisms) -> Tables:
    """Derive the tables; a name declared twice, or an engine column redeclared, is an error."""
    out = Tables(
        _unique(((p.name, p, m.name) for m in mechanisms for p in m.parameters), "parameter"),
        {**PERSON_COLUMNS,
         **_unique(((c.name, (c.dtype, c.default), m.name) for m in mechanisms for c in m.columns), "column")},
        tuple(_unique(((i.name, i, m.name) for m in mechanisms for i in m.indicators), "indicator").values()),
        tuple(_unique(((s.name, s, m.name) for m in mechanisms for s in m.streams), "stream")),
        tuple(_unique(((n, None, m.name) for m in mechanisms for n in m.derived), "derived array")))
    clash = (set(out.agent_columns) & set(BASE_COLUMNS)) | (set(out.derived) & set(out.param_specs))
    if clash:
        raise RuntimeError(f"{', '.join(sorted(clash))}: declared by a mechanism and by the engine or a parameter")
    return out


TABLES = tables(MECHANISMS)
PARAM_SPECS = TABLES.param_specs
#: Parameters whose values are location ids (resolved to location indices).
LOCATION_VALUED = frozenset(name for name, spec in PARAM_SPECS.items() if spec.unit == PLACE_UNIT)
AGENT_COLUMNS = TABLES.agent_columns
INDICATORS = TABLES.indicators
STREAMS = TABLES.streams
DERIVED = TABLES.derived

# the compiled world: named tuples (module-level classes, so Numba can cache what uses them)
Agents = namedtuple("Agents", [*BASE_COLUMNS, *AGENT_COLUMNS])
Params = namedtuple("Params", [*PARAM_SPECS, *DERIVED])
Places = namedtuple("Places", [
    "src", "dst", "km", "min_days", "region", "indptr",     # the network (routes sorted by src)
    "zone_of", "in_mexico", "is_border_city", "is_asylum_office",
    "entry_route",            # bool per route: crosses into Mexico
    "route_allows",           # bool [route, mode]
    "crossing_route",         # per place: its route to the US side (-1 if none)
    "dist_goal",              # km from each place to the nearest US-side place
    "mexican", "zone_south", "zone_north"])                 # indices (-1: none in this world)
StreamIds = namedtuple("StreamIds", STREAMS)
IndicatorIds = namedtuple("IndicatorIds", [i.name for i in INDICATORS])
World = namedtuple("World", ["agents", "params", "places", "streams", "indicators"])
#: Each stream's and each indicator's row (fixed by the declarations: compile-time constants
#: of the compiled pass, which builds its world with them).
STREAM_IDS = StreamIds(*range(len(STREAMS)))
INDICATOR_IDS = IndicatorIds(*range(len(INDICATORS)))

_MODE_BITS = np.arange(len(MODES), dtype=np.uint8)     # bit of each mode in Network.mode_mask


def places_of(net: Network, nationalities: tuple[str, ...]) -> Places:
    """The network facts the rules read every day."""
    us = net.mask("kind", ["us_sector"])
    mx = net.country == (net.countries.index("MEX") if "MEX" in net.countries else -1)
    crossing = np.full(net.n_locations, -1, dtype=np.int64)
    for r in np.argsort(net.km)[::-1]:             # the shortest route from each border city to the US side
        if us[net.dst[r]]:
            crossing[net.src[r]] = r
    allows = ((net.mode_mask[:, None] >> _MODE_BITS[None, :]) & 1).astype(bool)
    i64, f64, c = np.int64, np.float64, np.ascontiguousarray
    return Places(
        c(net.src.astype(i64)), c(net.dst.astype(i64)), c(net.km.astype(f64)), c(net.min_days.astype(f64)),
        c(net.region.astype(i64)), c(net.indptr.astype(i64)), c(net.zone.astype(i64)), c(mx.astype(bool)),
        c(net.mask("kind", ["border_city_mx"]).astype(bool)), c(net.mask("kind", ["asylum_office"]).astype(bool)),
        c((~mx[net.src] & mx[net.dst]).astype(bool)), c(allows), crossing, c(net.distance_to(us).astype(f64)),
        nationalities.index("MEX") if "MEX" in nationalities else -1,
        net.zones.index("south_mx") if "south_mx" in net.zones else -1,
        net.zones.index("north_mx") if "north_mx" in net.zones else -1)


def _array(value: Any) -> np.ndarray:
    """One dtype per kind (bool, int64, float64), contiguous: the compiled types never vary."""
    arr = np.asarray(value)
    kind = bool if arr.dtype == bool else np.int64 if arr.dtype.kind in "iu" else np.float64
    return np.ascontiguousarray(arr, dtype=kind)


def pack_params(lev: Levers, places: Places) -> Params:
    """The parameters in force (scalars as numbers, the rest as arrays over their dimensions)
    and every mechanism's derived arrays."""
    values = {}
    for name, spec in PARAM_SPECS.items():
        v = getattr(lev.params, name)
        if spec.dims:
            values[name] = np.ascontiguousarray(v, dtype=np.int64 if name in LOCATION_VALUED else np.float64)
        else:
            values[name] = int(v) if name in LOCATION_VALUED else float(v)
    for m in MECHANISMS:
        if m.derive is not None:
            out = m.derive(lev, places)
            if set(out) != set(m.derived):
                raise RuntimeError(f"mechanism {m.name!r} derives {sorted(out)}, declares {sorted(m.derived)}")
            values.update({k: _array(v) for k, v in out.items()})
    return Params(**values)


def agents_of(table) -> Agents:
    """The agent table's whole storage arrays (rows past ``n`` hold the defaults)."""
    return Agents(*(table.storage(name) for name in Agents._fields))


@dataclass
class CorridorWorld:
    """What a corridor simulation derives from its scenario (``Simulation.world``)."""

    places: Places
    first_year: int                    # calendar year of day 0 (index 0 of the year dimension)
    population_scale: float            # agents per person
    origin_locations: np.ndarray       # location of each origin (the origin dimension's order)
    departure_keys: np.ndarray         # stream key per (nationality, kind) row of the departure plan
    param_records: dict                # defaults in force, with their sources (for evidence)
    departure_plan: tuple | None = None   # (levers version, year, month) -> the plan (see departures)
