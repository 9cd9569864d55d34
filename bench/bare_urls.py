"""The benchmark's WSGI entry point: the portal's URLs plus one bare view, never in production.

`bench/booking.py` starts gunicorn on `bench.bare_urls:application`. The settings are the portal's own
(community_college.settings, from the same environment); only ROOT_URLCONF is pointed here, before the
first request, so the bare view runs behind exactly the same middleware as the portal's register view,
and /api/ behind the API's chain, as community_college/wsgi.py routes them.

The bare view does only the database work of a registration: the conditional UPDATE that takes a place
and the INSERT of the registration (through the model, so simple_history's row is written as it is for
the portal). No session, no user, no template: the floor the portal's view is compared with.

The true limit (issue 20): `/bench/raw/<course>/<resident>/` never enters Django's request handling at all —
no middleware, no URL resolution, no ORM: the WSGI callable below runs the conditional UPDATE and the
INSERT as two raw statements in one transaction on Django's connection of the thread. The same gunicorn
workers serve it in the same run as the API and portal paths, so their ratio to it is the framework's cost.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community_college.settings")

from django.conf import settings  # noqa: E402 — the settings module must be chosen first

from community_college.handlers import get_application  # noqa: E402

settings.ROOT_URLCONF = __name__
# As community_college/wsgi.py serves it: /api/ through the API's middleware chain, pages through the whole.
django_application = get_application()

# Imported after django.setup(): the project URLconf imports the admin and the apps' views.
from django.db import transaction  # noqa: E402
from django.db.models import F  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402
from django.views.decorators.http import require_POST  # noqa: E402

from activities.enums import RegistrationStatus  # noqa: E402
from activities.models import Course, Registration  # noqa: E402
from community_college.urls import urlpatterns as portal_urlpatterns  # noqa: E402


@csrf_exempt
@require_POST
def bare_register(request: HttpRequest, course_id: int, resident_id: int) -> HttpResponse:
    with transaction.atomic():
        took = Course.objects.filter(pk=course_id, confirmed_count__lt=F("capacity")).update(
            confirmed_count=F("confirmed_count") + 1
        )
        status = RegistrationStatus.CONFIRMED if took else RegistrationStatus.WAITLISTED
        Registration.objects.create(course_id=course_id, resident_id=resident_id, status=status)
    return HttpResponse(status, content_type="text/plain")


urlpatterns = [
    path("bench/bare/<int:course_id>/<int:resident_id>/", bare_register),
    *portal_urlpatterns,
]


RAW_PREFIX = "/bench/raw/"


def raw_register(course_id: int, resident_id: int) -> bytes:
    from django.db import connection

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE activities_course SET confirmed_count = confirmed_count + 1"
            " WHERE id = %s AND confirmed_count < capacity",
            [course_id],
        )
        status = "confirmed" if cursor.rowcount else "waitlisted"
        cursor.execute(
            "INSERT INTO activities_registration (course_id, resident_id, status, created, status_changed)"
            " VALUES (%s, %s, %s, now(), now())",
            [course_id, resident_id, status],
        )
    return status.encode()


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if not path.startswith(RAW_PREFIX):
        return django_application(environ, start_response)
    try:
        course_id, resident_id = (int(part) for part in path[len(RAW_PREFIX) :].strip("/").split("/"))
    except ValueError:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    body = raw_register(course_id, resident_id)
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
