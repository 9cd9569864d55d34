from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("categories", views.CategoryViewSet, basename="category")
router.register("orders", views.OrderViewSet, basename="order")
router.register("groups", views.GroupViewSet, basename="group")
router.register("staff/orders", views.StaffOrderViewSet, basename="staff-order")

urlpatterns = [path("me/profile/", views.ProfileView.as_view(), name="profile"), *router.urls]
