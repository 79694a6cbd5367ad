"""Which hosts the server may call on a model's behalf: the operator's FUSE_OUTBOUND_ALLOW, checked on the
addresses a name resolves to, so that neither a name nor a redirect leads a call into the server's own network.

FUSE_OUTBOUND_ALLOW is a comma-separated list; unset or empty, no call leaves the server. Each entry is
  api.example.com      that name exactly (any port)
  *.corp.example       any name under corp.example (not corp.example itself)
  *                    any name
  10.1.2.3, ::1        that address, whatever name leads to it
  10.0.0.0/8           any address in that range
each optionally followed by :port (`10.1.2.3:8443`, `[::1]:8080`, `*.corp.example:443`) to allow that port only.

Loopback, private, link-local and other non-public addresses are reached only through an address or range
entry that contains them, or a name listed exactly; a wildcard reaches public addresses only.
"""
from __future__ import annotations

import ipaddress
import os
import socket
from dataclasses import dataclass

ENV = "FUSE_OUTBOUND_ALLOW"
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class OutboundRefused(RuntimeError):
    """A call the allow-list does not permit (a refusal, not a network failure)."""


@dataclass(frozen=True)
class Entry:
    """One allow-list entry: a name, a name suffix (`*.x`), any name (`*`), or an address range; and a port."""

    name: str | None = None
    suffix: str | None = None
    any_name: bool = False
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    port: int | None = None

    def allows(self, host: str, port: int, address: Address) -> bool:
        """Whether a call to host:port, connecting to `address`, is allowed by this entry."""
        if self.port is not None and self.port != port:
            return False
        if self.network is not None:
            return address in self.network
        if self.name is not None:
            return host == self.name
        named = self.any_name or host.endswith(self.suffix)
        return named and is_public(address)

    def names(self, host: str) -> bool:
        """Whether this entry could allow `host` at all (before its addresses are known)."""
        if self.network is not None:
            return True  # decided on the resolved addresses
        return self.any_name or host == self.name or (self.suffix is not None and host.endswith(self.suffix))


@dataclass(frozen=True)
class AllowList:
    entries: tuple[Entry, ...]

    @classmethod
    def from_environment(cls) -> AllowList:
        return cls.parse(os.environ.get(ENV, ""))

    @classmethod
    def parse(cls, text: str) -> AllowList:
        """The allow-list written as FUSE_OUTBOUND_ALLOW is; ValueError naming an entry it cannot read."""
        return cls(tuple(parse_entry(item.strip()) for item in text.split(",") if item.strip()))

    def addresses(self, host: str, port: int) -> list[Address]:
        """The addresses `host` resolves to, every one allowed for a call to host:port (connect to these, not
        to a second resolution); OutboundRefused otherwise."""
        host = host.lower().rstrip(".")
        if not self.entries:
            raise OutboundRefused(f"outbound calls are off: {ENV} lists no host (to call {host}, add it there)")
        if not any(entry.names(host) for entry in self.entries):
            raise OutboundRefused(f"{host}:{port} is not in {ENV}")
        resolved = resolve(host, port)
        for address in resolved:
            if not any(entry.allows(host, port, address) for entry in self.entries):
                kind = "a public" if is_public(address) else "a loopback, private or link-local"
                raise OutboundRefused(f"{host}:{port} resolves to {address}, {kind} address {ENV} does not allow")
        return resolved


def parse_entry(text: str) -> Entry:
    """One entry of FUSE_OUTBOUND_ALLOW."""
    host, port = _split_port(text)
    if host == "*":
        return Entry(any_name=True, port=port)
    if host.startswith("*."):
        return Entry(suffix=host[1:].lower(), port=port)
    try:
        return Entry(network=ipaddress.ip_network(host, strict=False), port=port)
    except ValueError:
        pass
    if not host or "*" in host or "/" in host:
        raise ValueError(f"{ENV}: cannot read the entry {text!r}")
    return Entry(name=host.lower().rstrip("."), port=port)


def resolve(host: str, port: int) -> list[Address]:
    """Every address `host` resolves to, in the resolver's order; OSError when it resolves to none."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: list[Address] = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if address not in found:
            found.append(address)
    return found


def is_public(address: Address) -> bool:
    """Whether `address` is a public unicast address (an IPv4-mapped IPv6 address counts as its IPv4 one)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _split_port(text: str) -> tuple[str, int | None]:
    if text.startswith("["):  # [v6]:port
        host, _, rest = text[1:].partition("]")
        return host, _port(rest[1:], text) if rest.startswith(":") else None
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        return host, _port(port, text)
    return text, None  # a bare IPv6 address or range has several colons and no port


def _port(text: str, entry: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"{ENV}: {entry!r} has no valid port")
    return int(text)
