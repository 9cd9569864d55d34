from django.urls import path, re_path

from . import views

_NAMES = "|".join(views.PAGE_NAMES)

urlpatterns = [
    re_path(rf"^district/dashboards/(?P<name>{_NAMES})/$", views.DashboardView.as_view(), name="dashboard"),
    re_path(
        rf"^district/dashboards/(?P<name>{_NAMES})\.xlsx$",
        views.DashboardXlsxView.as_view(),
        name="dashboard-xlsx",
    ),
    path("district/colleges/<int:pk>/stars/", views.CollegeStarsView.as_view(), name="college-stars"),
    path(
        "district/colleges/<int:pk>/stars.xlsx",
        views.CollegeStarsXlsxView.as_view(),
        name="college-stars-xlsx",
    ),
]
