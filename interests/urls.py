from django.urls import path  # noqa: F401 — the resident portal's pages are added here

app_name = "interests"

urlpatterns: list = []
