"""Loading the compiled kernels, or compiling them the first time, on two cores when there are.

Numba compiles one function at a time in a process. The fused pass (:func:`.day.pass_chunk`)
and the rest (the coupled mechanisms, :func:`.day.end_day`, new people) do not call each other,
so with an empty cache a second process compiles the rest while this one compiles the pass;
both write Numba's on-disk cache, and the three-day run that follows loads everything from it.
Whatever the helper did not compile (it failed) is compiled here on first use, so its failure
costs time, never a result. Processes that start together on an empty cache (the
app's workers, Dask's) take turns on a lock: the first compiles, the others then load.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from filelock import FileLock

__all__ = ["warm_up", "compile_kernels", "kernels_cached"]

PARTS = ("pass", "rest")


def _tiny():
    """The default scenario at a thousandth of its size, three days: the world the kernels are
    compiled for (their argument types are those of any run)."""
    from ...scenario.loader import load_scenario, scenario_from_dict
    from .model import build_simulation

    data = load_scenario().canonical()
    data.update(population_scale=0.001, spin_up_days=2, end=data["start"])
    return build_simulation(scenario_from_dict(data))


def compile_kernels(part: str, sim=None) -> None:
    """Load or compile one part of the kernels (:data:`PARTS`), called on nobody, with the
    argument types a run calls them with (``sim``: a tiny world already run, else one is built)."""
    from . import day
    from .mechanisms import asylum
    from .person import Day
    from .runner import people_arrays

    if sim is None:
        sim = _tiny()
        sim.levers = sim.schedule.at(0)
    runner, nobody = sim.runner, np.zeros(0, dtype=np.int64)
    with np.errstate(over="ignore"):        # the hashing overflows by design (plain-Python reference)
        keys, w = day.day_keys(runner.base_keys, 0), runner.world(sim)
        no_flags, no_wake = np.zeros(0, dtype=np.uint8), np.zeros(0, dtype=np.int32)
        if part == "pass":
            runner._pass(nobody, no_wake, day.ALL_PHASES, w, keys, no_flags, False, 0, 0)
            return
        rec = sim.recorder
        day.begin_day(0, 0, nobody, no_wake, people_arrays(None), 0, 0, w.agents, runner.base_keys)
        day.end_day(nobody, no_wake, no_flags, w, keys, runner.counts, runner.flows, False, 0, runner.sleep, 1.0,
                    np.float64(0.0), runner.pool.arrays(), runner.scratch, rec.route_scratch, runner.held)
        day.new_people(0, 0, w, keys, runner.counts[0], False, 0)
        day.due_cuts(no_wake, 0, 2)
        asylum.decide(nobody, 0, w, Day(keys, runner.counts[0], runner.flows[0], no_flags, False, 0, True), False)


def kernels_cached() -> bool:
    """Whether Numba's cache holds the fused pass compiled from these sources (then the rest
    is there too, unless a run was interrupted: compiled on first use)."""
    from . import day

    try:
        return bool(day.pass_chunk._cache._cache_file._load_index())
    except Exception:                     # another Numba's internals: treat as compiled (no helper)
        return True


HELPER_TIMEOUT_S = 900      # a helper still compiling after this is stopped (what it missed: compiled here)


@contextmanager
def _compile_lock():
    """One lock per version of the sources (their digest names it); without it (a temporary
    folder not writable, a lock file of another user) each process compiles for itself."""
    from ...kernel_cache import source_digest
    from . import day

    try:
        lock = FileLock(Path(tempfile.gettempdir()) / f"corridor-kernels-{source_digest(day.__file__)[:16]}.lock")
        lock.acquire()
    except OSError:
        yield
        return
    try:
        yield
    finally:
        lock.release()


def _compile_in_two_processes() -> None:
    from ...analysis.backend import default_workers

    if default_workers() < 2:
        compile_kernels("pass")
        return
    helper = subprocess.Popen([sys.executable, "-c", f"from {__name__} import compile_kernels; "
                               "compile_kernels('rest')"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        compile_kernels("pass")
    finally:
        try:
            helper.wait(timeout=HELPER_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            helper.kill()
            helper.wait()


def warm_up() -> None:
    """Load the kernels from Numba's cache, or compile them the first time after installing
    (about a minute, in two processes where there are two cores), then run three tiny days, so
    that every kernel a run calls is loaded."""
    if not kernels_cached():
        with _compile_lock():
            if not kernels_cached():                 # (else another process compiled them meanwhile)
                _compile_in_two_processes()
    sim = _tiny()
    with np.errstate(over="ignore"):
        sim.run()
    compile_kernels("rest", sim)      # what the three days do not reach (the asylum queue, ...)
