"""Plots of a run: monthly time series of the main indicators, and a map of flows."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")   # files only; no display needed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .basemap import draw_basemap  # noqa: E402
from .palette import BLUE, BLUISH_GREEN, ORANGE, REDDISH_PURPLE, VERMILLION  # noqa: E402
from .run import RunResult  # noqa: E402

__all__ = ["plot_timeseries", "plot_flow_map", "MAIN_INDICATORS"]

MAIN_INDICATORS = ("entries_mexico", "deportations_mexico", "victimizations",
                   "asylum_applications_mexico", "apprehensions_us", "waiting_north")


def _monthly(result: RunResult, indicator: str) -> tuple[list, np.ndarray]:
    i = result.index(indicator)
    per_nat = result.data[:, i].sum(axis=2)                  # [day, nationality]
    months = np.array([d.year * 12 + d.month - 1 for d in result.dates])
    keys = np.unique(months)
    agg = np.stack([per_nat[months == k].sum(axis=0) if result.indicators[i].kind == "flow"
                    else per_nat[months == k].mean(axis=0) for k in keys])
    labels = [np.datetime64(f"{k // 12:04d}-{k % 12 + 1:02d}") for k in keys]
    return labels, agg


def plot_timeseries(result: RunResult, path: Path) -> None:
    fig, axes = plt.subplots(2, 3, figsize=(15, 8), sharex=True)
    for ax, name in zip(axes.flat, MAIN_INDICATORS, strict=True):
        x, y = _monthly(result, name)
        kind = result.indicators[result.index(name)].kind
        ax.stackplot(x, y.T, labels=result.nationalities, alpha=0.85)
        ax.set_title(name.replace("_", " ") + (" (monthly)" if kind == "flow" else " (mean/day)"))
        ax.grid(alpha=0.3)
        ax.tick_params(axis="x", rotation=30)
    axes.flat[0].legend(loc="upper left", fontsize=8, ncol=2)
    fig.suptitle(f"{result.scenario} (seed {result.seed}, Corridor {result.version})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_flow_map(result: RunResult, path: Path) -> None:
    lat = np.array(result.meta["lat"])
    lon = np.array(result.meta["lon"])
    kinds = result.meta["kinds"]
    idx = {loc: i for i, loc in enumerate(result.locations)}
    flows = result.route_flows
    def inside(i: int) -> bool:   # the corridor proper (far legs such as Chile-Colombia are off-map)
        return -120 < lon[i] < -74 and 6 < lat[i] < 35

    keep = np.array([inside(idx[a]) and inside(idx[b]) for a, b in result.routes])
    fig, ax = plt.subplots(figsize=(12, 9))
    draw_basemap(ax)
    top = flows.max() if flows.size and flows.max() > 0 else 1.0
    for (a, b), f, k in zip(result.routes, flows, keep, strict=True):
        if not k:
            continue
        i, j = idx[a], idx[b]
        ax.plot([lon[i], lon[j]], [lat[i], lat[j]], color="0.85", lw=0.8, zorder=1)
        if f > 0:
            ax.plot([lon[i], lon[j]], [lat[i], lat[j]], color=VERMILLION, alpha=0.75,
                    lw=0.5 + 9.0 * f / top, zorder=2, solid_capstyle="round")
    det = result.data[:, result.index("detentions_mexico")].sum(axis=(0, 1))
    app = result.data[:, result.index("apprehensions_us")].sum(axis=(0, 1))
    shown = np.array([inside(i) for i in range(lon.size)])
    colors = {"origin": BLUISH_GREEN, "us_sector": BLUE, "border_city_mx": ORANGE}
    ax.scatter(lon[shown], lat[shown], s=12, zorder=3,
               c=[colors.get(kinds[i], "0.3") for i in np.flatnonzero(shown)])
    for values, color, label in ((det, REDDISH_PURPLE, "detentions by Mexico"),
                                 (app, BLUE, "US apprehensions")):
        if values.max() > 0:
            ax.scatter(lon[shown], lat[shown], s=600 * values[shown] / values.max(), facecolors="none",
                       edgecolors=color, lw=1.2, zorder=4, label=label)
    for i in np.flatnonzero(shown):
        big = det[i] >= np.sort(det)[-4] or app[i] >= np.sort(app)[-4]
        if kinds[i] in ("origin", "asylum_office") or (big and det[i] + app[i] > 0):
            ax.annotate(result.locations[i].replace("_", " "), (lon[i], lat[i]), fontsize=7,
                        xytext=(3, 3), textcoords="offset points", zorder=5)
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    if shown.any():   # the nodes shown plus a margin (the basemap sets no limits)
        margin = 1.5
        ax.set_xlim(lon[shown].min() - margin, lon[shown].max() + margin)
        ax.set_ylim(lat[shown].min() - margin, lat[shown].max() + margin)
    ax.set_aspect("equal")
    ax.grid(alpha=0.2)
    ax.legend(loc="lower left")
    ax.set_title(f"Flows along the corridor, {result.dates[0]} to {result.dates[-1]} "
                 f"(line width ~ people travelling each route; peak {top:,.0f})")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
