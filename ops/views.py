"""Liveness, readiness and metrics endpoints for load balancers, orchestrators and Prometheus."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache

from . import health
from .access import ops_allowed


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to serve: 200 when every dependency works, 503 naming the ones that do not.

    Not public (it describes the infrastructure): a 404 for callers without the token or address.
    """
    if not ops_allowed(request):
        raise Http404
    outcomes = health.run_checks()
    ok = all(outcome.ok for outcome in outcomes)
    body = {
        "status": "ok" if ok else "unavailable",
        "checks": {
            outcome.name: {"ok": outcome.ok, "detail": outcome.detail, "seconds": round(outcome.seconds, 3)}
            for outcome in outcomes
        },
    }
    return JsonResponse(body, status=200 if ok else 503)


@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition: django-prometheus' figures and the portal's own (ops/metrics.py)."""
    if not ops_allowed(request):
        raise Http404
    import os

    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

    from .metrics import StateCollector, register_collectors

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Several gunicorn workers: add up their counters from the shared directory.
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        registry.register(StateCollector())
    else:
        register_collectors()
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
