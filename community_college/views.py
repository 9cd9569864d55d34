from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from activities.selectors import programme_figures


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html", {"figures": programme_figures()})


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For the load balancer and docker-compose: the app answers and its database does."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
