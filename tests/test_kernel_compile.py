"""How the kernels are compiled: the copy-propagating pipeline keeps every write, the pass's
parts are balanced, and the first warm-up compiles in two processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import namedtuple

import numpy as np
import pytest
from numba import njit

from corridor.kernel_pipeline import fused
from corridor.models.corridor import day

Box = namedtuple("Box", ["values", "counts"])
Outer = namedtuple("Outer", ["box", "scale"])


@njit(inline="always")
def _bump(o, i, by):
    b = o.box                     # a copy of a named tuple, then a write through its field
    b.values[i] += by * o.scale
    b.counts[i] += 1


def _kernel(o, idx):
    for i in idx:
        _bump(o, i, 2.0)
        if o.box.values[i] > 3.0:
            _bump(o, i, -1.0)


def test_copy_propagation_keeps_writes_through_named_tuple_fields():
    """Numba's general dead-code removal drops such writes; the pipeline must not."""
    assert "pipeline_class" in fused()           # the Numba this project installs has what it needs
    kernel = njit(**{k: v for k, v in fused().items() if k != "cache"})(_kernel)
    o = Outer(Box(np.zeros(3), np.zeros(3, dtype=np.int64)), 1.5)
    kernel(o, np.array([0, 1, 1, 2, 1]))
    # +3 per visit; index 1 passes 3 on its 2nd and 3rd visits and is taken down by 1.5 each time
    assert o.box.values.tolist() == [3.0, 6.0, 3.0]
    assert o.box.counts.tolist() == [1, 5, 1]


@pytest.mark.parametrize("parts", [1, 2, 3, 8])
def test_due_cuts_give_each_part_as_many_people_due(parts):
    rng = np.random.default_rng(parts)
    wake_at = rng.integers(0, 10, size=1000).astype(np.int32)
    wake_at[600:] = 0                             # the due people bunched at the end, as new people are
    cuts = day.due_cuts(wake_at, 3, parts)
    assert cuts[0] == 0 and cuts[-1] == wake_at.size and np.all(np.diff(cuts) >= 0)
    due = [int((wake_at[cuts[k]:cuts[k + 1]] <= 3).sum()) for k in range(parts)]
    assert sum(due) == int((wake_at <= 3).sum())
    assert max(due) - min(due) <= 1


def test_due_cuts_with_nobody_due():
    cuts = day.due_cuts(np.full(10, 9, dtype=np.int32), 3, 2)
    assert cuts[0] == 0 and cuts[-1] == 10


CHECK = """
import json
from corridor.models.corridor import day, warm_up
from corridor.models.corridor.mechanisms import us_interior
warm_up()
print(json.dumps({f.__name__: [sum(f.stats.cache_hits.values()), sum(f.stats.cache_misses.values())]
                  for f in (day.pass_chunk, day.end_day, day.begin_day, us_interior.arrest_and_remove)}))
"""


@pytest.mark.slow
def test_first_warm_up_compiles_the_rest_in_a_second_process(tmp_path):
    """With an empty cache this process compiles the pass and loads what the helper compiled."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", CHECK], env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    stats = json.loads(done.stdout.strip().splitlines()[-1])
    assert stats["pass_chunk"][1] >= 1                       # compiled here
    for name in ("end_day", "begin_day", "arrest_and_remove"):
        assert stats[name][1] == 0, (name, stats)            # never compiled here: loaded
