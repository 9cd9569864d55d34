from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import SignInCodeView, SmsTokenView, TokenViewSet

router = SimpleRouter()
router.register("auth/tokens", TokenViewSet, basename="token")
# Before the router: its auth/tokens/{id}/ would otherwise take "sms" for an id.
urlpatterns = [
    path("auth/codes/", SignInCodeView.as_view(), name="sign-in-code"),
    path("auth/tokens/sms/", SmsTokenView.as_view(), name="token-sms"),
    *router.urls,
]
