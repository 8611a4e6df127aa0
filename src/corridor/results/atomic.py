"""Publish a set of output files so that a folder never shows a mix of two results.

Files are written into a hidden ``.partial-HOST-PID-*`` folder inside the output folder. Publishing
happens under a lock on the folder (``.corridor.lock``, so concurrent writers take turns) and
follows a journal (``.corridor-files``, the names the folder may hold):

1. the journal is widened to the previous result's names plus the new ones;
2. every completion marker the journal knows (the previous result's, whatever command wrote
   it, and the new one's name) is removed, so the folder reads as incomplete;
3. the previous result's other files are removed, the new ones moved in (``os.replace``), the
   marker last;
4. the journal is narrowed to the new names.

A process killed at any point leaves either a complete result (its marker present) or an
incomplete one (no marker), never a marker beside another result's files; the next publish
removes whatever the journal lists and the staging folders of dead processes.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from ..errors import UserInputError

__all__ = ["staged_files", "check_out_dir", "prepare_out_dir", "folder_lock", "write_text_atomic",
           "check_writable_file", "process_alive", "owned_prefix", "abandoned", "held_lock",
           "LOCK_NAME", "JOURNAL_NAME"]

LOCK_NAME = ".corridor.lock"
JOURNAL_NAME = ".corridor-files"
#: How long a writer waits for another to finish publishing into the same folder.
LOCK_WAIT_SECONDS = 600.0
#: A temporary file or folder whose owner cannot be checked (another machine writing into a
#: shared folder, or the old name form) is removed once this old.
_ORPHAN_AGE_SECONDS = 24 * 3600.0
_OWNED = re.compile(r"^\.(?:partial|tmp)-(?:([A-Za-z0-9_-]+)-)?(\d+)-")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "_", socket.gethostname()) or "host"


def owned_prefix(kind: str) -> str:
    """``.KIND-HOST-PID-``: the start of a temporary name this process owns (``kind``:
    ``partial`` for staging folders, ``tmp`` for files). The host keeps two machines writing
    into one shared folder from judging each other's processes."""
    return f".{kind}-{_host()}-{os.getpid()}-"


def abandoned(path: Path) -> bool:
    """Whether a temporary name made by :func:`owned_prefix` belongs to a process that is gone
    (on this machine: its process id is not running; elsewhere, or unknown: older than a day)."""
    m = _OWNED.match(path.name)
    if m and m.group(1) == _host():
        return not process_alive(int(m.group(2)))
    try:
        return time.time() - path.lstat().st_mtime > _ORPHAN_AGE_SECONDS
    except OSError:
        return False


def check_out_dir(out_dir: str | Path, *, option: str = "--out") -> Path:
    """The output folder, checked before a run starts (so a bad ``--out`` is reported before any
    work is done) but not created: a run that fails leaves no folder behind."""
    text = str(out_dir)
    if not text.strip():
        raise UserInputError("empty output folder name", at=option, expected="a folder path")
    if "\x00" in text:
        raise UserInputError("the output folder name holds a NUL character", at=option,
                             expected="a folder path")
    out = Path(text)
    try:
        _check_folder_path(out, option)
    except (OSError, RuntimeError) as exc:     # a name too long, a loop of symbolic links
        raise UserInputError(f"cannot use this folder ({getattr(exc, 'strerror', None) or exc})",
                             where=out, at=option) from None
    return out


def _check_folder_path(out: Path, option: str) -> None:
    if out.resolve() == Path(out.resolve().anchor):
        raise UserInputError("the root of the file system is not an output folder", where=out, at=option,
                             expected="a folder of its own for the results")
    existing = out
    while not existing.exists() and not existing.is_symlink() and existing != existing.parent:
        existing = existing.parent
    if not existing.exists():
        existing = Path.cwd()
    if not existing.is_dir():
        what = "exists and is not a folder" if existing == out else f"{existing} is not a folder"
        raise UserInputError(what, where=out, at=option, expected="a folder path")
    if not os.access(existing, os.W_OK | os.X_OK):
        where = "output folder is not writable" if existing == out else f"cannot create it: {existing} is not writable"
        raise UserInputError(where, where=out, at=option)


def prepare_out_dir(out_dir: str | Path, *, option: str = "--out") -> Path:
    """The output folder, checked (see :func:`check_out_dir`) and created."""
    out = check_out_dir(out_dir, option=option)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UserInputError("exists and is not a folder", where=out, expected="a folder path") from None
    except OSError as exc:
        raise UserInputError(f"cannot create output folder ({exc.strerror})", where=out) from None
    return out


def check_writable_file(path: str | Path, *, option: str) -> Path:
    """``path`` as a file that can be written: its folder exists and is writable, and it is not
    a folder (checked before a long computation whose result goes there). A symbolic link
    stands for the file it points to."""
    text = str(path)
    if not text.strip() or "\x00" in text:
        raise UserInputError(f"{text!r} is not a file name", at=option, expected="a file path")
    try:
        if _is_stream(Path(text)):
            return Path(text)
        target = Path(os.path.realpath(text))
        folder = target.parent
        if not folder.is_dir():
            raise UserInputError("no such folder", where=Path(text).parent, at=option,
                                 expected="an existing folder for the file")
        if target.is_dir():
            raise UserInputError("is a folder", where=text, at=option, expected="a file path")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise UserInputError("folder is not writable", where=folder, at=option)
    except OSError as exc:                     # a name too long
        raise UserInputError(f"cannot use this file name ({exc.strerror})", where=text, at=option) from None
    return target


def _is_stream(path: Path) -> bool:
    """A terminal, pipe or device (``/dev/stdout``, whatever it points to): written as it is,
    not replaced."""
    return path.exists() and (not path.is_file() or path.is_relative_to("/dev") or path.is_relative_to("/proc"))


def write_text_atomic(path: str | Path, text: str, *, option: str) -> Path:
    """Write ``text`` to ``path`` whole or not at all (a temporary file renamed into place; a
    pipe or ``/dev/stdout`` is written directly)."""
    target = check_writable_file(path, option=option)
    if _is_stream(target):
        try:
            with target.open("w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise UserInputError(f"cannot write ({exc.strerror})", where=target, at=option) from None
        return target
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    except OSError as exc:
        raise UserInputError(f"cannot write ({exc.strerror})", where=target, at=option) from None
    finally:
        tmp.unlink(missing_ok=True)
    return target


@contextmanager
def held_lock(lock_path: Path, *, timeout: float, busy: str, expected: str) -> Iterator[None]:
    """Hold the lock file ``lock_path`` (another process waits its turn, up to ``timeout``
    seconds, then gets the one-line error ``busy``)."""
    if lock_path.is_symlink():                 # never truncate what a planted link points to
        raise UserInputError("the lock file is a symbolic link", where=lock_path, expected="a plain lock file")
    lock = FileLock(lock_path)
    try:
        lock.acquire(timeout=timeout)
    except Timeout:                            # (a subclass of OSError: caught first)
        raise UserInputError(busy, where=lock_path.parent, expected=expected) from None
    except OSError as exc:
        raise UserInputError(f"cannot take the lock ({exc.strerror})", where=lock_path) from None
    try:
        yield
    finally:
        lock.release()


def folder_lock(out: Path, *, timeout: float = LOCK_WAIT_SECONDS) -> Any:
    """Hold ``out``'s lock (another writer waits its turn, up to ``timeout`` seconds)."""
    return held_lock(out / LOCK_NAME, timeout=timeout,
                     busy=f"another process has been writing into this folder for over {timeout:g} s",
                     expected="that process to finish, or another --out")


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:       # someone else's process: alive
        return True
    return True


def _remove_dead_stages(out: Path, own: Path) -> None:
    """Staging folders left by killed processes (called under the lock)."""
    for p in out.glob(".partial-*"):
        if p != own and p.is_dir() and not p.is_symlink() and abandoned(p):
            shutil.rmtree(p, ignore_errors=True)


_MARKER_LINE = "marker:"


def _plain(name: str) -> bool:
    # only plain names in this folder: a damaged journal must not reach outside it
    return bool(name) and "/" not in name and name not in (".", "..") and not name.startswith(".")


def _read_journal(out: Path) -> tuple[set[str], set[str]]:
    """The files of the folder's result(s) and their markers, as the journal lists them."""
    try:
        lines = (out / JOURNAL_NAME).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return set(), set()
    markers = {ln.removeprefix(_MARKER_LINE) for ln in lines if ln.startswith(_MARKER_LINE)}
    names = {ln for ln in lines if not ln.startswith(_MARKER_LINE)}
    return {n for n in names | markers if _plain(n)}, {m for m in markers if _plain(m)}


def _write_journal(stage: Path, out: Path, names: set[str], markers: set[str]) -> None:
    # written in the staging folder (removed with it) and renamed into place
    tmp = stage / ".journal"
    tmp.write_text("".join(f"{_MARKER_LINE}{m}\n" for m in sorted(markers))
                   + "".join(f"{n}\n" for n in sorted(names - markers)), encoding="utf-8")
    os.replace(tmp, out / JOURNAL_NAME)


def _publish(stage: Path, out: Path, marker: str, files: dict[str, Path]) -> None:
    names = sorted(p.name for p in stage.iterdir() if not p.name.startswith("."))
    if marker in names:
        names.remove(marker)
        names.append(marker)
    previous, previous_markers = _read_journal(out)
    markers = previous_markers | {marker}
    _write_journal(stage, out, previous | set(names), markers)
    for m in sorted(markers):          # every marker first: from here the folder reads as incomplete
        (out / m).unlink(missing_ok=True)
    for name in sorted(previous - set(names)):
        target = out / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target, ignore_errors=True)
        else:
            target.unlink(missing_ok=True)
    for name in names:
        os.replace(stage / name, out / name)
        files[name] = out / name
    _write_journal(stage, out, set(names), {marker})


@contextmanager
def staged_files(out_dir: str | Path, marker: str, *,
                 then: Callable[[], None] | None = None) -> Iterator[tuple[Path, dict[str, Path]]]:
    """``with staged_files(out, "summary.json") as (stage, files):`` write into ``stage``.

    On success the files replace the folder's previous result as described above (``marker``
    last) and are listed in ``files``; ``then`` runs next, still under the folder's lock (the
    run registry is written there). On failure nothing in ``out`` changes."""
    out = prepare_out_dir(out_dir)
    try:
        stage = Path(tempfile.mkdtemp(prefix=owned_prefix("partial"), dir=out))
    except OSError as exc:
        raise UserInputError(f"cannot write into output folder ({exc.strerror})", where=out) from None
    files: dict[str, Path] = {}
    try:
        yield stage, files
        with folder_lock(out):
            _remove_dead_stages(out, stage)
            _publish(stage, out, marker, files)
            if then is not None:
                then()
    finally:
        shutil.rmtree(stage, ignore_errors=True)
