from django.urls import path

from . import views

app_name = "consultation"

urlpatterns = [
    path("consultation/", views.matter_list, name="list"),
    path("consultation/new/", views.matter_create, name="create"),
    path("consultation/similar/", views.similar, name="similar"),
    path("consultation/<int:pk>/", views.matter_detail, name="matter"),
    path("consultation/<int:pk>/support/", views.support, name="support"),
    path("consultation/<int:pk>/comment/", views.comment, name="comment"),
    path("consultation/comments/<int:pk>/report/", views.report, name="report"),
    path("consultation/<int:pk>/confirm/", views.confirm, name="confirm"),
    path("consultation/photos/<int:pk>/<str:size>/", views.photo, name="photo"),
    path("consultation/meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("consultation/meetings/<int:pk>/respond/", views.meeting_respond, name="meeting_respond"),
    path("consultation/decisions/<int:pk>/vote/", views.vote, name="vote"),
    path("consultation/dashboard/", views.dashboard, name="dashboard"),
    path("consultation/dashboard/export.xlsx", views.dashboard, {"export": True}, name="dashboard_xlsx"),
]
