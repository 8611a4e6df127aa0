"""Make the small basemap of the corridor (coastlines, country borders, land) shipped with Corridor.

What: from Natural Earth 1:50m countries, as TopoJSON in the npm package ``world-atlas`` 2.0.2,
every arc used by two different countries is a *border* and every arc used by one is a
*coastline*; both are clipped to the box lon -125..-70, lat 0..37 (a line that leaves the box is
cut at the edge and split into its runs inside). The outer rings of the ``land`` object are
clipped to the same box (Sutherland-Hodgman) to fill land. Coordinates are rounded to 3 decimals;
repeated points after rounding are dropped. No simplification (the file is small enough).

Why: the flow map (corridor.results.plots.plot_flow_map) draws the network on a map; the data
ship with the package so nothing is downloaded at run time.

Input:  countries-50m.json of world-atlas 2.0.2:
        cd /tmp && npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
Output: src/corridor/data/basemap/corridor_50m.json
Run from the repository root:  python scripts/make_basemap.py /tmp/package/countries-50m.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

OUT_PATH = Path("src/corridor/data/basemap/corridor_50m.json")
BBOX = (-125.0, 0.0, -70.0, 37.0)   # lon_min, lat_min, lon_max, lat_max
SOURCE = "Natural Earth 1:50m Admin 0 countries (public domain), as TopoJSON in npm world-atlas 2.0.2"
LICENCE = "Natural Earth: public domain; world-atlas packaging: ISC (c) 2013-2019 Michael Bostock"

Point = tuple[float, float]


def decode_arcs(topo: dict) -> list[list[Point]]:
    """Absolute lon/lat of each arc (quantized, delta-encoded positions, then scale and translate)."""
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def polygons(geometry: dict) -> list[list[list[int]]]:
    """The polygons (each a list of rings, each a list of arc indices) of a (Multi)Polygon."""
    if geometry["type"] == "Polygon":
        return [geometry["arcs"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["arcs"]
    return []


def ring(arc_ids: list[int], arcs: list[list[Point]]) -> list[Point]:
    """A ring's points; ~i is arc i reversed; each arc after the first repeats its first point."""
    points: list[Point] = []
    for a in arc_ids:
        pts = arcs[a] if a >= 0 else arcs[~a][::-1]
        points.extend(pts if not points else pts[1:])
    return points


def classify(topo: dict) -> tuple[set[int], set[int]]:
    """Arc indices used by two different countries (borders) and by one (coastlines)."""
    users: dict[int, set[int]] = {}
    for g, geometry in enumerate(topo["objects"]["countries"]["geometries"]):
        for polygon in polygons(geometry):
            for r in polygon:
                for a in r:
                    users.setdefault(a if a >= 0 else ~a, set()).add(g)
    borders = {a for a, u in users.items() if len(u) >= 2}
    coasts = {a for a, u in users.items() if len(u) == 1}
    return borders, coasts


def clip_segment(p: Point, q: Point) -> tuple[Point, Point, bool] | None:
    """The part of segment p-q inside the box (Liang-Barsky) and whether q is inside, or None."""
    x0, y0 = p
    dx, dy = q[0] - x0, q[1] - y0
    t0, t1 = 0.0, 1.0
    for d, lo_gap, hi_gap in ((dx, x0 - BBOX[0], BBOX[2] - x0), (dy, y0 - BBOX[1], BBOX[3] - y0)):
        for pk, qk in ((-d, lo_gap), (d, hi_gap)):
            if pk == 0:
                if qk < 0:
                    return None
                continue
            t = qk / pk
            if pk < 0:
                t0 = max(t0, t)
            else:
                t1 = min(t1, t)
    if t0 > t1:
        return None
    end = q if t1 >= 1.0 else (x0 + t1 * dx, y0 + t1 * dy)
    return (x0 + t0 * dx, y0 + t0 * dy), end, t1 >= 1.0


def clip_line(points: list[Point]) -> list[list[Point]]:
    """The runs of a polyline inside the box, cut where it crosses the edge."""
    runs: list[list[Point]] = []
    current: list[Point] = []
    for p, q in zip(points, points[1:], strict=False):
        seg = clip_segment(p, q)
        if seg is None:
            if current:
                runs.append(current)
            current = []
            continue
        a, b, q_inside = seg
        if not current:
            current = [a]
        current.append(b)
        if not q_inside:          # left the box
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def clip_ring(points: list[Point]) -> list[Point]:
    """A polygon ring clipped to the box (Sutherland-Hodgman; fine for filling)."""
    lo_x, lo_y, hi_x, hi_y = BBOX
    edges = (
        (lambda p: p[0] >= lo_x, lambda p, q: _at_x(p, q, lo_x)),
        (lambda p: p[0] <= hi_x, lambda p, q: _at_x(p, q, hi_x)),
        (lambda p: p[1] >= lo_y, lambda p, q: _at_y(p, q, lo_y)),
        (lambda p: p[1] <= hi_y, lambda p, q: _at_y(p, q, hi_y)),
    )
    out = points
    for keep, cross in edges:
        src, out = out, []
        for k, q in enumerate(src):
            p = src[k - 1]
            if keep(q):
                if not keep(p):
                    out.append(cross(p, q))
                out.append(q)
            elif keep(p):
                out.append(cross(p, q))
        if not out:
            break
    return out


def _at_x(p: Point, q: Point, x: float) -> Point:
    return x, p[1] + (q[1] - p[1]) * (x - p[0]) / (q[0] - p[0])


def _at_y(p: Point, q: Point, y: float) -> Point:
    return p[0] + (q[0] - p[0]) * (y - p[1]) / (q[1] - p[1]), y


def rounded(points: list[Point]) -> list[list[float]]:
    out: list[list[float]] = []
    for x, y in points:
        r = [round(x, 3) + 0.0, round(y, 3) + 0.0]
        if not out or r != out[-1]:
            out.append(r)
    return out


def area(points: list[list[float]]) -> float:
    return 0.5 * abs(sum(p[0] * q[1] - q[0] * p[1] for p, q in zip(points, points[1:] + points[:1], strict=True)))


def make(topo: dict) -> dict:
    arcs = decode_arcs(topo)
    border_ids, coast_ids = classify(topo)
    lines: dict[str, list] = {"coastlines": [], "borders": []}
    for key, ids in (("coastlines", coast_ids), ("borders", border_ids)):
        for a in sorted(ids):
            for run in clip_line(arcs[a]):
                pts = rounded(run)
                if len(pts) >= 2:
                    lines[key].append(pts)
    land = []
    for geometry in topo["objects"]["land"]["geometries"]:
        for polygon in polygons(geometry):
            outer = clip_ring(ring(polygon[0], arcs))
            pts = rounded(outer)
            if len(pts) > 1 and pts[0] == pts[-1]:
                pts.pop()
            if len(pts) >= 3 and area(pts) > 1e-6:
                land.append(pts)
    return {"source": SOURCE, "licence": LICENCE, "bbox": list(BBOX), **lines, "land": land}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("countries", type=Path, help="countries-50m.json of npm world-atlas 2.0.2")
    parser.add_argument("--out", type=Path, default=OUT_PATH)
    args = parser.parse_args()
    topo = json.loads(args.countries.read_text())
    data = make(topo)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, separators=(",", ":")) + "\n")
    print(f"{args.out}: {len(data['coastlines'])} coastlines, {len(data['borders'])} borders, "
          f"{len(data['land'])} land rings, {args.out.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
