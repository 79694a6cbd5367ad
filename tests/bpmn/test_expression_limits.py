"""FEEL and JUEL cannot freeze the server: every hostile expression ends within seconds, bounded in
memory, and the evaluator answers normally afterwards (issue 13, hole 5)."""
from __future__ import annotations

import resource
import time

import pytest

from bpmn.expressions.budget import TIME_LIMIT_S
from bpmn.expressions.errors import ExpressionError
from bpmn.expressions.feel import compile_feel
from bpmn.expressions.juel import compile_juel

EVIL = "a" * 26 + "!"
DOUBLING_CONTEXT = "={" + ", ".join(
    ["e0: \"xxxxxxxx\""] + [f"e{n}: e{n - 1} + e{n - 1}" for n in range(1, 30)]) + "}"
DOUBLING_LISTS = "={" + ", ".join(
    ["e0: [1, 2, 3, 4, 5, 6, 7, 8]"] + [f"e{n}: concatenate(e{n - 1}, e{n - 1})" for n in range(1, 30)]) + "}"
MANY_COPIES = "={" + ", ".join(
    ["big: string join(for i in 1..1000 return \"xxxxxxxxxx\")"]
    + [f"c{n}: big + \"{n}\"" for n in range(2000)]) + "}"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _outcome(evaluate) -> object:
    try:
        return evaluate()
    except ExpressionError as err:
        return err


HOSTILE = {
    "feel_catastrophic_regex": lambda: compile_feel('=matches(evil, "(a+)+$")').evaluate({"evil": EVIL}),
    "feel_regex_replace": lambda: compile_feel('=replace(evil, "(a|aa)+$", "b")').evaluate({"evil": EVIL}),
    "feel_regex_split": lambda: compile_feel('=split(evil, "(a*)*b")').evaluate({"evil": EVIL}),
    "feel_nested_for_loops": lambda: compile_feel(
        "=count(for a in 1..1000 return count(for b in 1..1000 return count(for c in 1..1000 return c)))"
    ).evaluate({}),
    "feel_nested_some": lambda: compile_feel(
        "=some a in 1..1000 satisfies some b in 1..1000 satisfies some c in 1..1000 satisfies c < 0"
    ).evaluate({}),
    "feel_filter_in_loop": lambda: compile_feel(
        "=count(for a in 1..100000 return count(items[item > a]))").evaluate({"items": list(range(1000))}),
    "feel_context_doubling_text": lambda: compile_feel(DOUBLING_CONTEXT).evaluate({}),
    "feel_context_doubling_lists": lambda: compile_feel(DOUBLING_LISTS).evaluate({}),
    "feel_many_large_copies": lambda: compile_feel(MANY_COPIES).evaluate({}),
    "juel_catastrophic_regex": lambda: compile_juel("${s.matches('(a+)+$')}").evaluate({"s": EVIL}),
    "juel_replace_between_every_character": lambda: compile_juel("${s.replace('', s)}").evaluate(
        {"s": "x" * 100_000}),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_expression_ends_within_seconds_and_leaves_the_process_healthy(name):
    rss_before = _rss_mb()
    began = time.monotonic()
    outcome = _outcome(HOSTILE[name])
    elapsed = time.monotonic() - began
    # The budget stops it at TIME_LIMIT_S; the rest is margin for a loaded CI machine (unbounded, these run for minutes).
    assert elapsed <= TIME_LIMIT_S + 2, f"{name} took {elapsed:.1f} s"
    # An error, or a small answer (a regex run by RE2 in linear time finds no match in the text).
    assert isinstance(outcome, ExpressionError) or len(repr(outcome)) < 100, repr(outcome)[:100]
    assert _rss_mb() - rss_before < 300
    assert compile_feel("=amount > 100").evaluate({"amount": 150}) is True


def test_loops_share_one_budget_per_evaluation_and_it_names_the_loop():
    err = _outcome(lambda: compile_feel("=for a in 1..2000 return for b in 1..2000 return b").evaluate({}))
    assert isinstance(err, ExpressionError) and "iterations" in err.message and err.position is not None


def test_every_evaluation_gets_a_fresh_budget():
    half = compile_feel("=count(for a in 1..600000 return a)")
    assert half.evaluate({}) == 600000
    assert half.evaluate({}) == 600000  # the first run's iterations do not count against the second


def test_regex_flags_map_to_re2_and_what_it_cannot_express_is_null():
    feel = lambda text, **v: compile_feel(text).evaluate(v)  # noqa: E731
    assert feel('=matches("FOO", "foo", "i")') is True
    assert feel('=matches("a\nb", "a.b", "s")') is True
    assert feel('=matches("x\nab", "^ab$", "m")') is True
    assert feel('=matches("ab", "a b", "x")') is True
    assert feel('=matches("abab", "(ab)\\\\1")') is None      # a back-reference: RE2 cannot say
    assert feel('=matches("ab", "a(?=b)")') is None           # look-ahead likewise
    assert feel('=matches("ab", "a", "q")') is None           # an unknown flag
    err = _outcome(lambda: compile_juel(r"${s.matches('(a)\1')}").evaluate({"s": "aa"}))
    assert isinstance(err, ExpressionError) and "regular expression" in err.message
