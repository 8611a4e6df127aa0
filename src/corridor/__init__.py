"""Corridor: agent-based simulation of migration through corridors of places under policies.

The public API::

    from corridor import load_scenario, run_scenario, write_run
    result = run_scenario(load_scenario())          # the built-in 2010-2011 corridor
    write_run(result, "out/")                         # Parquet, summary.json, plots, registry
"""

__version__ = "0.1.0"

from . import kernel_cache  # noqa: E402  (before any compiled kernel is defined)

kernel_cache.install()

from .errors import CorridorError, DataError, ScenarioError, UserInputError  # noqa: E402
from .results.run import RunResult, run_scenario  # noqa: E402
from .results.store import write_run  # noqa: E402
from .scenario.loader import Scenario, builtin_scenarios, load_scenario  # noqa: E402

__all__ = [
    "CorridorError", "DataError", "RunResult", "Scenario", "ScenarioError", "UserInputError",
    "__version__", "builtin_scenarios", "load_scenario", "run_scenario", "write_run",
]
