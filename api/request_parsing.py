"""Limits on what a request may carry before any view reads it: JSON a client cannot abuse, and
query strings PostgreSQL can store.

A NUL character anywhere in the path or the query string is a 400 on every route.

Python's JSON parser accepts NaN and Infinity (not JSON, and refused by PostgreSQL) and recurses
once per nesting level, so a body nested a few thousand levels deep ended in a RecursionError: both
answer 400 here. Values nested less deeply but still too deep for a variable are refused by the
engine (engine.store.variable_values).
"""
from __future__ import annotations

import json

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider

from engine.errors import BadRequest


class InvalidJson(BadRequest):
    problem, title = "invalid-json", "Invalid JSON"


def _refuse_constant(name: str):
    raise InvalidJson(f"{name} is not a JSON value (numbers must be finite)")


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading only what JSON allows, and bounded in nesting by the parser's stack."""

    sort_keys = False

    def loads(self, s, **kwargs):
        kwargs.setdefault("parse_constant", _refuse_constant)
        try:
            return json.loads(s, **kwargs)
        except RecursionError:
            raise InvalidJson("the JSON is nested too deeply") from None


def refuse_nul_in_url() -> None:
    """A NUL character in the path or the query string cannot be compared with a text column on PostgreSQL
    (which answered 422 there and 404 on SQLite): it is a 400 on every route, before anything reads it."""
    if "\x00" in request.path:
        raise BadRequest("the path must not contain a NUL character")
    for name, value in request.args.items(multi=True):
        if "\x00" in name or "\x00" in value:
            raise BadRequest(f"query parameter {name.replace(chr(0), '')!r} must not contain a NUL character")


def init_request_parsing(app: Flask) -> None:
    app.json = StrictJSONProvider(app)
    app.before_request(refuse_nul_in_url)
