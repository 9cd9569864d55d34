from django.urls import path, re_path

from . import certificate_views, views
from .certificates import CODE_PATTERN

app_name = "activities"

urlpatterns = [
    path("classes/", views.nearby, name="nearby"),
    path("classes/<int:pk>/", views.course_detail, name="course_detail"),
    path("classes/<int:pk>/register/", views.course_register, name="register"),
    path("registrations/<int:pk>/cancel/", views.registration_cancel, name="registration_cancel"),
    # The token is secrets.token_urlsafe(32): 43 characters of [A-Za-z0-9_-].
    path("me/certificates/", certificate_views.my_certificates, name="my_certificates"),
    path("me/certificates/<int:pk>/pdf/", certificate_views.certificate_download, name="certificate_download"),
    re_path(rf"^certificates/(?P<code>{CODE_PATTERN})/$", certificate_views.certificate_verify, name="certificate_verify"),
    re_path(r"^calendar/(?P<token>[A-Za-z0-9_-]{20,64})\.ics$", views.calendar_feed, name="ical"),
]
