"""Per-day indicator counts by nationality and location.

The :class:`Recorder` holds one dense array ``[day, indicator, nationality, location]``
of counts (int32). Processes call :meth:`Recorder.count` with the agents concerned;
stocks (people waiting, in transit) are taken once a day with :meth:`Recorder.stock`.
Days before the reporting start (spin-up) are not recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = ["Indicator", "Recorder"]


@dataclass(frozen=True)
class Indicator:
    name: str
    kind: Literal["flow", "stock"]   # flow: events per day (annual = sum); stock: people (annual = mean)
    doc: str


class Recorder:
    def __init__(self, indicators: Sequence[Indicator], n_days: int, n_nationalities: int,
                 n_locations: int, first_tick: int) -> None:
        self.indicators = tuple(indicators)
        self._index = {ind.name: i for i, ind in enumerate(self.indicators)}
        self.first_tick = first_tick
        self.n_nat, self.n_loc = n_nationalities, n_locations
        self.data = np.zeros((n_days, len(self.indicators), n_nationalities, n_locations), dtype=np.int32)
        self._tick = 0
        self.route_days = np.zeros((n_days, 0), dtype=np.int64)   # traversals per reported day and route
        self.route_scratch = np.zeros(0, dtype=np.int64)           # the traversals of a day not reported

    def track_routes(self, n_routes: int) -> None:
        self.route_days = np.zeros((self.data.shape[0], n_routes), dtype=np.int64)
        self.route_scratch = np.zeros(n_routes, dtype=np.int64)

    @property
    def route_flows(self) -> np.ndarray:
        """Traversals per route over the reported days (spin-up days not counted)."""
        return self.route_days.sum(axis=0, dtype=np.int64)

    def set_tick(self, tick: int) -> None:
        self._tick = tick

    def _slab(self, name: str) -> np.ndarray | None:
        day = self._tick - self.first_tick
        if day < 0:
            return None
        return self.data[day, self._index[name]]

    def count(self, name: str, nationality: np.ndarray, location: np.ndarray) -> None:
        """Add one event of ``name`` per agent (arrays of nationality and location codes)."""
        slab = self._slab(name)
        if slab is None or nationality.size == 0:
            return
        flat = nationality.astype(np.int64) * self.n_loc + location.astype(np.int64)
        slab += np.bincount(flat, minlength=self.n_nat * self.n_loc).reshape(slab.shape).astype(np.int32)

    stock = count  # a stock is counted the same way, once a day, over the people in it

    def total(self, name: str) -> int:
        return int(self.data[:, self._index[name]].sum())
