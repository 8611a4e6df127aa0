"""Where the files of a Flee scenario folder are.

Two layouts are accepted, as FabFlee and Flee's own test data lay them out:

* ``DIR/input_csv/`` (locations, routes, closures, conflicts, period, corrections) and
  ``DIR/source_data/`` (``data_layout.csv`` and the observed series), with
  ``DIR/simsetting.yml``;
* flat: the input CSVs directly in ``DIR``, the observed series in ``DIR/source_data/``,
  ``DIR/refugee_data/`` or ``DIR`` itself, and ``simsetting.yml`` in ``DIR``.

The simulation period is ``sim_period.csv`` or, in older scenarios, ``conflict_period.csv``.
A folder with no data folder (``source_data/``, ``refugee_data/``) and no ``data_layout.csv``
is a forecast scenario (``data_dir`` is None): it runs, and there is nothing to validate
against. A data folder without ``data_layout.csv`` is an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ...errors import DataError

__all__ = ["FleeLayout", "find_layout", "is_flee_folder"]


@dataclass(frozen=True)
class FleeLayout:
    root: Path
    input_dir: Path
    locations: Path
    routes: Path
    period: Path
    data_dir: Path | None                # folder holding data_layout.csv; None: a forecast
    closures: Path | None = None
    conflicts: Path | None = None
    corrections: Path | None = None
    agents: Path | None = None
    settings: Path | None = None         # None: Flee's defaults


def _input_dir(root: Path) -> Path | None:
    for cand in (root / "input_csv", root):
        if (cand / "locations.csv").is_file():
            return cand
    return None


def is_flee_folder(path: str | Path) -> bool:
    """True if ``path`` is a folder with a Flee ``locations.csv`` (flat or in ``input_csv/``)."""
    p = Path(path)
    return p.is_dir() and _input_dir(p) is not None


def _first(*cands: Path) -> Path | None:
    for c in cands:
        if c.is_file():
            return c
    return None


def find_layout(root: str | Path, *, settings: str | Path | None = None,
                data_dir: str | Path | None = None) -> FleeLayout:
    """Locate the files of the Flee scenario in ``root``; raise ``DataError`` if one is missing."""
    root = Path(root)
    if not root.is_dir():
        raise DataError("not a folder", where=root, expected="a Flee scenario folder")
    inp = _input_dir(root)
    if inp is None:
        raise DataError("no locations.csv", where=root,
                        expected="a Flee scenario folder with locations.csv (flat or in input_csv/)")
    routes = inp / "routes.csv"
    if not routes.is_file():
        raise DataError("file is missing", where=routes, expected="the routes of the scenario")
    period = _first(inp / "sim_period.csv", inp / "conflict_period.csv",
                    root / "sim_period.csv", root / "conflict_period.csv")
    if period is None:
        raise DataError("no sim_period.csv (or conflict_period.csv)", where=inp,
                        expected="a file with rows 'StartDate,YYYY-MM-DD' and 'Length,N'")
    ddir: Path | None
    if data_dir is not None:
        ddir = Path(data_dir)
        if not (ddir / "data_layout.csv").is_file():
            raise DataError("no data_layout.csv", where=ddir, expected="the folder of the observed series")
    else:
        found = [d for d in (root / "source_data", inp / "source_data", root / "refugee_data",
                             inp / "refugee_data", root, inp) if (d / "data_layout.csv").is_file()]
        folders = [d for d in (root / "source_data", inp / "source_data", root / "refugee_data",
                               inp / "refugee_data") if d.is_dir()]
        if not found and folders:   # a data folder without its layout: a mistake, not a forecast
            raise DataError("no data_layout.csv", where=folders[0],
                            expected="data_layout.csv naming the observed series (or no data folder at all "
                                     "for a forecast)")
        ddir = found[0] if found else None
    if settings is not None:
        sfile: Path | None = Path(settings)
        if not sfile.is_file():
            raise DataError("settings file not found", where=sfile, expected="a Flee simsetting.yml")
    else:
        sfile = _first(root / "simsetting.yml", inp / "simsetting.yml")
    return FleeLayout(
        root=root, input_dir=inp, locations=inp / "locations.csv", routes=routes, period=period,
        data_dir=ddir, closures=_first(inp / "closures.csv"), conflicts=_first(inp / "conflicts.csv"),
        corrections=_first(inp / "registration_corrections.csv"), agents=_first(inp / "agents.csv"),
        settings=sfile)
