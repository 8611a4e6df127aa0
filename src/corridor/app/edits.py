"""A user's changes to a built-in scenario, as the page and the HTTP API take them.

One rule for both: :func:`edited_scenario` turns a built-in scenario and a set of
:class:`Edits` into the scenario mapping that is run (and saved beside the results as
``scenario.yaml``), and :func:`baseline_scenario` into the unchanged scenario over the same
period and seed, for comparisons on common random numbers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..errors import UserInputError
from ..scenario.loader import builtin_scenarios, load_scenario, scenario_from_dict

__all__ = ["Edits", "edited_scenario", "baseline_scenario", "APP_SOURCE"]

#: The source recorded for a parameter value set in the app.
APP_SOURCE = {"kind": "scenario", "note": "set in the web app"}


@dataclass(frozen=True)
class Edits:
    """``policies_off``: names of the scenario's policies switched off; ``windows``: new
    ``(start, end)`` of policies (ISO dates, end ``None``: until the end of the run);
    ``parameters``: parameter name -> value (a number or a mapping, as in a scenario file)."""

    start: str | None = None
    end: str | None = None
    seed: int | None = None
    policies_off: tuple[str, ...] = ()
    windows: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)


def _base(name: str) -> dict[str, Any]:
    if name not in builtin_scenarios():
        raise UserInputError(f"unknown scenario {name!r}", at="scenario",
                             expected="one of " + ", ".join(builtin_scenarios()))
    return load_scenario(name).canonical()


def _date(text: str, at: str) -> str:
    try:
        return dt.date.fromisoformat(str(text)).isoformat()
    except ValueError:
        raise UserInputError(f"{text!r} is not a date", at=at, expected="a date such as 2014-07-07") from None


def _period(data: dict[str, Any], edits: Edits) -> dict[str, Any]:
    data = dict(data)
    if edits.start:
        data["start"] = _date(edits.start, "start")
    if edits.end:
        data["end"] = _date(edits.end, "end")
    if edits.seed is not None:
        data["seed"] = int(edits.seed)
    return data


def baseline_scenario(name: str, edits: Edits) -> dict[str, Any]:
    """The built-in scenario ``name`` over the edited period and seed, nothing else changed."""
    data = _period(_base(name), edits)
    scenario_from_dict(data)                    # a bad period fails here, with its key
    return data


def edited_scenario(name: str, edits: Edits) -> dict[str, Any]:
    """The built-in scenario ``name`` with ``edits`` applied; validated (raises
    :class:`UserInputError` naming the key, as a scenario file would)."""
    data = _period(_base(name), edits)
    known = {p["name"] for p in data.get("policies", [])}
    for pname in (*edits.policies_off, *edits.windows):
        if pname not in known:
            raise UserInputError(f"the scenario has no policy {pname!r}", at="policies",
                                 expected="one of " + ", ".join(sorted(known)))
    policies = []
    for pol in data.get("policies", []):
        if pol["name"] in edits.policies_off:
            continue
        if pol["name"] in edits.windows:
            start, end = edits.windows[pol["name"]]
            pol = dict(pol, start=_date(start, f"policies.{pol['name']}.start"),
                       end=_date(end, f"policies.{pol['name']}.end") if end else None)
        policies.append(pol)
    data["policies"] = policies
    params = dict(data.get("parameters") or {})
    for pname, value in edits.parameters.items():
        params[pname] = {"value": value, "source": APP_SOURCE}
    data["parameters"] = params
    if edits.parameters or edits.policies_off or edits.windows:
        data["name"] = f"{data['name']} (edited)"
    sc = scenario_from_dict(data)
    from .. import packs

    pack = packs.for_scenario(sc)
    pack.evidence(sc)                     # parameter names and policy levers checked against the model
    pack.build(sc.with_scale(1e-3))       # and every value within its bounds (a world of a few agents: 0.2 s)
    return data
