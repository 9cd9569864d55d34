from django.urls import path

from . import views

app_name = "notices"

urlpatterns = [
    path("me/notices/", views.inbox, name="inbox"),
    path("me/notices/read-all/", views.mark_all_read, name="read_all"),
    path("me/notices/<int:pk>/read/", views.mark_read, name="read"),
    path("me/notices/unread/", views.unread_badge, name="unread"),
]
