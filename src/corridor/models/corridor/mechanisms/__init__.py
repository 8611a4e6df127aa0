"""The corridor model's mechanisms, in the day's phase order.

Each module declares what it owns (parameters, agent columns, indicators, random streams,
derived arrays) and states its rule once; :mod:`..world` derives the model's tables from
:data:`MECHANISMS`, and :mod:`..day` runs the per-person rules fused, in this order, then the
coupled steps (see docs/architecture.md); the calendar then puts each person to sleep until
their next event.
"""

from __future__ import annotations

from . import asylum, border, calendar, departures, enforcement, movement, predation, record, us_interior

__all__ = ["MECHANISMS", "PHASES"]

MECHANISMS = (departures.MECHANISM, movement.MECHANISM, enforcement.MECHANISM, predation.MECHANISM,
              asylum.MECHANISM, border.MECHANISM, us_interior.MECHANISM, record.MECHANISM, calendar.MECHANISM)

#: The daily phase order (the engine sets the levers in force first).
PHASES = ("policies", *(m.name for m in MECHANISMS))
