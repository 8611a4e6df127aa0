"""Read a user's text and YAML files with the checks plain ``open`` and ``yaml.safe_load``
lack, in one place.

- A file over :data:`MAX_BYTES`, a binary file (a NUL byte) or one that is not UTF-8 is
  refused in one line; a byte-order mark is accepted.
- A key repeated in one mapping is reported (``safe_load`` silently keeps the last).
- An impossible date (``2010-02-30``) is a YAML error at its line, not a ``ValueError``.
- Aliases cannot blow up: the document's size with every alias expanded is bounded
  (a one-kilobyte "billion laughs" file would otherwise expand to gigabytes downstream).
- Nesting is bounded.

Every problem is raised as the caller's :class:`corridor.errors.UserInputError` subclass,
naming the file and the line.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from .errors import UserInputError

__all__ = ["read_text", "read_csv_table", "read_yaml", "YamlText", "MAX_BYTES", "MAX_NODES", "MAX_DEPTH"]

#: Largest file read (a scenario is a few kilobytes, a targets file a few hundred).
MAX_BYTES = 16 * 2**20
#: Largest number of values in a document once aliases are expanded.
MAX_NODES = 1_000_000
#: Characters a YAML stream may not hold (PyYAML's reader would refuse them with a traceback-
#: shaped message; checked first so the error is one line naming the line).
_NOT_YAML = yaml.reader.Reader.NON_PRINTABLE
#: Deepest nesting of mappings and lists.
MAX_DEPTH = 100


@dataclass(frozen=True)
class YamlText:
    """A parsed document and the keys that were repeated in it ("line N: key")."""

    data: Any
    repeated: tuple[str, ...]


class _Loader(yaml.SafeLoader):
    """SafeLoader that records repeated keys and reports impossible dates."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.repeated: list[str] = []
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_DEPTH} levels",
                                                  self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def compose_mapping_node(self, anchor: Any) -> yaml.MappingNode:
        # keys are compared as written, before merge keys (<<) are expanded into the mapping
        node = super().compose_mapping_node(anchor)
        seen: set[tuple[str, str]] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                key = (key_node.tag, key_node.value)
                if key in seen:
                    self.repeated.append(f"line {key_node.start_mark.line + 1}: key {key_node.value!r}")
                seen.add(key)
        return node

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a calendar date ({exc})", node.start_mark) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)
# YAML 1.2 reads 1e6 and 2.5E-3 as numbers; PyYAML (YAML 1.1) as text, which a user reads as a
# number and then sees refused
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9]+(\.[0-9]*)?[eE][-+]?[0-9]+$"),
                              list("-+0123456789"))


class _Cycle(Exception):
    """A container that holds itself (``a: &a {x: *a}``)."""


def _expanded_size(data: Any) -> int:
    """Number of values with every alias expanded, counted without expanding (shared
    objects are counted once per reference, from a memo)."""
    memo: dict[int, int] = {}
    order: list[Any] = []
    stack = [data]
    while stack:                                     # containers in an order children-first can follow
        obj = stack.pop()
        if isinstance(obj, dict | list) and id(obj) not in memo:
            memo[id(obj)] = -1
            order.append(obj)
            stack.extend(obj.values() if isinstance(obj, dict) else obj)
    for obj in reversed(order):
        items = list(obj.values()) if isinstance(obj, dict) else obj
        total = 1 + (len(obj) if isinstance(obj, dict) else 0)
        for v in items:
            if isinstance(v, dict | list) and memo.get(id(v)) == -1:
                raise _Cycle
            total += memo.get(id(v), 1) if isinstance(v, dict | list) else 1
            if total > MAX_NODES:
                return total
        memo[id(obj)] = total
    return memo.get(id(data), 1) if isinstance(data, dict | list) else 1


def read_text(path: str | Path, error: type[UserInputError], *, what: str) -> str:
    """The text of ``path``; problems are raised as ``error`` naming the file."""
    path = Path(path)
    try:
        with path.open("rb") as fh:        # read at most the limit: /dev/zero or a pipe never ends
            raw = fh.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise error(f"larger than {MAX_BYTES // 2**20} MiB", where=path, expected=what)
    except FileNotFoundError:
        raise error("file not found", where=path) from None
    except IsADirectoryError:
        raise error("is a folder, not a file", where=path, expected=what) from None
    except (OSError, ValueError) as exc:       # ValueError: a NUL in the path
        raise error(f"cannot read file ({getattr(exc, 'strerror', None) or exc})", where=path) from None
    if b"\x00" in raw:
        raise error("a binary file, not text", where=path, expected=what)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise error("not a UTF-8 text file", where=path, expected=what) from None


def read_csv_table(path: str | Path, error: type[UserInputError], *,
                   what: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header of a CSV file (names stripped and in lower case, as spreadsheets vary them; a
    byte-order mark dropped) and its non-blank rows as ``(line, cells)``. Quoting is read
    strictly (an unclosed quote is an error, not a field that swallows the rest of the file)
    and a column named twice is an error."""
    path = Path(path)
    reader = csv.reader(io.StringIO(read_text(path, error, what=what), newline=""), strict=True)
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        rows = [(reader.line_num, cells) for cells in reader if any(c.strip() for c in cells)]
    except csv.Error as exc:                   # a field over the csv module's limit, a bad quote
        raise error(f"not a readable CSV file ({exc})", where=path, at=f"row {reader.line_num}") from None
    twice = sorted({h for h in header if h and header.count(h) > 1})
    if twice:
        raise error(f"column {twice[0]!r} appears twice", where=path, at="row 1", expected="each column once")
    return header, rows


def read_yaml(path: str | Path, error: type[UserInputError], *, what: str = "a YAML file",
              repeated_keys: Literal["error", "report"] = "error") -> YamlText:
    """Parse ``path``; problems are raised as ``error`` naming the file (and line). A key
    repeated in one mapping is an error, or with ``repeated_keys="report"`` listed in the
    result (for files whose reference reader keeps the last value)."""
    path = Path(path)
    text = read_text(path, error, what=what)
    bad = _NOT_YAML.search(text)
    if bad:                      # YAML allows neither control characters nor these
        line = text.count("\n", 0, bad.start()) + 1
        raise error(f"invalid YAML: character U+{ord(bad.group()):04X} is not allowed", where=path,
                    at=f"line {line}")
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise error(f"invalid YAML: {problem}", where=path, at=at) from None
    except RecursionError:
        raise error(f"invalid YAML: nested deeper than {MAX_DEPTH} levels", where=path) from None
    finally:
        loader.dispose()
    repeated = tuple(loader.repeated)
    try:
        size = _expanded_size(data)
    except _Cycle:
        raise error("an alias refers to the mapping or list that contains it", where=path,
                    expected="a document without self-reference") from None
    if size > MAX_NODES:
        raise error(f"aliases expand to more than {MAX_NODES:,} values", where=path,
                    expected="a document without alias chains that multiply")
    if repeated and repeated_keys == "error":
        raise error(f"{repeated[0]} repeated in its mapping", where=path,
                    expected="each key once (YAML keeps only the last, silently)")
    return YamlText(data, repeated)
