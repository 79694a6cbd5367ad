"""Turns a parsed JUEL tree into nested Python closures, once, so evaluation is plain calls.

Promise: the closures read only the variables mapping they are called with, never run
Python eval/exec, and raise ExpressionError (position = column in the full template) for
every failure. `compile_tree` also reports the top-level variable names the tree reads.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Mapping

from lark import Token, Tree

from bpmn.expressions import juel_values as values
from bpmn.expressions.compiled import build_guarded
from bpmn.expressions.errors import ExpressionError, ExpressionSyntaxError
from bpmn.expressions.juel_access import call_method, get_property

Evaluator = Callable[[Mapping[str, Any]], Any]

# lark's contextual lexer reads a keyword as a name where the keyword cannot stand (`${div}`);
# JUEL reserves these words, so such names are refused here.
RESERVED_WORDS = frozenset({"and", "or", "not", "eq", "ne", "lt", "gt", "le", "ge", "true", "false",
                            "null", "empty", "div", "mod", "instanceof"})

_STRING_ESCAPE = re.compile(r"\\([\\'\"])")

_BINARY = {
    "EQ": values.equals, "EQ_KW": values.equals,
    "NE": lambda a, b, pos: not values.equals(a, b, pos),
    "LT": values.less, "LT_KW": values.less,
    "GT": values.greater, "GT_KW": values.greater,
    "LE": values.less_equal, "LE_KW": values.less_equal,
    "GE": values.greater_equal, "GE_KW": values.greater_equal,
    "PLUS": values.add, "MINUS": values.subtract, "STAR": values.multiply,
    "SLASH": values.divide, "DIV_KW": values.divide,
    "PERCENT": values.modulo, "MOD_KW": values.modulo,
}
_BINARY["NE_KW"] = _BINARY["NE"]


def compile_tree(tree: Tree | Token, body: str, offset: int) -> tuple[Evaluator, frozenset[str]]:
    """Closure evaluating `tree` (parsed from `body`, found at column `offset` of the template)."""
    compiler = _Compiler(body, offset)
    return build_guarded(compiler, tree, offset)


def _constant(value: Any) -> Evaluator:
    return lambda variables: value


class _Compiler:
    def __init__(self, body: str, offset: int):
        self.body = body
        self.offset = offset
        self.names: set[str] = set()

    def build(self, node: Tree) -> Evaluator:
        return getattr(self, f"_{node.data}")(node)

    def pos(self, node: Tree | Token) -> int:
        start = node.start_pos if isinstance(node, Token) else node.meta.start_pos
        return self.offset + start

    def source(self, node: Tree) -> str:
        return self.body[node.meta.start_pos:node.meta.end_pos]

    # --- literals and names ------------------------------------------------------------------

    def _int_lit(self, node: Tree) -> Evaluator:
        return _constant(int(node.children[0]))

    def _float_lit(self, node: Tree) -> Evaluator:
        return _constant(float(node.children[0]))

    def _str_lit(self, node: Tree) -> Evaluator:
        # JUEL unescapes only \\, \' and \"; any other backslash stays (handy in regexes).
        return _constant(_STRING_ESCAPE.sub(r"\1", node.children[0][1:-1]))

    def _true_lit(self, node: Tree) -> Evaluator:
        return _constant(True)

    def _false_lit(self, node: Tree) -> Evaluator:
        return _constant(False)

    def _null_lit(self, node: Tree) -> Evaluator:
        return _constant(None)

    def _var(self, node: Tree) -> Evaluator:
        name = str(node.children[0])
        pos = self.pos(node)
        if name in RESERVED_WORDS:
            raise ExpressionSyntaxError(f"syntax error: '{name}' is a reserved word", position=pos)
        self.names.add(name)

        def variable(variables: Mapping[str, Any]) -> Any:
            try:
                return variables[name]
            except KeyError:
                raise ExpressionError(f"unknown variable '{name}'", position=pos) from None
        return variable

    def _func(self, node: Tree) -> Evaluator:
        name = node.children[0]
        raise ExpressionError(f"function calls such as '{name}(...)' are not supported",
                              position=self.pos(name))

    # --- operators ---------------------------------------------------------------------------

    def _and_(self, node: Tree) -> Evaluator:
        left, _, right = node.children
        first, second = self.build(left), self.build(right)
        first_pos, second_pos = self.pos(left), self.pos(right)
        to_bool = values.to_bool

        def and_(variables: Mapping[str, Any]) -> bool:
            a = first(variables)
            if not (a if a is True or a is False else to_bool(a, first_pos)):
                return False
            b = second(variables)
            return b if b is True or b is False else to_bool(b, second_pos)
        return and_

    def _or_(self, node: Tree) -> Evaluator:
        left, _, right = node.children
        first, second = self.build(left), self.build(right)
        first_pos, second_pos = self.pos(left), self.pos(right)
        to_bool = values.to_bool

        def or_(variables: Mapping[str, Any]) -> bool:
            a = first(variables)
            if a if a is True or a is False else to_bool(a, first_pos):
                return True
            b = second(variables)
            return b if b is True or b is False else to_bool(b, second_pos)
        return or_

    def _compare(self, node: Tree) -> Evaluator:
        return self._binary(node)

    def _arith(self, node: Tree) -> Evaluator:
        return self._binary(node)

    def _binary(self, node: Tree) -> Evaluator:
        left, operator, right = node.children
        first, second = self.build(left), self.build(right)
        operate, pos = _BINARY[operator.type], self.pos(operator)
        return lambda variables: operate(first(variables), second(variables), pos)

    def _neg(self, node: Tree) -> Evaluator:
        operand, pos = self.build(node.children[1]), self.pos(node.children[0])
        negate = values.negate
        return lambda variables: negate(operand(variables), pos)

    def _not_(self, node: Tree) -> Evaluator:
        operand, pos = self.build(node.children[1]), self.pos(node.children[1])
        to_bool = values.to_bool
        return lambda variables: not to_bool(operand(variables), pos)

    def _empty(self, node: Tree) -> Evaluator:
        operand, is_empty = self.build(node.children[1]), values.is_empty
        return lambda variables: is_empty(operand(variables))

    def _cond(self, node: Tree) -> Evaluator:
        test, then, otherwise = node.children
        check, yes, no = self.build(test), self.build(then), self.build(otherwise)
        pos, to_bool = self.pos(test), values.to_bool

        def conditional(variables: Mapping[str, Any]) -> Any:
            return yes(variables) if to_bool(check(variables), pos) else no(variables)
        return conditional

    # --- property access and method calls ----------------------------------------------------

    def _prop(self, node: Tree) -> Evaluator:
        base_node, name = node.children
        base, key, pos = self.build(base_node), str(name), self.pos(name)
        return lambda variables: get_property(base(variables), key, pos)

    def _index(self, node: Tree) -> Evaluator:
        base_node, key_node = node.children
        base, key, pos = self.build(base_node), self.build(key_node), self.pos(key_node)
        return lambda variables: get_property(base(variables), key(variables), pos)

    def _call(self, node: Tree) -> Evaluator:
        base_node, name, args = node.children
        base, method, pos = self.build(base_node), str(name), self.pos(name)
        arguments = [self.build(arg) for arg in args.children] if args is not None else []
        target = self.source(base_node)

        def call(variables: Mapping[str, Any]) -> Any:
            return call_method(base(variables), method, [arg(variables) for arg in arguments],
                               pos, target)
        return call
