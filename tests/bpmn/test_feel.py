"""Behaviour of the FEEL evaluator (bpmn.expressions.feel), as Camunda 8 models use it."""
import builtins
import datetime as dt
import pickle
import time
from collections import ChainMap
from collections.abc import Mapping
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pytest

from bpmn.expressions.errors import ExpressionError, ExpressionSyntaxError
from bpmn.expressions.feel import compile_feel, is_feel
from bpmn.expressions.feel_temporal import YearsMonths

UTC = dt.timezone.utc


def ev(text, **variables):
    return compile_feel(text).evaluate(variables)


def error_of(text, **variables) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        ev(text, **variables)
    return caught.value


class Order:
    amount = 5
    _secret = "hidden"

    def total(self):
        return self.amount


# --- recognising and compiling FEEL ------------------------------------------------------------

def test_is_feel_recognises_a_leading_equals_sign():
    assert is_feel("=a + 1")
    assert is_feel("  = a\n")
    assert not is_feel("a")
    assert not is_feel("${a}")
    assert not is_feel(None)


def test_compile_feel_accepts_text_with_or_without_the_equals_sign():
    assert compile_feel("=1 + 1").evaluate({}) == 2
    assert compile_feel("1 + 1").evaluate({}) == 2
    assert compile_feel("  =  1 + 1 ").evaluate({}) == 2


def test_compiled_expression_keeps_its_text_and_is_cached():
    expr = compile_feel("=cached + 1")
    assert expr.text == "=cached + 1"
    assert compile_feel("=cached + 1") is expr


def test_variables_lists_the_top_level_names_read():
    expr = compile_feel("=order.amount > limit and list contains(tags, who)")
    assert expr.variables == frozenset({"order", "limit", "tags", "who"})


def test_variables_leave_out_names_bound_inside_the_expression():
    assert compile_feel("=for x in xs return x + y").variables == frozenset({"xs", "y"})
    assert compile_feel("=some x in xs satisfies x > y").variables == frozenset({"xs", "y"})
    assert compile_feel("=xs[item > 1]").variables == frozenset({"xs"})
    assert compile_feel("={a: 1, b: a + c}").variables == frozenset({"c"})


def test_non_string_expression_is_an_error():
    with pytest.raises(ExpressionError):
        compile_feel(42)


# --- literals ----------------------------------------------------------------------------------

def test_number_literals_are_int_when_whole_else_float():
    assert ev("=42") == 42 and type(ev("=42")) is int
    assert ev("=1.5") == 1.5
    assert ev("=.5") == 0.5
    assert ev("=2.0") == 2 and type(ev("=2.0")) is int
    assert ev("=-3") == -3


def test_string_literals_and_their_escapes():
    assert ev('="hello"') == "hello"
    assert ev(r'="say \"hi\""') == 'say "hi"'
    assert ev(r'="a\nb\tc\\d"') == "a\nb\tc\\d"
    assert ev(r'="\u00e9t\u00e9"') == "été"
    assert ev(r'="\d+"') == r"\d+"  # unknown escapes stay, so regexes read naturally


def test_boolean_and_null_literals():
    assert ev("=true") is True
    assert ev("=false") is False
    assert ev("=null") is None


def test_at_literals_are_temporal_values():
    assert ev('=@"2020-04-06"') == dt.date(2020, 4, 6)
    assert ev('=@"08:30:00"') == dt.time(8, 30)
    assert ev('=@"2020-04-06T08:00:00Z"') == dt.datetime(2020, 4, 6, 8, tzinfo=UTC)
    assert ev('=@"P2DT3H"') == dt.timedelta(days=2, hours=3)
    assert ev('=@"P1Y2M"') == YearsMonths(14)


def test_list_and_context_literals():
    assert ev("=[1, 2, [3]]") == [1, 2, [3]]
    assert ev("=[]") == []
    assert ev('={a: 1, "b c": 2}') == {"a": 1, "b c": 2}
    assert ev("={}") == {}


def test_context_entries_can_use_earlier_entries():
    assert ev("={a: 1, b: a + 1}") == {"a": 1, "b": 2}
    assert ev("={b: a, a: 1}", a=5) == {"b": 5, "a": 1}


def test_comments_are_ignored():
    assert ev("=1 + // one\n 2 /* two */ * 3") == 7


# --- names and paths ---------------------------------------------------------------------------

def test_names_read_variables():
    assert ev("=amount", amount=7) == 7


def test_unknown_name_is_null_not_an_error():
    assert ev("=missing") is None
    assert ev("=missing = null") is True
    assert ev("=missing + 1") is None


def test_variables_may_be_any_mapping():
    assert compile_feel("=a + b").evaluate(ChainMap({"a": 1}, {"b": 2})) == 3


def test_path_reads_nested_contexts():
    assert ev("=order.customer.name", order={"customer": {"name": "Ada"}}) == "Ada"


def test_path_to_a_missing_key_or_through_null_is_null():
    assert ev("=order.nope", order={}) is None
    assert ev("=order.customer.name", order={"customer": None}) is None
    assert ev("=nothing.at.all") is None


def test_path_on_a_list_reads_the_key_of_each_element():
    assert ev("=items.price", items=[{"price": 1}, {"price": 2}, {}]) == [1, 2, None]


def test_objects_attributes_are_not_reachable():
    assert ev("=o.amount", o=Order()) is None
    assert ev("=o.total", o=Order()) is None


@pytest.mark.parametrize("base", [1, "text", {"a": 1}, [1], Order(), Order, dt.date(2020, 1, 1), None])
def test_dunder_paths_give_null_never_a_class(base):
    for text in ("=x.__class__", "=x.__class__.__subclasses__", "=x.__dict__", "=x._secret"):
        assert ev(text, x=base) is None


def test_names_starting_with_an_underscore_are_private():
    assert ev("=_secret", _secret=1) is None
    assert ev("=m._key", m={"_key": 1}) is None
    assert ev("=get value(m, \"_key\")", m={"_key": 1}) is None
    assert ev("=items[_key = 1]", items=[{"_key": 1}]) == []
    assert ev("=for _x in [1] return _x") == [1]  # bound inside the expression: fine


def test_temporal_properties():
    moment = dt.datetime(2020, 4, 6, 8, 30, 15)
    assert ev("=[d.year, d.month, d.day, d.hour, d.minute, d.second, d.weekday]", d=moment) \
        == [2020, 4, 6, 8, 30, 15, 1]
    assert ev('=date("2020-04-06").year') == 2020
    assert ev('=time("08:30:00").minute') == 30
    assert ev('=[d.days, d.hours, d.minutes, d.seconds]', d=dt.timedelta(days=1, hours=2, minutes=3,
                                                                          seconds=4)) == [1, 2, 3, 4]
    assert ev('=duration("-PT90M").minutes') == -30
    assert ev('=[d.years, d.months]', d=YearsMonths(14)) == [1, 2]
    assert ev('=date("2020-04-06").hour') is None


# --- filters and indexes -----------------------------------------------------------------------

def test_index_is_one_based_and_negative_counts_from_the_end():
    assert ev("=[1, 2, 3][1]") == 1
    assert ev("=[1, 2, 3][3]") == 3
    assert ev("=[1, 2, 3][-1]") == 3
    assert ev("=[1, 2, 3][-3]") == 1


def test_index_outside_the_list_is_null():
    assert ev("=[1, 2, 3][0]") is None
    assert ev("=[1, 2, 3][4]") is None
    assert ev("=[1, 2, 3][-4]") is None
    assert ev("=xs[1]") is None


def test_index_may_come_from_a_variable():
    assert ev("=xs[i]", xs=["a", "b"], i=2) == "b"
    assert ev("=xs[i + 1]", xs=["a", "b"], i=-2) == "b"


def test_filter_keeps_elements_for_which_the_condition_is_true():
    assert ev("=[1, 2, 3, 4, 5][item > 3]") == [4, 5]
    assert ev("=[1, 2, 3][item > 10]") == []
    assert ev("=[][item > 1]") == []
    assert ev("=[1, null, 3][item > 2]") == [3]


def test_filter_on_contexts_sees_their_entries_by_name():
    orders = [{"id": 1, "amount": 50}, {"id": 2, "amount": 150}, {"id": 3, "amount": 300}]
    assert ev("=orders[amount > limit].id", orders=orders, limit=100) == [2, 3]
    assert ev("=orders[item.amount < 100][1].id", orders=orders) == 1


def test_filter_on_null_is_null():
    assert ev("=xs[item > 1]") is None


# --- comparison --------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("=1 = 1", True), ("=1 = 1.0", True), ("=1 != 2", True), ("=1 != 1", False),
    ("=1 < 2", True), ("=2 <= 2", True), ("=3 > 2", True), ("=2 >= 3", False),
    ('="a" = "a"', True), ('="a" < "b"', True), ("=true = true", True),
    ("=[1, 2] = [1, 2]", True), ("=[1, 2] = [2, 1]", False), ("={a: 1} = {a: 1}", True),
    ('=date("2020-01-01") < date("2020-01-02")', True),
    ('=duration("P1D") > duration("PT23H")', True),
    ('=duration("P1Y") >= duration("P6M")', True),
])
def test_comparison_operators(text, expected):
    assert ev(text) is expected


def test_null_equals_only_null():
    assert ev("=null = null") is True
    assert ev("=x = null", x=1) is False
    assert ev("=null != 1") is True


def test_comparing_different_types_is_null():
    assert ev('=1 = "1"') is None
    assert ev('=1 < "2"') is None
    assert ev("=true > false") is None
    assert ev("=null < 1") is None
    assert ev('=date("2020-01-01") < date and time("2020-01-01T00:00:00")') is None


def test_decimal_variables_compare_and_calculate_as_numbers():
    assert ev("=x = 0.5", x=Decimal("0.5")) is True
    assert ev("=x + 1", x=Decimal("0.5")) == Decimal("1.5")
    assert ev("=x > 0.25", x=Decimal("0.5")) is True


def test_between_includes_both_ends():
    assert ev("=5 between 1 and 10") is True
    assert ev("=10 between 1 and 10") is True
    assert ev("=11 between 1 and 10") is False
    assert ev("=x between 1 and 10") is None
    assert ev("=x between 1 and 10 and true", x=3) is True


def test_in_a_list_tests_membership():
    assert ev("=2 in [1, 2, 3]") is True
    assert ev("=4 in [1, 2, 3]") is False
    assert ev('=status in ["open", "new"]', status="new") is True
    assert ev("=x in allowed", x=2, allowed=[1, 2]) is True


def test_in_a_range_respects_open_and_closed_ends():
    assert ev("=5 in (1..10)") is True
    assert ev("=1 in (1..10)") is False
    assert ev("=1 in [1..10]") is True
    assert ev("=10 in [1..10)") is False
    assert ev('=date("2021-06-04") in [date("2021-05-01")..date("2021-05-31")]') is False


def test_in_a_list_of_tests_is_true_if_any_is():
    assert ev("=5 in (3, 5, 7)") is True
    assert ev("=4 in (3, 5, 7)") is False
    assert ev("=5 in (< 3, > 4)") is True
    assert ev("=5 in ([1..2], [4..6])") is True


def test_in_a_single_value_or_comparison():
    assert ev("=5 in 5") is True
    assert ev("=5 in (5)") is True
    assert ev("=5 in < 10") is True
    assert ev("=5 in >= 6") is False


# --- boolean logic -----------------------------------------------------------------------------

@pytest.mark.parametrize("a, b, conjunction, disjunction", [
    ("true", "true", True, True), ("true", "false", False, True),
    ("false", "true", False, True), ("false", "false", False, False),
    ("true", "null", None, True), ("null", "true", None, True),
    ("false", "null", False, None), ("null", "false", False, None),
    ("null", "null", None, None), ('"yes"', "true", None, True), ('"yes"', "false", False, None),
])
def test_and_or_follow_three_valued_logic(a, b, conjunction, disjunction):
    assert ev(f"={a} and {b}") is conjunction
    assert ev(f"={a} or {b}") is disjunction


def test_and_or_stop_early():
    assert ev("=false and missing.x > 1") is False
    assert ev("=true or 1 / 0 > 1") is True


def test_not_function():
    assert ev("=not(true)") is False
    assert ev("=not(false)") is True
    assert ev("=not(null)") is None
    assert ev('=not("x")') is None
    assert ev("=approved and not(rejected)", approved=True, rejected=False) is True


def test_if_then_else():
    assert ev('=if x > 1 then "big" else "small"', x=5) == "big"
    assert ev('=if x > 1 then "big" else "small"', x=0) == "small"
    assert ev('=if x > 1 then "big" else "small"') == "small"  # null condition: else
    assert ev('=if x then 1 else if y then 2 else 3', y=True) == 2


# --- arithmetic --------------------------------------------------------------------------------

def test_arithmetic_operators_and_precedence():
    assert ev("=1 + 2 * 3") == 7
    assert ev("=(1 + 2) * 3") == 9
    assert ev("=10 - 4 - 3") == 3
    assert ev("=2 ** 10") == 1024
    assert ev("=2 * 3 ** 2") == 18
    assert ev("=-x", x=4) == -4
    assert ev("=1.5 * 2") == 3.0


def test_division_is_exact_when_it_can_be():
    assert ev("=10 / 4") == 2.5
    assert ev("=10 / 2") == 5 and type(ev("=10 / 2")) is int


def test_null_propagates_through_arithmetic():
    assert ev("=null + 1") is None
    assert ev("=1 - x") is None
    assert ev("=x * 2") is None
    assert ev("=-x") is None


def test_type_errors_and_division_by_zero_give_null():
    assert ev('="a" + 1') is None
    assert ev("=true + 1") is None
    assert ev("=1 / 0") is None
    assert ev("=[1] * 2") is None
    assert ev("=(-8) ** 0.5") is None
    assert ev("=10 ** 100000") is None  # overflows: null rather than minutes of work


def test_plus_joins_strings():
    assert ev('="Hello " + name', name="Ada") == "Hello Ada"


# --- iteration ---------------------------------------------------------------------------------

def test_for_returns_a_list():
    assert ev("=for x in [1, 2, 3] return x * 2") == [2, 4, 6]
    assert ev("=for x in [1, 2], y in [10, 20] return x + y") == [11, 21, 12, 22]
    assert ev("=for i in 1..3 return i") == [1, 2, 3]
    assert ev("=for i in 3..1 return i") == [3, 2, 1]
    assert ev("=for o in orders return o.id", orders=[{"id": 7}]) == [7]


def test_for_over_null_is_null_and_over_a_value_is_over_one_element():
    assert ev("=for x in missing return x") is None
    assert ev("=for x in 5 return x") == [5]


def test_iteration_names_shadow_variables_only_inside():
    assert ev("=[for x in [1] return x, x]", x=9) == [[1], 9]


def test_some_and_every():
    assert ev("=some x in [1, 2, 3] satisfies x > 2") is True
    assert ev("=some x in [1, 2, 3] satisfies x > 5") is False
    assert ev("=every x in [1, 2, 3] satisfies x >= 1") is True
    assert ev("=every x in [1, 2, 3] satisfies x >= 2") is False
    assert ev("=some x in [1, 2], y in [2, 3] satisfies x < y") is True
    assert ev("=every x in [1, 2], y in [2, 3] satisfies x < y") is False
    assert ev("=some x in missing satisfies x > 1") is None


def test_runaway_iteration_is_an_error_with_its_column():
    err = error_of("=count(for x in 1..2000000 return x)")
    assert "iterations" in err.message and err.position == 7
    assert str(err).startswith("Cannot evaluate '=count(for x in 1..2000000 return x)': more than")


# --- string functions --------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ('=string length("foo")', 3),
    ('=substring("foobar", 3)', "obar"),
    ('=substring("foobar", 3, 3)', "oba"),
    ('=substring("foobar", -2, 1)', "a"),
    ('=upper case("aBc4")', "ABC4"),
    ('=lower case("aBc4")', "abc4"),
    ('=contains("foobar", "of")', False),
    ('=starts with("foobar", "fo")', True),
    ('=ends with("foobar", "r")', True),
    ('=substring before("foobar", "bar")', "foo"),
    ('=substring after("foobar", "ob")', "ar"),
    ('=matches("foobar", "^fo*bar")', True),
    ('=matches("FOO", "foo", "i")', True),
    ('=replace("abcd", "(ab)|(a)", "[1=$1][2=$2]")', "[1=ab][2=]cd"),
    (r'=replace("0123456789", "(\d{3})(\d{3})(\d{4})", "($1) $2-$3")', "(012) 345-6789"),
    (r'=split("John Doe", "\s")', ["John", "Doe"]),
    ('=split("a;b;c;;", ";")', ["a", "b", "c", "", ""]),
    ('=string join(["a", "b", "c"])', "abc"),
    ('=string join(["a", null, "c"], ", ")', "a, c"),
    ('=string join(["a", "b"], ", ", "[", "]")', "[a, b]"),
    ('=extract("references are 1234, 1256, 1378", "12[0-9]*")', ["1234", "1256"]),
    ('=trim("  x ")', "x"),
])
def test_string_functions(text, expected):
    assert ev(text) == expected


@pytest.mark.parametrize("text", [
    "=string length(5)", "=substring(null, 1)", '=substring("abc", "x")', '=upper case(1)',
    '=contains("a", null)', '=matches("a", "(")', '=string join([1, 2])', '=split(null, ",")',
])
def test_string_functions_give_null_for_wrong_types(text):
    assert ev(text) is None


def test_multi_word_function_names_allow_any_spacing():
    assert ev('=string  length ("abc")') == 3
    assert ev('=date and time("2020-01-01T00:00:00").year') == 2020


# --- conversion functions ----------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("=string(1.1)", "1.1"), ("=string(3)", "3"), ("=string(1 / 4)", "0.25"), ("=string(true)", "true"),
    ('=string("x")', "x"), ("=string([1, \"a\"])", '[1, "a"]'), ("=string({a: 1})", "{a: 1}"),
    ('=string(date("2012-12-25"))', "2012-12-25"),
    ('=string(date and time("2020-04-06T08:00:00Z"))', "2020-04-06T08:00:00Z"),
    ('=string(duration("P1DT2H30M"))', "P1DT2H30M"), ('=string(duration("P14M"))', "P1Y2M"),
    ("=string(null)", None),
])
def test_string_conversion(text, expected):
    assert ev(text) == expected


def test_number_conversion():
    assert ev('=number("1500.5")') == 1500.5
    assert ev('=number("12")') == 12
    assert ev('=number("1,500.5", ",", ".")') == 1500.5
    assert ev('=number("abc")') is None
    assert ev("=number(null)") is None


# --- list functions ----------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("=count([1, 2, 3])", 3),
    ("=sum([1, 2, 3])", 6), ("=sum(1, 2, 3)", 6), ("=sum([])", None),
    ("=product([2, 3, 4])", 24),
    ("=min([3, 1, 2])", 1), ("=min(3, 1, 2)", 1), ("=max([3, 1, 2])", 3), ("=max(3, 1, 2)", 3),
    ('=max(["a", "c", "b"])', "c"), ("=min([])", None),
    ("=mean([1, 2, 3, 4])", 2.5), ("=mean(1, 2, 3)", 2), ("=median([6, 1, 2, 3])", 2.5),
    ("=all([true, true])", True), ("=any([false, true])", True),
    ("=list contains([1, 2, 3], 2)", True), ("=list contains([1, 2, 3], true)", False),
    ("=append([1], 2, 3)", [1, 2, 3]),
    ("=concatenate([1, 2], [3])", [1, 2, 3]), ("=concatenate([1], [2], [3])", [1, 2, 3]),
    ("=distinct values([1, 2, 3, 2, 1])", [1, 2, 3]),
    ("=flatten([[1, 2], [[3]], 4])", [1, 2, 3, 4]),
    ("=index of([1, 2, 3, 2], 2)", [2, 4]),
    ("=reverse([1, 2, 3])", [3, 2, 1]),
    ("=sort([3, 1, 4, 2])", [1, 2, 3, 4]), ('=sort(["b", "a"])', ["a", "b"]),
    ("=is empty([])", True), ("=is empty([1])", False),
    ("=sublist([1, 2, 3], 2)", [2, 3]), ("=sublist([1, 2, 3], 1, 2)", [1, 2]),
    ("=insert before([1, 3], 2, 2)", [1, 2, 3]), ("=remove([1, 2, 3], 2)", [1, 3]),
    ("=union([1, 2], [2, 3])", [1, 2, 3]),
    ('=get value({a: 1}, "a")', 1), ('=context put({a: 1}, "b", 2)', {"a": 1, "b": 2}),
    ('=get entries({a: 1})', [{"key": "a", "value": 1}]),
    ("=context merge([{a: 1}, {b: 2}])", {"a": 1, "b": 2}),
])
def test_list_and_context_functions(text, expected):
    assert ev(text) == expected


@pytest.mark.parametrize("text", [
    "=count(5)", "=count(null)", '=sum([1, "a"])', "=sort([1, \"a\"])", "=reverse(null)",
    '=min([1, "a"])', "=append(null, 1)", "=flatten(1)", "=is empty(null)",
])
def test_list_functions_give_null_for_wrong_types(text):
    assert ev(text) is None


def test_list_functions_do_not_change_their_arguments():
    items = [3, 1, 2]
    assert ev("=append(sort(xs), 4)", xs=items) == [1, 2, 3, 4]
    assert items == [3, 1, 2]


# --- numeric functions -------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("=decimal(1 / 3, 2)", 0.33), ("=decimal(1.5, 0)", 2), ("=decimal(2.5, 0)", 2),
    ('=decimal(2.5, 0, "half_up")', 3),
    ("=floor(1.5)", 1), ("=floor(-1.5)", -2), ("=floor(-1.56, 1)", -1.6),
    ("=ceiling(1.5)", 2), ("=ceiling(-1.5)", -1), ("=ceiling(-1.56, 1)", -1.5),
    ("=round half up(5.5)", 6), ("=round half up(-5.5)", -6), ("=round half up(-1.126, 2)", -1.13),
    ("=round half down(5.5)", 5), ("=round up(1.121, 2)", 1.13), ("=round down(-1.126, 2)", -1.12),
    ("=abs(-10)", 10), ("=abs(1.5)", 1.5),
    ("=modulo(12, 5)", 2), ("=modulo(-12, 5)", 3), ("=modulo(12, 0)", None),
    ("=sqrt(16)", 4), ("=sqrt(-1)", None), ("=odd(5)", True), ("=even(5)", False),
    ('=abs("x")', None), ("=floor(null)", None),
])
def test_numeric_functions(text, expected):
    assert ev(text) == expected


def test_rounding_keeps_decimals_decimal():
    assert ev("=decimal(x, 1)", x=Decimal("2.25")) == Decimal("2.2")


# --- temporal values ---------------------------------------------------------------------------

def test_date_and_time_parses_iso_text_aware_when_a_zone_is_given():
    assert ev('=date and time("2020-04-06T08:00:00")') == dt.datetime(2020, 4, 6, 8)
    assert ev('=date and time("2020-04-06T08:00:00Z")') == dt.datetime(2020, 4, 6, 8, tzinfo=UTC)
    plus_two = ev('=date and time("2020-04-06T08:00:00+02:00")')
    assert plus_two.utcoffset() == dt.timedelta(hours=2)
    assert ev('=date and time(date("2012-12-24"), time("23:59:00"))') == dt.datetime(2012, 12, 24, 23, 59)


def test_date_and_time_with_a_named_zone():
    try:
        ZoneInfo("Europe/Berlin")
    except ZoneInfoNotFoundError:
        pytest.skip("no time zone database on this machine")
    value = ev('=date and time("2020-07-31T14:27:30@Europe/Berlin")')
    assert value.utcoffset() == dt.timedelta(hours=2)
    assert ev('=string(date and time("2020-07-31T14:27:30@Europe/Berlin"))') == \
        "2020-07-31T14:27:30@Europe/Berlin"


def test_date_time_and_duration_functions():
    assert ev('=date("2020-04-06")') == dt.date(2020, 4, 6)
    assert ev("=date(2012, 12, 25)") == dt.date(2012, 12, 25)
    assert ev('=date(date and time("2012-12-25T11:00:00"))') == dt.date(2012, 12, 25)
    assert ev('=time("08:00:00")') == dt.time(8)
    assert ev("=time(23, 59, 0)") == dt.time(23, 59)
    assert ev('=duration("P2DT3H")') == dt.timedelta(days=2, hours=3)
    assert ev('=duration("PT5M")') == dt.timedelta(minutes=5)
    assert ev('=duration("P1Y2M")') == YearsMonths(14)
    assert ev('=years and months duration(date("2011-12-22"), date("2013-08-24"))') == YearsMonths(20)


@pytest.mark.parametrize("text", [
    '=date("2020-13-01")', '=date("tomorrow")', '=time("25:00:00")', '=date and time("2020-01-01T")',
    '=duration("P")', '=duration("P1Y2D")', '=duration(5)', "=date(2020, 2, 30)", '=date and time(null)',
])
def test_invalid_temporal_text_is_null(text):
    assert ev(text) is None


def test_now_and_today():
    before = dt.datetime.now(UTC)
    now = ev("=now()")
    assert now.tzinfo is not None and before <= now <= dt.datetime.now(UTC)
    assert ev("=today()") == dt.datetime.now(UTC).date()


def test_temporal_arithmetic():
    assert ev('=date and time("2020-04-06T08:00:00") + duration("P7D")') == dt.datetime(2020, 4, 13, 8)
    assert ev('=date("2020-04-06") + duration("P1D")') == dt.date(2020, 4, 7)
    assert ev('=date("2020-04-06") - date("2020-04-01")') == dt.timedelta(days=5)
    assert ev('=time("08:00:00") - time("06:00:00")') == dt.timedelta(hours=2)
    assert ev('=time("23:00:00") + duration("PT2H")') == dt.time(1)
    assert ev('=d2 - d1', d1=dt.datetime(2020, 1, 1, tzinfo=UTC), d2=dt.datetime(2020, 1, 2, tzinfo=UTC)) \
        == dt.timedelta(days=1)
    assert ev('=duration("P2D") + duration("P5D")') == dt.timedelta(days=7)
    assert ev('=duration("P1D") * 5') == dt.timedelta(days=5)
    assert ev('=duration("P5D") / duration("P1D")') == 5
    assert ev('=duration("P1Y") - duration("P3M")') == YearsMonths(9)
    assert ev('=duration("P1Y") / 12') == YearsMonths(1)


def test_adding_months_keeps_to_the_end_of_shorter_months():
    assert ev('=date("2020-01-31") + duration("P1M")') == dt.date(2020, 2, 29)
    assert ev('=date and time("2021-03-31T10:00:00") - duration("P1M")') == dt.datetime(2021, 2, 28, 10)


def test_temporal_type_errors_give_null():
    assert ev('=date("2020-01-01") + 1') is None
    assert ev('=date("2020-01-01") + date("2020-01-01")') is None
    assert ev('=time("10:00:00") + duration("P1M")') is None
    assert ev('=now() - date and time("2020-01-01T00:00:00")') is None  # aware minus local


def test_day_and_month_names():
    assert ev('=day of week(date("2020-04-06"))') == "Monday"
    assert ev('=month of year(date("2020-04-06"))') == "April"


# --- errors ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, position, fragment", [
    ("=a +", 4, "unexpected end of expression"),
    ("=a == 1", 4, "single '='"),
    ("=(a", 3, "unexpected end of expression"),
    ("=a b", 3, "unexpected 'b'"),
    ("=a && b", 3, "use 'and'"),
    ("='x'", 1, "double quotes"),
    ("  = ${a}", 4, "without '${...}'"),
    ("=", 1, "empty expression"),
    ("=if a then b", 12, "unexpected end of expression"),
    ('=@"someday"', 1, "is not a date"),
    ("=1 + between", 5, "reserved word"),
])
def test_syntax_errors_carry_their_column(text, position, fragment):
    with pytest.raises(ExpressionSyntaxError) as caught:
        compile_feel(text)
    assert fragment in caught.value.message
    assert caught.value.position == position
    assert str(caught.value).startswith(f"Cannot parse '{text}': ")


def test_unknown_function_is_an_error_naming_it():
    with pytest.raises(ExpressionError) as caught:
        compile_feel("=1 + frobnicate(x)")
    assert caught.value.message == "unknown function 'frobnicate'" and caught.value.position == 5
    with pytest.raises(ExpressionError, match="unknown function 'string size'"):
        compile_feel('=string size("x")')


def test_wrong_argument_count_is_an_error_naming_the_function():
    with pytest.raises(ExpressionError) as caught:
        compile_feel('=substring("abc")')
    assert "'substring' takes 2 to 3 argument(s), got 1" in caught.value.message
    assert caught.value.position == 1
    with pytest.raises(ExpressionError, match="'now' takes 0"):
        compile_feel("=now(1)")
    with pytest.raises(ExpressionError, match="'string length' takes 1"):
        compile_feel("=string length()")


def test_method_calls_are_not_part_of_feel():
    with pytest.raises(ExpressionSyntaxError):
        compile_feel("=s.upper()")


def test_evaluation_never_uses_python_eval(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("Python eval/exec must not be used")
    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    text = '=if amount > 100 and contains(name, "x") then for i in 1..2 return i else {a: [1][1]}'
    assert compile_feel(text).evaluate({"amount": 150, "name": "xy"}) == [1, 2]
    assert ev("=__import__") is None
    assert ev("=open") is None
    with pytest.raises(ExpressionError, match="unknown function '__import__'"):
        compile_feel('=__import__("os")')


def test_broken_values_never_leak_python_errors():
    class BrokenMapping(Mapping):
        def __getitem__(self, key):
            raise RuntimeError("boom")

        def get(self, key, default=None):
            raise RuntimeError("boom")

        def __iter__(self):
            return iter(())

        def __len__(self):
            return 0

    class BadEquality:
        def __eq__(self, other):
            raise RuntimeError("no")

    with pytest.raises(ExpressionError, match="RuntimeError"):
        compile_feel("=a").evaluate(BrokenMapping())
    assert "RuntimeError" in error_of("=x.y", x=BrokenMapping()).message
    assert ev("=x = y", x=BadEquality(), y=BadEquality()) is None


def test_deeply_nested_expressions_fail_cleanly():
    assert ev("=" + "(" * 2000 + "1" + ")" * 2000) == 1
    with pytest.raises(ExpressionError, match="nested too deeply"):
        compile_feel("=" + "+".join(["1"] * 5000))


def test_errors_survive_pickling():
    with pytest.raises(ExpressionError) as caught:
        compile_feel("=nope(1)")
    err = caught.value
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.message, copy.expression, copy.position) == (err.message, err.expression, err.position)


def test_evaluation_is_fast():
    expr = compile_feel("=amount > 100 and approved")
    variables = {"amount": 150, "approved": True}
    runs = 20000
    start = time.perf_counter()
    for _ in range(runs):
        expr.evaluate(variables)
    per_call = (time.perf_counter() - start) / runs
    assert per_call < 20e-6
