"""The REST API: /api/v1/ (namespace "v1"), its OpenAPI schema and the documentation page.

Each app contributes its routes from `<app>/api/urls.py`; this module only joins them under the version.
The documentation page is Swagger UI served from static/vendor (no CDN at run time), its start-up
script a separate request (the split view), as the Content-Security-Policy allows no inline script.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.utils.translation import gettext as _
from django.views import defaults
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

v1 = [
    path("", include("accounts.api.urls")),
    path("", include("interests.api.urls")),
    path("", include("activities.api.urls")),
    path("", include("ratings.api.urls")),
    path("", include("notices.api.urls")),
    path("", include("dashboards.api.urls")),
    path("", include("funds.api.urls")),
    path("", include("consultation.api.urls")),
    path("", include("teachers.api.urls")),
    path("", include("venues.api.urls")),
]

urlpatterns = [
    path("v1/", include((v1, "v1"), namespace="v1")),
    path("schema/", SpectacularAPIView.as_view(api_version="v1"), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: a path under /api/ that matches no route (an id that is not a number, a typo)
    answers the API's JSON error shape; any other path gets the site's 404 page."""
    if request.path_info.startswith("/api/"):
        return JsonResponse(
            {"code": "not_found", "detail": _("Not found.")},
            status=404,
            json_dumps_params={"ensure_ascii": False},
        )
    return defaults.page_not_found(request, exception)
