"""A bounded queue of runs served by a fixed number of worker processes.

The web app never runs a simulation in its own process: the server stays responsive, a run
can be cancelled (its worker is ended and replaced), and the compiled kernels run in
processes of their own (Numba's OpenMP threads must not be shared by concurrent runs).
Each worker loads the kernels once and then takes jobs one at a time. A job writes its
results exactly as ``corridor run`` or ``corridor compare`` would, into its own folder, so
closing the page loses nothing.

The queue holds at most ``capacity`` jobs, waiting and running together: a submission
beyond that raises :class:`QueueFull` (the page says so) instead of piling up work.
"""

from __future__ import annotations

import itertools
import multiprocessing
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = ["Job", "JobQueue", "QueueFull", "JobSpec", "ENSEMBLE_DIR"]

#: Sub-folder of a run made with replications > 1: the ensemble of its bands (as `corridor ensemble`).
ENSEMBLE_DIR = "ensemble"

#: Workers that may die before they are ready, in a row, before the queue stops starting new ones.
MAX_FAILED_STARTS = 3

State = Literal["queued", "running", "done", "failed", "cancelled"]
FINAL: tuple[State, ...] = ("done", "failed", "cancelled")


class QueueFull(RuntimeError):
    """The queue already holds as many jobs as it may."""


@dataclass(frozen=True)
class JobSpec:
    """What to run. ``kind`` is ``run`` (``scenario``: a scenario mapping; with ``replications``
    > 1 an ensemble of that many members gives bands), ``compare`` (``baseline`` and
    ``scenario``, ``replications`` paired members) or ``claim`` (``claim``: a key of
    :data:`corridor.claims.CLAIMS`)."""

    kind: Literal["run", "compare", "claim"]
    scenario: dict[str, Any] | None = None
    baseline: dict[str, Any] | None = None
    seed: int | None = None
    scale: float | None = None
    replications: int = 1
    claim: str | None = None


@dataclass
class Job:
    id: str
    spec: JobSpec
    out_dir: Path
    state: State = "queued"
    done: int = 0
    total: int = 0
    message: str = ""
    submitted: float = field(default_factory=time.monotonic)
    started: float | None = None
    finished: float | None = None
    first_result: float | None = None     # when its first results were written (a run: before its bands)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.spec.kind, "state": self.state, "done": self.done,
                "total": self.total, "message": self.message, "out_dir": str(self.out_dir)}


# ---------------------------------------------------------------- in the worker process

def _execute(spec: JobSpec, out_dir: Path, registry: Path, report: Any, written: Any = None) -> str:
    """Run one job (in a worker process); returns a one-line summary. ``written()`` is called
    when a run's results are on disk, before the replications of its bands."""
    import yaml

    from ..scenario.loader import scenario_from_dict

    if spec.kind == "run":
        from ..results.run import run_to_end
        from ..results.store import write_run

        sc = scenario_from_dict(spec.scenario or {}).with_scale(spec.scale, at="population scale")
        finished = run_to_end(sc, seed=spec.seed, progress=lambda d, t: report(d, t))
        # the scenario as run (seed and scale included): `corridor run scenario.yaml` repeats it
        as_run = dict(sc.canonical(), seed=finished.result.seed)
        extra = {"scenario.yaml": yaml.safe_dump(as_run, sort_keys=False, allow_unicode=True)}
        write_run(finished.result, out_dir, plots=False, registry=registry, extra=extra)
        m = finished.result.meta
        said = f"{m['days_simulated']} days, {m['agents_created']:,} agents, {m['run_seconds']:.1f} s"
        if spec.replications > 1:
            if written is not None:
                written(said)
            # the band of stochastic noise: an ensemble of the same scenario, as `corridor ensemble` writes it
            from ..analysis.ensemble import run_ensemble

            ens = run_ensemble(sc.with_seed(finished.result.seed), spec.replications, out_dir / ENSEMBLE_DIR,
                               workers=1, plots=False, progress=report)
            said += f"; {len(ens.seeds)} replications for the bands ({ens.seconds:.1f} s)"
        return said
    if spec.kind == "compare":
        from ..compare import compare_scenarios, write_comparison

        # at the scale they run at, so that the files in the folder repeat the comparison
        a = scenario_from_dict(spec.baseline or {}).with_scale(spec.scale, at="population scale")
        b = scenario_from_dict(spec.scenario or {}).with_scale(spec.scale, at="population scale")
        cmp = compare_scenarios(a, b, n=spec.replications, root_seed=spec.seed, workers=1,
                                scale=spec.scale, progress=report, places=True)
        write_comparison(cmp, out_dir, plots=False, extra={
            "baseline.yaml": yaml.safe_dump(a.canonical(), sort_keys=False, allow_unicode=True),
            "scenario.yaml": yaml.safe_dump(b.canonical(), sort_keys=False, allow_unicode=True)})
        return f"{cmp.n} paired members, {cmp.meta['wall_seconds']:.1f} s"
    if spec.kind == "claim":
        import json

        from ..claims import CLAIMS, answer_claim
        from ..results.atomic import write_text_atomic

        steps = 1 + 2 * len(CLAIMS[spec.claim].assumptions) if spec.claim in CLAIMS else 1
        done = iter(range(steps + 1))
        ans = answer_claim(spec.claim or "", n=spec.replications, scale=spec.scale or 0.05,
                           root_seed=spec.seed if spec.seed is not None else 1,
                           progress=lambda _text: report(next(done), steps))
        report(steps, steps)
        out_dir.mkdir(parents=True, exist_ok=True)
        write_text_atomic(out_dir / "claim.json", json.dumps(ans.to_json(), indent=2) + "\n", option="claim")
        return f"{ans.main.verdict} ({ans.main.label}: {100 * ans.main.relative:+.1f}% with the policy)"
    raise ValueError(f"unknown job kind {spec.kind!r}")


def _worker_main(conn: Any, registry: str) -> None:
    """A worker: load the kernels, then run the jobs the queue sends, reporting progress."""
    from .. import packs
    from ..errors import UserInputError

    try:
        for name in packs.names():
            packs.get(name).warm_up()
    except Exception:                       # noqa: BLE001 - the first job will report the same problem
        traceback.print_exc()
    conn.send(("ready", None, None))
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg is None:
            return
        job_id, spec, out_dir = msg

        def report(done: int, total: int, job_id: str = job_id, last: list[float] = [0.0]) -> None:  # noqa: B006
            now = time.monotonic()
            if done == total or now - last[0] > 0.2:     # at most five messages a second
                last[0] = now
                conn.send(("progress", job_id, (done, total)))

        try:
            summary = _execute(spec, Path(out_dir), Path(registry), report,
                               lambda said, job_id=job_id: conn.send(("written", job_id, said)))
            conn.send(("done", job_id, summary))
        except UserInputError as exc:
            conn.send(("failed", job_id, exc.one_line()))
        except Exception as exc:   # a bug: keep the worker, tell the page, keep the trace in the log
            traceback.print_exc()
            conn.send(("failed", job_id, f"internal error: {type(exc).__name__}: {exc}"))


# ---------------------------------------------------------------- in the server process

class _Worker:
    def __init__(self, ctx: Any, registry: Path) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, str(registry)), daemon=True)
        self.process.start()
        child.close()
        self.job: Job | None = None
        self.ready = False


class JobQueue:
    """Jobs for ``workers`` processes; at most ``capacity`` waiting or running at once.

    ``runs_dir`` holds one folder per job (``app-000001-run`` ...) and the registry
    ``runs.duckdb`` of the runs made here.
    """

    def __init__(self, runs_dir: str | Path, *, workers: int = 2, capacity: int = 8) -> None:
        if workers < 1 or capacity < workers:
            raise ValueError("need workers >= 1 and capacity >= workers")
        self.runs_dir = Path(runs_dir)
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self.registry = self.runs_dir / "runs.duckdb"
        self.capacity = capacity
        self._ctx = multiprocessing.get_context("spawn")   # clean workers: no fork of a threaded server
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._waiting: deque[Job] = deque()
        self._ids = itertools.count(1)
        self._stamp = time.strftime("%Y%m%dT%H%M%S")
        self._closed = False
        self._failed_starts = 0      # workers that died before they were ready, in a row
        self.most_held = 0          # the largest number of jobs held at once (the load test reads it)
        self._workers = [_Worker(self._ctx, self.registry) for _ in range(workers)]
        self._thread = threading.Thread(target=self._serve, name="corridor-jobs", daemon=True)
        self._thread.start()

    # -- what the page calls
    def submit(self, spec: JobSpec) -> Job:
        with self._lock:
            if self._closed:
                raise QueueFull("the server is shutting down")
            if not self._workers:
                raise QueueFull("the worker processes cannot start (see the server's log)")
            held = self._held()
            if held >= self.capacity:
                raise QueueFull(f"the queue is full ({held} runs waiting or running, at most "
                                f"{self.capacity}); try again when one has finished")
            n = next(self._ids)
            job = Job(id=f"{self._stamp}-{n:06d}", spec=spec,
                      out_dir=self.runs_dir / f"app-{self._stamp}-{n:06d}-{spec.kind}")
            self._jobs[job.id] = job
            self._waiting.append(job)
            self.most_held = max(self.most_held, held + 1)
            return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def held(self) -> int:
        with self._lock:
            return self._held()

    def workers_ready(self) -> int:
        """Workers that have loaded (or, the first time after installing, compiled) the kernels."""
        with self._lock:
            return sum(1 for w in self._workers if w.ready)

    def cancel(self, job_id: str) -> bool:
        """Cancel a waiting job, or end the worker running it (a fresh one replaces it).
        Returns False when the job had already finished."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.state in FINAL:
                return False
            if job.state == "queued":
                self._waiting.remove(job)
                self._finish(job, "cancelled", "cancelled before it started")
                return True
            for i, w in enumerate(self._workers):
                if w.job is job:
                    w.process.kill()
                    w.process.join(5)
                    self._workers[i] = _Worker(self._ctx, self.registry)
            self._finish(job, "cancelled", "cancelled while running; nothing was written")
            return True

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for w in self._workers:
                if w.process.is_alive():
                    w.process.kill()
        for w in self._workers:
            w.process.join(5)

    # -- the dispatcher
    def _held(self) -> int:
        return len(self._waiting) + sum(1 for w in self._workers if w.job is not None)

    def _finish(self, job: Job, state: State, message: str) -> None:
        job.state, job.message, job.finished = state, message, time.monotonic()

    def _serve(self) -> None:
        from multiprocessing.connection import wait

        while not self._closed:
            with self._lock:
                conns = {w.conn: w for w in self._workers}
            for conn in wait(list(conns), timeout=0.05):
                w = conns[conn]
                try:
                    kind, job_id, payload = conn.recv()
                except (EOFError, OSError):
                    self._replace(w)
                    continue
                with self._lock:
                    self._take(w, kind, job_id, payload)
            with self._lock:
                for w in self._workers:
                    if w.ready and w.job is None and self._waiting:
                        job = self._waiting.popleft()
                        w.job, job.state, job.started = job, "running", time.monotonic()
                        w.conn.send((job.id, job.spec, str(job.out_dir)))

    def _take(self, w: _Worker, kind: str, job_id: str | None, payload: Any) -> None:
        if kind == "ready":
            w.ready = True
            return
        job = self._jobs.get(job_id or "")
        if job is None or job.state in FINAL:       # a cancelled job's last words
            return
        if kind == "progress":
            job.done, job.total = payload
            return
        if kind == "written":
            job.first_result, job.message = time.monotonic(), str(payload)
            return
        if kind == "done" and job.first_result is None:
            job.first_result = time.monotonic()
        self._finish(job, "done" if kind == "done" else "failed", str(payload))
        w.job = None

    def _replace(self, w: _Worker) -> None:
        with self._lock:
            if self._closed or w not in self._workers:
                return
            if w.job is not None and w.job.state not in FINAL:
                self._finish(w.job, "failed", "the worker process ended unexpectedly")
            self._failed_starts = 0 if w.ready else self._failed_starts + 1
            if self._failed_starts >= MAX_FAILED_STARTS:      # it cannot start: say so, do not respawn forever
                self._workers.remove(w)
                if not any(x.process.is_alive() for x in self._workers):
                    while self._waiting:
                        self._finish(self._waiting.popleft(), "failed",
                                     "the worker processes cannot start (see the server's log)")
                return
            self._workers[self._workers.index(w)] = _Worker(self._ctx, self.registry)
