"""Which scripts and Python expressions may run in the server's own process.

Work that a guard cannot stop (one C call holding the GIL, memory allocated by a builtin) needs a
process of its own, where a limit can end it; but a round trip per gateway condition would cost
more than the condition. Code made only of names, constants, operators, subscripts, `if` and
assignments, calling only builtins whose cost is linear in their arguments and methods that do
not grow their object, runs in-process: without loops or calls, its time is bounded by its length,
and its operators are guarded (guards.py). Everything else runs isolated (evaluator_pool.py).
"""
from __future__ import annotations

import ast

_NODES = (
    ast.Module, ast.Expression, ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.If, ast.Pass,
    ast.Delete, ast.Name, ast.Load, ast.Store, ast.Del, ast.Constant, ast.Compare, ast.BoolOp, ast.UnaryOp,
    ast.BinOp, ast.IfExp, ast.Subscript, ast.Slice, ast.Attribute, ast.List, ast.Tuple, ast.Dict, ast.Set,
    ast.Call, ast.keyword, ast.Starred, ast.NamedExpr,
    ast.And, ast.Or, ast.Not, ast.USub, ast.UAdd, ast.Invert,
    ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In, ast.NotIn,
    # Operators; `%` is not among them (`'%*d' % (10**9, 1)` pads in C), nor `@`.
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Pow, ast.LShift, ast.RShift,
    ast.BitAnd, ast.BitOr, ast.BitXor,
)
# Builtins whose time and result are linear in their arguments (not range, sum, round, sorted:
# round(1, -10**8), sum(lists, []) and str([big] * 1000) are not).
_FUNCTIONS = frozenset({"len", "abs", "bool", "float", "int", "isinstance", "min", "max", "any", "all"})
# Methods whose result is no larger than their object (a few times for case changes).
_METHODS = frozenset({"get", "keys", "values", "items", "lower", "upper", "strip", "lstrip", "rstrip",
                      "startswith", "endswith", "isdigit", "title", "capitalize", "casefold"})


def runs_in_process(tree: ast.AST) -> bool:
    """Whether `tree` (parsed, before RestrictedPython's transformation) is cheap enough to run
    in the server's process."""
    for node in ast.walk(tree):
        if not isinstance(node, _NODES):
            return False
        if isinstance(node, ast.Call) and not _cheap_call(node.func):
            return False
    return True


def _cheap_call(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in _FUNCTIONS
    return isinstance(func, ast.Attribute) and func.attr in _METHODS
