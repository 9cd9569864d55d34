from django.urls import path

from . import views

app_name = "privacy"

urlpatterns = [
    path("privacy/", views.privacy, name="privacy"),
    path("me/data/", views.my_data, name="my_data"),
    path("me/close/", views.close_account, name="close_account"),
]
