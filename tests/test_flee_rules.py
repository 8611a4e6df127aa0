"""Flee rules on tiny scenarios with known answers (spawning, moves, route choice, capacity,
closures, sinks), plus reproducibility and the kernel's random numbers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from corridor.errors import DataError
from corridor.models.flee import build_flee_simulation, load_flee_scenario, run_flee
from corridor.models.flee.kernels import uniform_at
from corridor.rng import RandomStreams, hash_uniform

START = dt.date(2020, 1, 1)


def write_scenario(folder: Path, *, locations: list[tuple], routes: list[tuple], days: int = 10,
                   conflicts: dict[str, list[float]] | None = None, series: dict[str, list[tuple[int, float]]],
                   settings: dict[str, Any] | None = None, closures: list[tuple] = (),
                   extra_location_columns: tuple[str, ...] = ()) -> Path:
    """Write a flat-layout Flee scenario. ``locations``: (name, country, type, conflict_date, pop,
    *extra); ``routes``: (a, b, km); ``series``: name -> [(day, count)] (day offsets from START)."""
    folder.mkdir(parents=True, exist_ok=True)
    head = "#name,region,country,lat,lon,location_type,conflict_date,population"
    head += "".join(f",{c}" for c in extra_location_columns)
    rows = [head] + [f"{n},R,{c},1.0,1.0,{t},{cd},{p}" + "".join(f",{x}" for x in extra)
                     for n, c, t, cd, p, *extra in locations]
    (folder / "locations.csv").write_text("\n".join(rows) + "\n")
    (folder / "routes.csv").write_text("#name1,name2,distance,forced_redirection\n"
                                       + "".join(f"{a},{b},{km},0\n" for a, b, km in routes))
    (folder / "closures.csv").write_text("#closure_type,name1,name2,closure_start,closure_end\n"
                                         + "".join(",".join(map(str, c)) + "\n" for c in closures))
    if conflicts:
        names = list(conflicts)
        lines = ["#Day," + ",".join(names)]
        lines += [f"{d}," + ",".join(str(conflicts[n][d]) for n in names) for d in range(days)]
        (folder / "conflicts.csv").write_text("\n".join(lines) + "\n")
    (folder / "sim_period.csv").write_text(f"StartDate,{START}\nLength,{days}\n")
    data = folder / "source_data"
    data.mkdir(exist_ok=True)
    layout = []
    for name, points in series.items():
        fname = f"{name.lower()}.csv"
        (data / fname).write_text("#Date,count\n" + "".join(
            f"{START + dt.timedelta(days=d)},{v}\n" for d, v in points))
        layout.append(f"{name},{fname}")
    (data / "data_layout.csv").write_text("\n".join(layout) + "\n")
    (folder / "simsetting.yml").write_text(yaml.safe_dump(settings or {}))
    return folder


def line_world(tmp_path: Path, *, km_ab: float = 100.0, total: int = 1000, days: int = 5,
               move: dict[str, Any] | None = None, spawn: dict[str, Any] | None = None, **kw: Any) -> Path:
    """A (conflict zone, 10,000 people) -- B (camp): ``total`` people arrive on day 1."""
    settings = {"move_rules": {"max_move_speed": 200.0, "camp_movechance": 0.0, **(move or {})},
                "spawn_rules": {"insert_day0": True, **(spawn or {})}}
    return write_scenario(
        tmp_path / "line", locations=[("A", "X", "conflict_zone", 0, 10000), ("B", "Y", "camp", "", 0)],
        routes=[("A", "B", km_ab)], days=days, conflicts={"A": [1] * days},
        series={"total": [(0, 0), (1, total)], "B": [(0, 0), (1, total)]}, settings=settings, **kw)


def test_spawned_agents_reach_a_camp_within_the_day(tmp_path):
    run = run_flee(load_flee_scenario(line_world(tmp_path)))
    assert run.sim[:, 0].tolist() == [0, 1000, 1000, 1000, 1000]
    assert run.total_agents.tolist() == [0, 1000, 1000, 1000, 1000]
    assert run.ard.plain == pytest.approx(0.0)


def test_a_link_longer_than_a_days_travel_takes_two_days(tmp_path):
    run = run_flee(load_flee_scenario(line_world(tmp_path, km_ab=300.0)))
    assert run.sim[:, 0].tolist() == [0, 0, 1000, 1000, 1000]


def test_flee_arrives_only_beyond_the_link_length(tmp_path):
    # Flee needs distance travelled > link length: 200 km on a 200 km link is not there yet
    run = run_flee(load_flee_scenario(line_world(tmp_path, km_ab=200.0)))
    assert run.sim[:, 0].tolist() == [0, 0, 1000, 1000, 1000]


def test_multi_link_day_gets_a_fresh_allowance_per_link(tmp_path):
    # A -100- T -150- C with 200 km/day: after 100 km the agent (moved 100 < 200) goes on, and Flee
    # credits the second link a full 200 km, so it reaches C (150 km) the same day.
    def world(km2: float) -> Path:
        return write_scenario(
            tmp_path / f"ml{km2}", locations=[("A", "X", "conflict_zone", 0, 100), ("T", "X", "town", "", 0),
                                              ("C", "X", "camp", "", 0)],
            routes=[("A", "T", 100), ("T", "C", km2)], days=3, conflicts={"A": [1, 1, 1]},
            series={"total": [(0, 0), (1, 500)], "C": [(0, 0)]},
            settings={"move_rules": {"max_move_speed": 200.0, "default_movechance": 1.0, "camp_movechance": 0.0,
                                     "conflict_weight": 0.0, "softening": 0.0}})
    assert run_flee(load_flee_scenario(world(150.0))).sim[:, 0].tolist() == [0, 500, 500]
    assert run_flee(load_flee_scenario(world(250.0))).sim[:, 0].tolist() == [0, 0, 500]


def route_share_world(tmp_path: Path, awareness: int = 1, **move: Any) -> Path:
    """A (conflict) links to camps C1 (100 km, abroad) and C2 (300 km, home country)."""
    return write_scenario(
        tmp_path / f"share{awareness}", locations=[("A", "X", "conflict_zone", 0, 100),
                                                   ("C1", "Y", "camp", "", 0), ("C2", "X", "camp", "", 0)],
        routes=[("A", "C1", 100), ("A", "C2", 300)], days=2, conflicts={"A": [1, 1]},
        series={"total": [(0, 0), (1, 40000)], "C1": [(0, 0)], "C2": [(0, 0)]},
        settings={"move_rules": {"max_move_speed": 1000.0, "camp_movechance": 0.0, "awareness_level": awareness,
                                 **move}})


@pytest.mark.parametrize("move", [
    {},
    {"camp_weight": 2.0, "foreign_weight": 3.0, "softening": 50.0},
    {"distance_power": 0.5, "weight_power": 2.0, "weight_softening": 1.0},
])
def test_route_choice_follows_flee_weights(tmp_path, move):
    run = run_flee(load_flee_scenario(route_share_world(tmp_path, **move)))
    s = {"softening": 10.0, "camp_weight": 1.0, "foreign_weight": 1.0, "distance_power": 1.0,
         "weight_power": 1.0, "weight_softening": 0.0, **move}
    score1 = s["camp_weight"] * s["foreign_weight"]
    score2 = s["camp_weight"]
    w1 = ((s["weight_softening"] + score1) / (s["softening"] + 100) ** s["distance_power"]) ** s["weight_power"]
    w2 = ((s["weight_softening"] + score2) / (s["softening"] + 300) ** s["distance_power"]) ** s["weight_power"]
    share = run.sim[1, 0] / run.sim[1].sum()
    assert run.sim[1].sum() == 40000
    assert share == pytest.approx(w1 / (w1 + w2), abs=0.01)


def test_awareness_two_sees_camps_behind_a_town(tmp_path):
    # A - T (town) - C (camp); with awareness 1 agents can only aim at T, with 2 at C too
    def world(level: int) -> Path:
        return write_scenario(
            tmp_path / f"aw{level}", locations=[("A", "X", "conflict_zone", 0, 100), ("T", "X", "town", "", 0),
                                                ("C", "X", "camp", "", 0), ("D", "X", "camp", "", 0)],
            routes=[("A", "T", 50), ("T", "C", 50), ("A", "D", 150)], days=2, conflicts={"A": [1, 1]},
            series={"total": [(0, 0), (1, 20000)], "C": [(0, 0)], "D": [(0, 0)]},
            settings={"move_rules": {"max_move_speed": 40.0, "awareness_level": level, "default_movechance": 0.01,
                                     "camp_movechance": 0.0}})
    one = build_flee_simulation(load_flee_scenario(world(1)))
    two = build_flee_simulation(load_flee_scenario(world(2)))
    c1, c2 = one.world.routes.cand, two.world.routes.cand
    assert c1.ptr[1] - c1.ptr[0] == 2          # A -> T, A -> D
    assert c2.ptr[1] - c2.ptr[0] == 3          # and A -> T -> C
    # with awareness 2, path A-T-C (100 km, camp) draws agents that then wait on the way
    one.run()
    two.run()
    on_link_to_t = [int((s.agents.route >= 0).sum()) for s in (one, two)]
    assert on_link_to_t[0] > 0 and on_link_to_t[1] > 0


def test_full_camps_turn_people_away(tmp_path):
    # camp C1 holds 100. On day 1 everyone chooses before anyone arrives (as in Flee), so C1
    # overfills; from then on its capacity multiplier is 0 and everyone else goes to C2.
    folder = write_scenario(
        tmp_path / "cap", locations=[("A", "X", "conflict_zone", 0, 100), ("C1", "X", "camp", "", 100),
                                     ("C2", "X", "camp", "", 0)],
        routes=[("A", "C1", 10), ("A", "C2", 400)], days=6, conflicts={"A": [1] * 6},
        series={"total": [(0, 0), (5, 5000)], "C1": [(0, 0)], "C2": [(0, 0)]},
        settings={"move_rules": {"max_move_speed": 1000.0, "camp_movechance": 0.0}})
    run = run_flee(load_flee_scenario(folder))
    assert run.sim[1, 0] > 100
    assert (run.sim[1:, 0] == run.sim[1, 0]).all()
    assert run.sim[-1].sum() == 5000


def test_country_closure_keeps_people_home_until_it_lifts(tmp_path):
    folder = line_world(tmp_path, days=6, closures=[("country", "X", "Y", 0, 3)])
    run = run_flee(load_flee_scenario(folder))
    assert run.sim[:, 0].tolist() == [0, 0, 0, 1000, 1000, 1000]


@pytest.mark.parametrize("closure", [("link", "A", "B", 0, 3), ("link", "B", "A", 0, 3),
                                     ("location", "B", "", 0, 3)])
def test_link_and_location_closures_close_both_directions(tmp_path, closure):
    folder = line_world(tmp_path, days=6, closures=[closure])
    settings = yaml.safe_load((folder / "simsetting.yml").read_text())
    settings["corridor_rules"] = {"link_closures": "both_ways"}    # Flee 3.1's is below
    (folder / "simsetting.yml").write_text(yaml.safe_dump(settings))
    run = run_flee(load_flee_scenario(folder))
    assert run.sim[:, 0].tolist() == [0, 0, 0, 1000, 1000, 1000]


@pytest.mark.parametrize(("closure", "blocked"), [(("link", "A", "B", 0, 3), False),    # closes B -> A only
                                                  (("link", "B", "A", 0, 3), True)])    # closes A -> B
def test_link_closures_as_flee_3_1_does_them(tmp_path, closure, blocked):
    """Flee 3.1 finds the link by identity: a one-character name matches (CPython shares the
    object) and only name2 -> name1 closes; a longer name never matches."""
    run = run_flee(load_flee_scenario(line_world(tmp_path / "one", days=6, closures=[closure])))
    assert run.sim[:, 0].tolist() == ([0, 0, 0, 1000, 1000, 1000] if blocked else [0] + [1000] * 5)
    long = write_scenario(
        tmp_path / "long", locations=[("Aleppo", "X", "conflict_zone", 0, 10000), ("Bekaa", "Y", "camp", "", 0)],
        routes=[("Aleppo", "Bekaa", 100)], days=6, conflicts={"Aleppo": [1] * 6},
        series={"total": [(0, 0), (1, 1000)], "Bekaa": [(0, 0), (1, 1000)]},
        settings={"move_rules": {"max_move_speed": 200.0, "camp_movechance": 0.0}},
        closures=[("link", "Bekaa", "Aleppo", 0, 3)])
    sc = load_flee_scenario(long)
    assert any("closes nothing" in w for w in sc.warnings)
    assert run_flee(sc).sim[:, 0].tolist() == [0] + [1000] * 5


def test_people_on_a_link_that_closes_go_back(tmp_path):
    # 300 km at 200 km/day: on the link on day 1, it closes on day 2, so they return to A on
    # day 2, and set off again once it reopens on day 4
    run = run_flee(load_flee_scenario(line_world(tmp_path, km_ab=300.0, days=8,
                                                 closures=[("country", "X", "Y", 2, 4)])))
    assert run.sim[:, 0].tolist() == [0, 0, 0, 0, 0, 1000, 1000, 1000]


def test_closing_a_camp_makes_it_a_town(tmp_path):
    folder = write_scenario(
        tmp_path / "campclose", locations=[("A", "X", "conflict_zone", 0, 100), ("B", "X", "camp", "", 0),
                                           ("C", "X", "camp", "", 0)],
        routes=[("A", "B", 10), ("B", "C", 10)], days=6, conflicts={"A": [1] * 6},
        series={"total": [(0, 0)], "B": [(0, 1000)], "C": [(0, 0)]},
        settings={"move_rules": {"max_move_speed": 50.0, "camp_movechance": 0.0, "default_movechance": 1.0,
                                 "conflict_weight": 0.0}},
        closures=[("camp", "B", "", 2, -1)])
    run = run_flee(load_flee_scenario(folder))
    assert run.sim[1].tolist() == [1000, 0]
    assert run.sim[-1, 0] < 50 and run.sim[-1, 1] > 900


def test_camps_as_sinks_keep_their_people(tmp_path):
    folder = write_scenario(
        tmp_path / "sink", locations=[("A", "X", "conflict_zone", 0, 100, ""), ("B", "X", "camp", "", 0, 1.0),
                                      ("C", "X", "camp", "", 0, "")],
        routes=[("A", "B", 10), ("B", "C", 10)], days=4, conflicts={"A": [1] * 4},
        series={"total": [(0, 0)], "B": [(0, 500)], "C": [(0, 0)]},
        settings={"spawn_rules": {"camps_are_sinks": True}, "move_rules": {"camp_movechance": 1.0},
                  "corridor_rules": {"camps_as_sinks": "read"}},
        extra_location_columns=("deactivation_probability",))
    sc = load_flee_scenario(folder)
    sim = build_flee_simulation(sc)
    sim.run()
    w = sim.world
    # all 500 left B on day 0 or settled there at the end of day 0 (probability 1)
    assert w.camp_counts[-1, 0] == w.camp_counts[0, 0]
    assert int((~sim.agents.live).sum()) == w.camp_counts[0, 0]


def test_camps_as_sinks_as_flee_3_1_reads_them(tmp_path):
    """Flee 3.1 ignores the key camps_are_sinks and stops on camps_are_sicks with probabilities."""
    folder = write_scenario(
        tmp_path / "sink31", locations=[("A", "X", "conflict_zone", 0, 100, ""), ("B", "X", "camp", "", 0, 1.0)],
        routes=[("A", "B", 10)], days=4, conflicts={"A": [1] * 4}, series={"total": [(0, 0)], "B": [(0, 500)]},
        settings={"spawn_rules": {"camps_are_sinks": True}}, extra_location_columns=("deactivation_probability",))
    sc = load_flee_scenario(folder)
    assert not sc.settings.camps_are_sinks and any("camps_are_sicks" in w for w in sc.warnings)
    (folder / "simsetting.yml").write_text(yaml.safe_dump({"spawn_rules": {"camps_are_sicks": True}}))
    with pytest.raises(DataError, match="corridor_rules.camps_as_sinks: read"):
        load_flee_scenario(folder)


def test_spawn_shares_follow_population_and_conflict_decay(tmp_path):
    # A (pop 1000, conflict from day 0) and B (pop 1000, conflict from day 31): decay 0.5 after 30 days
    folder = write_scenario(
        tmp_path / "decay", locations=[("A", "X", "conflict_zone", 0, 1000), ("B", "X", "conflict_zone", 0, 1000),
                                       ("C", "X", "camp", "", 0)],
        routes=[("A", "C", 10), ("B", "C", 10)], days=40,
        conflicts={"A": [1] * 40, "B": [0] * 31 + [1] * 9},
        series={"total": [(0, 0), (32, 0), (33, 30000)], "C": [(0, 0)]},
        settings={"spawn_rules": {"conflict_spawn_decay": [1.0, 0.5]},
                  "move_rules": {"conflict_movechance": 0.01, "camp_movechance": 0.0}})
    sim = build_flee_simulation(load_flee_scenario(folder))
    sim.run()
    spawned = sim.recorder.data[:, 1, 0, :].sum(axis=0)
    assert spawned.sum() == 30000
    # weights on day 33: A 1000 x 0.5 (33 days in conflict), B 1000 x 1.0
    assert spawned[0] / spawned.sum() == pytest.approx(1 / 3, abs=0.01)


def test_conflict_driven_spawning_constant(tmp_path):
    folder = write_scenario(
        tmp_path / "cds", locations=[("A", "X", "conflict_zone", 0, 1000), ("C", "X", "camp", "", 0)],
        routes=[("A", "C", 10)], days=5, conflicts={"A": [0, 1, 1, 0.5, 0]},
        series={"total": [(0, 0)], "C": [(0, 0)]},
        settings={"spawn_rules": {"conflict_driven_spawning": {"spawn_mode": "constant",
                                                               "displaced_per_conflict_day": 100}}})
    run = run_flee(load_flee_scenario(folder))
    # A is a conflict zone from the start (conflict_date 0); the intensity change on day 3 is not
    # applied (only starts and ends are, as in Flee); Flee 3.1 ends a conflict only on a drop from
    # exactly 1, so the drop from 0.5 on day 4 leaves A in conflict
    assert run.total_agents.tolist() == [100, 200, 300, 400, 500]
    # the corrected rule ends it on day 4
    fixed = yaml.safe_load((folder / "simsetting.yml").read_text())
    fixed["corridor_rules"] = {"conflict_end": "any"}
    (folder / "simsetting.yml").write_text(yaml.safe_dump(fixed))
    assert run_flee(load_flee_scenario(folder)).total_agents.tolist() == [100, 200, 300, 400, 400]


def test_data_driven_spawning_carries_a_debt(tmp_path):
    from corridor.models.flee.spawning import data_driven_spawns

    spawns, debts = data_driven_spawns(np.array([100, 150, 120, 125, 200]), insert_day0=True)
    assert spawns.tolist() == [0, 50, 0, 0, 50]
    assert debts.tolist() == [0, 0, 30, 25, 0]


def test_same_seed_same_run_other_seed_other_run(tmp_path):
    folder = route_share_world(tmp_path)
    a = run_flee(load_flee_scenario(folder, seed=3))
    b = run_flee(load_flee_scenario(folder, seed=3))
    c = run_flee(load_flee_scenario(folder, seed=4))
    assert np.array_equal(a.sim, b.sim)
    assert not np.array_equal(a.sim, c.sim)


def test_kernel_draws_are_the_engines_counter_based_draws():
    key = RandomStreams(11).key("move")
    slots = np.arange(0, 5000, 7, dtype=np.int64)
    for tick, sub in ((0, 0), (5, 1), (299, 255)):
        assert np.array_equal(uniform_at(np.uint64(key), tick, sub, slots), hash_uniform(key, tick, slots, sub))
