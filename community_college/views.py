from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from activities.selectors import programme_figures


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"figures": programme_figures()})


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. It reads nothing, so a database or Redis outage does not get every
    web container restarted; readiness (/readyz, ops/views.py) is where dependencies are checked."""
    return JsonResponse({"status": "ok"})
