from django.urls import path

from . import views

app_name = "teachers"

urlpatterns = [
    path("teachers/recommend/", views.recommend, name="recommend"),
]
