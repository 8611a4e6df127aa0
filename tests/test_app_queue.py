"""The web app without a browser (corridor.app): a user's edits of a built-in scenario, the
bounded queue of worker processes (run, compare, cancel, a full queue, a failing job), the
results it writes against `corridor run`, the observed series and the run view, and the HTTP
API of the server (token rule, a load test of 50 concurrent sessions, marked slow)."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import statistics
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
import yaml

from corridor.app.edits import APP_SOURCE, Edits, baseline_scenario, edited_scenario
from corridor.app.jobs import FINAL, Job, JobQueue, JobSpec, QueueFull
from corridor.app.server import is_loopback, serve
from corridor.app.view import load_run
from corridor.errors import UserInputError
from corridor.observed import for_indicator, observed_series
from corridor.scenario.loader import load_scenario, scenario_from_dict

DEFAULT = "corridor-2010-2011"
SBP = "southern-border-2013-2016"           # a built-in scenario with several policies
SBP_POLICY = "southern-border-program"
#: three months of the default scenario at 1% of people: a fraction of a second in a worker
SHORT = Edits(start="2010-01-01", end="2010-03-31")
#: how long a fresh worker may take to load (or, after a change to them, compile) the kernels
WARM_UP_SECONDS = 900.0
#: long enough (about 10 s on two cores) to be cancelled while it runs
LONG_SCALE = 1.0


def short_run(seed: int | None = None) -> dict[str, Any]:
    return edited_scenario(DEFAULT, Edits(start=SHORT.start, end=SHORT.end, seed=seed))


def wait_for(job: Job, states: tuple[str, ...] = FINAL, timeout: float = 120.0) -> Job:
    deadline = time.monotonic() + timeout
    while job.state not in states:
        assert time.monotonic() < deadline, f"job {job.id} still {job.state} after {timeout:g} s"
        time.sleep(0.02)
    return job


# ============================================================== edits of a built-in scenario

def test_switching_a_policy_off_removes_it_and_keeps_the_others():
    before = [p["name"] for p in load_scenario(SBP).canonical()["policies"]]
    data = edited_scenario(SBP, Edits(policies_off=(SBP_POLICY,)))
    after = [p["name"] for p in data["policies"]]
    assert SBP_POLICY in before
    assert after == [n for n in before if n != SBP_POLICY]
    assert data["name"] == f"{SBP} (edited)"
    assert scenario_from_dict(data).canonical()["policies"] == data["policies"]   # it loads as it reads


def test_moving_a_window_changes_its_dates_only():
    original = {p["name"]: p for p in load_scenario(SBP).canonical()["policies"]}
    data = edited_scenario(SBP, Edits(windows={SBP_POLICY: ("2015-01-01", "2015-06-30"),
                                               "flows-2012": ("2012-03-01", None)}))
    got = {p["name"]: p for p in data["policies"]}
    assert (got[SBP_POLICY]["start"], got[SBP_POLICY]["end"]) == ("2015-01-01", "2015-06-30")
    assert (got["flows-2012"]["start"], got["flows-2012"]["end"]) == ("2012-03-01", None)
    for name in (SBP_POLICY, "flows-2012"):
        assert {k: v for k, v in got[name].items() if k not in ("start", "end")} == \
            {k: v for k, v in original[name].items() if k not in ("start", "end")}
    assert got["enforcement-from-2012"] == original["enforcement-from-2012"]
    assert original[SBP_POLICY]["start"] == "2014-07-07"          # the built-in file was not changed


def test_a_parameter_set_in_the_app_has_source_kind_scenario():
    from corridor import packs

    data = edited_scenario(DEFAULT, Edits(parameters={"asylum_min_days": 30}))
    assert data["parameters"]["asylum_min_days"] == {"value": 30, "source": APP_SOURCE}
    assert APP_SOURCE["kind"] == "scenario"
    sc = scenario_from_dict(data)
    ev = {p.name: p for p in packs.for_scenario(sc).evidence(sc).parameters}["asylum_min_days"]
    assert ev.value == 30 and ev.kind == "scenario"
    assert {p.name: p for p in packs.for_scenario(load_scenario(DEFAULT)).evidence(
        load_scenario(DEFAULT)).parameters}["asylum_min_days"].kind != "scenario"


@pytest.mark.parametrize("edits, key", [
    (Edits(policies_off=("no-such-policy",)), "no-such-policy"),
    (Edits(windows={"no-such-window": ("2014-01-01", None)}), "no-such-window"),
    (Edits(parameters={"no_such_parameter": 1}), "no_such_parameter"),
    (Edits(parameters={"departure_multiplier": -1}), "parameters.departure_multiplier"),
    (Edits(start="2014-13-01"), "start"),
    (Edits(end="yesterday"), "end"),
    (Edits(windows={SBP_POLICY: ("2014-07-07", "2014-02-30")}), f"policies.{SBP_POLICY}.end"),
])
def test_bad_edits_raise_a_user_error_naming_the_key(edits, key):
    with pytest.raises(UserInputError) as info:
        edited_scenario(SBP, edits)
    line = info.value.one_line()
    assert key in line and "\n" not in line
    assert not line.startswith("None")


def test_an_unknown_scenario_is_a_user_error():
    with pytest.raises(UserInputError, match="no-such-scenario"):
        edited_scenario("no-such-scenario", Edits())
    with pytest.raises(UserInputError, match="no-such-scenario"):
        baseline_scenario("no-such-scenario", Edits())


def test_the_baseline_keeps_policies_and_parameters_but_takes_period_and_seed():
    original = load_scenario(SBP).canonical()
    edits = Edits(start="2014-07-01", end="2014-12-31", seed=9, policies_off=(SBP_POLICY,),
                  windows={"flows-2012": ("2012-06-01", None)}, parameters={"asylum_min_days": 30})
    base = baseline_scenario(SBP, edits)
    assert (base["start"], base["end"], base["seed"]) == ("2014-07-01", "2014-12-31", 9)
    assert base["policies"] == original["policies"]
    assert base["parameters"] == original["parameters"]
    assert base["name"] == original["name"]
    edited = edited_scenario(SBP, edits)
    assert (edited["start"], edited["end"], edited["seed"]) == (base["start"], base["end"], base["seed"])
    # nothing else differs between the baseline and the unedited scenario
    assert {k: v for k, v in base.items() if k not in ("start", "end", "seed")} == \
        {k: v for k, v in original.items() if k not in ("start", "end", "seed")}


def test_a_period_that_ends_before_it_starts_is_a_user_error():
    with pytest.raises(UserInputError):
        baseline_scenario(DEFAULT, Edits(start="2011-01-01", end="2010-01-01"))
    with pytest.raises(UserInputError):
        edited_scenario(DEFAULT, Edits(start="2011-01-01", end="2010-01-01"))


# ============================================================== observed series

def test_observed_series_read_the_facts_plain_counts():
    us = for_indicator("apprehensions_us")
    assert us is not None and us.period == "fiscal_year" and us.nationality == "total"
    assert us.values[2010] == 447730 and us.values[2011] == 327580     # facts/01a rows 12-13
    assert for_indicator("apprehensions_us", "GTM").values[2010] == 16830
    det = for_indicator("detentions_mexico")
    assert det.period == "year" and det.values[2010] == 70102 and det.status[2010] == "unverified_memory"
    comar = for_indicator("asylum_applications_mexico")
    assert comar.values[2013] == 1295 and comar.values[2018] == 29441   # the main series, not the alternatives
    assert for_indicator("apprehensions_us", "XXX") is None and for_indicator("no_such_indicator") is None
    for s in observed_series():
        assert s.values and set(s.status) == set(s.values), s.indicator
        assert all(v >= 0 for v in s.values.values())


# ============================================================== the queue

@pytest.fixture(scope="module")
def queue(tmp_path_factory) -> Iterator[JobQueue]:
    """One worker (so a running job holds the queue and a cancelled one must be replaced),
    three places."""
    q = JobQueue(tmp_path_factory.mktemp("app_runs"), workers=1, capacity=3)
    try:
        # a worker loads the compiled kernels first (seconds; minutes where they must be compiled)
        deadline = time.monotonic() + WARM_UP_SECONDS
        while not all(w.ready for w in q._workers):
            assert time.monotonic() < deadline, "the worker never became ready"
            time.sleep(0.05)
        yield q
    finally:
        q.close()


@pytest.fixture(scope="module")
def done_run(queue) -> Job:
    job = queue.submit(JobSpec("run", scenario=short_run(), scale=0.01))
    wait_for(job)
    assert job.state == "done", job.message
    return job


def test_the_queue_wants_capacity_for_its_workers(tmp_path):
    with pytest.raises(ValueError):
        JobQueue(tmp_path, workers=2, capacity=1)
    with pytest.raises(ValueError):
        JobQueue(tmp_path, workers=0, capacity=1)


def test_a_run_job_writes_its_folder_and_a_registry_row(queue, done_run):
    out = done_run.out_dir
    assert out.parent == queue.runs_dir and out.name.endswith("-run")
    for name in ("summary.json", "daily.parquet", "scenario.yaml", "run.json", "route_flows.parquet"):
        assert (out / name).is_file(), name
    assert done_run.total > 0 and done_run.done == done_run.total
    assert done_run.started is not None and done_run.finished >= done_run.started >= done_run.submitted
    assert "days" in done_run.message and "\n" not in done_run.message
    summary = json.loads((out / "summary.json").read_text())
    assert summary["periods"]["2010"]["first_day"] == "2010-01-01"
    assert summary["periods"]["2010"]["last_day"] == "2010-03-31"
    as_run = yaml.safe_load((out / "scenario.yaml").read_text())
    assert as_run["population_scale"] == 0.01 and as_run["seed"] == summary["seed"]
    con = duckdb.connect(str(queue.registry), read_only=True)
    try:
        rows = con.execute("SELECT out_dir, seed, first_day, last_day FROM runs").fetchall()
    finally:
        con.close()
    mine = [r for r in rows if Path(r[0]) == out.resolve()]
    assert len(mine) == 1
    assert mine[0][1] == summary["seed"] and str(mine[0][2]) == "2010-01-01" and str(mine[0][3]) == "2010-03-31"
    assert queue.get(done_run.id) is done_run and queue.get("no-such-job") is None
    assert done_run.to_json()["state"] == "done" and done_run.to_json()["out_dir"] == str(out)


def test_a_run_job_equals_corridor_run_of_its_scenario_yaml(done_run, tmp_path):
    from corridor.cli import main

    out = tmp_path / "cli"
    assert main(["run", str(done_run.out_dir / "scenario.yaml"), "--out", str(out), "--quiet", "--no-plots"]) == 0
    app, cli = (json.loads((d / "summary.json").read_text()) for d in (done_run.out_dir, out))
    assert app["years"] == cli["years"] and app["seed"] == cli["seed"]
    assert app["scenario_hash"] == cli["scenario_hash"]
    a, b = (pq.read_table(d / "daily.parquet") for d in (done_run.out_dir, out))
    assert a.num_rows > 0
    a, b = (t.unify_dictionaries().combine_chunks() for t in (a, b))
    assert a.schema.equals(b.schema)
    assert sorted(zip(*(a.column(c).to_pylist() for c in a.column_names), strict=True)) == \
        sorted(zip(*(b.column(c).to_pylist() for c in b.column_names), strict=True))


def test_load_run_reads_the_app_folder_back(done_run):
    view = load_run(done_run.out_dir)
    assert [m.isoformat() for m in view.months] == ["2010-01-01", "2010-02-01", "2010-03-01"]
    year = view.summary["years"]["2010"]
    for ind in ("departures", "entries_mexico", "detentions_mexico"):
        i = view.indicators.index(ind)
        assert view.kinds[i] == "flow"
        assert view.monthly[:, i].sum() == pytest.approx(year[ind]["total"], rel=1e-9, abs=1e-6), ind
        for nat in view.nationalities:
            k = view.nationalities.index(nat)
            assert view.monthly[:, i, k].sum() == pytest.approx(year[ind].get(nat, 0), rel=1e-9, abs=1e-6)
    assert year["departures"]["total"] > 0
    assert view.annual("departures") == {}              # 2010 is covered in part only
    assert len(view.routes) == len(view.route_flows) > 0 and view.route_flows.sum() > 0


def test_a_full_queue_refuses_and_never_holds_more_than_its_capacity(queue):
    assert queue.held() == 0
    # the specs first (an edited scenario takes a moment): the submissions follow one another at once
    specs = [JobSpec("run", scenario=short_run(seed=100 + i), scale=0.01) for i in range(queue.capacity + 1)]
    jobs = [queue.submit(spec) for spec in specs[:-1]]
    with pytest.raises(QueueFull, match="full"):
        queue.submit(specs[-1])
    assert queue.held() == queue.capacity
    for job in jobs:
        wait_for(job)
    assert [j.state for j in jobs] == ["done"] * len(jobs), [j.message for j in jobs]
    assert queue.held() == 0
    assert queue.most_held == queue.capacity
    assert len({j.out_dir for j in jobs}) == len(jobs) and len({j.id for j in jobs}) == len(jobs)
    # a place freed is a place to take again
    wait_for(queue.submit(JobSpec("run", scenario=short_run(), scale=0.01)))
    assert queue.most_held <= queue.capacity


def _long_job(queue: JobQueue) -> Job:
    job = queue.submit(JobSpec("run", scenario=edited_scenario(SBP, Edits()), scale=LONG_SCALE))
    wait_for(job, ("running", *FINAL), timeout=WARM_UP_SECONDS)
    assert job.state == "running", (job.state, job.message)
    return job


def test_cancelling_a_queued_job_never_runs_it(queue):
    long = _long_job(queue)
    waiting = queue.submit(JobSpec("run", scenario=short_run(), scale=0.01))
    assert waiting.state == "queued"
    assert queue.cancel(waiting.id) is True
    assert waiting.state == "cancelled" and "before it started" in waiting.message
    assert queue.cancel(waiting.id) is False                 # already over
    assert queue.held() == 1
    assert queue.cancel(long.id) is True
    after = wait_for(queue.submit(JobSpec("run", scenario=short_run(), scale=0.01)))
    assert after.state == "done", after.message
    assert waiting.state == "cancelled" and not waiting.out_dir.exists()
    assert waiting.started is None


def test_cancelling_a_running_job_ends_its_worker_and_the_next_job_runs(queue):
    long = _long_job(queue)
    old = [w.process for w in queue._workers]
    assert queue.cancel(long.id) is True
    assert long.state == "cancelled" and "while running" in long.message
    assert not any(p.is_alive() for p in old)                # the worker running it was ended ...
    assert all(w.process.is_alive() for w in queue._workers)  # ... and replaced
    assert queue.held() == 0
    nxt = wait_for(queue.submit(JobSpec("run", scenario=short_run(seed=5), scale=0.01)))
    assert nxt.state == "done", nxt.message
    assert long.state == "cancelled"                          # late words of the old worker change nothing
    assert not long.out_dir.exists()
    assert queue.cancel(nxt.id) is False


def _out_of_bounds() -> dict[str, Any]:
    """A scenario mapping with a parameter out of its bounds (edited_scenario refuses it; a
    scenario given to the queue by other means may still hold one)."""
    data = short_run()
    data["parameters"] = {**data["parameters"], "departure_multiplier": {"value": -1, "source": APP_SOURCE}}
    scenario_from_dict(data)                # the file's form is right: only the model's bounds refuse it
    return data


def test_a_failing_job_reports_one_line_and_the_worker_keeps_serving(queue):
    bad = _out_of_bounds()
    pids = [w.process.pid for w in queue._workers]
    job = wait_for(queue.submit(JobSpec("run", scenario=bad, scale=0.01)))
    assert job.state == "failed"
    assert "\n" not in job.message and "departure_multiplier" in job.message and "-1" in job.message
    assert job.message.startswith("parameters.departure_multiplier")    # no "None: " for a missing file
    assert not job.out_dir.exists()
    nxt = wait_for(queue.submit(JobSpec("run", scenario=short_run(), scale=0.01)))
    assert nxt.state == "done", nxt.message
    assert [w.process.pid for w in queue._workers] == pids   # the same worker, not a replacement


def test_a_bad_scale_fails_the_job_naming_the_scale(queue):
    job = wait_for(queue.submit(JobSpec("run", scenario=short_run(), scale=-1.0)))
    assert job.state == "failed" and "population scale" in job.message and "\n" not in job.message


# ============================================================== compare jobs

def _places(folder: Path) -> list[dict[str, Any]]:
    return pq.read_table(folder / "compare_places.parquet").to_pylist()


def test_a_compare_job_with_a_policy_switched_off(queue):
    edits = Edits(start="2014-07-01", end="2014-12-31", policies_off=(SBP_POLICY,))
    job = wait_for(queue.submit(JobSpec("compare", baseline=baseline_scenario(SBP, edits),
                                        scenario=edited_scenario(SBP, edits), replications=2, scale=0.01)))
    assert job.state == "done", job.message
    out = job.out_dir
    for name in ("compare.parquet", "compare_places.parquet", "baseline.yaml", "scenario.yaml"):
        assert (out / name).is_file(), name
    assert SBP_POLICY in [p["name"] for p in yaml.safe_load((out / "baseline.yaml").read_text())["policies"]]
    assert SBP_POLICY not in [p["name"] for p in yaml.safe_load((out / "scenario.yaml").read_text())["policies"]]
    rows = _places(out)
    assert rows and {"indicator", "year", "location", "diff_mean"} <= set(rows[0])
    assert {r["year"] for r in rows} == {2014}
    assert any(r["diff_mean"] != 0 for r in rows if r["indicator"] == "detentions_mexico")   # the lever acts
    assert any(r["diff_mean"] != 0 for r in pq.read_table(out / "compare.parquet").to_pylist())


def test_a_compare_job_of_a_scenario_with_itself_differs_nowhere(queue):
    same = baseline_scenario(SBP, Edits(start="2014-07-01", end="2014-12-31"))
    job = wait_for(queue.submit(JobSpec("compare", baseline=same, scenario=same, replications=2, scale=0.01)))
    assert job.state == "done", job.message
    rows = _places(job.out_dir)
    assert rows and all(r["diff_mean"] == 0 for r in rows)
    assert all(r["a_mean"] == r["b_mean"] for r in rows)
    assert any(r["a_mean"] > 0 for r in rows if r["indicator"] == "detentions_mexico")   # something to compare
    totals = pq.read_table(job.out_dir / "compare.parquet").to_pylist()
    assert totals and all(r["diff_mean"] == 0 for r in totals)


@pytest.mark.slow
def test_a_claim_job_answers_the_claim(queue):
    """The Claims tab's job: the claim tested by switching its policy off, with its assumptions varied."""
    job = wait_for(queue.submit(JobSpec("claim", claim="development-plan", replications=2, scale=0.01)), timeout=600)
    assert job.state == "done", job.message
    answer = json.loads((job.out_dir / "claim.json").read_text())
    assert answer["claim"] == "development-plan" and answer["n"] == 2 and answer["population_scale"] == 0.01
    assert answer["answer"]["verdict"] in ("supports", "contradicts", "inconclusive")
    assert len(answer["sensitivity"]) == 2                   # one assumption, at its low and high value
    assert job.done == job.total == 3                        # policy off vs on, then the assumption twice
    assert job.message.startswith(answer["answer"]["verdict"])
    from corridor.app.page import Page

    page = Page(queue)                                       # what the Claims tab shows of it
    page._show_claim(job.out_dir)
    shown = page.claim_out.object
    assert f"Answer: {answer['answer']['verdict']}" in shown and answer["statement"] in shown
    assert shown.count("\n- `") == 2                         # each assumption's two values


# ============================================================== the server

class Server:
    """``serve()`` in a thread of its own (with its own event loop), stopped at the end."""

    def __init__(self, runs_dir: Path, **options: Any) -> None:
        self.url = ""
        self.error: BaseException | None = None
        self._loop: Any = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, args=(runs_dir, options), daemon=True)
        self._thread.start()
        assert self._ready.wait(120), "the server did not start"
        if self.error is not None:
            raise self.error
        parts = urllib.parse.urlsplit(self.url)
        self.host, self.port = parts.hostname, parts.port

    def _main(self, runs_dir: Path, options: dict[str, Any]) -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())

        def ready(url: str) -> None:
            from tornado.ioloop import IOLoop

            self.url, self._loop = url, IOLoop.current()
            self._ready.set()

        try:
            serve(host="127.0.0.1", port=0, runs_dir=runs_dir, **options, ready=ready)
        except BaseException as exc:      # noqa: BLE001 - handed to the test's thread
            self.error = exc
            self._ready.set()

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
                timeout: float = 60.0) -> tuple[int, Any]:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            data = body if isinstance(body, bytes | None) else json.dumps(body).encode()
            conn.request(method, path, body=data, headers=headers or {})
            resp = conn.getresponse()
            raw = resp.read()
            if resp.getheader("Content-Type", "").startswith("application/json"):
                return resp.status, json.loads(raw)
            return resp.status, raw
        finally:
            conn.close()

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.add_callback(self._loop.stop)
        self._thread.join(30)
        assert not self._thread.is_alive(), "the server did not stop"


@contextlib.contextmanager
def running(runs_dir: Path, **options: Any) -> Iterator[Server]:
    srv = Server(runs_dir, **options)
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    with running(tmp_path_factory.mktemp("app_server"), workers=2, capacity=6) as srv:
        yield srv


def poll_until_final(srv: Server, job_id: str, timeout: float = WARM_UP_SECONDS, headers: dict[str, str] | None = None,
                     every: float = 0.1) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        status, body = srv.request("GET", f"/api/runs/{job_id}", headers=headers)
        assert status == 200, (status, body)
        if body["state"] in FINAL:
            return body
        assert time.monotonic() < deadline, f"job {job_id} still {body['state']} after {timeout:g} s"
        time.sleep(every)


SMALL_RUN = {"scenario": DEFAULT, "start": "2010-01-01", "end": "2010-01-31", "scale": 0.01}


@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.3.4.5", True), ("::1", True), ("localhost", True),
    ("0.0.0.0", False), ("10.0.0.1", False), ("::", False), ("192.168.1.20", False), ("example.org", False),
])
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


@pytest.mark.parametrize("options, key", [
    ({"host": "0.0.0.0"}, "--host"),
    ({"host": "10.0.0.1", "token": ""}, "--host"),
    ({"host": "127.0.0.1", "token": "short"}, "--token"),
])
def test_serve_refuses_an_open_address_without_a_token(options, key, tmp_path):
    with pytest.raises(UserInputError) as info:
        serve(port=0, runs_dir=tmp_path / "runs", **options)
    assert key in info.value.one_line()
    assert not (tmp_path / "runs").exists()        # refused before a queue was made


def test_a_port_in_use_is_one_line_naming_the_port(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UserInputError) as info:
            serve(port=port, runs_dir=tmp_path / "runs", workers=1, capacity=1)
    assert info.value.one_line().startswith("--port: cannot listen on 127.0.0.1:")


def test_the_api_runs_a_job_to_its_summary(server):
    status, page = server.request("GET", "/")
    assert status == 200 and b"<html" in page.lower()
    status, body = server.request("POST", "/api/runs", {**SMALL_RUN, "seed": 77})
    assert status == 202, body
    assert body["state"] == "queued" and body["kind"] == "run"
    final = poll_until_final(server, body["id"])
    assert final["state"] == "done", final["message"]
    assert final["summary"]["seed"] == 77
    assert final["summary"]["periods"]["2010"]["last_day"] == "2010-01-31"
    assert final["summary"]["years"]["2010"]["departures"]["total"] > 0
    assert Path(final["out_dir"], "daily.parquet").is_file()
    status, q = server.request("GET", "/api/queue")
    assert status == 200 and q["capacity"] == 6 and 1 <= q["most_held"] <= 6
    status, again = server.request("DELETE", f"/api/runs/{body['id']}")
    assert status == 200 and again == {"cancelled": False}


@pytest.mark.parametrize("body, words", [
    (b"{not json", ["bad request"]),
    (b"[1, 2]", ["not a JSON object"]),
    ({**SMALL_RUN, "seed": "abc"}, ["bad request"]),
    ({**SMALL_RUN, "scenario": "no-such-scenario"}, ["no-such-scenario"]),
    ({**SMALL_RUN, "start": "2010-02-30"}, ["start"]),
    ({**SMALL_RUN, "policies_off": ["no-such-policy"]}, ["no-such-policy"]),
    ({**SMALL_RUN, "windows": {"no-such-policy": ["2010-01-01"]}}, ["no-such-policy"]),
    ({**SMALL_RUN, "windows": {"flows-2012": 5}}, ["bad request"]),
    ({**SMALL_RUN, "parameters": {"no_such_parameter": 1}}, ["no_such_parameter"]),
    ({**SMALL_RUN, "parameters": [1, 2]}, ["bad request"]),
])
def test_a_bad_request_is_400_with_one_line(server, body, words):
    status, reply = server.request("POST", "/api/runs", body)
    assert status == 400, reply
    assert set(reply) == {"error"} and "\n" not in reply["error"] and "Traceback" not in reply["error"]
    for w in words:
        assert w in reply["error"]


def test_a_bad_scale_is_a_bad_request(server):
    status, reply = server.request("POST", "/api/runs", {**SMALL_RUN, "scale": -1})
    if status == 202:
        poll_until_final(server, reply["id"])
    assert status == 400 and "scale" in reply["error"]


def test_an_unknown_job_is_404(server):
    status, reply = server.request("GET", "/api/runs/20990101T000000-999999")
    assert status == 404 and "20990101T000000-999999" in reply["error"]
    status, reply = server.request("DELETE", "/api/runs/20990101T000000-999999")
    assert (status, reply) == (200, {"cancelled": False}) or status == 404     # nothing was cancelled


def test_the_api_cancels_a_running_job(server):
    status, body = server.request("POST", "/api/runs", {"scenario": SBP, "scale": 1.0})
    assert status == 202, body
    deadline = time.monotonic() + WARM_UP_SECONDS
    while server.request("GET", f"/api/runs/{body['id']}")[1]["state"] == "queued":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    status, reply = server.request("DELETE", f"/api/runs/{body['id']}")
    assert status == 200 and reply == {"cancelled": True}
    final = poll_until_final(server, body["id"], timeout=5)
    assert final["state"] == "cancelled" and "summary" not in final
    assert not Path(final["out_dir"]).exists()


TOKEN = "secret-token-1"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def guarded(tmp_path_factory) -> Iterator[Server]:
    """A server with a token, one worker and one place in its queue."""
    with running(tmp_path_factory.mktemp("app_guarded"), workers=1, capacity=1, token=TOKEN) as srv:
        yield srv


def test_a_token_guards_the_api(guarded):
    srv = guarded
    for method, path, body in (("GET", "/api/queue", None), ("POST", "/api/runs", SMALL_RUN),
                               ("GET", "/api/runs/x-1", None), ("DELETE", "/api/runs/x-1", None)):
        status, _ = srv.request(method, path, body)
        assert status == 401, (method, path)
        status, _ = srv.request(method, path, body, headers={"Authorization": "Bearer wrong-token-1"})
        assert status == 401, (method, path)
    status, q = srv.request("GET", "/api/queue", headers=AUTH)
    assert status == 200 and q["held"] == 0 and q["capacity"] == 1
    status, body = srv.request("POST", "/api/runs", {**SMALL_RUN, "seed": 3}, headers=AUTH)
    assert status == 202, body
    final = poll_until_final(srv, body["id"], headers=AUTH)
    assert final["state"] == "done" and final["summary"]["seed"] == 3
    conn = http.client.HTTPConnection(srv.host, srv.port, timeout=60)
    try:
        conn.request("GET", "/")
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 302 and "login" in resp.getheader("Location", "")   # the page asks for the token
    finally:
        conn.close()


def test_a_full_queue_answers_503_until_a_place_is_free(guarded):
    srv = guarded
    status, long = srv.request("POST", "/api/runs", {"scenario": SBP, "scale": 1.0}, headers=AUTH)
    assert status == 202, long
    status, reply = srv.request("POST", "/api/runs", {**SMALL_RUN, "seed": 4}, headers=AUTH)
    assert status == 503 and "full" in reply["error"] and reply["queue"] == 1, reply
    status, q = srv.request("GET", "/api/queue", headers=AUTH)
    assert q["held"] == 1 and q["most_held"] == 1
    assert srv.request("DELETE", f"/api/runs/{long['id']}", headers=AUTH) == (200, {"cancelled": True})
    status, body = srv.request("POST", "/api/runs", {**SMALL_RUN, "seed": 4}, headers=AUTH)
    assert status == 202, body
    final = poll_until_final(srv, body["id"], headers=AUTH)
    assert final["state"] == "done" and final["summary"]["seed"] == 4
    assert srv.request("GET", "/api/queue", headers=AUTH)[1]["most_held"] == 1


# ============================================================== load test

@pytest.mark.slow
def test_fifty_concurrent_sessions(tmp_path):
    """50 sessions at once against a queue of 6 places and 2 workers: each opens the page and,
    once all pages are open, submits its own run at the same moment as the others (retrying
    while the queue is full) and polls it to the end."""
    from corridor.results.run import run_scenario

    n, capacity = 50, 6
    results: dict[int, dict[str, Any]] = {}
    errors: list[str] = []
    lock = threading.Lock()
    pages_open = threading.Barrier(n)

    with running(tmp_path, workers=2, capacity=capacity) as srv:
        deadline = time.monotonic() + 600

        def session(seed: int) -> None:
            try:
                status, page = srv.request("GET", "/", timeout=300)
                assert status == 200 and b"<html" in page.lower(), status
                pages_open.wait(300)
                submitted = time.monotonic()
                full = 0
                while True:
                    status, body = srv.request("POST", "/api/runs", {**SMALL_RUN, "seed": seed})
                    if status == 202:
                        break
                    assert status == 503 and "full" in body["error"], (status, body)
                    full += 1
                    assert time.monotonic() < deadline, "never accepted"
                    time.sleep(0.2)
                accepted = time.monotonic()
                final = poll_until_final(srv, body["id"], timeout=max(1.0, deadline - time.monotonic()),
                                         every=0.25)
                with lock:
                    results[seed] = {"job": final, "submitted": submitted, "accepted": accepted,
                                     "done": time.monotonic(), "refused": full}
            except BaseException as exc:  # noqa: BLE001 - collected for the test's thread
                with lock:
                    errors.append(f"seed {seed}: {type(exc).__name__}: {exc}")

        t0 = time.monotonic()
        threads = [threading.Thread(target=session, args=(s,), daemon=True) for s in range(1, n + 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(max(1.0, deadline - time.monotonic() + 30))
        wall = time.monotonic() - t0
        assert not errors, errors[:5]
        assert sorted(results) == list(range(1, n + 1))
        status, q = srv.request("GET", "/api/queue")
        assert status == 200 and q["held"] == 0
        assert 1 <= q["most_held"] <= capacity

    jobs = {seed: r["job"] for seed, r in results.items()}
    failed = [j["message"] for j in jobs.values() if j["state"] != "done"]
    assert not failed, failed[:5]
    for seed, job in jobs.items():
        assert job["summary"]["seed"] == seed, (seed, job["out_dir"])
        as_run = yaml.safe_load(Path(job["out_dir"], "scenario.yaml").read_text())
        assert as_run["seed"] == seed and as_run["population_scale"] == 0.01
    assert len({j["out_dir"] for j in jobs.values()}) == n and len({j["id"] for j in jobs.values()}) == n
    refused = sum(r["refused"] for r in results.values())
    # every run's results equal a run of the same scenario outside the app
    for seed in jobs:
        data = yaml.safe_load(Path(jobs[seed]["out_dir"], "scenario.yaml").read_text())
        direct = run_scenario(scenario_from_dict(data)).summary()
        assert jobs[seed]["summary"]["years"] == json.loads(json.dumps(direct["years"])), seed
    # different seeds give different runs
    assert len({json.dumps(j["summary"]["years"], sort_keys=True) for j in jobs.values()}) > n // 2
    def spread(xs: list[float]) -> str:
        return f"median {statistics.median(xs):.1f} s, max {max(xs):.1f} s"

    rs = list(results.values())
    print(f"\n{n} sessions, queue {capacity}, 2 workers: wall {wall:.1f} s (pages open after "
          f"{min(r['submitted'] for r in rs) - t0:.1f} s); submission to done "
          f"{spread([r['done'] - r['submitted'] for r in rs])} (to accepted "
          f"{spread([r['accepted'] - r['submitted'] for r in rs])}); {refused} submissions refused "
          f"(queue full); most held {q['most_held']}")
