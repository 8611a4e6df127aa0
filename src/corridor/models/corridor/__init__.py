"""The corridor model pack: Central America - Mexico - United States (see docs/model.md and
docs/architecture.md). One module per mechanism under ``mechanisms/``; the tables are derived
in ``world.py``; the compiled day is ``day.py``."""

from .model import (
    INDICATORS,
    PHASES,
    build_simulation,
    builtin_network_paths,
    default_parameters,
    parameter_axes,
    prune_defaults,
)
from .states import Status
from .warm import warm_up
from .world import LOCATION_VALUED, PARAM_SPECS

__all__ = ["INDICATORS", "LOCATION_VALUED", "PARAM_SPECS", "PHASES", "Status", "build_simulation",
           "builtin_network_paths", "default_parameters", "parameter_axes", "prune_defaults", "warm_up"]
