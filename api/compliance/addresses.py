"""Who is calling, at the edge: the client's address with an explicit trusted-proxy list, and whether a request
is internal (for ``/metrics``, ``/docs``, ``/openapi.json``). Pure: the guard middleware calls these per request.

Rules (README "Compliance and security"):

* ``X-Forwarded-For`` is read only when the TCP peer is a listed proxy (``TRUSTED_PROXIES``, none by default):
  then the client is the right-most address in it that is not itself a trusted proxy. From anyone else the header
  is ignored, so rotating it buys an attacker no fresh rate-limit buckets.
* Internal means the client address is in ``INTERNAL_NETWORKS`` (loopback by default) and the request did not
  come through a proxy: a forwarding header from an unlisted peer (a proxy nobody declared) is taken as proof
  that the request is not local. A peer that is not an IP address (a Unix socket, the in-process test client)
  cannot have come over the network and is local.
"""

from __future__ import annotations

import ipaddress
from typing import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
FORWARDING_HEADERS = (b"x-forwarded-for", b"forwarded", b"x-real-ip")


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """``["10.0.0.1", "192.168.0.0/16", "::1"]`` -> networks; ValueError naming the bad entry."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError as exc:
            raise ValueError(f"{value!r} is not an IP address or network") from exc
    return tuple(networks)


def _ip(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return address


def in_networks(address: str, networks: Sequence[Network]) -> bool:
    ip = _ip(address)
    return ip is not None and any(ip in network for network in networks)


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> str | None:
    values = [v.decode("latin-1") for k, v in headers if k.lower() == name]
    return ",".join(values) if values else None


def client_address(peer: str | None, headers: Iterable[tuple[bytes, bytes]], trusted: Sequence[Network]) -> str:
    """The client's address: the TCP peer, or, when the peer is a trusted proxy, the right-most address of
    ``X-Forwarded-For`` that is not a trusted proxy (an unparseable entry stops the walk: it is what the
    proxy was told, not what it saw)."""
    if not peer:
        return "?"
    if not trusted or not in_networks(peer, trusted):
        return peer
    forwarded = _header(headers, b"x-forwarded-for")
    if not forwarded:
        return peer
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        if _ip(hop) is None:
            return peer
        if not in_networks(hop, trusted):
            return str(_ip(hop))
    return peer


def forwarded_scheme(peer: str | None, headers: Iterable[tuple[bytes, bytes]], trusted: Sequence[Network],
                     scheme: str) -> str:
    """The scheme the client used: ``X-Forwarded-Proto`` from a trusted proxy, else the connection's own."""
    if peer and trusted and in_networks(peer, trusted):
        proto = (_header(headers, b"x-forwarded-proto") or "").split(",")[0].strip().lower()
        if proto in ("http", "https"):
            return proto
    return scheme


def is_internal(peer: str | None, headers: Iterable[tuple[bytes, bytes]], trusted: Sequence[Network],
                internal: Sequence[Network]) -> bool:
    """Whether the request may read the internal endpoints (see the module docstring)."""
    headers = list(headers)
    if peer is None or _ip(peer) is None:
        return True  # a Unix socket or the in-process test client: not over the network
    from_trusted_proxy = bool(trusted) and in_networks(peer, trusted)
    if not from_trusted_proxy and any(k.lower() in FORWARDING_HEADERS for k, _ in headers):
        return False  # relayed by a proxy nobody declared
    return in_networks(client_address(peer, headers, trusted), internal)
