from django.urls import path

from . import recognition_views, views

app_name = "ratings"

urlpatterns = [
    path("feedback/", views.pending, name="pending"),
    path("sessions/<int:pk>/feedback/", views.session_feedback, name="session_feedback"),
    path("recognition/", recognition_views.rounds, name="recognition_rounds"),
    path("recognition/wall/", recognition_views.wall, name="recognition_wall"),
    path("recognition/mine/", recognition_views.my_recognitions, name="my_recognitions"),
    path("recognition/rounds/<int:pk>/", recognition_views.round_page, name="recognition_round"),
    path("recognition/rounds/<int:pk>/manage/", recognition_views.manage, name="recognition_manage"),
    path("recognition/candidates/<int:pk>/vote/", recognition_views.vote, name="recognition_vote"),
    path("recognition/candidates/<int:pk>/objection/", recognition_views.objection, name="recognition_objection"),
]
