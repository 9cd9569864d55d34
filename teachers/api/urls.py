from django.urls import path

from . import views

urlpatterns = [
    path("teacher/sessions/", views.TeacherSessionsView.as_view(), name="teacher-sessions"),
    path("teacher/sessions/<int:pk>/", views.TeacherSessionView.as_view(), name="teacher-session"),
    path("teacher/sessions/<int:pk>/roster/", views.TeacherRosterView.as_view(), name="teacher-roster"),
    path(
        "teacher/sessions/<int:pk>/checkin-code/",
        views.TeacherCheckInCodeView.as_view(),
        name="teacher-checkin-code",
    ),
    path("teacher/proposed-classes/", views.TeacherProposalsView.as_view(), name="teacher-proposals"),
    path(
        "teacher/proposed-classes/<int:pk>/answer/",
        views.TeacherProposalAnswerView.as_view(),
        name="teacher-proposal-answer",
    ),
    path("teacher/profile/", views.TeacherProfileView.as_view(), name="teacher-profile"),
    path("teacher/ratings/", views.TeacherRatingsView.as_view(), name="teacher-ratings"),
    path("teacher/hours/", views.TeacherHoursView.as_view(), name="teacher-hours"),
    path("me/check-in/", views.CheckInView.as_view(), name="check-in"),
]
