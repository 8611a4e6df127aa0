"""The page: choose a scenario, its period and policies, run, compare, and read the results.

One :class:`Page` per browser session. It never simulates: it puts jobs on the server's
:class:`~corridor.app.jobs.JobQueue` and polls them twice a second.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import panel as pn
import yaml

from .. import packs
from ..claims import CLAIMS
from ..errors import UserInputError
from ..evidence import compact
from ..scenario.loader import DEFAULT_SCENARIO, builtin_scenarios, load_scenario
from .edits import Edits, baseline_scenario, edited_scenario
from .jobs import FINAL, Job, JobQueue, JobSpec, QueueFull
from .view import PLACE_INDICATORS, compare_place_figure, compare_rows, load_run, map_figure, series_figure

__all__ = ["Page"]

SCALES = {"1% of people (fastest)": 0.01, "5%": 0.05, "10%": 0.1, "25%": 0.25, "everyone (slow)": 1.0}


@lru_cache(maxsize=32)
def _builtin(name: str) -> tuple[Any, Any]:
    """A built-in scenario and its evidence, read once per server (every new page shows one)."""
    sc = load_scenario(name)
    return sc, packs.for_scenario(sc).evidence(sc)


def _md(text: str, **kw: Any) -> pn.pane.Markdown:
    return pn.pane.Markdown(text, sizing_mode="stretch_width", **kw)


def _table(rows: list[dict[str, Any]]) -> pn.pane.DataFrame:
    import pandas as pd

    return pn.pane.DataFrame(pd.DataFrame(rows), index=False, sizing_mode="stretch_width", max_height=420)


class Page:
    def __init__(self, queue: JobQueue) -> None:
        self.queue = queue
        self.job: Job | None = None
        self.compare_job: Job | None = None
        self.claim_job: Job | None = None
        self.run_folder: Path | None = None
        self.compare_folder: Path | None = None
        self.view: Any = None
        self.param_edits: dict[str, Any] = {}
        names = list(builtin_scenarios())
        self.scenario = pn.widgets.Select(label="Scenario", options=names, value=DEFAULT_SCENARIO)
        # dates are typed (YYYY-MM-DD): a text box works from the keyboard, a calendar pop-up does not
        self.start = pn.widgets.TextInput(label="From (YYYY-MM-DD)", width=160)
        self.end = pn.widgets.TextInput(label="To", width=160)
        self.seed = pn.widgets.IntInput(label="Seed", start=0, end=2**31 - 1)
        self.scale = pn.widgets.Select(label="Population scale (share of people simulated)", options=SCALES,
                                       value=0.1)
        self.replications = pn.widgets.IntInput(label="Replications (bands of a run; paired members of a comparison)",
                                                value=3, start=1, end=20)
        self.run_button = pn.widgets.Button(label="Run", color="primary")
        self.compare_button = pn.widgets.Button(label="Compare with the baseline", color="success")
        self.cancel_button = pn.widgets.Button(label="Cancel", color="danger", disabled=True)
        self.progress = pn.indicators.Progress(label="progress", value=0, max=100, sizing_mode="stretch_width")
        self.status = pn.pane.Alert("Choose a scenario and press Run.", alert_type="light",
                                    sizing_mode="stretch_width")
        self.policies = pn.Column(sizing_mode="stretch_width")
        self.policy_widgets: dict[str, tuple[Any, Any, Any]] = {}
        # parameters
        self.param_select = pn.widgets.Select(label="Parameter")
        self.param_info = _md("")
        self.param_value = pn.widgets.TextInput(label="New value (a number, or a mapping such as {MEX: 0.6})")
        self.param_set = pn.widgets.Button(label="Set value")
        self.param_clear = pn.widgets.Button(label="Undo all parameter changes")
        self.param_list = _md("")
        # results
        self.indicator = pn.widgets.Select(label="Indicator")
        self.nationality = pn.widgets.Select(label="Nationality", options=["total"], value="total")
        self.series = pn.pane.Matplotlib(None, dpi=90, tight=True, sizing_mode="stretch_width")
        self.map_indicator = pn.widgets.Select(label="At places", options=list(PLACE_INDICATORS))
        self.month = pn.widgets.Player(label="Month", start=0, end=1, value=0, interval=900, loop_policy="loop",
                                       show_value=False, width=420)
        self.month_label = _md("")
        self.map = pn.pane.Matplotlib(None, dpi=90, tight=True, sizing_mode="stretch_width")
        self.years = pn.Column(sizing_mode="stretch_width")
        self.downloads = pn.Row()
        # comparison
        self.cmp_indicator = pn.widgets.Select(label="Indicator")
        self.cmp_year = pn.widgets.Select(label="Year")
        self.cmp_table = pn.Column(sizing_mode="stretch_width")
        self.cmp_map = pn.pane.Matplotlib(None, dpi=90, tight=True, sizing_mode="stretch_width")
        self.cmp_downloads = pn.Row()
        # evidence, claims, past runs
        self.evidence = pn.Column(sizing_mode="stretch_width")
        self.claim = pn.widgets.Select(label="Claim", options={f"{k}: {c.statement[:100]}": k
                                                              for k, c in CLAIMS.items()})
        self.claim_button = pn.widgets.Button(label="Test this claim")
        self.claim_out = _md("")
        self.past = pn.widgets.Select(label="Past runs (registry)")
        self.open_button = pn.widgets.Button(label="Open")
        self.refresh_button = pn.widgets.Button(label="Refresh list")
        self.folder = pn.widgets.TextInput(label="... or the folder of any run on this machine (corridor run --out)")
        self.open_folder = pn.widgets.Button(label="Open the folder")

        self.scenario.param.watch(lambda e: self._load_scenario(), "value")
        self.run_button.on_click(lambda e: self._submit("run"))
        self.compare_button.on_click(lambda e: self._submit("compare"))
        self.cancel_button.on_click(lambda e: self._cancel())
        self.param_select.param.watch(lambda e: self._show_param(), "value")
        self.param_set.on_click(lambda e: self._set_param())
        self.param_clear.on_click(lambda e: self._clear_params())
        for w in (self.indicator, self.nationality):
            w.param.watch(lambda e: self._draw_series(), "value")
        for w in (self.map_indicator, self.month):
            w.param.watch(lambda e: self._draw_map(), "value")
        for w in (self.cmp_indicator, self.cmp_year):
            w.param.watch(lambda e: self._draw_comparison(), "value")
        self.claim_button.on_click(lambda e: self._submit("claim"))
        self.open_button.on_click(lambda e: self._open_past())
        self.refresh_button.on_click(lambda e: self._list_past())
        self.open_folder.on_click(lambda e: self._open_folder())
        self._build()
        self._load_scenario()
        self._list_past()

    # ------------------------------------------------------------ layout
    def layout(self) -> pn.viewable.Viewable:
        """The page, polling its jobs twice a second while the session lasts."""
        cb = pn.state.add_periodic_callback(self._poll, period=500)
        pn.state.on_session_destroyed(lambda ctx: cb.stop())
        return self.root

    def _build(self) -> None:
        controls = pn.Column(
            "## Corridor", _md("What happens if ...? Choose a period and the policies in force, run, compare."),
            self.scenario, pn.Row(self.start, self.end), self.seed, self.scale, self.replications,
            pn.Row(self.run_button, self.cancel_button), self.compare_button, self.progress, self.status,
            width=360)
        tabs = pn.Tabs(
            ("Policies", pn.Column(_md("Switch a policy off or move its dates. Each line says what it does "
                                       "and its source."), self.policies)),
            ("Parameters", pn.Column(self.param_select, self.param_info, self.param_value,
                                     pn.Row(self.param_set, self.param_clear), self.param_list)),
            ("Results", pn.Column(pn.Row(self.indicator, self.nationality), self.series, self.years,
                                  self.downloads)),
            ("Map", pn.Column(pn.Row(self.map_indicator, self.month, self.month_label), self.map)),
            ("Compare", pn.Column(_md("Scenario minus baseline on common random numbers: both run with the same "
                                      "seeds, so the difference carries the effect of the change."),
                                  pn.Row(self.cmp_indicator, self.cmp_year), self.cmp_table, self.cmp_map,
                                  self.cmp_downloads)),
            ("Evidence", self.evidence),
            ("Claims", pn.Column(_md("Claims of the source articles, tested by switching the policy off "
                                     "(paired runs; see docs/policies.md)."), self.claim, self.claim_button,
                                 self.claim_out)),
            ("Past runs", pn.Column(self.past, pn.Row(self.open_button, self.refresh_button), self.folder,
                                    self.open_folder)),
            dynamic=False, sizing_mode="stretch_width")
        self.tabs = tabs
        self.root = pn.Row(controls, tabs, sizing_mode="stretch_width")

    # ------------------------------------------------------------ the scenario and its edits
    def _load_scenario(self) -> None:
        sc, ev = _builtin(self.scenario.value)
        self.start.value, self.end.value, self.seed.value = str(sc.first_day), str(sc.last_day), sc.seed
        self.param_edits = {}
        self.evidence_data = ev
        rows, self.policy_widgets = [], {}
        for pol in ev.policies:
            # a toggle button, not a checkbox: its text is its accessible name ("NAME: on" / "NAME: off")
            on = pn.widgets.Toggle(label=f"{pol.name}: on", value=True, color="success", width=260)
            on.param.watch(lambda e, n=pol.name: self._toggled(e.obj, n), "value")
            start = pn.widgets.TextInput(label="from", value=pol.start, width=140)
            end = pn.widgets.TextInput(label="to (empty: end of run)", value=pol.end or "", width=140)
            self.policy_widgets[pol.name] = (on, start, end)
            what = pol.description or "; ".join(pol.changes)
            rows.append(pn.Row(on, start, end, _md(f"{what}  \n*Source: {pol.source_text}*")))
        self.policies.objects = rows or [_md("This scenario has no policies.")]
        self.params = {p.name: p for p in ev.parameters}
        self.param_select.options = sorted(self.params)
        self._show_param()
        self._show_param_list()
        self._show_evidence()

    def _toggled(self, button: Any, name: str) -> None:
        button.label, button.color = (f"{name}: on", "success") if button.value else (f"{name}: off", "light")

    def _edits(self) -> Edits:
        off, windows = [], {}
        for pol in self.evidence_data.policies:
            on, start, end = self.policy_widgets[pol.name]
            if not on.value:
                off.append(pol.name)
                continue
            s, e = start.value.strip() or pol.start, end.value.strip() or None
            if (s, e) != (pol.start, pol.end):
                windows[pol.name] = (s, e)
        return Edits(start=self.start.value.strip() or None, end=self.end.value.strip() or None, seed=self.seed.value,
                     policies_off=tuple(off), windows=windows, parameters=dict(self.param_edits))

    def _show_param(self) -> None:
        p = self.params.get(self.param_select.value)
        if p is None:
            self.param_info.object = ""
            return
        bounds = f"between {p.low:g} and {p.high:g}" if p.low is not None and p.high is not None else "not declared"
        dims = f" by {', '.join(p.dims)}" if p.dims else ""
        self.param_info.object = (f"**{p.name}**{dims}: {p.doc}  \nvalue in force: `{compact(p.value, 160)}`"
                                  f" {p.unit}  \nallowed: {bounds}  \nsource: {p.source_text}")

    def _set_param(self) -> None:
        name, text = self.param_select.value, self.param_value.value.strip()
        try:
            value = yaml.safe_load(text) if text else None
            if value is None:
                raise UserInputError("no value given", at=f"parameters.{name}",
                                     expected="a number, or a mapping such as {MEX: 0.6}")
            edits = Edits(parameters={**self.param_edits, name: value})
            edited_scenario(self.scenario.value, edits)
        except (UserInputError, yaml.YAMLError) as exc:
            self._say(exc.one_line() if isinstance(exc, UserInputError) else f"not YAML: {exc}", "danger")
            return
        self.param_edits[name] = value
        self._say(f"{name} set to {compact(value)} for the next run.", "info")
        self._show_param_list()

    def _clear_params(self) -> None:
        self.param_edits = {}
        self._show_param_list()

    def _show_param_list(self) -> None:
        self.param_list.object = ("Changed for the next run: " + ", ".join(
            f"`{k} = {compact(v)}`" for k, v in self.param_edits.items())) if self.param_edits else \
            "No parameter changed: the scenario's values are used."

    def _show_evidence(self) -> None:
        ev = self.evidence_data
        self.evidence.objects = [
            _md(f"### Every value in force in `{ev.scenario}`, with its source"),
            _table([{"parameter": p.name, "value": compact(p.value, 60), "unit": p.unit, "source": p.kind,
                     "reference": p.ref or p.note, "set by": p.origin} for p in ev.parameters]),
            _md("### Policies"),
            _table([{"policy": p.name, "window": p.window, "changes": "; ".join(p.changes),
                     "source": p.source_text} for p in ev.policies])]

    # ------------------------------------------------------------ jobs
    def _say(self, text: str, kind: str = "light") -> None:
        self.status.object, self.status.alert_type = text, kind

    def _submit(self, kind: str) -> None:
        scale = self.scale.value
        try:
            edits = self._edits()
            if kind == "run":
                spec = JobSpec("run", scenario=edited_scenario(self.scenario.value, edits), scale=scale,
                               replications=self.replications.value)
            elif kind == "compare":
                spec = JobSpec("compare", baseline=baseline_scenario(self.scenario.value, edits),
                               scenario=edited_scenario(self.scenario.value, edits), scale=scale,
                               replications=self.replications.value, seed=self.seed.value)
            else:
                spec = JobSpec("claim", claim=self.claim.value, replications=self.replications.value,
                               scale=min(scale, 0.05))
            job = self.queue.submit(spec)
        except UserInputError as exc:
            self._say(exc.one_line(), "danger")
            return
        except QueueFull as exc:
            self._say(str(exc), "warning")
            return
        setattr(self, {"run": "job", "compare": "compare_job", "claim": "claim_job"}[kind], job)
        self.cancel_button.disabled = False
        self._say(f"{kind} queued ({self.queue.held()} in the queue).", "info")

    def _cancel(self) -> None:
        for job in (self.job, self.compare_job, self.claim_job):
            if job is not None and job.state not in FINAL:
                self.queue.cancel(job.id)
        self._say("Cancelled.", "warning")

    def _poll(self) -> None:
        active = [j for j in (self.job, self.compare_job, self.claim_job) if j is not None and j.state not in FINAL]
        self.cancel_button.disabled = not active
        for job in active:
            if job.total:
                self.progress.value = int(100 * job.done / job.total)
            if job is self.job and job.first_result is not None and self.run_folder != job.out_dir:
                self._show_run(job.out_dir)             # the run is written; its bands follow
            if job.state == "queued" and not self.queue.workers_ready():
                self._say("queued: the workers are loading the model's compiled kernels (the first start after "
                          "installing compiles them: about a minute on two cores)", "info")
            if job.state == "running":
                what = "days" if job.spec.kind == "run" and job.first_result is None else "runs"
                self._say(f"{job.spec.kind} running: {job.done}/{job.total} {what}"
                          + ("; results shown, replications for the bands under way"
                             if job.first_result is not None and job.spec.kind == "run" else ""), "info")
        for attr, show in (("job", self._show_run), ("compare_job", self._show_comparison),
                           ("claim_job", self._show_claim)):
            job = getattr(self, attr)
            if job is not None and job.state in FINAL:
                setattr(self, attr, None)
                if job.state == "done":
                    self.progress.value = 100
                    self._say(f"{job.spec.kind} finished: {job.message}; results in {job.out_dir}", "success")
                    show(job.out_dir)
                else:
                    self._say(f"{job.spec.kind} {job.state}: {job.message}", "danger" if job.state == "failed"
                              else "warning")

    # ------------------------------------------------------------ results
    def _show_run(self, folder: Path) -> None:
        """Show a run folder; shown again when its bands arrive (same folder: the downloads and the
        open tab stay as they are)."""
        again = self.run_folder == Path(folder)
        self.run_folder = Path(folder)
        first = self.view is None
        self.view = view = load_run(folder)
        self.indicator.options = list(view.indicators)
        if first or self.indicator.value not in view.indicators:
            self.indicator.value = "apprehensions_us" if "apprehensions_us" in view.indicators else view.indicators[0]
        self.nationality.options = ["total", *view.nationalities]
        if not again:
            self.month.end = max(1, len(view.months) - 1)
            self.month.value = 0
        self.map_indicator.options = [x for x in PLACE_INDICATORS if x in view.indicators]
        self._draw_series()
        self._draw_map()
        years = view.summary["years"]
        shown = packs.get(view.summary.get("model", "corridor")).table_indicators \
            if "corridor" in packs.names() else view.indicators
        self.years.objects = [_md(f"### Totals by calendar year ({view.summary['scenario']}, seed "
                                  f"{view.summary['seed']})\nEvents are summed over the year; `waiting_*` "
                                  "is the mean number of people waiting on a day."),
                              _table([{"indicator": ind, **{y: f"{years[y][ind]['total']:,}" for y in years}}
                                      for ind in shown if ind in next(iter(years.values()))])]
        if again:
            return
        self.downloads.objects = [
            pn.widgets.FileDownload(file=str(self.run_folder / "scenario.yaml"), filename="scenario.yaml",
                                    label="Download the scenario (YAML, seed included)")
            if (self.run_folder / "scenario.yaml").exists() else _md(""),
            pn.widgets.FileDownload(callback=lambda: self._zip(self.run_folder), filename="corridor-run.zip",
                                    label="Download all outputs (zip)")]
        self.tabs.active = 2

    def _zip(self, folder: Path | None) -> io.BytesIO:
        assert folder is not None
        with tempfile.TemporaryDirectory() as tmp:
            path = shutil.make_archive(str(Path(tmp) / "run"), "zip", folder)
            return io.BytesIO(Path(path).read_bytes())

    def _draw_series(self) -> None:
        if self.view is not None and self.indicator.value in self.view.indicators:
            self.series.object = series_figure(self.view, self.indicator.value, self.nationality.value)

    def _draw_map(self) -> None:
        if self.view is None or self.map_indicator.value not in self.view.indicators:
            return
        self.map.object = map_figure(self.view, self.map_indicator.value, self.month.value)
        self.month_label.object = self.view.months[self.month.value].strftime("**%B %Y**")   # after the map

    def _show_comparison(self, folder: Path) -> None:
        self.compare_folder = Path(folder)
        rows = compare_rows(folder)
        self.cmp_rows = rows
        self.cmp_indicator.options = sorted({r["indicator"] for r in rows})
        if self.cmp_indicator.value not in self.cmp_indicator.options:
            self.cmp_indicator.value = "detentions_mexico" if "detentions_mexico" in self.cmp_indicator.options \
                else self.cmp_indicator.options[0]
        self.cmp_year.options = sorted({r["year"] for r in rows})
        self.cmp_downloads.objects = [pn.widgets.FileDownload(
            callback=lambda: self._zip(self.compare_folder), filename="corridor-compare.zip",
            label="Download the comparison (zip)")]
        self._draw_comparison()
        self.tabs.active = 4

    def _draw_comparison(self) -> None:
        if self.compare_folder is None or self.cmp_year.value is None:
            return
        ind, year = self.cmp_indicator.value, self.cmp_year.value

        def band(r: dict[str, Any]) -> str:
            if r["ci_low"] is None:
                return "n/a (one replication)"
            return f"{r['ci_low']:+,.0f} to {r['ci_high']:+,.0f}"

        rows = [{"nationality": r["nationality"], "baseline": round(r["a_mean"]), "scenario": round(r["b_mean"]),
                 "difference": round(r["diff_mean"]), "90% interval": band(r),
                 "relative": f"{100 * r['relative_diff']:+.1f}%" if r["relative_diff"] is not None else ""}
                for r in self.cmp_rows if r["indicator"] == ind and r["year"] == year]
        self.cmp_table.objects = [_md(f"### {ind}, {year}"), _table(rows)]
        self.cmp_map.object = compare_place_figure(self.compare_folder, ind, year)

    def _show_claim(self, folder: Path) -> None:
        ans = json.loads((Path(folder) / "claim.json").read_text(encoding="utf-8"))

        def pct(r: dict[str, Any]) -> str:
            if r["relative"] is None:
                return "no change measurable"
            band = "" if r["rel_low"] is None else f" (90%: {100 * r['rel_low']:+.1f}% to {100 * r['rel_high']:+.1f}%)"
            return f"{100 * r['relative']:+.1f}%{band}"

        main = ans["answer"]
        lines = [f"**{ans['statement']}** (seed {ans['seed']}, policy `{ans['policy']}` in `{ans['scenario']}`)",
                 f"**Answer: {main['verdict']}** — {main['label']} with the policy against without it: {pct(main)}; "
                 f"{ans['n']} paired replications at {100 * ans['population_scale']:g}% of people. "
                 f"*Supports* means: {ans['supports_means']}"]
        if ans["sensitivity"]:
            lines.append("Does the answer hinge on an assumption? The same question with each unsourced value at "
                         "its low and high end:")
            lines += [f"- `{r['parameter']} = {r['value']}`: {r['verdict']}, {pct(r)} ({r['why']})"
                      for r in ans["sensitivity"]]
        lines.append(f"Files: `{folder}`")
        self.claim_out.object = "\n\n".join(lines)

    # ------------------------------------------------------------ past runs
    def _list_past(self) -> None:
        import duckdb

        options: dict[str, str] = {}
        if self.queue.registry.exists():
            try:
                con = duckdb.connect(str(self.queue.registry), read_only=True)
                try:
                    for when, name, seed, folder in con.execute(
                            "SELECT recorded_at, scenario, seed, out_dir FROM runs ORDER BY recorded_at DESC "
                            "LIMIT 200").fetchall():
                        if (Path(folder) / "summary.json").exists():
                            options[f"{when:%Y-%m-%d %H:%M:%S} {name} (seed {seed})"] = folder
                finally:
                    con.close()
            except duckdb.Error as exc:          # held by a writer: try again later
                self._say(f"the run registry cannot be read now ({str(exc).splitlines()[0]})", "warning")
        self.past.options = options

    def _open_past(self) -> None:
        if self.past.value:
            self._show_run(Path(self.past.value))
            self._say(f"Opened {self.past.value}", "success")

    def _open_folder(self) -> None:
        folder = Path(self.folder.value.strip()).expanduser()
        if not (folder / "summary.json").is_file() or not (folder / "daily.parquet").is_file():
            self._say(f"{folder}: not a finished run (expected the folder of corridor run --out, with "
                      "summary.json and daily.parquet)", "danger")
            return
        try:
            self._show_run(folder)
        except (OSError, ValueError, KeyError) as exc:
            self._say(f"{folder}: cannot be read ({type(exc).__name__}: {exc})", "danger")
            return
        self._say(f"Opened {folder}", "success")
