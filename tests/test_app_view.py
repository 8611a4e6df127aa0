"""What the web app shows, read back from run and comparison folders; the observed series."""

from __future__ import annotations

import numpy as np
import pytest

from corridor.observed import for_indicator, observed_series


def test_observed_series_are_the_facts_values():
    us = for_indicator("apprehensions_us", "MEX")
    assert us.period == "fiscal_year" and us.values[2010] == 396820 and us.values[2011] == 280580
    assert for_indicator("apprehensions_us", "GTM").values[2010] == 16830
    assert for_indicator("asylum_applications_mexico").values[2019] == 70278      # the main COMAR series
    det = for_indicator("detentions_mexico")
    assert det.period == "year" and det.values[2015] == 198141 and det.status[2015] == "secondary_source_read"
    # a value the facts give only as text (">67,000") is not read as a number
    assert 2009 not in for_indicator("deportations_mexico").values
    assert for_indicator("victimizations") is None
    assert all(s.values and s.source.startswith("facts/") for s in observed_series())


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    """A year of the default scenario at a small scale, written as `corridor run` writes it."""
    from corridor.results.run import run_scenario
    from corridor.results.store import write_run
    from corridor.scenario.loader import load_scenario, scenario_from_dict

    data = load_scenario().canonical()
    data.update(start="2010-01-01", end="2010-12-31", population_scale=0.01, spin_up_days=60)
    res = run_scenario(scenario_from_dict(data))
    folder = tmp_path_factory.mktemp("run")
    write_run(res, folder, plots=False)
    return folder, res


def test_months_add_up_to_the_run(run_folder):
    from corridor.app.view import load_run

    folder, res = run_folder
    view = load_run(folder)
    assert len(view.months) == 12 and view.months[0].isoformat() == "2010-01-01"
    for name in ("apprehensions_us", "detentions_mexico"):
        i = view.indicators.index(name)
        assert view.monthly[:, i].sum() == pytest.approx(res.series(name).sum())
        assert view.annual(name)[2010] == pytest.approx(res.series(name).sum())
    # a stock is the mean number of people per day: the mean of the daily series in January
    i = view.indicators.index("waiting_north")
    jan = res.series("waiting_north")[:31].mean()
    assert view.monthly[0, i].sum() == pytest.approx(jan)
    # by place: the circles of the map add up to the run's total
    assert view.monthly[:, view.indicators.index("detentions_mexico")].sum(axis=(0, 1)).sum() == \
        pytest.approx(res.series("detentions_mexico").sum())
    # US fiscal year 2010 is only partly in the run: no yearly value for it
    assert view.annual("apprehensions_us", fiscal=True) == {}


def test_series_figure_puts_the_observed_values_beside_the_model(run_folder):
    from corridor.app.view import load_run, series_figure

    view = load_run(run_folder[0])
    fig = series_figure(view, "detentions_mexico")
    labels = [line.get_label() for line in fig.axes[1].get_lines()]
    assert any(label.startswith("observed") for label in labels) and "model (this run)" in labels
    observed = next(line for line in fig.axes[1].get_lines() if line.get_label().startswith("observed"))
    assert 2010 in list(observed.get_xdata()) and 70102 in list(observed.get_ydata())
    fig = series_figure(view, "victimizations")
    assert "no observed series" in fig.axes[1].get_title()


def test_the_map_changes_with_the_month(run_folder):
    from corridor.app.view import load_run, map_figure

    view = load_run(run_folder[0])

    def circles(month):
        fig = map_figure(view, "detentions_mexico", month)
        return fig.axes[0].collections[-1].get_sizes()

    def widths(month):
        fig = map_figure(view, "detentions_mexico", month)
        return np.array([line.get_linewidth() for line in fig.axes[0].get_lines() if line.get_alpha() == 0.8])

    # route lines by month, on one scale: the months' traversals add up to the run's
    assert view.route_monthly is not None
    assert view.route_monthly.sum(axis=0) == pytest.approx(view.route_flows)
    assert widths(0).size > 0 and not np.array_equal(widths(0), widths(6))
    jan, jul = circles(0), circles(6)
    assert jan.size == jul.size and jan.max() > 0
    assert not np.array_equal(jan, jul)
    assert "July 2010" in map_figure(view, "detentions_mexico", 6).axes[0].get_title()


def test_comparison_by_place(tmp_path):
    from corridor.app.view import compare_place_figure, compare_rows
    from corridor.compare import compare_scenarios, write_comparison
    from corridor.scenario.loader import load_scenario, scenario_from_dict

    data = load_scenario().canonical()
    data.update(start="2010-01-01", end="2010-03-31", population_scale=0.005, spin_up_days=30)
    a = scenario_from_dict(data)
    more = dict(data, parameters={**data["parameters"], "mx_detection_per_100km": {"value": {"*": 0.05}}})
    b = scenario_from_dict(more)
    cmp = compare_scenarios(a, b, n=2, workers=1, places=True)
    write_comparison(cmp, tmp_path, plots=False)
    st = cmp.place_stats()
    i = cmp.indicators.index("detentions_mexico")
    # more detection: more detentions in total, and the places add up to the nationalities' total
    assert st["diff_mean"][i, 0].sum() > 0
    assert st["diff_mean"][i, 0].sum() == pytest.approx(cmp.stats()["diff_mean"][i, 0, 0])
    rows = [r for r in compare_rows(tmp_path) if r["indicator"] == "detentions_mexico"]
    assert rows and rows[0]["nationality"] == "total"
    fig = compare_place_figure(tmp_path, "detentions_mexico", 2010)
    assert len(fig.axes[0].collections) > 0


class _NoQueue:
    """The page without a server: nothing is submitted."""

    registry = None

    def submit(self, spec):
        raise AssertionError("nothing should be queued")


def test_the_page_opens_the_folder_of_a_cli_run(run_folder, tmp_path):
    from corridor.app.page import Page

    queue = _NoQueue()
    queue.registry = tmp_path / "runs.duckdb"
    page = Page(queue)
    page.folder.value = str(tmp_path / "nothing-here")
    page._open_folder()
    assert page.status.alert_type == "danger" and "not a finished run" in page.status.object
    page.folder.value = str(run_folder[0])
    page._open_folder()
    assert page.status.alert_type == "success"
    assert page.view is not None and page.view.folder == run_folder[0]
    assert page.indicator.value == "apprehensions_us" and page.series.object is not None
    assert page.tabs.active == 2                          # the results are shown


def test_the_page_refuses_a_bad_value_at_once(tmp_path):
    from corridor.app.page import Page

    queue = _NoQueue()
    queue.registry = tmp_path / "runs.duckdb"
    page = Page(queue)
    page.param_select.value = "mx_detection_per_100km"
    assert "allowed: between" in page.param_info.object and "source:" in page.param_info.object
    page.param_value.value = "-3"
    page._set_param()
    assert page.status.alert_type == "danger" and "mx_detection_per_100km" in page.status.object
    assert page.param_edits == {}
    page.param_value.value = "{Chiapas: 0.5}"
    page._set_param()
    assert page.param_edits == {"mx_detection_per_100km": {"Chiapas": 0.5}}
    # a policy switched off and a moved window reach the scenario that would be run
    page.scenario.value = "southern-border-2013-2016"
    page.policy_widgets["southern-border-program"][0].value = False
    page.policy_widgets["enforcement-from-2012"][2].value = "2014-01-31"
    edits = page._edits()
    assert edits.policies_off == ("southern-border-program",)
    assert edits.windows == {"enforcement-from-2012": ("2012-01-01", "2014-01-31")}
    assert page.policy_widgets["southern-border-program"][0].label == "southern-border-program: off"
