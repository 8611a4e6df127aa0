"""The ``corridor`` command: a thin layer over the library.

User mistakes (a bad scenario, a missing file) are printed as one line naming the
file, key path and what was expected, with exit status 2 and no traceback.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from . import __version__

try:                   # recent typer carries its own copy of click
    from typer._click.exceptions import UsageError as _UsageError
except ImportError:    # pragma: no cover - older typer uses click itself
    from click.exceptions import UsageError as _UsageError
from .errors import UserInputError
from .results.atomic import check_out_dir, check_writable_file, write_text_atomic

app = typer.Typer(add_completion=False, no_args_is_help=False, pretty_exceptions_enable=False,
                  help="Corridor: agent-based simulation of migration corridors under policy scenarios.")
out_console = Console()
err_console = Console(stderr=True)

#: ``--connect-timeout`` of the commands that can use a Dask scheduler (a finite number of seconds).
ConnectTimeout = Annotated[float, typer.Option(min=0.1, max=3600.0, help="Seconds to wait for the scheduler.")]


def _default_out(command: str, scenario_name: str) -> Path:
    """``runs/COMMAND-NAME``, the name reduced to characters safe in a folder name (a scenario's
    name is free text: "../x" must not lead out of runs/)."""
    safe = re.sub(r"[^A-Za-z0-9_-]+", "_", scenario_name).strip("_") or "scenario"
    return Path("runs") / f"{command}-{safe}"


def _fail(exc: UserInputError) -> None:
    err_console.print(f"[bold red]error:[/] {exc.one_line()}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def _version(value: bool) -> None:
    if value:
        out_console.print(f"corridor {__version__}")
        raise typer.Exit()


@app.callback()
def _main(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Show the version and exit.")] = False) -> None:
    """Corridor: agent-based simulation of migration corridors under policy scenarios."""


def _load(arg: str | None, **options: object):
    """A scenario of whichever model pack reads ``arg``; its warnings printed (pack options
    left at None are not given)."""
    from . import packs

    sc = packs.load_any(arg, **options)
    for w in getattr(sc, "warnings", ()):
        err_console.print(f"[yellow]warning:[/] {w}", highlight=False, soft_wrap=True)
    return sc


@app.command()
def run(
    scenario: Annotated[str | None, typer.Argument(
        help="Scenario YAML file, built-in name or Flee scenario folder (default: the 2010-2011 "
             "corridor).")] = None,
    seed: Annotated[int | None, typer.Option(min=0, max=2**63 - 1,
                                             help="Root random seed (overrides the scenario's).")] = None,
    out: Annotated[str, typer.Option(help="Output folder.")] = "runs/latest",
    plots: Annotated[bool, typer.Option(help="Write PNG plots.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or table.")] = False,
    settings: Annotated[Path | None, typer.Option(
        help="Flee scenarios: simsetting.yml (default: the one in DIR).")] = None,
    days: Annotated[int | None, typer.Option(
        min=1, help="Flee scenarios: days to simulate (default: sim_period.csv).")] = None,
    hasten: Annotated[int | None, typer.Option(min=1, help="Flee scenarios: population scale-down factor.")] = None,
) -> None:
    """Run a scenario and write per-day indicators, summary.json, plots and a registry entry.

    SCENARIO may also be a Flee scenario folder (see docs/flee.md): it is run with Flee's rules
    and out.csv is written beside the usual results."""
    from . import packs
    from .results.run import run_to_end

    try:
        sc = _load(scenario, settings=settings, days=days, hasten=hasten)
        out_dir = check_out_dir(out)
        pack = packs.for_scenario(sc)
        with err_console.status("loading the compiled kernels (the first run after installing compiles "
                                "them: about a minute on two cores)"):
            pack.warm_up()
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                      TextColumn("{task.completed}/{task.total} days"),
                      TimeElapsedColumn(), TimeRemainingColumn(), console=err_console,
                      disable=quiet, transient=False) as bar:
            task = bar.add_task(f"{sc.name}", total=None)

            def progress(done: int, total: int) -> None:
                if done == 1 or done % 10 == 0 or done == total:
                    bar.update(task, completed=done, total=total)

            finished = run_to_end(sc, seed=seed, progress=progress)
        files = pack.write_run(finished, out_dir, plots=plots)
    except UserInputError as exc:
        _fail(exc)
        return
    if not quiet:
        for item in pack.describe_run(finished):
            out_console.print(item, highlight=False, soft_wrap=isinstance(item, str))
        m = finished.result.meta
        out_console.print(f"{m['days_simulated']} days, {m['agents_created']:,} agents, "
                          f"{m['run_seconds']:.1f} s; outputs in [bold]{out}[/]: "
                          + ", ".join(sorted(files)), highlight=False, soft_wrap=True)


@app.command()
def schema(out: Annotated[str | None, typer.Option(help="Write to this file instead of stdout.")] = None) -> None:
    """Print the JSON Schema of scenario files."""
    from .scenario.schema import ScenarioFile

    text = json.dumps(ScenarioFile.model_json_schema(), indent=2)
    if out is None:
        sys.stdout.write(text + "\n")
        return
    try:
        write_text_atomic(out, text + "\n", option="--out")
    except UserInputError as exc:
        _fail(exc)


@app.command()
def scenarios() -> None:
    """List the built-in scenarios."""
    from .scenario.loader import builtin_scenarios, load_scenario

    table = Table(title="Built-in scenarios")
    table.add_column("name")
    table.add_column("period")
    table.add_column("description")
    for name, path in builtin_scenarios().items():
        sc = load_scenario(path)
        table.add_row(name, f"{sc.spec.start} to {sc.spec.end}", sc.spec.description.strip())
    out_console.print(table)


@app.command()
def validate(
    scenario: Annotated[str, typer.Argument(help="Scenario YAML file or built-in name; or a Flee scenario "
                                                  "folder, or a Flee output folder / out.csv.")],
    settings: Annotated[Path | None, typer.Option(help="Flee scenarios: simsetting.yml.")] = None,
    days: Annotated[int | None, typer.Option(min=1, help="Flee scenarios: days to run (default: the length "
                                                         "in sim_period.csv).")] = None,
    hasten: Annotated[int | None, typer.Option(min=1, help="Flee scenarios: population scale-down factor.")] = None,
) -> None:
    """Check a scenario (schema, places, parameters, policies) without running it.

    For a Flee output folder or out.csv, print the averaged relative difference (plain and
    rescaled) against the observed data; for a Flee scenario folder, check its files."""
    from . import packs

    try:
        options = {k: v for k, v in (("settings", settings), ("days", days), ("hasten", hasten)) if v is not None}
        lines = packs.for_arg(scenario).validate(scenario, **options)
    except UserInputError as exc:
        _fail(exc)
        return
    for line in lines:
        out_console.print(line, highlight=False, soft_wrap=True)


def _split(values: list[str] | None) -> list[str]:
    """Values of a repeatable option, each possibly comma-separated."""
    return [v.strip() for text in values or [] for v in text.split(",") if v.strip()]


@app.command()
def compare(
    a: Annotated[str, typer.Argument(help="Scenario A, the reference: a YAML file, a built-in name or a "
                                          "Flee scenario folder.")],
    b: Annotated[str, typer.Argument(help="Scenario B, of the same model as A.")],
    n: Annotated[int, typer.Option("-n", "--replications", min=1,
                                   help="Paired members: A and B each run once per member seed.")] = 10,
    seed: Annotated[int | None, typer.Option(min=0, max=2**63 - 1,
                                             help="Root seed the member seeds are spawned from "
                                                  "(default: A's seed).")] = None,
    out: Annotated[str, typer.Option(help="Output folder.")] = "runs/compare",
    indicators: Annotated[list[str] | None, typer.Option(
        help="Indicators to report (repeat or comma-separate; default: all).")] = None,
    years: Annotated[list[str] | None, typer.Option(
        help="Calendar years to report (repeat or comma-separate; default: all).")] = None,
    scale: Annotated[float | None, typer.Option(
        help="population_scale for both scenarios, in [1e-6, 100] (default: each scenario's own).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Worker processes (default: one per CPU). "
                                                            "Results do not depend on it.")] = None,
    level: Annotated[float, typer.Option(help="Level of the intervals.")] = 0.90,
    plots: Annotated[bool, typer.Option(help="Write compare.png.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or table.")] = False,
) -> None:
    """Compare two scenarios over the same seeds: B - A by indicator, year and nationality."""
    from . import packs
    from .compare import compare_scenarios, write_comparison

    try:
        year_list = []
        for y in _split(years):
            if not y.isdigit():
                raise UserInputError(f"{y!r} is not a year", at="--years", expected="a year such as 2010")
            year_list.append(int(y))
        sa, sb = _load(a), _load(b)
        out_dir = check_out_dir(out)
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                      TextColumn("{task.completed}/{task.total} runs"),
                      TimeElapsedColumn(), TimeRemainingColumn(), console=err_console,
                      disable=quiet, transient=False) as bar:
            task = bar.add_task(f"{sa.name} vs {sb.name}", total=2 * n)
            result = compare_scenarios(sa, sb, n=n, root_seed=seed, workers=workers, scale=scale,
                                       indicators=_split(indicators) or None, years=year_list or None,
                                       level=level,
                                       progress=lambda done, total: bar.update(task, completed=done))
        files = write_comparison(result, out_dir, plots=plots)
    except UserInputError as exc:
        _fail(exc)
        return
    if not quiet:
        shown = _split(indicators) or [r for r in packs.for_scenario(sa).table_indicators if r in result.indicators]
        _print_comparison(result, shown)
        out_console.print(f"{result.n} members x 2 runs, {result.meta['workers']} workers, "
                          f"{result.meta['wall_seconds']:.1f} s; outputs in [bold]{out}[/]: "
                          + ", ".join(sorted(files)))


def _print_comparison(cmp, shown: list[str]) -> None:
    st = cmp.stats()
    pct = f"{100 * cmp.level:g}%"
    table = Table(title=f"B - A: {cmp.b['name']} minus {cmp.a['name']}, totals "
                        f"({cmp.n} paired members, root seed {cmp.root_seed})",
                  caption=f"mean over members; interval: {pct} t interval of the mean difference "
                          "(docs/compare.md); stocks: mean people per day")
    for col in ("indicator", "year"):
        table.add_column(col)
    for col in ("A", "B", "B - A", f"{pct} interval", "change"):
        table.add_column(col, justify="right")
    for name in shown:
        i = cmp.indicators.index(name)
        flow = cmp.kinds[i] == "flow"

        def f(x: float, flow: bool = flow) -> str:
            return "-" if x != x else (f"{x:,.0f}" if flow else f"{x:,.1f}")

        for j, year in enumerate(cmp.years):
            days = cmp.periods[str(year)]["days"]
            a_mean, d = st["a_mean"][i, j, 0], st["diff_mean"][i, j, 0]
            change = f"{100 * d / a_mean:+.1f}%" if a_mean else "-"
            table.add_row(name, f"{year}" + ("" if days >= 365 else f" ({days} d)"), f(a_mean),
                          f(st["b_mean"][i, j, 0]), f(d),
                          f"{f(st['ci_low'][i, j, 0])} to {f(st['ci_high'][i, j, 0])}", change)
    out_console.print(table)


@app.command()
def evidence(
    scenario: Annotated[str | None, typer.Argument(
        help="Scenario YAML file, built-in name or Flee scenario folder (default: the 2010-2011 "
             "corridor).")] = None,
    json_out: Annotated[str | None, typer.Option(
        "--json", help="Also write everything as JSON to this file ('-': to stdout, no table).")] = None,
) -> None:
    """List every parameter in force and every policy of a scenario, with its source."""
    from .evidence import compact, scenario_evidence

    try:
        ev = scenario_evidence(_load(scenario))
        if json_out is not None and json_out != "-":
            ev.write_json(json_out)
    except UserInputError as exc:
        _fail(exc)
        return
    if json_out == "-":
        sys.stdout.write(json.dumps(ev.to_json(), indent=2, ensure_ascii=False) + "\n")
        return
    table = Table(title=f"{ev.scenario}: parameters in force and their sources",
                  caption="values as given (a scenario's keys merged into the default); "
                          "--json for full values")
    table.add_column("parameter", no_wrap=True)
    table.add_column("value", max_width=36, overflow="fold")
    table.add_column("unit", max_width=16)
    table.add_column("source", max_width=24)
    table.add_column("reference", ratio=2, overflow="fold")
    table.add_column("note", ratio=3, overflow="fold")
    for p in ev.parameters:
        where = Path(p.file).name
        source = p.kind if p.origin == "default" else f"{p.kind} ({where})"
        table.add_row(p.name, compact(p.value, 48), p.unit, source, p.ref, p.note)
    out_console.print(table)
    if ev.policies:
        pt = Table(title=f"{ev.scenario}: policies")
        pt.add_column("policy", max_width=30, overflow="fold")
        pt.add_column("window", no_wrap=True)
        pt.add_column("changes", ratio=2, overflow="fold")
        pt.add_column("source", ratio=3, overflow="fold")
        pt.add_column("file", max_width=30, overflow="fold")
        for pol in ev.policies:
            pt.add_row(pol.name, pol.window, "\n".join(pol.changes) or "-", pol.source_text,
                       Path(pol.file).name if pol.file else "")
        out_console.print(pt)
    else:
        out_console.print(f"{ev.scenario}: no policies")


def _analysis_bar(quiet: bool, unit: str) -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                    TextColumn("{task.completed}/{task.total} " + unit),
                    TimeElapsedColumn(), TimeRemainingColumn(), console=err_console,
                    disable=quiet, transient=True)    # gone when done: the summary follows, or one error line


_SCHEDULER_HELP = ("Dask scheduler address (tcp://HOST:8786) or scheduler file; default: a local "
                   "process pool. Results do not depend on it.")


@app.command()
def ensemble(
    scenario: Annotated[str | None, typer.Argument(
        help="Scenario YAML file, built-in name or Flee scenario folder (default: the 2010-2011 "
             "corridor).")] = None,
    n: Annotated[int, typer.Option("-n", "--members", min=1, help="Number of replications.")] = 10,
    seed: Annotated[int | None, typer.Option(min=0, max=2**63 - 1, help="Root seed the member seeds "
                                             "are spawned from (default: the scenario's).")] = None,
    scale: Annotated[float | None, typer.Option(help="population_scale of the runs, in [1e-6, 100] "
                                                "(default: the scenario's).")] = None,
    out: Annotated[str | None, typer.Option(
        help="Ensemble folder (default: runs/ensemble-NAME); re-running resumes it.")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Local worker processes (default: one "
                                                "per CPU; 1: in this process).")] = None,
    scheduler: Annotated[str | None, typer.Option(help=_SCHEDULER_HELP)] = None,
    connect_timeout: ConnectTimeout = 10.0,
    plots: Annotated[bool, typer.Option(help="Write bands.png.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or table.")] = False,
) -> None:
    """Run N replications from spawned seeds; write quantile bands by day, month and year."""
    from . import packs
    from .analysis.ensemble import run_ensemble

    try:
        sc = _load(scenario).with_scale(scale)
        folder = check_out_dir(out if out is not None else _default_out("ensemble", sc.name))
        with _analysis_bar(quiet, "members") as bar:
            task = bar.add_task(sc.name, total=n)
            res = run_ensemble(sc, n, folder, root_seed=seed, workers=workers, scheduler=scheduler,
                               timeout=connect_timeout, plots=plots,
                               progress=lambda done, total: bar.update(task, completed=done))
    except UserInputError as exc:
        _fail(exc)
        return
    if not quiet:
        table = Table(title=f"{res.scenario}: {res.n} members (root seed {res.root_seed}), calendar years",
                      caption="median [5% to 95%]; stocks: mean people per day")
        table.add_column("indicator")
        rows = [r for r in res.yearly.to_pylist() if r["calendar"] == "year" and r["nationality"] == "total"]
        periods = list(dict.fromkeys(r["period"] for r in rows))
        days = {r["period"]: r["days"] for r in rows}
        for p in periods:
            table.add_column(p + ("" if days[p] >= 365 else f" ({days[p]} d)"), justify="right")
        cell = {(r["indicator"], r["period"]): r for r in rows}
        for name in packs.for_scenario(sc).table_indicators:
            if (name, periods[0]) in cell:
                table.add_row(name, *[f"{cell[name, p]['q50']:,.0f} [{cell[name, p]['q05']:,.0f} to "
                                      f"{cell[name, p]['q95']:,.0f}]" for p in periods])
        out_console.print(table)
        out_console.print(f"{res.computed} members run, {res.reused} found on disk, {res.seconds:.1f} s on "
                          f"{res.backend}; outputs in [bold]{res.out}[/]: " + ", ".join(sorted(res.files)))


@app.command()
def calibrate(
    scenario: Annotated[str, typer.Argument(help="Scenario YAML file (with free_parameters), built-in name, or "
                                                 "Flee scenario folder (with free_parameters.yml).")],
    targets: Annotated[Path, typer.Option(help="CSV of observed values: indicator, year or fiscal_year or "
                                               "month or date, nationality, value[, sd].")],
    trials: Annotated[int, typer.Option(min=1, help="Model evaluations (Optuna trials).")] = 100,
    batch: Annotated[int, typer.Option(min=1, help="Trials proposed and run in parallel at a time.")] = 8,
    replicates: Annotated[int, typer.Option(min=1, help="Runs averaged per trial.")] = 1,
    seed: Annotated[int | None, typer.Option(min=0, max=2**63 - 1, help="Seed of the runs and the "
                                             "sampler (default: the scenario's).")] = None,
    scale: Annotated[float | None, typer.Option(help="population_scale of the runs, in [1e-6, 100] "
                                                "(default: the scenario's).")] = None,
    out: Annotated[str | None, typer.Option(help="Output folder (default: runs/calibrate-NAME).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Local worker processes (default: one per CPU).")] = None,
    scheduler: Annotated[str | None, typer.Option(help=_SCHEDULER_HELP)] = None,
    connect_timeout: ConnectTimeout = 10.0,
    plots: Annotated[bool, typer.Option(help="Write fit.png.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or table.")] = False,
) -> None:
    """Fit the scenario's free parameters to observed series (Optuna); write a fitted scenario."""
    from .analysis.calibrate import calibrate as fit
    from .analysis.calibrate import load_targets, write_calibration

    try:
        sc = _load(scenario).with_scale(scale)
        tg = load_targets(targets, sc)
        folder = check_out_dir(out if out is not None else _default_out("calibrate", sc.name))
        with _analysis_bar(quiet, "trials") as bar:
            task = bar.add_task(f"calibrating {sc.name}", total=trials)
            res = fit(sc, tg, trials=trials, batch=batch, replicates=replicates, seed=seed, workers=workers,
                      scheduler=scheduler, timeout=connect_timeout,
                      progress=lambda done, total: bar.update(task, completed=done))
        files = write_calibration(res, sc, folder, targets_file=targets, plots=plots)
    except UserInputError as exc:
        _fail(exc)
        return
    if quiet:
        return
    pt = Table(title=f"{res.scenario}: fitted free parameters (best of {len(res.trials)} trials)")
    for col in ("name", "parameter", "bounds", "before", "fitted"):
        pt.add_column(col, justify="right" if col in ("before", "fitted") else "left")
    for p in res.free:
        pt.add_row(p["name"], p["parameter"] + (f"[{p['key']}]" if p["key"] else "") +
                   (" x" if p["mode"] == "scale" else ""), f"{p['low']:g} to {p['high']:g} ({p['prior']})",
                   "-" if p["initial"] is None else f"{p['initial']:.4g}", f"{p['fitted']:.4g}")
    out_console.print(pt)
    ft = Table(title="fit against each target", caption="z = (fitted - observed) / sd")
    for col in ("target", "observed", "sd", "before", "fitted", "z"):
        ft.add_column(col, justify="left" if col == "target" else "right")
    for i, t in enumerate(res.targets):
        before = "-" if res.initial is None else f"{res.initial[i]:,.0f}"
        ft.add_row(t.label(), f"{t.value:,.0f}", f"{t.sd:,.0f}", before, f"{res.fitted[i]:,.0f}",
                   f"{(res.fitted[i] - t.value) / t.sd:+.2f}")
    out_console.print(ft)
    before = "" if res.initial_loss is None else f"{res.initial_loss:.4g} before, "
    out_console.print(f"loss {before}{res.best_loss:.4g} fitted; {res.seconds:.1f} s on {res.backend}; "
                      f"outputs in [bold]{folder}[/]: " + ", ".join(sorted(files)))


@app.command()
def sensitivity(
    scenario: Annotated[str, typer.Argument(help="Scenario YAML file (with free_parameters), built-in name, or "
                                                 "Flee scenario folder (with free_parameters.yml).")],
    method: Annotated[str, typer.Option(help="morris (elementary effects) or sobol (variance-based).")] = "morris",
    n: Annotated[int | None, typer.Option("-n", min=1, help="Morris trajectories (default 10) or Sobol base "
                                          "samples, a power of two (default 32).")] = None,
    indicator: Annotated[list[str] | None, typer.Option(
        help="Indicators to analyse (repeat or comma-separate; default: the model's own choice: for the "
             "corridor entries_mexico, deportations_mexico, victimizations, deaths, apprehensions_us; for "
             "Flee arrivals, agents).")] = None,
    period: Annotated[str | None, typer.Option(help="2010, FY2010, 2010-03 or 2010-03-15 (default: the "
                                               "whole reported period).")] = None,
    nationality: Annotated[str | None, typer.Option(help="A code or codes joined by + (default: all).")] = None,
    seed: Annotated[int | None, typer.Option(min=0, max=2**63 - 1, help="Seed of the runs and the "
                                             "sampling (default: the scenario's).")] = None,
    scale: Annotated[float | None, typer.Option(help="population_scale of the runs, in [1e-6, 100] "
                                                "(default: the scenario's).")] = None,
    out: Annotated[str | None, typer.Option(help="Output folder (default: runs/sensitivity-NAME).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Local worker processes (default: one per CPU).")] = None,
    scheduler: Annotated[str | None, typer.Option(help=_SCHEDULER_HELP)] = None,
    connect_timeout: ConnectTimeout = 10.0,
    plots: Annotated[bool, typer.Option(help="Write sensitivity.png.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or table.")] = False,
) -> None:
    """Global sensitivity (SALib) of indicators to the scenario's free parameters, ranked."""
    from .analysis.sensitivity import outputs_for, write_sensitivity
    from .analysis.sensitivity import sensitivity as analyse

    try:
        sc = _load(scenario).with_scale(scale)
        outputs = outputs_for(sc, _split(indicator) or None, period, nationality)
        folder = check_out_dir(out if out is not None else _default_out("sensitivity", sc.name))
        with _analysis_bar(quiet, "runs") as bar:
            task = bar.add_task(f"{method} on {sc.name}", total=None)
            res = analyse(sc, outputs, method=method, n=n, seed=seed, workers=workers, scheduler=scheduler,
                          timeout=connect_timeout,
                          progress=lambda done, total: bar.update(task, completed=done, total=total))
        files = write_sensitivity(res, folder, plots=plots)
    except UserInputError as exc:
        _fail(exc)
        return
    if quiet:
        return
    index = "ST" if res.method == "sobol" else "mu*"
    table = Table(title=f"{res.scenario}: {res.method} sensitivity, {res.runs} runs ({index} per output)",
                  caption="rank: mean over outputs of the index / the output's largest index")
    table.add_column("rank", justify="right")
    table.add_column("parameter")
    for o in res.outputs:
        table.add_column(o["output"], justify="right")
    for k, r in enumerate(res.ranking, start=1):
        table.add_row(str(k), r["label"], *[
            "-" if r["index"][o["output"]] is None else
            (f"{r['index'][o['output']]:.3f}" if res.method == "sobol" else
             f"{r['index'][o['output']]:.3g}" if r["index"][o["output"]] < 10 else f"{r['index'][o['output']]:,.0f}")
            for o in res.outputs])
    out_console.print(table)
    out_console.print(f"{res.seconds:.1f} s on {res.backend}; outputs in [bold]{folder}[/]: "
                      + ", ".join(sorted(files)))


@app.command()
def claims(
    claim: Annotated[list[str] | None, typer.Argument(
        help="Claims to answer (default: all; `corridor claims --list` shows them).")] = None,
    n: Annotated[int, typer.Option("-n", min=2, help="Paired replications per comparison.")] = 5,
    scale: Annotated[float, typer.Option(min=0.001, max=100.0, help="Population scale of the runs.")] = 0.05,
    seed: Annotated[int, typer.Option(min=0, max=2**63 - 1, help="Root seed of the replications.")] = 1,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    no_sensitivity: Annotated[bool, typer.Option("--no-sensitivity", help="Skip the assumption probes.")] = False,
    json_out: Annotated[str | None, typer.Option("--json", help="Write the answers as JSON.")] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the claims and exit.")] = False,
) -> None:
    """Answer the source articles' claims: policy on vs off, with uncertainty and sensitivity."""
    from .claims import CLAIMS, answer_claim

    if list_:
        table = Table(title="Claims of the source articles")
        for col in ("claim", "seed", "statement", "scenario / policy"):
            table.add_column(col)
        for c in CLAIMS.values():
            table.add_row(c.key, c.seed, c.statement, f"{c.scenario} / {c.policy}")
        out_console.print(table)
        return
    keys = claim or list(CLAIMS)
    answers = []
    try:
        if json_out is not None:
            check_writable_file(json_out, option="--json")
        for key in keys:
            with err_console.status(f"answering {key} ...") as status:
                answers.append(answer_claim(key, n=n, scale=scale, root_seed=seed, workers=workers,
                                            sensitivity=not no_sensitivity,
                                            progress=lambda msg: status.update(msg)))
    except UserInputError as exc:
        _fail(exc)
        return
    for ans in answers:
        _print_claim(ans)
    if json_out is not None:
        try:
            write_text_atomic(json_out, json.dumps([a.to_json() for a in answers], indent=2) + "\n",
                              option="--json")
        except UserInputError as exc:
            _fail(exc)


def _print_claim(ans) -> None:
    c, r = ans.claim, ans.main
    out_console.print(f"\n[bold]{c.statement}[/] (seed {c.seed}; {c.scenario}, policy {c.policy})")
    out_console.print(f"  {r.label}: without {r.off:,.4g}, with {r.on:,.4g}; change {r.relative:+.1%} "
                      f"(90% interval {r.rel_low:+.1%} to {r.rel_high:+.1%}; n={ans.n}, scale {ans.scale:g})")
    out_console.print(f"  verdict: [bold]{r.verdict}[/] (supports = {c.reading})")
    if ans.sensitivity:
        table = Table(title="How the answer depends on its assumptions", show_lines=False)
        for col in ("assumption", "value", "change", "90% interval", "verdict"):
            table.add_column(col)
        for param, why, value, s in ans.sensitivity:
            table.add_row(f"{param} ({why})", str(value), f"{s.relative:+.1%}",
                          f"{s.rel_low:+.1%} to {s.rel_high:+.1%}", s.verdict)
        out_console.print(table)


@app.command("app")
def web_app(
    host: Annotated[str, typer.Option(help="Address to listen on. Anything but this machine (127.0.0.1, "
                                           "localhost, ::1) needs --token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: any free port).")] = 5006,
    token: Annotated[str | None, typer.Option(envvar="CORRIDOR_APP_TOKEN",
                                              help="Password of the page and bearer token of the API "
                                                   "(or CORRIDOR_APP_TOKEN).")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Runs at once (worker processes).")] = 2,
    queue: Annotated[int, typer.Option(min=1, max=10_000, help="Runs waiting or running at most; "
                                                              "beyond it the page says the queue is full.")] = 8,
    runs: Annotated[str, typer.Option(help="Folder of the app's runs and their registry.")] = "runs/app",
    show: Annotated[bool, typer.Option(help="Open the page in a browser.")] = False,
) -> None:
    """Start the web app: choose a period and policies, run, compare, map, evidence (docs/app.md)."""
    from .app.server import serve

    try:
        check_out_dir(runs)
        serve(host=host, port=port, token=token, workers=workers, capacity=max(queue, workers), runs_dir=runs,
              show=show, ready=lambda url: out_console.print(f"Corridor app: [bold]{url}[/] (Ctrl+C stops it)",
                                                             highlight=False, soft_wrap=True))
    except UserInputError as exc:
        _fail(exc)
    except KeyboardInterrupt:
        pass


def main(argv: list[str] | None = None) -> int:
    """The console script: run the command; a command-line mistake (an unknown option, a
    value out of range) is one line and exit status 2, like every other user mistake."""
    try:
        code = app(args=argv, prog_name="corridor", standalone_mode=False)
    except _UsageError as exc:
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        message = " ".join(exc.format_message().split())
        err_console.print(f"[bold red]error:[/] {message}{hint}", highlight=False, soft_wrap=True)
        return 2
    except typer.Abort:
        err_console.print("aborted", highlight=False)
        return 130
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
