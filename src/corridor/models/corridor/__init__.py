"""The corridor model pack: Central America - Mexico - United States (see docs/model.md)."""

from .model import INDICATORS, PHASES, build_simulation, default_parameters
from .parameters import PARAM_SPECS
from .states import Status

__all__ = ["INDICATORS", "PARAM_SPECS", "PHASES", "Status", "build_simulation", "default_parameters"]
