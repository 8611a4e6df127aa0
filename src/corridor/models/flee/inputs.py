"""Reading and checking the input CSVs of a Flee scenario.

Each reader returns plain validated values and raises ``DataError`` naming the file, the
row (the line number in the file) and column, and what was expected. Flee's conventions are
kept: rows whose first cell starts with ``#`` are comments or headers, empty rows are
skipped, the first eight location columns and the first four route columns are fixed by
position and later columns are named attributes taken from the ``#`` header row.

Irregularities that Flee 3.1 accepts are accepted with Flee's meaning and noted in a
:class:`Notes` collector, which gives one warning line per kind of irregularity (naming the
first file and row, and how many more there are). What Flee stops on stays an error.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...errors import DataError
from ...scenario.schema import outside_years
from ...user_files import read_text

__all__ = ["Notes", "Location", "Route", "Closure", "Period", "read_locations", "read_routes", "read_closures",
           "read_conflicts", "read_period", "read_corrections", "read_agents", "location_kind",
           "CLOSURE_TYPES", "read_rows", "parse_date"]

MAX_PEOPLE = 10_000_000_000   # a population or count above the world's is a typo (and would overflow)

CLOSURE_TYPES = ("country", "location", "link", "camp", "idpcamp", "remove_forced_redirection")


class Notes:
    """Irregularities accepted as Flee 3.1 accepts them: one warning line per kind."""

    def __init__(self) -> None:
        self._kinds: dict[str, list[str]] = {}

    def add(self, kind: str, message: str) -> None:
        """Note one occurrence; ``message`` names the file and row and says what is done."""
        self._kinds.setdefault(kind, []).append(message)

    def lines(self) -> list[str]:
        out = []
        for found in self._kinds.values():
            more = f" ({len(found) - 1} more like it)" if len(found) > 1 else ""
            out.append(found[0] + more)
        return out


def read_rows(path: Path) -> list[tuple[int, list[str]]]:
    """All non-empty rows of a CSV file as ``(line number, cells)``."""
    reader = csv.reader(io.StringIO(read_text(path, DataError, what="a CSV file"), newline=""))
    rows = []
    try:
        for cells in reader:
            if cells and any(c.strip() for c in cells):
                rows.append((reader.line_num, cells))
    except csv.Error as exc:                  # a field over the csv module's limit
        raise DataError(f"not a valid CSV file ({exc})", where=path, at=f"line {reader.line_num}") from None
    return rows


def _is_comment(cells: list[str]) -> bool:
    return cells[0].strip().startswith("#")


def _number(text: str, path: Path, line: int, column: str, *, low: float | None = None,
            high: float | None = None, integer: bool = False, default: float | None = None) -> float:
    text = text.strip()
    at = f"row {line}, column {column}"
    if not text:
        if default is not None:
            return default
        raise DataError("empty value", where=path, at=at, expected="a whole number" if integer else "a number")
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        raise DataError(f"{text!r} is not a {'whole ' if integer else ''}number", where=path, at=at,
                        expected="a whole number" if integer else "a number") from None
    if not math.isfinite(value):
        raise DataError(f"{text!r} is not finite", where=path, at=at, expected="a finite number")
    if low is not None and value < low or high is not None and value > high:
        lo = "-inf" if low is None else f"{low:g}"
        hi = "inf" if high is None else f"{high:g}"
        raise DataError(f"{text} is outside [{lo}, {hi}]", where=path, at=at, expected=f"a value in [{lo}, {hi}]")
    return value


def parse_date(text: str, path: Path, line: int, column: str) -> dt.date:
    try:
        day = dt.datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise DataError(f"{text.strip()!r} is not a date", where=path, at=f"row {line}, column {column}",
                        expected="a date YYYY-MM-DD") from None
    problem = outside_years(day)
    if problem:
        raise DataError(problem, where=path, at=f"row {line}, column {column}",
                        expected="a date YYYY-MM-DD in those years")
    return day


def location_kind(location_type: str) -> str | None:
    """Flee's reading of a location_type (substring rules, in Flee's order)."""
    t = location_type.lower()
    if "camp" in t:
        return "idpcamp" if "idp" in t else "camp"
    if "conflict" in t:
        return "conflict"
    if "forward" in t:
        return "forward"
    if "marker" in t:
        return "marker"
    if "default" in t or "town" in t:
        return "town"
    return None


@dataclass(frozen=True)
class Location:
    name: str
    region: str
    country: str
    lat: float
    lon: float
    kind: str                 # camp, idpcamp, conflict, forward, marker, town
    conflict_date: int        # for conflict zones: 0 = in conflict from the start
    population: int           # residents, or capacity for camps (0 = none given)
    attributes: dict[str, str] = field(default_factory=dict)
    line: int = 0


@dataclass(frozen=True)
class Route:
    a: str
    b: str
    km: float
    forced_redirection: int
    attributes: dict[str, str] = field(default_factory=dict)
    line: int = 0


@dataclass(frozen=True)
class Closure:
    kind: str
    name1: str
    name2: str
    start: int                # day the closure takes effect
    end: int                  # day it is lifted (< 0: never)
    line: int = 0


@dataclass(frozen=True)
class Period:
    start: dt.date
    days: int


_LOC_NUMERIC = {"conflict_intensity": (0.0, None), "deactivation_probability": (0.0, 1.0)}
_ROUTE_NUMERIC = {"max_move_speed": (1e-9, None), "walk_probability": (0.0, 1.0)}


def _attributes(cells: list[str], names: list[str], first: int, path: Path, line: int,
                numeric: dict[str, tuple[float | None, float | None]]) -> dict[str, str]:
    attrs = {}
    for i in range(first, len(cells)):
        name = names[i] if i < len(names) else f"column{i + 1}"
        value = cells[i].strip()
        if name in numeric and value:
            lo, hi = numeric[name]
            _number(value, path, line, name, low=lo, high=hi)
        attrs[name] = value
    return attrs


def read_locations(path: Path, notes: Notes | None = None) -> list[Location]:
    """Every location row. A repeated name is kept as a second location, as Flee 3.1 keeps it
    (what binds to which row is decided by the scenario: see ``model.location_index``)."""
    notes = notes if notes is not None else Notes()
    rows = read_rows(path)
    names = ["name", "region", "country", "latitude", "longitude", "location_type", "conflict_date", "population"]
    out: list[Location] = []
    seen: dict[str, int] = {}
    for line, cells in rows:
        if _is_comment(cells):
            if len(cells) > 8:
                names = names[:8] + [c.strip() for c in cells[8:]]
            continue
        if len(cells) < 8:
            raise DataError(f"{len(cells)} columns", where=path, at=f"row {line}",
                            expected="name,region,country,latitude,longitude,location_type,conflict_date,population")
        name = cells[0].strip()
        if not name:
            raise DataError("empty name", where=path, at=f"row {line}, column name", expected="a location name")
        if name in seen:
            notes.add("duplicate location", f"{path}: row {line}: location {name!r} repeats row {seen[name]}; "
                      "both rows are places, as in Flee 3.1: routes, closures, camps and observed data use "
                      "the last row, conflicts.csv the first (corridor_rules.duplicate_locations: last "
                      "drops the earlier rows)")
        seen.setdefault(name, line)
        lat = _number(cells[3], path, line, "latitude", low=-90, high=90, default=0.0)
        lon = _number(cells[4], path, line, "longitude", low=-180, high=180, default=0.0)
        ltype = cells[5].strip()
        kind = location_kind(ltype)
        if kind is None:
            raise DataError(f"unknown location_type {ltype!r}", where=path, at=f"row {line}, column location_type",
                            expected="conflict_zone, town, camp, idpcamp, forward or marker")
        cdate = 0
        if kind == "conflict":
            cdate = int(_number(cells[6], path, line, "conflict_date", low=0, integer=True))
        pop = int(_number(cells[7], path, line, "population", low=0, high=MAX_PEOPLE, integer=True, default=0))
        attrs = _attributes(cells, names, 8, path, line, _LOC_NUMERIC)
        out.append(Location(name, cells[1].strip(), cells[2].strip() or "unknown", lat, lon, kind, cdate, pop,
                            attrs, line))
    if not out:
        raise DataError("no locations", where=path, expected="at least one location row")
    return out


def read_routes(path: Path, locations: dict[str, int], notes: Notes | None = None) -> list[Route]:
    """Routes (each one a two-way link, as in Flee)."""
    notes = notes if notes is not None else Notes()
    rows = read_rows(path)
    names = ["name1", "name2", "distance", "forced_redirection"]
    out: list[Route] = []
    pairs: dict[frozenset[str], int] = {}
    for line, cells in rows:
        if _is_comment(cells):
            if len(cells) > 4:
                names = names[:4] + [c.strip() for c in cells[4:]]
            continue
        if len(cells) < 3:
            raise DataError(f"{len(cells)} columns", where=path, at=f"row {line}",
                            expected="name1,name2,distance[,forced_redirection]")
        ends = []
        for col, text in (("name1", cells[0]), ("name2", cells[1])):
            name = text.strip()
            if name not in locations:
                raise DataError(f"unknown location {name!r}", where=path, at=f"row {line}, column {col}",
                                expected="a name from locations.csv")
            ends.append(name)
        if ends[0] == ends[1]:
            raise DataError("route from a location to itself", where=path, at=f"row {line}",
                            expected="two different locations")
        km = _number(cells[2], path, line, "distance", low=0.0)
        forced = 0
        if len(cells) > 3:
            forced = int(_number(cells[3], path, line, "forced_redirection", low=0, high=2, integer=True, default=0))
        key = frozenset(ends)
        if key in pairs:
            notes.add("repeated route", f"{path}: row {line}: route {ends[0]}-{ends[1]} repeats row "
                      f"{pairs[key]}; both are kept as parallel links, as Flee does")
        pairs.setdefault(key, line)
        out.append(Route(ends[0], ends[1], km, forced, _attributes(cells, names, 4, path, line, _ROUTE_NUMERIC),
                         line))
    if not out:
        raise DataError("no routes", where=path, expected="at least one route row")
    return out


def read_closures(path: Path | None, locations: dict[str, int], countries: set[str],
                  notes: Notes | None = None) -> list[Closure]:
    """Closure rows. Flee 3.1 closes on ``closure_start`` and reopens on ``closure_end``
    (``time == end``): an end before the start (0 included) comes first and reopens nothing,
    so the closure is never lifted; an end on the start day reopens at once (no effect)."""
    notes = notes if notes is not None else Notes()
    if path is None:
        return []
    out = []
    for line, cells in read_rows(path):
        if _is_comment(cells):
            continue
        if len(cells) < 5:
            raise DataError(f"{len(cells)} columns", where=path, at=f"row {line}",
                            expected="closure_type,name1,name2,closure_start,closure_end")
        kind = cells[0].strip()
        if kind not in CLOSURE_TYPES:
            raise DataError(f"unknown closure type {kind!r}", where=path, at=f"row {line}, column closure_type",
                            expected="one of " + ", ".join(CLOSURE_TYPES))
        n1, n2 = cells[1].strip(), cells[2].strip()
        needed = {"country": ("name1", "name2"), "link": ("name1", "name2"),
                  "remove_forced_redirection": ("name1", "name2")}.get(kind, ("name1",))
        for col in needed:
            name = n1 if col == "name1" else n2
            if kind == "country":
                if name not in countries:
                    raise DataError(f"unknown country {name!r}", where=path, at=f"row {line}, column {col}",
                                    expected="a country of locations.csv")
            elif name not in locations:
                raise DataError(f"unknown location {name!r}", where=path, at=f"row {line}, column {col}",
                                expected="a name from locations.csv")
        start = int(_number(cells[3], path, line, "closure_start", low=0, integer=True))
        end = int(_number(cells[4], path, line, "closure_end", integer=True))
        if 0 <= end < start:   # kept: Flee's reopening on day `end` acts on other rows' closures and camps
            notes.add("closure ends before it starts",
                      f"{path}: row {line}: closure_end {end} is before closure_start {start}; the closure is "
                      "never lifted, as in Flee 3.1 (which reopens on day closure_end, before it closes)")
        elif end == start:
            notes.add("closure ends as it starts",
                      f"{path}: row {line}: closure_end equals closure_start ({start}); it closes and reopens "
                      "the same day, so it has no effect, as in Flee 3.1")
        out.append(Closure(kind, n1, n2, start, end, line))
    return out


def read_conflicts(path: Path, locations: dict[str, int],
                   notes: Notes | None = None) -> tuple[list[str], list[list[float]]]:
    """Conflict intensities: the location names of the header and one row of values per day.

    As Flee 3.1 reads the file: rows are days in file order (the first column is not read);
    a header column with no name is skipped (rows must stop before it, or Flee stops); a
    column naming no location is read and never acts (Flee reports it and goes on).
    """
    notes = notes if notes is not None else Notes()
    rows = read_rows(path)
    if not rows:
        raise DataError("empty file", where=path, expected="a header '#Day,<location>,...' and one row per day")
    hline, header = rows[0]
    names = [c.strip() for c in header[1:]]
    keep: list[int] = []          # indices into names of the columns that act
    seen: set[str] = set()
    for i, name in enumerate(names):
        if not name:
            notes.add("conflicts: empty column name", f"{path}: row {hline}, column {i + 2}: no location name; "
                      "the column is skipped, as in Flee 3.1")
            continue
        if name in seen:
            raise DataError(f"location {name!r} appears twice", where=path, at=f"row {hline}",
                            expected="each location once")
        seen.add(name)
        if name not in locations:
            notes.add("conflicts: unknown location", f"{path}: row {hline}, column {i + 2}: {name!r} is not in "
                      "locations.csv; the column is ignored, as in Flee 3.1 (it reports the name and goes on)")
            continue
        keep.append(i)
    values = []
    days_in_order = True
    lines: list[tuple[int, list[str]]] = []
    unnamed = [j for j, name in enumerate(names) if not name]
    last_named = max((j for j, name in enumerate(names) if name), default=-1)
    for k, (line, cells) in enumerate(rows[1:]):
        if len(cells) > len(header):
            raise DataError(f"{len(cells)} columns, the header has {len(header)}", where=path, at=f"row {line}",
                            expected="one value per location of the header")
        row = cells[1:]
        for j in unnamed:   # Flee 3.1 stores any cell there, empty or not, under '' and stops
            if j < len(row):
                raise DataError(f"a cell ({row[j].strip()!r}) under a column with no name", where=path,
                                at=f"row {line}, column {j + 2}", expected="rows that stop before a header "
                                "column with no name (Flee 3.1 stops on them), or a location name in the header")
        if len(row) <= last_named:
            raise DataError(f"{len(cells)} columns, the header has {len(header)}", where=path, at=f"row {line}",
                            expected="one value per location of the header")
        if days_in_order and cells[0].strip() != str(k):
            days_in_order = False
            notes.add("conflicts: day column", f"{path}: row {line}: day {cells[0].strip()!r} where {k} was "
                      "expected; rows are read as consecutive days in file order, as in Flee 3.1")
        try:   # the common case at C speed; a doubtful row goes through _number for its message
            day = [float(row[j]) for j in keep]
        except ValueError:
            day = [_number(row[j], path, line, names[j], low=0.0) for j in keep]
        values.append(day)
        lines.append((line, row))
    if not values:
        raise DataError("no days", where=path, expected="one row per simulated day")
    table = np.array(values, dtype=np.float64).reshape(len(values), len(keep))
    bad = ~(np.isfinite(table) & (table >= 0.0))
    if bad.any():   # NaN, infinite or negative: _number names the cell
        k, c = (int(x[0]) for x in np.nonzero(bad))
        line, row = lines[k]
        _number(row[keep[c]], path, line, names[keep[c]], low=0.0)
    return [names[j] for j in keep], values


def read_period(path: Path) -> Period:
    start: dt.date | None = None
    days: int | None = None
    for line, cells in read_rows(path):
        key = cells[0].strip().lower()
        if len(cells) < 2 and key in ("startdate", "length"):
            raise DataError("no value", where=path, at=f"row {line}", expected="'StartDate,YYYY-MM-DD' or 'Length,N'")
        if key == "startdate":
            start = parse_date(cells[1], path, line, "2")
        elif key == "length":
            days = int(_number(cells[1], path, line, "2", low=1, integer=True))
    if start is None or days is None:
        raise DataError("StartDate or Length missing", where=path,
                        expected="rows 'StartDate,YYYY-MM-DD' and 'Length,N'")
    return Period(start, days)


def read_corrections(path: Path | None) -> list[tuple[int, str, dt.date]]:
    """Level-1 registration corrections: (line, series name, date of the first level-2 count)."""
    if path is None:
        return []
    out = []
    for line, cells in read_rows(path):
        if _is_comment(cells) or len(cells) < 2:
            continue
        out.append((line, cells[0].strip(), parse_date(cells[1], path, line, "2")))
    return out


def read_agents(path: Path | None, locations: dict[str, int]) -> list[int]:
    """Locations (indices) of the agents listed in agents.csv (first column; a header row first)."""
    if path is None:
        raise DataError("read_from_agents_csv_file is set but there is no agents.csv", where="agents.csv",
                        expected="an agents.csv beside locations.csv")
    out = []
    header_seen = False
    for line, cells in read_rows(path):
        if _is_comment(cells):
            continue
        if not header_seen:
            header_seen = True
            continue
        name = cells[0].strip()
        if name not in locations:
            raise DataError(f"unknown location {name!r}", where=path, at=f"row {line}, column location",
                            expected="a name from locations.csv")
        out.append(locations[name])
    return out
