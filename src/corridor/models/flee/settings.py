"""Flee rule settings (``simsetting.yml``) as one frozen, validated value.

The keys and defaults are those Flee 3.1 reads (``SimulationSettings.ReadFromYML``).
Differences, on purpose:

* Values are checked: a wrong type or an impossible value (a negative speed, a move chance
  above 1, ``hasten: 0``) is an error naming the key, where Flee would convert silently
  (``bool("false")`` is true in Flee) or crash later.
* Keys written for later Flee versions that Flee 3.1 ignores (``sum_from_camps``,
  ``capacity_scaling``, ...) are ignored too, with a warning. Other unknown keys are a
  warning, or an error when they look like a misspelling of a known key.
* Flood rules (DFlee's ``flood_rules`` and flood-driven spawning) are read by Flee 3.1 but
  not implemented by it (its own runner stops on the ``bangladesh`` settings): enabling them
  is an error naming the rule rather than a silent run.
* Where Flee 3.1 has a bug that changes results, its behaviour is the default and the
  corrected rule is a choice in a ``corridor_rules`` section (Flee ignores the section);
  ``CORRECTIONS`` lists them and docs/flee.md says what each one does. Camps as sinks, for
  one: Flee 3.1 reads only the misspelt key ``camps_are_sicks`` and then compares a number
  with the text of ``deactivation_probability``, so it stops; by default ``camps_are_sinks``
  is ignored and ``camps_are_sicks`` with that column is an error; ``camps_as_sinks: read``
  honours either spelling and reads the probability as a number.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import DataError
from ...user_files import read_yaml

__all__ = ["FleeSettings", "RULES", "Rule", "load_settings", "SQRT_TEN"]

SQRT_TEN = 3.16227766017     # Flee's constant for the default conflict weight 1/sqrt(10)


@dataclass(frozen=True)
class FleeSettings:
    """Flee 3.1 rules (names in snake case as in ``simsetting.yml``; Flee's defaults)."""

    # spawn_rules
    take_from_population: bool = False
    insert_day0: bool = True
    conflict_zone_spawning_only: bool = True
    camps_are_sinks: bool = False
    camps_are_sinks_spelled: bool = False            # the correct spelling, which Flee 3.1 ignores
    read_from_agents_csv_file: bool = False
    conflict_driven_spawning: bool = False
    conflict_spawn_mode: str = "constant"          # constant, poisson, pop_ratio
    displaced_per_conflict_day: float = 500.0
    conflict_spawn_decay: tuple[float, ...] = ()     # empty: no decay
    # move_rules
    max_move_speed: float = 360.0                    # km per day
    max_walk_speed: float = 35.0                     # km per day
    foreign_weight: float = 1.0
    camp_weight: float = 1.0
    conflict_weight: float = 1.0 / SQRT_TEN
    conflict_movechance: float = 1.0
    camp_movechance: float = 0.001
    idpcamp_movechance: float = 0.1
    default_movechance: float = 0.3
    awareness_level: int = 1
    capacity_buffer: float = 0.9
    avoid_short_stints: bool = False
    start_on_foot: bool = False
    softening: float = 10.0                          # km added to every path length
    weight_softening: float = 0.0
    weight_power: float = 1.0
    distance_power: float = 1.0
    stay_close_to_home: bool = False
    home_distance_power: float = 0.5
    use_pop_for_loc_weight: bool = False
    pop_power_for_loc_weight: float = 0.1
    movechance_pop_base: float = 10000.0
    movechance_pop_scale_factor: float = 0.0
    match_camp_ethnicity: bool = False
    match_town_ethnicity: bool = False
    match_conflict_ethnicity: bool = False
    children_avoid_hazards: bool = False             # needs demographics_age.csv (see demographics.py)
    boys_take_risk: bool = False                     # with children_avoid_hazards; needs demographics_gender.csv
    # corridor_rules: Flee 3.1's behaviour by default, the corrected rule on request
    conflict_end: str = "flee"                       # flee | any
    duplicate_locations: str = "flee"                # flee | last
    observed_order: str = "file"                     # file | date
    boys_take_risk_ages: str = "flee"                # flee (males over 14) | teens (15-18)
    link_closures: str = "flee"                      # flee (close nothing, see closures.py) | both_ways
    conflict_dates: str = "flee"                     # flee (no conflicts.csv: day-0 zones only) | applied
    awareness_zero: str = "flee"                     # flee (nobody moves) | random_link
    pop_loc_weight: str = "flee"                     # flee (min(1, pop) ^ power) | max
    home_distance: str = "flee"                      # flee (latitude and longitude swapped) | great_circle
    forced_redirection: str = "flee"                 # flee (a value of 1 adds the route twice) | once
    merged_series: str = "flee"                      # flee (Flee's merge of several files) | step_sum
    camps_as_sinks: str = "flee"                     # flee (see the module docstring) | read
    overlapping_closures: str = "flee"               # flee (the first reopening reopens) | any
    poisson_spawning: str = "flee"                   # flee (spawn mode Poisson stops Flee 3.1: an error) | drawn
    # optimisations
    hasten: int = 1                                  # population scale-down factor
    source: str = "Flee defaults"
    warnings: tuple[str, ...] = field(default=(), compare=False)
    given: frozenset[str] = field(default=frozenset(), compare=False)   # fields the file sets

    def in_force(self) -> tuple[tuple[str, Any], ...]:
        """(field, value) of every rule setting, in declaration order."""
        return tuple((f.name, getattr(self, f.name)) for f in fields(self) if f.name not in _NOT_RULES)

    def conflict_decay(self, days_since_conflict: int) -> float:
        """Flee's conflict decay multiplier: one entry per 30 days, the last one kept."""
        return float(self.conflict_decays(np.array([days_since_conflict]))[0])

    def conflict_decays(self, days_since_conflict: np.ndarray) -> np.ndarray:
        """:meth:`conflict_decay` of every element (float64)."""
        if not self.conflict_spawn_decay:
            return np.ones(days_since_conflict.shape)
        i = np.minimum(np.trunc(days_since_conflict / 30).astype(np.int64), len(self.conflict_spawn_decay) - 1)
        return np.asarray(self.conflict_spawn_decay, dtype=np.float64)[i]

    def with_hasten(self, hasten: int) -> FleeSettings:
        return replace(self, hasten=int(hasten))


_NOT_RULES = {"source", "warnings", "given"}

# key in the YAML -> (field, kind, low, high); kind: bool, float, int
_SPAWN = {
    "take_from_population": ("take_from_population", "bool", None, None),
    "insert_day0": ("insert_day0", "bool", None, None),
    "conflict_zone_spawning_only": ("conflict_zone_spawning_only", "bool", None, None),
    "camps_are_sicks": ("camps_are_sinks", "bool", None, None),     # the key Flee 3.1 reads
    "camps_are_sinks": ("camps_are_sinks_spelled", "bool", None, None),
    "read_from_agents_csv_file": ("read_from_agents_csv_file", "bool", None, None),
}
_MOVE = {
    "max_move_speed": ("max_move_speed", "float", 1e-9, None),
    "max_walk_speed": ("max_walk_speed", "float", 1e-9, None),
    "max_crossing_speed": (None, "float", 0.0, None),          # read by Flee 3.1, used nowhere
    "foreign_weight": ("foreign_weight", "float", 0.0, None),
    "camp_weight": ("camp_weight", "float", 0.0, None),
    "conflict_weight": ("conflict_weight", "float", 0.0, None),
    "conflict_movechance": ("conflict_movechance", "float", 0.0, 1.0),
    "camp_movechance": ("camp_movechance", "float", 0.0, 1.0),
    "idpcamp_movechance": ("idpcamp_movechance", "float", 0.0, 1.0),
    "default_movechance": ("default_movechance", "float", 0.0, 1.0),
    "awareness_level": ("awareness_level", "int", 0, 8),
    "capacity_buffer": ("capacity_buffer", "float", 0.0, 1.0),
    "avoid_short_stints": ("avoid_short_stints", "bool", None, None),
    "start_on_foot": ("start_on_foot", "bool", None, None),
    "use_v1_rules": (None, "bool", None, None),
    "softening": ("softening", "float", 0.0, None),
    "weight_softening": ("weight_softening", "float", 0.0, None),
    "weight_power": ("weight_power", "float", 0.0, None),
    "distance_power": ("distance_power", "float", 0.0, None),
    "stay_close_to_home": ("stay_close_to_home", "bool", None, None),
    "home_distance_power": ("home_distance_power", "float", 0.0, None),
    "use_pop_for_loc_weight": ("use_pop_for_loc_weight", "bool", None, None),
    "pop_power_for_loc_weight": ("pop_power_for_loc_weight", "float", 0.0, None),
    "movechance_pop_base": ("movechance_pop_base", "float", 1e-9, None),
    "movechance_pop_scale_factor": ("movechance_pop_scale_factor", "float", None, None),
    "MatchCampEthnicity": ("match_camp_ethnicity", "bool", None, None),
    "MatchTownEthnicity": ("match_town_ethnicity", "bool", None, None),
    "MatchConflictEthnicity": ("match_conflict_ethnicity", "bool", None, None),
    "ChildrenAvoidHazards": ("children_avoid_hazards", "bool", None, None),
    "BoysTakeRisk": ("boys_take_risk", "bool", None, None),
}
#: ``corridor_rules`` key (a field of FleeSettings) -> (Flee 3.1's choice, the corrected choice)
CORRECTIONS = {
    "conflict_end": ("flee", "any"),
    "duplicate_locations": ("flee", "last"),
    "observed_order": ("file", "date"),
    "boys_take_risk_ages": ("flee", "teens"),
    "link_closures": ("flee", "both_ways"),
    "conflict_dates": ("flee", "applied"),
    "awareness_zero": ("flee", "random_link"),
    "pop_loc_weight": ("flee", "max"),
    "home_distance": ("flee", "great_circle"),
    "forced_redirection": ("flee", "once"),
    "merged_series": ("flee", "step_sum"),
    "camps_as_sinks": ("flee", "read"),
    "overlapping_closures": ("flee", "any"),
    "poisson_spawning": ("flee", "drawn"),
}
_LOG_KEYS = {"agent", "camp", "init", "link", "conflict", "idp_totals", "granularity"}
# keys of later Flee versions that Flee 3.1 does not read: ignored, as 3.1 does, with a warning
_LATER = {"sum_from_camps", "conflict_spawn_decay_interval", "empty_camps_on_day0", "capacity_scaling",
          "fixed_routes", "pruning_threshold", "two_system_decision_making", "conflict_threshold",
          "max_flood_level", "flood_movechances", "flood_loc_weights", "flood_link_weights"}




@dataclass(frozen=True)
class Rule:
    """Where a rule setting is written in ``simsetting.yml`` and what it may hold."""

    section: str
    key: str
    kind: str                      # bool, float, int, choice
    low: float | None
    high: float | None


def _rules() -> dict[str, Rule]:
    out: dict[str, Rule] = {}
    for section, table in (("spawn_rules", _SPAWN), ("move_rules", _MOVE)):
        for key, (fname, kind, lo, hi) in table.items():
            if fname is not None and not fname.startswith("!"):
                out.setdefault(fname, Rule(section, key, kind, lo, hi))   # the first key: the one Flee reads
    out["displaced_per_conflict_day"] = Rule("spawn_rules", "conflict_driven_spawning.displaced_per_conflict_day",
                                             "float", 0.0, None)
    out["hasten"] = Rule("optimisations", "hasten", "int", 1, None)
    for key in CORRECTIONS:
        out[key] = Rule("corridor_rules", key, "choice", None, None)
    return out


#: Field of :class:`FleeSettings` -> where ``simsetting.yml`` sets it (lists and modes are left out).
RULES: dict[str, Rule] = _rules()


def _err(path: Path | str, at: str, message: str, expected: str) -> DataError:
    return DataError(message, where=path, at=at, expected=expected)


def _value(raw: Any, kind: str, low: float | None, high: float | None, *, path: Path | str, at: str) -> Any:
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, int) and raw in (0, 1):
            return bool(raw)
        raise _err(path, at, f"{raw!r} is not true or false", "true or false")
    if isinstance(raw, bool):
        raise _err(path, at, f"{raw!r} is not a number", "a number")
    try:
        num = float(raw)
    except (TypeError, ValueError):
        raise _err(path, at, f"{raw!r} is not a number", "a number") from None
    if num != num or num in (float("inf"), float("-inf")):
        raise _err(path, at, f"{raw!r} is not finite", "a finite number")
    if kind == "int":
        if num != int(num):
            raise _err(path, at, f"{raw!r} is not a whole number", "a whole number")
        num = int(num)
    rng = f"[{'-inf' if low is None else f'{low:g}'}, {'inf' if high is None else f'{high:g}'}]"
    if (low is not None and num < low) or (high is not None and num > high):
        raise _err(path, at, f"{raw!r} is outside {rng}", f"a value in {rng}")
    return num


def _unknown(key: str, known: set[str], path: Path | str, at: str, warnings: list[str]) -> None:
    if key in _LATER:
        warnings.append(f"{path}: {at}: '{key}' is not read by Flee 3.1; ignored as Flee 3.1 does")
        return
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.8)
    if close:
        raise _err(path, at, f"unknown setting {key!r}", f"{close[0]!r} (a known Flee 3.1 setting)")
    warnings.append(f"{path}: {at}: unknown setting '{key}' ignored")


def _section(data: dict[str, Any], name: str, path: Path | str) -> dict[str, Any]:
    sec = data.get(name)
    if sec is None:
        return {}
    if not isinstance(sec, dict):
        raise _err(path, name, f"{type(sec).__name__} instead of a mapping", "a mapping of settings")
    return sec


def settings_from_dict(data: dict[str, Any] | None, *, path: Path | str = "<settings>") -> FleeSettings:
    """Validate a parsed ``simsetting.yml`` mapping (see the module docstring)."""
    data = data or {}
    if not isinstance(data, dict):
        raise _err(path, "top level", f"{type(data).__name__} instead of a mapping",
                   "sections log_levels, spawn_rules, move_rules, optimisations")
    warnings: list[str] = []
    values: dict[str, Any] = {}
    sections = {"log_levels", "spawn_rules", "move_rules", "optimisations", "number_of_steps",
                "conflict_input_file", "flood_rules", "corridor_rules"}
    for key in data:
        if key not in sections:
            _unknown(str(key), sections, path, str(key), warnings)
    if data.get("flood_rules") is not None:
        raise _err(path, "flood_rules", "flood rules (DFlee) are not implemented by Flee 3.1 nor by Corridor",
                   "a scenario without flood_rules")
    for key, raw in _section(data, "corridor_rules", path).items():
        at = f"corridor_rules.{key}"
        if key not in CORRECTIONS:
            raise _err(path, at, f"unknown rule {key!r}", "one of " + ", ".join(CORRECTIONS))
        flee, fixed = CORRECTIONS[key]
        if raw not in (flee, fixed):
            raise _err(path, at, f"{raw!r} is not a choice", f"{flee} (Flee 3.1) or {fixed} (corrected)")
        values[key] = raw
    for key in _section(data, "log_levels", path):
        if key not in _LOG_KEYS:
            _unknown(str(key), _LOG_KEYS, path, f"log_levels.{key}", warnings)

    spawn = _section(data, "spawn_rules", path)
    spawn_known = set(_SPAWN) | {"conflict_driven_spawning", "conflict_spawn_decay", "flood_zone_spawning_only",
                                 "flood_driven_spawning"}
    for key, raw in spawn.items():
        at = f"spawn_rules.{key}"
        if key in _SPAWN:
            fname, kind, lo, hi = _SPAWN[key]
            values[fname] = _value(raw, kind, lo, hi, path=path, at=at)
        elif key == "flood_zone_spawning_only":
            if _value(raw, "bool", None, None, path=path, at=at):
                raise _err(path, at, "flood-driven spawning (DFlee) is not implemented by Flee 3.1 nor by Corridor "
                           "(Flee 3.1 stops on it)", "false")
        elif key in ("flood_driven_spawning", "flood_driven_spawn_mode"):   # read only with the key above
            warnings.append(f"{path}: {at}: read by Flee 3.1 only with flood_zone_spawning_only; ignored as "
                            "Flee 3.1 does")
        elif key == "conflict_spawn_decay":
            if raw is None:
                values["conflict_spawn_decay"] = ()
            elif isinstance(raw, list):
                values["conflict_spawn_decay"] = tuple(
                    _value(v, "float", 0.0, None, path=path, at=f"{at}[{i}]") for i, v in enumerate(raw))
            else:
                raise _err(path, at, f"{raw!r} is not a list", "a list of multipliers, one per 30 days")
        elif key == "conflict_driven_spawning":
            if raw is None:
                continue
            if not isinstance(raw, dict):
                raise _err(path, at, f"{raw!r} is not a mapping", "spawn_mode and displaced_per_conflict_day")
            values["conflict_driven_spawning"] = True
            mode = str(raw.get("spawn_mode", "constant"))
            if mode not in ("constant", "pop_ratio") and mode.lower() != "poisson":   # Flee compares exactly
                raise _err(path, f"{at}.spawn_mode", f"unknown spawn mode {mode!r} (Flee 3.1 spawns nothing and "
                           "stops)", "constant, pop_ratio or Poisson, spelt so")
            if mode.lower() == "poisson" and values.get("poisson_spawning", "flee") == "flee":
                raise _err(path, f"{at}.spawn_mode", "Flee 3.1 compares the mode's lower case with 'Poisson', "
                           "never spawns and stops (UnboundLocalError)",
                           "constant or pop_ratio, or corridor_rules.poisson_spawning: drawn (Poisson numbers)")
            values["conflict_spawn_mode"] = mode.lower()
            default = 0.01 if mode.lower() == "pop_ratio" else 500
            kind = "float" if mode.lower() == "pop_ratio" else "int"
            values["displaced_per_conflict_day"] = float(_value(
                raw.get("displaced_per_conflict_day", default), kind, 0, None, path=path,
                at=f"{at}.displaced_per_conflict_day"))
            for sub in raw:
                if sub not in ("spawn_mode", "displaced_per_conflict_day"):
                    _unknown(str(sub), {"spawn_mode", "displaced_per_conflict_day"}, path, f"{at}.{sub}", warnings)
        else:
            _unknown(str(key), spawn_known, path, at, warnings)

    move = _section(data, "move_rules", path)
    v1 = False
    for key, raw in move.items():
        at = f"move_rules.{key}"
        if key not in _MOVE:
            _unknown(str(key), set(_MOVE), path, at, warnings)
            continue
        fname, kind, lo, hi = _MOVE[key]
        val = _value(raw, kind, lo, hi, path=path, at=at)
        if key == "use_v1_rules":
            v1 = bool(val)
        elif fname is not None:
            values[fname] = val
    if values.get("camps_are_sinks_spelled"):
        if values.get("camps_as_sinks") == "read":
            values["camps_are_sinks"] = True
        else:
            warnings.append(f"{path}: spawn_rules.camps_are_sinks: Flee 3.1 reads only the misspelling "
                            "camps_are_sicks, so this is ignored as in Flee 3.1 (corridor_rules.camps_as_sinks: "
                            "read honours it)")
    if v1:   # Flee's "version 1" rule set overrides these five settings
        values.update(max_move_speed=200.0, start_on_foot=False, avoid_short_stints=False,
                      camp_weight=2.0, conflict_weight=0.25)

    opt = _section(data, "optimisations", path)
    for key, raw in opt.items():
        if key == "hasten":
            values["hasten"] = _value(raw, "int", 1, None, path=path, at="optimisations.hasten")
        else:
            _unknown(str(key), {"hasten"}, path, f"optimisations.{key}", warnings)
    return FleeSettings(**values, source=str(path), warnings=tuple(warnings), given=frozenset(values))


def load_settings(path: str | Path | None) -> FleeSettings:
    """Read a Flee ``simsetting.yml``; ``None`` gives Flee's defaults."""
    if path is None:
        return FleeSettings()
    path = Path(path)
    doc = read_yaml(path, DataError, what="a Flee simsetting.yml", repeated_keys="report")
    data = doc.data
    st = settings_from_dict(data, path=path)
    if doc.repeated:           # Flee's yaml.safe_load keeps the last value: so do we, and say so
        more = f" ({len(doc.repeated) - 1} more like it)" if len(doc.repeated) > 1 else ""
        st = replace(st, warnings=(f"{path}: {doc.repeated[0]} repeated; the last value is used, as in "
                                   f"Flee 3.1{more}", *st.warnings))
    return st
