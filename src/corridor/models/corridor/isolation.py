"""What a per-person rule touches, read from its source: the agent columns it reads and writes,
and whether it ever reaches another person's row.

The fused pass (see :mod:`.day`) runs every person's whole day before the next person's, which
gives the phase-by-phase result only while no rule reads or writes another person's state. This
module reads a rule's source (and, through calls that pass the world on, its helpers') and
reports every agent column indexed by anything but the person's own slot ``s``: a mechanism
that couples people (a capacity, a crowding effect) cannot slip into the pass unnoticed. It
also derives the columns each rule reads and writes, which ``tests/test_mechanisms.py``
compares with what the mechanism declares.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import dataclass, field

__all__ = ["Touches", "touches"]


@dataclass
class Touches:
    reads: set[str] = field(default_factory=set)
    writes: set[str] = field(default_factory=set)
    other_rows: list[str] = field(default_factory=list)   # "column[index] in function:line"


def _source_function(fn):
    return getattr(fn, "py_func", fn)


def touches(rule, _seen: set | None = None) -> Touches:
    """The agent columns ``rule(s, ..., w, ...)`` reads and writes, following helpers that are
    given the world (``w``) or the agent columns (``a``), and the accesses that index a column
    by anything but ``s``."""
    fn = _source_function(rule)
    seen = set() if _seen is None else _seen
    out = Touches()
    if fn in seen:
        return out
    seen.add(fn)
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    agents = {"a"}               # names bound to w.agents
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Attribute) \
                and node.value.attr == "agents":
            agents.update(t.id for t in node.targets if isinstance(t, ast.Name))
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Tuple):
            for t, v in zip(node.targets[0].elts if isinstance(node.targets[0], ast.Tuple) else [],
                            node.value.elts, strict=False):
                if isinstance(v, ast.Attribute) and v.attr == "agents" and isinstance(t, ast.Name):
                    agents.add(t.id)

    def column(node) -> str | None:
        """``a.col`` or ``w.agents.col``: the column's name."""
        if isinstance(node, ast.Attribute):
            base = node.value
            if isinstance(base, ast.Name) and base.id in agents:
                return node.attr
            if isinstance(base, ast.Attribute) and base.attr == "agents":
                return node.attr
        return None

    written, summed = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Subscript) and _tally(node.target.value):
            summed.add(id(node.target))
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign):
            targets = [node.target]
        for t in targets:
            if isinstance(t, ast.Subscript) and column(t.value):
                written.add(id(t))
                out.writes.add(column(t.value))
                if isinstance(node, ast.AugAssign):
                    out.reads.add(column(t.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and column(node.value):
            name = column(node.value)
            if id(node) not in written:
                out.reads.add(name)
            if not (isinstance(node.slice, ast.Name) and node.slice.id == "s"):
                out.other_rows.append(f"{name}[{ast.unparse(node.slice)}] in {fn.__name__}:{node.lineno}")
        elif isinstance(node, ast.Subscript) and _tally(node.value) and id(node) not in summed:
            out.other_rows.append(f"{ast.unparse(node)} read in {fn.__name__}:{node.lineno} (tallies are write-only)")
        if isinstance(node, ast.Call):
            passed = {a.id for a in node.args if isinstance(a, ast.Name)}
            if passed & ({"w"} | agents):
                callee = _resolve(fn, node.func)
                if callee is not None:
                    sub = touches(callee, seen)
                    out.reads |= sub.reads
                    out.writes |= sub.writes
                    out.other_rows += sub.other_rows
    return out


def _tally(node) -> bool:
    """``d.counts`` or ``d.flows``: the day's tallies, which other people add to too."""
    return isinstance(node, ast.Attribute) and node.attr in ("counts", "flows") \
        and isinstance(node.value, ast.Name) and node.value.id == "d"


def _resolve(fn, func):
    """The function a call names (``helper`` or ``module.helper``), from ``fn``'s globals."""
    g = fn.__globals__
    obj = None
    if isinstance(func, ast.Name):
        obj = g.get(func.id)
    elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        mod = g.get(func.value.id)
        obj = getattr(mod, func.attr, None) if mod is not None else None
    obj = _source_function(obj) if obj is not None else None
    return obj if inspect.isfunction(obj) else None
