"""The compact result of one run that ensembles, calibration and sensitivity work on.

A full :class:`~corridor.results.run.RunResult` holds ``data[day, indicator, nationality,
location]`` (tens of MB for the default scenario). Analyses of many runs only need the
values summed over places, ``values[day, indicator, nationality]``, which is what
:class:`Series` holds (full-scale persons; flows per day, stocks as the number of people
that day). :class:`Quantity` names one number computed from a series: an indicator, over
a calendar year, a US fiscal year, a month, a day or the whole reported period, for one
nationality, a group of them, or all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..results.run import RunResult, fiscal_year

__all__ = ["Series", "Quantity", "PeriodKind", "series_of", "evaluate"]

#: How a quantity's period is given: a calendar year, a US fiscal year, a month, a day, or the whole run.
PeriodKind = Literal["year", "fiscal_year", "month", "date", "all"]


@dataclass(frozen=True)
class Series:
    """Values of one run summed over places: ``values[day, indicator, nationality]``."""

    dates: tuple[dt.date, ...]
    indicators: tuple[str, ...]
    kinds: tuple[str, ...]              # "flow" or "stock", per indicator
    nationalities: tuple[str, ...]
    values: np.ndarray                  # float64, full scale

    def period_days(self, kind: PeriodKind, period: str) -> np.ndarray:
        """Day indices of ``period`` ("2010", "2010-03", "2010-03-15"; ignored for ``all``)."""
        if kind == "all":
            return np.arange(len(self.dates))
        if kind == "year":
            keys = [str(d.year) for d in self.dates]
        elif kind == "fiscal_year":
            keys = [str(fiscal_year(d)) for d in self.dates]
        elif kind == "date":
            keys = [d.isoformat() for d in self.dates]
        else:
            keys = [f"{d.year:04d}-{d.month:02d}" for d in self.dates]
        return np.flatnonzero(np.array(keys) == period)

    def aggregate(self, days: np.ndarray) -> np.ndarray:
        """``[indicator, nationality]`` over ``days``: flows summed, stocks averaged per day."""
        block = self.values[days]
        flows = np.array([k == "flow" for k in self.kinds])
        out = block.mean(axis=0) if days.size else np.zeros(block.shape[1:])
        out[flows] = block[:, flows].sum(axis=0)
        return out


def series_of(result: RunResult) -> Series:
    """The :class:`Series` of a run (sums over places)."""
    return Series(dates=tuple(result.dates), indicators=tuple(i.name for i in result.indicators),
                  kinds=tuple(i.kind for i in result.indicators),
                  nationalities=tuple(result.nationalities), values=result.data.sum(axis=3))


@dataclass(frozen=True)
class Quantity:
    """One number of a run: ``indicator`` over a period for some nationalities.

    ``nationalities`` empty means all nationalities of the run. Flows are summed over the
    period; stocks are the mean number of people per day.
    """

    indicator: str
    kind: PeriodKind = "all"
    period: str = ""
    nationalities: tuple[str, ...] = ()

    def label(self) -> str:
        when = {"all": "", "year": f" {self.period}", "fiscal_year": f" FY{self.period}",
                "month": f" {self.period}", "date": f" {self.period}"}[self.kind]
        who = "+".join(self.nationalities) if self.nationalities else "all"
        return f"{self.indicator}{when} {who}"

    def value(self, series: Series) -> float:
        i = series.indicators.index(self.indicator)
        days = series.period_days(self.kind, self.period)
        cols = [series.nationalities.index(n) for n in self.nationalities] if self.nationalities \
            else list(range(len(series.nationalities)))
        block = series.values[days][:, i][:, cols]          # [day, nationality]
        if series.kinds[i] == "flow":
            return float(block.sum())
        return float(block.sum(axis=1).mean()) if days.size else 0.0


def evaluate(series: Series, quantities: Sequence[Quantity]) -> np.ndarray:
    """The values of ``quantities`` in ``series``, in order."""
    return np.array([q.value(series) for q in quantities], dtype=np.float64)
