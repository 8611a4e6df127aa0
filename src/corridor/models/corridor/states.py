"""Statuses, categories and agent columns of the corridor model."""

from __future__ import annotations

from enum import IntEnum

import numpy as np

__all__ = ["Status", "GROUPS", "DOCUMENTS", "OUTCOMES", "PERSON_COLUMNS", "FINAL", "WAITING", "normalised_cum"]


class Status(IntEnum):
    """Every agent is in exactly one status."""

    TRANSIT = 0          # on the way north: at a place between legs, or on a route
    WAITING_NORTH = 1    # in a Mexican border city, preparing to cross
    DETAINED_MX = 2      # held by Mexico's migration authority, awaiting deportation
    ASYLUM_MX = 3        # asylum applicant in Mexico, held in the state where they applied
    KIDNAPPED = 4        # held by criminals
    RETURNED_BY_MX = 5   # deported by Mexico, deciding whether to try again
    RETURNED_BY_US = 6   # returned or removed by the US, deciding whether to try again
    # final statuses (the agent leaves the simulation)
    IN_US = 7            # crossed into the US without being apprehended
    DEAD = 8
    GAVE_UP = 9          # stopped trying: went home or stayed where they were
    PROTECTED_MX = 10    # recognised as a refugee in Mexico and stayed
    # not final, added with the policy mechanisms
    WAITING_US_HEARING = 11  # asylum seeker sent back to a Mexican border city to wait ("stay in Mexico")


FINAL = (Status.IN_US, Status.DEAD, Status.GAVE_UP, Status.PROTECTED_MX)
#: Statuses counted as "waiting" (the waiting_south / waiting_north indicators).
WAITING = (Status.WAITING_NORTH, Status.ASYLUM_MX, Status.RETURNED_BY_MX, Status.RETURNED_BY_US,
           Status.WAITING_US_HEARING)

GROUPS = ("alone", "family", "unaccompanied_minor")
DOCUMENTS = ("none", "visitor_card", "transit_document", "visa", "asylum_receipt", "refugee")
OUTCOMES = ("robbery_extortion", "kidnapping", "death")

#: Who a person is and the state every mechanism shares, beside ``corridor.agents.BASE_COLUMNS``;
#: each mechanism declares the columns only it needs (see ``world.AGENT_COLUMNS``).
PERSON_COLUMNS: dict[str, tuple[str, int | float]] = {
    "uid": ("int64", -1),            # stable identity: keys the agent's random draws (see departures)
    "nationality": ("int8", 0),
    "origin": ("int16", -1),         # home location
    "group": ("int8", 0),            # index into GROUPS
    "documents": ("int8", 0),        # index into DOCUMENTS
    "caravan": ("int8", 0),          # 1 when travelling with a caravan
    "attempts": ("int16", 1),        # journeys started (1 = first)
    "timer": ("int16", 0),           # days left in a timed status (detention, waiting, ...)
}


def normalised_cum(prob: np.ndarray) -> np.ndarray:
    """Cumulative weights along the last axis, divided by their total (rows of zeros stay zero):
    what ``person.chosen`` compares a draw with."""
    cum = np.cumsum(prob, axis=-1)
    total = cum[..., -1:]
    return np.ascontiguousarray(np.divide(cum, total, out=np.zeros_like(cum), where=total > 0))
