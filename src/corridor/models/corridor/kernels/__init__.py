"""Compiled (Numba) backend of the corridor model.

* :mod:`.libm`: the C library's transcendental functions as ufuncs, shared by both
  backends so that they compute the same doubles.
* :mod:`.core`: the kernels. One parallel pass over the people in the corridor runs the
  per-person part of every phase of a day (departures' second tries, movement,
  enforcement, predation, asylum applications, the border), then small serial kernels
  run the asylum queue, and a last pass records the day.
* :mod:`.runner`: :class:`~.runner.CompiledDay`, the Python driver of one day.

Select it with ``build_simulation(..., backend="numba")`` or ``CORRIDOR_BACKEND=numba``
(the default); ``backend="numpy"`` runs the plain numpy processes (the reference).
Both give bit-identical results (tests/test_kernels.py). See docs/performance.md.
"""
