"""Agent demographics (``input_csv/demographics_<attribute>.csv``) and the move rules that read them.

Flee 3.1 gives each new agent one value of every attribute that has a demographics file,
drawn with the weights of the column named after the agent's location, or of ``Default``
where the file has no such column::

    age,Default,Bamako
    0,3.2,2.9
    1,3.2,3.0
    ...

Two move rules read them (``move_rules`` in ``simsetting.yml``):

* ``ChildrenAvoidHazards``: for an agent under 19, a destination's score is squared (safety
  weighs more).
* ``BoysTakeRisk`` (acts only with ``ChildrenAvoidHazards``): for a male agent over 14, every
  destination's score is 1 (safety does not weigh). Flee 3.1 applies this to every male over
  14, adults included; ``corridor_rules.boys_take_risk_ages: teens`` limits it to ages 15-18.

Flee 3.1 stops (``KeyError``) when a rule reads an attribute that has no file: so does
Corridor, with an error naming the file. Corridor draws the values only when the rules are on
(nothing else reads them), from the keyed stream ``demographics``, so runs stay reproducible.
The other attributes (ethnicity, ...) are read by no Flee 3.1 rule: ``Match*Ethnicity`` uses a
ratio that Flee 3.1 fixes at 1 (see ``routes.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import DataError
from .inputs import _number, read_rows

__all__ = ["Demographics", "read_demographics", "GROUP_ADULT", "GROUP_CHILD", "GROUP_RISK", "N_GROUPS"]

GROUP_ADULT, GROUP_CHILD, GROUP_RISK = 0, 1, 2     # score as is, squared, 1
N_GROUPS = 3


@dataclass(frozen=True)
class Table:
    """One attribute: its values and, per location, the cumulative weights to draw from."""

    values: np.ndarray          # [value]
    cumulative: np.ndarray      # [location, value], last column 1.0


@dataclass(frozen=True)
class Demographics:
    age: Table
    male: Table | None          # values: 1 for "male", 0 otherwise; None when no rule reads it

    def draw(self, locs: np.ndarray, u_age: np.ndarray, u_gender: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Age and male flag of agents at ``locs`` (male False where no rule reads it)."""
        age = np.full(locs.size, -1, dtype=np.int16)
        male = np.zeros(locs.size, dtype=bool)
        if locs.size:
            age = self.age.values[_pick(self.age.cumulative[locs], u_age)].astype(np.int16)
        if self.male is not None and locs.size:
            male = self.male.values[_pick(self.male.cumulative[locs], u_gender)].astype(bool)
        return age, male


def _pick(cumulative: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Index of the first cumulative weight above ``u`` in each row."""
    return np.minimum((cumulative <= u[:, None]).sum(axis=1), cumulative.shape[1] - 1)


def _table(path: Path, attribute: str, names: list[str], numeric: bool) -> Table:
    rows = read_rows(path)
    if not rows:
        raise DataError("empty file", where=path, expected="a header '<attribute>,Default[,<location>...]'")
    hline, header = rows[0]
    cols = [c.strip() for c in header]
    if cols[0] != attribute:   # Flee reads the value from the column named after the attribute
        raise DataError(f"first column {cols[0]!r}", where=path, at=f"row {hline}, column 1",
                        expected=f"the values in a first column named {attribute!r}")
    if "Default" not in cols[1:]:
        raise DataError("no 'Default' column", where=path, at=f"row {hline}",
                        expected="a header '<attribute>,Default[,<location>...]' (Flee draws from Default "
                                 "where a location has no column)")
    values, weights = [], []
    for line, cells in rows[1:]:
        if len(cells) != len(cols):
            raise DataError(f"{len(cells)} columns, the header has {len(cols)}", where=path, at=f"row {line}",
                            expected="a value and one weight per column of the header")
        text = cells[0].strip()
        values.append(int(_number(text, path, line, cols[0], integer=True)) if numeric else text)
        weights.append([_number(c, path, line, cols[j + 1], low=0.0) for j, c in enumerate(cells[1:])])
    if not values:
        raise DataError("no values", where=path, expected="one row per value")
    w = np.array(weights, dtype=np.float64)            # [value, column]
    sums = w.sum(axis=0)
    for j in np.flatnonzero(sums <= 0):
        raise DataError(f"the weights of column {cols[j + 1]!r} add up to 0", where=path,
                        expected="some positive weight in every column")
    by_name = {c: j for j, c in enumerate(cols[1:])}
    cols_of = np.array([by_name.get(n, by_name["Default"]) for n in names], dtype=np.int64)
    cum = np.cumsum(w / sums, axis=0).T[cols_of]
    cum[:, -1] = 1.0
    vals = np.array(values) if numeric else np.array([1 if v == "male" else 0 for v in values])
    return Table(vals, cum)


def read_demographics(input_dir: Path, names: list[str], *, gender: bool) -> Demographics:
    """The age table of ``input_dir`` and, when ``gender`` (BoysTakeRisk reads it), the gender table."""
    age_file, gender_file = input_dir / "demographics_age.csv", input_dir / "demographics_gender.csv"
    for f, needed, rule in ((age_file, True, "ChildrenAvoidHazards"), (gender_file, gender, "BoysTakeRisk")):
        if needed and not f.is_file():
            raise DataError(f"file is missing: {rule} reads the attribute (Flee 3.1 stops with a KeyError)",
                            where=f, expected=f"{f.name} with the weights of each value")
    return Demographics(_table(age_file, "age", names, numeric=True),
                        _table(gender_file, "gender", names, numeric=False) if gender else None)
