"""Behind a reverse proxy: the real client address and scheme, from trusted proxies only.

`X-Forwarded-For` and `X-Forwarded-Proto` are honoured only when the connection comes from an
address in `PAPERWIRE_TRUSTED_PROXIES` (default: none, so not even loopback is trusted). Anyone
else could write those headers to pick the address rate limits count against, or to make the
site believe it is served over HTTPS. The client is the right-most `X-Forwarded-For` entry that
is not itself a trusted proxy: each proxy appends the address it saw, so entries to the left of
the last untrusted one were written by the client and are ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from paperwire.errors import ConfigError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
SCHEMES = {"http", "https"}


def parse_networks(spec: str | Iterable[str] | None) -> list[Network]:
    """Networks from "10.0.0.1, 192.168.0.0/16, ::1"; a clear error names a bad entry."""
    if spec is None:
        return []
    items = spec.replace(";", ",").split(",") if isinstance(spec, str) else list(spec)
    networks: list[Network] = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ConfigError(
                f"PAPERWIRE_TRUSTED_PROXIES: {item!r} is not an IP address or CIDR network "
                "(e.g. 127.0.0.1, 10.0.0.0/8, ::1)"
            ) from exc
    return networks


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[::1]:443"
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # "1.2.3.4:5678"
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def is_trusted(host: str | None, networks: list[Network]) -> bool:
    address = _address(host) if host else None
    return address is not None and any(address in net for net in networks)


def real_client(peer: str, forwarded_for: list[str], networks: list[Network]) -> str:
    """Walk X-Forwarded-For from the right past trusted proxies; the first other entry is the
    client. All entries trusted: the left-most one. A malformed entry stops the walk there
    (the peer before it is the best we know)."""
    client = peer
    for entry in reversed(forwarded_for):
        address = _address(entry)
        if address is None:
            break
        client = str(address)
        if not any(address in net for net in networks):
            break
    return client


def _header(scope: Scope, name: bytes) -> list[str]:
    values = [v.decode("latin-1") for k, v in scope.get("headers", []) if k == name]
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


class TrustedProxies:
    """ASGI middleware: rewrites `client` and `scheme` from a trusted proxy's headers."""

    def __init__(self, app: ASGIApp, *, networks: list[Network]) -> None:
        self.app = app
        self.networks = networks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.networks:
            peer = scope.get("client")
            if peer and is_trusted(peer[0], self.networks):
                scope = dict(scope)
                forwarded = _header(scope, b"x-forwarded-for")
                if forwarded:
                    scope["client"] = (real_client(peer[0], forwarded, self.networks), 0)
                proto = _header(scope, b"x-forwarded-proto")
                if proto and proto[-1].lower() in SCHEMES:
                    secure = proto[-1].lower() == "https"
                    if scope["type"] == "websocket":
                        scope["scheme"] = "wss" if secure else "ws"
                    else:
                        scope["scheme"] = "https" if secure else "http"
        await self.app(scope, receive, send)
