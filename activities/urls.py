from django.urls import path, re_path

from . import showcase_views, views

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
    re_path(r"^calendar/(?P<token>[A-Za-z0-9_-]{20,64})\.ics$", views.calendar_feed, name="ical"),
]
