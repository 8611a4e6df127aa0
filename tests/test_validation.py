"""The validation report: roles of the observed years, naive forecasts, and (slow) a real run."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from corridor.models.corridor import validation
from corridor.models.corridor.validation import _naive, build_report, markdown, run_windows

ROOT = Path(__file__).resolve().parents[1]


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_naive_forecasts_use_only_the_years_before():
    obs = {2009: 100.0, 2010: 120.0, 2012: 90.0}
    assert _naive(obs, 2011) == {"persistence": 120.0, "trend": 140.0}
    assert _naive(obs, 2013) == {"persistence": 90.0}              # 2011 unobserved: no trend
    assert _naive(obs, 2010) == {"persistence": 100.0}
    assert _naive({2010: 100.0, 2011: 10.0}, 2012)["trend"] == 0.0  # a count never falls below 0


def test_every_chance_of_applying_for_asylum_is_written_where_the_fit_finds_it():
    values = _script("fit_asylum").read_values()
    assert sorted(values) == list(range(2014, 2021))
    fitted = validation.ROLES[("asylum_applications_mexico", "year")]
    assert [y for y, r in fitted.items() if r == "fitted"] == list(_script("fit_asylum").FITTED)


@pytest.mark.slow
def test_the_report_marks_fitted_inputs_and_checks(tmp_path):
    rep = build_report(run_windows(0.05), 0.05)
    roles = {(r.series, r.year): r.role for r in rep.rows}
    assert roles[("apprehensions_us MEX", 2010)] == "fitted" and roles[("apprehensions_us MEX", 2013)] == "input"
    assert roles[("deportations_mexico", 2011)] == "check" and roles[("deportations_mexico", 2021)] == "input"
    assert all(r.naive for r in rep.rows if r.role == "check" and r.year - 1 in
               validation.for_indicator(*r.series.split(" ")[:1], *(r.series.split(" ")[1:] or ["total"])).values)
    assert sorted(rep.sectors) == [2010, 2011, 2012, 2013]
    text = markdown(rep)
    assert "FY2011 (check)" in text and "FY2010 (fitted)" in text and "## Summary of the checks" in text
