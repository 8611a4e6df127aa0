"""Observed yearly series from the project's facts files, named by the model's indicators.

Used to put what was observed beside what a run gives (the web app's time series). Only
series the facts hold as plain yearly counts are read; each keeps its source and the
status the facts give it (``secondary_source_read``, ``unverified_memory`` ...), which
the page shows. Which series is used where sources disagree:

* US Border Patrol apprehensions at the south-west border by US fiscal year and
  nationality: facts/01a (DHS OHSS; USBP encounters, Title 8 apprehensions plus Title 42
  expulsions from FY2020).
* Mexico's detentions and deportations (``devueltos``) by calendar year: facts/02b, the
  project's "best available" series (one value a year, chosen from facts/02).
* COMAR asylum applications by calendar year: facts/03, the main series ("asylum
  applicants (persons)"), not the alternative or "as announced" rows.
* US Border Patrol apprehensions by sector and fiscal year: facts/01c (DHS OHSS), matched to
  the network's US places by the sector their name gives ("USBP Tucson Sector (...)").
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Literal

__all__ = ["ObservedSeries", "observed_series", "for_indicator", "usbp_sectors", "sector_of"]

#: facts/01a column -> nationality code
_US_COLUMNS = {"swb_mexico": "MEX", "swb_guatemala": "GTM", "swb_honduras": "HND", "swb_el_salvador": "SLV",
               "swb_nicaragua": "NIC", "swb_ecuador": "ECU", "swb_haiti": "HTI", "swb_venezuela": "VEN",
               "swb_cuba": "CUB", "swb_colombia": "COL", "usbp_swb_encounters": "total"}


@dataclass(frozen=True)
class ObservedSeries:
    indicator: str
    nationality: str                       # a nationality code, or "total"
    period: Literal["fiscal_year", "year"]  # US fiscal years (Oct-Sep) or calendar years
    values: dict[int, float]
    source: str
    status: dict[int, str]                 # the facts' status of each value


def _rows(name: str) -> list[dict[str, str]]:
    path = resources.files("corridor") / "data" / "facts" / name
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _number(text: str | None) -> float | None:
    text = (text or "").strip().replace(",", "")
    try:
        return float(text)
    except ValueError:
        return None                        # ">67,000", "433000 -> 140000", blank: not a plain count


def fact(name: str, row: int) -> tuple[float, str]:
    """A plain count of the facts, by file and row as the sources cite them (row 1 is the header):
    its value and the facts' status of it."""
    r = _rows(name)[row - 2]
    value = _number(r["value"])
    if value is None:
        raise ValueError(f"facts/{name} row {row}: {r['value']!r} is not a plain count")
    return value, r["status"]


def _us() -> list[ObservedSeries]:
    rows = _rows("01a_us_usbp_encounters_by_fy_and_nationality.csv")
    out = []
    for col, nat in _US_COLUMNS.items():
        values = {int(r["fiscal_year"]): v for r in rows if (v := _number(r.get(col))) is not None}
        out.append(ObservedSeries("apprehensions_us", nat, "fiscal_year", values,
                                  "facts/01a: DHS OHSS, USBP south-west border encounters by fiscal year",
                                  {y: "official" for y in values}))
    return out


def _mexico() -> list[ObservedSeries]:
    rows = _rows("02b_mexico_annual_best_available_series.csv")
    out = []
    for indicator, col, status in (("detentions_mexico", "detentions_events", "detentions_status"),
                                   ("deportations_mexico", "returns_devueltos", "returns_status")):
        values, states = {}, {}
        for r in rows:
            v = _number(r.get(col))
            if v is not None and r["year"].isdigit():
                values[int(r["year"])] = v
                states[int(r["year"])] = r.get(status) or "unknown"
        out.append(ObservedSeries(indicator, "total", "year", values,
                                  "facts/02b: Mexico, best available yearly series (INM/UPM via the sources "
                                  "named per row)", states))
    return out


def _comar() -> list[ObservedSeries]:
    values, states = {}, {}
    for r in _rows("03_comar_asylum_mexico.csv"):
        if r["topic"] == "COMAR_asylum" and r["nationality"] == "ALL" \
                and r["metric"] == "asylum applicants (persons)" and r["period"].isdigit():
            v = _number(r["value"])
            if v is not None:
                values[int(r["period"])] = v
                states[int(r["period"])] = r["status"]
    return [ObservedSeries("asylum_applications_mexico", "total", "year", values,
                           "facts/03: COMAR asylum applicants (main series)", states)]


@lru_cache(maxsize=1)
def observed_series() -> tuple[ObservedSeries, ...]:
    """Every observed series the facts hold for a model indicator."""
    return tuple(s for s in (*_us(), *_mexico(), *_comar()) if s.values)


def for_indicator(indicator: str, nationality: str = "total") -> ObservedSeries | None:
    """The observed series of ``indicator`` for ``nationality`` ("total": all), if any."""
    for s in observed_series():
        if s.indicator == indicator and s.nationality == nationality:
            return s
    return None


@lru_cache(maxsize=1)
def usbp_sectors() -> dict[str, dict[int, float]]:
    """South-west border apprehensions (encounters) by Border Patrol sector and fiscal year,
    facts/01c: ``{"Tucson": {2000: 567820.0, ...}, ...}`` (the state after the comma dropped)."""
    out: dict[str, dict[int, float]] = {}
    for r in _rows("01c_us_usbp_swb_encounters_by_sector_fy.csv"):
        for col, text in r.items():
            if col in ("fy", "source") or (v := _number(text)) is None:
                continue
            out.setdefault(col.split(",")[0].strip(), {})[int(r["fy"])] = v
    return out


def sector_of(place_name: str) -> str | None:
    """The Border Patrol sector a US place stands for, from its name ("USBP Rio Grande Valley
    Sector (McAllen area)" -> "Rio Grande Valley"); ``None`` for other places."""
    m = re.match(r"USBP (.+?) Sector\b", place_name)
    return m.group(1) if m else None
