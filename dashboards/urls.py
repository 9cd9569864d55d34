from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("", views.page, {"name": "overview"}, name="overview"),
    path("export.xlsx", views.page, {"name": "overview", "export": True}, name="overview_xlsx"),
    *[
        item
        for name in ("demand", "venues", "teachers", "stars", "funds", "showcases")
        for item in (
            path(f"{name}/", views.page, {"name": name}, name=name),
            path(f"{name}/export.xlsx", views.page, {"name": name, "export": True}, name=f"{name}_xlsx"),
        )
    ],
    path("city/", views.city, name="city"),
    path("city/export.xlsx", views.city, {"export": True}, name="city_xlsx"),
    path("colleges/<int:pk>/", views.college, name="college"),
    path("colleges/<int:pk>/export.xlsx", views.college, {"export": True}, name="college_xlsx"),
]
