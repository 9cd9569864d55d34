from django.urls import path, re_path

from . import views, views_demand

app_name = "activities"

urlpatterns = [
    path("classes/", views.nearby, name="nearby"),
    path("classes/<int:pk>/", views.course_detail, name="course_detail"),
    path("classes/<int:pk>/register/", views.course_register, name="register"),
    path("registrations/<int:pk>/cancel/", views.registration_cancel, name="registration_cancel"),
    # The token is secrets.token_urlsafe(32): 43 characters of [A-Za-z0-9_-].
    path("near-miss/<int:pk>/answer/", views_demand.near_miss_answer_view, name="near_miss_answer"),
    # A signed, expiring token (django.core.signing): letters, digits, "-", "_", ":" and ".".
    re_path(r"^share/(?P<token>[A-Za-z0-9_:.-]{8,200})/$", views_demand.share, name="share"),
    re_path(r"^calendar/(?P<token>[A-Za-z0-9_-]{20,64})\.ics$", views.calendar_feed, name="ical"),
]
