"""The model beside every yearly series of the facts it can produce, each year marked by its role.

A year's observed value is **fitted** (a calibration target), an **input** (a flows window or
a policy is set from it, so agreement says nothing) or a **check** (used by nothing: the only
kind that is evidence). Each check stands beside naive forecasts that use no model: the last
observed value before that year (persistence) and the last two years' trend; for the sector
shares, the fitted year FY2010 carried forward and the straight line between the fitted years
FY2010 and FY2013. ``scripts/validate.py`` writes the result to docs/validation.md.

The model is the built-in history (``history-2010-2024``, one run: the eras are windows of
it). The fits ran on the era scenarios, whose runs start empty (after a spin-up), so a fitted
year of the history can differ a little from its fit.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np

from ...observed import fact, for_indicator
from ...results.run import fiscal_year, run_to_end
from ...scenario.loader import load_scenario, scenario_from_dict
from .sectors import apprehensions_by_sector, observed_shares, shares

__all__ = ["HISTORY", "PERIOD_CHECKS", "PeriodCheck", "Row", "Report", "run_windows", "yearly", "build_report",
           "markdown"]

#: (built-in scenario, start, end): the runs, in the order years are taken from them
HISTORY = (("history-2010-2024", None, None),)
US_NATIONALITIES = ("MEX", "GTM", "HND", "SLV")
SECTOR_FIT, SECTOR_CHECK = (2010, 2013), (2011, 2012)

#: The role of each observed year, and why (what set the model to it).
ROLES: dict[tuple[str, str], dict[int, str]] = {
    ("apprehensions_us", "fiscal"): {2010: "fitted", 2011: "fitted", 2012: "input", 2013: "input"},
    ("detentions_mexico", "year"): {2016: "fitted", 2017: "input", 2018: "input", 2019: "input",
                                    2020: "input", 2021: "input", 2022: "input", 2023: "fitted"},
    ("deportations_mexico", "year"): {2010: "fitted", 2013: "fitted", 2015: "fitted", 2018: "input",
                                      2020: "input", 2021: "input"},
    ("asylum_applications_mexico", "year"): {2013: "input", 2014: "fitted", 2016: "fitted", 2018: "fitted",
                                             2020: "fitted", 2021: "input"},
}
WHY = {
    ("apprehensions_us", "fitted"): "departures fitted to them (scripts/fit_default.py)",
    ("apprehensions_us", "input"): "the 2012 and 2013 flows windows are their ratios to FY2011",
    ("detentions_mexico", "fitted"): "2016: the Southern Border Program's level (scripts/fit_sbp.py); "
                                     "2023: Mexico's detection that year (scripts/fit_flows.py)",
    ("detentions_mexico", "input"): "the flows windows of 2017-2022 follow Mexico's detentions (2022: "
                                    "Central Americans' own; the rest of that year's total is a check "
                                    "only in part, so the whole year is marked input)",
    ("deportations_mexico", "fitted"): "2010: detection level (seed 000's 70,000); 2013, 2015: scripts/fit_sbp.py",
    ("deportations_mexico", "input"): "from 2018 the deportation share of each year is set to its observed "
                                      "ratio to detentions (facts/02b), whose detentions are inputs too",
    ("asylum_applications_mexico", "fitted"): "the yearly chance of applying (scripts/fit_asylum.py); the "
                                              "years between take the geometric mean of their neighbours",
    ("asylum_applications_mexico", "input"): "2013: the default chance of applying (1%) is derived from it; "
                                             "2021: haitians-2021's chances were set to give applicants of "
                                             "that order",
}


MX, COMAR = "02_mexico_detentions_deportations.csv", "03_comar_asylum_mexico.csv"


@dataclass(frozen=True)
class PeriodCheck:
    """An observed count over a period that is not a whole year of a main series (a
    nationality's, a few months', several years'), with the facts rows it comes from."""
    label: str
    indicator: str
    nationalities: tuple[str, ...] | None          # None: all
    start: str
    end: str
    observed: tuple[str, int] | float              # (facts file, row), or a derived value
    role: str
    why: str
    persistence: tuple[str, int] | float | None = None   # the same count a period earlier


PERIOD_CHECKS = (
    PeriodCheck("Venezuelans detained by Mexico", "detentions_mexico", ("VEN",), "2022-01-01", "2022-11-30",
                (MX, 70), "check", "Venezuelans' flows are the Darien's (facts/05)"),
    PeriodCheck("Cubans detained by Mexico", "detentions_mexico", ("CUB",), "2022-01-01", "2022-11-30",
                (MX, 73), "fitted", "Cubans' departures (scripts/fit_flows.py)"),
    PeriodCheck("Hondurans detained by Mexico", "detentions_mexico", ("HND",), "2022-01-01", "2022-11-30",
                (MX, 71), "input", "flows-2022"),
    PeriodCheck("all detained by Mexico", "detentions_mexico", None, "2018-12-01", "2024-08-31",
                (MX, 95), "fitted", "Mexico's detection in 2024 (scripts/fit_flows.py)"),
    PeriodCheck("COMAR applicants, Hondurans", "asylum_applications_mexico", ("HND",), "2022-01-01", "2022-12-31",
                (COMAR, 50), "check", "", (COMAR, 64)),
    PeriodCheck("COMAR applicants, Cubans", "asylum_applications_mexico", ("CUB",), "2022-01-01", "2022-12-31",
                (COMAR, 51), "check", "", (COMAR, 42)),
    PeriodCheck("COMAR applicants, Haitians", "asylum_applications_mexico", ("HTI",), "2022-01-01", "2022-12-31",
                (COMAR, 52), "check", "", (COMAR, 63)),
    PeriodCheck("COMAR applicants, Venezuelans", "asylum_applications_mexico", ("VEN",), "2022-01-01",
                "2022-12-31", (COMAR, 53), "check", "", (COMAR, 43)),
    PeriodCheck("COMAR applicants, Nicaraguans", "asylum_applications_mexico", ("NIC",), "2022-01-01",
                "2022-12-31", (COMAR, 54), "check", ""),
    PeriodCheck("COMAR applicants, Salvadorans", "asylum_applications_mexico", ("SLV",), "2022-01-01",
                "2022-12-31", (COMAR, 55), "check", "", (COMAR, 44)),
    PeriodCheck("COMAR applicants, Guatemalans", "asylum_applications_mexico", ("GTM",), "2022-01-01",
                "2022-12-31", (COMAR, 56), "check", ""),
    PeriodCheck("COMAR applicants, Haitians", "asylum_applications_mexico", ("HTI",), "2023-01-01", "2023-12-31",
                (COMAR, 60), "check", "", (COMAR, 52)),
    PeriodCheck("COMAR applicants, Hondurans", "asylum_applications_mexico", ("HND",), "2023-01-01", "2023-12-31",
                (COMAR, 61), "input", "flows-2023 follow Hondurans' applications", (COMAR, 50)),
    PeriodCheck("COMAR applicants, Cubans", "asylum_applications_mexico", ("CUB",), "2023-01-01", "2023-12-31",
                (COMAR, 62), "check", "", (COMAR, 51)),
    PeriodCheck("COMAR applicants, all", "asylum_applications_mexico", None, "2024-01-01", "2024-09-30",
                (COMAR, 91), "check", "", 113177.0),
    PeriodCheck("Border Patrol apprehensions at the south-west border, all (FY2022)", "apprehensions_us", None,
                "2021-10-01", "2022-09-30", 2_204_084.0, "check",
                "", 1_659_206.0),
)
#: how the derived values above were derived
PERIOD_NOTES = (
    "FY2022's Border Patrol apprehensions: about 1,150,000 under Title 8 and 1,054,084 Title 42 "
    "expulsions (facts/04 rows 15-16); FY2021's (persistence): 1,659,206 (facts/04 row 15, derived). "
    "The model holds only its nine nationalities (Ecuadorians standing in for the others).",
    "COMAR's applicants in January-September 2023 (persistence for 2024's): 113,177 (facts/03 row 91's comment).",
)


@dataclass
class Row:
    series: str
    year: int
    observed: float
    model: float
    role: str                                   # fitted, input, check
    naive: dict[str, float] = field(default_factory=dict)
    status: str = ""                            # the facts' status of the observed value


@dataclass
class Report:
    scale: float
    rows: list[Row]
    sectors: dict[int, dict[str, tuple[float, float]]]       # year -> sector -> (model, observed)
    sector_naive: dict[str, dict[int, dict[str, float]]]     # naive name -> year -> sector -> share
    seconds: float
    periods: list[tuple[PeriodCheck, float, float, float | None, str]] = field(default_factory=list)
    # (check, observed, model, persistence, facts status)


def _value(ref) -> tuple[float, str]:
    return fact(*ref) if isinstance(ref, tuple) else (float(ref), "derived")


def period_total(result, check: PeriodCheck) -> float:
    first, last = (dt.date.fromisoformat(x) for x in (check.start, check.end))
    days = np.array([first <= d <= last for d in result.dates])
    if check.nationalities is None:
        return float(result.series(check.indicator, None)[days].sum())
    return float(sum(result.series(check.indicator, n)[days].sum()
                     for n in check.nationalities if n in result.nationalities))


def _window(name: str, start: str | None, end: str | None, scale: float):
    data = copy.deepcopy(load_scenario(name).canonical())
    data["population_scale"] = scale
    if start:
        data["start"] = start
    if end:
        data["end"] = end
    return scenario_from_dict(data, path=load_scenario(name).path)


def run_windows(scale: float, windows=HISTORY) -> list:
    """Each era window run to its end (``FinishedRun`` objects)."""
    return [run_to_end(_window(*w, scale)) for w in windows]


def yearly(runs, indicator: str, nationality: str, fiscal: bool) -> dict[int, float]:
    """The indicator's yearly totals, each whole year from the first run that covers it."""
    out: dict[int, float] = {}
    for done in runs:
        res = done.result
        key = fiscal_year if fiscal else (lambda d: d.year)
        years = np.array([key(d) for d in res.dates])
        series = res.series(indicator, None if nationality == "total" else nationality) \
            if nationality == "total" or nationality in res.nationalities else None
        if series is None:
            continue
        for y in np.unique(years):
            days = years == y
            if int(y) not in out and days.sum() >= 365:
                out[int(y)] = float(series[days].sum())
    return out


def _naive(observed: dict[int, float], year: int) -> dict[str, float]:
    """Persistence (the year before's observed value) and the trend of the two years before
    (a count, so never below 0); none where those years are not observed."""
    out = {}
    if year - 1 in observed:
        out["persistence"] = observed[year - 1]
        if year - 2 in observed:
            out["trend"] = max(2 * observed[year - 1] - observed[year - 2], 0.0)
    return out


def build_report(runs, scale: float, seconds: float = 0.0) -> Report:
    rows: list[Row] = []
    series = [("apprehensions_us", nat, True) for nat in US_NATIONALITIES] + \
        [("detentions_mexico", "total", False), ("deportations_mexico", "total", False),
         ("asylum_applications_mexico", "total", False)]
    for indicator, nat, fiscal in series:
        obs = for_indicator(indicator, nat)
        if obs is None:
            continue
        model = yearly(runs, indicator, nat, fiscal)
        roles = ROLES.get((indicator, "fiscal" if fiscal else "year"), {})
        label = f"{indicator} {nat}" if nat != "total" else indicator
        for year in sorted(set(obs.values) & set(model)):
            role = roles.get(year, "check")
            rows.append(Row(label, year, obs.values[year], model[year], role,
                            _naive(obs.values, year) if role == "check" else {}, obs.status.get(year, "")))
    per_year: dict[int, dict[str, float]] = {}
    for done in runs:
        for y, counts in apprehensions_by_sector(done.result, done.simulation.network).items():
            per_year.setdefault(y, shares(counts))
    sectors = {y: {k: (v, observed_shares(y)[k]) for k, v in per_year[y].items()}
               for y in sorted(per_year) if y in (*SECTOR_FIT, *SECTOR_CHECK)}
    first, last = (observed_shares(y) for y in SECTOR_FIT)
    span = SECTOR_FIT[1] - SECTOR_FIT[0]
    naive = {"persistence (the year before)": {y: observed_shares(y - 1) for y in SECTOR_CHECK},
             "FY2010 carried forward": {y: first for y in SECTOR_CHECK},
             "straight line FY2010-FY2013 (an interpolation)": {
                 y: {k: first[k] + (last[k] - first[k]) * (y - SECTOR_FIT[0]) / span for k in first}
                 for y in SECTOR_CHECK}}
    last = runs[-1].result
    periods = []
    for check in PERIOD_CHECKS:
        if dt.date.fromisoformat(check.end) > last.dates[-1]:
            continue
        observed, status = _value(check.observed)
        before = _value(check.persistence)[0] if check.persistence is not None else None
        periods.append((check, observed, period_total(last, check), before, status))
    return Report(scale, rows, sectors, naive, seconds, periods)


def log_error(model: float, observed: float) -> float:
    return abs(math.log(max(model, 1e-9) / observed)) if observed > 0 else float("nan")


def markdown(rep: Report) -> str:
    """docs/validation.md."""
    out = [
        "# Validation: the model beside the facts",
        "",
        "Written by `scripts/validate.py` (do not edit by hand). The model is the built-in history",
        f"`history-2010-2024` (one run, its own seed) at population scale {rep.scale:g}, results at full size;",
        f"{rep.seconds:.0f} s in all. The fits ran on the era scenarios (each a window of the history that",
        "starts empty), so a fitted year can differ a little here. Every observed year is marked:",
        "",
        "- **fitted**: a calibration target; agreement shows the fit held, nothing more;",
        "- **input**: a flows window or a policy was set from this figure; agreement says nothing;",
        "- **check**: nothing in the model was set from it. Only these are evidence. Each has naive",
        "  forecasts beside it, which use no model.",
        "",
        "The error is |log(model / observed)|: 0.10 is about 10% off. The project's facts hold US",
        "apprehensions by nationality only up to FY2013, so every US figure here is fitted or an",
        "input; FY2014 and later are held out of the project (issue 12).",
        "",
        "## Where people cross: Border Patrol sectors' shares of apprehensions",
        "",
        "Fitted on FY2010 and FY2013 (`crossing_cost_km`, see [calibration.md](calibration.md));",
        "FY2011 and FY2012 are checks. Naive forecasts beside them: the year before's observed shares",
        "(persistence; it knows FY2011 when FY2012 is checked, which the model does not), FY2010's",
        "shares carried forward (what the model knew before), and the straight line between the fitted",
        "years (an interpolation: it knows FY2013, as the fit does).",
        "",
    ]
    years = sorted(rep.sectors)
    names = sorted(next(iter(rep.sectors.values())))
    role = {y: "fitted" if y in SECTOR_FIT else "check" for y in years}
    out.append("| sector | " + " | ".join(f"FY{y} ({role[y]}) model / observed" for y in years) + " |")
    out.append("|---|" + "---|" * len(years))
    for k in names:
        out.append(f"| {k} | " + " | ".join(f"{rep.sectors[y][k][0]:.1%} / {rep.sectors[y][k][1]:.1%}"
                                            for y in years) + " |")
    out += ["", "Largest gap in any sector, percentage points:", "",
            "| fiscal year | role | model | " + " | ".join(rep.sector_naive) + " |",
            "|---|---|---|" + "---|" * len(rep.sector_naive)]
    for y in years:
        gap = max(abs(m - o) for m, o in rep.sectors[y].values()) * 100
        naive = [f"{max(abs(f[y][k] - rep.sectors[y][k][1]) for k in names) * 100:.1f}"
                 if y in f else "" for f in rep.sector_naive.values()]
        out.append(f"| FY{y} | {role[y]} | {gap:.1f} | " + " | ".join(naive) + " |")
    out += ["", "## Yearly counts", "",
            "| series | year | observed | status of the figure | model | role | error | persistence | error "
            "| trend | error |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rep.rows:
        cells = [r.series, str(r.year), f"{r.observed:,.0f}", r.status, f"{r.model:,.0f}", r.role,
                 f"{log_error(r.model, r.observed):.2f}"]
        for name in ("persistence", "trend"):
            v = r.naive.get(name)
            cells += ["", ""] if v is None else [f"{v:,.0f}", f"{log_error(v, r.observed):.2f}"]
        out.append("| " + " | ".join(cells) + " |")
    out += ["", "A figure whose status is `unverified_memory` is weak evidence either way (the facts' README).",
            "", "Mexico's detentions and deportations are tied by `deportation_share` (0.915, from",
            "January-November 2011): a check of one in a year whose other is fitted or an input",
            "mostly checks that the share held.", "",
            "Why the fitted and input years are not checks:", ""]
    for (series, role), why in WHY.items():
        if any(r.series.startswith(series) and r.role == role for r in rep.rows):
            out.append(f"- {series}, {role}: {why}.")
    if rep.periods:
        out += ["", "## Other periods: by nationality, part-years, several years", "",
                "Counts the facts give for a nationality, for part of a year or for several years. The",
                "persistence forecast is the same count a year earlier, where the facts hold it.", "",
                "| count | period | observed | status of the figure | model | role | error | persistence | error |",
                "|---|---|---|---|---|---|---|---|---|"]
        for check, observed, model, before, status in rep.periods:
            role = check.role + (f" ({check.why})" if check.why else "")
            cells = [check.label, f"{check.start} to {check.end}", f"{observed:,.0f}", status, f"{model:,.0f}",
                     role, f"{log_error(model, observed):.2f}"]
            cells += ["", ""] if before is None else [f"{before:,.0f}", f"{log_error(before, observed):.2f}"]
            out.append("| " + " | ".join(cells) + " |")
        out += [""] + [f"- {note}" for note in PERIOD_NOTES]
        checks = [(m, o, b) for c, o, m, b, _ in rep.periods if c.role == "check"]
        if checks:
            with_naive = [(m, o, b) for m, o, b in checks if b is not None]
            out += ["", f"Of these, {len(checks)} are checks: median error "
                    f"{np.median([log_error(m, o) for m, o, _ in checks]):.2f}; on the "
                    f"{len(with_naive)} with a persistence forecast, model "
                    f"{np.median([log_error(m, o) for m, o, _ in with_naive]):.2f} against persistence "
                    f"{np.median([log_error(b, o) for _, o, b in with_naive]):.2f}."]
    out += ["", "## Summary of the checks", "",
            "| series | checks | median error, model | persistence | trend | model better than persistence |",
            "|---|---|---|---|---|---|"]
    for series in dict.fromkeys(r.series for r in rep.rows):
        checks = [r for r in rep.rows if r.series == series and r.role == "check"]
        if not checks:
            continue
        med = [float(np.median([log_error(r.model, r.observed) for r in checks]))]
        for name in ("persistence", "trend"):
            errs = [log_error(r.naive[name], r.observed) for r in checks if name in r.naive]
            med.append(float(np.median(errs)) if errs else float("nan"))
        better = sum(log_error(r.model, r.observed) < log_error(r.naive["persistence"], r.observed)
                     for r in checks if "persistence" in r.naive)
        out.append(f"| {series} | {len(checks)} | {med[0]:.2f} | {med[1]:.2f} | {med[2]:.2f} | "
                   f"{better} of {sum('persistence' in r.naive for r in checks)} |")
    return "\n".join(out) + "\n"
