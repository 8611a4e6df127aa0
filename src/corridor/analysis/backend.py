"""Where many runs execute: in this process, a local process pool, or a Dask cluster.

Every backend is used through the standard :class:`concurrent.futures.Executor`
interface (``submit`` and futures); for Dask that is ``Client.get_executor()``. Each task
is a pure function of its arguments (a scenario and a seed), and callers collect results
by task index, so the numbers never depend on the backend, the worker count or the order
in which tasks finish.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import UserInputError

__all__ = ["open_executor", "run_tasks", "InlineExecutor", "default_workers"]


class InlineExecutor(Executor):
    """Runs each task at once in the calling process (``workers=1``: no process start-up)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        fut: Future = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:     # noqa: BLE001 - handed to the caller through the future
            fut.set_exception(exc)
        return fut


def default_workers() -> int:
    """One worker per CPU core available to this process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:               # not on Linux
        return max(1, os.cpu_count() or 1)


def _connect_dask(scheduler: str, timeout: float) -> Any:
    try:
        from distributed import Client
    except ImportError:                  # pragma: no cover - a dependency of corridor
        raise UserInputError("the Dask backend needs the 'distributed' package",
                             expected="pip install distributed") from None
    as_file = "://" not in scheduler and (scheduler.endswith(".json") or Path(scheduler).exists())
    if as_file and not Path(scheduler).is_file():
        raise UserInputError("scheduler file not found", where=scheduler,
                             expected="a file written by `dask scheduler --scheduler-file`")
    try:
        if as_file:
            return Client(scheduler_file=scheduler, timeout=timeout, set_as_default=False)
        return Client(scheduler, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UserInputError(f"cannot reach the Dask scheduler within {timeout:g} s ({text})",
                             where=scheduler,
                             expected="the address of a running scheduler (tcp://HOST:8786) or its "
                                      "scheduler file") from None


def _end_with_parent(parent: int, every: float = 0.5) -> None:
    """In a pool worker: exit as soon as the process that started it is gone (killed, say),
    rather than finish runs whose results nobody will collect."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(1)

    threading.Thread(target=watch, name="end-with-parent", daemon=True).start()


@contextmanager
def open_executor(workers: int | None = None, scheduler: str | None = None,
                  timeout: float = 10.0) -> Iterator[tuple[Executor, str]]:
    """An executor and a description of it.

    ``scheduler``: a Dask scheduler address or scheduler file; the cluster's workers run
    the tasks. Otherwise ``workers`` local processes (default: one per core); ``workers=1``
    runs tasks in this process.
    """
    if scheduler:
        client = _connect_dask(scheduler, timeout)
        try:
            n = len(client.scheduler_info(n_workers=-1).get("workers", {}))
            ex = client.get_executor(pure=False)
            try:
                yield ex, f"Dask cluster at {client.scheduler.address} ({n} workers)"
            finally:
                ex.shutdown(wait=False)
        finally:
            client.close()
        return
    n = workers or default_workers()
    if n < 1:
        raise UserInputError(f"--workers {n} is not a positive number", expected="1 or more")
    if n == 1:
        yield InlineExecutor(), "this process"
        return
    # "spawn": workers start clean (no copy of this process's threads or locks)
    pool = ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_end_with_parent, initargs=(os.getpid(),))
    try:
        yield pool, f"local process pool ({n} workers)"
    except BaseException:
        # interrupted or failed: stop the workers now rather than let them finish runs
        # whose results nobody will collect
        procs = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            proc.terminate()
        raise
    pool.shutdown(wait=True)


def run_tasks(executor: Executor, fn: Callable[..., Any], args: Sequence[tuple],
              on_done: Callable[[int, Any], None], max_pending: int | None = None) -> None:
    """Run ``fn(*args[i])`` for every ``i``; call ``on_done(i, result)`` as each finishes.

    At most ``max_pending`` tasks are submitted at a time (all by default), so that a long
    list does not flood a cluster's memory with inputs. If a task fails, or the caller is
    interrupted, the tasks not yet started are cancelled and the error propagates.
    """
    pending: dict[Future, int] = {}
    todo = iter(range(len(args)))
    # an inline "submit" runs the task at once: hand each result over before running the next
    limit = 1 if isinstance(executor, InlineExecutor) else (max_pending or len(args))

    def fill() -> None:
        while len(pending) < limit:
            i = next(todo, None)
            if i is None:
                return
            pending[executor.submit(fn, *args[i])] = i

    try:
        fill()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in sorted(done, key=pending.__getitem__):
                i = pending.pop(fut)
                on_done(i, fut.result())
            fill()
    finally:
        for fut in pending:
            fut.cancel()
