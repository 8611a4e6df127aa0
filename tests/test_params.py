"""Parameter resolution: scalars, mappings, "*" defaults, nested dimensions, years, errors."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import write_network

from corridor.errors import ScenarioError
from corridor.params import ParamError, ParamSpec, resolve

AXES = {
    "nationality": ("GTM", "HND", "MEX"),
    "mode": ("foot", "bus"),
    "year": (2009, 2010, 2011, 2012),
}


def test_scalar_without_dims():
    arr = resolve(ParamSpec("x"), 2.5, AXES)
    assert arr.shape == () and float(arr) == 2.5


def test_scalar_broadcast_over_dims():
    arr = resolve(ParamSpec("x", ("nationality", "mode")), 0.5, AXES)
    assert arr.shape == (3, 2) and (arr == 0.5).all()


def test_mapping_in_axis_order():
    arr = resolve(ParamSpec("x", ("nationality",)), {"MEX": 3, "GTM": 1, "HND": 2}, AXES)
    assert arr.tolist() == [1.0, 2.0, 3.0]


def test_star_default():
    arr = resolve(ParamSpec("x", ("nationality",)), {"HND": 0.9, "*": 0.1}, AXES)
    assert arr.tolist() == [0.1, 0.9, 0.1]


def test_nested_dims():
    spec = ParamSpec("x", ("nationality", "mode"))
    arr = resolve(spec, {"GTM": {"foot": 1, "bus": 2}, "*": {"foot": 5, "*": 6}}, AXES)
    assert arr.tolist() == [[1, 2], [5, 6], [5, 6]]
    # a plain number for the inner dimension
    arr = resolve(spec, {"GTM": 3, "*": {"bus": 1, "*": 0}}, AXES)
    assert arr.tolist() == [[3, 3], [0, 1], [0, 1]]


def test_year_is_piecewise_constant():
    spec = ParamSpec("x", ("year",))
    assert resolve(spec, {2010: 5, 2012: 7}, AXES).tolist() == [5, 5, 5, 7]   # before: first
    assert resolve(spec, {"2009": 1, "2011": 3}, AXES).tolist() == [1, 1, 3, 3]
    assert resolve(spec, 4, AXES).tolist() == [4, 4, 4, 4]
    spec2 = ParamSpec("x", ("nationality", "year"))
    arr = resolve(spec2, {"MEX": {2010: 100, 2011: 50}, "*": 1}, AXES)
    assert arr.tolist() == [[1] * 4, [1] * 4, [100, 100, 50, 50]]


def test_year_key_must_be_a_year():
    with pytest.raises(ParamError) as exc:
        resolve(ParamSpec("x", ("year",)), {"soon": 1}, AXES, path="parameters.x.value")
    assert exc.value.at == "parameters.x.value.soon"


def test_unknown_key_error_has_the_key_path():
    with pytest.raises(ParamError) as exc:
        resolve(ParamSpec("x", ("nationality", "mode")), {"GTM": {"fly": 1}, "*": 0}, AXES,
                path="parameters.x.value")
    assert exc.value.at == "parameters.x.value.GTM.fly"
    assert "fly" in exc.value.message and "foot" in exc.value.expected


def test_out_of_bounds():
    spec = ParamSpec("p", ("nationality",), 0, 1)
    with pytest.raises(ParamError) as exc:
        resolve(spec, {"MEX": 1.5, "*": 0.2}, AXES, path="parameters.p.value")
    assert "1.5" in exc.value.message and exc.value.at == "parameters.p.value"
    with pytest.raises(ParamError):
        resolve(spec, -0.1, AXES)
    # bounds are inclusive
    assert resolve(spec, 1.0, AXES).tolist() == [1.0, 1.0, 1.0]


def test_missing_key():
    with pytest.raises(ParamError) as exc:
        resolve(ParamSpec("x", ("nationality",)), {"GTM": 1}, AXES, path="parameters.x.value")
    assert "HND" in exc.value.message and "MEX" in exc.value.message


def test_missing_key_is_nan_when_bounds_are_not_checked():
    arr = resolve(ParamSpec("x", ("nationality",)), {"GTM": 2}, AXES, fill=1.0, check_bounds=False)
    assert arr.tolist() == [2.0, 1.0, 1.0]


@pytest.mark.parametrize("bad", ["high", True, None, [1, 2]])
def test_not_a_number(bad):
    with pytest.raises(ParamError):
        resolve(ParamSpec("x"), bad, AXES)


def test_unknown_dimension():
    with pytest.raises(ParamError):
        resolve(ParamSpec("x", ("planet",)), 1, AXES)


# --- through a scenario --------------------------------------------------------------

def test_scenario_override_reaches_the_arrays(make_scenario):
    from corridor.models.corridor import build_simulation

    sim = build_simulation(make_scenario(parameters={
        "us_apprehension_probability": {"MEX": 0.9, "*": 0.1},
        "speed_km_per_day": {"foot": 25},            # merged with the defaults
    }))
    sim.step(0)
    assert np.asarray(sim.params.us_apprehension_probability).tolist() == [0.1, 0.9]
    speed = np.asarray(sim.params.speed_km_per_day)
    assert speed[0] == 25 and speed[1] == 500          # bus keeps its default


def test_scenario_unknown_region_key(make_scenario):
    from corridor.models.corridor import build_simulation

    with pytest.raises(ScenarioError) as exc:
        build_simulation(make_scenario(parameters={"mx_detection_per_100km": {"Atlantis": 1}}))
    assert "parameters.mx_detection_per_100km.value.Atlantis" in str(exc.value)
    assert "tiny.yaml" in str(exc.value)


CUSTOM_NODES = """\
id,name,country,admin1,lat,lon,kind,zone
o_gtm,Origin GTM,GTM,Alta,15.3,-91.5,origin,origin
o_mex,Origin MEX,MEX,Centro,19.7,-101.2,origin,origin
bx,Border X,GTM,Baja,14.7,-92.1,border_crossing,abroad
sur,Sur,MEX,Sureste,14.9,-92.3,asylum_office,south_mx
mid,Mid,MEX,Golfo,16.5,-95.0,transit,transit_mx
bc,Border City,MEX,Norte,26.0,-98.3,border_city_mx,north_mx
us_x,US sector,USA,Texas,26.2,-98.2,us_sector,us
"""
CUSTOM_ROUTES = """\
from,to,road_km,modes
o_gtm,bx,60,foot
bx,sur,30,foot
sur,mid,300,bus;foot
mid,bc,500,bus
o_mex,mid,200,bus
bc,us_x,10,foot
"""


def test_defaults_resolve_on_a_custom_network(tmp_path):
    """A world whose place ids and state names differ from the built-in corridor.

    The scenario gives origin_share and deportation_destination in full for its two
    nationalities ("*" covering the rest); every other parameter comes from the defaults,
    whose region-keyed values (Chiapas, Tabasco, ...) have a "*" for all other states.
    The run must build: default keys that are not places of this world should not
    make a complete scenario value fail.
    """
    from corridor.models.corridor import build_simulation
    from corridor.scenario.loader import scenario_from_dict

    n, r = write_network(tmp_path, CUSTOM_NODES, CUSTOM_ROUTES)
    sc = scenario_from_dict({
        "name": "custom", "start": "2010-01-01", "end": "2010-01-31",
        "network": {"nodes": str(n), "routes": str(r)}, "nationalities": ["GTM", "MEX"],
        "parameters": {
            "departures_per_year": {"GTM": 1000, "MEX": 1000},
            "origin_share": {"GTM": {"o_gtm": 1, "*": 0}, "MEX": {"o_mex": 1, "*": 0}},
            "deportation_destination": {"GTM": "bx", "*": "bx"},
        }}, path=tmp_path / "custom.yaml")
    sim = build_simulation(sc)
    sim.run()
    origins = {sim.network.ids[i] for i in np.unique(sim.agents.origin)}
    assert origins <= {"o_gtm", "o_mex"} and sim.agents.n > 0
    # states without a value of their own take the "*" default of the defaults files
    from corridor.models.corridor import default_parameters

    star = default_parameters()["mx_detection_per_100km"].value["*"]
    det = np.asarray(sim.params.mx_detection_per_100km)
    assert np.allclose(det, star)
