"""Where notifications may go: a guard against server-side request forgery (SSRF).

A subscription names a URL the hub will POST to; without a guard anyone allowed to
subscribe could make the server reach its own loopback, the private network behind
it or a cloud metadata service (169.254.169.254). Endpoints whose host is, or resolves
to, an address that is not globally routable are refused unless the host, or a
network holding the address, is in ``brain.notification_allowed_hosts``.

The check runs when a subscription is created or changed, and again before every
delivery, on a fresh DNS answer; delivery then connects to the very address that was
checked (``pin``), so a name that re-resolves to an internal address in between
(DNS rebinding) gains nothing.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.orm import Session

from citybrain.brain.ngsi.problems import bad_data

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (empty when it does not resolve)."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return list(dict.fromkeys(str(answer[4][0]) for answer in answers))


def allowed_hosts(session: Session) -> list[str]:
    """The operator's allow-list from the session's settings (none without settings)."""
    settings = session.info.get("settings")
    return list(settings.brain.notification_allowed_hosts) if settings is not None else []


def _address(text: str) -> IPAddress | None:
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a NAT64, 6to4 or IPv4-compatible IPv6 address leads to."""
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in network for network in NAT64) or address in IPV4_COMPATIBLE:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_internal(address: IPAddress) -> bool:
    """Loopback, private, link-local (metadata), shared, reserved, multicast, unspecified,
    also when an IPv6 form (NAT64, 6to4, IPv4-compatible) wraps such an IPv4 address."""
    if not address.is_global or address.is_multicast:
        return True
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        return embedded is not None and is_internal(embedded)
    return False


def _allowed(host: str, address: IPAddress | None, allowed: Sequence[str]) -> bool:
    for entry in allowed:
        entry = entry.strip().lower()
        if entry == host:
            return True
        if address is None:
            continue
        try:
            if address in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue  # a host name that is not this one
    return False


@dataclass(frozen=True)
class Target:
    """A checked endpoint: its host and the addresses it may be reached at."""

    host: str
    addresses: tuple[str, ...]


def check(uri: str, allowed: Sequence[str], *, resolver: Resolver | None = None) -> Target:
    """Refuse (BadRequestData) an endpoint that reaches an internal address not allowed.

    A name that does not resolve passes with no address: a down endpoint is the retry
    path's business, and delivery checks again before it connects.
    """
    parts = urlsplit(uri)
    host = (parts.hostname or "").lower()
    port = parts.port or (443 if parts.scheme == "https" else 80)
    literal = _address(host)
    candidates = [host] if literal is not None else (resolver or resolve)(host, port)
    for text in candidates:
        address = _address(text)
        if address is None or (is_internal(address) and not _allowed(host, address, allowed)):
            raise bad_data(
                f"notification.endpoint.uri host {host[:80]!r} is an internal address "
                f"({text[:45]}); allow it in brain.notification_allowed_hosts to use it"
            )
    return Target(host, tuple(candidates))


def pin(uri: str, target: Target) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The URL to connect to the checked address, with its Host header and TLS name."""
    parts = urlsplit(uri)
    if not target.addresses or _address(target.host) is not None:
        return uri, {}, {}
    address = target.addresses[0]
    userinfo, _, host_header = parts.netloc.rpartition("@")
    shown = f"[{address}]" if ":" in address else address
    netloc = shown if parts.port is None else f"{shown}:{parts.port}"
    netloc = f"{userinfo}@{netloc}" if userinfo else netloc
    pinned = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    extensions = {"sni_hostname": target.host} if parts.scheme == "https" else {}
    return pinned, {"Host": host_header}, extensions
