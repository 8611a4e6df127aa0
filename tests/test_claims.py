"""The articles' claims as runnable questions."""

from __future__ import annotations

import json

import pytest

from corridor.claims import CLAIMS, _falls, _no_less_safe, _rises, _still_at_risk, answer_claim
from corridor.models.corridor import PARAM_SPECS
from corridor.scenario.loader import load_scenario


def test_the_five_claims_of_the_issue_are_there():
    seeds = sorted(c.seed for c in CLAIMS.values())
    assert seeds == ["000", "002", "003", "003", "004"]


@pytest.mark.parametrize("key", list(CLAIMS))
def test_each_claim_refers_to_a_real_scenario_policy_and_parameters(key):
    claim = CLAIMS[key]
    sc = load_scenario(claim.scenario)
    assert claim.policy in [p.name for p in sc.spec.policies]
    assert claim.measure.year in range(sc.spec.start.year, sc.spec.end.year + 1)
    for param, *_ in claim.assumptions:
        if param.startswith("policies."):
            _, pname, kind, name = param.split(".", 3)
            pol = next(p for p in sc.spec.policies if p.name == pname)
            assert name in getattr(pol, kind)
        else:
            assert param in PARAM_SPECS


def test_verdicts_can_go_either_way():
    # relative change, interval low, interval high
    assert _falls(-0.1, -0.15, -0.05) == "supports"
    assert _falls(0.0, 0.0, 0.0) == "contradicts"
    assert _falls(-0.01, -0.05, 0.03) == "inconclusive"
    assert _rises(0.2, 0.1, 0.3) == "supports" and _rises(-0.2, -0.3, -0.1) == "contradicts"
    assert _no_less_safe(0.0, -0.02, 0.02) == "supports"
    assert _no_less_safe(-0.3, -0.4, -0.2) == "contradicts"
    assert _still_at_risk(-0.2, -0.3, -0.1) == "supports"
    assert _still_at_risk(-0.8, -0.9, -0.7) == "contradicts"


@pytest.mark.slow
def test_development_plan_claim_depends_on_an_unsourced_assumption():
    """With the plan's assumed effect the model supports the claim; with no effect (the other
    end of the probe) it contradicts it: the answer is only as good as that assumption."""
    ans = answer_claim("development-plan", n=2, scale=0.005, root_seed=3)
    assert ans.main.verdict == "supports" and ans.main.relative < 0
    probes = {str(v): r for p, _, v, r in ans.sensitivity}
    none = next(r for v, r in probes.items() if "1.0" in v)
    assert none.verdict == "contradicts" and none.diff == 0.0     # same seeds, no effect: identical
    out = json.loads(json.dumps(ans.to_json()))
    assert out["claim"] == "development-plan" and out["answer"]["verdict"] == "supports"
    assert len(out["sensitivity"]) == 2
