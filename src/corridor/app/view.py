"""What the page shows of a finished run or comparison, read back from its output folder.

Everything here reads the files ``corridor run`` and ``corridor compare`` write (so a past
run opened from the registry and a run just made look the same) and draws with matplotlib
in the Okabe-Ito palette (colour-blind safe).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from ..observed import for_indicator  # noqa: E402
from ..results.basemap import draw_basemap  # noqa: E402
from ..results.palette import BLACK, BLUE, OKABE_ITO, ORANGE, REDDISH_PURPLE, SKY_BLUE, VERMILLION  # noqa: E402
from ..results.run import fiscal_year  # noqa: E402

__all__ = ["RunView", "load_run", "series_figure", "map_figure", "compare_rows", "compare_place_figure",
           "PLACE_INDICATORS"]

#: What the map can show at places: where people are detained, attacked, waiting, apprehended.
PLACE_INDICATORS = ("detentions_mexico", "victimizations", "waiting_north", "apprehensions_us",
                    "deportations_mexico", "asylum_applications_mexico")


@dataclass(frozen=True)
class RunView:
    """A run reduced to months: ``monthly[month, indicator, nationality, location]`` (flows
    summed over the month, stocks the mean number of people per day)."""

    folder: Path
    summary: dict[str, Any]
    meta: dict[str, Any]
    months: tuple[dt.date, ...]
    indicators: tuple[str, ...]
    kinds: tuple[str, ...]
    nationalities: tuple[str, ...]
    locations: tuple[str, ...]
    monthly: np.ndarray
    routes: tuple[tuple[str, str], ...]
    route_flows: np.ndarray
    route_monthly: np.ndarray | None = None    # [month, route]; None: a run written without daily route flows

    def annual(self, indicator: str, nationality: str = "total", fiscal: bool = False) -> dict[int, float]:
        """Totals (flows) or mean per day (stocks) of every year the run covers in full."""
        i = self.indicators.index(indicator)
        x = self.monthly[:, i].sum(axis=2)
        x = x.sum(axis=1) if nationality == "total" else (
            x[:, self.nationalities.index(nationality)] if nationality in self.nationalities
            else np.zeros(len(self.months)))
        keys = [fiscal_year(m) if fiscal else m.year for m in self.months]
        first, last = _first_last(self.summary)
        out = {}
        for year in sorted(set(keys)):
            start = dt.date(year - 1, 10, 1) if fiscal else dt.date(year, 1, 1)
            end = dt.date(year, 9, 30) if fiscal else dt.date(year, 12, 31)
            if start < first or end > last:
                continue                                   # a year the run covers in part only
            vals = [v for k, v in zip(keys, x, strict=True) if k == year]
            out[year] = float(sum(vals)) if self.kinds[i] == "flow" else float(np.mean(vals))
        return out


def _first_last(summary: dict[str, Any]) -> tuple[dt.date, dt.date]:
    periods = summary["periods"].values()
    return (min(dt.date.fromisoformat(p["first_day"]) for p in periods),
            max(dt.date.fromisoformat(p["last_day"]) for p in periods))


def _indicator_kinds(summary: dict[str, Any]) -> dict[str, str]:
    from .. import packs

    for name in packs.names():
        pack = packs.get(name)
        kinds = {ind.name: ind.kind for ind in getattr(pack, "indicators", ())}
        year = next(iter(summary["years"].values()), {})
        if kinds and set(year) <= set(kinds):
            return kinds
    return {}


def load_run(folder: str | Path) -> RunView:
    """Read a run folder written by ``corridor run`` (or by the app)."""
    folder = Path(folder)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    meta = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    table = pq.read_table(folder / "daily.parquet").unify_dictionaries().combine_chunks()
    first, last = _first_last(summary)
    months = []
    d = dt.date(first.year, first.month, 1)
    while d <= last:
        months.append(d)
        d = _next_month(d)
    days_in = np.array([(min(_next_month(m), last + dt.timedelta(days=1)) - max(m, first)).days for m in months])

    def dictionary(col: str) -> tuple[list[str], np.ndarray]:
        arr = table.column(col).chunk(0) if table.num_rows else None
        if arr is None:
            return [], np.zeros(0, dtype=np.int64)
        return arr.dictionary.to_pylist(), arr.indices.to_numpy(zero_copy_only=False).astype(np.int64)

    kinds_known = _indicator_kinds(summary)
    indicators = list(kinds_known) or sorted(next(iter(summary["years"].values()), {}))
    nationalities = sorted({n for y in summary["years"].values() for v in y.values() for n in v} - {"total"})
    ind_names, ind_idx = dictionary("indicator")
    nat_names, nat_idx = dictionary("nationality")
    loc_names, loc_idx = dictionary("location")
    locations = loc_names
    monthly = np.zeros((len(months), len(indicators), len(nationalities), len(locations)))
    if table.num_rows:
        dates = table.column("date").to_numpy().astype("datetime64[D]").astype(object)
        month_of = {m: k for k, m in enumerate(months)}
        m_idx = np.array([month_of[dt.date(x.year, x.month, 1)] for x in dates])
        remap = lambda names, known: np.array([known.index(n) if n in known else -1 for n in names])  # noqa: E731
        i = remap(ind_names, indicators)[ind_idx]
        n = remap(nat_names, nationalities)[nat_idx]
        ok = (i >= 0) & (n >= 0)
        np.add.at(monthly, (m_idx[ok], i[ok], n[ok], loc_idx[ok]), table.column("value").to_numpy()[ok])
    kinds = tuple(kinds_known.get(x, "flow") for x in indicators)
    stock = np.array([k == "stock" for k in kinds])
    monthly[:, stock] /= days_in[:, None, None, None]
    routes_t = pq.read_table(folder / "route_flows.parquet")
    routes = tuple(zip(routes_t.column("from").to_pylist(), routes_t.column("to").to_pylist(), strict=True))
    route_monthly = None
    daily_routes = folder / "route_flows_daily.parquet"
    if daily_routes.exists():
        t = pq.read_table(daily_routes).to_pydict()
        index = {r: k for k, r in enumerate(routes)}
        month_of = {m: k for k, m in enumerate(months)}
        route_monthly = np.zeros((len(months), len(routes)))
        for d, a, b, v in zip(t["date"], t["from"], t["to"], t["traversals"], strict=True):
            route_monthly[month_of[dt.date(d.year, d.month, 1)], index[(a, b)]] += v
    return RunView(folder, summary, meta, tuple(months), tuple(indicators), kinds, tuple(nationalities),
                   tuple(locations), monthly, routes, routes_t.column("traversals").to_numpy().astype(float),
                   route_monthly)


def _next_month(d: dt.date) -> dt.date:
    return dt.date(d.year + d.month // 12, d.month % 12 + 1, 1)


@lru_cache(maxsize=1)
def _places() -> dict[str, tuple[float, float, str]]:
    """Coordinates and kind of the built-in network's places (id -> lon, lat, kind)."""
    path = resources.files("corridor") / "data" / "corridor" / "network" / "nodes.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        return {r["id"]: (float(r["lon"]), float(r["lat"]), r.get("kind", "")) for r in csv.DictReader(fh)}


def _label(name: str) -> str:
    return name.replace("_", " ")


def _bands(view: RunView, indicator: str, nationality: str, calendar: str) -> dict[str, tuple[float, float, float]]:
    """Period label -> (5%, median, 95%) of the run's ensemble (``ensemble/bands_*.parquet``),
    empty when the run was made without replications."""
    name = "bands_monthly.parquet" if calendar == "month" else "bands_yearly.parquet"
    path = view.folder / "ensemble" / name
    if not path.exists():
        return {}
    t = pq.read_table(path, filters=[("indicator", "=", indicator), ("nationality", "=", nationality),
                                     ("calendar", "=", calendar)]).to_pylist()
    return {r["period"]: (r["q05"], r["q50"], r["q95"]) for r in t}


def series_figure(view: RunView, indicator: str, nationality: str = "total") -> Figure:
    """Monthly values of one indicator, and yearly totals beside the observed series (if the
    facts hold one for it)."""
    i = view.indicators.index(indicator)
    kind = view.kinds[i]
    fig = Figure(figsize=(9, 6.2), layout="constrained")
    top, bottom = fig.subplots(2, 1)
    x = view.monthly[:, i].sum(axis=2)
    if nationality == "total":
        top.stackplot(view.months, x.T, labels=view.nationalities, colors=OKABE_ITO[:len(view.nationalities)],
                      alpha=0.9)
        top.legend(loc="upper left", fontsize=7, ncol=4)
    else:
        top.plot(view.months, x[:, view.nationalities.index(nationality)], color=BLUE, label="this run")
    band = _bands(view, indicator, nationality, "month")
    if band:
        months = [m for m in view.months if m.strftime("%Y-%m") in band]
        lo = [band[m.strftime("%Y-%m")][0] for m in months]
        hi = [band[m.strftime("%Y-%m")][2] for m in months]
        top.fill_between(months, lo, hi, color=BLACK, alpha=0.15, step=None, label="90% band (replications)")
        top.plot(months, [band[m.strftime("%Y-%m")][1] for m in months], color=BLACK, lw=1, label="median")
        if nationality != "total":
            top.legend(loc="upper left", fontsize=7)
    top.set_title(f"{_label(indicator)}, {nationality}: " + ("per month" if kind == "flow" else "mean per day"))
    top.grid(alpha=0.3)
    obs = for_indicator(indicator, nationality)
    fiscal = obs is not None and obs.period == "fiscal_year"
    model = view.annual(indicator, nationality, fiscal=fiscal)
    if model:
        bottom.plot(list(model), list(model.values()), "o-", color=VERMILLION, label="model (this run)")
        yb = _bands(view, indicator, nationality, "fiscal_year" if fiscal else "year")
        years = [y for y in model if str(y) in yb]
        if years:
            lo = [yb[str(y)][1] - yb[str(y)][0] for y in years]
            hi = [yb[str(y)][2] - yb[str(y)][1] for y in years]
            bottom.errorbar(years, [yb[str(y)][1] for y in years], yerr=[lo, hi], fmt="none", ecolor=VERMILLION,
                            capsize=4, label="model: median and 90% band")
    if obs is not None:
        first, last = view.months[0].year, view.months[-1].year + (1 if fiscal else 0)
        years = [y for y in obs.values if first - 2 <= y <= last + 2]
        bottom.plot(years, [obs.values[y] for y in years], "s", color=BLACK, mfc="none",
                    label=f"observed ({obs.source})")
    unit = "US fiscal year" if fiscal else "calendar year"
    bottom.set_title(f"by {unit} (full years only)" + ("" if obs else "; no observed series in the facts"))
    bottom.grid(alpha=0.3)
    bottom.xaxis.get_major_locator().set_params(integer=True)
    if model or obs:
        bottom.legend(loc="best", fontsize=7)
    return fig


def _coords(view: RunView) -> dict[str, tuple[float, float, str]]:
    places = _places()
    return {loc: places[loc] for loc in view.locations if loc in places}


def _frame(ax: Any, points: list[tuple[float, float]]) -> None:
    lons = [p[0] for p in points if -125 < p[0] < -70 and 0 < p[1] < 37]
    lats = [p[1] for p in points if -125 < p[0] < -70 and 0 < p[1] < 37]
    draw_basemap(ax)
    if lons:
        ax.set_xlim(min(lons) - 1.5, max(lons) + 1.5)
        ax.set_ylim(min(lats) - 1.5, max(lats) + 1.5)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])


def map_figure(view: RunView, indicator: str, month: int | None = None) -> Figure:
    """The corridor on its basemap: people travelling each route (line width) and ``indicator``
    at each place (circles), in month ``month`` (index into ``view.months``; None: the whole
    run). Line widths keep one scale over the months, so they can be compared."""
    coords = _coords(view)
    fig = Figure(figsize=(9, 7), layout="constrained")
    ax = fig.subplots()
    _frame(ax, list(coords.values()))
    by_month = month is not None and view.route_monthly is not None
    flows = view.route_monthly[month] if by_month else view.route_flows
    scale_of = view.route_monthly if by_month else view.route_flows
    top = scale_of.max() if scale_of.size and scale_of.max() > 0 else 1.0
    for (a, b), f in zip(view.routes, flows, strict=True):
        if a in coords and b in coords:
            (x0, y0, _), (x1, y1, _) = coords[a], coords[b]
            ax.plot([x0, x1], [y0, y1], color="0.75", lw=0.6, zorder=2)
            if f > 0:
                ax.plot([x0, x1], [y0, y1], color=SKY_BLUE, lw=0.5 + 7 * f / top, alpha=0.8, zorder=2,
                        solid_capstyle="round")
    i = view.indicators.index(indicator)
    block = view.monthly[:, i] if month is None else view.monthly[month:month + 1, i]
    values = block.sum(axis=(0, 1)) if view.kinds[i] == "flow" or month is not None else block.sum(axis=1).mean(0)
    xs = [coords[loc][0] for loc in view.locations if loc in coords]
    ys = [coords[loc][1] for loc in view.locations if loc in coords]
    vs = np.array([values[k] for k, loc in enumerate(view.locations) if loc in coords])
    biggest = vs.max() if vs.size and vs.max() > 0 else 1.0
    ax.scatter(xs, ys, s=6, color=BLACK, zorder=3)
    ax.scatter(xs, ys, s=900 * vs / biggest, facecolors="none", edgecolors=REDDISH_PURPLE, lw=1.4, zorder=4)
    for k in np.argsort(-vs)[:6]:
        if vs[k] > 0:
            loc = [loc for loc in view.locations if loc in coords][k]
            ax.annotate(f"{_label(loc)}: {vs[k]:,.0f}", (xs[k], ys[k]), fontsize=7, xytext=(4, 4),
                        textcoords="offset points", zorder=5)
    when = "the whole run" if month is None else view.months[month].strftime("%B %Y")
    lines = f"in {when}" if by_month or month is None else "over the whole run"
    ax.set_title(f"{_label(indicator)} by place, {when} (circles); route lines: people travelling each route "
                 f"{lines} (widest: {top:,.0f})", fontsize=9)
    return fig


def compare_rows(folder: str | Path) -> list[dict[str, Any]]:
    """The rows of a comparison (compare.parquet): indicator, year, nationality, means, the
    mean difference and its interval."""
    return pq.read_table(Path(folder) / "compare.parquet").to_pylist()


def compare_place_figure(folder: str | Path, indicator: str, year: int) -> Figure:
    """Difference (scenario - baseline) of ``indicator`` in ``year`` at each place: orange for
    more, blue for fewer; filled where the interval excludes zero."""
    path = Path(folder) / "compare_places.parquet"
    rows = [r for r in pq.read_table(path).to_pylist() if r["indicator"] == indicator and r["year"] == year] \
        if path.exists() else []
    places = _places()
    fig = Figure(figsize=(9, 7), layout="constrained")
    ax = fig.subplots()
    _frame(ax, [places[r["location"]][:2] for r in rows if r["location"] in places] or list(
        (p[0], p[1]) for p in places.values()))
    rows = [r for r in rows if r["location"] in places]
    biggest = max((abs(r["diff_mean"]) for r in rows), default=0.0) or 1.0
    for r in rows:
        d = r["diff_mean"]
        if d == 0:
            continue
        x, y, _ = places[r["location"]]
        sure = r["ci_low"] is not None and not np.isnan(r["ci_low"]) and (r["ci_low"] > 0 or r["ci_high"] < 0)
        color = ORANGE if d > 0 else BLUE
        ax.scatter([x], [y], s=900 * abs(d) / biggest, facecolors=color if sure else "none", edgecolors=color,
                   alpha=0.7 if sure else 1.0, lw=1.4, zorder=4)
    ax.set_title(f"{_label(indicator)} {year}: scenario minus baseline by place (orange more, blue fewer; "
                 "filled: the 90% interval excludes zero)", fontsize=9)
    return fig
