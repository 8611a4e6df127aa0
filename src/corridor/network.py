"""Places and routes as arrays.

A :class:`Network` holds locations (with country, first-level region, kind and zone)
and directed routes (km, allowed travel modes, optional minimum days) in compressed
sparse row (CSR) form: the routes leaving location ``i`` are
``indptr[i]:indptr[i+1]`` in the route arrays. Everything a daily process needs is a
numpy array indexed by location or route, so processes never loop over places.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import DataError
from .user_files import read_csv_table

__all__ = ["MODES", "Network", "load_network", "network_from_rows"]

#: Travel modes a route may allow; the order fixes the bit of each mode in ``mode_mask``.
MODES: tuple[str, ...] = ("foot", "bus", "car", "freight_train", "boat", "air")

NODE_COLUMNS = ("id", "name", "country", "admin1", "lat", "lon", "kind", "zone")
ROUTE_COLUMNS = ("from", "to", "road_km", "modes")
#: Most places a network may have: agents hold their place in 16 bits.
MAX_LOCATIONS = 32_767


@dataclass(frozen=True, eq=False)
class Network:
    """Locations and directed routes as arrays (see module docstring)."""

    ids: tuple[str, ...]
    names: tuple[str, ...]
    country: np.ndarray          # int16 index into ``countries``
    countries: tuple[str, ...]
    region: np.ndarray           # int16 index into ``regions`` (first-level admin unit)
    regions: tuple[str, ...]
    kind: np.ndarray             # int16 index into ``kinds``
    kinds: tuple[str, ...]
    zone: np.ndarray             # int16 index into ``zones``
    zones: tuple[str, ...]
    lat: np.ndarray
    lon: np.ndarray
    # routes, sorted by source location (CSR)
    indptr: np.ndarray           # int32, len n_locations + 1
    src: np.ndarray              # int32 per route
    dst: np.ndarray              # int32 per route
    km: np.ndarray               # float64 per route
    min_days: np.ndarray         # float64 per route (0 = no minimum)
    mode_mask: np.ndarray        # uint8 bit mask over MODES per route
    source_file: str = ""
    _index: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def n_locations(self) -> int:
        return len(self.ids)

    @property
    def n_routes(self) -> int:
        return int(self.src.shape[0])

    def index(self, location_id: str) -> int:
        """Array index of a location id; ``KeyError`` if unknown."""
        return self._index[location_id]

    def has(self, location_id: str) -> bool:
        return location_id in self._index

    def mask(self, attribute: str, values: Iterable[str]) -> np.ndarray:
        """Boolean mask over locations whose ``attribute`` (country, region, kind,
        zone) is one of ``values``."""
        names = getattr(self, {"country": "countries", "region": "regions",
                               "kind": "kinds", "zone": "zones"}[attribute])
        wanted = [i for i, n in enumerate(names) if n in set(values)]
        return np.isin(getattr(self, attribute), wanted)

    def route_index(self, src_id: str, dst_id: str) -> int:
        """Index of the route ``src_id -> dst_id``; ``KeyError`` if there is none."""
        s, d = self.index(src_id), self.index(dst_id)
        for r in range(self.indptr[s], self.indptr[s + 1]):
            if self.dst[r] == d:
                return r
        raise KeyError(f"{src_id}->{dst_id}")

    def distance_to(self, targets: np.ndarray) -> np.ndarray:
        """Shortest road km from every location to the nearest location in the
        boolean mask ``targets`` along directed routes (``inf`` if unreachable)."""
        n = self.n_locations
        # reverse adjacency: run Dijkstra from the targets backwards
        rev: list[list[tuple[int, float]]] = [[] for _ in range(n)]
        for s, d, k in zip(self.src.tolist(), self.dst.tolist(), self.km.tolist(), strict=True):
            rev[d].append((s, k))
        dist = np.full(n, np.inf)
        heap = [(0.0, int(i)) for i in np.flatnonzero(targets)]
        for _, i in heap:
            dist[i] = 0.0
        heapq.heapify(heap)
        while heap:
            dcur, u = heapq.heappop(heap)
            if dcur > dist[u]:
                continue
            for v, k in rev[u]:
                nd = dcur + k
                if nd < dist[v]:
                    dist[v] = nd
                    heapq.heappush(heap, (nd, v))
        return dist


def _codes(values: Sequence[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    names = tuple(sorted(set(values)))
    lookup = {n: i for i, n in enumerate(names)}
    return np.array([lookup[v] for v in values], dtype=np.int16), names


def _read_csv(path: Path, required: Sequence[str]) -> list[tuple[int, dict[str, str]]]:
    header, table = read_csv_table(path, DataError, what="a CSV file")
    missing = [c for c in required if c not in header]
    if missing:
        raise DataError(f"missing column(s) {', '.join(missing)}", where=path,
                        at="header", expected="columns " + ", ".join(required))
    if len(table) > MAX_LOCATIONS * 8:
        raise DataError(f"more than {MAX_LOCATIONS * 8:,} rows", where=path,
                        expected=f"at most {MAX_LOCATIONS:,} places and 8 routes a place")
    if not table:
        raise DataError("no rows", where=path, expected="at least one data row")
    # a short row has empty cells; cells beyond the header are ignored (a trailing comma)
    return [(line, dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=False)))
            for line, cells in table]


def load_network(nodes_path: str | Path, routes_path: str | Path) -> Network:
    """Read ``nodes.csv`` and ``routes.csv`` (see data/corridor/network/README.md)."""
    nodes_path, routes_path = Path(nodes_path), Path(routes_path)
    nodes = _read_csv(nodes_path, NODE_COLUMNS)
    routes = _read_csv(routes_path, ROUTE_COLUMNS)
    return network_from_rows(nodes, routes, nodes_file=str(nodes_path),
                             routes_file=str(routes_path))


def _number(text: str, *, file: str, row: int, column: str, default: float | None = None,
            minimum: float | None = None, strictly_positive: bool = False) -> float:
    text = (text or "").strip()
    if not text:
        if default is not None:
            return default
        raise DataError("empty value", where=file, at=f"row {row}, column {column}",
                        expected="a number")
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"{text!r} is not a number", where=file,
                        at=f"row {row}, column {column}", expected="a number") from None
    if not math.isfinite(value):
        raise DataError(f"{text!r} is not finite", where=file, at=f"row {row}, column {column}",
                        expected="a finite number")
    if strictly_positive and value <= 0:
        raise DataError(f"{value:g} is not positive", where=file,
                        at=f"row {row}, column {column}", expected="a number > 0")
    if minimum is not None and value < minimum:
        raise DataError(f"{value:g} is below {minimum:g}", where=file,
                        at=f"row {row}, column {column}", expected=f"a number >= {minimum:g}")
    return value


def network_from_rows(nodes: list[tuple[int, dict[str, str]]],
                      routes: list[tuple[int, dict[str, str]]], *,
                      nodes_file: str = "<nodes>", routes_file: str = "<routes>") -> Network:
    """Build a :class:`Network` from parsed rows ``(row_number, {column: text})``."""
    if not nodes:
        raise DataError("no locations", where=nodes_file, expected="at least one location")
    if not routes:
        raise DataError("no routes", where=routes_file, expected="at least one route")
    if len(nodes) > MAX_LOCATIONS:
        raise DataError(f"{len(nodes):,} locations", where=nodes_file, expected=f"at most {MAX_LOCATIONS:,}")
    ids: list[str] = []
    index: dict[str, int] = {}
    for row, r in nodes:
        nid = (r.get("id") or "").strip()
        if not nid:
            raise DataError("empty id", where=nodes_file, at=f"row {row}, column id",
                            expected="a location id")
        if nid in index:
            raise DataError(f"duplicate location id {nid!r}", where=nodes_file,
                            at=f"row {row}, column id", expected="unique ids")
        for col in ("country", "kind", "zone"):
            if not (r.get(col) or "").strip():
                raise DataError("empty value", where=nodes_file, at=f"row {row}, column {col}",
                                expected="a non-empty text")
        index[nid] = len(ids)
        ids.append(nid)
    lat = np.array([_number(r["lat"], file=nodes_file, row=i, column="lat", minimum=-90)
                    for i, r in nodes])
    lon = np.array([_number(r["lon"], file=nodes_file, row=i, column="lon", minimum=-180)
                    for i, r in nodes])
    for (row, _), la, lo in zip(nodes, lat, lon, strict=True):
        if la > 90 or lo > 180:
            raise DataError("coordinate out of range", where=nodes_file, at=f"row {row}",
                            expected="lat in [-90, 90] and lon in [-180, 180]")
    country, countries = _codes([r["country"].strip() for _, r in nodes])
    region, regions = _codes([(r.get("admin1") or "").strip() for _, r in nodes])
    kind, kinds = _codes([r["kind"].strip() for _, r in nodes])
    zone, zones = _codes([r["zone"].strip() for _, r in nodes])

    src, dst, km, min_days, masks = [], [], [], [], []
    seen: set[tuple[int, int]] = set()
    for row, r in routes:
        ends = []
        for col in ("from", "to"):
            lid = (r.get(col) or "").strip()
            if lid not in index:
                raise DataError(f"unknown location {lid!r}", where=routes_file,
                                at=f"row {row}, column {col}", expected="an id from the locations file")
            ends.append(index[lid])
        if ends[0] == ends[1]:
            raise DataError("route from a location to itself", where=routes_file,
                            at=f"row {row}", expected="two different locations")
        if tuple(ends) in seen:
            raise DataError("duplicate route", where=routes_file, at=f"row {row}",
                            expected="at most one route per ordered pair of locations")
        seen.add((ends[0], ends[1]))
        k = _number(r.get("road_km", ""), file=routes_file, row=row, column="road_km",
                    strictly_positive=True)
        md = _number(r.get("min_days", "") or "", file=routes_file, row=row,
                     column="min_days", default=0.0, minimum=0.0)
        bits = 0
        modes = [m.strip() for m in (r.get("modes") or "").split(";") if m.strip()]
        if not modes:
            raise DataError("no travel mode", where=routes_file, at=f"row {row}, column modes",
                            expected="one or more of " + ";".join(MODES))
        for m in modes:
            if m not in MODES:
                raise DataError(f"unknown mode {m!r}", where=routes_file,
                                at=f"row {row}, column modes", expected="one of " + ", ".join(MODES))
            bits |= 1 << MODES.index(m)
        src.append(ends[0])
        dst.append(ends[1])
        km.append(k)
        min_days.append(md)
        masks.append(bits)

    order = np.argsort(np.array(src), kind="stable")
    src_a = np.array(src, dtype=np.int32)[order]
    indptr = np.zeros(len(ids) + 1, dtype=np.int32)
    np.add.at(indptr, src_a + 1, 1)
    indptr = np.cumsum(indptr).astype(np.int32)
    return Network(
        ids=tuple(ids), names=tuple((r.get("name") or r["id"]).strip() for _, r in nodes),
        country=country, countries=countries, region=region, regions=regions,
        kind=kind, kinds=kinds, zone=zone, zones=zones, lat=lat, lon=lon,
        indptr=indptr, src=src_a, dst=np.array(dst, dtype=np.int32)[order],
        km=np.array(km, dtype=np.float64)[order],
        min_days=np.array(min_days, dtype=np.float64)[order],
        mode_mask=np.array(masks, dtype=np.uint8)[order],
        source_file=f"{nodes_file}; {routes_file}", _index=index,
    )
