"""Restricted execution of user Python in BPMN script tasks and gateway conditions.

Scripts run in-process in web server threads: no subprocess to kill, no signal to
deliver (signal.alarm only works in the main thread).  So safety is code transformation:
RestrictedPython refuses "_" names/attributes and exec/eval and routes attribute, item,
write and iteration access through guards; our ``_Policy`` also refuses imports and
classes and compiles a deadline check into every ``while`` iteration and function/lambda
call (``for`` loops and comprehensions check per item via ``_getiter_``), which bounds
the work left after the deadline even if a script catches the timeout.  Builtins are a
whitelist; ``range``, ``**``, ``*`` and ``<<`` refuse results that would exhaust memory.
"""
from __future__ import annotations

import ast
import datetime as _datetime
import functools
import json as _json
import math as _math
import operator
import sys
import textwrap
import time
import types
from collections.abc import Mapping
from typing import Any

from RestrictedPython import RestrictingNodeTransformer, safe_builtins
from RestrictedPython.Guards import (full_write_guard, guarded_iter_unpack_sequence,
                                     guarded_unpack_sequence, safer_getattr_raise)

__all__ = ["ScriptError", "ScriptTimeout", "execute_script", "evaluate_expression"]

_FILENAME = "<script>"   # marks the user's frames in tracebacks (to find the line)
MAX_ITEMS = 10**7        # largest range() / sequence repetition a script may create
MAX_INT_BITS = 10**6     # largest int (~300k digits) one operator may produce
_MISSING = object()


class ScriptError(Exception):
    """A script or expression was refused or failed: ``message`` (one line), ``line``
    (1-based in the user's source, or None); ``str(err)`` is "<message> (line <n>)"."""

    def __init__(self, message: str, line: int | None = None):
        self.message, self.line = message, line
        super().__init__(f"{message} (line {line})" if line else message)


class ScriptTimeout(ScriptError):
    """The script or expression ran longer than its time limit."""


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus: no imports or classes, deadline checks compiled
    into loops and calls, and guarded big-number operators."""

    _BINOP_GUARDS = {ast.Pow: "_pow_", ast.Mult: "_mul_", ast.LShift: "_lshift_"}
    first_error: tuple[str, int | None] | None = None

    def error(self, node: ast.AST, info: str) -> None:
        super().error(node, info)
        if self.first_error is None:   # kept structured: no parsing of "Line N: ..." strings
            message = info.rstrip(".")
            self.first_error = (message[:1].lower() + message[1:], getattr(node, "lineno", None))

    def visit_Import(self, node: ast.AST) -> ast.AST:
        # RestrictedPython allows imports (via a guarded __import__); we offer none.
        self.error(node, "imports are not allowed")
        return node

    def visit_ClassDef(self, node: ast.AST) -> ast.AST:
        # Classes would let C code run __next__/__getattr__ hooks; scripts don't need them.
        self.error(node, "class definitions are not allowed")
        return node

    visit_ImportFrom = visit_Import

    def _tick_first(self, node: ast.While | ast.FunctionDef) -> ast.AST:
        # Located at the first body statement, so errors point into the loop/function.
        node.body.insert(0, ast.copy_location(ast.Expr(_call("_tick_")), node.body[0]))
        return node

    def visit_While(self, node: ast.While) -> ast.AST:
        return self._tick_first(super().visit_While(node))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        # Checked on entry, so recursion (even exponential, via try/finally) stops too.
        return self._tick_first(super().visit_FunctionDef(node))

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        node = super().visit_Lambda(node)
        # lambda: body  ->  lambda: _tick_() or body   (_tick_ returns None)
        node.body = ast.copy_location(ast.BoolOp(ast.Or(), [_call("_tick_"), node.body]), node.body)
        return node

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        # RestrictedPython refuses `d[k] += v`, common in data scripts.  With a plain name
        # and key, `d[k] = d[k] + v` is equivalent (double evaluation has no side effects)
        # and is an allowed program, so rewrite it and let the normal checks apply.
        target = node.target
        if (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)
                and isinstance(target.slice, (ast.Name, ast.Constant))):
            read = ast.Subscript(ast.Name(target.value.id, ast.Load()), target.slice, ast.Load())
            node = ast.Assign(targets=[target], value=ast.BinOp(read, node.op, node.value))
            return self.visit(ast.fix_missing_locations(ast.copy_location(node, target)))
        return super().visit_AugAssign(node)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        node = super().visit_BinOp(node)
        guard = self._BINOP_GUARDS.get(type(node.op))
        return ast.copy_location(_call(guard, node.left, node.right), node) if guard else node


@functools.lru_cache(maxsize=2048)
def _compile(source: str, mode: str) -> tuple[Any, frozenset[str], tuple[str, int | None] | None]:
    """Compile restricted; cached by source text because this is on the hot path.
    Returns (code, names, None) or (None, frozenset(), (message, line)); ``names``
    (all names in the code and nested code) is a superset of the top-level names it
    can bind or delete, so write-back needn't scan all task data."""
    if mode == "eval":
        text = source.strip()   # eval mode rejects leading indentation
        offset = source[: len(source) - len(source.lstrip())].count("\n")
    else:
        text, offset = textwrap.dedent(source), 0   # BPMN XML often indents script bodies
    try:
        policy = _Policy()
        tree = policy.visit(ast.parse(text, _FILENAME, mode))
    except (SyntaxError, ValueError) as exc:   # ValueError: null bytes
        line = getattr(exc, "lineno", None)
        return None, frozenset(), (f"syntax error: {getattr(exc, 'msg', exc)}", line and line + offset)
    except RecursionError:
        return None, frozenset(), ("script is nested too deeply", None)
    if policy.first_error:
        message, line = policy.first_error
        return None, frozenset(), (message, line and line + offset)
    ast.increment_lineno(ast.fix_missing_locations(tree), offset)
    code = compile(tree, _FILENAME, mode)
    names, todo = set(), [code]
    while todo:
        co = todo.pop()
        names.update(co.co_names)
        todo.extend(c for c in co.co_consts if isinstance(c, types.CodeType))
    return code, frozenset(names - _HELPER_NAMES), None


def _too_big(what: str) -> None:
    raise ScriptError(f"{what} would be too large")


def _pow(base: Any, exp: Any, mod: Any = None) -> Any:
    if isinstance(base, int) and isinstance(exp, int) and exp > 0:
        if mod is None and (abs(base).bit_length() - 1) * exp > MAX_INT_BITS:
            _too_big("result of **")
        if mod is not None and max(exp.bit_length(), abs(mod).bit_length()) > 10**4:
            _too_big("pow() argument")
    return pow(base, exp) if mod is None else pow(base, exp, mod)


_SEQUENCES = (str, bytes, bytearray, list, tuple)


def _mul(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int):
        if a.bit_length() + b.bit_length() > MAX_INT_BITS:
            _too_big("result of *")
    elif (isinstance(b, int) and isinstance(a, _SEQUENCES) and len(a) * b > MAX_ITEMS
          or isinstance(a, int) and isinstance(b, _SEQUENCES) and len(b) * a > MAX_ITEMS):
        _too_big("repeated sequence")
    return a * b


def _lshift(a: Any, b: Any) -> Any:
    if isinstance(a, int) and isinstance(b, int) and a.bit_length() + b > MAX_INT_BITS:
        _too_big("result of <<")
    return a << b


def _range(*args: int) -> range:
    r = range(*args)
    try:
        too_big = len(r) > MAX_ITEMS
    except OverflowError:   # more than sys.maxsize items
        too_big = True
    if too_big:
        raise ScriptError(f"range() of more than {MAX_ITEMS} items is not allowed")
    return r


# 'n += 1' is compiled to 'n = _inplacevar_("+=", n, 1)'; in-place ops keep list aliasing.
_INPLACE = {
    "+=": operator.iadd, "-=": operator.isub, "*=": _mul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": _pow, "<<=": _lshift,
    ">>=": operator.irshift, "&=": operator.iand, "|=": operator.ior,
    "^=": operator.ixor, "@=": operator.imatmul,
}


def _capped(fn: Any) -> Any:
    # math.factorial/comb/perm run uninterruptibly in C for minutes on big arguments.
    def guarded(*args: int) -> Any:
        if any(a > 10**4 for a in args):
            _too_big(f"math.{fn.__name__}() argument")
        return fn(*args)
    return guarded


class _NoPrint:
    """Replaces RestrictedPython's print collector: print() is accepted and discarded
    (scripts have no console; collecting would grow memory in loops)."""

    def __init__(self, _getattr: Any = None) -> None:
        pass

    def _call_print(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __call__(self) -> str:   # the magic name 'printed'
        return ""


def _namespace(name: str, **attrs: Any) -> types.ModuleType:
    # A fresh module holding only chosen attributes: the real json module would expose
    # json.codecs (codecs.open reads files); being a module, it is never written back.
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    return module


# math.prod is left out: prod(range(1, 10**7)) is an uninterruptible factorial.
_math_ns = _namespace("math", **{k: v for k, v in vars(_math).items()
                                 if not k.startswith("_") and k != "prod"})
for _name in ("factorial", "comb", "perm"):
    setattr(_math_ns, _name, _capped(getattr(_math, _name)))

def _c_import(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (),
              level: int = 0) -> types.ModuleType:
    # C functions import through the running frame's builtins (datetime.strptime needs
    # _strptime, strftime needs time).  Scripts can't name __import__ (compile-time "_" check).
    if name not in ("_strptime", "time") or level:
        raise ImportError(f"import of {name!r} is not allowed")
    return __import__(name, globals, locals, fromlist, level)


_BUILTINS = dict(safe_builtins, __import__=_c_import)
for _name in ("__build_class__", "setattr", "delattr",
              # scripts must not raise these: they would escape `except Exception` in the server
              "BaseException", "SystemExit", "KeyboardInterrupt", "GeneratorExit"):
    del _BUILTINS[_name]
_BUILTINS.update(
    len=len, min=min, max=max, sum=sum, sorted=sorted, any=any, all=all,
    enumerate=enumerate, zip=zip, map=map, filter=filter, reversed=reversed,
    list=list, dict=dict, set=set, frozenset=frozenset, tuple=tuple, next=next,
    str=str, int=int, float=float, bool=bool, abs=abs, round=round,
    isinstance=isinstance, range=_range, pow=_pow,
)

# Pre-bound names; task data may shadow them.
_PREBOUND = {
    "datetime": _datetime.datetime, "date": _datetime.date,
    "timedelta": _datetime.timedelta, "timezone": _datetime.timezone, "math": _math_ns,
    "json": _namespace("json", loads=_json.loads, dumps=_json.dumps,
                       JSONDecodeError=_json.JSONDecodeError),
}

# What RestrictedPython's output calls; applied after task data so data can't replace it.
_GUARDS = {
    "__builtins__": _BUILTINS,
    "_getattr_": safer_getattr_raise,   # also refuses str.format (format-string attacks)
    "_getitem_": operator.getitem,
    "_write_": full_write_guard,        # item/attribute writes on dicts and lists only
    "_inplacevar_": lambda op, x, y: _INPLACE[op](x, y),
    "_unpack_sequence_": guarded_unpack_sequence,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_apply_": lambda f, *args, **kwargs: f(*args, **kwargs),
    "_print_": _NoPrint,
    "_pow_": _pow, "_mul_": _mul, "_lshift_": _lshift,
}
_HELPER_NAMES = frozenset(_GUARDS) | {"_tick_", "_getiter_", "_print", "iter"}


def _clock(time_limit: float) -> tuple[Any, Any, Any, list[ScriptTimeout]]:
    """Per-run deadline helpers (closures, so concurrent runs in threads don't interfere)."""
    deadline = time.monotonic() + time_limit
    monotonic, fired = time.monotonic, []

    def expire() -> None:
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename != _FILENAME:
            frame = frame.f_back
        err = ScriptTimeout(f"script ran longer than {float(time_limit)} s",
                            frame.f_lineno if frame else None)
        fired.append(err)   # remembered: a script that catches it still fails
        raise err

    def tick() -> None:
        if monotonic() > deadline:
            expire()

    def getiter(iterable: Any) -> Any:
        for item in iterable:
            if monotonic() > deadline:
                expire()
            yield item

    def guarded_iter(obj: Any, *sentinel: Any) -> Any:
        # iter(callable, sentinel) is an endless source C code (list(), ''.join) would consume.
        return getiter(iter(obj, *sentinel))

    return tick, getiter, guarded_iter, fired


def _tb_line(tb: Any) -> int | None:
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == _FILENAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line or None


def _run(source: str, mode: str, variables: Mapping, time_limit: float) -> tuple:
    """Compile (cached) and run; return (result, namespace, names) or raise ScriptError."""
    code, names, error = _compile(source, mode)
    if error:
        raise ScriptError(*error)
    tick, getiter, guarded_iter, fired = _clock(time_limit)
    ns = {**_PREBOUND, **variables, **_GUARDS,   # data may shadow _PREBOUND, not guards
          "_tick_": tick, "_getiter_": getiter, "iter": guarded_iter}
    try:
        result = eval(code, ns)   # noqa: S307 - restricted code; eval also runs 'exec' code
    except ScriptError as err:   # timeouts and our guards' refusals
        if err.line is not None:
            raise
        raise type(err)(err.message, _tb_line(err.__traceback__)) from None
    except (KeyboardInterrupt, SystemExit):
        raise   # scripts can't raise these (see _BUILTINS): they are the server's own
    except (RecursionError, MemoryError) as exc:   # `from None`: drop the huge traceback
        message = "out of memory" if isinstance(exc, MemoryError) else "maximum recursion depth exceeded"
        raise ScriptError(message, _tb_line(exc.__traceback__)) from None
    except BaseException as exc:   # BaseException too: `raise Exception.mro()[1]()`
        text = str(exc).replace("\n", " ")
        text = text if len(text) <= 300 else text[:300] + "..."
        if not isinstance(exc, NameError):   # "name 'open' is not defined" is clear alone
            text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
        raise ScriptError(text, _tb_line(exc.__traceback__)) from exc
    if fired:
        raise ScriptTimeout(fired[0].message, fired[0].line)
    return result, ns, names


def execute_script(source: str, variables: dict, *, time_limit: float = 2.0) -> None:
    """Run a script task's Python with ``variables`` (the task data) as its namespace.

    Afterwards ``variables`` holds the new or changed top-level names (deleted names are
    removed); names bound to modules, functions, classes and sandbox helpers are not
    kept.  On failure ``variables`` is left as it was, except for in-place mutations.
    Raises ScriptError (compile-time refusal or runtime error) or ScriptTimeout.
    """
    _, ns, names = _run(source, "exec", variables, time_limit)
    for name in names:
        value = ns.get(name, _MISSING)
        if value is _MISSING:
            variables.pop(name, None)   # the script did `del name`
        elif variables.get(name, _MISSING) is value:
            continue
        elif callable(value) or isinstance(value, types.ModuleType):
            variables.pop(name, None)   # like SpiffWorkflow's TaskDataEnvironment
        else:
            variables[name] = value


def evaluate_expression(source: str, variables: Mapping, *, time_limit: float = 2.0) -> Any:
    """Evaluate one restricted Python expression (e.g. a gateway condition such as
    ``amount > 100 and approved``) against ``variables``, which is not modified.
    Raises ScriptError or ScriptTimeout like execute_script."""
    return _run(source, "eval", variables, time_limit)[0]
