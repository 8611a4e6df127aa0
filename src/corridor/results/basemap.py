"""A small basemap of the corridor (Natural Earth 1:50m coastlines, borders, land) shipped with the package.

The data are made by scripts/make_basemap.py; see src/corridor/data/basemap/README.md.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

__all__ = ["load_basemap", "draw_basemap"]


@lru_cache(maxsize=1)
def load_basemap() -> dict:
    """The basemap: ``bbox`` [lon_min, lat_min, lon_max, lat_max], ``coastlines`` and ``borders``
    (lists of [[lon, lat], ...] lines) and ``land`` (outer rings), plus ``source`` and ``licence``.
    Cached: do not modify the returned dict."""
    path = resources.files("corridor") / "data" / "basemap" / "corridor_50m.json"
    return json.loads(path.read_text(encoding="utf-8"))


def draw_basemap(ax, *, land: str = "#f2f2f2", coast: str = "#8c8c8c", border: str = "#b0b0b0") -> None:
    """Draw land (if present), coastlines and dashed country borders on a matplotlib Axes, at zorder
    0-1; sets nothing else (no limits, aspect or labels)."""
    from matplotlib.collections import LineCollection, PolyCollection

    data = load_basemap()
    if data.get("land"):
        ax.add_collection(PolyCollection(data["land"], facecolors=land, edgecolors="none", zorder=0),
                          autolim=False)
    ax.add_collection(LineCollection(data["coastlines"], colors=coast, linewidths=0.6, zorder=0.5),
                      autolim=False)
    ax.add_collection(LineCollection(data["borders"], colors=border, linewidths=0.6, linestyles=(0, (4, 2)),
                                     zorder=0.6), autolim=False)
