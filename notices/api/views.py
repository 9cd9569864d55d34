"""My notices: the in-site inbox, read through notices.selectors and marked through notices.services."""

import django_filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from community_college.exceptions import errors
from notices import selectors, services
from notices.models import Notice


class NoticeSerializer(serializers.ModelSerializer):
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notice
        fields = ["id", "purpose", "title", "body", "url", "created", "read_at", "is_read"]
        read_only_fields = fields


class UnreadCountSerializer(serializers.Serializer):
    unread = serializers.IntegerField()


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many notices were unread and are now read.")


class NoticeFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(field_name="read_at", lookup_expr="isnull")

    class Meta:
        model = Notice
        fields = ["unread", "purpose"]


@extend_schema_view(
    list=extend_schema(
        summary="My notices, newest first", responses={200: NoticeSerializer(many=True), **errors(400, 404)}
    ),
    retrieve=extend_schema(summary="One of my notices", responses={200: NoticeSerializer, **errors(404)}),
)
@extend_schema(tags=["resident"])
class NoticeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = NoticeSerializer
    queryset = Notice.objects.none()  # for the schema; get_queryset() scopes to the owner
    filterset_class = NoticeFilter

    def get_queryset(self):
        return selectors.inbox(user=self.request.user)

    @extend_schema(
        summary="Mark one notice read", request=None, responses={200: NoticeSerializer, **errors(404)}
    )
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        notice = self.get_object()
        services.notice_mark_read(notice_id=notice.pk, user=request.user)
        return Response(NoticeSerializer(self.get_queryset().get(pk=notice.pk)).data)

    @extend_schema(
        summary="Mark all my notices read", request=None, responses={200: MarkedSerializer, **errors()}
    )
    @action(detail=False, methods=["post"], url_path="read-all", filterset_class=None)
    def read_all(self, request):
        return Response(
            {"marked": services.notices_mark_all_read(user=request.user)}, status=status.HTTP_200_OK
        )

    @extend_schema(
        summary="How many of my notices are unread", responses={200: UnreadCountSerializer, **errors()}
    )
    @action(detail=False, url_path="unread-count", filterset_class=None, pagination_class=None)
    def unread_count(self, request):
        return Response({"unread": selectors.unread_count(user=request.user)})
