"""A synthetic corridor for benchmarks: a layered graph of many places and a crowd leaving at once.

``write_world(folder, layers=100, width=100)`` writes ``nodes.csv`` and ``routes.csv`` of a
graph of ``layers x width`` places running north: a layer of origins (Guatemala), a layer of
border crossings, Mexican layers (southern states, then transit states, then northern
states), a layer of Mexican border cities and a layer of US sectors. Every place has
routes to its three neighbours in the next layer (30,000 routes for the default size),
with distances between 40 and 160 km and the modes the real corridor has. State names
are real ones, so the model's sourced hazards by state apply.

``scenario(folder, agents=10_000_000, days=100)`` returns a scenario mapping in which
``agents`` people leave on the first day (a departure multiplier on that day only), then
a trickle of ten a day; there is no spin-up, and few give up (``transit_stop_per_day``
0.002) so that the crowd stays on the road for the whole run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SOUTH = ("Chiapas", "Tabasco")
TRANSIT = ("Oaxaca", "Veracruz", "Puebla", "Mexico City", "Jalisco", "San Luis Potosí", "Guanajuato")
NORTH = ("Tamaulipas", "Nuevo León", "Coahuila", "Chihuahua", "Sonora", "Baja California")
US = ("Texas", "Arizona", "California")


def _layer(k: int, layers: int) -> tuple[str, str, str, str]:
    """(country, kind, zone, states) of layer ``k``."""
    if k == 0:
        return "GTM", "origin", "origin", "Huehuetenango"
    if k == 1:
        return "GTM", "border_crossing", "abroad", "San Marcos"
    if k == layers - 1:
        return "USA", "us_sector", "us", "US"
    if k == layers - 2:
        return "MEX", "border_city_mx", "north_mx", "NORTH"
    mexican = layers - 4                     # layers 2 .. layers-3
    j = k - 2
    if j < mexican // 5:
        return "MEX", "transit", "south_mx", "SOUTH"
    if j < 4 * mexican // 5:
        return "MEX", "transit", "transit_mx", "TRANSIT"
    return "MEX", "transit", "north_mx", "NORTH"


def write_world(folder: Path, layers: int = 100, width: int = 100) -> tuple[Path, Path]:
    """Write the graph; returns (nodes.csv, routes.csv)."""
    if layers < 6 or width < 3:
        raise ValueError("need at least 6 layers and 3 places per layer")
    folder.mkdir(parents=True, exist_ok=True)
    nodes = ["id,name,country,admin1,lat,lon,kind,zone"]
    for k in range(layers):
        country, kind, zone, states = _layer(k, layers)
        pool = {"SOUTH": SOUTH, "TRANSIT": TRANSIT, "NORTH": NORTH, "US": US}.get(states, (states,))
        for i in range(width):
            if k == 3 and i % 10 == 0:
                kind_i = "asylum_office"             # a few places with an asylum office in the south
            else:
                kind_i = kind
            lat = 14.0 + 18.0 * k / (layers - 1)
            lon = -104.0 + 14.0 * i / (width - 1)
            nodes.append(f"p{k}_{i},P{k}.{i},{country},{pool[i % len(pool)]},{lat:.4f},{lon:.4f},{kind_i},{zone}")
    routes = ["from,to,road_km,modes"]
    for k in range(layers - 1):
        for i in range(width):
            for d in (-1, 0, 1):
                j = (i + d) % width
                if k == layers - 2:
                    km, modes = 15 + (i + j) % 10, "foot"                    # into the US: the border phase
                elif k == 0:
                    km, modes = 40 + 20 * ((i * 7 + j * 3) % 7), "foot;bus"
                else:
                    km = 40 + 20 * ((i * 7 + j * 3 + k * 13) % 7)
                    modes = "foot;bus;car;freight_train" if (i + k) % 4 == 0 else "foot;bus;car"
                routes.append(f"p{k}_{i},p{k + 1}_{j},{km},{modes}")
    n, r = folder / "nodes.csv", folder / "routes.csv"
    n.write_text("\n".join(nodes) + "\n", encoding="utf-8")
    r.write_text("\n".join(routes) + "\n", encoding="utf-8")
    return n, r


def scenario(folder: Path, agents: int = 10_000_000, days: int = 100, layers: int = 100,
             width: int = 100, seed: int = 20260101) -> dict[str, Any]:
    """The benchmark scenario on the graph in ``folder`` (written if missing)."""
    n, r = folder / "nodes.csv", folder / "routes.csv"
    if not (n.is_file() and r.is_file()):
        write_world(folder, layers, width)
    trickle = 10.0 * 365.25                        # ten a day
    return {
        "name": f"synthetic-{layers * width}-places-{agents}-agents",
        "description": "benchmark: layered synthetic corridor, everyone leaving on day one",
        "start": "2010-01-01",
        "end": _end(days),
        "spin_up_days": 0,
        "seed": seed,
        "population_scale": 1.0,
        "network": {"nodes": str(n), "routes": str(r)},
        "nationalities": ["GTM"],
        "parameters": {
            "departures_per_year": {"GTM": trickle},
            "departure_seasonality": 1.0,
            "transit_stop_per_day": 0.002,        # keep the crowd on the road: a benchmark, not a forecast
            "origin_share": {"GTM": {"*": 1.0 / width}},
            "deportation_destination": {"*": "p1_0"},
        },
        "policies": [{
            "name": "everyone-leaves-on-day-one", "start": "2010-01-01", "end": "2010-01-01",
            "scale": {"departure_multiplier": {"GTM": agents / 10.0}},
            "source": {"kind": "assumption", "note": "benchmark"},
        }],
    }


def _end(days: int) -> str:
    import datetime as dt

    return str(dt.date(2010, 1, 1) + dt.timedelta(days=days - 1))
