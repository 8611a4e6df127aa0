"""Real Flee folders carry irregularities that Flee 3.1 accepts: each one, reproduced in a small
synthetic folder, runs with Flee's meaning and one warning line per kind; what Flee stops on
is one clear error with exit status 2; forecast folders run; the demographic rules act."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from test_flee_rules import write_scenario
from typer.testing import CliRunner

from corridor.cli import app
from corridor.errors import DataError
from corridor.models.flee import build_flee_simulation, load_flee_scenario, run_flee

runner = CliRunner()


def _set(folder: Path, section: str, **values) -> None:
    doc = yaml.safe_load((folder / "simsetting.yml").read_text()) or {}
    doc.setdefault(section, {}).update(values)
    (folder / "simsetting.yml").write_text(yaml.safe_dump(doc))


def _warnings_of(sc, words: str) -> list[str]:
    return [w for w in sc.warnings if words in w]


def _ac_world(folder: Path, *, days: int, pop: int, conflict_date: int = 0, **kw) -> Path:
    """A (conflict zone of ``pop`` people) -- 10 km -- C (camp), the folders most tests vary."""
    return write_scenario(folder, days=days, locations=[("A", "X", "conflict_zone", conflict_date, pop),
                                                        ("C", "X", "camp", "", 0)], routes=[("A", "C", 10)], **kw)


# --- duplicate location names ----------------------------------------------------------------

def _duplicate_world(tmp_path: Path) -> Path:
    """A appears twice: row 1 (a conflict zone) and row 3 (a town); the route goes to A."""
    return write_scenario(
        tmp_path / "dup", days=6,
        locations=[("A", "X", "conflict_zone", 0, 5000), ("C", "X", "camp", "", 0), ("A", "X", "town", "", 5000)],
        routes=[("A", "C", 50)], conflicts={"A": [1] * 6},
        series={"total": [(0, 0), (1, 600)], "C": [(0, 0)]},
        settings={"move_rules": {"conflict_movechance": 1.0, "max_move_speed": 100}})


def test_duplicate_location_is_two_places_as_in_flee(tmp_path):
    folder = _duplicate_world(tmp_path)
    sc = load_flee_scenario(folder)
    assert len(sc.locations) == 3 and sc.index["A"] == 2 and sc.first_index["A"] == 0
    (warning,) = _warnings_of(sc, "repeats row")
    assert "locations.csv: row 4" in warning and "'A'" in warning
    sim = build_flee_simulation(sc)
    sim.run()
    spawned = sim.recorder.data[:, 1, 0, :].sum(axis=0)
    agents = sim.recorder.data[-1, 0, 0, :]
    # people are spawned at the first row (conflict zone with a population) and, as in Flee 3.1,
    # the route binds to the last row: they can never leave
    assert spawned[0] == 600 and agents[0] == 600 and agents[1] == 0
    _set(folder, "corridor_rules", duplicate_locations="last")
    fixed = load_flee_scenario(folder)
    assert [loc.line for loc in fixed.locations] == [3, 4]     # the earlier row A is dropped
    sim = build_flee_simulation(fixed)
    sim.run()
    assert sim.recorder.data[:, 2, 0, 0].sum() >= 600          # the conflict binds to the routed A: all reach C


def test_duplicate_camp_reports_the_last_row(tmp_path):
    folder = write_scenario(
        tmp_path / "dupcamp", days=3,
        locations=[("A", "X", "conflict_zone", 0, 5000), ("C", "X", "camp", "", 0), ("C", "X", "camp", "", 0)],
        routes=[("A", "C", 10)], series={"total": [(0, 40), (2, 40)], "C": [(0, 20)]})
    run = run_flee(load_flee_scenario(folder))
    assert run.camps == ("C", "C")
    # Flee's add_initial_refugees puts the day-0 count at lm["C"] (the last row) once per column
    assert run.sim[0].tolist() == [40, 40]


# --- conflicts.csv ---------------------------------------------------------------------------

def test_conflicts_unknown_and_unnamed_columns_are_skipped(tmp_path):
    folder = _ac_world(tmp_path / "cf", days=4, pop=1000, series={"total": [(0, 0), (3, 30)], "C": [(0, 0)]})
    (folder / "conflicts.csv").write_text("#Days,A,Solidarity,Nowhere,\n" + "".join(
        f"{d + 1},1,1,0\n" for d in range(4)))
    sc = load_flee_scenario(folder)
    assert sc.conflicts[0] == ["A"]
    assert len(_warnings_of(sc, "is not in locations.csv")) == 1          # one line for two columns
    assert "1 more like it" in _warnings_of(sc, "is not in locations.csv")[0]
    assert len(_warnings_of(sc, "no location name")) == 1
    assert len(_warnings_of(sc, "consecutive days in file order")) == 1
    assert run_flee(sc).total_agents[-1] == 30


def test_value_under_an_unnamed_conflicts_column_stops(tmp_path):
    folder = _ac_world(tmp_path / "cf2", days=2, pop=1000, series={"total": [(0, 0)], "C": [(0, 0)]})
    (folder / "conflicts.csv").write_text("#Day,A,\n0,1\n1,1,\n")   # Flee 3.1: KeyError '' on row 3
    with pytest.raises(DataError, match=r"row 3, column 3: a cell \(''\) under a column with no name"):
        load_flee_scenario(folder)


def test_conflict_ends_only_from_exactly_one_as_in_flee(tmp_path):
    folder = write_scenario(
        tmp_path / "end", days=4, locations=[("A", "X", "conflict_zone", 1, 1000), ("B", "X", "conflict_zone", 1, 1000),
                                             ("C", "X", "camp", "", 0)],
        routes=[("A", "C", 10), ("B", "C", 10)], conflicts={"A": [0, 1, 0, 0], "B": [0, 0.4, 0, 0]},
        series={"total": [(0, 0), (3, 3000)], "C": [(0, 0)]})
    sim = build_flee_simulation(load_flee_scenario(folder))
    sim.run()
    w = sim.world
    assert w.conflict[0] == -1.0 and w.conflict[1] == pytest.approx(0.4)   # B's conflict never ended
    spawned = sim.recorder.data[2:, 1, 0, :].sum(axis=0)
    assert spawned[0] == 0 and spawned[1] == 2000                           # all of days 2-3 from B
    _set(folder, "corridor_rules", conflict_end="any")
    with pytest.raises(DataError, match="no conflict zone"):                 # nobody left to spawn from
        run_flee(load_flee_scenario(folder))


def test_short_conflicts_file_stops_unless_the_run_is_shorter(tmp_path):
    folder = _ac_world(tmp_path / "short", days=3, pop=1000, conflicts={"A": [1, 1, 1]},
                       series={"total": [(0, 0)], "C": [(0, 0)]})
    (folder / "sim_period.csv").write_text("StartDate,2010-01-01\nLength,5\n")
    result = runner.invoke(app, ["validate", str(folder)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "3 days of conflict data for a 5-day run" in result.output and "--days 3 or fewer" in result.output
    assert load_flee_scenario(folder, days=3).n_days == 3


# --- closures and observed series ----------------------------------------------------------

def test_closure_ending_before_it_starts_is_never_lifted(tmp_path):
    folder = _ac_world(tmp_path / "cl", days=8, pop=1000, closures=[("location", "C", "", 2, 0)],
        series={"total": [(0, 0), (7, 700)], "C": [(0, 0)]},
        settings={"move_rules": {"conflict_movechance": 1.0}})
    sc = load_flee_scenario(folder)
    assert sc.closures[0].end == 0
    assert len(_warnings_of(sc, "never lifted")) == 1
    sim = build_flee_simulation(sc)
    sim.run()
    arrivals = sim.recorder.data[:, 2, 0, 1]
    assert arrivals[:2].sum() > 0 and arrivals[3:].sum() == 0   # closed from day 2 to the end


def test_observed_dates_out_of_order_follow_flee_unless_sorted(tmp_path):
    folder = _ac_world(tmp_path / "obs", days=10, pop=1000,
                       series={"total": [(0, 0)], "C": [(0, 0), (8, 800), (4, 100)]})
    sc = load_flee_scenario(folder)
    assert len(_warnings_of(sc, "before the previous row's date")) == 1
    flee_way = sc.observed.daily("C", 10)
    # Flee: day 5 lies before the row dated 8, so it interpolates between rows 1 and 2
    assert flee_way[5] == 500 and flee_way[9] == 100
    _set(folder, "corridor_rules", observed_order="date")
    assert load_flee_scenario(folder).observed.daily("C", 10)[5] == 275


# --- forecast ------------------------------------------------------------------------------

def test_forecast_folder_runs_and_says_nothing_to_compare(tmp_path):
    folder = _ac_world(tmp_path / "fc", days=5, pop=1000, series={},
        settings={"spawn_rules": {"conflict_driven_spawning": {"spawn_mode": "constant",
                                                               "displaced_per_conflict_day": 10}}})
    for f in (folder / "source_data").iterdir():
        f.unlink()
    (folder / "source_data").rmdir()
    out = tmp_path / "out"
    result = runner.invoke(app, ["run", str(folder), "--out", str(out), "-q"])
    assert result.exit_code == 0, result.output
    header = (out / "out.csv").read_text().splitlines()[0]
    assert header == "Day,Date,C sim,total refugees (simulation),refugees in camps (simulation)"
    assert (out / "out.csv").read_text().splitlines()[-1].split(",")[3] == "50"
    assert json.loads((out / "validation.json").read_text())["averaged_relative_difference"] is None
    result = runner.invoke(app, ["validate", str(out)])
    assert result.exit_code == 0 and "nothing to compare with" in result.output
    result = runner.invoke(app, ["validate", str(folder)])
    assert result.exit_code == 0 and "a forecast" in result.output


def test_data_folder_without_layout_is_an_error(tmp_path):
    folder = _ac_world(tmp_path / "nolayout", days=3, pop=1000, series={"total": [(0, 0)], "C": [(0, 0)]})
    (folder / "source_data" / "data_layout.csv").unlink()
    with pytest.raises(DataError, match="no data_layout.csv"):
        load_flee_scenario(folder)


# --- what Flee 3.1 stops on ----------------------------------------------------------------

def test_arrivals_with_no_conflict_zone_populated_stop(tmp_path):
    folder = _ac_world(tmp_path / "nopop", days=3, pop=0, series={"total": [(0, 0), (2, 100)], "C": [(0, 0)]})
    result = runner.invoke(app, ["run", str(folder), "-q", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "no conflict zone with a population" in result.output
    assert "Traceback" not in result.output


def test_flood_rules_stop_with_the_rule_named(tmp_path):
    folder = _ac_world(tmp_path / "flood", days=3, pop=10, series={"total": [(0, 0)], "C": [(0, 0)]},
        settings={"spawn_rules": {"flood_driven_spawning": True, "flood_zone_spawning_only": True,
                                  "conflict_zone_spawning_only": False}})
    result = runner.invoke(app, ["validate", str(folder)])
    assert result.exit_code == 2 and "flood-driven spawning" in result.output


# --- demographics ------------------------------------------------------------------------------

def _choice_world(tmp_path: Path, ages: dict[int, float], male: float, **move) -> Path:
    """A (conflict zone) -- B (camp, camp_weight 4) and -- T (town), equal distances; 4,000
    people spawned on day 1 choose between B and T."""
    folder = write_scenario(
        tmp_path / "demo", days=2,
        locations=[("A", "X", "conflict_zone", 0, 100000), ("B", "X", "camp", "", 0), ("T", "X", "town", "", 0)],
        routes=[("A", "B", 100), ("A", "T", 100)], series={"total": [(0, 0), (1, 4000)], "B": [(0, 0)]},
        settings={"move_rules": {"conflict_movechance": 1.0, "camp_weight": 4.0, "max_move_speed": 50,
                                 "camp_movechance": 0.0, **move}})
    (folder / "demographics_age.csv").write_text(
        "age,Default\n" + "".join(f"{a},{w}\n" for a, w in ages.items()))
    (folder / "demographics_gender.csv").write_text(f"gender,Default\nmale,{male}\nfemale,{1 - male}\n")
    return folder


def _share_to_camp(folder: Path) -> float:
    sim = build_flee_simulation(load_flee_scenario(folder))
    sim.run()
    a = sim.agents
    assert a.n == 4000 and (a.route[: a.n] >= 0).all()     # all set off on day 1 and are on a link
    dest = sim.world.link_dst[a.route[: a.n]]
    return float(np.mean(dest == 1))


@pytest.mark.parametrize(("ages", "male", "move", "share"), [
    ({30: 1.0}, 0.0, {}, 4 / 5),                                                     # rules off
    ({30: 1.0}, 0.0, {"ChildrenAvoidHazards": True}, 4 / 5),                         # adults: unchanged
    ({10: 1.0}, 0.0, {"ChildrenAvoidHazards": True}, 16 / 17),                       # children: score squared
    ({30: 1.0}, 1.0, {"ChildrenAvoidHazards": True, "BoysTakeRisk": True}, 1 / 2),   # men over 14 (Flee 3.1)
    ({16: 1.0}, 1.0, {"ChildrenAvoidHazards": True, "BoysTakeRisk": True}, 1 / 2),   # teenage boys
    ({10: 1.0}, 1.0, {"ChildrenAvoidHazards": True, "BoysTakeRisk": True}, 16 / 17),  # young boys: children
    ({10: 0.5, 30: 0.5}, 0.0, {"ChildrenAvoidHazards": True}, (16 / 17 + 4 / 5) / 2),
])
def test_demographic_rules_change_route_choice(tmp_path, ages, male, move, share):
    assert _share_to_camp(_choice_world(tmp_path, ages, male, **move)) == pytest.approx(share, abs=0.025)


def test_boys_take_risk_teens_only_is_the_corrected_rule(tmp_path):
    folder = _choice_world(tmp_path, {30: 1.0}, 1.0, ChildrenAvoidHazards=True, BoysTakeRisk=True)
    _set(folder, "corridor_rules", boys_take_risk_ages="teens")
    assert _share_to_camp(folder) == pytest.approx(4 / 5, abs=0.025)


def test_demographics_follow_the_location_column(tmp_path):
    folder = _choice_world(tmp_path, {30: 1.0}, 0.0, ChildrenAvoidHazards=True)
    (folder / "demographics_age.csv").write_text("age,Default,A\n10,0.0,1.0\n30,1.0,0.0\n")
    assert _share_to_camp(folder) == pytest.approx(16 / 17, abs=0.025)   # A's column: all children


@pytest.mark.parametrize(("missing", "rule"), [("demographics_age.csv", "ChildrenAvoidHazards"),
                                              ("demographics_gender.csv", "BoysTakeRisk")])
def test_a_rule_without_its_demographics_file_stops_as_in_flee(tmp_path, missing, rule):
    folder = _choice_world(tmp_path, {30: 1.0}, 0.0, ChildrenAvoidHazards=True, BoysTakeRisk=True)
    (folder / missing).unlink()
    result = runner.invoke(app, ["validate", str(folder)])
    assert result.exit_code == 2 and missing in result.output and rule in result.output


def test_demographics_file_names_its_attribute_first(tmp_path):
    folder = _choice_world(tmp_path, {30: 1.0}, 0.0, ChildrenAvoidHazards=True)
    (folder / "demographics_age.csv").write_text("years,Default\n30,1.0\n")
    with pytest.raises(DataError, match="first column named 'age'"):
        load_flee_scenario(folder)


def test_boys_take_risk_alone_is_noted(tmp_path):
    folder = _choice_world(tmp_path, {30: 1.0}, 1.0, BoysTakeRisk=True)
    sc = load_flee_scenario(folder)
    assert len(_warnings_of(sc, "acts only with ChildrenAvoidHazards")) == 1
    assert _share_to_camp(folder) == pytest.approx(4 / 5, abs=0.025)


# --- Flee 3.1 bugs followed by default, corrected on request ---------------------------------

def test_conflict_dates_without_conflicts_file(tmp_path):
    folder = _ac_world(tmp_path / "cd", days=5, pop=1000, conflict_date=2, series={"total": [(0, 0)], "C": [(0, 0)]},
        settings={"spawn_rules": {"conflict_driven_spawning": {"spawn_mode": "constant",
                                                               "displaced_per_conflict_day": 10}}})
    sc = load_flee_scenario(folder)
    assert len(_warnings_of(sc, "never starts a conflict dated after day 0")) == 1
    assert run_flee(sc).total_agents[-1] == 0                       # Flee 3.1: A stays a town
    _set(folder, "corridor_rules", conflict_dates="applied")
    assert run_flee(load_flee_scenario(folder)).total_agents.tolist() == [0, 0, 10, 20, 30]


def test_awareness_zero_nobody_moves_in_flee(tmp_path):
    folder = _ac_world(tmp_path / "aw", days=4, pop=1000, series={"total": [(0, 0), (1, 100)], "C": [(0, 0)]},
        settings={"move_rules": {"awareness_level": 0, "conflict_movechance": 1.0}})
    assert run_flee(load_flee_scenario(folder)).sim[-1, 0] == 0
    _set(folder, "corridor_rules", awareness_zero="random_link")
    assert run_flee(load_flee_scenario(folder)).sim[-1, 0] == 100


def test_pop_weight_min_as_in_flee_or_max(tmp_path):
    folder = write_scenario(
        tmp_path / "pw", days=2, locations=[("A", "X", "conflict_zone", 0, 100000), ("B", "X", "camp", "", 0),
                                            ("T", "X", "town", "", 0), ("U", "X", "town", "", 1024)],
        routes=[("A", "T", 100), ("A", "U", 100)], series={"total": [(0, 0), (1, 4000)], "B": [(0, 0)]},
        settings={"move_rules": {"conflict_movechance": 1.0, "max_move_speed": 50, "use_pop_for_loc_weight": True,
                                 "pop_power_for_loc_weight": 0.1}})

    def share_to_t() -> float:
        sim = build_flee_simulation(load_flee_scenario(folder))
        sim.run()
        a = sim.agents
        return float(np.mean(sim.world.link_dst[a.route[: a.n]] == 2))

    assert share_to_t() == 0.0                                   # min(1, 0) ^ 0.1 = 0: the empty town is never chosen
    _set(folder, "corridor_rules", pop_loc_weight="max")
    assert share_to_t() == pytest.approx(1 / 3, abs=0.03)         # 1 against 1024 ^ 0.1 = 2


def test_home_distance_swaps_latitude_and_longitude_in_flee(tmp_path):
    folder = _ac_world(tmp_path / "home", days=2, pop=100, series={"total": [(0, 0)], "C": [(0, 0)]},
        settings={"move_rules": {"stay_close_to_home": True}})
    text = (folder / "locations.csv").read_text().splitlines()
    text[1] = text[1].replace("1.0,1.0", "60.0,0.0")
    text[2] = text[2].replace("1.0,1.0", "60.0,90.0")
    (folder / "locations.csv").write_text("\n".join(text) + "\n")
    assert build_flee_simulation(load_flee_scenario(folder)).world.home_km[0, 1] == pytest.approx(10011, rel=0.01)
    _set(folder, "corridor_rules", home_distance="great_circle")
    assert build_flee_simulation(load_flee_scenario(folder)).world.home_km[0, 1] == pytest.approx(4606, rel=0.01)


def test_forced_redirection_one_doubles_the_route_in_flee(tmp_path):
    folder = _ac_world(tmp_path / "fr", days=2, pop=100, series={"total": [(0, 0)], "C": [(0, 0)]})
    (folder / "routes.csv").write_text("#name1,name2,distance,forced_redirection\nA,C,10,1\n")
    sc = load_flee_scenario(folder)
    assert len(sc.routes) == 2 and len(_warnings_of(sc, "adds the route twice")) == 1
    _set(folder, "corridor_rules", forced_redirection="once")
    assert len(load_flee_scenario(folder).routes) == 1


def test_merged_series_follow_flee_or_add_up(tmp_path):
    folder = _ac_world(tmp_path / "ms", days=10, pop=100, series={
        "total": [(0, 0)], "C": [(0, 100), (4, 200)], "D": [(0, 10), (8, 20)], "E": [(2, 5)]})
    layout = folder / "source_data" / "data_layout.csv"
    layout.write_text("total,total.csv\nC,c.csv,d.csv\n")
    sc = load_flee_scenario(folder)
    s = sc.observed.series["C"]
    # Flee: the counts of day 0 add up; D's day 8, after C's last date, is added to nothing and dropped
    assert s.days.tolist() == [0, 4] and s.values.tolist() == [110, 210]
    assert len(_warnings_of(sc, "order-dependent rule")) == 1
    _set(folder, "corridor_rules", merged_series="step_sum")
    s = load_flee_scenario(folder).observed.series["C"]
    assert s.days.tolist() == [0, 4, 8] and s.values.tolist() == [110, 210, 220]
    # a second file starting after the first stops Flee 3.1 (IndexError)
    layout.write_text("total,total.csv\nC,c.csv,e.csv\n")
    (folder / "simsetting.yml").write_text("{}\n")
    with pytest.raises(DataError, match=r"data_layout.csv: row 2: 'e.csv' starts after"):
        load_flee_scenario(folder)


@pytest.mark.parametrize(("layout", "words"), [
    ("total,total.csv\nC,c.csv,\n", "row 2, column 3: empty file name"),
    ("total,total.csv\nC,c.csv\nC,nope.csv\n", "row 3: series file 'nope.csv' not found"),
])
def test_data_layout_rows_flee_stops_on(tmp_path, layout, words):
    folder = _ac_world(tmp_path / "dl", days=3, pop=100, series={"total": [(0, 0)], "C": [(0, 100)]})
    (folder / "source_data" / "data_layout.csv").write_text(layout)
    with pytest.raises(DataError, match=words):
        load_flee_scenario(folder)


def test_data_layout_repeats_and_strangers_are_noted(tmp_path):
    folder = _ac_world(tmp_path / "dl2", days=3, pop=100, series={"total": [(0, 0)], "C": [(0, 100)], "Z": [(0, 7)]})
    (folder / "source_data" / "data_layout.csv").write_text("total,total.csv\nC,c.csv\nC,z.csv\nZ,z.csv\n")
    sc = load_flee_scenario(folder)
    assert sc.observed.daily("C", 3).tolist() == [100] * 3                       # the first row
    assert len(_warnings_of(sc, "is listed again")) == 1
    assert len(_warnings_of(sc, "'Z' is not a location")) == 1


def test_closure_ending_as_it_starts_has_no_effect(tmp_path):
    from test_flee_rules import line_world

    folder = line_world(tmp_path, days=5, closures=[("country", "X", "Y", 1, 1)])
    sc = load_flee_scenario(folder)
    assert len(_warnings_of(sc, "no effect")) == 1
    assert run_flee(sc).sim[:, 0].tolist() == [0] + [1000] * 4


@pytest.mark.skipif(importlib.util.find_spec("flee") is None, reason="the flee package is not installed")
def test_observed_series_read_as_flee_reads_them(tmp_path):
    """Interpolation in file order and the merge of two files, against Flee 3.1's own DataTable."""
    from flee.datamanager import DataTable

    rng = np.random.default_rng(4)
    for k in range(30):
        days1 = sorted(rng.choice(40, size=4, replace=False).tolist())
        days2 = sorted(rng.choice(40, size=3, replace=False).tolist())
        days2[0] = min(days2[0], days1[0])                       # Flee stops otherwise (tested above)
        if rng.random() < 0.5:
            days1 = rng.permutation(days1).tolist()              # out of order: a single file only
            days2 = None
        series = {"total": [(0, 0)], "C": [(d, int(rng.integers(0, 900))) for d in days1]}
        if days2:
            series["D"] = [(d, int(rng.integers(0, 900))) for d in days2]
        folder = _ac_world(tmp_path / f"s{k}", days=45, pop=100, series=series)
        layout = "total,total.csv\nC,c.csv" + (",d.csv" if days2 else "") + "\n"
        (folder / "source_data" / "data_layout.csv").write_text(layout)
        ours = load_flee_scenario(folder).observed.daily("C", 45)
        table = DataTable.DataTable(data_directory=str(folder / "source_data"), data_layout="data_layout.csv",
                                    start_date="2020-01-01")
        theirs = [table.get_field("C", t) for t in range(45)]
        assert ours.tolist() == theirs, (series, ours.tolist(), theirs)


def test_overlapping_closures_first_reopening_reopens_in_flee(tmp_path):
    from test_flee_rules import line_world

    folder = line_world(tmp_path, days=8, closures=[("country", "X", "Y", 0, 6), ("country", "Y", "X", 2, 4)])
    assert run_flee(load_flee_scenario(folder)).sim[:, 0].tolist() == [0] * 4 + [1000] * 4
    _set(folder, "corridor_rules", overlapping_closures="any")
    assert run_flee(load_flee_scenario(folder)).sim[:, 0].tolist() == [0] * 6 + [1000] * 2


def test_poisson_spawning_stops_as_in_flee_unless_drawn(tmp_path):
    folder = _ac_world(tmp_path / "poi", days=5, pop=1000, series={"total": [(0, 0)], "C": [(0, 0)]},
        settings={"spawn_rules": {"conflict_driven_spawning": {"spawn_mode": "Poisson",
                                                               "displaced_per_conflict_day": 200}}})
    result = runner.invoke(app, ["validate", str(folder)])
    assert result.exit_code == 2 and "corridor_rules.poisson_spawning: drawn" in result.output
    _set(folder, "corridor_rules", poisson_spawning="drawn")
    totals = run_flee(load_flee_scenario(folder)).total_agents
    assert 900 < totals[-1] < 1100 and len(set(np.diff(totals).tolist())) > 1   # Poisson numbers around 200 a day
