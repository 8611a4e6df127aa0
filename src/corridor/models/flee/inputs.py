"""Reading and checking the input CSVs of a Flee scenario.

Each reader returns plain validated values and raises ``DataError`` naming the file, the
row (the line number in the file) and column, and what was expected. Flee's conventions are
kept: rows whose first cell starts with ``#`` are comments or headers, empty rows are
skipped, the first eight location columns and the first four route columns are fixed by
position and later columns are named attributes taken from the ``#`` header row.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

from ...errors import DataError

__all__ = ["Location", "Route", "Closure", "Period", "read_locations", "read_routes", "read_closures",
           "read_conflicts", "read_period", "read_corrections", "read_agents", "location_kind",
           "CLOSURE_TYPES", "read_rows", "parse_date"]

CLOSURE_TYPES = ("country", "location", "link", "camp", "idpcamp", "remove_forced_redirection")


def read_rows(path: Path) -> list[tuple[int, list[str]]]:
    """All non-empty rows of a CSV file as ``(line number, cells)``."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            rows = []
            for cells in reader:
                if cells and any(c.strip() for c in cells):
                    rows.append((reader.line_num, cells))
    except FileNotFoundError:
        raise DataError("file is missing", where=path) from None
    except OSError as exc:
        raise DataError(f"cannot read file ({exc.strerror})", where=path) from None
    except UnicodeDecodeError:
        raise DataError("not a UTF-8 text file", where=path) from None
    except csv.Error as exc:
        raise DataError(f"not a valid CSV file ({exc})", where=path) from None
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
        return dt.datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise DataError(f"{text.strip()!r} is not a date", where=path, at=f"row {line}, column {column}",
                        expected="a date YYYY-MM-DD") from None


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


def read_locations(path: Path) -> list[Location]:
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
            raise DataError(f"duplicate location {name!r} (first on row {seen[name]})", where=path,
                            at=f"row {line}, column name", expected="unique names")
        seen[name] = line
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
        pop = int(_number(cells[7], path, line, "population", low=0, integer=True, default=0))
        attrs = _attributes(cells, names, 8, path, line, _LOC_NUMERIC)
        out.append(Location(name, cells[1].strip(), cells[2].strip() or "unknown", lat, lon, kind, cdate, pop,
                            attrs, line))
    if not out:
        raise DataError("no locations", where=path, expected="at least one location row")
    return out


def read_routes(path: Path, locations: dict[str, int]) -> tuple[list[Route], list[str]]:
    """Routes (each one a two-way link, as in Flee) and warnings."""
    rows = read_rows(path)
    names = ["name1", "name2", "distance", "forced_redirection"]
    out: list[Route] = []
    warnings: list[str] = []
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
            warnings.append(f"{path}: row {line}: route {ends[0]}-{ends[1]} repeats row {pairs[key]}; "
                            "both are kept as parallel links, as Flee does")
        pairs.setdefault(key, line)
        out.append(Route(ends[0], ends[1], km, forced, _attributes(cells, names, 4, path, line, _ROUTE_NUMERIC),
                         line))
    if not out:
        raise DataError("no routes", where=path, expected="at least one route row")
    return out, warnings


def read_closures(path: Path | None, locations: dict[str, int], countries: set[str]) -> list[Closure]:
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
        if 0 <= end < start:
            raise DataError(f"closure ends (day {end}) before it starts (day {start})", where=path,
                            at=f"row {line}, column closure_end", expected="closure_end >= closure_start, "
                            "or a negative value for a closure that is never lifted")
        out.append(Closure(kind, n1, n2, start, end, line))
    return out


def read_conflicts(path: Path, locations: dict[str, int]) -> tuple[list[str], list[list[float]]]:
    """Conflict intensities: the location names of the header and one row of values per day."""
    rows = read_rows(path)
    if not rows:
        raise DataError("empty file", where=path, expected="a header '#Day,<location>,...' and one row per day")
    hline, header = rows[0]
    names = [c.strip() for c in header[1:]]
    seen: set[str] = set()
    for i, name in enumerate(names):
        if not name:
            raise DataError("empty location name", where=path, at=f"row {hline}, column {i + 2}",
                            expected="a name from locations.csv")
        if name not in locations:
            raise DataError(f"unknown location {name!r}", where=path, at=f"row {hline}, column {i + 2}",
                            expected="a name from locations.csv")
        if name in seen:
            raise DataError(f"location {name!r} appears twice", where=path, at=f"row {hline}",
                            expected="each location once")
        seen.add(name)
    values = []
    for k, (line, cells) in enumerate(rows[1:]):
        if len(cells) != len(header):
            raise DataError(f"{len(cells)} columns, the header has {len(header)}", where=path, at=f"row {line}",
                            expected="one value per location of the header")
        day = int(_number(cells[0], path, line, "day", integer=True))
        if day != k:
            raise DataError(f"day {day} where day {k} was expected", where=path, at=f"row {line}, column day",
                            expected="consecutive days 0, 1, 2, ...")
        values.append([_number(c, path, line, names[j], low=0.0) for j, c in enumerate(cells[1:])])
    if not values:
        raise DataError("no days", where=path, expected="one row per simulated day")
    return names, values


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
