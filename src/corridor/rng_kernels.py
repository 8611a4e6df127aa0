"""Compiled (Numba) counterparts of :mod:`corridor.rng`, shared by the model packs' kernels.

The same integer arithmetic as :func:`corridor.rng.hash_uniform`: the (stream key, day, sub)
part is mixed once a day (:func:`day_keys`), then each draw is two SplitMix64 rounds keyed by
the agent's identity (:func:`unif`), so a draw never depends on which thread computes it or
in which order.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["day_keys", "mix", "unif", "uniform_at"]

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_TO_UNIT = 1.0 / float(1 << 53)


@njit(cache=True, inline="always")
def mix(z):
    """SplitMix64 finaliser (``corridor.rng._mix``)."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def unif(k, ident):
    """U[0,1) for identity ``ident`` under a day key ``k`` (a row entry of :func:`day_keys`)."""
    z = mix(np.uint64(ident) * _GOLDEN + k)
    z = mix(z ^ k)
    return float(z >> _S11) * _TO_UNIT


@njit(cache=True)
def day_keys(base, tick, n_sub):
    """``keys[stream, sub]``: the (key, tick, sub) part of ``hash_uniform`` for each key of
    ``base`` and each sub-draw number below ``n_sub``."""
    out = np.empty((base.size, n_sub), dtype=np.uint64)
    t = np.uint64(tick) * _GOLDEN
    for i in range(base.size):
        k0 = mix(np.uint64(base[i]) ^ t)
        for s in range(n_sub):
            out[i, s] = mix(k0 ^ (np.uint64(s) + _GOLDEN))
    return out


@njit(cache=True)
def uniform_at(key, tick, sub, ids):
    """The kernels' draws for identities ``ids`` (tests compare them with ``hash_uniform``)."""
    k = day_keys(np.array([np.uint64(key)]), tick, sub + 1)[0, sub]
    out = np.empty(ids.size)
    for i in range(ids.size):
        out[i] = unif(k, ids[i])
    return out
