"""Paired comparison of two scenarios (corridor.compare) and the `corridor compare` command."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import one_error_line, write_yaml
from typer.testing import CliRunner

from corridor.cli import app
from corridor.compare import TOTAL, compare_scenarios, t_quantile
from corridor.errors import UserInputError
from corridor.rng import spawn_seeds

runner = CliRunner()

# six weeks of the tiny world keep each run short; people reach the US border within days
SHORT = {"end": "2010-02-14"}
STRICT_BORDER = [{"name": "strict-border", "start": "2010-01-01",
                  "set": {"us_apprehension_probability": 0.95},
                  "source": {"kind": "assumption", "note": "test: a much stricter border"}}]


@pytest.fixture(scope="module")
def base(make_scenario):
    return make_scenario(**SHORT)


@pytest.fixture(scope="module")
def strict(make_scenario):
    return make_scenario(**SHORT, name="strict", policies=STRICT_BORDER)


@pytest.fixture(scope="module")
def same(base):
    return compare_scenarios(base, base, n=2, root_seed=11, workers=1)


@pytest.fixture(scope="module")
def policy(base, strict):
    return compare_scenarios(base, strict, n=3, root_seed=11, workers=1)


@pytest.mark.parametrize("level, df, expected", [
    (0.90, 1, 6.313752), (0.90, 2, 2.919986), (0.90, 9, 1.833113), (0.90, 30, 1.697261),
    (0.95, 4, 2.776445), (0.99, 7, 3.499483),
])
def test_t_quantile_matches_tables(level, df, expected):
    assert t_quantile(level, df) == pytest.approx(expected, abs=2e-6)


def test_a_vs_a_is_zero_with_zero_width(same):
    st = same.stats()
    assert same.n == 2 and same.groups == (TOTAL, "GTM", "MEX")
    for key in ("diff_mean", "diff_sd", "ci_low", "ci_high", "spread_low", "spread_high"):
        assert np.all(st[key] == 0.0), key
    assert np.array_equal(same.a_values, same.b_values)
    # and there was something to compare: people moved, and the members differ
    assert same.a_values[:, same.indicators.index("entries_mexico"), 0, 0].min() > 0
    assert not np.array_equal(same.a_values[0], same.a_values[1])


def test_members_use_seeds_spawned_from_the_root(same):
    assert list(same.seeds) == spawn_seeds(11, 2)
    assert [m["seed"] for m in same.members] == list(same.seeds)


def test_totals_are_the_sum_of_nationalities(policy):
    assert np.allclose(policy.a_values[..., 0], policy.a_values[..., 1:].sum(axis=-1))
    assert np.allclose(policy.b_values[..., 0], policy.b_values[..., 1:].sum(axis=-1))


def test_a_stricter_border_raises_apprehensions(policy):
    up = policy.cell("apprehensions_us", 2010)
    assert up["diff_mean"] > 0 and up["ci_low"] > 0          # the interval excludes 0
    assert up["ci_low"] <= up["diff_mean"] <= up["ci_high"]
    assert up["b_mean"] - up["a_mean"] == pytest.approx(up["diff_mean"])
    down = policy.cell("entries_us", 2010)
    assert down["ci_high"] < 0
    # the policy acts at the US border only: entries into Mexico are the same, member by member
    i = policy.indicators.index("entries_mexico")
    assert np.array_equal(policy.a_values[:, i], policy.b_values[:, i])


def test_interval_is_the_t_interval_of_the_mean_difference(policy):
    i, k = policy.indicators.index("apprehensions_us"), 0
    d = policy.b_values[:, i, 0, k] - policy.a_values[:, i, 0, k]
    half = t_quantile(0.90, 2) * d.std(ddof=1) / np.sqrt(3)
    c = policy.cell("apprehensions_us", 2010)
    assert c["ci_low"] == pytest.approx(d.mean() - half)
    assert c["ci_high"] == pytest.approx(d.mean() + half)
    assert c["spread_low"] == pytest.approx(np.percentile(d, 5))


def test_worker_count_does_not_change_results(base, strict, policy):
    """Same seeds a second time, in two worker processes: the very same numbers. Members
    are a prefix of a longer comparison's (seed i does not depend on n)."""
    again = compare_scenarios(base, strict, n=2, root_seed=11, workers=2)
    assert again.meta["workers"] == 2
    assert np.array_equal(again.a_values, policy.a_values[:2])
    assert np.array_equal(again.b_values, policy.b_values[:2])
    first_two = dataclasses.replace(policy, seeds=policy.seeds[:2], a_values=policy.a_values[:2],
                                    b_values=policy.b_values[:2])
    assert again.rows(members=True) == first_two.rows(members=True)


def test_selected_indicators_and_years(base, strict):
    seen = []
    cmp = compare_scenarios(base, strict, n=1, indicators=["deaths", "apprehensions_us"], years=[2010],
                            scale=0.5, progress=lambda done, total: seen.append((done, total)))
    assert cmp.indicators == ("deaths", "apprehensions_us") and cmp.years == (2010,)
    assert cmp.a_values.shape == (1, 2, 1, 3)
    assert cmp.a["population_scale"] == cmp.b["population_scale"] == 0.5
    assert seen == [(1, 2), (2, 2)]
    assert cmp.cell("deaths", 2010)["ci_low"] != cmp.cell("deaths", 2010)["ci_low"]   # NaN: n = 1
    assert {r["ci_low"] for r in cmp.rows()} == {None}


@pytest.mark.parametrize("change, words", [
    ({"end": "2010-02-15"}, "reports"),
    ({"start": "2010-01-02"}, "reports"),
    ({"nationalities": ["GTM"]}, "only A has MEX"),
])
def test_scenarios_must_cover_the_same_period_and_people(make_scenario, base, change, words):
    other = make_scenario(**{**SHORT, **change})
    with pytest.raises(UserInputError, match=words):
        compare_scenarios(base, other, n=2)


@pytest.mark.parametrize("kw, at", [
    ({"indicators": ["happiness"]}, "--indicators"), ({"years": [1999]}, "--years"),
    ({"scale": 150.0}, "--scale"), ({"scale": 0.0}, "--scale"), ({"n": 0}, "-n"), ({"level": 1.0}, "--level"),
    ({"workers": 0}, "--workers"),
])
def test_bad_options_are_user_errors(base, kw, at):
    with pytest.raises(UserInputError) as info:
        compare_scenarios(base, base, **kw)
    assert info.value.at == at


# ------------------------------------------------------------------ the command

@pytest.fixture
def pair(tiny_file):
    data = yaml.safe_load(tiny_file.read_text())
    data.update(SHORT)
    a = write_yaml(tiny_file.parent / "a.yaml", data)
    b = write_yaml(tiny_file.parent / "b.yaml", {**data, "name": "strict", "policies": STRICT_BORDER})
    return a, b


def test_cli_compare_writes_everything(pair, tmp_path):
    a, b = pair
    out = tmp_path / "cmp"
    res = runner.invoke(app, ["compare", str(a), str(b), "-n", "2", "--seed", "5", "--workers", "1",
                              "--scale", "0.5", "--out", str(out), "--indicators", "apprehensions_us,deaths",
                              "--indicators", "entries_us"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "apprehensions_us" in res.stdout and "B - A" in res.stdout and "entries_us" in res.stdout
    for name in ("compare.json", "compare.parquet", "compare.csv", "compare_members.parquet", "compare.png"):
        assert (out / name).is_file(), name
    doc = json.loads((out / "compare.json").read_text())
    assert doc["n"] == 2 and doc["seeds"] == spawn_seeds(5, 2) and doc["root_seed"] == 5
    assert doc["a"]["population_scale"] == doc["b"]["population_scale"] == 0.5
    assert doc["b"]["name"] == "strict" and "t" in doc["method"]["ci"]
    row = next(r for r in doc["results"] if r["indicator"] == "apprehensions_us" and r["year"] == 2010
               and r["nationality"] == TOTAL)
    assert len(row["a"]) == 2 and row["diff_mean"] > 0
    table = pq.read_table(out / "compare.parquet").to_pylist()
    assert list(doc["indicators"]) == ["apprehensions_us", "deaths", "entries_us"]
    assert len(table) == len(doc["results"]) == 3 * 1 * 3        # indicators x years x (total + 2)
    members = pq.read_table(out / "compare_members.parquet")
    assert members.num_rows == 2 * len(table)
    assert (out / "compare.csv").read_text().splitlines()[0].startswith('"indicator"')


def test_cli_compare_selection_and_quiet(pair, tmp_path):
    a, _ = pair
    out = tmp_path / "cmp"
    res = runner.invoke(app, ["compare", str(a), str(a), "-n", "1", "--workers", "1", "-q", "--no-plots",
                              "--indicators", "deaths,entries_us", "--years", "2010", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert res.stdout == ""
    doc = json.loads((out / "compare.json").read_text())
    assert set(doc["indicators"]) == {"deaths", "entries_us"}
    assert not (out / "compare.png").exists()


def test_cli_compare_mismatched_periods(pair, tmp_path):
    a, b = pair
    data = yaml.safe_load(b.read_text())
    data["end"] = "2010-03-31"
    longer = write_yaml(b.parent / "longer.yaml", data)
    res = runner.invoke(app, ["compare", str(a), str(longer), "-n", "2", "-q", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    one_error_line(res.stderr, "longer.yaml", "same start and end")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("args, words", [
    (["--years", "twenty"], "--years"),
    (["--indicators", "happiness"], "happiness"),
    (["--scale", "200"], "--scale"),
])
def test_cli_compare_bad_options(pair, tmp_path, args, words):
    a, b = pair
    res = runner.invoke(app, ["compare", str(a), str(b), "-q", "--out", str(tmp_path / "o"), *args])
    assert res.exit_code == 2
    one_error_line(res.stderr, words)


def test_cli_compare_usage_errors(pair, tmp_path):
    a, b = pair
    assert runner.invoke(app, ["compare", str(a), str(b), "-n", "0"]).exit_code == 2
    assert runner.invoke(app, ["compare", str(a)]).exit_code == 2
    res = runner.invoke(app, ["compare", str(a), str(tmp_path / "missing.yaml"), "-q"])
    assert res.exit_code == 2
    one_error_line(res.stderr, "missing.yaml")
