"""A tiny corridor world for fast tests.

The world has two branches that meet in Veracruz before the northern border::

    huehuetenango (GTM origin) -60 km foot-> tecun_uman (border crossing)
        -30 km foot-> tapachula (asylum office, south_mx, Chiapas)
        -600 km bus/foot-> veracruz (transit_mx)
    morelia (MEX origin) -400 km bus-> veracruz
    veracruz -800 km bus-> reynosa (border_city_mx, north_mx) -18 km foot-> us_mcallen

Node ids and state names match the ones the default parameters (parameters.yaml,
fitted.yaml) refer to, so the defaults resolve on this network. Four unconnected origins
(quetzaltenango, guatemala_city, zacatecas, oaxaca_city) and tenosique (Tabasco) exist
only so that every key of the defaults is a key of this world; no one leaves from them.
(``test_params.py::test_defaults_resolve_on_a_custom_network`` checks the same thing on a
world whose ids do not match the defaults.)
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from corridor.scenario.loader import Scenario, scenario_from_dict

NODES_CSV = """\
id,name,country,admin1,lat,lon,kind,zone
huehuetenango,Huehuetenango,GTM,Huehuetenango,15.32,-91.47,origin,origin
quetzaltenango,Quetzaltenango,GTM,Quetzaltenango,14.84,-91.52,origin,origin
guatemala_city,Guatemala City,GTM,Guatemala,14.63,-90.51,origin,origin
morelia,Morelia,MEX,Michoacán,19.70,-101.19,origin,origin
zacatecas,Zacatecas,MEX,Zacatecas,22.77,-102.58,origin,origin
oaxaca_city,Oaxaca,MEX,Oaxaca,17.06,-96.72,origin,origin
tecun_uman,Tecun Uman,GTM,San Marcos,14.67,-92.14,border_crossing,abroad
tapachula,Tapachula,MEX,Chiapas,14.90,-92.26,asylum_office,south_mx
tenosique,Tenosique,MEX,Tabasco,17.47,-91.42,transit,south_mx
veracruz,Veracruz,MEX,Veracruz,19.18,-96.13,transit,transit_mx
reynosa,Reynosa,MEX,Tamaulipas,26.08,-98.29,border_city_mx,north_mx
us_mcallen,McAllen,USA,Texas,26.20,-98.23,us_sector,us
"""

ROUTES_CSV = """\
from,to,road_km,modes
huehuetenango,tecun_uman,60,foot
tecun_uman,tapachula,30,foot
tapachula,veracruz,600,bus;foot
morelia,veracruz,400,bus
veracruz,reynosa,800,bus
reynosa,us_mcallen,18,foot
"""

ORIGIN_SHARE = {
    "GTM": {"huehuetenango": 1, "quetzaltenango": 0, "guatemala_city": 0, "*": 0},
    "MEX": {"morelia": 1, "zacatecas": 0, "oaxaca_city": 0, "*": 0},
}

START = dt.date(2010, 1, 1)


def base_scenario(nodes: Path, routes: Path) -> dict[str, Any]:
    """The tiny scenario as a mapping (90 days, ~1,500 agents, no spin-up)."""
    return {
        "name": "tiny",
        "description": "tiny test world",
        "start": "2010-01-01",
        "end": "2010-03-31",
        "spin_up_days": 0,
        "seed": 7,
        "population_scale": 1.0,
        "network": {"nodes": str(nodes), "routes": str(routes)},
        "nationalities": ["GTM", "MEX"],
        "parameters": {
            "departures_per_year": {"GTM": 3000, "MEX": 3000},
            "origin_share": copy.deepcopy(ORIGIN_SHARE),
            "asylum_apply_probability": {"GTM": 0.3, "MEX": 0.0},
            "asylum_min_days": 10,
        },
        "policies": [],
    }


def write_network(folder: Path, nodes: str = NODES_CSV, routes: str = ROUTES_CSV) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    n, r = folder / "nodes.csv", folder / "routes.csv"
    n.write_text(nodes, encoding="utf-8")
    r.write_text(routes, encoding="utf-8")
    return n, r


def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def one_error_line(stderr: str, *words: str) -> None:
    """A user error: one line starting "error:" that names ``words``, and no traceback."""
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), stderr
    assert "Traceback" not in stderr
    for w in words:
        assert w in lines[0], stderr


def deep_update(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_update(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


@pytest.fixture(scope="session")
def world_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tiny_world")
    write_network(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_base(world_dir) -> dict[str, Any]:
    return base_scenario(world_dir / "nodes.csv", world_dir / "routes.csv")


@pytest.fixture
def tiny_dict(tiny_base) -> dict[str, Any]:
    """A fresh copy of the tiny scenario mapping (network paths absolute)."""
    return copy.deepcopy(tiny_base)


@pytest.fixture(scope="session")
def make_scenario(tiny_base, world_dir):
    """``make_scenario(**overrides)`` -> Scenario; nested dicts are merged into the base,
    other values replace (``parameters={"x": 1}`` adds/replaces parameter x)."""

    def make(over: dict[str, Any] | None = None, **kw: Any) -> Scenario:
        data = deep_update(tiny_base, {**(over or {}), **kw})
        return scenario_from_dict(data, path=world_dir / "tiny.yaml")

    return make


@pytest.fixture
def tiny_file(tiny_dict, tmp_path) -> Path:
    """The tiny scenario written as a YAML file (with its own copy of the network)."""
    write_network(tmp_path)
    data = copy.deepcopy(tiny_dict)
    data["network"] = {"nodes": "nodes.csv", "routes": "routes.csv"}
    return write_yaml(tmp_path / "tiny.yaml", data)


@pytest.fixture(scope="session")
def tiny_sim(make_scenario):
    """The tiny world, built and run once (read-only for tests)."""
    from corridor.models.corridor import build_simulation

    sim = build_simulation(make_scenario())
    sim.run()
    return sim


@pytest.fixture(scope="session")
def tiny_result(make_scenario):
    """``run_scenario`` on the tiny world, once (read-only for tests)."""
    from corridor import run_scenario

    return run_scenario(make_scenario())
