"""How long the web app takes: to come up, and from the click on Run to the first results.

    .venv/bin/python benchmarks/app_latency.py            # 5 clicks, one-year runs at population scale 0.1

Starts ``corridor app`` on a free loopback port (its own runs folder under a temporary
directory), waits until the page answers and until its workers have loaded the compiled kernels,
then drives headless Chromium (Debian's ``chromium``, through Playwright): choose the default
scenario, type the period 2010-01-01 to 2010-12-31, population scale 10%, one replication,
click Run and wait until the yearly table of the results is on the page. Prints each time and
their median, and writes them to ``benchmarks/results/app-<UTC time>.json``.

The target of issue 15 is "first results within 10 seconds of the click" (a one-year run at
scale 0.1, two cores). Without chromium it measures the same through the HTTP API instead.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as r:     # loopback only
        return json.loads(r.read())


def _post(url: str, body: dict) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def start_app(runs: Path) -> tuple[subprocess.Popen, str, dict[str, float]]:
    log = runs / "app.log"
    t0 = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "corridor.cli", "app", "--port", "0", "--runs", str(runs)],
                                stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url = None
    while url is None:
        if proc.poll() is not None:
            raise SystemExit("the app stopped:\n" + log.read_text())
        hit = re.search(r"Corridor app: (http://\S+)", log.read_text())
        url = hit.group(1) if hit else time.sleep(0.1)
    up = time.perf_counter() - t0
    while _get(url + "api/queue")["workers_ready"] < 1:
        time.sleep(0.2)
    return proc, url, {"page_up_s": round(up, 2), "workers_ready_s": round(time.perf_counter() - t0, 2)}


def clicks_in_browser(url: str, n: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        for _ in range(n):
            pg = browser.new_page(viewport={"width": 1400, "height": 1000})
            pg.set_default_timeout(120_000)
            pg.goto(url)
            run = pg.get_by_role("button", name="Run", exact=True)
            run.wait_for()
            boxes = pg.get_by_role("textbox")
            for box, value in ((boxes.nth(0), "2010-01-01"), (boxes.nth(1), "2010-12-31")):
                box.fill(value)
                box.press("Enter")
            pg.get_by_role("combobox").nth(1).select_option(label="10%")
            reps = boxes.nth(3)                      # from, to, seed, replications
            reps.fill("1")
            reps.press("Enter")
            time.sleep(0.5)                          # the page has the values before the click
            t0 = time.perf_counter()
            run.click()
            pg.get_by_text("Totals by calendar year").wait_for()
            times.append(time.perf_counter() - t0)
            pg.close()
        browser.close()
    return times


def clicks_through_api(url: str, n: int) -> list[float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        job = _post(url + "api/runs", {"scenario": "corridor-2010-2011", "start": "2010-01-01",
                                       "end": "2010-12-31", "scale": 0.1})
        while _get(url + f"api/runs/{job['id']}")["state"] not in ("done", "failed", "cancelled"):
            time.sleep(0.05)
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=5, help="clicks (each a one-year run at scale 0.1)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        proc, url, start = start_app(Path(tmp))
        try:
            how = "browser" if shutil.which("chromium") else "api"
            times = clicks_in_browser(url, args.n) if how == "browser" else clicks_through_api(url, args.n)
        finally:
            proc.terminate()
            proc.wait(20)
    result = {**start, "how": how, "click_to_results_s": [round(t, 2) for t in times],
              "median_s": round(statistics.median(times), 2), "max_s": round(max(times), 2),
              "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "cpus": os.cpu_count(),
              "load_average": os.getloadavg()}
    print(f"page up after {start['page_up_s']} s; workers ready after {start['workers_ready_s']} s "
          f"(kernels loaded, or compiled if the cache was empty)")
    print(f"click to first results ({how}), one-year run at scale 0.1: "
          + ", ".join(f"{t:.2f}" for t in times) + f" s; median {result['median_s']} s, max {result['max_s']} s")
    out = ROOT / "benchmarks" / "results" / f"app-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}.json"
    from corridor.results.atomic import write_text_atomic

    write_text_atomic(out, json.dumps(result, indent=1) + "\n", option="results file")
    print(f"saved {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
