from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("consultation/categories", views.CategoryViewSet, basename="consultation-category")
router.register("consultation/matters", views.MatterViewSet, basename="consultation-matter")
router.register("consultation/comments", views.CommentViewSet, basename="consultation-comment")
router.register("consultation/meetings", views.MeetingViewSet, basename="consultation-meeting")
router.register("consultation/decisions", views.DecisionViewSet, basename="consultation-decision")
router.register("consultation/staff/matters", views.StaffMatterViewSet, basename="consultation-staff-matter")
router.register("consultation/liaison/matters", views.LiaisonMatterViewSet, basename="consultation-liaison-matter")

urlpatterns = router.urls
