"""The source articles' claims as runnable questions (``corridor claims``).

Each claim names the scenario and the policy it is about, the quantity that answers it, and the
assumptions the answer may hinge on. Answering runs the scenario with and without the policy over
the same seeds (:func:`corridor.compare.compare_scenarios`), measures the paired difference with
its interval, and gives a verdict that may disagree with the article. Then it repeats the
comparison with each assumption set to a low and a high value, to show how much the answer
depends on it.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .compare import Comparison, compare_scenarios, t_quantile
from .errors import UserInputError
from .scenario.loader import Scenario, load_scenario, scenario_from_dict

__all__ = ["Claim", "CLAIMS", "ClaimAnswer", "answer_claim"]

CA = ("GTM", "HND", "SLV", "NIC")


@dataclass(frozen=True)
class Measure:
    """A yearly quantity per member: ``numerator / denominator`` summed over ``groups``."""

    label: str
    numerator: str
    denominator: str | None
    groups: tuple[str, ...]
    year: int

    def per_member(self, cmp: Comparison, values: np.ndarray) -> np.ndarray:
        j = cmp.years.index(self.year)
        k = [cmp.groups.index(g) for g in self.groups if g in cmp.groups]
        num = values[:, cmp.indicators.index(self.numerator), j][:, k].sum(axis=1)
        if self.denominator is None:
            return num
        den = values[:, cmp.indicators.index(self.denominator), j][:, k].sum(axis=1)
        return np.divide(num, den, out=np.zeros_like(num), where=den > 0)


@dataclass(frozen=True)
class Claim:
    key: str
    seed: str
    statement: str
    scenario: str                      # built-in scenario with the policy switched on
    policy: str                        # the policy the claim is about
    measure: Measure
    # how the claim reads the difference (policy on - off): a function of the relative change and
    # its interval, returning "supports", "contradicts" or "inconclusive"
    judge: Callable[[float, float, float], str]
    reading: str                       # what "supports" means, in words
    # (parameter, low, high, why); "policies.NAME.scale|set.PARAM" addresses a policy's lever
    assumptions: tuple[tuple[str, Any, Any, str], ...] = field(default_factory=tuple)


def _no_less_safe(rel: float, lo: float, hi: float) -> str:
    # "a document would not protect": supported unless the victimisation rate clearly falls (>5%)
    if hi < -0.05:
        return "contradicts"
    return "supports" if lo > -0.05 else "inconclusive"


def _still_at_risk(rel: float, lo: float, hi: float) -> str:
    # supported if the risk stays above half of what it was without the measures
    if lo > -0.5:
        return "supports"
    return "contradicts" if hi < -0.5 else "inconclusive"


def _falls(rel: float, lo: float, hi: float) -> str:
    if hi < 0:
        return "supports"
    return "contradicts" if lo >= 0 else "inconclusive"


def _rises(rel: float, lo: float, hi: float) -> str:
    if lo > 0:
        return "supports"
    return "contradicts" if hi <= 0 else "inconclusive"


CLAIMS: dict[str, Claim] = {c.key: c for c in (
    Claim("transit-documents", "000",
          "A government-issued document would not protect migrants from criminals.",
          "transit-documents-2011", "transit-documents-for-guatemalans",
          Measure("crimes against Guatemalans per entry into Mexico, 2011", "victimizations",
                  "entries_mexico", ("GTM",), 2011),
          _no_less_safe, "the victimisation rate of Guatemalans does not fall by more than 5%",
          (("predation_document_factor", {"transit_document": 1.0}, {"transit_document": 0.5},
            "do criminals respect documents? (1 = no, seed 000's view)"),
           ("policies.transit-documents-for-guatemalans.set.detection_document_factor",
            {"transit_document": 0.5}, {"transit_document": 0.0}, "how much documents cut detention"))),
    Claim("security-measures", "002",
          "Even with increased security measures, migrants will still be at risk.",
          "southern-border-2013-2016", "southern-border-program",
          Measure("crimes against Central Americans per entry into Mexico, 2015", "victimizations",
                  "entries_mexico", CA, 2015),
          _still_at_risk, "the victimisation rate stays above half of its level without the program",
          (("collusion_kidnap_probability", 0.0, 0.01, "officials selling migrants to criminals"),
           ("predation_per_100km", {"Chiapas": 0.005}, {"Chiapas": 0.05},
            "how dangerous Chiapas is"))),
    Claim("development-plan", "003",
          "The development plan keeps migrants from leaving.",
          "caravans-2018-2019", "development-plan",
          Measure("Central American departures, 2019 (January-June)", "departures", None, CA, 2019),
          _falls, "departures fall",
          (("policies.development-plan.scale.departure_multiplier",
            {"GTM": 1.0, "HND": 1.0, "SLV": 1.0}, {"GTM": 0.9, "HND": 0.9, "SLV": 0.9},
            "the plan's effect on departures (no source: 1 = none, 0.9 = 10% fewer)"),)),
    Claim("camp-moved", "003",
          "Moving the camp away from the border makes crossing harder.",
          "caravans-2018-2019", "tijuana-camp-moved",
          Measure("share of crossing attempts ending in apprehension, 2019 (January-June)",
                  "apprehensions_us", "crossing_attempts_us", CA, 2019),
          _rises, "a larger share of attempts ends in apprehension",
          (("apprehension_per_extra_km", 0.0, 0.05,
            "how much each km from the border adds to apprehension (no source)"),)),
    Claim("waiting-in-mexico", "004",
          "Waiting in Mexico exposes asylum seekers to danger.",
          "mpp-2019-2021", "stay-in-mexico",
          Measure("crimes against Central Americans, 2020", "victimizations", None, CA, 2020),
          _rises, "crimes against Central Americans rise",
          (("predation_waiting_per_day", {"north_mx": 0.0002}, {"north_mx": 0.003},
            "danger of waiting in a border city"),
           ("mpp_wait_days", 60, 365, "how long people wait"))),
)}


@dataclass
class Result:
    label: str
    off: float
    on: float
    diff: float
    ci_low: float
    ci_high: float
    relative: float
    rel_low: float
    rel_high: float
    verdict: str


@dataclass
class ClaimAnswer:
    claim: Claim
    main: Result
    sensitivity: list[tuple[str, str, Any, Result]]   # (parameter, why, value, result)
    n: int
    scale: float

    def to_json(self) -> dict[str, Any]:
        def res(r: Result) -> dict[str, Any]:
            return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.__dict__.items()}
        c = self.claim
        return {"claim": c.key, "seed": c.seed, "statement": c.statement, "scenario": c.scenario,
                "policy": c.policy, "measure": c.measure.label, "supports_means": c.reading,
                "n": self.n, "population_scale": self.scale, "answer": res(self.main),
                "sensitivity": [{"parameter": p, "why": w, "value": v, **res(r)}
                                for p, w, v, r in self.sensitivity]}


def _variant(sc: Scenario, *, drop_policy: str | None = None, parameters: dict | None = None,
             scale: float) -> Scenario:
    data = copy.deepcopy(sc.canonical())
    data["population_scale"] = scale
    if drop_policy is not None:
        names = [p["name"] for p in data["policies"]]
        if drop_policy not in names:
            raise UserInputError(f"scenario {sc.name!r} has no policy {drop_policy!r}")
        data["policies"] = [p for p in data["policies"] if p["name"] != drop_policy]
    for name, value in (parameters or {}).items():
        if name.startswith("policies."):
            # "policies.NAME.scale|set.PARAM": a lever of one of the scenario's policies
            _, pname, kind, param = name.split(".", 3)
            pol = next((p for p in data["policies"] if p["name"] == pname), None)
            if pol is not None:
                pol[kind][param] = value
        else:
            data["parameters"][name] = {"value": value, "source": {"kind": "scenario", "note": "claims probe"}}
    return scenario_from_dict(data, path=sc.path)


def _result(claim: Claim, cmp: Comparison) -> Result:
    m = claim.measure
    off, on = m.per_member(cmp, cmp.a_values), m.per_member(cmp, cmp.b_values)
    d = on - off
    n = d.size
    half = t_quantile(cmp.level, n - 1) * d.std(ddof=1) / math.sqrt(n) if n >= 2 else math.nan
    base = off.mean()
    rel = d.mean() / base if base else math.nan
    rel_half = half / base if base else math.nan
    verdict = claim.judge(rel, rel - rel_half, rel + rel_half) if not math.isnan(rel_half) else "inconclusive"
    return Result(m.label, float(off.mean()), float(on.mean()), float(d.mean()), float(d.mean() - half),
                  float(d.mean() + half), float(rel), float(rel - rel_half), float(rel + rel_half), verdict)


def answer_claim(key: str, *, n: int = 5, scale: float = 0.05, root_seed: int = 1,
                 workers: int | None = 1, sensitivity: bool = True,
                 progress: Callable[[str], None] | None = None) -> ClaimAnswer:
    """Answer one claim (see :data:`CLAIMS`) with ``n`` paired replications at ``scale``."""
    if key not in CLAIMS:
        raise UserInputError(f"unknown claim {key!r}", expected="one of " + ", ".join(CLAIMS))
    claim = CLAIMS[key]
    sc = load_scenario(claim.scenario)

    def run(extra: dict | None) -> Result:
        off = _variant(sc, drop_policy=claim.policy, parameters=extra, scale=scale)
        on = _variant(sc, parameters=extra, scale=scale)
        cmp = compare_scenarios(off, on, n=n, root_seed=root_seed, workers=workers,
                                indicators=[i for i in (claim.measure.numerator, claim.measure.denominator) if i],
                                years=[claim.measure.year])
        return _result(claim, cmp)

    if progress:
        progress(f"{key}: policy off vs on")
    main = run(None)
    sens = []
    if sensitivity:
        for param, low, high, why in claim.assumptions:
            for value in (low, high):
                if progress:
                    progress(f"{key}: {param} = {value}")
                sens.append((param, why, value, run({param: value})))
    return ClaimAnswer(claim, main, sens, n, scale)
