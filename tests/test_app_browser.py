"""The web app driven in a real browser: headless Chromium (Debian's ``chromium``) through
Playwright. The main journeys: open, switch a policy off, run, read the results and the map,
compare with the baseline, download the scenario, open a past run. A screenshot of each step
is saved under ``runs/browser-screenshots/``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = Path(__file__).resolve().parents[1] / "runs" / "browser-screenshots"

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed "
                                                         "(scripts/test.sh installs it)")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    from corridor import packs

    # compile the kernels here first (a fresh clone: minutes), so the app's worker loads them from
    # the cache instead of compiling them while the page waits
    packs.get("corridor").warm_up()
    runs = tmp_path_factory.mktemp("app-runs")
    log = runs / "app.log"          # a file, not a pipe: an undrained pipe would stall the server
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "corridor.cli", "app", "--port", "0", "--runs", str(runs),
                                 "--workers", "1", "--queue", "4"], stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    url, deadline = None, time.monotonic() + 120
    while url is None and time.monotonic() < deadline and proc.poll() is None:
        hit = re.search(r"Corridor app: (http://\S+)", log.read_text())
        url = hit.group(1) if hit else time.sleep(0.2)
    if url is None:
        proc.kill()
        pytest.fail("the app did not start:\n" + log.read_text())
    deadline = time.monotonic() + 300
    while json.loads(urllib.request.urlopen(url + "api/queue", timeout=30).read())["workers_ready"] < 1:
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail("the app's worker did not load the kernels:\n" + log.read_text())
        time.sleep(0.5)
    yield url, runs
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module")
def page(app_url):
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        pg = browser.new_page(viewport={"width": 1500, "height": 1100}, accept_downloads=True)
        pg.set_default_timeout(60_000)
        pg.goto(app_url[0])
        pg.get_by_role("button", name="Run", exact=True).wait_for()
        yield pg
        browser.close()


def shot(pg, name: str) -> None:
    pg.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def open_tab(pg, name: str) -> None:
    pg.locator(".bk-tab").filter(has_text=re.compile(f"^{name}$")).click()


def wait_status(pg, text: str, timeout: float = 120) -> str:
    """Wait until the status box says ``text``; return what it says (fails on a failed job)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        hit = pg.get_by_text(text)
        if hit.count():
            return hit.first.inner_text()
        failed = pg.get_by_text(re.compile(r"(run|compare|claim) failed:"))
        assert not failed.count(), failed.first.inner_text()
        time.sleep(0.3)
    pytest.fail(f"the page never said {text!r}")


def test_journeys(page, app_url):
    pg = page
    shot(pg, "01-open")
    # pick a scenario with policies, one year of it
    pg.get_by_role("combobox").first.select_option("southern-border-2013-2016")
    pg.get_by_role("button", name="southern-border-program: on").wait_for()
    start = pg.get_by_role("textbox").nth(0)
    end = pg.get_by_role("textbox").nth(1)
    for box, value in ((start, "2014-01-01"), (end, "2014-12-31")):
        box.fill(value)
        box.press("Enter")
    pg.get_by_role("combobox").nth(1).select_option(label="1% of people (fastest)")
    # switch the Southern Border Program off
    pg.get_by_role("button", name="southern-border-program: on").click()
    pg.get_by_role("button", name="southern-border-program: off").wait_for()
    shot(pg, "02-policy-off")

    # run: progress, then results with the observed series beside the model
    t0 = time.monotonic()
    pg.get_by_role("button", name="Run", exact=True).click()
    said = wait_status(pg, "run finished")
    print(f"run finished {time.monotonic() - t0:.1f} s after the click: {said}")
    assert "agents" in said
    pg.get_by_text("Totals by calendar year").wait_for()
    assert pg.get_by_role("img").count() >= 1           # the time series figure
    shot(pg, "03-results")
    # the run's folder holds the scenario as run: the policy is off there
    folder = Path(re.search(r"results in (\S+)", said).group(1))
    ran = yaml.safe_load((folder / "scenario.yaml").read_text())
    assert "southern-border-program" not in [p["name"] for p in ran["policies"]]
    assert ran["start"] == "2014-01-01" and ran["population_scale"] == 0.01

    # download the scenario from the page
    with pg.expect_download() as dl:
        pg.get_by_role("button", name=re.compile("Download the scenario")).click()
    downloaded = yaml.safe_load(Path(dl.value.path()).read_text())
    assert downloaded == ran

    # the map, scrubbed to another month
    open_tab(pg, "Map")
    pg.get_by_text("January 2014").wait_for()
    time.sleep(1.5)                                   # the figure's image reaches the page
    shot(pg, "04-map-january")
    pg.locator("input[type=range]").first.focus()
    pg.keyboard.press("ArrowRight")
    pg.get_by_text("February 2014").wait_for()
    time.sleep(1.5)                                   # the figure's image reaches the page
    shot(pg, "05-map-february")

    # compare with the baseline (the policy on) on common random numbers
    pg.get_by_role("button", name="Compare with the baseline").click()
    wait_status(pg, "compare finished", timeout=240)
    time.sleep(2)
    shot(pg, "06-compare")
    pg.get_by_text("apprehensions_us, 2014").wait_for()
    table = pg.locator("table").filter(has_text="90% interval").first.inner_text()
    assert "GTM" in table and "total" in table, table

    # evidence: every value in force with its source
    open_tab(pg, "Evidence")
    pg.get_by_text("Every value in force").wait_for()
    assert "mx_detection_per_100km" in pg.locator("table").filter(has_text="reference").first.inner_text()
    shot(pg, "07-evidence")

    # a past run from the registry
    open_tab(pg, "Past runs")
    pg.get_by_role("button", name="Refresh list").click()
    time.sleep(1)
    options = pg.get_by_role("combobox", name=re.compile("Past runs")).locator("option").all_inner_texts()
    assert any("southern-border-2013-2016" in o for o in options), options
    pg.get_by_role("button", name="Open", exact=True).click()
    wait_status(pg, "Opened")
    shot(pg, "08-past-run")


def test_keyboard_reaches_the_controls(page):
    """Tab moves through the controls in order and Enter presses the focused button."""
    pg = page
    pg.locator("body").click(position={"x": 5, "y": 5})
    seen = []
    for _ in range(40):
        pg.keyboard.press("Tab")
        seen.append(pg.evaluate("""() => { let e = document.activeElement;
            while (e && e.shadowRoot && e.shadowRoot.activeElement) e = e.shadowRoot.activeElement;
            return e ? (e.innerText || e.getAttribute('aria-label') || e.tagName) : ''; }"""))
    assert any("Run" == s.strip() for s in seen), seen
    assert any("Compare with the baseline" in s for s in seen), seen
