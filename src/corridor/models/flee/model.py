"""A Flee scenario folder -> a checked scenario -> an engine :class:`~corridor.engine.Simulation`.

Everything the files refer to is checked before the first day runs (names, dates, values,
the observed series of every camp, enough days of conflict data, a conflict zone to spawn
from on every day people arrive), so a bad scenario fails with a ``DataError`` naming the
file, row and column, never half-way through a run.

The daily phase order of the Flee model (the engine runs ``policies`` first, which sets
the links open that day from ``closures.csv``)::

    policies -> conflicts -> spawning -> closures -> movement -> record

which is the order of Flee's own runner: conflict zones, spawning, border closures, then
the ecosystem's evolve step.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ...agents import MAX_AGENTS, AgentTable
from ...engine import Simulation
from ...errors import DataError
from ...indicators import Indicator, Recorder
from ...network import Network
from ...policies import LeverSchedule
from ...rng import RandomStreams
from ...scenario.schema import MAX_RUN_DAYS
from .closures import CampToggle, compile_closures, flee_link_closure_acts
from .demographics import Demographics, read_demographics
from .inputs import (
    Closure,
    Location,
    Notes,
    Period,
    Route,
    read_agents,
    read_closures,
    read_conflicts,
    read_corrections,
    read_locations,
    read_period,
    read_routes,
)
from .layout import FleeLayout, find_layout
from .movement import Closures, Movement, Record
from .observed import ObservedData, read_observed
from .routes import RouteTable, haversine_km
from .settings import FleeSettings, load_settings
from .spawning import Conflicts, Spawning, data_driven_spawns, give_demographics

__all__ = ["FleeScenario", "FleeWorld", "load_flee_scenario", "build_flee_simulation", "PHASES",
           "INDICATORS", "AGENT_COLUMNS"]

PHASES = ("policies", "conflicts", "spawning", "closures", "movement", "record")

INDICATORS = (
    Indicator("agents", "stock", "agents at each location (not counting those on a link)"),
    Indicator("new_displaced", "flow", "agents spawned at each location"),
    Indicator("arrivals", "flow", "agents arriving at each location at the end of a link"),
)

#: Flee model columns beside the engine's base columns (``route`` is the link travelled,
#: ``progress`` the km done on it).
AGENT_COLUMNS: dict[str, tuple[str, int | float]] = {
    "path": ("int32", -1),         # planned path (id in the route table), -1 = none
    "hop": ("int16", 0),           # index of the next location on the path
    "places": ("int16", 1),        # places travelled (1 = still on the first link)
    "recent": ("float32", 0.0),    # Flee's recent_travel_distance (0..1)
    "bounced": ("bool", False),    # the link closed under the agent: it goes back on arrival
    "wake": ("int32", 0),          # first day its move chance may come up again (see kernels)
    "age": ("int16", -1),          # drawn only when a rule reads it (demographics.py)
    "male": ("bool", False),
}


@dataclass
class FleeScenario:
    """A checked Flee scenario (inputs, settings and observed data)."""

    name: str
    layout: FleeLayout
    settings: FleeSettings
    period: Period
    n_days: int
    locations: list[Location]
    routes: list[Route]
    closures: list[Closure]
    conflicts: tuple[list[str], list[list[float]]] | None
    observed: ObservedData
    initial_agents: list[int]
    seed: int = 0
    warnings: tuple[str, ...] = ()
    demographics: Demographics | None = None     # read when ChildrenAvoidHazards is on

    @property
    def index(self) -> dict[str, int]:
        """Name -> location: the last row of a repeated name (where Flee 3.1 binds routes,
        closures, camps and observed data)."""
        return {loc.name: i for i, loc in enumerate(self.locations)}

    @property
    def first_index(self) -> dict[str, int]:
        """Name -> the first row of a repeated name (where Flee 3.1 adds a conflict)."""
        out: dict[str, int] = {}
        for i, loc in enumerate(self.locations):
            out.setdefault(loc.name, i)
        return out

    @property
    def forecast(self) -> bool:
        """No observed data (no ``data_layout.csv``): nothing to validate against."""
        return self.observed.forecast

    # what every pack's scenario offers the commands (corridor.packs.PackScenario)
    model = "flee"
    spin_up_days = 0
    breakdown = ("all",)

    @property
    def path(self) -> Path:
        return self.layout.root

    @property
    def first_day(self) -> dt.date:
        return self.period.start

    @property
    def last_day(self) -> dt.date:
        return self.period.start + dt.timedelta(days=self.n_days - 1)

    @property
    def population_scale(self) -> float:
        return 1.0 / self.settings.hasten

    def with_seed(self, seed: int) -> FleeScenario:
        return replace(self, seed=int(seed))

    def with_settings(self, **values: float) -> FleeScenario:
        """The scenario with some rule settings changed (free parameters)."""
        return replace(self, settings=replace(self.settings, **values))

    def with_scale(self, scale: float | None, *, at: str = "--scale") -> FleeScenario:
        """The scenario at population scale ``1 / hasten`` (the observed series are re-read at
        the new hasten: Flee keeps them at the simulation's scale)."""
        if scale is None:
            return self
        if isinstance(scale, bool) or not isinstance(scale, int | float) or not 0 < scale <= 1:
            raise DataError(f"{scale!r} is not a population scale for Flee", at=at,
                            expected="a number in (0, 1]: 1 / hasten, Flee simulates at most one agent a person")
        hasten = max(1, round(1.0 / scale))
        lay = self.layout
        again = load_flee_scenario(lay.root, settings=lay.settings, hasten=hasten, days=self.n_days, seed=self.seed,
                                   data_dir=lay.data_dir)
        return replace(again, settings=replace(self.settings, hasten=hasten))

    def hash(self) -> str:
        """SHA-256 (16 hex) of the input files, settings, days and seed."""
        h = hashlib.sha256()
        lay = self.layout
        for p in (lay.locations, lay.routes, lay.period, lay.closures, lay.conflicts, lay.corrections,
                  lay.settings, lay.data_dir / "data_layout.csv" if lay.data_dir else None):
            if p is not None:
                h.update(p.read_bytes())
        if self.demographics is not None:
            for p in sorted(lay.input_dir.glob("demographics_*.csv")):
                h.update(p.read_bytes())
        for s in self.observed.series.values():
            h.update(s.days.tobytes() + s.values.tobytes())
        h.update(repr((self.settings.in_force(), self.n_days, self.seed)).encode())
        return h.hexdigest()[:16]


def load_flee_scenario(folder: str | Path, *, settings: str | Path | None = None, hasten: int | None = None,
                       days: int | None = None, seed: int = 0, data_dir: str | Path | None = None) -> FleeScenario:
    """Read and check the Flee scenario in ``folder`` (see :mod:`.layout` for the layouts)."""
    lay = find_layout(folder, settings=settings, data_dir=data_dir)
    st = load_settings(lay.settings)
    if hasten is not None:
        if hasten < 1:
            raise DataError(f"hasten {hasten} is below 1", at="--hasten", expected="a whole number >= 1")
        st = st.with_hasten(hasten)
    warnings = list(st.warnings)
    if lay.settings is None:
        warnings.append(f"{lay.root}: no simsetting.yml; Flee's default settings are used")
    notes = Notes()
    period = read_period(lay.period)
    n_days = period.days if days is None else int(days)
    if n_days < 1:
        raise DataError(f"{n_days} days", at="--days", expected="at least one day")
    if n_days > MAX_RUN_DAYS:
        raise DataError(f"{n_days:,} days", where=None if days is not None else lay.period,
                        at="--days" if days is not None else "Length",
                        expected=f"at most {MAX_RUN_DAYS:,} days")
    locations = read_locations(lay.locations, notes)
    if st.duplicate_locations == "last":
        last = {loc.name: i for i, loc in enumerate(locations)}
        locations = [loc for i, loc in enumerate(locations) if last[loc.name] == i]
    index = {loc.name: i for i, loc in enumerate(locations)}
    routes = read_routes(lay.routes, index, notes)
    if st.forced_redirection == "flee":   # Flee 3.1: `if == 1` then `if == 2 ... else` adds a 1 twice
        routes = [r2 for r in routes for r2 in ((r, r) if r.forced_redirection == 1 else (r,))]
    countries = {loc.country for loc in locations}
    closures = read_closures(lay.closures, index, countries, notes)
    conflicts = read_conflicts(lay.conflicts, index, notes) if lay.conflicts is not None else None
    corrections = read_corrections(lay.corrections)
    if lay.data_dir is None and corrections:
        notes.add("forecast corrections", f"{lay.corrections}: registration corrections with no observed data "
                  "(no data_layout.csv): nothing to correct; ignored")
    observed = read_observed(lay.data_dir, period.start, st.hasten, corrections, lay.corrections,
                             order=st.observed_order, merge=st.merged_series, notes=notes)
    if lay.data_dir is not None:
        layout_file = lay.data_dir / "data_layout.csv"
        for name in observed.series:
            if name != observed.total_name and name not in index:
                notes.add("observed: not a location", f"{layout_file}: {name!r} is not a location of "
                          f"{lay.locations.name}; its series is read and not used, as in Flee 3.1")
        if not st.conflict_driven_spawning and observed.total_name is None:
            raise DataError("no 'total' row", where=layout_file,
                            expected="a row 'total,<file>': Flee spawns agents from the observed total")
    elif not st.conflict_driven_spawning:
        warnings.append(f"{lay.root}: no observed data (no data_layout.csv): a forecast; nobody is spawned "
                        "from observed totals, so only conflict_driven_spawning or agents.csv bring people in")
    if conflicts is not None and len(conflicts[1]) < n_days:   # Flee reads conflicts.csv[day] every day
        k = len(conflicts[1])
        raise DataError(f"{k} days of conflict data for a {n_days}-day run (Flee 3.1 stops on day {k})",
                        where=lay.conflicts, expected=f"a row for every day 0..{n_days - 1}, or --days {k} or fewer")
    demographics = None
    if st.children_avoid_hazards:
        if st.read_from_agents_csv_file:
            raise DataError("ChildrenAvoidHazards compares ages as numbers, but agents read from agents.csv have "
                            "text attributes (Flee 3.1 stops on the comparison)", where=lay.settings,
                            at="move_rules.ChildrenAvoidHazards", expected="false with read_from_agents_csv_file")
        demographics = read_demographics(lay.input_dir, [loc.name for loc in locations], gender=st.boys_take_risk)
    elif st.boys_take_risk:
        notes.add("BoysTakeRisk alone", f"{lay.settings}: move_rules.BoysTakeRisk acts only with "
                  "ChildrenAvoidHazards, as in Flee 3.1: no effect")
    if st.camps_are_sinks and st.camps_as_sinks == "flee" and any("deactivation_probability" in loc.attributes
                                                         for loc in locations):
        raise DataError("camps_are_sicks with a deactivation_probability column: Flee 3.1 compares a number with "
                        "the column's text and stops", where=lay.settings, at="spawn_rules.camps_are_sicks",
                        expected="corridor_rules.camps_as_sinks: read (probabilities read as numbers)")
    if st.softening == 0 and any(r.km == 0 for r in routes):
        raise DataError("a route of 0 km with softening 0 gives an infinite weight", where=lay.settings,
                        at="move_rules.softening", expected="softening > 0")
    _flee_quirks(st, lay, locations, routes, closures, conflicts, notes)
    warnings += notes.lines()
    initial = read_agents(lay.agents, index) if st.read_from_agents_csv_file else []
    sc = FleeScenario(name=lay.root.resolve().name, layout=lay, settings=st, period=period, n_days=n_days,
                      locations=locations, routes=routes, closures=closures, conflicts=conflicts,
                      observed=observed, initial_agents=initial, seed=seed, warnings=tuple(warnings),
                      demographics=demographics)
    _check_camps_and_spawning(sc)
    return sc


def _flee_quirks(st: FleeSettings, lay: FleeLayout, locations: list[Location], routes: list[Route],
                 closures: list[Closure], conflicts: object, notes: Notes) -> None:
    """One note for each Flee 3.1 bug that this scenario meets and that the run follows."""
    fix = "; corridor_rules.{}: {} gives the corrected rule"
    for c in (closures if st.link_closures == "flee" else ()):
        if c.kind != "link":
            continue
        what = "closes only " + f"{c.name2}->{c.name1}" if flee_link_closure_acts(c.name1) else "closes nothing"
        notes.add("quirk link closures", f"{lay.closures}: row {c.line}: a link closure {what}, as in Flee 3.1 "
                  "(it compares names by identity)" + fix.format("link_closures", "both_ways"))
    if conflicts is None and st.conflict_dates == "flee":
        late = [loc for loc in locations if loc.kind == "conflict" and loc.conflict_date > 0]
        if late:
            notes.add("quirk conflict dates", f"{lay.locations}: row {late[0].line}: with no conflicts.csv, Flee "
                      f"3.1 never starts a conflict dated after day 0 ({len(late)} zones stay towns)"
                      + fix.format("conflict_dates", "applied"))
    if st.awareness_level == 0 and st.awareness_zero == "flee":
        notes.add("quirk awareness 0", f"{lay.settings}: move_rules.awareness_level 0: nobody moves, as in Flee "
                  "3.1 (its route is a link index where a name is expected)" + fix.format("awareness_zero",
                                                                                          "random_link"))
    if st.use_pop_for_loc_weight and st.pop_loc_weight == "flee":
        notes.add("quirk pop weight", f"{lay.settings}: move_rules.use_pop_for_loc_weight multiplies by "
                  "min(1, population) ^ power, as in Flee 3.1 (0 for an empty place, else 1)"
                  + fix.format("pop_loc_weight", "max"))
    if st.stay_close_to_home and st.home_distance == "flee":
        notes.add("quirk home distance", f"{lay.settings}: move_rules.stay_close_to_home measures distances with "
                  "latitude and longitude swapped, as in Flee 3.1" + fix.format("home_distance", "great_circle"))
    forced = [r for r in routes if r.forced_redirection == 1]
    if forced and st.forced_redirection == "flee":
        notes.add("quirk forced redirection", f"{lay.routes}: row {forced[0].line}: forced_redirection 1 adds the "
                  "route twice (twice the weight), as in Flee 3.1" + fix.format("forced_redirection", "once"))


@dataclass
class FleeWorld:
    """The mutable state of a Flee run that is not per agent (arrays over locations and links)."""

    scenario: FleeScenario
    settings: FleeSettings
    layout: FleeLayout
    locations: list[Location]
    names: tuple[str, ...]
    n_locations: int
    foreign: np.ndarray
    camp: np.ndarray
    town: np.ndarray
    marker: np.ndarray
    conflict: np.ndarray
    time_of_conflict: np.ndarray
    movechance_base: np.ndarray
    pop: np.ndarray
    capacity: np.ndarray
    deactivation: np.ndarray
    link_src: np.ndarray
    link_dst: np.ndarray
    link_km: np.ndarray
    link_speed: np.ndarray
    link_walk: np.ndarray
    adj_ptr: np.ndarray
    link_open: np.ndarray
    routes: RouteTable
    home_km: np.ndarray | None
    loc_num: np.ndarray
    camp_columns: np.ndarray           # locations reported in out.csv (camps at the start)
    observed_camps: np.ndarray         # [day, camp] observed counts (Flee's get_field)
    observed_total: np.ndarray         # [day] interpolated total (Flee's "raw UNHCR refugee count")
    spawns: np.ndarray
    debts: np.ndarray
    conflict_events: dict[int, list[tuple[int, float]]]
    camp_toggles: dict[int, list[CampToggle]]
    move_key: int
    agents_indicator: int
    spawned_indicator: int
    arrivals_indicator: int
    scratch: np.ndarray
    camp_counts: np.ndarray = field(default_factory=lambda: np.zeros(0))
    total_agents: np.ndarray = field(default_factory=lambda: np.zeros(0))
    conflict_changed: bool = False
    settled: int = 0                   # agents settled in camps (camps_are_sinks)
    timed: int = 0                     # agents [0, timed) have a wake day
    prev_movechance: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def enumerate_routes(self) -> None:
        cand = self.routes.enumerate(self.adj_ptr, self.link_dst, self.link_km, self.link_open, self.marker,
                                     self.settings.awareness_level)
        widest = int(np.diff(cand.ptr).max()) if cand.ptr.size > 1 else 0
        if widest > self.scratch.size:
            self.scratch = np.zeros(widest)


class FleeSimulation(Simulation):
    """The engine's simulation with the Flee model's own end of day.

    The engine's default end of day updates ``days_in_status`` of every live agent, which
    the Flee rules never read; with 150,000 agents in camps it would cost a fifth of a
    full run. Agent-days are counted from the number of active agents instead.
    """

    def end_of_day(self) -> None:
        self.agent_days += int(self.agents.n) - self.world.settled


def _initial_types(sc: FleeScenario) -> dict[str, np.ndarray]:
    """Location flags and move chances at the start, by Flee's rules for location types."""
    s, h = sc.settings, sc.settings.hasten
    n = len(sc.locations)
    out = {k: np.zeros(n, dtype=bool) for k in ("camp", "town", "marker")}
    out["movechance"] = np.zeros(n)
    out["conflict"] = np.full(n, -1.0)
    out["pop"] = np.zeros(n, dtype=np.int64)
    out["capacity"] = np.full(n, -1, dtype=np.int64)
    for i, loc in enumerate(sc.locations):
        kind = loc.kind
        if kind == "conflict" and loc.conflict_date > 0:
            kind = "town"     # a conflict zone whose conflict starts later is a town until then
        if kind in ("camp", "idpcamp"):
            out["camp"][i] = True
            out["capacity"][i] = loc.population // h
            out["movechance"][i] = s.idpcamp_movechance if kind == "idpcamp" else s.camp_movechance
        else:
            out["pop"][i] = loc.population // h
            if kind == "conflict":
                out["movechance"][i] = s.conflict_movechance
                ci = loc.attributes.get("conflict_intensity", "")
                out["conflict"][i] = float(ci) if ci else 1.0
            elif kind in ("forward", "marker"):
                out["movechance"][i] = 1.0
                out["marker"][i] = kind == "marker"
            else:
                out["town"][i] = True
                out["movechance"][i] = s.default_movechance
        if out["movechance"][i] < 0.005 and not out["camp"][i]:
            out["camp"][i] = True   # Flee treats a location nobody leaves as a camp
            out["town"][i] = False
    return out


def _conflict_events(sc: FleeScenario) -> dict[int, list[tuple[int, float]]]:
    """Conflict changes by day, as Flee 3.1's ``AddNewConflictZones``: a conflict starts when
    the intensity rises above 1e-6 (on the first row of a repeated name); it ends (on every
    row of the name) when it falls below 1e-6 from exactly 1 in Flee 3.1, so a conflict of
    intensity 0.3 never ends, or from any level with ``corridor_rules.conflict_end: any``."""
    events: dict[int, list[tuple[int, float]]] = {}
    first = sc.first_index
    rows_of: dict[str, list[int]] = {}
    for i, loc in enumerate(sc.locations):
        rows_of.setdefault(loc.name, []).append(i)
    any_drop = sc.settings.conflict_end == "any"
    if sc.conflicts is not None:
        names, rows = sc.conflicts
        for t in range(sc.n_days):
            for j, name in enumerate(names):
                v = rows[t][j]
                prev = rows[t - 1][j] if t > 0 else 0.0
                if v > 1e-6 and (t == 0 or prev < 1e-6):
                    events.setdefault(t, []).append((first[name], float(v)))
                elif v < 1e-6 and t > 0 and (prev >= 1e-6 if any_drop else prev == 1.0):
                    events.setdefault(t, []).extend((i, 0.0) for i in rows_of[name])
    elif sc.settings.conflict_dates == "applied":   # Flee 3.1 never starts these (see _flee_quirks)
        for i, loc in enumerate(sc.locations):
            if loc.kind == "conflict" and 0 < loc.conflict_date < sc.n_days:
                ci = loc.attributes.get("conflict_intensity", "")
                events.setdefault(loc.conflict_date, []).append((i, float(ci) if ci else 1.0))
    return events


def _day0_refugees(sc: FleeScenario, camps: np.ndarray) -> np.ndarray:
    """People placed in each of ``camps`` on day 0 (``insert_day0``: the observed count that day)."""
    if not sc.settings.insert_day0 or sc.forecast:
        return np.zeros(camps.size, dtype=np.int64)
    return np.array([sc.observed.daily(sc.locations[i].name, 1)[0] for i in camps], dtype=np.int64)


def _check_camps_and_spawning(sc: FleeScenario) -> None:
    types = _initial_types(sc)
    if sc.forecast:
        return
    layout_file = sc.layout.data_dir / "data_layout.csv"
    for i in np.flatnonzero(types["camp"]):
        loc = sc.locations[i]
        if not sc.observed.has(loc.name):
            why = "" if loc.kind in ("camp", "idpcamp") else \
                f" (a {loc.kind} whose move chance is below 0.005 is a camp for Flee)"
            raise DataError(f"camp {loc.name!r} (locations.csv row {loc.line}) has no observed series{why}",
                            where=layout_file, expected=f"a row '{loc.name},<file>' (Flee needs one per camp)")
    if sc.settings.conflict_driven_spawning:
        return
    spawns, _ = data_driven_spawns(sc.observed.total(sc.n_days), sc.settings.insert_day0)
    day0 = int(_day0_refugees(sc, np.flatnonzero(types["camp"])).sum())
    if int(spawns.sum()) + day0 > MAX_AGENTS:   # about 40 bytes an agent
        raise DataError(f"{int(spawns.sum()) + day0:,} agents at hasten {sc.settings.hasten}, more than the "
                        f"{MAX_AGENTS:,} that fit in memory", where=layout_file,
                        expected="a larger hasten (--hasten, or optimisations.hasten in simsetting.yml)")
    conflict, pop = types["conflict"].copy(), types["pop"]
    events = _conflict_events(sc)
    for t in range(sc.n_days):
        for i, v in events.get(t, ()):
            conflict[i] = v if v > 0 else -1.0
        if spawns[t] > 0 and not ((conflict > 0) & (pop > 0)).any():
            raise DataError(f"{spawns[t]} people arrive on day {t} ({sc.period.start + dt.timedelta(days=t)}) "
                            "but no conflict zone with a population exists then", where=sc.layout.locations,
                            expected="a conflict zone (locations.csv / conflicts.csv) with a population")


def _network(sc: FleeScenario) -> tuple[Network, np.ndarray, np.ndarray]:
    index = sc.index
    src, dst, km, speed, walk = [], [], [], [], []
    for r in sc.routes:
        for a, b in ((r.a, r.b), (r.b, r.a)):
            src.append(index[a])
            dst.append(index[b])
            km.append(r.km)
            ms = r.attributes.get("max_move_speed", "")
            speed.append(float(ms) if ms else sc.settings.max_move_speed)
            wp = r.attributes.get("walk_probability", "")
            walk.append(float(wp) if wp else 0.0)
    order = np.argsort(np.array(src), kind="stable")
    src_a = np.array(src, dtype=np.int32)[order]
    n = len(sc.locations)
    indptr = np.zeros(n + 1, dtype=np.int32)
    np.add.at(indptr, src_a + 1, 1)
    indptr = np.cumsum(indptr).astype(np.int32)

    def codes(values: list[str]) -> tuple[np.ndarray, tuple[str, ...]]:
        names = tuple(sorted(set(values)))
        look = {v: i for i, v in enumerate(names)}
        return np.array([look[v] for v in values], dtype=np.int16), names

    country, countries = codes([loc.country for loc in sc.locations])
    region, regions = codes([loc.region for loc in sc.locations])
    kind, kinds = codes([loc.kind for loc in sc.locations])
    net = Network(
        ids=tuple(loc.name for loc in sc.locations), names=tuple(loc.name for loc in sc.locations),
        country=country, countries=countries, region=region, regions=regions, kind=kind, kinds=kinds,
        zone=kind, zones=kinds, lat=np.array([loc.lat for loc in sc.locations]),
        lon=np.array([loc.lon for loc in sc.locations]), indptr=indptr, src=src_a,
        dst=np.array(dst, dtype=np.int32)[order], km=np.array(km)[order], min_days=np.zeros(len(src)),
        mode_mask=np.ones(len(src), dtype=np.uint8), source_file=f"{sc.layout.locations}; {sc.layout.routes}",
        _index=dict(index))
    return net, np.array(speed)[order], np.array(walk)[order]


def build_flee_simulation(sc: FleeScenario) -> Simulation:
    """Assemble the engine simulation of a checked Flee scenario (day-0 agents placed)."""
    s = sc.settings
    n = len(sc.locations)
    net, speed, walk = _network(sc)
    types = _initial_types(sc)
    policies, toggles = compile_closures(sc.closures, net, [loc.country for loc in sc.locations], sc.n_days,
                                         s.link_closures, s.overlapping_closures)
    schedule = LeverSchedule({}, {}, policies, net)
    streams = RandomStreams(sc.seed)
    recorder = Recorder(INDICATORS, sc.n_days, 1, n, first_tick=0)
    index = sc.index   # a camp column reports the last row of its name, as Flee's lm[name]
    camp_columns = np.array([index[sc.locations[i].name] for i in np.flatnonzero(types["camp"])], dtype=np.int64)
    observed_camps = np.stack([sc.observed.daily(sc.locations[i].name, sc.n_days) for i in camp_columns], axis=1) \
        if camp_columns.size and not sc.forecast else np.zeros((sc.n_days, camp_columns.size), dtype=np.int64)
    if s.conflict_driven_spawning or sc.forecast:
        total = np.zeros(sc.n_days, dtype=np.int64)
        spawns = debts = np.zeros(sc.n_days, dtype=np.int64)
    else:
        total = sc.observed.total(sc.n_days)
        spawns, debts = data_driven_spawns(total, s.insert_day0)
    home_km = None
    if s.stay_close_to_home:
        swap = s.home_distance == "flee"   # Flee 3.1 takes the longitude column for the latitude
        points = [(loc.lon, loc.lat) if swap else (loc.lat, loc.lon) for loc in sc.locations]
        home_km = np.array([[haversine_km(*a, *b) for b in points] for a in points])
    first_country = sc.locations[0].country
    conflict = types["conflict"]
    toggles_by_tick: dict[int, list[CampToggle]] = {}
    for tg in toggles:
        toggles_by_tick.setdefault(tg.tick, []).append(tg)
    deact = np.array([float(loc.attributes.get("deactivation_probability") or 0.0) for loc in sc.locations])
    world = FleeWorld(
        scenario=sc, settings=s, layout=sc.layout, locations=sc.locations,
        names=tuple(loc.name for loc in sc.locations), n_locations=n,
        foreign=np.array([loc.country != first_country for loc in sc.locations]),
        camp=types["camp"], town=types["town"], marker=types["marker"], conflict=conflict,
        time_of_conflict=np.full(n, -1, dtype=np.int64), movechance_base=types["movechance"],
        pop=types["pop"], capacity=types["capacity"], deactivation=deact,
        link_src=net.src, link_dst=net.dst, link_km=net.km, link_speed=speed, link_walk=walk,
        adj_ptr=net.indptr.astype(np.int64), link_open=np.ones(net.n_routes, dtype=bool),
        routes=RouteTable(n, max(1, s.awareness_level)), home_km=home_km,
        loc_num=np.zeros(n, dtype=np.int64), camp_columns=camp_columns, observed_camps=observed_camps,
        observed_total=total, spawns=spawns, debts=debts, conflict_events=_conflict_events(sc),
        camp_toggles=toggles_by_tick, move_key=streams.key("move"), agents_indicator=0, spawned_indicator=1,
        arrivals_indicator=2,
        scratch=np.zeros(1), camp_counts=np.zeros((sc.n_days, camp_columns.size), dtype=np.int64),
        total_agents=np.zeros(sc.n_days, dtype=np.int64))
    world.enumerate_routes()
    agents = AgentTable(AGENT_COLUMNS, capacity=max(1024, int(total.max(initial=0) * 1.1) if total.size else 1024))
    starts = np.concatenate([np.array(sc.initial_agents, dtype=np.int64),
                             np.repeat(camp_columns, _day0_refugees(sc, camp_columns))])
    slots = agents.add(starts.size, loc=starts.astype(np.int16))
    np.add.at(world.loc_num, starts, 1)
    sim = FleeSimulation(network=net, agents=agents, schedule=schedule, streams=streams, recorder=recorder,
                      processes=[Conflicts(), Spawning(), Closures(), Movement(), Record()],
                      day0=sc.period.start, n_ticks=sc.n_days, nationalities=("all",),
                      world=world)
    # day-0 agents get their attributes as Flee's add_initial_refugees draws them
    give_demographics(sc.demographics, sim, slots, starts, 0)
    return sim
