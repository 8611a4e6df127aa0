"""The Flee model pack: run scenarios written for Flee 3.1 on Corridor's engine.

A Flee scenario folder (``locations.csv``, ``routes.csv``, ``closures.csv``, ``conflicts.csv``,
``sim_period.csv``, the observed series and ``simsetting.yml``) is read and checked
(:func:`load_flee_scenario`), run with Flee's rules (:func:`run_flee`) and written with
Flee's ``out.csv`` beside Corridor's results (:func:`write_flee_run`). The averaged relative
difference against the observed data is :func:`ard_from_out_csv`. See docs/flee.md.

Modules: ``layout`` (where the files are), ``inputs`` (reading and checking the CSVs),
``observed`` (observed series), ``settings`` (simsetting.yml), ``closures``, ``spawning``
(conflict zones and new agents), ``routes`` (route choice), ``kernels`` (compiled moves),
``movement`` (daily processes), ``model`` (assembly), ``output`` (running, out.csv),
``metric`` (the validation metric), ``pack`` (what the commands see: corridor.packs).
"""

from .layout import FleeLayout, find_layout, is_flee_folder
from .metric import ARD, ard_from_out_csv, averaged_relative_difference
from .model import PHASES, FleeScenario, build_flee_simulation, load_flee_scenario
from .output import FleeRun, out_csv_text, run_flee, write_flee_run
from .settings import FleeSettings, load_settings

__all__ = ["ARD", "FleeLayout", "FleeRun", "FleeScenario", "FleeSettings", "PHASES", "ard_from_out_csv",
           "averaged_relative_difference", "build_flee_simulation", "find_layout", "is_flee_folder",
           "load_flee_scenario", "load_settings", "out_csv_text", "run_flee", "write_flee_run"]
