"""What every CEL expression in Fuse shares: the functions it may call and how its failures read.

Policies (engine.handlers.policy) and the deployment's trust score (engine.identity.trust_score) both run
CEL through the `common-expression-language` package (imported as `cel`); they live in different layers,
so the pieces they share live here, below both.
"""
from __future__ import annotations

import ipaddress

import cel


def ip_in(ip: str, networks: list[str] | str) -> bool:
    """CEL `ip_in(ip, networks)`: whether the address lies in one of the CIDR networks (IPv4 or IPv6).

    An empty address (nobody acts, or the caller's address is unknown) lies in no network: a check about
    where someone is fails closed instead of failing the expression.
    """
    if ip == "":
        return False
    address = ipaddress.ip_address(ip)
    if isinstance(networks, str):
        networks = [networks]
    return any(address in ipaddress.ip_network(network, strict=False) for network in networks)


# Passed to every cel.Context Fuse makes.
CEL_FUNCTIONS = {"ip_in": ip_in}


def cel_context(variables: dict) -> cel.Context:
    """A CEL context with these variables and Fuse's functions; ValueError or TypeError for a value CEL
    cannot take."""
    return cel.Context(variables=variables, functions=CEL_FUNCTIONS)


def failure_text(exc: Exception) -> str:
    """One line saying why a CEL program failed (the bindings raise a bare KeyError('field') for a
    missing map key: that one is named as such)."""
    if type(exc) is KeyError and exc.args:
        return f"no such key {exc.args[0]!r}"
    return f"{type(exc).__name__}: {exc}"
