from django.urls import path
from rest_framework.routers import SimpleRouter

from . import noshow, showcases, views

router = SimpleRouter()
router.register("courses", views.CourseViewSet, basename="course")
router.register("registrations", views.RegistrationViewSet, basename="registration")
router.register("me/sessions", views.MySessionsViewSet, basename="my-session")
router.register("staff/teachers", views.TeacherViewSet, basename="staff-teacher")
router.register("staff/match-runs", views.MatchRunViewSet, basename="staff-match-run")
router.register("staff/proposed-classes", views.ProposedClassViewSet, basename="staff-proposed-class")
router.register("staff/sessions", views.SessionRollCallViewSet, basename="staff-session")
router.register("me/certificates", noshow.MyCertificateViewSet, basename="my-certificate")
router.register("me/reconfirmations", noshow.MyReconfirmationViewSet, basename="my-reconfirmation")
router.register("staff/volunteer-shifts", noshow.StaffVolunteerShiftViewSet, basename="staff-volunteer-shift")
router.register("showcases", showcases.ShowcaseViewSet, basename="showcase")
router.register("me/showcases", showcases.MyShowcaseViewSet, basename="my-showcase")
router.register("stories", showcases.StoryViewSet, basename="story")
router.register("staff/showcase-media", showcases.StaffMediaViewSet, basename="staff-showcase-media")
router.register("staff/stories", showcases.StaffStoryViewSet, basename="staff-story")

urlpatterns = [
    path("me/calendar/", views.CalendarLinkView.as_view(), name="calendar-link"),
    path("me/certificates/<int:pk>/pdf/", noshow.MyCertificatePdfView.as_view(), name="my-certificate-pdf"),
    path("me/volunteer-hours/", noshow.MyVolunteerHoursView.as_view(), name="my-volunteer-hours"),
    path("me/volunteer-hours/certificate/", noshow.MyVolunteerCertificateView.as_view(), name="my-volunteer-certificate"),
    path("staff/showcases.xlsx", showcases.StaffShowcasesXlsxView.as_view(), name="staff-showcases-xlsx"),
    path("staff/venues/occupancy/", views.VenueOccupancyView.as_view(), name="venue-occupancy"),
    *router.urls,
]
