"""The validation metric: averaged relative difference (ARD) against observed camp counts.

For each day, the sum over camps of |simulated - observed| divided by the observed total in
camps (at least 1), averaged over all days. "Rescaled": each day's simulated camp counts are
first scaled so that they add up to the observed total (left at 0 on days when no one is
in a camp in the simulation). This is Flee's own measure (``plot_flee_output``'s "averaged
relative difference"), computed from the same ``out.csv`` columns.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import DataError
from .inputs import read_rows

__all__ = ["ARD", "averaged_relative_difference", "ard_from_out_csv", "read_out_csv", "is_forecast_out_csv"]


@dataclass(frozen=True)
class ARD:
    plain: float
    rescaled: float
    days: int
    camps: tuple[str, ...]


def averaged_relative_difference(sim: np.ndarray, obs: np.ndarray, camps: tuple[str, ...] = ()) -> ARD:
    """ARD of simulated vs observed counts, both ``[day, camp]``."""
    sim = np.asarray(sim, dtype=np.float64)
    obs = np.asarray(obs, dtype=np.float64)
    obs_total = np.floor(obs.sum(axis=1))
    sim_total = sim.sum(axis=1)
    denom = np.maximum(obs_total, 1.0)
    plain = np.abs(sim - obs).sum(axis=1) / denom
    factor = np.divide(obs_total, sim_total, out=np.zeros_like(sim_total), where=sim_total > 0)
    rescaled = np.abs(sim * factor[:, None] - obs).sum(axis=1) / denom
    return ARD(float(plain.mean()), float(rescaled.mean()), int(sim.shape[0]), tuple(camps))


def is_forecast_out_csv(path: Path) -> bool:
    """True for an ``out.csv`` of a forecast: no ``<camp> data`` columns, nothing to compare with."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            header = next(csv.reader(fh), [])
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
    names = [h.strip() for h in header]
    return names[:2] == ["Day", "Date"] and "total refugees (simulation)" in names and \
        not any(h.endswith(" data") for h in names)


def read_out_csv(path: Path) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Camp names and the simulated and observed counts ``[day, camp]`` of a Flee ``out.csv``."""
    rows = [cells for _, cells in read_rows(path)]
    if len(rows) < 2:
        raise DataError("no data rows", where=path, expected="a Flee out.csv with a header and one row per day")
    header = [h.strip() for h in rows[0]]
    camps = tuple(h[: -len(" sim")] for h in header if h.endswith(" sim") and "numAgents" not in h)
    if not camps:
        raise DataError("no '<camp> sim' columns", where=path, at="header", expected="Flee's out.csv columns")
    cols = {h: i for i, h in enumerate(header)}
    for c in camps:
        if f"{c} data" not in cols:
            raise DataError(f"no column '{c} data'", where=path, at="header", expected="Flee's out.csv columns")
    sim = np.zeros((len(rows) - 1, len(camps)))
    obs = np.zeros_like(sim)
    for k, row in enumerate(rows[1:]):
        for j, c in enumerate(camps):
            for arr, col in ((sim, f"{c} sim"), (obs, f"{c} data")):
                try:
                    arr[k, j] = float(row[cols[col]])
                except (ValueError, IndexError):
                    raise DataError(f"{row[cols[col]] if cols[col] < len(row) else ''!r} is not a number",
                                    where=path, at=f"row {k + 2}, column {col}", expected="a number") from None
    return camps, sim, obs


def ard_from_out_csv(path: str | Path) -> ARD:
    """ARD of a Flee (or Corridor) ``out.csv``; ``path`` may be the file or its folder."""
    p = Path(path)
    if p.is_dir():
        p = p / "out.csv"
    if not p.is_file():
        raise DataError("no out.csv", where=p, expected="a Flee output folder or out.csv file")
    camps, sim, obs = read_out_csv(p)
    return averaged_relative_difference(sim, obs, camps)
