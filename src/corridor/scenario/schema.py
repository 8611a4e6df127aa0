"""The scenario file format, as frozen pydantic models that reject unknown keys.

A scenario is YAML. ``corridor schema`` prints the JSON Schema of
:class:`ScenarioFile`. See docs/scenarios.md for a worked example.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from ..params import Source

__all__ = ["ScenarioFile", "PolicySpec", "ParamOverride", "NetworkFiles", "FreeParameter"]

_STRICT = ConfigDict(extra="forbid", frozen=True)


#: Years a scenario date may fall in (the model's facts start in 2000; a run far outside
#: this range is a typo, and year 1 cannot even take a spin-up before it).
FIRST_YEAR, LAST_YEAR = 1900, 2200
#: Longest run, spin-up included: days in a status are counted in 16 bits (32,767 days).
MAX_RUN_DAYS = 30_000


def _written_as_date(v: Any) -> Any:
    # pydantic reads numbers, and strings of digits such as "0", as Unix timestamps; a scenario
    # date must be written as a date
    if isinstance(v, bool | int | float) or (isinstance(v, str) and not _ISO_DATE.fullmatch(v.strip())):
        raise ValueError(f"{v!r} is not a date (write it as YYYY-MM-DD)")
    return v.strip() if isinstance(v, str) else v


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def outside_years(day: dt.date) -> str | None:
    """Why ``day`` cannot be a date of a run, or None (the one rule, for scenarios and Flee folders)."""
    return None if FIRST_YEAR <= day.year <= LAST_YEAR else f"{day} is outside the years {FIRST_YEAR} to {LAST_YEAR}"


def _in_range(v: dt.date) -> dt.date:
    problem = outside_years(v)
    if problem:
        raise ValueError(problem)
    return v


#: A calendar date written as a date (YYYY-MM-DD), never a number, in FIRST_YEAR..LAST_YEAR.
Date = Annotated[dt.date, BeforeValidator(_written_as_date), AfterValidator(_in_range)]
#: The last day of a lever: any real date (``9999-12-31`` for "for good"; clipped to the run).
LastDay = Annotated[dt.date, BeforeValidator(_written_as_date)]


class ParamOverride(BaseModel):
    """A parameter value with its source. In a scenario a bare value is allowed too
    (its source is then recorded as the scenario file)."""

    model_config = _STRICT
    value: Any = Field(description="A number, or a mapping over the parameter's dimension keys "
                                   '("*" for every key not listed).')
    unit: str = ""
    source: Source | None = None


class NetworkFiles(BaseModel):
    """Places and routes; relative paths are relative to the scenario file."""

    model_config = _STRICT
    nodes: str = Field(description="CSV of locations (id, name, country, admin1, lat, lon, kind, zone)")
    routes: str = Field(description="CSV of directed routes (from, to, road_km, modes[, min_days])")


class PolicySpec(BaseModel):
    """A time-windowed lever: while ``start <= day <= end`` it scales or sets named
    parameters and closes routes or locations."""

    model_config = _STRICT
    name: str = Field(min_length=1)
    description: str = ""
    start: Date
    end: LastDay | None = Field(default=None, description="last day in force (inclusive); "
                                                          "none = until the end of the run")
    scale: dict[str, Any] = Field(default_factory=dict,
                                  description="parameter -> factor (number or mapping over keys)")
    set: dict[str, Any] = Field(default_factory=dict,
                                description="parameter -> new value (number or mapping over keys)")
    close_routes: list[str] = Field(default_factory=list, description='routes as "from->to"')
    close_locations: list[str] = Field(default_factory=list, description="location ids")
    source: Source | None = None

    @model_validator(mode="after")
    def _window(self) -> PolicySpec:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self

    @field_validator("close_routes")
    @classmethod
    def _arrow(cls, v: list[str]) -> list[str]:
        for r in v:
            if r.count("->") != 1 or not all(p.strip() for p in r.split("->")):
                raise ValueError(f'route {r!r} is not of the form "from->to"')
        return v


class FreeParameter(BaseModel):
    """A parameter left free for ``corridor calibrate`` and ``corridor sensitivity`` (docs/ensembles.md).

    ``mode: set``: the sampled value replaces the value at ``key``; ``mode: scale``: it
    multiplies every value under ``key`` (a common factor). No ``key``: the whole parameter.
    """

    model_config = _STRICT
    parameter: str | None = Field(default=None, min_length=1,
                                  description="parameter name (default: the entry's name)")
    key: str | int | list[str | int] | None = Field(
        default=None, description='key path into the value, e.g. "MEX" or "MEX.2010" (or a list)')
    mode: Literal["set", "scale"] = "set"
    low: float = Field(description="lower bound")
    high: float = Field(description="upper bound")
    prior: Literal["uniform", "log-uniform"] = "uniform"

    @field_validator("low", "high", mode="before")
    @classmethod
    def _number(cls, v: Any) -> Any:
        if isinstance(v, bool):
            raise ValueError(f"{v!r} is a yes/no value, not a number")
        return v

    @model_validator(mode="after")
    def _bounds(self) -> FreeParameter:
        if not (math.isfinite(self.low) and math.isfinite(self.high)) or self.low >= self.high:
            raise ValueError(f"bounds [{self.low}, {self.high}] are not finite with low < high")
        if self.prior == "log-uniform" and self.low <= 0:
            raise ValueError("a log-uniform prior needs low > 0")
        return self


#: Largest population_scale: up to a hundred agents a person.
MAX_POPULATION_SCALE = 100.0
#: Smallest: one agent for a million people (below it every count of the corridor is zero).
MIN_POPULATION_SCALE = 1e-6


class ScenarioFile(BaseModel):
    """One scenario: a period, a network, nationalities, parameters and policies."""

    model_config = _STRICT
    name: str = Field(min_length=1, max_length=200,
                      description="a name for reports and default output folders, on one line")
    description: str = ""
    model: str = Field(default="corridor", description="the model pack that runs the scenario "
                                                       "(a name registered in corridor.packs)")
    start: Date = Field(description="first reported day")
    end: Date = Field(description="last reported day (inclusive)")
    spin_up_days: int = Field(default=0, ge=0, le=3650,
                              description="days simulated before start (not reported) so the "
                                          "corridor is filled when reporting begins")
    seed: int = Field(default=0, ge=0, lt=2**63, description="root random seed (the CLI's --seed overrides)")
    population_scale: float = Field(default=1.0, ge=MIN_POPULATION_SCALE, le=MAX_POPULATION_SCALE,
                                    description="agents simulated per person: below 1 a sample, "
                                                "above 1 several agents a person (less sampling "
                                                "noise); indicators are scaled back to full size")
    network: NetworkFiles | None = Field(default=None, description="default: the built-in corridor")
    nationalities: list[str] = Field(default_factory=list, min_length=1,
                                     description="ISO 3166-1 alpha-3 codes of the people modelled")
    parameters: dict[str, ParamOverride] = Field(default_factory=dict)
    policies: list[PolicySpec] = Field(default_factory=list)
    free_parameters: dict[str, FreeParameter] = Field(
        default_factory=dict, exclude_if=lambda v: not v,   # absent when empty: scenario hashes unchanged
        description="parameters left free for calibration and sensitivity analysis, by name")

    @field_validator("name")
    @classmethod
    def _plain_name(cls, v: str) -> str:
        # free text (default output folders take a safe form of it), but one line
        if re.search(r"[\x00-\x1f\x7f]", v):
            raise ValueError(f"{v!r} holds a control character (a line break, a tab)")
        return v

    @field_validator("seed", "spin_up_days", "population_scale", mode="before")
    @classmethod
    def _no_bool(cls, v: Any) -> Any:
        # YAML reads yes/no/true as booleans, which pydantic would turn into 1/0
        if isinstance(v, bool):
            raise ValueError(f"{v!r} is a yes/no value, not a number")
        return v

    @field_validator("parameters", mode="before")
    @classmethod
    def _bare_values(cls, v: Any) -> Any:
        # ``x: 0.3`` or ``x: {GTM: 0.3}`` is shorthand for ``x: {value: ...}``
        if isinstance(v, dict):
            return {k: (p if isinstance(p, dict) and "value" in p else {"value": p})
                    for k, p in v.items()}
        return v

    @field_validator("model")
    @classmethod
    def _registered(cls, v: str) -> str:
        from .. import packs

        if v not in packs.names():
            raise ValueError(f"unknown model {v!r} (expected one of {', '.join(packs.names())})")
        return v

    @field_validator("nationalities")
    @classmethod
    def _iso(cls, v: list[str]) -> list[str]:
        from ..countries import COUNTRY_CODE_RULE, is_country_code

        for code in v:
            if not is_country_code(code):
                raise ValueError(f"{code!r} is not a country code (expected {COUNTRY_CODE_RULE})")
        if len(set(v)) != len(v):
            raise ValueError("nationalities repeat")
        return v

    @model_validator(mode="after")
    def _period(self) -> ScenarioFile:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        days = (self.end - self.start).days + 1 + self.spin_up_days
        if days > MAX_RUN_DAYS:
            raise ValueError(f"the run spans {days:,} days with its spin-up, more than the {MAX_RUN_DAYS:,} "
                             "a run may span (about 82 years)")
        names = [p.name for p in self.policies]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"policy names repeat: {', '.join(sorted(dup))}")
        return self
