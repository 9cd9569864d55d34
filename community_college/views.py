from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from activities.selectors import programme_figures


def home(request: HttpRequest) -> HttpResponse:
    from teachers.selectors import is_teacher
    from venues.selectors import is_venue_owner

    signed_in = request.user.is_authenticated
    return render(
        request,
        "home.html",
        {
            "figures": programme_figures(),
            # The teacher's and the venue owner's pages are reached from here (one query each, signed in only).
            "is_teacher": signed_in and is_teacher(request.user),
            "is_venue_owner": signed_in and is_venue_owner(request.user),
        },
    )


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. It reads nothing, so a database or Redis outage does not get every
    web container restarted; readiness (/readyz, ops/views.py) is where dependencies are checked."""
    return JsonResponse({"status": "ok"})
