"""Calibration: free parameters, the targets file, and recovery of known parameters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from corridor import load_scenario, run_scenario
from corridor.analysis import FreeParameters, calibrate, load_targets, write_calibration
from corridor.analysis.series import Quantity, series_of
from corridor.cli import app
from corridor.errors import DataError, ScenarioError

runner = CliRunner()

FREE = {
    "us_apprehension_probability": {"key": "MEX", "low": 0.3, "high": 0.9},
    "departures_gtm": {"parameter": "departures_per_year", "key": "GTM", "mode": "scale",
                       "low": 0.5, "high": 2.0, "prior": "log-uniform"},
}
TRUTH = {"us_apprehension_probability": 0.7, "departures_gtm": 1.4}
#: one month with five times the tiny world's departures: counts of several hundred
WORLD = {"end": "2010-01-31", "parameters": {"departures_per_year": {"GTM": 15000, "MEX": 15000}}}


@pytest.fixture(scope="module")
def free_scenario(make_scenario):
    return make_scenario(**WORLD, free_parameters=FREE)


# ---- free parameters ---------------------------------------------------------------------------------

def test_free_values_resolve_through_the_parameter_machinery(make_scenario):
    sc = make_scenario(free_parameters={
        "p_mex": {"parameter": "us_apprehension_probability", "key": "MEX", "low": 0.1, "high": 0.9},
        "detection": {"parameter": "mx_detection_per_100km", "mode": "scale", "low": 0.5, "high": 2},
        "mex_2010": {"parameter": "departures_per_year", "key": "MEX.2010", "low": 10, "high": 9000},
    })
    free = FreeParameters(sc)
    assert [p.key for p in free.items] == [("MEX",), (), ("MEX", 2010)]
    base = FreeParameters(make_scenario(free_parameters={
        "d": {"parameter": "mx_detection_per_100km", "mode": "scale", "low": 0.5, "high": 2}}))
    before = base.resolved({"d": 1.0})["mx_detection_per_100km"]
    values = free.resolved({"p_mex": 0.42, "detection": 1.5, "mex_2010": 5000})
    assert values["us_apprehension_probability"]["MEX"] == 0.42
    assert values["mx_detection_per_100km"] == {k: pytest.approx(1.5 * v) for k, v in before.items()}
    assert values["departures_per_year"]["MEX"] == {2010: 5000.0}
    assert values["departures_per_year"]["GTM"] == 3000          # untouched keys keep their value
    # the run sees them: the scenario with values put in resolves to the expected arrays
    from corridor.models.corridor import build_simulation

    sim = build_simulation(free.scenario_with({"p_mex": 0.42, "detection": 1.5, "mex_2010": 5000}))
    ref = build_simulation(sc)
    nats = list(sim.nationalities)
    app_p = sim.schedule.base["us_apprehension_probability"]
    assert app_p[nats.index("MEX")] == 0.42
    assert app_p[nats.index("GTM")] == ref.schedule.base["us_apprehension_probability"][nats.index("GTM")]
    np.testing.assert_allclose(sim.schedule.base["mx_detection_per_100km"],
                               1.5 * ref.schedule.base["mx_detection_per_100km"])


def test_current_values(free_scenario):
    assert FreeParameters(free_scenario).current() == {"us_apprehension_probability": 0.55, "departures_gtm": 1.0}


@pytest.mark.parametrize("entry, words", [
    ({"parameter": "no_such_parameter", "low": 0, "high": 1}, "unknown parameter"),
    ({"parameter": "us_apprehension_probability", "key": "XXX", "low": 0, "high": 1}, "unknown nationality"),
    ({"parameter": "us_apprehension_probability", "key": "MEX.2010", "low": 0, "high": 1}, "deeper"),
    ({"parameter": "us_apprehension_probability", "low": 0.5, "high": 1.5}, "leave"),
    ({"parameter": "departures_per_year", "key": "MEX.soon", "low": 1, "high": 2}, "not a year"),
    ({"parameter": "deportation_destination", "low": 0, "high": 1}, "places"),
    ({"parameter": "group_share", "key": "GTM.alone", "low": 0.1, "high": 0.5}, "shares add up"),
])
def test_bad_free_parameters_are_scenario_errors(make_scenario, entry, words):
    sc = make_scenario(free_parameters={"x": entry})
    with pytest.raises(ScenarioError, match=words) as err:
        FreeParameters(sc).check()
    assert "free_parameters.x" in err.value.one_line()


@pytest.mark.parametrize("entry, words", [
    ({"low": 2, "high": 1}, "low < high"),
    ({"low": 0, "high": 1, "prior": "log-uniform"}, "low > 0"),
    ({"low": 0, "high": 1, "lo": 3}, "unknown key"),
    ({"low": 0, "high": 1, "prior": "normal"}, "log-uniform"),
])
def test_free_parameters_schema_is_strict(make_scenario, entry, words):
    with pytest.raises(ScenarioError, match=words):
        make_scenario(free_parameters={"us_apprehension_probability": entry})


def test_no_free_parameters_is_an_error(make_scenario):
    with pytest.raises(ScenarioError, match="no free parameters"):
        FreeParameters(make_scenario())


# ---- the targets file --------------------------------------------------------------------------------

def _targets(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "targets.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize("text, words", [
    ("indicator,month,nationality,value\napprehensions,2010-01,MEX,10\n", "unknown indicator 'apprehensions'"),
    ("indicator,month,nationality,value\napprehensions_us,2010-01,HND,10\n", "unknown nationality 'HND'"),
    ("indicator,month,nationality,value\napprehensions_us,2010-01,GTM+XX,10\n", "unknown nationality 'XX'"),
    ("indicator,month,value\napprehensions_us,2010-01,10\n", "missing column nationality"),
    ("indicator,nationality,value\napprehensions_us,MEX,10\n", "missing column year"),
    ("indicator,month,nationality\napprehensions_us,2010-01,MEX\n", "missing column value"),
    ("indicator,month,nationality,value\napprehensions_us,2010-01,MEX,many\n", "'many' is not a number"),
    ("indicator,month,nationality,value,sd\napprehensions_us,2010-01,MEX,10,-1\n", "not positive"),
    ("indicator,month,nationality,value,sd\napprehensions_us,2010-01,MEX,10,n/a\n", "'n/a' is not a number"),
    ("indicator,month,nationality,value\napprehensions_us,2010-13,MEX,10\n", "not a month"),
    ("indicator,month,nationality,value\napprehensions_us,2011-01,MEX,10\n", "not wholly inside"),
    ("indicator,year,nationality,value\napprehensions_us,2010,MEX,10\n", "not wholly inside"),
    ("indicator,year,month,nationality,value\napprehensions_us,2010,2010-01,MEX,10\n", "several periods"),
    ("indicator,month,nationality,value\napprehensions_us,2010-01,MEX,10\napprehensions_us,2010-01,MEX,12\n",
     "same indicator, period and nationality as row 2"),
    ("", "empty file"),
    ("indicator,month,nationality,value\n", "no target rows"),
])
def test_bad_targets_files(free_scenario, tmp_path, text, words):
    with pytest.raises(DataError, match=words) as err:
        load_targets(_targets(tmp_path, text), free_scenario)
    assert "targets.csv" in err.value.one_line()


def test_targets_file_reads_groups_defaults_and_extra_columns(free_scenario, tmp_path):
    path = _targets(tmp_path, "Indicator, Month ,nationality,value,sd,source\n"
                              "apprehensions_us,2010-01,MEX,1000,,facts/01b\n"
                              "entries_mexico,2010-01,GTM+MEX,\"2,500\",50,x\n"
                              "waiting_north,2010-01,ALL,300,30,y\n")
    got = load_targets(path, free_scenario)
    assert [t.quantity for t in got] == [Quantity("apprehensions_us", "month", "2010-01", ("MEX",)),
                                         Quantity("entries_mexico", "month", "2010-01", ("GTM", "MEX")),
                                         Quantity("waiting_north", "month", "2010-01", ())]
    assert got[0].sd == 100 and got[1].value == 2500 and got[0].source == "facts/01b"


def test_bad_targets_file_is_one_cli_error_line(tiny_file, tmp_path):
    bad = _targets(tmp_path, "indicator,month,nationality,value\ndeportations,2010-01,GTM,5\n")
    data = yaml.safe_load(tiny_file.read_text())
    data["free_parameters"] = FREE
    tiny_file.write_text(yaml.safe_dump(data))
    res = runner.invoke(app, ["calibrate", str(tiny_file), "--targets", str(bad), "--out", str(tmp_path / "c")],
                        env={"COLUMNS": "300"})
    assert res.exit_code == 2
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "Traceback" not in res.stderr
    assert "targets.csv: row 2, column indicator: unknown indicator 'deportations'" in lines[0]
    assert not (tmp_path / "c").exists()


# ---- recovery --------------------------------------------------------------------------------------

def _synthetic_targets(scenario, values, path: Path, seed: int | None = None) -> Path:
    """Targets made by the model itself at known parameter values."""
    series = series_of(run_scenario(FreeParameters(scenario).scenario_with(values), seed=seed))
    rows = ["indicator,month,nationality,value,sd"]
    for ind, nat in (("apprehensions_us", "MEX"), ("entries_us", "MEX"), ("entries_mexico", "GTM"),
                     ("arrivals_us_border", "GTM")):
        v = Quantity(ind, "month", "2010-01", (nat,)).value(series)
        rows.append(f"{ind},2010-01,{nat},{v},{max(np.sqrt(v), 1.0):.4f}")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_calibration_recovers_known_parameters(free_scenario, tmp_path):
    targets = load_targets(_synthetic_targets(free_scenario, TRUTH, tmp_path / "t.csv"), free_scenario)
    res = calibrate(free_scenario, targets, trials=16, batch=4, workers=1)
    assert res.best_loss < 0.05 * res.initial_loss
    for name, truth in TRUTH.items():
        assert res.values[name] == pytest.approx(truth, rel=0.08), (name, res.values)
    assert len(res.trials) == 16 and res.trials[0]["loss"] == pytest.approx(res.initial_loss)


def test_calibrate_command_writes_a_fitted_scenario(tiny_file, tmp_path):
    data = yaml.safe_load(tiny_file.read_text())
    data.update(end=WORLD["end"], free_parameters=FREE)
    data["parameters"].update(WORLD["parameters"])
    tiny_file.write_text(yaml.safe_dump(data))
    sc = load_scenario(tiny_file)
    targets = _synthetic_targets(sc, TRUTH, tmp_path / "targets.csv")
    out = tmp_path / "cal"
    res = runner.invoke(app, ["calibrate", str(tiny_file), "--targets", str(targets), "--trials", "3",
                              "--batch", "3", "--workers", "1", "--out", str(out)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    for name in ("calibration.json", "fit.parquet", "trials.parquet", "fit.png", "fitted.yaml"):
        assert (out / name).is_file(), name
    assert "fit against each target" in res.stdout and "apprehensions_us 2010-01 MEX" in res.stdout
    fitted = load_scenario(out / "fitted.yaml")
    assert fitted.name == "tiny-fitted"
    report = (out / "calibration.json").read_text()
    import json

    best = {p["name"]: p["fitted"] for p in json.loads(report)["free_parameters"]}
    p = fitted.spec.parameters["us_apprehension_probability"]
    assert p.value["MEX"] == pytest.approx(best["us_apprehension_probability"]) and p.source.kind == "fitted"
    dep = fitted.spec.parameters["departures_per_year"].value
    assert dep["GTM"] == pytest.approx(15000 * best["departures_gtm"]) and dep["MEX"] == 15000


@pytest.mark.slow
def test_batches_make_results_independent_of_workers(free_scenario, tmp_path):
    targets = load_targets(_synthetic_targets(free_scenario, TRUTH, tmp_path / "t.csv"), free_scenario)
    a = calibrate(free_scenario, targets, trials=3, batch=3, workers=1)
    b = calibrate(free_scenario, targets, trials=3, batch=3, workers=2)
    assert a.trials == b.trials


@pytest.mark.slow
def test_calibration_recovers_parameters_from_noisy_data_on_dask(free_scenario, tmp_path):
    """Data from another seed than the fit (sampling noise), two replicates per trial, on Dask."""
    distributed = pytest.importorskip("distributed")
    targets = load_targets(_synthetic_targets(free_scenario, TRUTH, tmp_path / "t.csv", seed=12345), free_scenario)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None,
                                  silence_logs=40) as cluster:
        res = calibrate(free_scenario, targets, trials=48, batch=8, replicates=2,
                        scheduler=cluster.scheduler_address)
    for name, truth in TRUTH.items():
        assert res.values[name] == pytest.approx(truth, rel=0.15), (name, res.values)
    assert np.all(np.abs((res.fitted - [t.value for t in targets]) / [t.sd for t in targets]) < 3)
    assert write_calibration(res, free_scenario, tmp_path / "out", targets_file=tmp_path / "t.csv", plots=False)
