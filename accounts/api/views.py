"""API tokens: create (the secret is answered once), list and revoke, each by its owner only; sign-in codes by SMS."""

from collections.abc import Mapping

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.generics import GenericAPIView, get_object_or_404
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle

from accounts import codes
from accounts.models import MOBILE_PATTERN, ApiToken, normalise_phone
from community_college.exceptions import errors
from ops.throttles import CacheRequired

from . import services
from .serializers import (
    SignInCodeRequestSerializer,
    SignInCodeSentSerializer,
    SmsTokenCreateSerializer,
    TokenCreatedSerializer,
    TokenCreateSerializer,
    TokenSerializer,
)


@extend_schema(tags=["auth"])
class TokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    serializer_class = TokenSerializer
    queryset = ApiToken.objects.none()  # for the schema; get_queryset() scopes to the owner
    pagination_class = None

    def get_queryset(self):
        return ApiToken.objects.filter(user=self.request.user).order_by("-created", "-id")

    def get_permissions(self):
        if self.action == "create":
            return [AllowAny()]
        return super().get_permissions()

    def get_throttles(self):
        if self.action == "create":
            self.throttle_scope = "sign_in"
            return [ScopedRateThrottle()]
        return super().get_throttles()

    @extend_schema(summary="My API tokens", responses={200: TokenSerializer(many=True), **errors()})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="Sign in from an app: make a token",
        request=TokenCreateSerializer,
        responses={201: TokenCreatedSerializer, **errors(400, 429)},
        description="With `login` and `password`: five failures lock the account from this address "
        "(429 `locked_out`, even with the right password) for AXES_COOLOFF_TIME. An account whose mobile "
        "number is not verified is refused (403 `phone_unverified`), as the sign-in page would ask for a "
        "code first: sign in by SMS code instead, which verifies the number.",
    )
    def create(self, request, *args, **kwargs):
        data = TokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if "login" in data.validated_data:
            token, secret = services.api_token_sign_in_with_password(
                request=request._request,
                login=data.validated_data["login"],
                password=data.validated_data["password"],
                name=data.validated_data["name"],
            )
        elif request.user.is_authenticated:
            token, secret = services.api_token_create(user=request.user, name=data.validated_data["name"])
        else:
            raise exceptions.NotAuthenticated()
        body = TokenCreatedSerializer(token).data | {"secret": secret}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Revoke one of my tokens", responses={204: None, **errors(404)})
    def destroy(self, request, *args, **kwargs):
        token = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        services.api_token_revoke(token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PhoneRateThrottle(SimpleRateThrottle):
    """Per mobile number, whoever asks: one number cannot be pestered from many addresses."""

    scope = "send_code_phone"

    def get_cache_key(self, request, view):
        data = request.data if isinstance(request.data, Mapping) else {}
        raw = data.get("phone")
        phone = (normalise_phone(raw) or "") if isinstance(raw, str) else ""
        if not MOBILE_PATTERN.fullmatch(phone):
            # Not a mobile number (a list, an object, letters): the serializer refuses it and sends nothing;
            # the per-address throttle still counts the request. Never a cache key made of arbitrary input.
            return None
        return self.cache_format % {"scope": self.scope, "ident": phone}


@extend_schema(tags=["auth"])
class SignInCodeView(GenericAPIView):
    """Each code is an SMS that costs money: throttled per address (`send_code`) and per number."""

    permission_classes = [AllowAny]
    serializer_class = SignInCodeRequestSerializer
    throttle_scope = "send_code"
    # CacheRequired first: with the cache away these limits cannot count, so no code is sent (ops/throttles.py).
    throttle_classes = [CacheRequired, ScopedRateThrottle, PhoneRateThrottle]

    @extend_schema(
        summary="Sign in from an app, step 1: text me a code",
        description="The answer is the same whether or not the number has an account; only residents "
        "who have one receive the SMS. Then POST the code to /auth/tokens/sms/.",
        request=SignInCodeRequestSerializer,
        responses={202: SignInCodeSentSerializer, **errors(400, 429)},
    )
    def post(self, request):
        incoming = SignInCodeRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        codes.sign_in_code_send(phone=incoming.validated_data["phone"])
        body = {
            "detail": _("If this number has an account, a code is on its way."),
            "expires_in": codes.CODE_TTL,
        }
        return Response(body, status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=["auth"])
class SmsTokenView(GenericAPIView):
    permission_classes = [AllowAny]
    serializer_class = SmsTokenCreateSerializer
    throttle_scope = "sign_in"
    throttle_classes = [ScopedRateThrottle]

    @extend_schema(
        summary="Sign in from an app, step 2: exchange the code for a token",
        description="A code works once, for five minutes, and five wrong tries burn it. Failures count "
        "with the password sign-in's: five lock the number from this address (429 `locked_out`).",
        request=SmsTokenCreateSerializer,
        responses={201: TokenCreatedSerializer, **errors(400, 429)},
    )
    def post(self, request):
        incoming = SmsTokenCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        token, secret = services.api_token_sign_in_with_code(
            request=request._request, **incoming.validated_data
        )
        body = TokenCreatedSerializer(token).data | {"secret": secret}
        return Response(body, status=status.HTTP_201_CREATED)
