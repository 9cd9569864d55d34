"""Who may read readiness and metrics: a bearer token (OPS_TOKEN) or an address in OPS_ALLOWED_NETWORKS.

The address is the project's one answer, `community_college.client_ip.client_ip`: X-Forwarded-For is never
parsed here (anyone can send it), and which proxy to believe is a deployment decision made in one place (the
trusted-proxy setting), not per view. Behind a
proxy, give the monitoring system the token, or let it reach the web container directly.
"""

from __future__ import annotations

import ipaddress
from functools import cache

from django.conf import settings
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from community_college.client_ip import client_ip


@cache
def _networks(spec: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in spec)


def _token(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("X-Ops-Token", "")


def ops_allowed(request: HttpRequest) -> bool:
    token = settings.OPS_TOKEN
    if token and constant_time_compare(_token(request), token):
        return True
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in network for network in _networks(tuple(settings.OPS_ALLOWED_NETWORKS)))
