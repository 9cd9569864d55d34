from django.urls import path

from . import views

app_name = "ratings"

urlpatterns = [
    path("feedback/", views.pending, name="pending"),
    path("sessions/<int:pk>/feedback/", views.session_feedback, name="session_feedback"),
]
