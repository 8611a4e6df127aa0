"""Every parameter in force has a value and a source; sources cite files that exist."""

from __future__ import annotations

import re
from pathlib import Path

from corridor.models.corridor import PARAM_SPECS, default_parameters

ROOT = Path(__file__).resolve().parents[1]
FACTS = ROOT / "src" / "corridor" / "data" / "facts"


def test_every_declared_parameter_has_a_sourced_default():
    defaults = default_parameters()
    assert set(defaults) == set(PARAM_SPECS)
    for name, rec in defaults.items():
        assert rec.source.kind in {"seed", "facts", "fitted", "assumption"}, name
        if rec.source.kind == "assumption":
            assert len(rec.source.note) > 20, f"{name}: an assumption must say why"
        else:
            assert rec.source.ref, f"{name}: a {rec.source.kind} source needs a reference"


def test_cited_facts_files_exist_and_rows_are_in_range():
    for name, rec in default_parameters().items():
        for file, rows in re.findall(r"facts/(\w+)(?:\.csv)?((?: rows?[\d ,\-]+)?)", rec.source.ref):
            matches = list(FACTS.glob(file + "*.csv"))
            assert matches, f"{name} cites facts/{file}, which is not in {FACTS}"
            n_lines = sum(1 for _ in matches[0].open(encoding="utf-8"))
            for row in map(int, re.findall(r"\d+", rows)):
                assert 2 <= row <= n_lines, f"{name} cites row {row} of {file} ({n_lines} lines)"


def test_no_default_rests_on_unverified_memory():
    # rows flagged unverified_memory must not be cited as the source of a default
    import csv

    for name, rec in default_parameters().items():
        for file, rows in re.findall(r"facts/(\w+)(?:\.csv)? rows? ([\d ,]+)", rec.source.ref):
            path = next(FACTS.glob(file + "*.csv"))
            table = list(csv.reader(path.open(encoding="utf-8")))
            header = table[0]
            if "status" not in header:
                continue
            col = header.index("status")
            for row in map(int, re.findall(r"\d+", rows)):
                assert table[row - 1][col] != "unverified_memory", f"{name} cites {file} row {row}"
