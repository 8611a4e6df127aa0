"""Observed series (UNHCR registrations): ``data_layout.csv`` and the files it names.

``data_layout.csv`` maps a name (``total`` or a camp) to one or more series files of rows
``YYYY-MM-DD,count``. As in Flee: rows starting with ``#`` and a first row headed ``Date``
or ``DateTime`` are headers; counts are divided by the population scale-down factor
(``hasten``); level-1 registration corrections scale every count before the named date by
(first level-2 count / last level-1 count); a day's value is the linear interpolation
between the dates around it, truncated to a whole number, and the first or last count
outside the observed dates.

Dates out of order are accepted, as Flee 3.1 accepts them: its interpolation walks the rows
in file order (the value of a day is interpolated between the first row dated after it and
the row before that one). ``corridor_rules.observed_order: date`` sorts the rows first.

A scenario without ``data_layout.csv`` is a forecast: :data:`NO_OBSERVED` has no series;
there is nothing to validate against, and no data-driven spawning.

Where a layout row names several files, Flee 3.1 merges them pairwise with an
order-dependent rule (``_flee_merge``): it walks both files in date order, adds a count of the
second file to the first file's next count, drops the rows it cannot pair (the second file's
dates after the first file's last one, the first file's rows after the second file's last
date), and stops (``IndexError``) when the second file starts after the first: that is the
default, the last case an error. ``corridor_rules.merged_series: step_sum`` adds them as step functions
(each file's latest count on or before each date), which is what the merged total means.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import DataError
from .inputs import MAX_PEOPLE, Notes, _number, parse_date, read_rows

__all__ = ["ObservedData", "read_observed", "NO_OBSERVED"]


@dataclass(frozen=True)
class Series:
    name: str
    days: np.ndarray          # float64 day offsets from the start date (may be negative)
    values: np.ndarray        # float64 counts / hasten
    files: tuple[str, ...]


@dataclass(frozen=True)
class ObservedData:
    layout_file: Path | None    # None: a forecast scenario, no observed data
    series: dict[str, Series]
    total_name: str | None      # the layout row used as the total ("total", any case)

    @property
    def forecast(self) -> bool:
        return self.layout_file is None

    def has(self, name: str) -> bool:
        return name in self.series

    def daily(self, name: str, n_days: int) -> np.ndarray:
        """Flee's ``get_field(name, day)`` for days ``0..n_days-1`` (int64), rows in their order."""
        s = self.series[name]
        day = np.arange(n_days, dtype=np.float64)
        if s.days.size == 1:
            return np.full(n_days, int(s.values[0]), dtype=np.int64)
        later = day[:, None] < s.days[None, 1:]          # Flee: the first row (from the second) after the day
        found = later.any(axis=1)
        j = later.argmax(axis=1) + 1
        old_day, old_val = s.days[j - 1], s.values[j - 1]
        with np.errstate(divide="ignore", invalid="ignore"):   # only where found, where the gap is positive
            fraction = (day - old_day) / (s.days[j] - old_day)
            between = old_val + fraction * (s.values[j] - old_val)
        value = np.where(day <= s.days[0], s.values[0], np.where(found, between, s.values[-1]))
        return np.trunc(value).astype(np.int64)

    def total(self, n_days: int) -> np.ndarray:
        if self.total_name is None:
            raise DataError("no 'total' row", where=self.layout_file,
                            expected="a row 'total,<file>' with the total number of refugees")
        return self.daily(self.total_name, n_days)


NO_OBSERVED = ObservedData(None, {}, None)


def _read_series(path: Path, start: dt.date, hasten: int, order: str, notes: Notes) -> tuple[np.ndarray, np.ndarray]:
    rows = read_rows(path)
    days: list[float] = []
    values: list[float] = []
    unordered = False
    for k, (line, cells) in enumerate(rows):
        first = cells[0].strip()
        if first.startswith("#") or len(cells) < 2:
            continue
        if k == 0 and first in ("DateTime", "Date"):
            continue
        if not cells[1].strip():
            continue
        date = parse_date(first, path, line, "1")
        count = _number(cells[1], path, line, "2", low=0.0, high=MAX_PEOPLE)
        day = float((date - start).days)
        if days and day < days[-1] and not unordered:
            unordered = True
            notes.add("observed: dates out of order",
                      f"{path}: row {line}: {first} is before the previous row's date; "
                      + ("rows are read in file order, as Flee 3.1 interpolates them "
                         "(corridor_rules.observed_order: date sorts them)" if order == "file" else
                         "rows are sorted by date (corridor_rules.observed_order: date)"))
        days.append(day)
        values.append(count / float(hasten))
    if not days:
        raise DataError("no data rows", where=path, expected="rows 'YYYY-MM-DD,count'")
    d, v = np.array(days), np.array(values)
    if order == "date":
        keep = np.argsort(d, kind="stable")
        d, v = d[keep], v[keep]
    return d, v


def _flee_merge(one: tuple[np.ndarray, np.ndarray], two: tuple[np.ndarray, np.ndarray]
                ) -> tuple[np.ndarray, np.ndarray]:
    """Flee 3.1's ``AddCSVTables(one, two)``, step by step."""
    (d1, v1), (d2, v2) = one, two
    if d2[0] > d1[0]:
        raise ValueError("Flee 3.1 stops (IndexError): the second file starts after the first")
    days: list[float] = []
    vals: list[float] = []
    offset, last = 0, 0.0
    for day, val in zip(d2.tolist(), v2.tolist(), strict=True):
        while day > d1[offset]:
            days.append(float(d1[offset]))
            vals.append(last + float(v1[offset]))
            if offset < len(d1) - 1:
                offset += 1
            else:
                break
        if day == d1[offset]:
            days.append(day)
            vals.append(val + float(v1[offset]))
            if offset < len(d1) - 1:
                offset += 1
            last = val
        elif day < d1[offset]:
            days.append(day)
            vals.append(val + float(v1[offset]))
            last = val
    return np.array(days), np.array(vals)


def _step_sum(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    parts = [(d[np.argsort(d, kind="stable")], v[np.argsort(d, kind="stable")]) for d, v in parts]
    days = np.unique(np.concatenate([d for d, _ in parts]))
    total = np.zeros(days.size)
    for d, v in parts:
        idx = np.searchsorted(d, days, side="right") - 1
        total += np.where(idx >= 0, v[np.clip(idx, 0, None)], 0.0)
    return days, total


def read_observed(data_dir: Path | None, start: dt.date, hasten: int = 1,
                  corrections: list[tuple[int, str, dt.date]] | None = None,
                  corrections_file: Path | None = None, *, order: str = "file", merge: str = "flee",
                  notes: Notes | None = None) -> ObservedData:
    """The observed series of ``data_dir`` (``None``: a forecast, :data:`NO_OBSERVED`)."""
    notes = notes if notes is not None else Notes()
    if data_dir is None:
        return NO_OBSERVED
    layout = data_dir / "data_layout.csv"
    series: dict[str, Series] = {}
    total_name = None
    for line, cells in read_rows(layout):
        if cells[0].strip().startswith("#") or len(cells) < 2:
            continue
        name = cells[0].strip()
        if not name:
            raise DataError("empty name", where=layout, at=f"row {line}, column 1", expected="a camp name or total")
        files = [c.strip() for c in cells[1:]]
        for k, f in enumerate(files):
            if not f:   # Flee opens the folder itself and stops
                raise DataError("empty file name", where=layout, at=f"row {line}, column {k + 2}",
                                expected="a series file name (no trailing comma)")
        if name in series:   # Flee reads its files too, and uses the first row
            for f in files:
                if not (data_dir / f).is_file():
                    raise DataError(f"series file {f!r} not found in {data_dir}", where=layout, at=f"row {line}",
                                    expected="a file in the data folder")
            notes.add("observed: name listed twice", f"{layout}: row {line}: {name!r} is listed again; the first "
                      "row is used, as in Flee 3.1")
            continue
        parts = []
        for f in files:
            p = data_dir / f
            if not p.is_file():
                raise DataError(f"series file {f!r} not found in {data_dir}", where=layout, at=f"row {line}",
                                expected="a file in the data folder")
            parts.append(_read_series(p, start, hasten, order, notes))
        if len(parts) == 1:
            d, v = parts[0]
        elif merge == "step_sum":
            d, v = _step_sum(parts)
        else:
            d, v = parts[0]
            for f, part in zip(files[1:], parts[1:], strict=True):
                try:
                    d, v = _flee_merge((d, v), part)
                except ValueError as exc:
                    raise DataError(f"{f!r} starts after the files before it: {exc}", where=layout,
                                    at=f"row {line}", expected="files in order of their first date, or "
                                    "corridor_rules.merged_series: step_sum") from None
            notes.add("quirk merged series", f"{layout}: row {line}: several files are merged by Flee 3.1's "
                      "order-dependent rule; corridor_rules.merged_series: step_sum gives the corrected rule")
        series[name] = Series(name, d, v.copy(), tuple(files))
        if total_name is None and name.lower() == "total":
            total_name = name
    if not series:
        raise DataError("no rows", where=layout, expected="rows '<name>,<file>'")
    for line, name, date in corrections or []:
        where = corrections_file or "registration_corrections.csv"
        if name not in series:
            raise DataError(f"{name!r} is not in {layout.name}", where=where, at=f"row {line}, column 1",
                            expected="a name listed in data_layout.csv")
        s = series[name]
        day = float((date - start).days)
        hits = np.flatnonzero(s.days.astype(np.int64) == int(day))
        if hits.size == 0:
            raise DataError(f"{date} is not a date of {name}'s series", where=where, at=f"row {line}, column 2",
                            expected="the date of the first level-2 count in the series")
        for i in hits:
            if i > 0:
                if s.values[i - 1] <= 0:
                    raise DataError(f"the count before {date} is 0, so no correction factor exists", where=where,
                                    at=f"row {line}", expected="a positive level-1 count before that date")
                s.values[:i] *= s.values[i] / s.values[i - 1]
    return ObservedData(layout, series, total_name)
