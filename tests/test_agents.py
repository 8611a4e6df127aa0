"""The struct-of-arrays agent table."""

from __future__ import annotations

import numpy as np
import pytest

from corridor.agents import BASE_COLUMNS, AgentTable
from corridor.models.corridor.world import AGENT_COLUMNS


def table(capacity: int = 16) -> AgentTable:
    return AgentTable({"age": ("int16", 30), "cash": ("float32", 0.5)}, capacity=capacity)


def test_empty_table_has_all_columns():
    t = table()
    assert t.n == 0
    assert set(BASE_COLUMNS) | {"age", "cash"} == set(t.columns)
    assert t.status.size == 0 and t.age.size == 0


def test_add_returns_consecutive_slots_and_sets_values():
    t = table()
    s1 = t.add(3, age=np.array([1, 2, 3]), status=2)
    s2 = t.add(2, cash=9.0)
    assert s1.tolist() == [0, 1, 2] and s2.tolist() == [3, 4]
    assert t.n == 5
    assert t.age.tolist() == [1, 2, 3, 30, 30]
    assert t.status.tolist() == [2, 2, 2, 0, 0]
    assert t.cash.tolist() == [0.5, 0.5, 0.5, 9.0, 9.0]


def test_defaults():
    t = table()
    t.add(4)
    assert t.live.all()
    assert (t.loc == -1).all() and (t.route == -1).all()
    assert (t.progress == 0).all() and (t.days_in_status == 0).all()
    assert (t.age == 30).all()
    assert t.status.dtype == np.int8 and t.route.dtype == np.int32


def test_growth_keeps_values_and_slots():
    t = table(capacity=16)
    t.add(10, age=np.arange(10))
    t.status[:] = np.arange(10) % 3
    t.add(1000, age=7)
    assert t.capacity >= 1010
    assert t.n == 1010
    assert t.age[:10].tolist() == list(range(10))
    assert (t.age[10:] == 7).all()
    assert t.status[:10].tolist() == [i % 3 for i in range(10)]
    assert (t.status[10:] == 0).all()
    assert (t.cash == np.float32(0.5)).all()


def test_columns_are_writable_views():
    t = table()
    t.add(5)
    t.age[2] = 99
    t.column("cash")[4] = 2.0
    snap = t.snapshot()
    assert snap["age"][2] == 99 and snap["cash"][4] == 2.0
    snap["age"][2] = 0                     # a snapshot is a copy
    assert t.age[2] == 99


def test_add_zero_and_negative():
    t = table()
    assert t.add(0).size == 0 and t.n == 0
    with pytest.raises(ValueError):
        t.add(-1)


def test_unknown_column():
    t = table()
    with pytest.raises(KeyError, match="height"):
        t.add(2, height=1.8)
    with pytest.raises(AttributeError):
        _ = t.height


def test_corridor_agent_is_small():
    t = AgentTable(AGENT_COLUMNS)
    assert t.nbytes_per_agent() <= 64
    assert t.nbytes_per_agent() == sum(np.dtype(d).itemsize for d, _ in
                                       {**BASE_COLUMNS, **AGENT_COLUMNS}.values())
