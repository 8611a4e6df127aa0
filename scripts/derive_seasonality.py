"""Derive monthly seasonality factors of US Border Patrol southwest-border encounters.

What: for each nationality (ALL, and MEX, GTM, HND, SLV, NIC, ECU) and each calendar month
1..12, the factor is the mean, over fiscal years 2004-2013, of that month's share of the
fiscal-year total, multiplied by 12. A factor of 1.0 is an average month; 1.3 means 30 % more
encounters than an average month.

Why: the model's departure and arrival processes need a within-year profile. Encounters at the
border are the longest monthly series by nationality that we have (DHS OHSS KHSM, file 01b), and
the FY2004-FY2013 window covers the period of the seed articles (2010-2014) before the 2014
surge of children and families changed the pattern. Averaging shares (rather than pooling
counts) gives each year equal weight, so one large year does not dominate.

Rounding: factors are rounded to 4 decimals, then the rounding residual (12 minus the sum of
the 12 rounded factors) is added to the month with the largest factor, so that the 12 factors
of each nationality sum to exactly 12 (mean exactly 1.0). Output is deterministic.

Input:  src/corridor/data/facts/01b_us_usbp_swb_encounters_monthly_by_nationality.csv
Output: src/corridor/data/corridor/seasonality_monthly.csv
Run from the repository root:  python scripts/derive_seasonality.py
"""

import csv
from decimal import Decimal
from pathlib import Path

IN_PATH = Path("src/corridor/data/facts/01b_us_usbp_swb_encounters_monthly_by_nationality.csv")
OUT_PATH = Path("src/corridor/data/corridor/seasonality_monthly.csv")

FIRST_FY = 2004
LAST_FY = 2013

# Citizenship labels as spelled in file 01b -> ISO 3166-1 alpha-3 (ALL kept as is).
NATIONALITIES = {
    "ALL": "ALL",
    "Mexico": "MEX",
    "Guatemala": "GTM",
    "Honduras": "HND",
    "El Salvador": "SLV",
    "Nicaragua": "NIC",
    "Ecuador": "ECU",
}

SOURCE = (
    "derived from 01b (DHS OHSS KHSM USBP SWB encounters, monthly by citizenship), "
    "FY2004-FY2013 mean monthly share x 12"
)


def read_counts(path):
    """Return {(iso3, fiscal_year): {month: count}} for the selected nationalities and years."""
    counts = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            iso = NATIONALITIES.get(row["citizenship"])
            fiscal_year = int(row["fiscal_year"])
            if iso is None or not FIRST_FY <= fiscal_year <= LAST_FY:
                continue
            month = int(row["calendar_month"].split("-")[1])
            by_month = counts.setdefault((iso, fiscal_year), {})
            if month in by_month:
                raise ValueError(f"duplicate month {row['calendar_month']} for {row['citizenship']}")
            by_month[month] = float(row["usbp_swb_encounters"])
    return counts


def factors_for(iso, counts):
    """Mean monthly share over the fiscal years, times 12, rounded and renormalised."""
    share_sums = [0.0] * 12
    for fiscal_year in range(FIRST_FY, LAST_FY + 1):
        by_month = counts.get((iso, fiscal_year))
        if by_month is None or sorted(by_month) != list(range(1, 13)):
            raise ValueError(f"{iso}: FY{fiscal_year} does not have all 12 months")
        total = sum(by_month.values())
        if total <= 0:
            raise ValueError(f"{iso}: FY{fiscal_year} total is zero")
        for month in range(1, 13):
            share_sums[month - 1] += by_month[month] / total
    n_years = LAST_FY - FIRST_FY + 1
    rounded = [Decimal(f"{12.0 * s / n_years:.4f}") for s in share_sums]
    residual = Decimal("12") - sum(rounded)
    largest = max(range(12), key=lambda i: (rounded[i], -i))
    rounded[largest] += residual
    return rounded


def main():
    counts = read_counts(IN_PATH)
    OUT_PATH.parent.mkdir(parents=True, exist_ok=True)
    with OUT_PATH.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["nationality", "month", "factor", "source"])
        for iso in ["ALL", "MEX", "GTM", "HND", "SLV", "NIC", "ECU"]:
            for month, factor in enumerate(factors_for(iso, counts), start=1):
                writer.writerow([iso, month, f"{factor:.4f}", SOURCE])
    print(f"wrote {OUT_PATH}")


if __name__ == "__main__":
    main()
