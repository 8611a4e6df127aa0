"""Faults and concurrency: results are never mixed, staging is cleaned, workers die with their parent.

A "kill" here is ``os._exit`` in a forked child at a chosen point of the publish, which leaves
the folder exactly as a ``kill -9`` there would (no ``finally`` runs, the lock is released by
the operating system).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import one_error_line
from typer.testing import CliRunner

from corridor import run_scenario, write_run
from corridor.cli import app
from corridor.results import atomic

FORK = multiprocessing.get_context("fork")
runner = CliRunner()


def visible(out: Path) -> set[str]:
    return {p.name for p in out.iterdir() if not p.name.startswith(".")}


def check_never_mixed(out: Path) -> bool:
    """The folder's invariant: with summary.json, every run file belongs to the run it names;
    without it, the folder reads as incomplete. Returns whether it is complete."""
    if not (out / "summary.json").exists():
        return False
    summary = json.loads((out / "summary.json").read_text())
    meta = json.loads((out / "run.json").read_text())
    assert (meta["seed"], meta["scenario_hash"]) == (summary["seed"], summary["scenario_hash"])
    # the journal lists at least what the folder holds (more after a kill before its last step)
    journal, markers = atomic._read_journal(out)
    # the registry's own files (its write-ahead log is left by a run killed while writing its row,
    # and replayed by the next one that opens it)
    assert visible(out) - {"runs.duckdb", "runs.duckdb.wal"} <= journal and markers
    return True


def registry_seeds(out: Path) -> list[int]:
    import duckdb

    con = duckdb.connect(str(out / "runs.duckdb"), read_only=True)
    try:
        return sorted(r[0] for r in con.execute("SELECT seed FROM runs").fetchall())
    finally:
        con.close()


@pytest.fixture(scope="module")
def three_runs(make_scenario):
    sc = make_scenario(end="2010-01-15")
    return [run_scenario(sc, seed=s) for s in (1, 2, 3)]


def _killed_write(result, out: Path, after_moves: int) -> None:
    calls = 0
    real = os.replace

    def replace(src, dst):
        nonlocal calls
        if calls == after_moves:
            os._exit(9)
        calls += 1
        real(src, dst)

    atomic.os.replace = replace        # this forked child only
    write_run(result, out, plots=False)
    os._exit(0)


# the publish of a run without plots renames: journal, 5 files, journal (7 calls)
@pytest.mark.parametrize("after_moves", range(8))
def test_a_kill_at_any_point_of_publishing_never_mixes_two_runs(three_runs, tmp_path, after_moves):
    r1, r2, r3 = three_runs
    out = tmp_path / "out"
    write_run(r1, out, plots=True)                 # the previous result has plots, the next none
    child = FORK.Process(target=_killed_write, args=(r2, out, after_moves))
    child.start()
    child.join(60)
    assert child.exitcode == (9 if after_moves < 7 else 0)
    if check_never_mixed(out):
        seed = json.loads((out / "summary.json").read_text())["seed"]
        assert seed in (1, 2)
        if seed == 2:
            assert not (out / "timeseries.png").exists()   # run 1's plots went with run 1
    assert list(out.glob(".partial-*"))  or after_moves == 7   # the killed run's staging is left ...
    write_run(r3, out, plots=False)
    assert check_never_mixed(out)
    assert json.loads((out / "summary.json").read_text())["seed"] == 3
    assert visible(out) == {"daily.parquet", "route_flows.parquet", "route_flows_daily.parquet", "run.json",
                            "summary.json", "runs.duckdb"}
    assert atomic._read_journal(out) == (visible(out) - {"runs.duckdb"}, {"summary.json"})
    assert not list(out.glob(".partial-*"))         # ... and removed by the next publish
    assert 1 in registry_seeds(out) and 3 in registry_seeds(out)


def _killed_other_publish(out: Path, after_unlinks: int) -> None:
    calls = 0
    real = Path.unlink

    def unlink(self, missing_ok=False):
        nonlocal calls
        if calls == after_unlinks:
            os._exit(9)
        calls += 1
        real(self, missing_ok=missing_ok)

    Path.unlink = unlink               # this forked child only
    with atomic.staged_files(out, "other.json") as (stage, _):
        (stage / "data.bin").write_text("other")
        (stage / "other.json").write_text("{}")
    os._exit(0)


@pytest.mark.parametrize("after_unlinks", range(6))
def test_a_result_of_another_command_replacing_a_run_is_never_mixed(three_runs, tmp_path, after_unlinks):
    """A publish with another marker (an ensemble into a run's folder) killed after each
    removal: the run's marker goes first, so it never stands beside a partial run."""
    out = tmp_path / "out"
    write_run(three_runs[0], out, plots=False)
    child = FORK.Process(target=_killed_other_publish, args=(out, after_unlinks))
    child.start()
    child.join(60)
    check_never_mixed(out)                          # summary.json, if there, has its whole run
    if (out / "other.json").exists():
        assert (out / "data.bin").exists() and not (out / "summary.json").exists()


def _write_after_barrier(result, out: Path, barrier) -> None:
    barrier.wait(30)
    write_run(result, out, plots=False)
    os._exit(0)


def test_concurrent_writers_take_turns(make_scenario, tmp_path):
    """Twenty processes publish into one folder and registry at once: all finish, the folder
    holds one run, the registry one row per run."""
    sc = make_scenario(end="2010-01-10")
    results = [run_scenario(sc, seed=s) for s in range(20)]
    out = tmp_path / "out"
    barrier = FORK.Barrier(len(results))
    children = [FORK.Process(target=_write_after_barrier, args=(r, out, barrier)) for r in results]
    for c in children:
        c.start()
    for c in children:
        c.join(120)
    assert [c.exitcode for c in children] == [0] * 20
    assert check_never_mixed(out)
    assert registry_seeds(out) == list(range(20))
    assert not list(out.glob(".partial-*"))


def test_staging_of_a_dead_process_is_removed_and_a_live_ones_kept(tiny_result, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    mine = atomic.owned_prefix("partial")
    stage = out / (mine.replace(f"-{os.getpid()}-", f"-{dead.pid}-") + "abc")
    stage.mkdir()
    (stage / "daily.parquet").write_text("half")
    live = out / (mine.replace(f"-{os.getpid()}-", f"-{os.getppid()}-") + "xyz")
    live.mkdir()
    elsewhere = out / f".partial-another_machine-{dead.pid}-abc"     # its process cannot be checked
    elsewhere.mkdir()
    write_run(tiny_result, out, plots=False)
    assert sorted(p.name for p in out.glob(".partial-*")) == sorted([live.name, elsewhere.name])


def test_a_damaged_journal_cannot_remove_files_outside_the_folder(tiny_result, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    keep = tmp_path / "precious.txt"
    keep.write_text("x")
    (out / "notes.txt").write_text("the user's own file, never listed")
    (out / atomic.JOURNAL_NAME).write_text("../precious.txt\n/etc/passwd\n..\n.corridor.lock\n")
    write_run(tiny_result, out, plots=False)
    assert keep.exists() and (out / "notes.txt").exists() and (out / atomic.LOCK_NAME).exists()


def test_out_is_checked_before_the_run(tiny_file, tmp_path, monkeypatch):
    import corridor.results.run as run_module

    def never(*args, **kwargs):
        raise AssertionError("the run started")

    monkeypatch.setattr(run_module, "run_to_end", never)
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    for out, words in (("", ("--out", "empty")), (str(blocker), ("blocker", "not a folder")),
                       (str(blocker / "sub"), ("blocker",))):
        res = runner.invoke(app, ["run", str(tiny_file), "--out", out, "-q", "--no-plots"])
        assert res.exit_code == 2, (out, res.output)
        one_error_line(res.stderr, *words)


@pytest.mark.parametrize("command", [["schema", "--out"], ["evidence", "--json"]])
def test_a_file_option_into_a_missing_folder_is_one_line(command, tmp_path):
    target = tmp_path / "missing" / "x.json"
    res = runner.invoke(app, [*command, str(target)])
    assert res.exit_code == 2
    one_error_line(res.stderr, "missing", "no such folder")
    assert not target.parent.exists()


def test_pool_workers_end_when_their_parent_is_killed(tmp_path):
    script = textwrap.dedent("""
        import sys, time
        from corridor.analysis.backend import open_executor

        with open_executor(workers=2) as (ex, _):
            futs = [ex.submit(time.sleep, 120) for _ in range(2)]
            time.sleep(3)
            print(" ".join(str(p) for p in ex._processes), flush=True)
            time.sleep(120)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in proc.stdout.readline().split()]
        assert len(pids) == 2
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 15
        alive = pids
        while alive and time.monotonic() < deadline:
            time.sleep(0.2)
            alive = [p for p in pids if _running(p)]
        assert not alive, f"workers {alive} outlived their parent"
    finally:
        proc.kill()


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"      # a zombie has ended
    except FileNotFoundError:
        return False


# ---- the real command, killed and run concurrently (slow: each process imports and loads kernels)

def _corridor(*args: str) -> list[str]:
    return [sys.executable, "-m", "corridor.cli", *args]


def _children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (from /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


@pytest.mark.slow
def test_runs_killed_at_random_moments_leave_one_whole_run_or_none(tiny_file, tmp_path):
    """``corridor run`` killed with SIGKILL at random moments (seeded) into one folder: after
    every kill the folder holds one whole run or reads as incomplete; the next run that is left
    to finish publishes cleanly, removes the killed runs' staging, and is in the registry."""
    import random

    out = tmp_path / "out"
    start = time.monotonic()
    first = subprocess.run(_corridor("run", str(tiny_file), "--out", str(out), "-q", "--no-plots", "--seed", "100"),
                           capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    duration = time.monotonic() - start
    rng = random.Random(17)
    for seed in range(101, 109):
        proc = subprocess.Popen(_corridor("run", str(tiny_file), "--out", str(out), "-q", "--no-plots",
                                          "--seed", str(seed)), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0.2, 1.1) * duration)
        proc.kill()
        _, err = proc.communicate(timeout=60)
        assert b"Traceback" not in err
        if check_never_mixed(out):
            assert json.loads((out / "summary.json").read_text())["seed"] in range(100, seed + 1)
    last = subprocess.run(_corridor("run", str(tiny_file), "--out", str(out), "-q", "--no-plots", "--seed", "200"),
                          capture_output=True, text=True, timeout=300)
    assert last.returncode == 0, last.stderr
    assert check_never_mixed(out)
    assert json.loads((out / "summary.json").read_text())["seed"] == 200
    assert not list(out.glob(".partial-*"))
    seeds = registry_seeds(out)
    assert 100 in seeds and 200 in seeds and set(seeds) <= set(range(100, 109)) | {200}


@pytest.mark.slow
def test_an_ensemble_killed_at_random_moments_leaves_no_workers_and_no_mixed_bands(tiny_file, tmp_path):
    import random

    out = tmp_path / "ens"
    rng = random.Random(5)
    seen: set[int] = set()
    for _ in range(3):
        proc = subprocess.Popen(_corridor("ensemble", str(tiny_file), "-n", "6", "--workers", "2", "--out", str(out),
                                          "-q", "--no-plots"), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + rng.uniform(4, 12)
        workers: set[int] = set()
        while time.monotonic() < deadline and proc.poll() is None:
            workers |= set(_children(proc.pid))
            time.sleep(0.2)
        proc.kill()
        _, err = proc.communicate(timeout=60)
        assert b"Traceback" not in err
        wait_until = time.monotonic() + 20
        while any(_running(p) for p in workers) and time.monotonic() < wait_until:
            time.sleep(0.2)
        assert not [p for p in workers if _running(p)], "pool workers outlived the killed ensemble"
        seen |= workers
        if (out / "ensemble.json").exists():
            json.loads((out / "ensemble.json").read_text())          # whole, never half-written
    assert seen, "no kill came after the pool had started"
    done = subprocess.run(_corridor("ensemble", str(tiny_file), "-n", "3", "--workers", "1", "--out", str(out),
                                    "-q", "--no-plots"), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    assert json.loads((out / "ensemble.json").read_text())
    assert not list(out.glob(".partial-*"))


@pytest.mark.slow
def test_twenty_concurrent_commands_into_one_folder(tiny_file, tmp_path):
    """The issue's target: 20 ``corridor run`` at once into one folder and registry. Each
    completes or reports a clean error; the folder holds exactly one run's files and the
    registry one row per completed run."""
    out = tmp_path / "out"
    procs = [subprocess.Popen(_corridor("run", str(tiny_file), "--out", str(out), "-q", "--no-plots",
                                        "--seed", str(seed)), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True) for seed in range(20)]
    completed = []
    for seed, proc in enumerate(procs):
        _, err = proc.communicate(timeout=900)
        assert proc.returncode in (0, 2), err
        if proc.returncode == 0:
            completed.append(seed)
        else:
            one_error_line(err)
    assert completed, "no run completed"
    assert check_never_mixed(out)
    assert json.loads((out / "summary.json").read_text())["seed"] in completed
    assert visible(out) == {"daily.parquet", "route_flows.parquet", "route_flows_daily.parquet", "run.json",
                            "summary.json", "runs.duckdb"}
    assert registry_seeds(out) == completed
    assert not list(out.glob(".partial-*"))
