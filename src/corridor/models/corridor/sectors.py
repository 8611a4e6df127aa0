"""Where people cross: US Border Patrol apprehensions by sector, modelled and observed.

The network's US places stand for Border Patrol sectors (their names say which, see
:func:`corridor.observed.sector_of`); a run's apprehensions at those places, summed by sector
and US fiscal year, compare with facts/01c. Used to fit ``crossing_cost_km``
(``scripts/fit_default.py``) and to check the fit in years it did not see
(``scripts/validate.py``).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize

from ...network import Network
from ...observed import for_indicator, sector_of, usbp_sectors

__all__ = ["place_sectors", "border_city_sectors", "apprehensions_by_sector", "shares", "observed_shares",
           "pooled", "group_targets"]


def place_sectors(net: Network) -> dict[str, list[int]]:
    """Each sector's US places (indices), in the order of the network."""
    out: dict[str, list[int]] = {}
    for i, name in enumerate(net.names):
        sector = sector_of(name)
        if sector is not None:
            out.setdefault(sector, []).append(i)
    return out


def border_city_sectors(net: Network) -> dict[str, list[str]]:
    """The border cities (ids) that cross into each sector's US places."""
    us_sector = {i: sector for sector, places in place_sectors(net).items() for i in places}
    out: dict[str, list[str]] = {}
    for s, d in zip(net.src.tolist(), net.dst.tolist(), strict=True):
        if d in us_sector and net.kinds[net.kind[s]] == "border_city_mx":
            out.setdefault(us_sector[d], []).append(net.ids[s])
    return out


def apprehensions_by_sector(result, net: Network, nationalities=None) -> dict[int, dict[str, float]]:
    """``{fiscal year: {sector: apprehensions}}`` of a run (full scale), whole fiscal years only,
    of ``nationalities`` (codes; default all)."""
    block = result.data[:, result.index("apprehensions_us")]                     # [day, nationality, place]
    if nationalities is not None:
        block = block[:, [result.nationalities.index(n) for n in nationalities if n in result.nationalities]]
    by_place = block.sum(axis=1)                                                  # [day, place]
    out = {}
    for fy, days in result.periods(fiscal=True).items():
        if days.size < 365:
            continue
        total = by_place[days].sum(axis=0)
        out[fy] = {sector: float(total[idx].sum()) for sector, idx in place_sectors(net).items()}
    return out


def shares(counts: dict[str, float]) -> dict[str, float]:
    """Counts as shares of their sum."""
    total = sum(counts.values())
    return {k: (v / total if total else float("nan")) for k, v in counts.items()}


def observed_shares(fy: int) -> dict[str, float]:
    """Each sector's share of south-west border apprehensions in fiscal year ``fy`` (facts/01c)."""
    return shares({sector: values[fy] for sector, values in usbp_sectors().items() if fy in values})


def pooled(per_year: dict[int, dict[str, float]], years) -> dict[str, float]:
    """Counts summed over ``years``."""
    sectors = next(iter(per_year.values())).keys()
    return {s: float(np.sum([per_year[y][s] for y in years])) for s in sectors}


def group_targets(years, floor: float = 0.002) -> dict[str, dict[str, float]]:
    """Sector shares of Mexicans' and of everyone else's apprehensions that best explain the
    observed sector shares of ``years`` (facts/01c) given each year's share of Mexicans among
    apprehensions (facts/01a): non-negative shares summing to 1 per group, least squares over
    the years' shares, then at least ``floor`` (a route nobody takes has an infinite cost).
    Data only: the model is then fitted to these (``scripts/fit_default.py``)."""
    mex, total = for_indicator("apprehensions_us", "MEX").values, for_indicator("apprehensions_us", "total").values
    sectors = sorted(observed_shares(years[0]))
    obs = {y: np.array([observed_shares(y)[k] for k in sectors]) for y in years}
    w = {y: mex[y] / total[y] for y in years}
    k = len(sectors)

    def loss(x):
        return sum(float(((w[y] * x[:k] + (1 - w[y]) * x[k:] - obs[y]) ** 2).sum()) for y in years)

    sums = [{"type": "eq", "fun": lambda x: x[:k].sum() - 1}, {"type": "eq", "fun": lambda x: x[k:].sum() - 1}]
    fit = minimize(loss, np.full(2 * k, 1 / k), bounds=[(0, 1)] * (2 * k), constraints=sums, method="SLSQP")
    out = {}
    for group, x in (("MEX", fit.x[:k]), ("*", fit.x[k:])):
        x = np.maximum(x, floor)
        out[group] = dict(zip(sectors, (x / x.sum()).tolist(), strict=True))
    return out
