"""Write a set of output files so that none is ever seen half-written.

Files are written into a hidden ``.partial-*`` folder inside the output folder, then moved into
place with ``os.replace`` (atomic within one file system), the completion marker last. A crash
leaves the previous complete files, or a ``.partial-*`` folder, never a truncated file under a
final name.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import UserInputError

__all__ = ["staged_files"]


@contextmanager
def staged_files(out_dir: str | Path, marker: str) -> Iterator[tuple[Path, dict[str, Path]]]:
    """``with staged_files(out, "summary.json") as (stage, files):`` write into ``stage``;
    on success every file is moved to ``out`` (``marker`` last) and listed in ``files``."""
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserInputError(f"cannot create output folder ({exc.strerror})", where=out) from None
    if not os.access(out, os.W_OK):
        raise UserInputError("output folder is not writable", where=out)
    stage = Path(tempfile.mkdtemp(prefix=".partial-", dir=out))
    files: dict[str, Path] = {}
    try:
        yield stage, files
        names = sorted(p.name for p in stage.iterdir())
        if marker in names:
            names.remove(marker)
            names.append(marker)
        for name in names:
            os.replace(stage / name, out / name)
            files[name] = out / name
    finally:
        shutil.rmtree(stage, ignore_errors=True)
