"""The C library's exp, expm1, log, log1p and cos as numpy ufuncs, for the numpy reference path.

numpy evaluates these functions with its own SIMD code on some CPUs (AVX-512 among them),
which may differ from the C library in the last bit. The compiled kernels call the C
library (through LLVM), so the numpy path calls it too, through these ufuncs: both
backends then compute the very same doubles on any machine, and a hazard compared with a
uniform, or money rounded to float32, can never come out differently.
"""

from __future__ import annotations

import math

from numba import vectorize

__all__ = ["cos", "exp", "expm1", "log", "log1p"]


@vectorize(["float64(float64)"], cache=True)
def exp(x):  # pragma: no cover - compiled
    return math.exp(x)


@vectorize(["float64(float64)"], cache=True)
def expm1(x):  # pragma: no cover - compiled
    return math.expm1(x)


@vectorize(["float64(float64)"], cache=True)
def log(x):  # pragma: no cover - compiled
    return math.log(x)


@vectorize(["float64(float64)"], cache=True)
def cos(x):  # pragma: no cover - compiled
    return math.cos(x)


@vectorize(["float64(float64)"], cache=True)
def log1p(x):  # pragma: no cover - compiled
    return math.log1p(x)
