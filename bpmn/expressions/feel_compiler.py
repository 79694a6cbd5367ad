"""Turns a parsed FEEL tree into nested Python closures, once, so evaluation is plain calls.

Promise: the closures read only the variables mapping they are called with (and scopes
built from it), never run Python eval/exec, and give null for FEEL type errors. Compiling
raises ExpressionError (position = column in the full text) for an unknown function or a
wrong argument count; evaluating raises it only when an iteration runs away or an `assert`
fails. `compile_tree` also reports the top-level variable names the tree may read;
`compile_unary_tree` does the same for unary tests, which read the input value as `INPUT`.
"""
from __future__ import annotations

import operator
import re
from typing import Any, Callable, Mapping

from lark import Token, Tree

from bpmn.expressions import budget
from bpmn.expressions import feel_values as values
from bpmn.expressions.compiled import build_guarded
from bpmn.expressions.errors import ExpressionError, ExpressionSyntaxError
from bpmn.expressions.feel_access import Scope, for_loop, get_path, index, is_private, matches_test, \
    quantifier, select
from bpmn.expressions.feel_functions import FUNCTIONS
from bpmn.expressions.feel_syntax import KEYWORDS, unescape
from bpmn.expressions.feel_temporal import parse_any

Evaluator = Callable[[Mapping[str, Any]], Any]

_ARITHMETIC = {"PLUS": values.add, "MINUS": values.subtract, "STAR": values.multiply,
               "SLASH": values.divide, "POW": values.power}
# FEEL operator, and the plain Python one that gives the same answer for two ints/floats.
_COMPARISON = {"EQ": (values.equal, operator.eq), "NE": (values.not_equal, operator.ne),
               "LT": (values.less, operator.lt), "GT": (values.greater, operator.gt),
               "LE": (values.less_equal, operator.le), "GE": (values.greater_equal, operator.ge)}
# What a built-in raises for arguments it does not fit; FEEL calls that a type error: null.
_TYPE_ERRORS = (TypeError, ValueError, ArithmeticError, LookupError, re.error)
_FAST = values.FAST_NUMBERS
# The name unary tests read their input value by (`?` in FEEL; no FEEL name can be spelled so).
INPUT = "?"


def compile_tree(tree: Tree, offset: int) -> tuple[Evaluator, frozenset[str]]:
    """Closure evaluating `tree` (parsed from text starting at column `offset`)."""
    compiler = _Compiler(offset)
    return build_guarded(compiler, tree, offset)


def compile_unary_tree(tree: Tree, offset: int) -> tuple[Evaluator, frozenset[str]]:
    """Closure telling whether the input value (the variable `INPUT`) passes the unary tests in
    `tree` (parsed with start="unary_tests"): true, false, or null when it cannot say."""
    compiler = _Compiler(offset, unary=True)
    return build_guarded(compiler, tree, offset)


def _constant(value: Any) -> Evaluator:
    return lambda variables: value


class _Compiler:
    def __init__(self, offset: int, unary: bool = False):
        self.offset = offset
        self.unary = unary
        self.input_reads = 0  # how many `?` have been compiled so far
        self.names: set[str] = set()
        self.bound: list[str] = []  # names bound by enclosing iterations, filters and contexts

    def build(self, node: Tree) -> Evaluator:
        return getattr(self, f"_{node.data}")(node)

    def pos(self, node: Tree | Token) -> int:
        start = node.start_pos if isinstance(node, Token) else node.meta.start_pos
        return self.offset + start

    def build_bound(self, names: list[str], node: Tree) -> Evaluator:
        """`node` compiled with `names` bound locally (they are not top-level variables)."""
        self.bound.extend(names)
        try:
            return self.build(node)
        finally:
            del self.bound[len(self.bound) - len(names):]

    # --- literals and names ------------------------------------------------------------------

    def _number(self, node: Tree) -> Evaluator:
        text = node.children[0]
        return _constant(values.tidy(float(text)) if "." in text else int(text))

    def _string(self, node: Tree) -> Evaluator:
        return _constant(unescape(node.children[0][1:-1]))

    def _temporal(self, node: Tree) -> Evaluator:
        token = node.children[0]
        value = parse_any(unescape(token[2:-1]))
        if value is None:
            raise ExpressionSyntaxError(f"syntax error: {token} is not a date, time, date and time "
                                        "or duration", position=self.pos(token))
        return _constant(value)

    def _keyword(self, node: Tree) -> Evaluator:
        return _constant({"TRUE": True, "FALSE": False, "NULL": None}[node.children[0].type])

    def _var(self, node: Tree) -> Evaluator:
        name = str(node.children[0])
        if name in KEYWORDS:
            raise ExpressionSyntaxError(f"syntax error: '{name}' is a reserved word", position=self.pos(node))
        if name not in self.bound:
            if is_private(name):
                return _constant(None)  # '_' names are never read from the variables
            self.names.add(name)
        # An unknown name is null in FEEL, not an error.
        return lambda variables: variables.get(name)

    def _input_value(self, node: Tree) -> Evaluator:
        if not self.unary:
            raise ExpressionSyntaxError("syntax error: '?' is the input value, known only in a decision "
                                        "table's input entries", position=self.pos(node))
        self.input_reads += 1
        return lambda variables: variables.get(INPUT)

    def _list(self, node: Tree) -> Evaluator:
        elements = [self.build(child) for child in node.children if child is not None]
        return lambda variables: [element(variables) for element in elements]

    def _range(self, node: Tree) -> Evaluator:
        opening, start_node, _, end_node, closing = node.children
        start, end = self.build(start_node), self.build(end_node)
        start_included, end_included = opening.type == "LSQB", closing.type == "RSQB"
        return lambda variables: values.Range(start(variables), end(variables), start_included, end_included)

    def _context(self, node: Tree) -> Evaluator:
        entries: list[tuple[str, Evaluator]] = []
        keys: list[str] = []
        for entry in (child for child in node.children if child is not None):
            key_token, value_node = entry.children
            key = str(key_token) if key_token.type == "NAME" else unescape(key_token[1:-1])
            entries.append((key, self.build_bound(keys, value_node)))  # earlier entries are in scope
            keys.append(key)

        def context(variables: Mapping[str, Any]) -> dict:
            result: dict = {}
            scope = Scope(result, variables)
            for key, value in entries:
                result[key] = value(scope)
            return result
        return context

    def _call(self, node: Tree) -> Evaluator:
        name_token, args = node.children
        name, pos = " ".join(str(name_token).split()), self.pos(name_token)
        builtin = FUNCTIONS.get(name)
        if builtin is None:
            raise ExpressionError(f"unknown function '{name}'", position=pos)
        arguments = [self.build(arg) for arg in args.children] if args is not None else []
        if not builtin.accepts(len(arguments)):
            raise ExpressionError(f"function '{name}' takes {builtin.describe_arity()} argument(s), "
                                  f"got {len(arguments)}", position=pos)
        function, charge_size = builtin.function, budget.charge_size

        def call(variables: Mapping[str, Any]) -> Any:
            supplied = [argument(variables) for argument in arguments]
            try:
                result = function(*supplied)
            except _TYPE_ERRORS:
                return None
            if type(result) is str or type(result) is list:  # `concatenate(a, a)` can double a list
                charge_size(result)
            return result
        return call

    # --- path and filter ---------------------------------------------------------------------

    def _path(self, node: Tree) -> Evaluator:
        base_node, name = node.children
        key, base = str(name), self.build(base_node)
        if is_private(key):
            return _constant(None)

        def path(variables: Mapping[str, Any]) -> Any:
            value = base(variables)
            return value.get(key) if type(value) is dict else get_path(value, key)
        return path

    def _filter(self, node: Tree) -> Evaluator:
        base_node, condition_node = node.children
        base = self.build(base_node)
        if condition_node.data == "number" or (condition_node.data == "neg"
                                               and condition_node.children[1].data == "number"):
            position = self.build(condition_node)(None)  # `list[2]`, `list[-1]`: a plain index

            def indexed(variables: Mapping[str, Any]) -> Any:
                items = base(variables)
                return None if items is None else index(items, position)
            return indexed
        condition = self.build_bound(["item"], condition_node)
        return lambda variables: select(base(variables), condition, variables)

    # --- operators ---------------------------------------------------------------------------

    def _neg(self, node: Tree) -> Evaluator:
        operand_node = node.children[1]
        operand = self.build(operand_node)
        if operand_node.data == "number":
            return _constant(-operand(None))
        negate = values.negate
        return lambda variables: negate(operand(variables))

    def _arith(self, node: Tree) -> Evaluator:
        left, operator_token, right = node.children
        first, second, operate = self.build(left), self.build(right), _ARITHMETIC[operator_token.type]
        return lambda variables: operate(first(variables), second(variables))

    def _compare(self, node: Tree) -> Evaluator:
        left, operator_token, right = node.children
        first, second = self.build(left), self.build(right)
        feel_operator, python_operator = _COMPARISON[operator_token.type]

        def compare(variables: Mapping[str, Any]) -> Any:
            a, b = first(variables), second(variables)
            if type(a) in _FAST and type(b) in _FAST:
                return python_operator(a, b)
            return feel_operator(a, b)
        return compare

    def _between(self, node: Tree) -> Evaluator:
        value, low, high = (self.build(node.children[i]) for i in (0, 2, 4))
        at_least, at_most, all_of = values.greater_equal, values.less_equal, values.all_of

        def between(variables: Mapping[str, Any]) -> Any:
            x = value(variables)
            return all_of([at_least(x, low(variables)), at_most(x, high(variables))])
        return between

    def _in_(self, node: Tree) -> Evaluator:
        value_node, _, tests_node = node.children
        value = self.build(value_node)
        tests = [self._test(child) for child in tests_node.children if isinstance(child, Tree)]
        if len(tests) == 1:
            test = tests[0]
            return lambda variables: test(value(variables), variables)

        def in_(variables: Mapping[str, Any]) -> Any:
            x, outcomes = value(variables), []
            for test in tests:
                outcome = test(x, variables)
                if outcome is True:
                    return True
                outcomes.append(outcome)
            return values.any_of(outcomes)
        return in_

    def _test(self, node: Tree) -> Callable[[Any, Mapping[str, Any]], Any]:
        if node.data == "test_compare":
            operator_token, operand_node = node.children
            compare, operand = _COMPARISON[operator_token.type][0], self.build(operand_node)
            return lambda x, variables: compare(x, operand(variables))
        expected = self.build(node.children[0])
        return lambda x, variables: matches_test(x, expected(variables))

    def _and_(self, node: Tree) -> Evaluator:
        return self._junction(node, dominant=False)

    def _or_(self, node: Tree) -> Evaluator:
        return self._junction(node, dominant=True)

    def _junction(self, node: Tree, dominant: bool) -> Evaluator:
        """`and` (dominant False) and `or` (dominant True) in FEEL's three-valued logic: the dominant
        value decides alone (and stops early); two of the other value give it; anything else is null."""
        first, second = self.build(node.children[0]), self.build(node.children[2])
        other = not dominant

        def junction(variables: Mapping[str, Any]) -> Any:
            a = first(variables)
            if a is dominant:
                return dominant
            b = second(variables)
            if b is other:
                return other if a is other else None
            return dominant if b is dominant else None
        return junction

    def _if_(self, node: Tree) -> Evaluator:
        check, yes, no = (self.build(node.children[i]) for i in (1, 3, 5))
        return lambda variables: yes(variables) if check(variables) is True else no(variables)

    # --- iteration ---------------------------------------------------------------------------

    def _iterations(self, node: Tree) -> tuple[list, Evaluator, int]:
        """The iteration contexts of a for/some/every (each sees the names before it) and body."""
        iterations, names = [], []
        for child in node.children:
            if isinstance(child, Tree) and child.data == "iteration":
                name_token, _, source_node, _, end_node = child.children
                name = str(name_token)
                if name in KEYWORDS:
                    raise ExpressionSyntaxError(f"syntax error: '{name}' is a reserved word",
                                                position=self.pos(name_token))
                source = self.build_bound(names, source_node)
                end = self.build_bound(names, end_node) if end_node is not None else None
                iterations.append((name, source, end))
                names.append(name)
        return iterations, self.build_bound(names, node.children[-1]), self.pos(node)

    def _for_(self, node: Tree) -> Evaluator:
        return for_loop(*self._iterations(node))

    def _some(self, node: Tree) -> Evaluator:
        return quantifier(*self._iterations(node), wanted=True)

    def _every(self, node: Tree) -> Evaluator:
        return quantifier(*self._iterations(node), wanted=False)

    # --- unary tests: a decision table's input entry, tried on the input value -----------------

    def _unary_tests(self, node: Tree) -> Evaluator:
        return self.build(node.children[0])

    def _any_input(self, node: Tree) -> Evaluator:
        return _constant(True)

    def _negated_tests(self, node: Tree) -> Evaluator:
        positive = self.build(node.children[1])

        def negated(variables: Mapping[str, Any]) -> Any:
            outcome = positive(variables)
            return None if outcome is None else not outcome
        return negated

    def _positive_tests(self, node: Tree) -> Evaluator:
        """Several tests: true if any is (stopping there), else null if any is null, else false."""
        tests = [self.build(child) for child in node.children]
        if len(tests) == 1:
            return tests[0]
        return lambda variables: values.any_of(_until_true(tests, variables))

    def _test_compare(self, node: Tree) -> Evaluator:
        test = self._test(node)
        return lambda variables: test(variables.get(INPUT), variables)

    def _test_expr(self, node: Tree) -> Evaluator:
        """As Camunda's FEEL engine: an expression with `?` is the test itself; any other matches
        when it is true, when it is a list holding the input or a range around it, or when it
        equals the input (a bare `true`/`false` only by equality)."""
        reads, expression_node = self.input_reads, node.children[0]
        expected = self.build(expression_node)
        if self.input_reads > reads:
            return lambda variables: outcome if isinstance(outcome := expected(variables), bool) else None
        literal = expression_node.data == "keyword"

        def test(variables: Mapping[str, Any]) -> Any:
            value = expected(variables)
            if value is True and not literal:
                return True
            return matches_test(variables.get(INPUT), value)
        return test


def _until_true(tests: list[Evaluator], variables: Mapping[str, Any]) -> list:
    outcomes = []
    for test in tests:
        outcomes.append(test(variables))
        if outcomes[-1] is True:
            break
    return outcomes
