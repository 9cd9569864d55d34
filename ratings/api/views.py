"""Residents' feedback (返单) and ratings, written through ratings.services.feedback_submit."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from activities.api.serializers import SessionSerializer
from community_college.exceptions import errors
from ratings import selectors, services
from ratings.models import SessionRating

from .serializers import FeedbackSerializer, RatingSerializer


@extend_schema_view(
    list=extend_schema(summary="My ratings", responses={200: RatingSerializer(many=True), **errors(404)}),
    retrieve=extend_schema(summary="One of my ratings", responses={200: RatingSerializer, **errors(404)}),
)
@extend_schema(tags=["resident"])
class RatingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = RatingSerializer
    queryset = SessionRating.objects.none()  # for the schema; get_queryset() scopes to the owner

    def get_queryset(self):
        return (
            SessionRating.objects.filter(resident=self.request.user)
            .select_related("session__course")
            .order_by("-created", "-id")
        )

    @extend_schema(
        summary="Give feedback on a session I attended (completes the order that led there)",
        request=FeedbackSerializer,
        responses={201: RatingSerializer, **errors(400, 409)},
    )
    def create(self, request):
        incoming = FeedbackSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        rating = services.feedback_submit(resident=request.user, **incoming.validated_data)
        return Response(
            RatingSerializer(self.get_queryset().get(pk=rating.pk)).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Sessions I attended in the last month and have not rated",
        responses={200: SessionSerializer(many=True), **errors(404)},
    )
    @action(detail=False)
    def awaiting(self, request):
        sessions = selectors.sessions_awaiting_feedback(user=request.user)
        page = self.paginate_queryset(sessions)
        return self.get_paginated_response(SessionSerializer(page, many=True).data)
