"""Places and routes: CSR layout, shortest distances, and clear errors for bad files."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import NODES_CSV, ROUTES_CSV, write_network

from corridor.errors import DataError
from corridor.models.corridor import builtin_network_paths
from corridor.network import MODES, load_network


@pytest.fixture(scope="module")
def tiny_net(tmp_path_factory):
    n, r = write_network(tmp_path_factory.mktemp("net"))
    return load_network(n, r)


def test_sizes_and_attributes(tiny_net):
    net = tiny_net
    assert net.n_locations == 12
    assert net.n_routes == 6
    assert net.countries == ("GTM", "MEX", "USA")
    assert net.kinds[net.kind[net.index("tapachula")]] == "asylum_office"
    assert net.zones[net.zone[net.index("reynosa")]] == "north_mx"
    assert net.regions[net.region[net.index("veracruz")]] == "Veracruz"
    assert net.has("morelia") and not net.has("nowhere")
    with pytest.raises(KeyError):
        net.index("nowhere")


def test_csr_lists_the_routes_out_of_each_node(tiny_net):
    net = tiny_net
    expected: dict[str, set[tuple[str, float]]] = {i: set() for i in net.ids}
    for line in ROUTES_CSV.strip().splitlines()[1:]:
        a, b, km, _ = line.split(",")
        expected[a].add((b, float(km)))
    assert net.indptr[0] == 0 and net.indptr[-1] == net.n_routes
    assert np.all(np.diff(net.indptr) >= 0)
    for i, lid in enumerate(net.ids):
        rs = range(net.indptr[i], net.indptr[i + 1])
        got = {(net.ids[net.dst[r]], float(net.km[r])) for r in rs}
        assert got == expected[lid], lid
        assert all(net.src[r] == i for r in rs)


def test_route_index_and_modes(tiny_net):
    net = tiny_net
    r = net.route_index("tapachula", "veracruz")
    assert net.ids[net.src[r]] == "tapachula" and net.ids[net.dst[r]] == "veracruz"
    bits = {m for k, m in enumerate(MODES) if net.mode_mask[r] >> k & 1}
    assert bits == {"bus", "foot"}
    assert net.min_days[r] == 0.0
    with pytest.raises(KeyError):
        net.route_index("veracruz", "tapachula")   # routes are directed


def test_mask(tiny_net):
    m = tiny_net.mask("kind", ["origin"])
    assert {tiny_net.ids[i] for i in np.flatnonzero(m)} == {
        "huehuetenango", "quetzaltenango", "guatemala_city", "morelia", "zacatecas", "oaxaca_city"}


def test_distance_to_us_is_the_hand_computed_km(tiny_net):
    net = tiny_net
    d = net.distance_to(net.mask("kind", ["us_sector"]))
    by_id = dict(zip(net.ids, d, strict=True))
    assert by_id["us_mcallen"] == 0
    assert by_id["reynosa"] == 18
    assert by_id["veracruz"] == 818
    assert by_id["tapachula"] == 1418
    assert by_id["tecun_uman"] == 1448
    assert by_id["huehuetenango"] == 1508
    assert by_id["morelia"] == 1218
    assert np.isinf(by_id["zacatecas"]) and np.isinf(by_id["tenosique"])


def test_distance_takes_the_shortest_of_two_ways(tmp_path):
    nodes = "id,name,country,admin1,lat,lon,kind,zone\n" + "\n".join(
        f"{x},{x},MEX,S,1,1,transit,z" for x in "abcd") + "\n"
    routes = "from,to,road_km,modes\na,b,10,bus\nb,d,10,bus\na,c,5,bus\nc,d,30,bus\n"
    n, r = write_network(tmp_path, nodes, routes)
    net = load_network(n, r)
    target = np.array([lid == "d" for lid in net.ids])
    assert dict(zip(net.ids, net.distance_to(target).tolist(), strict=True)) == {
        "a": 20.0, "b": 10.0, "c": 30.0, "d": 0.0}


def test_min_days_column_is_read(tmp_path):
    routes = "from,to,road_km,modes,min_days\n" + "\n".join(
        line + ("," + ("3" if i == 0 else "")) for i, line in enumerate(ROUTES_CSV.strip().splitlines()[1:])) + "\n"
    n, r = write_network(tmp_path, NODES_CSV, routes)
    net = load_network(n, r)
    assert net.min_days[net.route_index("huehuetenango", "tecun_uman")] == 3.0
    assert net.min_days[net.route_index("reynosa", "us_mcallen")] == 0.0


# --- bad input: DataError naming the file and the row/column -------------------------

def _bad(tmp_path, *, nodes=NODES_CSV, routes=ROUTES_CSV):
    n, r = write_network(tmp_path, nodes, routes)
    with pytest.raises(DataError) as exc:
        load_network(n, r)
    return exc.value, n, r


def _route_rows(extra: str) -> str:
    return ROUTES_CSV + extra


def test_missing_file(tmp_path):
    n, _ = write_network(tmp_path)
    with pytest.raises(DataError) as exc:
        load_network(n, tmp_path / "no_routes.csv")
    assert "no_routes.csv" in str(exc.value)


def test_empty_file(tmp_path):
    err, n, _ = _bad(tmp_path, nodes="")
    assert str(n) in str(err)


def test_header_but_no_rows(tmp_path):
    err, _, r = _bad(tmp_path, routes="from,to,road_km,modes\n")
    assert str(r) in str(err) and "no rows" in str(err)


def test_missing_column(tmp_path):
    err, _, r = _bad(tmp_path, routes=ROUTES_CSV.replace("road_km", "distance"))
    assert str(r) in str(err) and "road_km" in str(err)


@pytest.mark.parametrize("km, words", [("far", "not a number"), ("-5", "not positive"),
                                        ("0", "not positive"), ("", "empty"), ("inf", "finite")])
def test_bad_km(tmp_path, km, words):
    err, _, r = _bad(tmp_path, routes=_route_rows(f"tapachula,reynosa,{km},bus\n"))
    text = str(err)
    assert str(r) in text and "row 8, column road_km" in text and words in text
    assert err.where == str(r) and err.at == "row 8, column road_km"


@pytest.mark.parametrize("col", ["from", "to"])
def test_unknown_location_in_routes(tmp_path, col):
    row = "atlantis,reynosa,5,bus\n" if col == "from" else "reynosa,atlantis,5,bus\n"
    err, _, r = _bad(tmp_path, routes=_route_rows(row))
    assert str(r) in str(err) and f"row 8, column {col}" in str(err) and "atlantis" in str(err)


def test_unknown_mode(tmp_path):
    err, _, r = _bad(tmp_path, routes=_route_rows("tapachula,reynosa,5,bus;teleport\n"))
    assert str(r) in str(err) and "row 8, column modes" in str(err) and "teleport" in str(err)


def test_no_mode(tmp_path):
    err, _, r = _bad(tmp_path, routes=_route_rows("tapachula,reynosa,5,\n"))
    assert "row 8, column modes" in str(err)


def test_duplicate_location_id(tmp_path):
    err, n, _ = _bad(tmp_path, nodes=NODES_CSV + "reynosa,Again,MEX,Tamaulipas,26,-98,transit,north_mx\n")
    assert str(n) in str(err) and "row 14, column id" in str(err) and "duplicate" in str(err)


def test_duplicate_route(tmp_path):
    err, _, r = _bad(tmp_path, routes=_route_rows("veracruz,reynosa,900,foot\n"))
    assert str(r) in str(err) and "row 8" in str(err) and "duplicate" in str(err)


def test_self_loop(tmp_path):
    err, _, r = _bad(tmp_path, routes=_route_rows("reynosa,reynosa,5,bus\n"))
    assert str(r) in str(err) and "row 8" in str(err) and "itself" in str(err)


def test_bad_coordinates(tmp_path):
    err, n, _ = _bad(tmp_path, nodes=NODES_CSV + "x,X,MEX,S,95,-98,transit,north_mx\n")
    assert str(n) in str(err) and "row 14" in str(err)


def test_empty_required_node_value(tmp_path):
    err, n, _ = _bad(tmp_path, nodes=NODES_CSV + "x,X,MEX,S,20,-98,,north_mx\n")
    assert str(n) in str(err) and "row 14, column kind" in str(err)


def test_not_utf8(tmp_path):
    n, r = write_network(tmp_path)
    n.write_bytes(NODES_CSV.replace("Michoacán", "Michoac\xe1n").encode("latin-1"))
    with pytest.raises(DataError) as exc:
        load_network(n, r)
    assert str(n) in str(exc.value) and "UTF-8" in str(exc.value)


# --- the built-in network ------------------------------------------------------------

@pytest.fixture(scope="module")
def builtin_net():
    return load_network(*builtin_network_paths())


def test_builtin_network_loads(builtin_net):
    net = builtin_net
    assert net.n_locations > 50 and net.n_routes > 50
    assert {"origin", "border_city_mx", "us_sector", "asylum_office"} <= set(net.kinds)
    assert np.all(net.km > 0)


def test_every_builtin_origin_reaches_the_us(builtin_net):
    net = builtin_net
    d = net.distance_to(net.mask("kind", ["us_sector"]))
    origins = np.flatnonzero(net.mask("kind", ["origin"]))
    unreachable = [net.ids[i] for i in origins if not np.isfinite(d[i])]
    assert not unreachable
    # and every border city has a direct route into a US sector
    us = net.mask("kind", ["us_sector"])
    for i in np.flatnonzero(net.mask("kind", ["border_city_mx"])):
        outs = net.dst[net.indptr[i]:net.indptr[i + 1]]
        assert us[outs].any(), net.ids[i]
