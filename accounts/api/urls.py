from rest_framework.routers import SimpleRouter

from .views import TokenViewSet

router = SimpleRouter()
router.register("auth/tokens", TokenViewSet, basename="token")
urlpatterns = router.urls
