"""The ``corridor`` command: a thin layer over the library.

User mistakes (a bad scenario, a missing file) are printed as one line naming the
file, key path and what was expected, with exit status 2 and no traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from . import __version__
from .errors import UserInputError

app = typer.Typer(add_completion=False, no_args_is_help=False, pretty_exceptions_enable=False,
                  help="Corridor: agent-based simulation of migration corridors under policy scenarios.")
out_console = Console()
err_console = Console(stderr=True)

SUMMARY_ROWS = ("entries_mexico", "detentions_mexico", "deportations_mexico", "victimizations",
                "deaths", "asylum_applications_mexico", "asylum_grants_mexico",
                "arrivals_us_border", "apprehensions_us", "waiting_south", "waiting_north")


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


@app.command()
def run(
    scenario: Annotated[str | None, typer.Argument(
        help="Scenario YAML file or built-in name (default: the 2010-2011 corridor).")] = None,
    seed: Annotated[int | None, typer.Option(min=0, max=2**63 - 1,
                                             help="Root random seed (overrides the scenario's).")] = None,
    out: Annotated[Path, typer.Option(help="Output folder.")] = Path("runs/latest"),
    plots: Annotated[bool, typer.Option(help="Write PNG plots.")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or table.")] = False,
) -> None:
    """Run a scenario and write per-day indicators, summary.json, plots and a registry entry."""
    from .results.run import run_scenario
    from .results.store import write_run
    from .scenario.loader import load_scenario

    try:
        sc = load_scenario(scenario)
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                      TextColumn("{task.completed}/{task.total} days"),
                      TimeElapsedColumn(), TimeRemainingColumn(), console=err_console,
                      disable=quiet, transient=False) as bar:
            task = bar.add_task(f"{sc.name}", total=None)

            def progress(done: int, total: int) -> None:
                if done == 1 or done % 10 == 0 or done == total:
                    bar.update(task, completed=done, total=total)

            result = run_scenario(sc, seed=seed, progress=progress)
        files = write_run(result, out, plots=plots)
    except UserInputError as exc:
        _fail(exc)
        return
    if not quiet:
        _print_summary(result.summary())
        m = result.meta
        out_console.print(f"{m['days_simulated']} days, {m['agents_created']:,} agents, "
                          f"{m['run_seconds']:.1f} s; outputs in [bold]{out}[/]: "
                          + ", ".join(sorted(files)))


def _print_summary(summary: dict) -> None:
    years = list(summary["years"])
    table = Table(title=f"{summary['scenario']} (seed {summary['seed']}): totals by calendar year",
                  caption="waiting_*: mean number of people waiting per day")
    table.add_column("indicator")
    for y in years:
        days = summary["periods"][y]["days"]
        table.add_column(y + ("" if days >= 365 else f" ({days} d)"), justify="right")
    for name in SUMMARY_ROWS:
        table.add_row(name, *[f"{summary['years'][y][name]['total']:,}" for y in years])
    out_console.print(table)


@app.command()
def schema(out: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None) -> None:
    """Print the JSON Schema of scenario files."""
    from .scenario.schema import ScenarioFile

    text = json.dumps(ScenarioFile.model_json_schema(), indent=2)
    if out is None:
        sys.stdout.write(text + "\n")
    else:
        out.write_text(text + "\n")


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
def validate(scenario: Annotated[str, typer.Argument(help="Scenario YAML file or built-in name.")]) -> None:
    """Check a scenario (schema, places, parameters, policies) without running it."""
    from .models.corridor import build_simulation
    from .scenario.loader import load_scenario

    try:
        sc = load_scenario(scenario)
        sim = build_simulation(sc)
    except UserInputError as exc:
        _fail(exc)
        return
    out_console.print(f"{sc.name}: valid ({sim.n_ticks} days, {len(sc.spec.policies)} policies, "
                      f"{sim.network.n_locations} places, {sim.network.n_routes} routes)")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
