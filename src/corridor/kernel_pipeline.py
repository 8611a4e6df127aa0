"""Numba's compile pipeline for kernels that inline rules taking the whole world.

Numba inlines a function (``inline="always"``) by copying its IR, each argument bound to a new
variable. A kernel whose inlined rules each take the world (``w``: about a thousand fields once
its arrays are flattened) thus holds dozens of copies of it, and LLVM splits every copy field
by field (its scalar replacement of aggregates and correlated-value propagation took 45 of the
81 s the fused pass took to compile). Numba's own copy propagation (the one its parallel
passes run), applied once types are known, replaces each copy by the variable it copies, so
LLVM sees one world; the pass then compiled in 55 s. The code is the same: each use of a copy
reads the value it was copied from.

:func:`fused` gives the ``njit`` options of such a kernel. Where this Numba lacks the internal
functions used here, kernels compile with Numba's default pipeline (slower to compile, same
code).
"""

from __future__ import annotations

__all__ = ["fused"]

try:
    from numba.core import ir, ir_utils
    from numba.core.compiler import CompilerBase, DefaultPassBuilder
    from numba.core.compiler_machinery import FunctionPass, register_pass
    from numba.core.typed_passes import NopythonTypeInference

    _AVAILABLE = all(hasattr(ir_utils, f) for f in ("copy_propagate", "apply_copy_propagate", "get_name_var_table"))
except ImportError:                                    # pragma: no cover - another Numba
    _AVAILABLE = False

if _AVAILABLE:
    @register_pass(mutates_CFG=True, analysis_only=False)
    class PropagateCopies(FunctionPass):
        """Replace each variable that copies another by the one it copies; drop the copies."""

        _name = "corridor_propagate_copies"

        def __init__(self) -> None:
            FunctionPass.__init__(self)

        def run_pass(self, state) -> bool:
            if not state.flags.enable_ssa:      # sound on SSA form only (one definition a variable)
                return False
            blocks = state.func_ir.blocks
            copies, _ = ir_utils.copy_propagate(blocks, state.typemap)
            ir_utils.apply_copy_propagate(blocks, copies, ir_utils.get_name_var_table(blocks), state.typemap,
                                          state.calltypes)
            _drop_unused_copies(blocks)
            return True

    def _drop_unused_copies(blocks) -> None:
        """Remove ``x = y`` where ``x`` is no longer read. Only plain copies: Numba's general dead
        code removal also drops writes into arrays reached through a named tuple's field
        (it does not see them alias the argument), which would lose every write of a rule."""
        read = set()
        for block in blocks.values():
            for stmt in block.body:
                target = stmt.target if isinstance(stmt, ir.Assign) else None
                read.update(v.name for v in stmt.list_vars() if v is not target)
        for block in blocks.values():
            block.body = [stmt for stmt in block.body if not (isinstance(stmt, ir.Assign)
                          and isinstance(stmt.value, ir.Var) and stmt.target.name not in read)]

    class CopyPropagated(CompilerBase):
        """Numba's nopython pipeline with :class:`PropagateCopies` right after type inference."""

        def define_pipelines(self):
            pm = DefaultPassBuilder.define_nopython_pipeline(self.state)
            pm.add_pass_after(PropagateCopies, NopythonTypeInference)
            pm.finalize()
            return [pm]


def fused(**options) -> dict:
    """``njit`` options of a kernel that inlines rules taking the world: cached on disk, with
    copies propagated before lowering (see the module docstring)."""
    return {"cache": True, **({"pipeline_class": CopyPropagated} if _AVAILABLE else {}), **options}
