"""The Flee model as a pack (:class:`corridor.packs.ModelPack`): a Flee folder is a scenario like any other.

A folder argument (or a ``.csv`` file, for ``validate``) is this pack's. What each command
sees of a Flee scenario:

* results: the indicators ``agents``, ``new_displaced``, ``arrivals`` per location, one
  breakdown key ``all``, reported over ``sim_period.csv``; population scale ``1 / hasten``;
* ``run`` writes Flee's ``out.csv`` and ``validation.json`` beside Corridor's files;
* ``evidence`` lists the rule settings in force, from ``simsetting.yml`` or Flee 3.1's defaults,
  and the closures of ``closures.csv`` as the scenario's policies;
* ``calibrate`` and ``sensitivity`` vary the numeric settings declared in the folder's
  ``free_parameters.yml`` (docs/flee.md) and write a fitted ``simsetting-fitted.yml``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from rich.table import Table

from ... import packs
from ...analysis.free_parameters import check_free_parameters
from ...errors import DataError, UserInputError
from ...evidence import Evidence, ParameterEvidence, PolicyEvidence
from ...params import ParamSpec, Source
from ...scenario.schema import FreeParameter
from ...user_files import read_yaml
from .closures import flee_link_closure_acts
from .layout import is_flee_folder
from .metric import ard_from_out_csv, is_forecast_out_csv
from .model import INDICATORS, FleeScenario, build_flee_simulation, load_flee_scenario
from .output import flee_run, write_flee_run
from .settings import RULES, FleeSettings, load_settings

__all__ = ["FleePack", "PACK", "FREE_PARAMETERS_FILE"]

#: Where a Flee folder declares its free parameters (beside simsetting.yml).
FREE_PARAMETERS_FILE = "free_parameters.yml"
DEFAULT_SOURCE = "Flee 3.1 default"

_UNITS = {"max_move_speed": "km/day", "max_walk_speed": "km/day", "softening": "km", "weight_softening": "km",
          "conflict_movechance": "probability/day", "camp_movechance": "probability/day",
          "idpcamp_movechance": "probability/day", "default_movechance": "probability/day",
          "capacity_buffer": "share of capacity", "awareness_level": "links", "displaced_per_conflict_day":
          "people/day", "movechance_pop_base": "people", "hasten": "people per agent",
          "conflict_spawn_decay": "multiplier per 30 days"}


class FleePack:
    """Flee 3.1's rules on Corridor's engine (docs/flee.md)."""

    name = "flee"
    indicators = INDICATORS
    table_indicators = ("new_displaced", "arrivals", "agents")
    sensitivity_indicators = ("arrivals", "agents")

    def recognises(self, arg: str | None) -> bool:
        """A folder (a Flee scenario, or an output folder with ``out.csv``) or a ``.csv`` file."""
        if arg is None:
            return False
        p = Path(arg)
        return p.is_dir() or p.suffix.lower() == ".csv"

    def load(self, arg: str | None, *, settings: str | Path | None = None, days: int | None = None,
             hasten: int | None = None) -> FleeScenario:
        if arg is None:
            raise DataError("no folder given", expected="a Flee scenario folder")
        return load_flee_scenario(arg, settings=settings, hasten=hasten, days=days)

    def build(self, scenario: Any, *, seed: int | None = None) -> Any:
        if not isinstance(scenario, FleeScenario):
            raise UserInputError("not a Flee scenario", where=getattr(scenario, "path", None),
                                 expected="a Flee scenario folder")
        return build_flee_simulation(scenario if seed is None else scenario.with_seed(seed))

    def warm_up(self) -> None:
        """Nothing to do: the compiled moves load on the first day."""

    def write_run(self, run: packs.FinishedRun, out: Path, *, plots: bool) -> dict[str, Path]:
        return write_flee_run(flee_run(run), out)   # Flee's outputs: out.csv, no plots

    def describe_run(self, run: packs.FinishedRun) -> list[Any]:
        fr = flee_run(run)
        sc: FleeScenario = run.scenario
        table = Table(title=f"{sc.name} (Flee rules, seed {sc.seed}, hasten {sc.settings.hasten}): "
                            f"camps on day {sc.n_days - 1}")
        for col in ("camp", "simulated", "observed"):
            table.add_column(col, justify="left" if col == "camp" else "right")
        for j, camp in enumerate(fr.camps):
            table.add_row(camp, f"{int(fr.sim[-1, j]):,}", "-" if fr.ard is None else f"{int(fr.obs[-1, j]):,}")
        if fr.ard is None:
            return [table, "a forecast: no observed data, nothing to compare with"]
        return [table, f"averaged relative difference {fr.ard.plain:.3f} (rescaled {fr.ard.rescaled:.3f})"]

    def validate(self, arg: str, *, settings: str | Path | None = None, **options: Any) -> list[str]:
        """An output (``out.csv`` or a folder holding one): its averaged relative difference;
        a scenario folder: its files checked, without running."""
        p = Path(arg)
        if p.suffix.lower() == ".csv" or (p.is_dir() and (p / "out.csv").is_file() and not is_flee_folder(p)):
            f = p / "out.csv" if p.is_dir() else p
            if is_forecast_out_csv(f):
                return [f"{p}: a forecast (out.csv has no observed data columns): nothing to compare with"]
            ard = ard_from_out_csv(p)
            return [f"{p}: averaged relative difference {ard.plain:.4f}, rescaled {ard.rescaled:.4f} "
                    f"({ard.days} days, {len(ard.camps)} camps: {', '.join(ard.camps)})"]
        sc = self.load(arg, settings=settings, **options)
        n_camps = sum(1 for loc in sc.locations if loc.kind in ("camp", "idpcamp"))
        warnings = [f"warning: {w}" for w in sc.warnings]
        if (sc.layout.root / FREE_PARAMETERS_FILE).is_file():
            warnings.append(check_free_parameters(sc))
        return warnings + [f"{sc.name}: valid Flee scenario ({sc.n_days} days from {sc.period.start}, "
                f"{len(sc.locations)} locations, {len(sc.routes)} routes, {n_camps} camps, "
                f"{len(sc.closures)} closures; settings: {sc.layout.settings or 'Flee defaults'})"
                + ("; a forecast: no observed data, nothing to validate against" if sc.forecast else "")]

    def evidence(self, scenario: FleeScenario) -> Evidence:
        st, defaults = scenario.settings, FleeSettings()
        where = scenario.layout.settings
        rows = []
        for name, value in st.in_force():
            rule = RULES.get(name)
            key = f"{rule.section}.{rule.key}" if rule else name
            common = dict(name=name, value=_plain(value), unit=_UNITS.get(name, ""), dims=(), doc=key,
                          default_value=_plain(getattr(defaults, name)))
            if name in st.given and where is not None:
                rows.append(ParameterEvidence(**common, kind="scenario", ref=f"{where.name}: {key}", note="",
                                              file=str(where), origin="scenario", scenario_value=_plain(value)))
            else:
                rows.append(ParameterEvidence(**common, kind="assumption", ref=DEFAULT_SOURCE,
                                              note="", file="",
                                              origin="default"))
        start = scenario.period.start
        policies = []
        for c in scenario.closures:
            what = {"country": "links between countries", "location": "every link of", "link": "the link",
                    "camp": "camp", "idpcamp": "IDP camp"}.get(c.kind, c.kind)
            note = ""
            if c.kind == "link" and scenario.settings.link_closures == "flee":
                note = (f"Flee 3.1's rule: closes only {c.name2}->{c.name1}" if flee_link_closure_acts(c.name1)
                        else "Flee 3.1's rule: closes nothing") + " (corridor_rules.link_closures)"
            policies.append(PolicyEvidence(
                name=f"{c.kind} {c.name1}-{c.name2}", start=str(start + dt.timedelta(days=c.start)),
                end=None if c.end < c.start else str(start + dt.timedelta(days=c.end)),
                changes=(f"close {what} {c.name1}" + ("" if c.kind in ("camp", "idpcamp", "location")
                                                       else f" and {c.name2}"),), parameters=(),
                kind="scenario", ref=f"{scenario.layout.closures.name} row {c.line}" if scenario.layout.closures
                else "", note=note, file=str(scenario.layout.closures or "")))
        return Evidence(scenario=scenario.name, file=str(scenario.path), chain=(str(scenario.path),),
                        scenario_hash=scenario.hash(), parameters=tuple(rows), policies=tuple(policies))

    def parameter_space(self, scenario: FleeScenario) -> Any:
        from ...analysis.free_parameters import ParameterSpace

        path = scenario.layout.root / FREE_PARAMETERS_FILE
        declared = read_free_parameters(path)
        specs = {name: ParamSpec(name, (), -float("inf") if r.low is None else r.low,
                                 float("inf") if r.high is None else r.high, _UNITS.get(name, ""))
                 for name, r in RULES.items()}
        why = {"bool": "it is true or false", "int": "it is a whole number", "choice": "it is a choice of rule"}
        fixed = {name: why[r.kind] for name, r in RULES.items() if r.kind != "float"}

        def with_values(values: Mapping[str, Any], source: Source | None) -> FleeScenario:
            return scenario.with_settings(**{k: float(v) for k, v in values.items()})

        def error(message: str, at: str, expected: str | None = None) -> UserInputError:
            return DataError(message, where=path, at=at, expected=expected)

        return ParameterSpace(scenario=scenario, declared=declared, specs=specs, axes={},
                              base=lambda name: getattr(scenario.settings, name), fixed=fixed,
                              first_year=scenario.period.start.year, with_values=with_values,
                              fitted_file=_fitted_settings, error=error)


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def read_free_parameters(path: Path) -> dict[str, FreeParameter]:
    """The entries of a folder's ``free_parameters.yml``: ``NAME: {parameter, mode, low, high, prior}``."""
    if not path.is_file():
        raise DataError("the scenario declares no free parameters", where=path,
                        expected="a free_parameters.yml beside simsetting.yml (docs/flee.md)")
    doc = read_yaml(path, DataError, what="a YAML mapping of free parameters")
    raw = doc.data
    if not isinstance(raw, dict) or not raw:
        raise DataError("no free parameters", where=path,
                        expected="a mapping NAME: {low: .., high: ..} of Flee settings")
    out = {}
    for name, entry in raw.items():
        try:
            fp = FreeParameter.model_validate(entry)
        except ValidationError as exc:
            e = exc.errors()[0]
            at = ".".join([str(name), *map(str, e["loc"])])
            raise DataError(e["msg"].removeprefix("Value error, "), where=path, at=at) from None
        if fp.key is not None:
            raise DataError("Flee settings are single numbers: no key", where=path, at=f"{name}.key",
                            expected="no key")
        out[str(name)] = fp
    return out


def _fitted_settings(fitted: FleeScenario, note: str) -> tuple[str, str]:
    """``simsetting-fitted.yml``: the folder's settings with the fitted values put in."""
    file = fitted.layout.settings
    doc = (yaml.safe_load(file.read_text(encoding="utf-8")) if file else None) or {}
    before = load_settings(file)
    for name, value in fitted.settings.in_force():
        rule = RULES.get(name)
        if rule is None or name == "hasten" or value == getattr(before, name):
            continue            # hasten is the run's scale (--scale), not a fitted rule
        section = doc.setdefault(rule.section, {})
        *path, key = rule.key.split(".")
        for part in path:
            section = section.setdefault(part, {})
        section[key] = value
    header = (f"# {fitted.name}: Flee settings {note}\n# Made from {file or DEFAULT_SOURCE + 's'}; run with "
              f"corridor run {fitted.path} --settings THIS_FILE\n")
    return "simsetting-fitted.yml", header + yaml.safe_dump(doc, sort_keys=False)


PACK = FleePack()
