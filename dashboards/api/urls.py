from django.urls import re_path

from . import views

urlpatterns = [
    re_path(
        rf"^district/dashboards/(?P<name>{'|'.join(views.PAGE_NAMES)})/$",
        views.DashboardView.as_view(),
        name="dashboard",
    ),
]
