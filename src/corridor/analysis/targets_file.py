"""Observed series to calibrate against: the targets CSV, read and checked.

Columns (header names are case-insensitive; other columns such as ``source`` are kept
for reports but not interpreted):

``indicator``
    an indicator of the model (``corridor run`` lists them in its outputs).
``year`` | ``fiscal_year`` | ``month`` | ``date``
    the period: a calendar year (``2010``), a US fiscal year (``2010`` = Oct 2009 to Sep
    2010), a month (``2010-03``) or a day (``2010-03-15``: a stock on that day, or the
    day's flow). A file may have several of these columns; each row fills exactly one.
    The period must lie wholly inside the scenario's reported days.
``nationality``
    an ISO alpha-3 code of the scenario (a breakdown key of its model), several joined by
    ``+`` (``GTM+HND+SLV``), or ``ALL`` for all nationalities of the scenario.
``value``
    the observed figure: for flows the total over the period, for stocks the mean number
    of people per day.
``sd`` (optional)
    its uncertainty (one standard deviation), at least a millionth of the value. Empty or absent:
    10% of the value (at least 1).

Every mistake is a :class:`~corridor.errors.DataError` naming the file, the row (row 1 is
the header) and the column.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError
from ..user_files import read_csv_table
from .series import PeriodKind, Quantity

__all__ = ["Target", "read_targets", "period_bounds", "DEFAULT_RELATIVE_SD", "PERIOD_COLUMNS"]

DEFAULT_RELATIVE_SD = 0.10
#: Smallest sd accepted, relative to the value: below it the loss's squares overflow and no figure
#: is known that precisely.
MIN_RELATIVE_SD = 1e-6
#: Largest observed figure accepted (every indicator counts people).
MAX_VALUE = 1e10
PERIOD_COLUMNS: tuple[PeriodKind, ...] = ("year", "fiscal_year", "month", "date")
_REQUIRED = ("indicator", "nationality", "value")


@dataclass(frozen=True)
class Target:
    """One observed figure and what the model must reproduce."""

    quantity: Quantity
    value: float
    sd: float
    row: int                       # line in the file (1 = header)
    source: str = ""

    def label(self) -> str:
        return self.quantity.label()


_GROUPED = re.compile(r"[+-]?\d{1,3}(?:([,_])\d{3})(?:\1\d{3})*(\.\d*)?")   # 12,345  1_234_567.5


def _number(text: str, path: Path, row: int, col: str) -> float:
    """A number as written in a spreadsheet: a comma (or ``_``) only as a thousands separator
    (``"0,5"`` is refused, not read as 5; ``"1,2,3"`` is not 123)."""
    at = f"row {row}, column {col}"
    if ("," in text or "_" in text) and not _GROUPED.fullmatch(text):
        raise DataError(f"{text!r} is not a number (a comma is read only between groups of three "
                        "digits)", where=path, at=at, expected="a number such as 12345, 12,345 or 0.25")
    try:
        x = float(text.replace(",", "").replace("_", ""))
    except ValueError:
        raise DataError(f"{text!r} is not a number", where=path, at=at,
                        expected="a number such as 12345 or 0.25") from None
    if not math.isfinite(x):
        raise DataError(f"{text!r} is not a finite number", where=path, at=at)
    return x


def period_bounds(kind: PeriodKind, text: str) -> tuple[dt.date, dt.date] | None:
    """First and last day of a period written as ``kind``; None if it is not one (year 0 too)."""
    try:
        return _period_bounds(kind, text)
    except ValueError:                      # a year before 1, a day that does not exist
        return None


def _period_bounds(kind: PeriodKind, text: str) -> tuple[dt.date, dt.date] | None:
    if kind == "date":
        try:
            day = dt.date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
        except ValueError:
            return None
        return None if day is None else (day, day)
    if kind == "month":
        m = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
        if not m or not 1 <= int(m.group(2)) <= 12:
            return None
        y, mo = int(m.group(1)), int(m.group(2))
        last = (dt.date(y + (mo == 12), mo % 12 + 1, 1) - dt.timedelta(days=1))
        return dt.date(y, mo, 1), last
    if not re.fullmatch(r"\d{4}", text):
        return None
    y = int(text)
    if kind == "fiscal_year":
        return dt.date(y - 1, 10, 1), dt.date(y, 9, 30)
    return dt.date(y, 1, 1), dt.date(y, 12, 31)


def read_targets(path: str | Path, *, indicators: Sequence[str], nationalities: Sequence[str],
                 first_day: dt.date, last_day: dt.date) -> list[Target]:
    """Read and check a targets CSV against a scenario's indicators, nationalities and period."""
    path = Path(path)
    cols, table = read_csv_table(path, DataError, what="a targets CSV file")
    if not any(cols):
        raise DataError("empty file", where=path,
                        expected="a header row: indicator, year or fiscal_year or month or date, nationality, "
                                 "value[, sd]")
    missing = [c for c in _REQUIRED if c not in cols]
    periods = [c for c in PERIOD_COLUMNS if c in cols]
    if missing or not periods:
        what = missing + ([] if periods else ["year (or fiscal_year or month or date)"])
        raise DataError(f"missing column{'s' if len(what) > 1 else ''} {', '.join(what)}", where=path,
                        at="row 1", expected="columns indicator, year or fiscal_year or month or date, "
                                             "nationality, value[, sd]")
    known_ind = list(indicators)
    known_nat = list(nationalities)
    out: list[Target] = []
    seen: dict[Quantity, int] = {}
    for row_no, cells in table:
        if len(cells) > len(cols):
            raise DataError(f"{len(cells)} cells but {len(cols)} columns", where=path, at=f"row {row_no}",
                            expected="one cell per header column")
        rec = {c: (cells[i].strip() if i < len(cells) else "") for i, c in enumerate(cols)}
        ind = rec["indicator"]
        if ind not in known_ind:
            close = difflib.get_close_matches(ind, known_ind, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise DataError(f"unknown indicator {ind!r}{hint}", where=path, at=f"row {row_no}, column indicator",
                            expected="an indicator of the model, e.g. " + ", ".join(known_ind[:4]))
        filled = [c for c in periods if rec[c]]
        if len(filled) != 1:
            raise DataError("no period" if not filled else f"several periods ({', '.join(filled)})",
                            where=path, at=f"row {row_no}",
                            expected="exactly one of " + ", ".join(periods))
        kind = filled[0]
        ptext = rec[kind]
        if re.fullmatch(r"\d{4}\.0", ptext):         # spreadsheets write years as 2010.0
            ptext = ptext[:4]
        bounds = period_bounds(kind, ptext)
        if bounds is None:
            raise DataError(f"{ptext!r} is not a {kind.replace('_', ' ')}", where=path,
                            at=f"row {row_no}, column {kind}",
                            expected={"month": "YYYY-MM", "date": "YYYY-MM-DD"}.get(kind, "a year such as 2010"))
        if bounds[0] < first_day or bounds[1] > last_day:
            raise DataError(f"{kind.replace('_', ' ')} {ptext} ({bounds[0]} to {bounds[1]}) is not wholly "
                            f"inside the reported period", where=path, at=f"row {row_no}, column {kind}",
                            expected=f"periods between {first_day} and {last_day}")
        nat_text = rec["nationality"]
        if nat_text.upper() in ("ALL", "TOTAL"):
            nats: tuple[str, ...] = ()
        else:
            nats = tuple(n.strip() for n in nat_text.split("+"))
            for n in nats:
                if n not in known_nat:
                    raise DataError(f"unknown nationality {n!r}", where=path, at=f"row {row_no}, column nationality",
                                    expected="one of " + ", ".join(known_nat) + ", several joined by +, or ALL")
            if len(set(nats)) != len(nats):
                raise DataError(f"{nat_text!r} repeats a nationality", where=path,
                                at=f"row {row_no}, column nationality")
        if not rec["value"]:
            raise DataError("no value", where=path, at=f"row {row_no}, column value", expected="a number")
        value = _number(rec["value"], path, row_no, "value")
        if not 0 <= value <= MAX_VALUE:
            raise DataError(f"{value:g} is {'negative' if value < 0 else 'more people than live on Earth'}",
                            where=path, at=f"row {row_no}, column value",
                            expected=f"a count or mean of people in [0, {MAX_VALUE:.0e}]")
        sd_text = rec.get("sd", "")
        if sd_text:
            sd = _number(sd_text, path, row_no, "sd")
            floor = MIN_RELATIVE_SD * max(abs(value), 1.0)
            if sd < floor:
                raise DataError(f"{sd:g} is {'not positive' if sd <= 0 else 'too small'}", where=path,
                                at=f"row {row_no}, column sd",
                                expected=f"a standard deviation of at least {floor:.3g} (a millionth of the "
                                         "value), or an empty cell")
        else:
            sd = max(DEFAULT_RELATIVE_SD * abs(value), 1.0)
        q = Quantity(ind, kind, ptext, nats)
        same = Quantity(ind, kind, ptext, tuple(sorted(nats)))
        if same in seen:
            raise DataError(f"same indicator, period and nationality as row {seen[same]}", where=path,
                            at=f"row {row_no}", expected="one row per figure")
        seen[same] = row_no
        out.append(Target(q, value, sd, row_no, rec.get("source", "")))
    if not out:
        raise DataError("no target rows", where=path, expected="at least one row below the header")
    return out
