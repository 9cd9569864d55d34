from django.urls import path

from . import views

app_name = "venues"

urlpatterns = [
    path("venue-owner/", views.owner_home, name="owner_home"),
    path("venue-owner/bookings/<int:pk>/answer/", views.owner_answer, name="owner_answer"),
    path("venue-owner/venues/<int:pk>/week/", views.owner_week, name="owner_week"),
]
