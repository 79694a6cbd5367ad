"""Behaviour of the JUEL evaluator (bpmn.expressions.juel), as Camunda 7 models use it."""
import builtins
import pickle
import time
from dataclasses import dataclass, field
from decimal import Decimal

import pytest

from bpmn.expressions.errors import ExpressionError, ExpressionSyntaxError
from bpmn.expressions.juel import compile_juel, is_juel


def ev(text, **variables):
    return compile_juel(text).evaluate(variables)


def error_of(text, **variables) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        ev(text, **variables)
    return caught.value


@dataclass
class Order:
    amount: int = 5
    customer: dict = field(default_factory=lambda: {"name": "Ada"})
    _secret: str = "hidden"

    def total(self):
        return self.amount


# --- recognising JUEL ------------------------------------------------------------------------

def test_is_juel_recognises_dollar_and_hash_expressions():
    assert is_juel("${a}")
    assert is_juel("#{a}")
    assert is_juel("  ${a}\n")
    assert is_juel("Hello ${name}!")


def test_is_juel_rejects_python_and_escaped_text():
    assert not is_juel("a > 1")
    assert not is_juel("cost is $5 {x}")
    assert not is_juel(r"\${not an expression}")
    assert not is_juel(None)


# --- literals --------------------------------------------------------------------------------

def test_integer_and_float_literals():
    assert ev("${42}") == 42 and type(ev("${42}")) is int
    assert ev("${1.5}") == 1.5
    assert ev("${.5}") == 0.5
    assert ev("${2.}") == 2.0
    assert ev("${1e3}") == 1000.0


def test_string_literals_in_both_quotes_with_escapes():
    assert ev("${'single'}") == "single"
    assert ev('${"double"}') == "double"
    assert ev(r"${'it\'s'}") == "it's"
    assert ev(r'${"say \"hi\""}') == 'say "hi"'
    assert ev(r"${'back\\slash'}") == "back\\slash"


def test_other_backslashes_in_strings_are_kept_as_written():
    assert ev(r"${'\d+'}") == r"\d+"


def test_boolean_and_null_literals():
    assert ev("${true}") is True
    assert ev("${false}") is False
    assert ev("${null}") is None


# --- variables and access --------------------------------------------------------------------

def test_identifiers_read_variables():
    assert ev("${amount}", amount=7) == 7
    assert ev("${missing_value}", missing_value=None) is None


def test_unknown_variable_is_an_error_with_its_column():
    err = error_of("${amout > 1}", amount=3)
    assert err.message == "unknown variable 'amout'"
    assert err.position == 2
    assert err.expression == "${amout > 1}"
    assert str(err) == "Cannot evaluate '${amout > 1}': unknown variable 'amout' (at column 2)"


def test_property_access_on_dicts_and_objects():
    assert ev("${order.amount}", order={"amount": 3}) == 3
    assert ev("${order.amount}", order=Order(amount=9)) == 9
    assert ev("${order.customer.name}", order=Order()) == "Ada"


def test_missing_map_key_and_null_base_give_null_like_juel():
    assert ev("${order.nothing}", order={}) is None
    assert ev("${order.amount}", order=None) is None


def test_unknown_object_property_is_an_error():
    err = error_of("${order.amout}", order=Order())
    assert "unknown property 'amout'" in err.message
    assert err.position == 8


def test_index_access_on_maps_and_lists():
    assert ev("${m['k']}", m={"k": 1}) == 1
    assert ev('${m["k"]}', m={"k": 1}) == 1
    assert ev("${items[0]}", items=["a", "b"]) == "a"
    assert ev("${items[i + 1]}", items=["a", "b"], i=0) == "b"
    assert ev("${items['1']}", items=["a", "b"]) == "b"
    assert ev("${rows[1].name}", rows=[{}, {"name": "x"}]) == "x"


def test_list_index_out_of_range_gives_null_like_juel():
    assert ev("${items[5]}", items=[1]) is None
    assert ev("${items[-1]}", items=[1]) is None


def test_property_of_a_list_or_string_is_an_error_with_a_hint():
    assert "call size()" in error_of("${items.size}", items=[]).message
    assert "call length()" in error_of("${s.length}", s="abc").message


# --- safety ----------------------------------------------------------------------------------

def test_dunder_attributes_are_refused():
    for text in ("${x.__class__}", "${''.__class__}", "${x['__class__']}", "${x.__class__.__base__}"):
        err = error_of(text, x=Order())
        assert "'__class__' is not accessible" in err.message
    assert error_of("${''.__class__}").position == 5


def test_private_attributes_and_keys_are_refused():
    assert "'_secret' is not accessible" in error_of("${a._secret}", a=Order()).message
    assert "not accessible" in error_of("${m._k}", m={"_k": 1}).message
    assert "not accessible" in error_of("${m.get('_k')}", m={"_k": 1}).message


def test_methods_cannot_be_read_as_properties():
    assert "is a method" in error_of("${order.total}", order=Order()).message


def test_modules_and_classes_cannot_be_looked_into():
    import os
    assert "cannot read property" in error_of("${m.environ}", m=os).message
    assert "cannot read property" in error_of("${c.mro}", c=Order).message


def test_evaluation_never_uses_python_eval(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("Python eval/exec must not be used")
    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    assert compile_juel("${a + 1 > 2 && s.startsWith('x')}").evaluate({"a": 5, "s": "xy"}) is True
    err = error_of("${__import__}")
    assert err.message == "unknown variable '__import__'"
    assert error_of("${open.name}").message == "unknown variable 'open'"


def test_method_outside_the_allow_list_is_refused_by_name():
    err = error_of("${s.upper()}", s="x")
    assert "method 'upper' is not allowed" in err.message and err.position == 4
    assert "method 'format' is not allowed" in error_of("${s.format(1)}", s="{}").message
    assert "method 'total' is not allowed" in error_of("${o.total()}", o=Order()).message
    assert "method 'clear' is not allowed" in error_of("${m.clear()}", m={"a": 1}).message


def test_function_calls_are_refused_when_compiling():
    with pytest.raises(ExpressionError) as caught:
        compile_juel("${now()}")
    assert "not supported" in caught.value.message and caught.value.position == 2


# --- methods ---------------------------------------------------------------------------------

def test_string_methods():
    s = "  Hello World  "
    assert ev("${s.trim()}", s=s) == "Hello World"
    assert ev("${s.trim().startsWith('Hello')}", s=s) is True
    assert ev("${s.trim().endsWith('World')}", s=s) is True
    assert ev("${s.contains('lo W')}", s=s) is True
    assert ev("${s.length()}", s="abc") == 3
    assert ev("${s.toUpperCase()}", s="ab") == "AB"
    assert ev("${s.toLowerCase()}", s="AB") == "ab"
    assert ev("${s.equals('ab')}", s="ab") is True
    assert ev("${s.equals(1)}", s="1") is False
    assert ev("${s.equalsIgnoreCase('AB')}", s="ab") is True
    assert ev("${s.isEmpty()}", s="") is True
    assert ev("${s.substring(1)}", s="hello") == "ello"
    assert ev("${s.substring(1, 3)}", s="hello") == "el"
    assert ev("${s.indexOf('l')}", s="hello") == 2
    assert ev("${s.indexOf('z')}", s="hello") == -1
    assert ev(r"${s.matches('[a-z]+\d')}", s="abc1") is True
    assert ev("${s.matches('abc')}", s="abcd") is False


def test_string_method_misuse_is_an_error():
    assert "out of range" in error_of("${s.substring(4)}", s="abc").message
    assert "takes 1 or 2 argument(s), got 0" in error_of("${s.substring()}", s="abc").message
    assert "invalid regular expression" in error_of("${s.matches('(')}", s="abc").message
    assert "because 's' is null" in error_of("${s.length()}", s=None).message


def test_list_methods():
    items = ["a", "b"]
    assert ev("${items.size()}", items=items) == 2
    assert ev("${items.contains('b')}", items=items) is True
    assert ev("${items.contains('z')}", items=items) is False
    assert ev("${flags.contains(1)}", flags=[True]) is False
    assert ev("${items.isEmpty()}", items=[]) is True
    assert ev("${items.get(1)}", items=items) == "b"
    assert "out of range" in error_of("${items.get(2)}", items=items).message


def test_map_methods():
    m = {"k": 1}
    assert ev("${m.get('k')}", m=m) == 1
    assert ev("${m.get('z')}", m=m) is None
    assert ev("${m.containsKey('k')}", m=m) is True
    assert ev("${m.size()}", m=m) == 1
    assert ev("${m.isEmpty()}", m={}) is True


# --- arithmetic ------------------------------------------------------------------------------

def test_addition_subtraction_multiplication():
    assert ev("${1 + 2}") == 3
    assert ev("${5 - 7}") == -2
    assert ev("${3 * 4}") == 12
    assert ev("${1 + 2 * 3}") == 7
    assert ev("${(1 + 2) * 3}") == 9
    assert ev("${1.5 + 1}") == 2.5


def test_division_always_gives_a_float():
    assert ev("${4 / 2}") == 2.0 and type(ev("${4 / 2}")) is float
    assert ev("${7 div 2}") == 3.5


def test_modulo_takes_the_sign_of_the_dividend_like_java():
    assert ev("${7 % 3}") == 1
    assert ev("${7 mod 3}") == 1
    assert ev("${-7 % 3}") == -1
    assert ev("${7.5 % 2}") == 1.5


def test_unary_minus():
    assert ev("${-a}", a=3) == -3
    assert ev("${- -3}") == 3
    assert ev("${-'2'}") == -2


def test_numeric_strings_and_null_are_coerced_in_arithmetic():
    assert ev("${'3' + 4}") == 7
    assert ev("${'1' + '2'}") == 3
    assert ev("${'1.5' * 2}") == 3.0
    assert ev("${x + 1}", x=None) == 1
    assert ev("${null + null}") == 0


def test_decimals_stay_decimal():
    assert ev("${price * 2}", price=Decimal("1.10")) == Decimal("2.20")


def test_adding_non_numeric_strings_is_an_error():
    err = error_of("${'a' + 'b'}")
    assert "cannot convert 'a' to a number" in err.message
    assert "only adds numbers" in err.message
    assert err.position == 6


def test_arithmetic_on_booleans_or_objects_is_an_error():
    assert "expected a number but got true" in error_of("${true + 1}").message
    assert "expected a number but got a list" in error_of("${x * 2}", x=[1]).message


def test_division_and_modulo_by_zero_are_errors_with_the_operator_column():
    err = error_of("${a / b}", a=1, b=0)
    assert "division by zero" in err.message and err.position == 4
    assert error_of("${1 div 0.0}").position == 4
    assert "modulo by zero" in error_of("${1 % 0}").message
    assert "modulo by zero" in error_of("${1 mod 0}").message


# --- comparisons -----------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("${1 == 1}", True), ("${1 eq 2}", False), ("${1 != 2}", True), ("${1 ne 1}", False),
    ("${1 < 2}", True), ("${1 lt 1}", False), ("${2 > 1}", True), ("${1 gt 1}", False),
    ("${1 <= 1}", True), ("${2 le 1}", False), ("${1 >= 1}", True), ("${0 ge 1}", False),
    ("${1 == 1.0}", True), ("${'a' < 'b'}", True), ("${'b' ge 'a'}", True),
])
def test_comparison_operators(text, expected):
    assert ev(text) is expected


def test_equality_coerces_like_juel():
    assert ev("${status == 'ok'}", status="ok") is True
    assert ev("${status != 'ok'}", status="nok") is True
    assert ev("${n == '5'}", n=5) is True
    assert ev("${flag == 'true'}", flag=True) is True
    assert ev("${null == null}") is True
    assert ev("${x == null}", x=None) is True
    assert ev("${x == null}", x=0) is False
    assert ev("${x != null}", x="a") is True
    assert ev("${a == b}", a=[1, 2], b=[1, 2]) is True


def test_comparing_a_number_with_a_non_numeric_string_is_an_error():
    err = error_of("${n == 'ok'}", n=5)
    assert "cannot compare 5 with 'ok'" in err.message and err.position == 4


def test_ordering_with_null_is_false():
    assert ev("${x < 1}", x=None) is False
    assert ev("${x > 1}", x=None) is False


def test_ordering_numbers_against_numeric_strings():
    assert ev("${amount > '100'}", amount=150) is True


def test_ordering_unorderable_values_is_an_error():
    assert "cannot compare" in error_of("${a < b}", a={}, b={}).message


# --- logic -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("${true && false}", False), ("${true and true}", True),
    ("${false || true}", True), ("${false or false}", False),
    ("${!true}", False), ("${not false}", True), ("${! (1 > 2)}", True),
    ("${true || false && false}", True),
])
def test_logical_operators(text, expected):
    assert ev(text) is expected


def test_logical_operators_short_circuit():
    assert ev("${false && missing}") is False
    assert ev("${true || missing}") is True
    assert ev("${x != null && x.size() > 0}", x=None) is False


def test_logical_operands_coerce_strings_and_null():
    assert ev("${flag && true}", flag="TRUE") is True
    assert ev("${flag || false}", flag=None) is False


def test_logical_operand_that_is_not_boolean_is_an_error():
    err = error_of("${amount && true}", amount=5)
    assert "expected a boolean but got 5" in err.message and err.position == 2


def test_empty_operator():
    assert ev("${empty x}", x=None) is True
    assert ev("${empty x}", x="") is True
    assert ev("${empty x}", x=[]) is True
    assert ev("${empty x}", x={}) is True
    assert ev("${empty x}", x="a") is False
    assert ev("${empty x}", x=0) is False
    assert ev("${not empty x}", x=[1]) is True


def test_ternary_operator():
    assert ev("${a > 1 ? 'big' : 'small'}", a=2) == "big"
    assert ev("${a > 1 ? 'big' : 'small'}", a=0) == "small"
    assert ev("${a ? 1 : b ? 2 : 3}", a=False, b=True) == 2
    assert ev("${true ? 1 : missing}") == 1


def test_word_operators_do_not_swallow_identifiers():
    assert ev("${android or notes}", android=False, notes=True) is True
    assert ev("${emptyList}", emptyList=[]) == []


# --- composite expressions -------------------------------------------------------------------

def test_single_expression_returns_the_raw_value():
    assert ev("${items}", items=[1]) == [1]
    assert ev("\n   ${amount > 1}\n  ", amount=2) is True


def test_composite_expression_concatenates_text():
    assert ev("Hello ${name}!", name="Ada") == "Hello Ada!"
    assert ev("${a}${b}", a=1, b=2) == "12"
    assert ev("${a} and #{b}", a=True, b=None) == "true and "


def test_text_without_expressions_is_returned_as_is():
    assert ev("just text") == "just text"


def test_escaped_dollar_brace_is_literal_text():
    assert ev(r"cost \${price} = ${price}", price=3) == "cost ${price} = 3"


def test_closing_brace_inside_a_string_does_not_end_the_expression():
    assert ev("${'}' == s}", s="}") is True


def test_variables_lists_top_level_names():
    expr = compile_juel("${order.amount > limit && !empty tags[0]} for ${who}")
    assert expr.variables == frozenset({"order", "limit", "tags", "who"})


def test_error_position_in_a_composite_is_a_column_of_the_whole_text():
    err = error_of("Dear ${nmae}", name="x")
    assert err.position == 7


# --- syntax errors ---------------------------------------------------------------------------

@pytest.mark.parametrize("text, position, fragment", [
    ("${a +}", 5, "unexpected end of expression"),
    ("${a = 1}", 4, "unexpected character '='"),
    ("${(a}", 4, "unexpected end of expression"),
    ("${a b}", 4, "unexpected 'b'"),
    ("x ${a &&& b}", 8, "unexpected character '&'"),
    ("${}", 2, "empty expression"),
    ("Total: ${a", 7, "never closed"),
])
def test_syntax_errors_carry_their_column(text, position, fragment):
    with pytest.raises(ExpressionSyntaxError) as caught:
        compile_juel(text)
    assert fragment in caught.value.message
    assert caught.value.position == position
    assert str(caught.value).startswith(f"Cannot parse '{text}': syntax error")


def test_keywords_cannot_be_variable_names():
    with pytest.raises(ExpressionSyntaxError):
        compile_juel("${empty}")
    with pytest.raises(ExpressionSyntaxError) as caught:
        compile_juel("${1 + div}")
    assert caught.value.message == "syntax error: 'div' is a reserved word"
    assert caught.value.position == 6


def test_keywords_after_a_dot_are_read_as_property_names():
    # Stricter JUEL refuses this; accepting it costs nothing and reads map keys like 'empty'.
    assert ev("${m.empty}", m={"empty": 1}) == 1


def test_compiled_expressions_are_cached():
    assert compile_juel("${cached + 1}") is compile_juel("${cached + 1}")


def test_non_string_expression_is_an_error():
    with pytest.raises(ExpressionError):
        compile_juel(42)


def test_errors_survive_pickling():
    err = error_of("${amout}")
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.message, copy.expression, copy.position) == (err.message, err.expression, err.position)


def test_broken_objects_never_leak_python_errors():
    class Broken:
        @property
        def value(self):
            raise KeyError("boom")

        def __lt__(self, other):
            raise TypeError("nope")

    assert "failed" in error_of("${b.value}", b=Broken()).message
    assert "cannot compare" in error_of("${b < b}", b=Broken()).message


def test_deeply_nested_expressions_fail_cleanly():
    assert ev("${" + "(" * 2000 + "1" + ")" * 2000 + "}") == 1
    with pytest.raises(ExpressionError, match="nested too deeply"):
        compile_juel("${" + "+".join(["1"] * 5000) + "}")


def test_evaluation_is_fast():
    expr = compile_juel("${amount > 100 && approved}")
    variables = {"amount": 150, "approved": True}
    runs = 20000
    start = time.perf_counter()
    for _ in range(runs):
        expr.evaluate(variables)
    per_call = (time.perf_counter() - start) / runs
    assert per_call < 20e-6
