from django.urls import path
from rest_framework.routers import SimpleRouter

from . import recognition, views

router = SimpleRouter()
router.register("ratings", views.RatingViewSet, basename="rating")
urlpatterns = router.urls + [
    path("recognition/rounds/", recognition.RoundListView.as_view(), name="recognition-rounds"),
    path("recognition/rounds/<int:pk>/", recognition.RoundDetailView.as_view(), name="recognition-round"),
    path("recognition/rounds/<int:pk>/candidates/", recognition.CandidatesView.as_view(), name="recognition-candidates"),
    path("recognition/rounds/<int:pk>/nominations/", recognition.NominationCreateView.as_view(), name="recognition-nominate"),
    path("recognition/candidates/<int:pk>/vote/", recognition.VoteView.as_view(), name="recognition-vote"),
    path("recognition/candidates/<int:pk>/objections/", recognition.ObjectionView.as_view(), name="recognition-object"),
    path("recognition/candidates/<int:pk>/story-answer/", recognition.StoryAnswerView.as_view(), name="recognition-story-answer"),
    path("recognition/candidates/<int:pk>/priority-passes/", recognition.PriorityClaimView.as_view(), name="recognition-priority"),
    path("recognition/wall/", recognition.WallView.as_view(), name="recognition-wall"),
    path("staff/recognition/rounds/", recognition.StaffRoundOpenView.as_view(), name="staff-recognition-open"),
    path("staff/recognition/rounds/<int:pk>/start-notice/", recognition.StaffStartNoticeView.as_view(), name="staff-recognition-notice"),
    path("staff/recognition/rounds/<int:pk>/close/", recognition.StaffCloseView.as_view(), name="staff-recognition-close"),
    path("staff/recognition/rounds/<int:pk>/objections/", recognition.StaffObjectionsView.as_view(), name="staff-recognition-objections"),
    path("staff/recognition/rounds/<int:pk>/candidates.xlsx", recognition.StaffCandidatesXlsxView.as_view(), name="staff-recognition-xlsx"),
    path("staff/recognition/categories/<int:pk>/from-data/", recognition.StaffFromDataView.as_view(), name="staff-recognition-from-data"),
    path("staff/recognition/candidates/<int:pk>/decide/", recognition.StaffDecideView.as_view(), name="staff-recognition-decide"),
    path("staff/recognition/candidates/<int:pk>/story/", recognition.StaffStoryView.as_view(), name="staff-recognition-story"),
    path("staff/recognition/objections/<int:pk>/answer/", recognition.StaffAnswerView.as_view(), name="staff-recognition-answer"),
]
