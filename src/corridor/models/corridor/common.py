"""Small helpers shared by the corridor processes."""

from __future__ import annotations

import numpy as np

from ...agents import AgentTable
from ...engine import Simulation
from .states import FINAL, Status

_FINAL = np.array([int(s) for s in FINAL])


def set_status(a: AgentTable, idx: np.ndarray, status: Status) -> None:
    """Move agents ``idx`` to ``status``: resets days in status, flags final statuses."""
    if idx.size == 0:
        return
    a.status[idx] = int(status)
    a.days_in_status[idx] = 0
    if int(status) in _FINAL:
        a.live[idx] = False
        a.route[idx] = -1


def chosen(u: np.ndarray, prob: np.ndarray) -> np.ndarray:
    """Index of the category drawn by uniforms ``u`` from rows of probabilities/weights."""
    cum = np.cumsum(prob, axis=-1)
    total = cum[..., -1:]
    cum = np.divide(cum, total, out=np.zeros_like(cum), where=total > 0)
    k = (u[:, None] >= cum).sum(axis=1) if cum.ndim == 2 else np.searchsorted(cum, u, side="right")
    return np.minimum(k, prob.shape[-1] - 1)


def with_status(sim: Simulation, *statuses: Status) -> np.ndarray:
    """Slots of live agents in any of ``statuses`` (increasing order)."""
    live = sim.live_slots()
    st = sim.agents.status[live]
    mask = st == int(statuses[0])
    for s in statuses[1:]:
        mask |= st == int(s)
    return live[mask]


def resume(sim: Simulation, idx: np.ndarray) -> None:
    """Put people released or set free back on their way: in a border city they prepare to
    cross (the border phase crosses, never ordinary travel); elsewhere they travel on."""
    if idx.size == 0:
        return
    a = sim.agents
    at_border = sim.context["static"].is_border_city[a.loc[idx]]
    wait = idx[at_border]
    set_status(a, wait, Status.WAITING_NORTH)
    a.timer[wait] = int(round(float(sim.params.north_wait_days)))
    set_status(a, idx[~at_border], Status.TRANSIT)
