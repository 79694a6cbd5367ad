"""JUEL syntax: splits template text into literal text and `${...}`/`#{...}` parts, and
parses each part into a lark tree with an LALR grammar (JUEL 2.2 / Unified EL 2.2).

Promise: `split_template` and `parse_expression` either succeed or raise
ExpressionSyntaxError whose position is a 0-based column into the full text.
"""
from __future__ import annotations

import functools
import threading
from typing import NamedTuple

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from bpmn.expressions.errors import ExpressionSyntaxError

# Precedence, loosest first, as in the EL 2.2 spec (section 1.17):
# ?:  ||/or  &&/and  ==/!=/eq/ne  </>/<=/>=/lt/gt/le/ge  +/-  */÷/div/%/mod  unary  ./[]/()
# Operators are named terminals so the tree keeps them (with their column) and so lark
# treats the word operators as keywords rather than identifiers.
GRAMMAR = r"""
?start: expr

?expr: or_expr
     | or_expr "?" expr ":" expr                             -> cond

?or_expr: and_expr
        | or_expr (OR | OR_KW) and_expr                      -> or_
?and_expr: eq_expr
         | and_expr (AND | AND_KW) eq_expr                   -> and_
?eq_expr: rel_expr
        | eq_expr (EQ | EQ_KW | NE | NE_KW) rel_expr         -> compare
?rel_expr: add_expr
         | rel_expr (LT | LT_KW | GT | GT_KW | LE | LE_KW | GE | GE_KW) add_expr  -> compare
?add_expr: mul_expr
         | add_expr (PLUS | MINUS) mul_expr                  -> arith
?mul_expr: unary
         | mul_expr (STAR | SLASH | DIV_KW | PERCENT | MOD_KW) unary  -> arith

?unary: value
      | MINUS unary                                          -> neg
      | (BANG | NOT_KW) unary                                -> not_
      | EMPTY_KW unary                                       -> empty

?value: primary
      | value "." IDENT                                      -> prop
      | value "[" expr "]"                                   -> index
      | value "." IDENT "(" [args] ")"                       -> call

?primary: INT                                                -> int_lit
        | FLOAT                                              -> float_lit
        | STRING                                             -> str_lit
        | TRUE                                               -> true_lit
        | FALSE                                              -> false_lit
        | NULL                                               -> null_lit
        | IDENT                                              -> var
        | IDENT "(" [args] ")"                               -> func
        | "(" expr ")"

args: expr ("," expr)*

OR: "||"
OR_KW: "or"
AND: "&&"
AND_KW: "and"
EQ: "=="
EQ_KW: "eq"
NE: "!="
NE_KW: "ne"
LT: "<"
LT_KW: "lt"
GT: ">"
GT_KW: "gt"
LE: "<="
LE_KW: "le"
GE: ">="
GE_KW: "ge"
PLUS: "+"
MINUS: "-"
STAR: "*"
SLASH: "/"
DIV_KW: "div"
PERCENT: "%"
MOD_KW: "mod"
BANG: "!"
NOT_KW: "not"
EMPTY_KW: "empty"
TRUE: "true"
FALSE: "false"
NULL: "null"

IDENT: /(?!\d)[\w$]+/
INT: /[0-9]+/
FLOAT.2: /[0-9]+\.[0-9]*([eE][+-]?[0-9]+)?|\.[0-9]+([eE][+-]?[0-9]+)?|[0-9]+[eE][+-]?[0-9]+/
STRING: /'(\\[\s\S]|[^'\\])*'|"(\\[\s\S]|[^"\\])*"/

%ignore /\s+/
"""

# Friendlier wording than lark's terminal names for the tokens people most often get wrong.
_HINTS = {"=": "use '==' to compare", "&": "use '&&' or 'and'", "|": "use '||' or 'or'"}


class Part(NamedTuple):
    """One piece of a template: literal `text`, or an expression body when `is_expr`.

    `start` is the column of the piece's first character in the full template.
    """

    text: str
    start: int
    is_expr: bool


def split_template(template: str) -> list[Part]:
    """Cut `template` into literal text and `${...}` / `#{...}` bodies.

    As in JUEL, `\\${` and `\\#{` in literal text stand for a literal `${` / `#{`, and a
    `}` inside a quoted string does not close the expression.
    """
    parts: list[Part] = []
    literal: list[str] = []
    literal_start = 0
    i, n = 0, len(template)
    while i < n:
        char = template[i]
        if char == "\\" and template.startswith(("${", "#{"), i + 1):
            literal.append(template[i + 1])
            i += 2
            continue
        if char in "$#" and template.startswith("{", i + 1):
            if literal:
                parts.append(Part("".join(literal), literal_start, False))
                literal = []
            end = _closing_brace(template, i + 2)
            if end < 0:
                raise ExpressionSyntaxError(
                    f"syntax error: '{char}{{' is never closed with '}}'", template, i)
            parts.append(Part(template[i + 2:end], i + 2, True))
            i = end + 1
            literal_start = i
            continue
        literal.append(char)
        i += 1
    if literal:
        parts.append(Part("".join(literal), literal_start, False))
    return parts


def _closing_brace(text: str, i: int) -> int:
    """Index of the `}` ending the expression starting at `i`, skipping quoted strings; -1 if none."""
    quote = None
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "}":
            return i
        i += 1
    return -1


@functools.cache
def _parser() -> Lark:
    # Built on first use: importing the engine should not pay for grammar analysis.
    return Lark(GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=True)


# lark does not document its parser as thread-safe; parses are rare (results are cached).
_parse_lock = threading.Lock()


def parse_expression(body: str, template: str, offset: int) -> Tree | Token:
    """Parse one expression `body` that starts at column `offset` of `template`."""
    if not body.strip():
        raise ExpressionSyntaxError("syntax error: empty expression", template, offset)
    try:
        with _parse_lock:
            return _parser().parse(body)
    except UnexpectedInput as err:
        message, pos = _describe_syntax_error(err, body)
        raise ExpressionSyntaxError(f"syntax error: {message}", template, offset + pos) from None


def _describe_syntax_error(err: UnexpectedInput, body: str) -> tuple[str, int]:
    if isinstance(err, UnexpectedCharacters):
        char = body[err.pos_in_stream]
        hint = _HINTS.get(char)
        return f"unexpected character '{char}'" + (f" ({hint})" if hint else ""), err.pos_in_stream
    if isinstance(err, UnexpectedToken) and err.token.type != "$END":
        return f"unexpected '{err.token.value}'", err.token.start_pos
    if isinstance(err, (UnexpectedToken, UnexpectedEOF)):
        return "unexpected end of expression", len(body)
    return str(err), getattr(err, "pos_in_stream", None) or 0
