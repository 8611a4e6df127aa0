"""What a per-person rule touches, read from its source: the agent columns it reads and writes,
and whether it ever reaches another person's row.

The fused pass (see :mod:`.day`) runs every person's whole day before the next person's, which
gives the phase-by-phase result only while no rule reads or writes another person's state. This
module reads a rule's source (and, through calls that pass the world or the agent table on, its
helpers') and reports every agent column indexed by anything but the person's own slot ``s``,
any rebinding of ``s``, any day flag set for another position than the person's ``i``, and any
read of the day's tallies (other people add to them): a mechanism that couples people (a
capacity, a crowding effect) cannot slip into the pass unnoticed. It also derives the columns
each rule reads and writes, which ``tests/test_mechanisms.py`` compares with what the mechanism
declares.
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
    other_rows: list[str] = field(default_factory=list)   # "what, in function:line"


def _source_function(fn):
    return getattr(fn, "py_func", fn)


def touches(rule, agents: frozenset = frozenset({"a"}), worlds: frozenset = frozenset({"w"}),
            _seen: set | None = None) -> Touches:
    """The agent columns ``rule`` reads and writes, and every access that is not the person's
    own. ``agents``: the names bound to the agent table; ``worlds``: to the world (whose
    ``.agents`` is the table). Helpers the rule calls with the table or the world are followed,
    with their own parameter names."""
    fn = _source_function(rule)
    seen = set() if _seen is None else _seen
    out = Touches()
    if (fn, agents, worlds) in seen:
        return out
    seen.add((fn, agents, worlds))
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    table = set(agents)

    def is_table(node) -> bool:
        """``a`` (a name bound to the table) or ``w.agents``."""
        return (isinstance(node, ast.Name) and node.id in table) or (
            isinstance(node, ast.Attribute) and node.attr == "agents"
            and isinstance(node.value, ast.Name) and node.value.id in worlds)

    for node in ast.walk(tree):          # local names for the table: a = w.agents; a, p = w.agents, ...
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            pairs = zip(target.elts, value.elts, strict=False) \
                if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) else [(target, value)]
            table.update(t.id for t, v in pairs if isinstance(t, ast.Name) and is_table(v))

    def column(node) -> str | None:
        return node.attr if isinstance(node, ast.Attribute) and is_table(node.value) else None

    where = f"in {fn.__name__}"
    written, summed = set(), set()
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else \
            [node.target] if isinstance(node, ast.AugAssign | ast.AnnAssign) else []
        for t in targets:
            names = t.elts if isinstance(t, ast.Tuple) else [t]
            if any(isinstance(x, ast.Name) and x.id == "s" for x in names):
                out.other_rows.append(f"s rebound {where}:{node.lineno}")
            if isinstance(t, ast.Subscript) and column(t.value):
                written.add(id(t))
                out.writes.add(column(t.value))
                if isinstance(node, ast.AugAssign):
                    out.reads.add(column(t.value))
            if isinstance(node, ast.AugAssign) and isinstance(t, ast.Subscript) and _day_field(t.value):
                summed.add(id(t))
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and column(node.value):
            name = column(node.value)
            if id(node) not in written:
                out.reads.add(name)
            if not _is_name(node.slice, "s"):
                out.other_rows.append(f"{name}[{ast.unparse(node.slice)}] {where}:{node.lineno}")
        elif isinstance(node, ast.Subscript) and _day_field(node.value) in ("counts", "flows") \
                and id(node) not in summed:
            out.other_rows.append(f"{ast.unparse(node)} read {where}:{node.lineno} (tallies are write-only)")
        elif isinstance(node, ast.Subscript) and _day_field(node.value) == "flags" and not _is_name(node.slice, "i"):
            out.other_rows.append(f"{ast.unparse(node)} {where}:{node.lineno} (a flag of another position)")
        if isinstance(node, ast.Call):
            callee = _resolve(fn, node.func)
            if callee is None:
                continue
            params = list(inspect.signature(callee).parameters)
            sub_agents = frozenset(params[k] for k, arg in enumerate(node.args) if k < len(params) and is_table(arg))
            sub_worlds = frozenset(params[k] for k, arg in enumerate(node.args)
                                   if k < len(params) and isinstance(arg, ast.Name) and arg.id in worlds)
            if sub_agents or sub_worlds:
                sub = touches(callee, sub_agents, sub_worlds, seen)
                out.reads |= sub.reads
                out.writes |= sub.writes
                out.other_rows += sub.other_rows
    return out


def _is_name(node, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _day_field(node) -> str | None:
    """``d.counts``, ``d.flows``, ``d.flags``: the day's tallies and flags, shared by everyone."""
    if isinstance(node, ast.Attribute) and _is_name(node.value, "d") and node.attr in ("counts", "flows", "flags"):
        return node.attr
    return None


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
