"""Declarations of every corridor-model parameter (values and sources: parameters.yaml)."""

from __future__ import annotations

from ...params import ParamSpec

__all__ = ["PARAM_SPECS", "LOCATION_VALUED"]

P = ParamSpec
INF = float("inf")

_SPECS = [
    # departures
    P("departures_per_year", ("nationality", "year"), 0, INF, "persons/year",
      "People leaving home for the first time in a year (full scale)."),
    P("departure_seasonality", ("nationality", "month"), 0, 12, "factor",
      "Monthly multiplier of the departure rate (mean 1 over a year)."),
    P("origin_share", ("nationality", "origin"), 0, 1, "share",
      "Share of a nationality's departures leaving from each origin location."),
    P("group_share", ("nationality", "group"), 0, 1, "share",
      "Share travelling alone, in a family, or as unaccompanied minors."),
    P("money_median_usd", ("nationality",), 0, INF, "USD", "Median money carried at departure."),
    P("money_sigma", (), 0, 5, "log-sd", "Spread (sd of log) of money at departure."),
    # transit
    P("daily_move_probability", ("zone",), 0, 1, "per day",
      "Chance that someone between legs sets off that day (the rest rest, work or wait)."),
    P("route_km_scale", (), 1, INF, "km",
      "Route choice: a detour of this many km makes a route e times less likely."),
    P("speed_km_per_day", ("mode",), 1, INF, "km/day", "Distance covered per day by mode."),
    P("mode_weight", ("mode",), 0, INF, "weight", "Relative preference among a route's modes."),
    P("mode_min_money_usd", ("mode",), 0, INF, "USD",
      "Money needed to use a mode (fares, smugglers); below it the mode is not chosen."),
    P("transit_stop_per_day", ("zone",), 0, 1, "per day",
      "Daily chance that someone in transit stops trying (settles or goes home)."),
    # enforcement in Mexico
    P("mx_detection_per_100km", ("region",), 0, INF, "per 100 km",
      "Hazard of detection by Mexican migration authorities per 100 km travelled, by state."),
    P("detection_mode_factor", ("mode",), 0, INF, "factor", "Detection hazard multiplier by mode."),
    P("detection_document_factor", ("documents",), 0, INF, "factor",
      "Detection hazard multiplier by documents held."),
    P("mx_detection_waiting_per_day", ("zone",), 0, 1, "per day",
      "Daily detection hazard for foreigners waiting in a place in Mexico."),
    P("detention_days", (), 0, 365, "days", "Days in detention before deportation."),
    P("deportation_share", (), 0, 1, "share", "Share of detentions ending in deportation."),
    P("deportation_destination", ("nationality",), 0, INF, "location",
      "Where Mexico returns deportees of each nationality."),
    P("retry_after_mx_deportation", ("nationality",), 0, 1, "probability",
      "Chance a deportee sets off again."),
    P("retry_wait_days_mx", (), 0, 3650, "days", "Days before a deportee sets off again."),
    # predation
    P("predation_per_100km", ("region",), 0, INF, "per 100 km",
      "Hazard of a crime against a migrant per 100 km travelled, by state."),
    P("predation_mode_factor", ("mode",), 0, INF, "factor", "Predation multiplier by mode."),
    P("predation_group_factor", ("group",), 0, INF, "factor", "Predation multiplier by group."),
    P("predation_document_factor", ("documents",), 0, INF, "factor",
      "Predation multiplier by documents held."),
    P("predation_nationality_factor", ("nationality",), 0, INF, "factor",
      "Predation multiplier by nationality (criminals target foreigners without papers)."),
    P("predation_caravan_factor", (), 0, INF, "factor",
      "Predation multiplier for people travelling with a caravan."),
    P("predation_waiting_per_day", ("zone",), 0, 1, "per day",
      "Daily hazard of a crime against someone waiting in a place."),
    P("predation_outcome_share", ("outcome",), 0, 1, "share",
      "Type of crime: robbery or extortion, kidnapping, killing."),
    P("robbery_loss_fraction", (), 0, 1, "share", "Share of money lost in a robbery."),
    P("kidnap_days", (), 0, 365, "days", "Days held by kidnappers."),
    P("kidnap_death_probability", (), 0, 1, "probability", "Chance a kidnapping ends in death."),
    # asylum in Mexico
    P("asylum_apply_probability", ("nationality",), 0, 1, "probability",
      "Chance of applying for asylum when at a place with an asylum office."),
    P("asylum_min_days", (), 0, 3650, "days", "Days before a decision can be made."),
    P("asylum_decisions_per_day", (), 0, INF, "decisions/day (full scale)",
      "Processing capacity of the asylum commission."),
    P("asylum_recognition_rate", ("nationality",), 0, 1, "share", "Share of decisions granting protection."),
    P("asylum_abandon_per_day", (), 0, 1, "per day", "Daily chance an applicant leaves the queue."),
    P("asylum_stay_after_grant", (), 0, 1, "share", "Share of recognised refugees who stay in Mexico."),
    # US border
    P("north_wait_days", (), 0, 3650, "days", "Days in a border city before a crossing attempt."),
    P("us_apprehension_probability", ("nationality",), 0, 1, "probability",
      "Chance that a crossing attempt ends in apprehension by the Border Patrol."),
    P("us_crossing_death_probability", (), 0, 1, "probability", "Chance of dying in a crossing attempt."),
    P("us_return_to_border_share", ("nationality",), 0, 1, "share",
      "Share of apprehended people returned to the Mexican border city (the rest are removed home)."),
    P("retry_after_us_return", ("nationality",), 0, 1, "probability",
      "Chance someone returned or removed by the US tries again."),
    P("retry_wait_days_us", ("nationality",), 0, 3650, "days",
      "Days before someone returned by the US tries again."),
]

PARAM_SPECS: dict[str, ParamSpec] = {s.name: s for s in _SPECS}

#: Parameters whose values are location ids (resolved to location indices).
LOCATION_VALUED = frozenset({"deportation_destination"})
