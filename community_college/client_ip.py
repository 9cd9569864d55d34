"""The client's address, as far as it can be trusted. One answer for axes, DRF's throttles, allauth and logs.

X-Forwarded-For is written by whoever sends the request; only the proxies in front of the portal make it
meaningful. Two settings say which they are (README, "Deploying"):

- `TRUSTED_PROXIES`: addresses or networks of the proxies (`10.0.0.5`, `172.16.0.0/12`). The chain is
  read from the right: while the hop that handed the request over is a trusted proxy, the address it
  reports is taken; the first untrusted hop is the client.
- `TRUSTED_PROXY_HOPS`: the number of proxies, when their addresses are not fixed; the client is that
  many entries from the right of the chain (REMOTE_ADDR is the last proxy).

With neither (the default) the header is ignored: REMOTE_ADDR is the client. `ClientIPMiddleware` puts the
answer in REMOTE_ADDR and drops the forwarding headers, so no library downstream can read a forged one.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED")


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(proxy, strict=False) for proxy in proxies)


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [2001:db8::1]:443
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # 203.0.113.7:5555
        value = value.split(":")[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _trusted(address, networks) -> bool:
    return any(address in network for network in networks)


def resolve_client_ip(remote_addr: str, forwarded_for: str | None) -> str:
    """The client's address from the socket peer and the X-Forwarded-For chain, per the settings."""
    proxies = tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ())
    hops = int(getattr(settings, "TRUSTED_PROXY_HOPS", 0) or 0)
    peer = _address(remote_addr or "")
    if peer is None:
        return remote_addr or ""
    chain = [item for item in (forwarded_for or "").split(",") if item.strip()]
    if hops > 0:
        # The last proxy is the peer; the client is `hops` entries from the right of what it forwarded.
        if not chain:
            return str(peer)
        candidate = _address(chain[-min(hops, len(chain))])
        return str(candidate) if candidate is not None else str(peer)
    if not proxies:
        return str(peer)
    networks = _networks(proxies)
    current = peer
    while chain and _trusted(current, networks):
        candidate = _address(chain.pop())
        if candidate is None:
            break
        current = candidate
    return str(current)


def client_ip(request: HttpRequest) -> str:
    """The client's address of `request` (AXES_CLIENT_IP_CALLABLE and the allauth adapter use this)."""
    cached = getattr(request, "_cc_client_ip", None)
    if cached is None:
        cached = resolve_client_ip(request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_X_FORWARDED_FOR"))
        request._cc_client_ip = cached
    return cached


class ClientIPMiddleware:
    """Resolve the client's address once, store it as REMOTE_ADDR, and drop the forwarding headers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        address = client_ip(request)
        if address:
            request.META["REMOTE_ADDR"] = address
        for header in FORWARDING_HEADERS:
            request.META.pop(header, None)
        return self.get_response(request)
