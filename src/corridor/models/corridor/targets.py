"""The observed figures the default 2010-2011 scenario must reproduce, and the check.

Used by ``scripts/check_targets.py``, the slow test of the default scenario, and
docs/calibration.md. Sources: seed 000 and facts/01a (rows 12-13).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...results.run import RunResult

__all__ = ["Target", "TARGETS", "check_targets"]

CA = ("GTM", "HND", "SLV", "NIC")


@dataclass(frozen=True)
class Target:
    label: str
    observed: float
    low: float
    high: float
    source: str


def _us(nat: str, fy: int, value: int, row: int) -> tuple[str, Target]:
    key = f"apprehensions_us FY{fy} {nat}"
    return key, Target(key, value, value * 0.85, value * 1.15,
                       f"facts/01a row {row} (USBP SWB, FY{fy}); +/-15%")


TARGETS: dict[str, Target] = dict([
    ("entries_mexico 2010 Central America",
     Target("entries_mexico 2010 Central America", 250000, 200000, 300000,
            "seed 000: between 200,000 and 300,000 a year")),
    ("entries_mexico 2011 Central America",
     Target("entries_mexico 2011 Central America", 250000, 200000, 300000,
            "seed 000: between 200,000 and 300,000 a year")),
    ("deportations_mexico 2010 total",
     Target("deportations_mexico 2010 total", 70000, 70000 * 0.9, 70000 * 1.1,
            "seed 000: 70,000 deported in 2010; +/-10%")),
    ("deportations_mexico 2010 Central American share",
     Target("deportations_mexico 2010 Central American share", 0.93, 0.91, 0.95,
            "seed 000: 93% Central American; +/-2 points")),
    _us("MEX", 2010, 396820, 12), _us("GTM", 2010, 16830, 12), _us("HND", 2010, 12230, 12),
    _us("SLV", 2010, 13120, 12),
    _us("MEX", 2011, 280580, 13), _us("GTM", 2011, 17580, 13), _us("HND", 2011, 11270, 13),
    _us("SLV", 2011, 10370, 13),
])


def modelled(result: RunResult) -> dict[str, float]:
    cal, fy = result.by_year(), result.by_year(fiscal=True)
    out: dict[str, float] = {}
    for y in (2010, 2011):
        out[f"entries_mexico {y} Central America"] = sum(
            cal[str(y)]["entries_mexico"][n] for n in CA if n in result.nationalities)
    dep = cal["2010"]["deportations_mexico"]
    out["deportations_mexico 2010 total"] = dep["total"]
    out["deportations_mexico 2010 Central American share"] = round(
        sum(dep[n] for n in CA if n in result.nationalities) / max(dep["total"], 1), 4)
    for key in TARGETS:
        if key.startswith("apprehensions_us"):
            _, fyl, nat = key.split()
            out[key] = fy[fyl[2:]]["apprehensions_us"][nat]
    return out


def check_targets(result: RunResult) -> list[tuple[Target, float, bool]]:
    """Each target with the modelled value and whether it is within its range."""
    got = modelled(result)
    return [(t, got[k], t.low <= got[k] <= t.high) for k, t in TARGETS.items()]
