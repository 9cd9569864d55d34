from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from . import api, views

handler404 = api.not_found

admin.site.site_header = _("Community College · staff")
admin.site.site_title = _("Community College")
admin.site.index_title = _("Orders, classes, venues and teachers")
# At 1366 px the model sidebar took 300 px from every list; the index page is grouped by task instead.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("", include("ops.urls")),
    path("", include("privacy.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("community_college.api")),
    path("", include("interests.urls")),
    path("", include("activities.urls")),
    path("", include("ratings.urls")),
    path("", include("notices.urls")),
    path("", include("teachers.urls")),
    path("", include("venues.urls")),
    path("dashboards/", include("dashboards.urls")),
    path("", include("funds.urls")),
    path("", include("consultation.urls")),
]

if settings.DEBUG:
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
