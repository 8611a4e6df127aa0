"""Every parameter in force has a value and a source; sources cite files that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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


def test_a_unit_is_declared_once(tmp_path, monkeypatch):
    """Units come from the mechanisms' declarations; a defaults file may not contradict one."""
    from corridor.errors import DataError
    from corridor.models.corridor import model

    assert all(rec.unit == PARAM_SPECS[name].unit for name, rec in default_parameters().items())
    text = (model.DEFAULT_FILES[0]).read_text(encoding="utf-8")
    wrong = tmp_path / "parameters.yaml"
    wrong.write_text(text.replace("robbery_loss_fraction:\n", "robbery_loss_fraction:\n  unit: percent\n", 1),
                     encoding="utf-8")
    monkeypatch.setattr(model, "DEFAULT_FILES", (wrong, model.DEFAULT_FILES[1]))
    with pytest.raises(DataError, match="unit 'percent' differs from the declared 'share'") as info:
        default_parameters()
    assert info.value.at == "robbery_loss_fraction.unit"
