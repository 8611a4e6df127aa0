"""Agents as a struct of numpy columns.

An :class:`AgentTable` holds one preallocated numpy array per attribute. Agents are
appended (slots ``0..n-1`` are in use) and never removed or reordered: an agent that
leaves the simulation is flagged (``live = False``) so that slot numbers stay stable,
which is what keys each agent's random draws (see :mod:`corridor.rng`). Capacity
grows geometrically, so adding agents is amortised O(1) and no Python loop over
agents is ever needed.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["AgentTable", "BASE_COLUMNS", "MAX_AGENTS"]

#: Most agents a run may hold (a few GiB of columns); a run needing more is an error before it starts.
MAX_AGENTS = 200_000_000

#: Columns every model has: where the agent is and in which state.
BASE_COLUMNS: dict[str, tuple[str, int | float]] = {
    "live": ("bool", True),          # still in the simulation (not in a final state)
    "status": ("int8", 0),           # model-defined status code
    "days_in_status": ("int16", 0),  # days since the status last changed
    "loc": ("int16", -1),            # current location, or start of the current route
    "route": ("int32", -1),          # route being travelled, -1 when at a location
    "progress": ("float32", 0.0),    # km travelled along ``route``
}


class AgentTable:
    """Preallocated columns with a count; see the module docstring."""

    def __init__(self, columns: Mapping[str, tuple[str, int | float]], capacity: int = 1024) -> None:
        spec = dict(BASE_COLUMNS)
        spec.update(columns)
        self._spec = spec
        self._capacity = max(int(capacity), 16)
        self.n = 0
        self._cols: dict[str, np.ndarray] = {
            name: np.full(self._capacity, default, dtype=dtype) for name, (dtype, default) in spec.items()
        }

    # columns are reached as attributes: table.status, table.loc, ...
    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__.get("_cols")
        if cols is not None and name in cols:
            return cols[name][: self.n]
        raise AttributeError(name)

    def __setattr__(self, name: str, value) -> None:
        # ``table.timer = x`` would silently swap a column for another array: write into it instead
        cols = self.__dict__.get("_cols")
        if cols is not None and name in cols:
            raise AttributeError(f"cannot replace agent column {name!r}; write into it: table.{name}[...] = ...")
        object.__setattr__(self, name, value)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self._cols)

    @property
    def capacity(self) -> int:
        return self._capacity

    def column(self, name: str) -> np.ndarray:
        """The full view ``[0, n)`` of column ``name`` (writable)."""
        return self._cols[name][: self.n]

    def add(self, count: int, **values: np.ndarray | int | float) -> np.ndarray:
        """Append ``count`` agents with the given column values (others take their
        defaults); returns their slot numbers."""
        count = int(count)
        if count < 0:
            raise ValueError("count must be >= 0")
        need = self.n + count
        if need > self._capacity:
            self._grow(need)
        start, self.n = self.n, need
        for name, value in values.items():
            if name not in self._cols:
                raise KeyError(f"unknown agent column {name!r}")
            self._cols[name][start:need] = value
        return np.arange(start, need, dtype=np.int64)

    def reserve(self, count: int) -> None:
        """Make room for ``count`` more agents without adding them (for :meth:`commit`)."""
        if self.n + int(count) > self._capacity:
            self._grow(self.n + int(count))

    def storage(self, name: str) -> np.ndarray:
        """The whole preallocated array of column ``name`` (capacity, not ``n``): a compiled
        kernel writes new agents into rows ``[n, capacity)``, which hold the defaults."""
        return self._cols[name]

    def commit(self, n: int) -> None:
        """Rows ``[self.n, n)``, written in place through :meth:`storage`, become agents."""
        if not self.n <= n <= self._capacity:
            raise ValueError(f"cannot commit {n} rows (have {self.n}, capacity {self._capacity})")
        self.n = int(n)

    def _grow(self, need: int) -> None:
        cap = self._capacity
        while cap < need:
            cap = int(cap * 1.5) + 16
        for name, (dtype, default) in self._spec.items():
            new = np.empty(cap, dtype=dtype)          # each byte written once: the copy, then the defaults
            new[: self.n] = self._cols[name][: self.n]
            new[self.n:] = default
            self._cols[name] = new
        self._capacity = cap

    def nbytes_per_agent(self) -> int:
        """Bytes of state one agent slot takes (sum of column item sizes)."""
        return int(sum(a.itemsize for a in self._cols.values()))

    def snapshot(self) -> dict[str, np.ndarray]:
        """Copies of all columns for slots ``[0, n)`` (for tests and debugging)."""
        return {name: col[: self.n].copy() for name, col in self._cols.items()}
