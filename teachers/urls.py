from django.urls import path, re_path

from . import views

app_name = "teachers"

urlpatterns = [
    path("teachers/recommend/", views.recommend, name="recommend"),
    path("teach/", views.teach_week, name="teach_week"),
    path("teach/term/", views.teach_term, name="teach_term"),
    path("teach/sessions/<int:pk>/", views.teach_roster, name="teach_roster"),
    path("teach/sessions/<int:pk>/qr/", views.teach_qr, name="teach_qr"),
    path("teach/sessions/<int:pk>/qr/code/", views.teach_qr_code, name="teach_qr_code"),
    path("teach/proposals/", views.teach_proposals, name="teach_proposals"),
    path("teach/proposals/<int:pk>/answer/", views.teach_proposal_answer, name="teach_proposal_answer"),
    path("teach/profile/", views.teach_profile, name="teach_profile"),
    path("teach/ratings/", views.teach_ratings, name="teach_ratings"),
    path("teach/hours/", views.teach_hours, name="teach_hours"),
    # <session>-<step>-<signature>: digits, digits and Django's URL-safe base64 signature.
    re_path(
        r"^checkin/(?P<code>[0-9]{1,12}-[0-9]{1,14}-[A-Za-z0-9_-]{20,64})/$", views.checkin, name="checkin"
    ),
    path("checkin/resume/", views.checkin_resume, name="checkin_resume"),
]
