"""Named random streams from one root seed.

Two kinds of draws, both keyed so that results never depend on the order in which
processes ask for numbers, on thread counts, or on what other streams were used:

* ``uniform(name, tick, slots)``: one U[0,1) number per agent *slot*, computed by a
  counter-based hash of (root seed, stream name, tick, slot). Agent ``k`` gets the
  same number for the same decision on the same day in every scenario that shares
  the seed; this is what gives common random numbers between a baseline and a
  policy world ("minimally different worlds"). The hash is plain integer
  arithmetic on uint64 arrays, so a compiled kernel can compute the very same
  numbers per element.
* ``generator(name, tick)``: a numpy ``Generator`` for aggregate draws (e.g. how
  many people leave an origin today), seeded by ``SeedSequence(root,
  spawn_key=(stream id, tick))``.

Replications use ``spawn_seeds(root, n)`` (``SeedSequence.spawn``).
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["RandomStreams", "spawn_seeds", "hash_uniform", "hash_uniform_rows", "day_key"]

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)
_TO_UNIT = 1.0 / float(1 << 53)


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser (Steele et al. 2014): a bijective avalanche on uint64."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def hash_uniform(key: int, tick: int, slots: np.ndarray, sub: int = 0) -> np.ndarray:
    """U[0,1) per slot from (key, tick, sub, slot); identical for any call order."""
    return hash_uniform_rows(np.array([key], dtype=np.uint64), tick, slots, sub)[0]


def _day_keys(keys: np.ndarray, tick: int, sub: int) -> np.ndarray:
    """The (key, tick, sub) part of the hash, once per key: then two mixes per slot."""
    with np.errstate(over="ignore"):
        k = _mix(np.asarray(keys, dtype=np.uint64) ^ (np.uint64(tick) * _GOLDEN))
        return _mix(k ^ (np.uint64(sub) + _GOLDEN))


def day_key(key: int, tick: int, sub: int = 0) -> int:
    """:func:`hash_uniform`'s (key, tick, sub) part as one 64-bit integer (what a compiled
    kernel derives once a day)."""
    return int(_day_keys(np.array([key], dtype=np.uint64), tick, sub)[0])


def hash_uniform_rows(keys: np.ndarray, tick: int, slots: np.ndarray, sub: int = 0) -> np.ndarray:
    """``hash_uniform(keys[i], tick, slots, sub)`` for every key at once: shape (keys, slots)."""
    k = _day_keys(keys, tick, sub)[:, None]
    with np.errstate(over="ignore"):
        z = _mix(slots.astype(np.uint64)[None, :] * _GOLDEN + k)
        z = _mix(z ^ k)
    return (z >> np.uint64(11)).astype(np.float64) * _TO_UNIT


def _stream_id(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


class RandomStreams:
    """All randomness of one run, derived from ``seed``; no global state."""

    def __init__(self, seed: int) -> None:
        if seed < 0:
            raise ValueError("seed must be a non-negative integer")
        self.seed = int(seed)
        self._keys: dict[str, int] = {}

    def key(self, name: str) -> int:
        """The 64-bit key of stream ``name`` (stable across runs and platforms)."""
        k = self._keys.get(name)
        if k is None:
            ss = np.random.SeedSequence(self.seed, spawn_key=(_stream_id(name),))
            k = int(ss.generate_state(1, dtype=np.uint64)[0])
            self._keys[name] = k
        return k

    def uniform(self, name: str, tick: int, slots: np.ndarray, sub: int = 0) -> np.ndarray:
        """One U[0,1) per agent slot for decision ``name`` on day ``tick``.

        ``sub`` separates several draws of the same decision on the same day
        (e.g. successive legs of a multi-leg day).
        """
        return hash_uniform(self.key(name), tick, slots, sub)

    def generator(self, name: str, tick: int) -> np.random.Generator:
        """A fresh numpy Generator for aggregate draws of ``name`` on day ``tick``."""
        ss = np.random.SeedSequence(self.seed, spawn_key=(_stream_id(name), int(tick) + 1))
        return np.random.Generator(np.random.PCG64(ss))


def spawn_seeds(root: int, n: int) -> list[int]:
    """``n`` independent child seeds of ``root`` for replications."""
    children = np.random.SeedSequence(root).spawn(n)
    return [int(c.generate_state(1, dtype=np.uint32)[0]) for c in children]
