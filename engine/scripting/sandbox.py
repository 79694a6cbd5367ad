"""Restricted execution of user Python in BPMN script tasks and gateway conditions.

Where it runs: code made of operators, assignments and a few linear builtins (cheap_code.py)
runs in the calling thread, which keeps gateway conditions at microseconds; anything else
(loops, calls, functions) runs in a pre-forked evaluator process with memory and CPU limits
that the server kills at its deadline (evaluator_pool.py), because one C call can hold the
GIL for seconds where no check compiled into the script gets a turn.

How it runs, in either place: by code transformation.  RestrictedPython refuses "_" names/attributes and exec/eval and routes attribute, item,
write and iteration access through guards; our ``_Policy`` also refuses imports and
classes and compiles a deadline check into every ``while`` iteration and function/lambda
call (``for`` loops and comprehensions check per item via ``_getiter_``), which bounds
the work left after the deadline even if a script catches the timeout.  Builtins are a
whitelist; ``range``, ``**``, ``*`` and ``<<`` refuse results that would exhaust memory,
and large results of ``+``, ``*``, ``**`` and ``<<`` count against one budget per run (guards.py).
"""
from __future__ import annotations

import ast
import datetime as _datetime
import functools
import json as _json
import operator
import os
import pickle
import resource
import sys
import textwrap
import threading
import time
import types
from collections.abc import Mapping
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from RestrictedPython import RestrictingNodeTransformer, safe_builtins
from RestrictedPython.Guards import (full_write_guard, guarded_iter_unpack_sequence,
                                     guarded_unpack_sequence, safer_getattr_raise)

from bpmn.expressions import budget as budgets
from engine.scripting import guards
from engine.scripting.cheap_code import runs_in_process
from engine.scripting.errors import ScriptError, ScriptTimeout
from engine.scripting.evaluator_pool import EvaluatorPool

__all__ = ["ScriptError", "ScriptTimeout", "execute_script", "evaluate_expression"]

_FILENAME = "<script>"   # marks the user's frames in tracebacks (to find the line)
_MISSING = object()
DEFAULT_PROCESSES = 2
DEFAULT_MEMORY_MB = 512


def _call(name: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(name, ast.Load()), args=list(args), keywords=[])


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus: no imports or classes, deadline checks compiled
    into loops and calls, and guarded big-number operators."""

    _BINOP_GUARDS = {ast.Pow: "_pow_", ast.Mult: "_mul_", ast.LShift: "_lshift_", ast.Add: "_add_"}
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
def _compile(source: str, mode: str) -> tuple[Any, frozenset[str], tuple[str, int | None] | None, bool]:
    """Compile restricted; cached by source text because this is on the hot path.
    Returns (code, names, None, in_process) or (None, frozenset(), (message, line), True);
    ``names`` (all names in the code and nested code) is a superset of the top-level names
    it can bind or delete, so write-back needn't scan all task data; ``in_process`` says
    whether the code is cheap enough to run in the server's own process."""
    if mode == "eval":
        text = source.strip()   # eval mode rejects leading indentation
        offset = source[: len(source) - len(source.lstrip())].count("\n")
    else:
        text, offset = textwrap.dedent(source), 0   # BPMN XML often indents script bodies
    try:
        policy = _Policy()
        tree = ast.parse(text, _FILENAME, mode)
        in_process = runs_in_process(tree)
        tree = policy.visit(tree)
    except (SyntaxError, ValueError) as exc:   # ValueError: null bytes
        line = getattr(exc, "lineno", None)
        return None, frozenset(), (f"syntax error: {getattr(exc, 'msg', exc)}", line and line + offset), True
    except RecursionError:
        return None, frozenset(), ("script is nested too deeply", None), True
    if policy.first_error:
        message, line = policy.first_error
        return None, frozenset(), (message, line and line + offset), True
    ast.increment_lineno(ast.fix_missing_locations(tree), offset)
    code = compile(tree, _FILENAME, mode)
    names, todo = set(), [code]
    while todo:
        co = todo.pop()
        names.update(co.co_names)
        todo.extend(c for c in co.co_consts if isinstance(c, types.CodeType))
    return code, frozenset(names - _HELPER_NAMES), None, in_process


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


_math_ns = _namespace("math", **guards.math_functions())

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
    isinstance=isinstance, range=guards.bounded_range, pow=guards.power,
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
    "_inplacevar_": lambda op, x, y: guards.INPLACE[op](x, y),
    "_unpack_sequence_": guarded_unpack_sequence,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_apply_": lambda f, *args, **kwargs: f(*args, **kwargs),
    "_print_": _NoPrint,
    "_pow_": guards.power, "_mul_": guards.multiply, "_lshift_": guards.left_shift, "_add_": guards.add,
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
    code, names, error, _ = _compile(source, mode)
    if error:
        raise ScriptError(*error)
    budgets.begin()
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


def _execute_here(source: str, variables: dict, time_limit: float) -> None:
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


def execute_script(source: str, variables: dict, *, time_limit: float = 2.0) -> None:
    """Run a script task's Python with ``variables`` (the task data) as its namespace.

    Afterwards ``variables`` holds the new or changed top-level names (deleted names are
    removed); names bound to modules, functions, classes and sandbox helpers are not
    kept.  On failure ``variables`` is left as it was, except for in-place mutations
    (of code run in-process).  Raises ScriptError (compile-time refusal, runtime error,
    a limit passed) or ScriptTimeout.
    """
    if _compile(source, "exec")[3]:
        _execute_here(source, variables, time_limit)
        return
    after = _ask_isolated("exec", source, variables, time_limit)
    for name in [name for name in variables if name not in after and _is_data(variables[name])]:
        del variables[name]
    variables.update(after)


def evaluate_expression(source: str, variables: Mapping, *, time_limit: float = 2.0) -> Any:
    """Evaluate one restricted Python expression (e.g. a gateway condition such as
    ``amount > 100 and approved``) against ``variables``, which is not modified.
    Raises ScriptError or ScriptTimeout like execute_script."""
    if _compile(source, "eval")[3]:
        return _run(source, "eval", variables, time_limit)[0]
    return _ask_isolated("eval", source, variables, time_limit)


# --- the isolated side: a worker process's loop, and the pool that runs it -------------------

def _is_data(value: Any) -> bool:
    return not (callable(value) or isinstance(value, types.ModuleType))


def _sendable(variables: Mapping) -> dict:
    # Functions in task data exist only in tests; scripts' own functions are never kept.
    return {name: value for name, value in variables.items() if _is_data(value)}


def serve_isolated(memory_bytes: int) -> None:
    """An evaluator process's loop: limit this process, then answer the requests on stdin until
    it closes.  Replies go to a private copy of stdout; fd 1 itself is pointed at stderr, so that
    nothing else written there can corrupt the replies."""
    requests = Connection(0, writable=False)
    replies = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)
    _limit_memory(memory_bytes)
    while True:
        try:
            mode, source, variables, time_limit = pickle.loads(requests.recv_bytes())
        except EOFError:
            return
        _limit_cpu(time_limit)
        replies.send_bytes(_answer(mode, source, variables, time_limit))


def _answer(mode: str, source: str, variables: dict, time_limit: float) -> bytes:
    result: Any = None
    try:
        if mode == "exec":
            _execute_here(source, variables, time_limit)
            result = variables
        else:
            result = _run(source, "eval", variables, time_limit)[0]
        return pickle.dumps(("ok", result), protocol=pickle.HIGHEST_PROTOCOL)
    except ScriptError as err:
        failure: ScriptError = err
    except MemoryError:
        failure = ScriptError("out of memory")
    except Exception:   # pickling: a generator, a recursive structure too deep, ...
        failure = ScriptError(_why_not_kept(variables if mode == "exec" else {"the result": result}))
    return pickle.dumps(("failed", type(failure) is ScriptTimeout, failure.message, failure.line))


def _why_not_kept(variables: dict) -> str:
    """Why a script's values cannot come back from its evaluator process, naming the variable that holds one."""
    for name, value in variables.items():
        try:
            pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except RecursionError:
            return f"script left variable '{name}' nested more than {sys.getrecursionlimit()} levels deep: it cannot be kept"
        except Exception:  # noqa: BLE001 - any value pickle refuses
            return f"script left variable '{name}' holding a {type(value).__name__}, which cannot be kept"
    return "script left a value that cannot be kept"


def _limit_memory(memory_bytes: int) -> None:
    # On top of what the process already maps: the sandbox's imports are not the script's.
    with open("/proc/self/status") as status:
        mapped = next((int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize")), 0)
    resource.setrlimit(resource.RLIMIT_AS, (mapped + memory_bytes, resource.RLIM_INFINITY))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _limit_cpu(time_limit: float) -> None:
    used = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = int(used + time_limit) + 2
    resource.setrlimit(resource.RLIMIT_CPU, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))


# The evaluator's main: `engine` stands in as a bare package so that importing this module does
# not run engine/__init__.py (which loads the whole engine: 0.7 s instead of 0.1 s per worker).
_WORKER_MAIN = """
import sys, types
root, memory_bytes = sys.argv[1], int(sys.argv[2])
sys.path.insert(0, root)
engine = types.ModuleType("engine")
engine.__path__ = [root + "/engine"]
sys.modules["engine"] = engine
from engine.scripting.sandbox import serve_isolated
serve_isolated(memory_bytes)
"""
_pool: EvaluatorPool | None = None
_pool_lock = threading.Lock()


def _ask_isolated(mode: str, source: str, variables: Mapping, time_limit: float) -> Any:
    """Run in an evaluator process: the result (exec: the task data afterwards) or its error."""
    global _pool
    with _pool_lock:
        if _pool is None:
            memory_mb = int(os.environ.get("FUSE_SCRIPT_MEMORY_MB", DEFAULT_MEMORY_MB))
            command = [sys.executable, "-c", _WORKER_MAIN, str(Path(__file__).resolve().parents[2]),
                       str(memory_mb * 1024 * 1024)]
            _pool = EvaluatorPool(command, size=int(os.environ.get("FUSE_SCRIPT_PROCESSES", DEFAULT_PROCESSES)))
    reply = _pool.ask((mode, source, _sendable(variables), time_limit), time_limit)
    if reply[0] == "ok":
        return reply[1]
    _, timed_out, message, line = reply
    raise (ScriptTimeout if timed_out else ScriptError)(message, line)
