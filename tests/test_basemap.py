"""The shipped basemap (Natural Earth 1:50m, clipped to the corridor) and the flow map drawn on it."""

from __future__ import annotations

import math

import pytest

from corridor.results.basemap import draw_basemap, load_basemap
from corridor.results.palette import OKABE_ITO


def _vertices(lines):
    return [p for line in lines for p in line]


def _near(lines, lon: float, lat: float, tol: float) -> bool:
    return any(math.hypot(x - lon, y - lat) <= tol for x, y in _vertices(lines))


def test_loads_with_coastlines_borders_and_source():
    data = load_basemap()
    assert load_basemap() is data   # cached
    assert data["bbox"] == [-125, 0, -70, 37]
    assert len(data["coastlines"]) > 10 and len(data["borders"]) > 5
    assert all(len(line) >= 2 for line in data["coastlines"] + data["borders"])
    assert "Natural Earth" in data["source"] and "public domain" in data["licence"]


def test_all_coordinates_inside_the_box():
    data = load_basemap()
    x0, y0, x1, y1 = data["bbox"]
    for key in ("coastlines", "borders", "land"):
        for x, y in _vertices(data.get(key, [])):
            assert x0 <= x <= x1 and y0 <= y <= y1, (key, x, y)


@pytest.mark.parametrize(("kind", "lon", "lat", "tol"), [
    ("coastlines", -105.3, 20.6, 0.5),   # Pacific coast of Mexico, Puerto Vallarta
    ("borders", -106.5, 31.75, 0.3),     # US-Mexico border, Ciudad Juarez / El Paso
    ("borders", -92.2, 14.6, 0.3),       # Guatemala-Mexico border, Tecun Uman
])
def test_known_places(kind, lon, lat, tol):
    assert _near(load_basemap()[kind], lon, lat, tol)


def test_gulf_of_mexico_is_not_a_border():
    # the Gulf coast near Veracruz is coastline only
    data = load_basemap()
    assert _near(data["coastlines"], -96.1, 19.2, 0.3)
    assert not _near(data["borders"], -96.1, 19.2, 1.0)


def test_draw_basemap_sets_no_limits():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    before = (ax.get_xlim(), ax.get_ylim())
    draw_basemap(ax)
    assert (ax.get_xlim(), ax.get_ylim()) == before
    assert len(ax.collections) == 3
    assert all(c.get_zorder() <= 1 for c in ax.collections)
    plt.close(fig)


def test_palette():
    assert len(OKABE_ITO) == 8 and OKABE_ITO[0] == "#E69F00" and OKABE_ITO[-1] == "#000000"


def test_plot_flow_map_writes_a_png(tiny_result, tmp_path):
    from corridor.results.plots import plot_flow_map

    path = tmp_path / "flow_map.png"
    plot_flow_map(tiny_result, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
