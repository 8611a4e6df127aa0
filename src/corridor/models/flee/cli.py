"""What ``corridor run DIR`` and ``corridor validate PATH`` do for Flee scenarios and outputs.

Kept here so that ``corridor/cli.py`` only dispatches: a folder argument to ``run`` is a
Flee scenario; a folder or ``.csv`` argument to ``validate`` is a Flee output (``out.csv``:
print the averaged relative difference) or a Flee scenario (check it without running).
Errors are ``UserInputError`` for the CLI to print as one line with exit status 2.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

__all__ = ["run_folder", "validate_path", "is_flee_path"]


def is_flee_path(arg: str | None) -> bool:
    """True for an argument the Flee pack handles: a folder, or a ``.csv`` file."""
    if arg is None:
        return False
    p = Path(arg)
    return p.is_dir() or p.suffix.lower() == ".csv"


def run_folder(folder: str, *, out: Path, settings: Path | None, seed: int | None, days: int | None,
               hasten: int | None, quiet: bool, out_console: Console, err_console: Console) -> None:
    from .model import load_flee_scenario
    from .output import run_flee, write_flee_run

    sc = load_flee_scenario(folder, settings=settings, hasten=hasten, days=days, seed=seed or 0)
    for w in sc.warnings:
        err_console.print(f"[yellow]warning:[/] {w}", highlight=False, soft_wrap=True)
    run = run_flee(sc)
    files = write_flee_run(run, out)
    if quiet:
        return
    table = Table(title=f"{sc.name} (Flee rules, seed {sc.seed}, hasten {sc.settings.hasten}): "
                        f"camps on day {sc.n_days - 1}")
    for col in ("camp", "simulated", "observed"):
        table.add_column(col, justify="left" if col == "camp" else "right")
    for j, camp in enumerate(run.camps):
        table.add_row(camp, f"{int(run.sim[-1, j]):,}", f"{int(run.obs[-1, j]):,}")
    out_console.print(table)
    m = run.result.meta
    out_console.print(f"averaged relative difference {run.ard.plain:.3f} (rescaled {run.ard.rescaled:.3f}); "
                      f"{sc.n_days} days, {m['agents_created']:,} agents, {run.seconds:.2f} s; "
                      f"outputs in [bold]{out}[/]: " + ", ".join(sorted(files)), highlight=False, soft_wrap=True)


def validate_path(arg: str, *, settings: Path | None, out_console: Console, err_console: Console) -> None:
    from .layout import is_flee_folder
    from .metric import ard_from_out_csv
    from .model import load_flee_scenario

    p = Path(arg)
    if p.suffix.lower() == ".csv" or (p.is_dir() and (p / "out.csv").is_file() and not is_flee_folder(p)):
        ard = ard_from_out_csv(p)
        out_console.print(f"{p}: averaged relative difference {ard.plain:.4f}, rescaled {ard.rescaled:.4f} "
                          f"({ard.days} days, {len(ard.camps)} camps: {', '.join(ard.camps)})",
                          highlight=False, soft_wrap=True)
        return
    sc = load_flee_scenario(p, settings=settings)
    for w in sc.warnings:
        err_console.print(f"[yellow]warning:[/] {w}", highlight=False, soft_wrap=True)
    n_camps = sum(1 for loc in sc.locations if loc.kind in ("camp", "idpcamp"))
    out_console.print(f"{sc.name}: valid Flee scenario ({sc.n_days} days from {sc.period.start}, "
                      f"{len(sc.locations)} locations, {len(sc.routes)} routes, {n_camps} camps, "
                      f"{len(sc.closures)} closures; settings: {sc.layout.settings or 'Flee defaults'})",
                      highlight=False, soft_wrap=True)
