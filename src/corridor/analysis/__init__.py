"""Analyses over many runs: ensembles, calibration and global sensitivity (docs/ensembles.md).

::

    from corridor import load_scenario
    from corridor.analysis import run_ensemble, calibrate, load_targets, sensitivity, outputs_for

    sc = load_scenario("my.yaml")
    run_ensemble(sc, 20, "runs/ens")                       # bands by day, month and year
    fit = calibrate(sc, load_targets("targets.csv", sc))    # Optuna over free_parameters
    sa = sensitivity(sc, outputs_for(sc), method="morris")  # SALib indices

Every analysis runs on this machine's cores by default, or on a Dask cluster
(``scheduler="tcp://host:8786"``), with the same numbers either way.
"""

from .backend import open_executor
from .calibrate import CalibrationResult, calibrate, load_targets, write_calibration
from .ensemble import EnsembleResult, run_ensemble
from .free_parameters import FreeParam, FreeParameters
from .sensitivity import SensitivityResult, outputs_for, sensitivity, write_sensitivity
from .series import Quantity, Series, series_of
from .targets_file import Target, read_targets

__all__ = [
    "CalibrationResult", "EnsembleResult", "FreeParam", "FreeParameters", "Quantity", "SensitivityResult",
    "Series", "Target", "calibrate", "load_targets", "open_executor", "outputs_for", "read_targets",
    "run_ensemble", "sensitivity", "series_of", "write_calibration", "write_sensitivity",
]
