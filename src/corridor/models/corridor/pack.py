"""The corridor model as a pack (:class:`corridor.packs.ModelPack`): what the commands see of it.

Its scenarios are Corridor scenario files (YAML, or a built-in name). Everything here goes
through the package's public names (``corridor.models.corridor``), so that the model's modules
can be reorganised behind them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.table import Table

from ... import packs
from ...analysis.free_parameters import FreeParameters, check_free_parameters
from ...errors import UserInputError
from ...evidence import Evidence, declared_evidence
from ...network import load_network
from ...params import Source, merge_value
from ...scenario.loader import Scenario, load_scenario
from ...scenario.schema import ParamOverride
from .. import corridor as model

__all__ = ["CorridorPack", "PACK"]

class CorridorPack:
    """Central America - Mexico - United States (docs/model.md)."""

    name = "corridor"
    table_indicators = ("entries_mexico", "detentions_mexico", "deportations_mexico", "victimizations",
                        "deaths", "asylum_applications_mexico", "asylum_grants_mexico",
                        "arrivals_us_border", "apprehensions_us", "waiting_south", "waiting_north")
    sensitivity_indicators = ("entries_mexico", "deportations_mexico", "victimizations", "deaths",
                              "apprehensions_us")

    @property
    def indicators(self) -> tuple:
        return tuple(model.INDICATORS)

    def recognises(self, arg: str | None) -> bool:
        """No argument (the default scenario), a built-in name, or a file: anything but a folder or a CSV."""
        if arg is None:
            return True
        p = Path(arg)
        return not p.is_dir() and p.suffix.lower() != ".csv"

    def load(self, arg: str | None, **options: Any) -> Scenario:
        if options:
            flag = "--" + next(iter(options)).replace("_", "-")
            raise UserInputError(f"{flag} applies to Flee scenario folders only", at=flag,
                                 expected="no such option for a scenario file")
        sc = load_scenario(arg)
        if sc.model != self.name:
            raise sc.error(f"the {sc.model} model does not read scenario files", "model",
                           f"model: {self.name} (a Flee scenario is given as its folder)")
        if sc.spec.free_parameters:
            # what each names is checked by every command, not only those that vary them, so a
            # mistake there never passes unnoticed (validate also builds the scenario at the bounds)
            FreeParameters(sc)
        return sc

    def build(self, scenario: Scenario, *, seed: int | None = None) -> Any:
        return model.build_simulation(scenario, seed=seed)

    def warm_up(self) -> None:
        from .warm import warm_up

        warm_up()

    def write_run(self, run: packs.FinishedRun, out: Path, *, plots: bool) -> dict[str, Path]:
        from ...results.store import write_run

        return write_run(run.result, out, plots=plots)

    def describe_run(self, run: packs.FinishedRun) -> list[Any]:
        summary = run.result.summary()
        years = list(summary["years"])
        table = Table(title=f"{summary['scenario']} (seed {summary['seed']}): totals by calendar year",
                      caption="waiting_*: mean number of people waiting per day")
        table.add_column("indicator")
        for y in years:
            days = summary["periods"][y]["days"]
            table.add_column(y + ("" if days >= 365 else f" ({days} d)"), justify="right")
        for name in self.table_indicators:
            table.add_row(name, *[f"{summary['years'][y][name]['total']:,}" for y in years])
        return [table]

    def validate(self, arg: str, **options: Any) -> list[str]:
        sc = self.load(arg, **options)
        sim = self.build(sc)
        lines = [f"{sc.name}: valid ({sim.n_ticks} days, {len(sc.spec.policies)} policies, "
                 f"{sim.network.n_locations} places, {sim.network.n_routes} routes)"]
        outside = sim.policies_outside_run
        if outside:
            lines.append(f"note: {len(outside)} policies fall outside the run and have no effect: "
                         + ", ".join(outside))
        if sc.spec.free_parameters:
            lines.append(check_free_parameters(sc))
        return lines

    def evidence(self, scenario: Scenario) -> Evidence:
        # looked up at call time, so the declared set is whatever the model declares now
        return declared_evidence(scenario, model.PARAM_SPECS, model.default_parameters())

    def parameter_space(self, scenario: Scenario) -> Any:
        from ...analysis.free_parameters import ParameterSpace

        spec = scenario.spec
        if not spec.free_parameters:
            raise scenario.error("the scenario declares no free parameters", "free_parameters",
                                 "a free_parameters: mapping (see docs/ensembles.md)")
        nodes, routes = (model.builtin_network_paths() if spec.network is None
                         else (Path(spec.network.nodes), Path(spec.network.routes)))
        net = load_network(nodes, routes)
        first_year = (spec.start - dt.timedelta(days=spec.spin_up_days)).year
        axes = model.parameter_axes(net, tuple(spec.nationalities), first_year, spec.end.year)
        defaults = model.default_parameters()
        prune = model.prune_defaults

        def base(name: str) -> Any:
            # the value a run starts from: the defaults this world has, with the scenario's keys merged in
            value = prune(defaults[name].value, model.PARAM_SPECS[name].dims, axes, net, False)
            over = spec.parameters.get(name)
            return value if over is None else merge_value(value, over.value)

        def with_values(values: Mapping[str, Any], source: Source | None) -> Scenario:
            params = dict(spec.parameters)
            for name, value in values.items():
                old = params.get(name)
                params[name] = ParamOverride(value=value, unit=old.unit if old else "",
                                             source=source or (old.source if old else None))
            return Scenario(spec.model_copy(update={"parameters": params}), scenario.path, scenario.chain,
                            scenario.provenance)

        def error(message: str, at: str, expected: str | None = None) -> UserInputError:
            return scenario.error(message, f"free_parameters.{at}", expected)

        return ParameterSpace(
            scenario=scenario, declared=spec.free_parameters, specs=model.PARAM_SPECS, axes=axes, base=base,
            fixed={n: "it holds places, not numbers" for n in model.LOCATION_VALUED},
            first_year=first_year, with_values=with_values, fitted_file=_fitted_yaml, error=error)


def _fitted_yaml(fitted: Scenario, note: str) -> tuple[str, str]:
    """``fitted.yaml``: the complete fitted scenario (not an ``extends`` of the original, whose
    parameters may be written in the shorthand form that cannot merge with the full one)."""
    import yaml

    doc = fitted.canonical()
    doc["name"] = f"{fitted.name}-fitted"
    doc["description"] = f"{fitted.name} {note} {doc.get('description', '')}".strip()
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
    return "fitted.yaml", f"# Written by `corridor calibrate` from {fitted.path or fitted.name}.\n" + text


PACK = CorridorPack()
