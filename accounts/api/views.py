"""API tokens: create (the secret is answered once), list and revoke, each by its owner only."""

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.generics import get_object_or_404
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from accounts.models import ApiToken
from community_college.exceptions import errors

from . import services
from .serializers import TokenCreatedSerializer, TokenCreateSerializer, TokenSerializer


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
    )
    def create(self, request, *args, **kwargs):
        data = TokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = request.user
        if "login" in data.validated_data:
            # Through the same backends as the sign-in page, so axes counts failures and locks out.
            user = authenticate(
                request._request,
                username=data.validated_data["login"],
                password=data.validated_data["password"],
            )
            if user is None:
                raise exceptions.AuthenticationFailed(_("The mobile number or the password is wrong."))
        elif not user.is_authenticated:
            raise exceptions.NotAuthenticated()
        token, secret = services.api_token_create(user=user, name=data.validated_data["name"])
        body = TokenCreatedSerializer(token).data | {"secret": secret}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Revoke one of my tokens", responses={204: None, **errors(404)})
    def destroy(self, request, *args, **kwargs):
        token = get_object_or_404(self.get_queryset(), pk=kwargs["pk"])
        services.api_token_revoke(token=token)
        return Response(status=status.HTTP_204_NO_CONTENT)
