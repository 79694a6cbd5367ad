"""The operators and builtins a script may call whose result could exhaust memory or hold the GIL.

Each is sized before it runs where that is cheap (`**`, `<<`, sequence repetition, `range`, the
math functions that loop in C) and the large results of `+`, `*`, `**`, `<<` are counted against
one budget per evaluation (bpmn.expressions.budget), so that `s = s + s` repeated, or a thousand
copies of one large list, stop however the script is written.
"""
from __future__ import annotations

import math as _math
import operator
from typing import Any

from bpmn.expressions import budget as budgets
from engine.scripting.errors import ScriptError

MAX_ITEMS = budgets.MAX_SIZE   # largest range() / sequence repetition a script may create
MAX_INT_BITS = 10**6           # largest int (~300k digits) one operator may produce
_SEQUENCES = (str, bytes, bytearray, list, tuple)
_CHEAP = frozenset({int, float, bool})


def too_big(what: str) -> None:
    raise ScriptError(f"{what} would be too large")


def _charge(what: str, result: Any) -> Any:
    """`result`, counted against the evaluation's budget when it is large."""
    kind = type(result)
    if kind is int:
        size = result.bit_length() // 64   # a machine word per item, roughly
    elif kind in _CHEAP:
        return result
    else:
        try:
            size = len(result)
        except TypeError:
            return result
    if size >= budgets.CHARGE_FROM:
        try:
            budgets.current().grow(size)
        except budgets.BudgetExceeded:
            raise ScriptError(f"{what}: the values built would pass {budgets.MAX_SIZE} items "
                              "in one script") from None
    return result


def add(a: Any, b: Any) -> Any:
    return _charge("result of +", a + b)


def power(base: Any, exp: Any, mod: Any = None) -> Any:
    if isinstance(base, int) and isinstance(exp, int) and exp > 0:
        if mod is None and (abs(base).bit_length() - 1) * exp > MAX_INT_BITS:
            too_big("result of **")
        if mod is not None and max(exp.bit_length(), abs(mod).bit_length()) > 10**4:
            too_big("pow() argument")
    return _charge("result of **", pow(base, exp) if mod is None else pow(base, exp, mod))


def multiply(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int):
        if a.bit_length() + b.bit_length() > MAX_INT_BITS:
            too_big("result of *")
    elif (isinstance(b, int) and isinstance(a, _SEQUENCES) and len(a) * b > MAX_ITEMS
          or isinstance(a, int) and isinstance(b, _SEQUENCES) and len(b) * a > MAX_ITEMS):
        too_big("repeated sequence")
    return _charge("result of *", a * b)


def left_shift(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b > MAX_INT_BITS:
        too_big("result of <<")
    return _charge("result of <<", a << b)


def bounded_range(*args: int) -> range:
    r = range(*args)
    try:
        too_many = len(r) > MAX_ITEMS
    except OverflowError:   # more than sys.maxsize items
        too_many = True
    if too_many:
        raise ScriptError(f"range() of more than {MAX_ITEMS} items is not allowed")
    return r


# 'n += 1' is compiled to 'n = _inplacevar_("+=", n, 1)'; in-place ops keep list aliasing.
INPLACE = {
    "+=": lambda a, b: _charge("result of +=", operator.iadd(a, b)), "-=": operator.isub,
    "*=": multiply, "/=": operator.itruediv, "//=": operator.ifloordiv, "%=": operator.imod,
    "**=": power, "<<=": left_shift, ">>=": operator.irshift, "&=": operator.iand,
    "|=": operator.ior, "^=": operator.ixor, "@=": operator.imatmul,
}


def capped(fn: Any, limit: int = 10**4) -> Any:
    """`fn` refusing arguments above `limit` (math.factorial/comb/perm run uninterruptibly in C)."""
    def guarded(*args: int) -> Any:
        if any(a > limit for a in args):
            too_big(f"math.{fn.__name__}() argument")
        return fn(*args)
    return guarded


def bounded_varargs(fn: Any) -> Any:
    """`fn(*ints)` refusing many or huge arguments: math.lcm(*range(1, 200000)) held the GIL 17 s."""
    def guarded(*args: int) -> Any:
        if len(args) > 1000 or any(isinstance(a, int) and a.bit_length() > 10**4 for a in args):
            too_big(f"math.{fn.__name__}() argument list")
        return fn(*args)
    return guarded


def math_functions() -> dict[str, Any]:
    """The math module's public functions, the ones that loop in C guarded; math.prod is left
    out: prod(range(1, 10**7)) is an uninterruptible factorial."""
    functions = {k: v for k, v in vars(_math).items() if not k.startswith("_") and k != "prod"}
    functions.update({name: capped(getattr(_math, name)) for name in ("factorial", "comb", "perm")})
    functions.update({name: bounded_varargs(getattr(_math, name)) for name in ("lcm", "gcd")})
    return functions
