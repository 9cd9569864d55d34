from django.urls import path, re_path

from . import certificate_views, noshow_views, showcase_views, views, views_demand
from .certificates import CODE_PATTERN

app_name = "activities"

urlpatterns = [
    path("classes/", views.nearby, name="nearby"),
    path("classes/<int:pk>/", views.course_detail, name="course_detail"),
    path("classes/<int:pk>/register/", views.course_register, name="register"),
    path("registrations/<int:pk>/cancel/", views.registration_cancel, name="registration_cancel"),
    path("showcases/", showcase_views.showcase_list, name="showcases"),
    path("showcases/propose/", showcase_views.showcase_propose, name="showcase_propose"),
    path("showcases/wall/", showcase_views.showcase_wall, name="showcase_wall"),
    path("showcases/wall/college/<int:college>/", showcase_views.showcase_wall, name="college_wall"),
    path("showcases/<int:pk>/", showcase_views.showcase_detail, name="showcase_detail"),
    path("showcases/<int:pk>/register/", showcase_views.showcase_register, name="showcase_register"),
    path("showcases/<int:pk>/photos/", showcase_views.showcase_photo_add, name="showcase_photo_add"),
    re_path(r"^showcases/media/(?P<pk>[0-9]+)/(?P<size>full|thumb)/$", showcase_views.media_file, name="showcase_media"),
    # The token is secrets.token_urlsafe(32): 43 characters of [A-Za-z0-9_-].
    path("me/certificates/", certificate_views.my_certificates, name="my_certificates"),
    path("me/certificates/<int:pk>/pdf/", certificate_views.certificate_download, name="certificate_download"),
    path("me/volunteer/", certificate_views.my_volunteer_hours, name="my_volunteer_hours"),
    path("me/volunteer/certificate/", certificate_views.volunteer_certificate, name="volunteer_certificate"),
    re_path(rf"^certificates/(?P<code>{CODE_PATTERN})/$", certificate_views.certificate_verify, name="certificate_verify"),
    path("reconfirm/<str:token>/", noshow_views.reconfirm_link, name="reconfirm_link"),
    path("me/reconfirmations/<int:pk>/keep/", noshow_views.reconfirmation_keep, name="reconfirmation_keep"),
    path("me/reconfirmations/<int:pk>/give-up/", noshow_views.reconfirmation_give_up, name="reconfirmation_give_up"),
    path("near-miss/<int:pk>/answer/", views_demand.near_miss_answer_view, name="near_miss_answer"),
    # A signed, expiring token (django.core.signing): letters, digits, "-", "_", ":" and ".".
    re_path(r"^share/(?P<token>[A-Za-z0-9_:.-]{8,200})/$", views_demand.share, name="share"),
    re_path(r"^calendar/(?P<token>[A-Za-z0-9_-]{20,64})\.ics$", views.calendar_feed, name="ical"),
]
