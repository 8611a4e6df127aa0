"""What the corridor model needs of a network, checked when a scenario is built.

A network that reads as CSV can still mean nothing to the model: a mistyped ``kind``
silently removes a place's role (Tapachula's asylum office), a country that is no ISO code
matches no parameter, and an origin people leave from with no road to the United States
strands them all. Each is an error naming the file, row and what was expected.
"""

from __future__ import annotations

import difflib

import numpy as np

from ...countries import COUNTRY_CODE_RULE, is_country_code
from ...errors import DataError
from ...network import Network

__all__ = ["KINDS", "ZONES", "check_places", "check_reachable", "border_cities_out_of_reach"]

#: Place kinds the rules read (data/corridor/network/README.md says what each is).
KINDS = ("origin", "other", "darien", "border_crossing", "asylum_office", "transit", "border_city_mx",
         "us_sector")
#: Zones the parameters and policies act on.
ZONES = ("origin", "abroad", "south_mx", "transit_mx", "north_mx", "us")


def _nodes_file(net: Network) -> str:
    return net.source_file.split("; ")[0]


def _check_names(net: Network, attribute: str, known: tuple[str, ...], codes: np.ndarray,
                 names: tuple[str, ...]) -> None:
    for c, name in enumerate(names):
        if name in known:
            continue
        row = int(np.flatnonzero(codes == c)[0])
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise DataError(f"unknown {attribute} {name!r} of place {net.ids[row]!r}{hint}", where=_nodes_file(net),
                        at=f"place {net.ids[row]}, column {attribute}", expected="one of " + ", ".join(known))


def check_places(net: Network) -> None:
    """Known kinds and zones, ISO country codes, and at least one place on the US side."""
    _check_names(net, "kind", KINDS, net.kind, net.kinds)
    _check_names(net, "zone", ZONES, net.zone, net.zones)
    for c, code in enumerate(net.countries):
        if not is_country_code(code):
            row = int(np.flatnonzero(net.country == c)[0])
            raise DataError(f"{code!r} is not a country code", where=_nodes_file(net),
                            at=f"place {net.ids[row]}, column country", expected=COUNTRY_CODE_RULE)
    if not net.mask("kind", ["us_sector"]).any():
        raise DataError("no place of kind us_sector: nobody can reach the United States",
                        where=_nodes_file(net), expected="at least one us_sector place")


def check_reachable(net: Network, origins: np.ndarray, dist_to_us: np.ndarray) -> None:
    """Every origin in ``origins`` (people leave from it) and every border place (a crossing,
    a border city) has a road to the US side: a dead end would strand everyone who takes it."""
    routes_file = net.source_file.split("; ")[-1]
    for i in origins:
        if not np.isfinite(dist_to_us[i]):
            raise DataError(f"people leave from {net.ids[i]!r} but no route leads from it to the United States",
                            where=routes_file, expected=f"routes from {net.ids[i]} on to a us_sector place")
    border = net.mask("kind", ["border_crossing", "border_city_mx"])
    for i in np.flatnonzero(border & ~np.isfinite(dist_to_us)):
        raise DataError(f"{net.kinds[net.kind[i]]} {net.ids[i]!r} is a dead end: no route leads from it "
                        "to the United States", where=routes_file,
                        expected=f"routes from {net.ids[i]} on to a us_sector place")


def border_cities_out_of_reach(net: Network, origins: np.ndarray) -> list[str]:
    """Border cities nobody can reach from ``origins``: travel ends at the first border city
    on the way (people wait there to cross), so a city whose every road comes from another
    border city is out of reach, and every policy acting there acts on nobody."""
    stops = net.mask("kind", ["border_city_mx", "us_sector"])
    seen = np.zeros(net.n_locations, dtype=bool)
    todo = [int(i) for i in origins]
    seen[todo] = True
    while todo:
        u = todo.pop()
        if stops[u]:
            continue
        for v in net.dst[net.indptr[u]:net.indptr[u + 1]].tolist():
            if not seen[v]:
                seen[v] = True
                todo.append(v)
    return [net.ids[i] for i in np.flatnonzero(net.mask("kind", ["border_city_mx"]) & ~seen)]
