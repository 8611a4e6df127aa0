"""Numba's on-disk cache of compiled kernels, made stale by any change to the code they inline.

Numba stamps a cached function with its own source file only. A model's compiled pass inlines
rules from many modules (each mechanism, the shared draws), so after an edit to one mechanism
Numba would load the pass compiled from the old rule. Here the stamp of every cached
function of a model pack is a digest of all the pack's source files plus ``rng_kernels.py`` and
``agents.py``: an edit anywhere in the pack recompiles its kernels, and nothing else does.

Registered (once, on ``import corridor``) ahead of Numba's own locators, for the files of this
package only; ``NUMBA_CACHE_DIR`` is honoured as by Numba.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from numba.core import caching

__all__ = ["install", "source_digest"]

_ROOT = Path(__file__).resolve().parent          # src/corridor
#: compiled into every pack's kernels: the shared draws, the engine's agent columns (their
#: order is the order of the fields a compiled rule reads), the compile pipeline
_SHARED = (_ROOT / "rng_kernels.py", _ROOT / "agents.py", _ROOT / "kernel_pipeline.py")


def _digest_of(folder: Path) -> str:
    files = sorted({*folder.rglob("*.py"), *_SHARED})
    return _digest_files(tuple((p, p.stat().st_mtime_ns, p.stat().st_size) for p in files))


@cache
def _digest_files(files: tuple) -> str:
    """Keyed by each file's time and size too, so that a file edited (and reloaded) within one
    process gets a new digest."""
    h = hashlib.sha256()
    for path, _, _ in files:
        h.update(str(path.relative_to(_ROOT)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def source_digest(py_file: str | Path) -> str:
    """The digest that stamps the cached kernels defined in ``py_file``: the whole model pack's
    folder for a file of ``models/<pack>/``, else the file's own folder (not recursive) ."""
    path = Path(py_file).resolve()
    rel = path.relative_to(_ROOT)
    if rel.parts[0] == "models" and len(rel.parts) > 2:
        return _digest_of(_ROOT / "models" / rel.parts[1])
    return _digest_files(tuple((p, p.stat().st_mtime_ns, p.stat().st_size) for p in (path, *_SHARED)))


def _ours(py_file: str) -> bool:
    try:
        Path(py_file).resolve().relative_to(_ROOT)
    except ValueError:
        return False
    return True


class _PackStamp:
    def get_source_stamp(self):
        return source_digest(self._py_file)

    @classmethod
    def from_function(cls, py_func, py_file):
        return super().from_function(py_func, py_file) if _ours(py_file) else None


class _UserDirLocator(_PackStamp, caching.UserProvidedCacheLocator):
    """``NUMBA_CACHE_DIR``, when set."""


class _InTreeLocator(_PackStamp, caching.InTreeCacheLocator):
    """``__pycache__`` beside the sources (an editable or writable install)."""


class _UserWideLocator(_PackStamp, caching.UserWideCacheLocator):
    """The user's cache folder (a read-only install)."""


def install() -> None:
    """Put the locators first in Numba's list (idempotent)."""
    classes = caching.CacheImpl._locator_classes
    ours = [_UserDirLocator, _InTreeLocator, _UserWideLocator]
    if classes[: len(ours)] != ours:
        classes[:] = ours + [c for c in classes if c not in ours]
