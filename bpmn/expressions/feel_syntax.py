"""FEEL syntax: parses one FEEL expression (DMN 1.3, as Camunda 8 / Zeebe write it), or the
unary tests of a decision table's input entry (`"gold", "silver"`, `< 10`, `not([1..5])`, `-`,
`? > x`), into a lark tree with an LALR grammar.

Promise: `parse_feel` either returns a tree or raises ExpressionSyntaxError whose position
is a 0-based column into the full text (the leading '=' and indentation included).
"""
from __future__ import annotations

import functools
import re
import threading

from lark import Lark, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from bpmn.expressions.errors import ExpressionSyntaxError

# Words that can never be a name; `not` is missing on purpose: `not(x)` is a function in FEEL.
KEYWORDS = ("true", "false", "null", "if", "then", "else", "for", "in", "return", "some",
            "every", "satisfies", "and", "or", "between")

# FEEL function names may contain spaces (`string length(s)`), which a lexer cannot tell
# from two names in general. Two adjacent names are valid nowhere else in FEEL, so words
# (none a keyword) directly followed by '(' are read as one function name; the three names
# holding a keyword ('and', 'or', 'else') are spelled out.
_WORD = r"(?!(?:%s)\b)(?!\d)\w+" % "|".join(KEYWORDS)
_FUNC_NAME = (r"(?:date\s+and\s+time|years\s+and\s+months\s+duration|get\s+or\s+else"
              rf"|{_WORD}(?:\s+{_WORD})+)(?=\s*\()")

# Precedence, loosest first (DMN 1.3, section 10.3.2.1): if/for/some/every, or, and,
# comparison (= != < > <= >= between in), + -, * /, **, unary -, path/filter/call.
# Operators are named terminals so the tree keeps them, with their column.
GRAMMAR = r"""
?start: expr

unary_tests: positive_tests
           | NOT "(" positive_tests ")"                      -> negated_tests
           | MINUS                                           -> any_input
positive_tests: unary_test ("," unary_test)*
unary_test: (LT | GT | LE | GE) sum                          -> test_compare
          | expr                                             -> test_expr

?expr: or_expr
     | IF expr THEN expr ELSE expr                           -> if_
     | FOR iteration ("," iteration)* RETURN expr            -> for_
     | SOME iteration ("," iteration)* SATISFIES expr        -> some
     | EVERY iteration ("," iteration)* SATISFIES expr       -> every

iteration: NAME IN expr [RANGE expr]

?or_expr: and_expr
        | or_expr OR and_expr                                -> or_
?and_expr: comparison
         | and_expr AND comparison                           -> and_
?comparison: sum
           | sum (EQ | NE | LT | GT | LE | GE) sum           -> compare
           | sum BETWEEN sum AND sum                         -> between
           | sum IN tests                                    -> in_

tests: test
     | LPAR test ("," test)+ ")"
?test: sum                                                   -> test_value
     | (LT | GT | LE | GE) sum                               -> test_compare

?sum: product
    | sum (PLUS | MINUS) product                             -> arith
?product: power
        | product (STAR | SLASH) power                       -> arith
?power: unary
      | power POW unary                                      -> arith
?unary: postfix
      | MINUS unary                                          -> neg

?postfix: primary
        | postfix "." NAME                                   -> path
        | postfix "[" expr "]"                               -> filter

?primary: NUMBER                                             -> number
        | STRING                                             -> string
        | AT_STRING                                          -> temporal
        | (TRUE | FALSE | NULL)                              -> keyword
        | NAME                                               -> var
        | QMARK                                              -> input_value
        | (NAME | FUNC_NAME) "(" [args] ")"                  -> call
        | "(" expr ")"
        | "[" [expr ("," expr)*] "]"                         -> list
        | (LPAR | LSQB) expr RANGE expr (RPAR | RSQB)        -> range
        | "{" [entry ("," entry)*] "}"                       -> context

args: expr ("," expr)*
entry: (NAME | STRING) ":" expr

IF: "if"
THEN: "then"
ELSE: "else"
FOR: "for"
RETURN: "return"
SOME: "some"
EVERY: "every"
SATISFIES: "satisfies"
IN: "in"
OR: "or"
AND: "and"
BETWEEN: "between"
TRUE: "true"
FALSE: "false"
NULL: "null"
NOT: "not"
QMARK: "?"
EQ: "="
NE: "!="
LT: "<"
GT: ">"
LE: "<="
GE: ">="
PLUS: "+"
MINUS: "-"
STAR: "*"
SLASH: "/"
POW: "**"
RANGE: ".."
LPAR: "("
RPAR: ")"
LSQB: "["
RSQB: "]"

FUNC_NAME.2: /FUNC_NAME_PATTERN/
NAME: /(?!\d)\w+/
NUMBER: /[0-9]+(\.[0-9]+)?|\.[0-9]+/
STRING: /"(\\[\s\S]|[^"\\])*"/
AT_STRING: /@"(\\[\s\S]|[^"\\])*"/

%ignore /\s+/
%ignore /\/\/[^\n]*/
%ignore /\/\*[\s\S]*?\*\//
""".replace("FUNC_NAME_PATTERN", _FUNC_NAME)

# Friendlier wording than lark's terminal names for what people bring from other languages.
_HINTS = {
    "'": "FEEL strings use double quotes",
    "&": "use 'and'",
    "|": "use 'or'",
    "!": "use not(...) or '!='",
    "$": "FEEL is written without '${...}'",
    "#": "FEEL is written without '#{...}'",
}
_TOKEN_HINTS = {"EQ": "FEEL compares with a single '='"}


_ESCAPE = re.compile(r"\\(u[0-9a-fA-F]{4}|[\s\S])")
_ESCAPES = {'"': '"', "'": "'", "\\": "\\", "n": "\n", "r": "\r", "t": "\t"}


def unescape(text: str) -> str:
    """A string literal's content: \\" \\\\ \\n \\r \\t \\uXXXX; other backslashes stay (regexes)."""
    def replace(match: re.Match) -> str:
        code = match[1]
        if len(code) == 5:
            return chr(int(code[1:], 16))
        return _ESCAPES.get(code, "\\" + code)
    text = _ESCAPE.sub(replace, text)
    if any("\ud800" <= char <= "\udfff" for char in text):
        try:  # "\ud83d\ude00" is one character written as a UTF-16 pair, as in Java
            return text.encode("utf-16", "surrogatepass").decode("utf-16")
        except UnicodeDecodeError:  # a lone half of a pair: keep it as written
            pass
    return text


@functools.cache
def _parser() -> Lark:
    # Built on first use: importing the engine should not pay for grammar analysis.
    return Lark(GRAMMAR, parser="lalr", start=["start", "unary_tests"], propagate_positions=True,
                maybe_placeholders=True)


# lark does not document its parser as thread-safe; parses are rare (results are cached).
_parse_lock = threading.Lock()


def split_body(text: str) -> tuple[str, int]:
    """The expression after indentation and the optional leading '=', and its column in `text`."""
    offset = len(text) - len(text.lstrip())
    if text.startswith("=", offset):
        offset += 1
    return text[offset:], offset


def parse_feel(text: str, start: str = "start") -> tuple[Tree, int]:
    """Parse `text` ('=' optional) as an expression (or, with start="unary_tests", as unary tests);
    returns the tree and the column where the expression starts."""
    body, offset = split_body(text)
    if not body.strip():
        raise ExpressionSyntaxError("syntax error: empty expression", text, offset)
    try:
        with _parse_lock:
            tree = _parser().parse(body, start=start)
    except UnexpectedInput as err:
        message, pos = _describe_syntax_error(err, body)
        raise ExpressionSyntaxError(f"syntax error: {message}", text, offset + pos) from None
    except RecursionError:
        raise ExpressionSyntaxError("expression is nested too deeply", text, offset) from None
    return tree, offset


def _describe_syntax_error(err: UnexpectedInput, body: str) -> tuple[str, int]:
    if isinstance(err, UnexpectedCharacters):
        pos = err.pos_in_stream
        char = body[pos]
        hint = _HINTS.get(char)
        return f"unexpected character '{char}'" + (f" ({hint})" if hint else ""), pos
    if isinstance(err, UnexpectedToken) and err.token.type != "$END":
        hint = _TOKEN_HINTS.get(err.token.type)
        return f"unexpected '{err.token.value}'" + (f" ({hint})" if hint else ""), err.token.start_pos
    if isinstance(err, (UnexpectedToken, UnexpectedEOF)):
        return "unexpected end of expression", len(body)
    return str(err), getattr(err, "pos_in_stream", None) or 0
