"""Fit the default corridor scenario's free parameters to the 2010-2011 targets.

What is fitted (written to src/corridor/models/corridor/fitted.yaml):
  * departures_per_year for MEX, GTM, HND, SLV, NIC (2009, 2010, 2011): to US Border Patrol
    southwest-border apprehensions by nationality, FY2010 and FY2011 (facts/01a rows 12-13);
  * departures_per_year for ECU: to the non-Central-American 7% of Mexico's 70,000
    deportations in 2010 (seed 000), carried in the model by Ecuadorians;
  * a common factor on mx_detection_per_100km: to 93% x 70,000 = 65,100 deportations of
    Central Americans by Mexico in 2010 (seed 000);
  * a common factor on transit_stop_per_day: to 250,000 entries into Mexico from Central
    America in 2010, the middle of "between 200,000 and 300,000" (seed 000);
  * a common factor on predation_per_100km: to 30% of people crossing Mexico being victims
    of a crime (REDODEM 2014, facts/08 row 30), measured as Central Americans'
    victimizations / entries into Mexico;
  * crossing_cost_km, for Mexicans and for everyone else, one value per Border Patrol sector
    (0 for the cheapest), for the border cities that cross into it: to the sectors' shares of
    south-west border apprehensions in FY2010 and FY2013 (facts/01c), the years of the most
    and the fewest Mexicans (89% and 64%, facts/01a). The shares are first split into the
    two groups' shares that best explain both years (sectors.group_targets; data only), the
    model is fitted to those: 16 free values for 16 independent shares. FY2013 is measured
    on the southern-border era from October 2011. FY2011 and FY2012 are kept apart to check
    the fit (scripts/validate.py).
The regional shape of detection and predation (relative values by state) is kept as set
in fitted.yaml's initial guess; only the level is fitted.

Method: fixed-point iteration. Each round runs the scenario (same seed, so rounds are
comparable), compares each indicator with its target and multiplies the parameter that
drives it by (target / model) ** damping; a sector's crossing cost moves by
route_km_scale x damping x log(model share / observed share) (the logit's own scale). The
indicators are close to proportional to their parameter, so a few rounds suffice. Run from the repository root:

    .venv/bin/python scripts/fit_default.py [--rounds 6] [--scale 0.25] [--seed 20100101]

then check at full scale with `corridor run` (docs/calibration.md shows the result).
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
from pathlib import Path

import numpy as np
import yaml

from corridor.models.corridor.sectors import (
    apprehensions_by_sector,
    border_city_sectors,
    group_targets,
    observed_shares,
    pooled,
    shares,
)
from corridor.results.run import run_to_end
from corridor.scenario.loader import load_scenario, scenario_from_dict

ROOT = Path(__file__).resolve().parents[1]
FITTED = ROOT / "src" / "corridor" / "models" / "corridor" / "fitted.yaml"
PARAMETERS = FITTED.with_name("parameters.yaml")
REPORT = ROOT / "docs" / "calibration_report.json"

US_TARGETS = {  # facts/01a_us_usbp_encounters_by_fy_and_nationality.csv rows 12 (FY2010), 13 (FY2011)
    "MEX": {2010: 396820, 2011: 280580},
    "GTM": {2010: 16830, 2011: 17580},
    "HND": {2010: 12230, 2011: 11270},
    "SLV": {2010: 13120, 2011: 10370},
    "NIC": {2010: 760, 2011: 520},
}
CA = ("GTM", "HND", "SLV", "NIC")
DEPORTATIONS_2010 = 70000          # seed 000
CA_SHARE = 0.93                    # seed 000
ENTRIES_CA_2010 = 250000           # seed 000: between 200,000 and 300,000
VICTIM_RATE = 0.30                 # facts/08 row 30 (REDODEM 2014)
SECTOR_YEARS = (2010, 2013)        # facts/01c: the fiscal years whose sector shares are fitted
GROUPS = {"MEX": ("MEX",), "*": ("GTM", "HND", "SLV", "NIC", "ECU")}    # crossing costs by group


def variant(name: str | None, params: dict, scale: float, seed: int, **window) -> dict:
    data = copy.deepcopy(load_scenario(name).canonical())
    data.update(population_scale=scale, seed=seed, **window)
    for key, value in params.items():
        old = data["parameters"].get(key, {}).get("value")
        # a scenario may add keys the fit does not hold (the history's Haitians and Venezuelans)
        merged = {**old, **value} if isinstance(old, dict) and isinstance(value, dict) else value
        data["parameters"][key] = {"value": merged}
    return scenario_from_dict(data)


def group_sectors(runs) -> dict[str, dict[str, float]]:
    """Each group's apprehensions by sector, pooled over the fitted years (from whichever run
    covers each), as shares."""
    out = {}
    for group, nats in GROUPS.items():
        per_year = {}
        for done in runs:
            per_year.update(apprehensions_by_sector(done.result, done.simulation.network, nats))
        out[group] = shares(pooled(per_year, SECTOR_YEARS))
    return out


def measure(params: dict, scale: float, seed: int) -> dict:
    done = run_to_end(variant(None, params, scale, seed))
    # FY2013 (and FY2012): the southern-border era from the first day of FY2012
    later = run_to_end(variant("southern-border-2013-2016", params, scale, seed, start="2011-10-01",
                               end="2013-09-30"))
    result, net = done.result, done.simulation.network
    cal, fy = result.by_year(), result.by_year(fiscal=True)
    per_year = {**apprehensions_by_sector(result, net), **apprehensions_by_sector(later.result, net)}
    return {
        "sectors": {y: shares(v) for y, v in per_year.items()},
        "groups": group_sectors((done, later)),
        "sector_cities": border_city_sectors(net),
        "us": {n: {y: fy[str(y)]["apprehensions_us"][n] for y in (2010, 2011)} for n in US_TARGETS},
        "dep_ca": sum(cal["2010"]["deportations_mexico"][n] for n in CA),
        "dep_ecu": cal["2010"]["deportations_mexico"]["ECU"],
        "dep_total": cal["2010"]["deportations_mexico"]["total"],
        "dep_total_2011": cal["2011"]["deportations_mexico"]["total"],
        "entries_ca": sum(cal["2010"]["entries_mexico"][n] for n in CA),
        "entries_ca_2011": sum(cal["2011"]["entries_mexico"][n] for n in CA),
        "victims": sum(cal["2010"]["victimizations"][n] for n in CA),
        "entries_all": sum(cal["2010"]["entries_mexico"][n] for n in CA),
        "seconds": result.meta["run_seconds"],
    }


def scaled(mapping: dict, factor: float, digits: int = 4) -> dict:
    return {k: float(f"{v * factor:.{digits}g}") for k, v in mapping.items()}


def sector_costs(current, m: dict, damping: float) -> dict:
    """One round of the crossing costs, group by group: each sector's moves by route_km_scale x
    damping x log(model / target share), then all shift so that the cheapest is 0."""
    targets = group_targets(SECTOR_YEARS)
    scale = float(yaml.safe_load(PARAMETERS.read_text())["route_km_scale"]["value"])
    out = {}
    for group, target in targets.items():
        now = current.get(group, {}) if isinstance(current, dict) else {}
        cost = {}
        for sector, cities in m["sector_cities"].items():
            ratio = max(m["groups"][group][sector], 1e-4) / target[sector]
            cost[sector] = float(now.get(cities[0], 0.0)) + damping * scale * float(np.log(ratio))
        low = min(cost.values())
        out[group] = {**{city: round(cost[sector] - low, 1) for sector, cities in m["sector_cities"].items()
                         for city in cities}, "*": 0.0}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--scale", type=float, default=0.25, help="population scale while fitting")
    ap.add_argument("--seed", type=int, default=20100101)
    ap.add_argument("--damping", type=float, default=0.9)
    args = ap.parse_args()

    fitted = yaml.safe_load(FITTED.read_text())
    params = {k: v["value"] for k, v in fitted.items()}
    history = []
    for rnd in range(1, args.rounds + 1):
        m = measure(params, args.scale, args.seed)
        history.append(m)
        worst = max(abs(m["us"][n][y] / US_TARGETS[n][y] - 1) for n in US_TARGETS for y in (2010, 2011))
        for y in SECTOR_YEARS:
            obs = observed_shares(y)
            gap = max(abs(m["sectors"][y][k] - obs[k]) for k in obs)
            print(f"round {rnd}: FY{y} worst sector share gap {gap:.1%} ("
                  + ", ".join(f"{k} {m['sectors'][y][k]:.0%}/{obs[k]:.0%}" for k in sorted(obs)) + ")", flush=True)
        print(f"round {rnd}: worst US apprehension error {worst:.1%}; CA deportations "
              f"{m['dep_ca']:,} (target {CA_SHARE * DEPORTATIONS_2010:,.0f}); ECU deportations "
              f"{m['dep_ecu']:,}; CA entries {m['entries_ca']:,}; victims/entries "
              f"{m['victims'] / max(m['entries_all'], 1):.2f}; {m['seconds']:.1f} s", flush=True)
        d = args.damping
        dep = params["departures_per_year"]
        for n, t in US_TARGETS.items():
            r10 = (t[2010] / max(m["us"][n][2010], 1)) ** d
            r11 = (t[2011] / max(m["us"][n][2011], 1)) ** d
            years = {int(y): v for y, v in dep[n].items()}
            v09 = years.get(2009, next(iter(years.values())))
            v10 = years.get(2010, v09)
            v11 = years.get(2011, v10)
            dep[n] = {2009: round(v09 * r10, -1), 2010: round(v10 * (0.75 * r10 + 0.25 * r11), -1),
                      2011: round(v11 * r11, -1)}
        r_ecu = ((1 - CA_SHARE) * DEPORTATIONS_2010 / max(m["dep_ecu"], 1)) ** d
        dep["ECU"] = {y: round(v * r_ecu, -1) for y, v in dep["ECU"].items()}
        params["mx_detection_per_100km"] = scaled(
            params["mx_detection_per_100km"], (CA_SHARE * DEPORTATIONS_2010 / max(m["dep_ca"], 1)) ** d)
        params["transit_stop_per_day"] = scaled(
            params["transit_stop_per_day"], (ENTRIES_CA_2010 / max(m["entries_ca"], 1)) ** d)
        params["predation_per_100km"] = scaled(
            params["predation_per_100km"], (VICTIM_RATE * m["entries_all"] / max(m["victims"], 1)) ** d)
        params["crossing_cost_km"] = sector_costs(params.get("crossing_cost_km", {}), m, d)

    stamp = dt.date.today().isoformat()
    targets = {
        "departures_per_year": "USBP SWB apprehensions FY2010-FY2011 by nationality (facts/01a rows 12-13); "
                               "ECU: 7% of 70,000 deportations by Mexico in 2010 (seed 000)",
        "mx_detection_per_100km": "93% of 70,000 deportations by Mexico in 2010 are Central American (seed 000); "
                                  "regional shape: Chiapas highest (44.2% of 2011 detentions, facts/02 row 6)",
        "transit_stop_per_day": "250,000 entries into Mexico from Central America in 2010 "
                                "(seed 000: between 200,000 and 300,000)",
        "predation_per_100km": "30% of migrants crossing Mexico victims of a crime (REDODEM 2014, facts/08 "
                               "row 30); regional shape: CNDH 2010 southeast/north shares (facts/08 row 26)",
        "crossing_cost_km": "Border Patrol sectors' shares of south-west border apprehensions, FY2010 and "
                            "FY2013 (facts/01c), split into Mexicans' and others' shares with the share of "
                            "Mexicans (facts/01a); one value per sector and group, shared by the border "
                            "cities crossing into it; FY2011-FY2012 are checks, not fitted (scripts/validate.py)",
    }
    out = {}
    for name, note in targets.items():
        out[name] = {"unit": fitted.get(name, {}).get("unit", ""), "value": params[name],
                     "source": {"kind": "fitted",
                                "ref": f"scripts/fit_default.py ({args.rounds} rounds, scale {args.scale}, "
                                       f"seed {args.seed}, {stamp})",
                                "note": "targets: " + note}}
    header = ("# Fitted parameters of the corridor model, written by scripts/fit_default.py (do not edit by\n"
              "# hand: re-run the script). Targets are in each source note and in docs/calibration.md.\n")
    FITTED.write_text(header + yaml.safe_dump(out, sort_keys=False, allow_unicode=True, width=100))
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(json.dumps({"rounds": history, "targets": {
        "us_apprehensions": US_TARGETS, "deportations_2010": DEPORTATIONS_2010, "ca_share": CA_SHARE,
        "entries_ca_2010": ENTRIES_CA_2010, "victim_rate": VICTIM_RATE}}, indent=1, default=str))
    print(f"wrote {FITTED.relative_to(ROOT)} and {REPORT.relative_to(ROOT)}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
