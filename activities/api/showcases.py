"""Showcases (兴趣展示) and stories (人物故事) over the API.

Residents: showcases near me, one showcase, register as audience (a seat or the waiting list; cancelling is
`registrations/{id}/cancel/`, the same registration), my showcases, published stories.
Staff: photos to moderate and the moderation itself, stories of their scope, the showcases as an .xlsx.
Every write calls `activities.showcases`; every queryset is scoped before an id is looked up.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from accounts.api.permissions import IsStaffInScope, IsStaffWhoChanges
from accounts.selectors import scope_for
from activities import showcase_selectors as selectors
from activities import showcases as services
from activities.enums import CourseKind, ShowcaseKind, ShowcaseStatus
from activities.models import Course, Registration, Showcase, ShowcaseMedia, Story
from community_college.exceptions import errors
from dashboards.api.views import XLSX_RESPONSE, XlsxView, _json_errors
from dashboards.tables import Column, Table
from interests.models import InterestGroup
from venues.models import Venue

from .serializers import NearbyFilterSerializer

# --- serializers ---------------------------------------------------------------------------------------------------


def _media_url(item: ShowcaseMedia, size: str) -> str:
    return reverse("activities:showcase_media", args=[item.pk, size])


class MediaSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    class Meta:
        model = ShowcaseMedia
        fields = ["id", "caption", "width", "height", "url", "thumbnail_url"]
        read_only_fields = fields

    def get_url(self, obj) -> str:
        return _media_url(obj, "full")

    def get_thumbnail_url(self, obj) -> str:
        return _media_url(obj, "thumb")


class ShowcaseSerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    shown_by = serializers.SerializerMethodField(help_text=_("The group's or the class's name."))
    venue_name = serializers.CharField(source="venue.name", read_only=True)
    venue_address = serializers.CharField(source="venue.address", read_only=True)
    latitude = serializers.FloatField(source="venue.latitude", read_only=True, allow_null=True)
    longitude = serializers.FloatField(source="venue.longitude", read_only=True, allow_null=True)
    capacity = serializers.IntegerField(source="audience.capacity", read_only=True)
    free_places = serializers.IntegerField(source="audience.free_places", read_only=True)

    class Meta:
        model = Showcase
        fields = [
            "id",
            "title",
            "kind",
            "community",
            "community_name",
            "shown_by",
            "venue_name",
            "venue_address",
            "latitude",
            "longitude",
            "starts_at",
            "ends_at",
            "programme",
            "participants",
            "capacity",
            "free_places",
            "status",
        ]
        read_only_fields = fields

    def get_shown_by(self, obj) -> str:
        return obj.group.name if obj.group_id else obj.course.title


class NearShowcaseSerializer(ShowcaseSerializer):
    distance_km = serializers.FloatField(read_only=True, allow_null=True)
    within_walk = serializers.BooleanField(
        read_only=True, help_text=_("Within the 15-minute walking circle.")
    )
    my_registration = serializers.CharField(
        read_only=True, allow_null=True, help_text=_("confirmed, waitlisted or null.")
    )

    class Meta(ShowcaseSerializer.Meta):
        fields = [*ShowcaseSerializer.Meta.fields, "distance_km", "within_walk", "my_registration"]
        read_only_fields = fields


class MyShowcaseSerializer(ShowcaseSerializer):
    my_registration = serializers.CharField(read_only=True, allow_null=True)
    proposed_by_me = serializers.SerializerMethodField()

    class Meta(ShowcaseSerializer.Meta):
        fields = [*ShowcaseSerializer.Meta.fields, "my_registration", "proposed_by_me"]
        read_only_fields = fields

    def get_proposed_by_me(self, obj) -> bool:
        return obj.proposed_by_id == self.context["request"].user.pk


class ShowcaseProposalSerializer(serializers.Serializer):
    """What a group's leader or a class's teacher proposes: the portal's proposal form, over the API."""

    group = serializers.PrimaryKeyRelatedField(
        queryset=InterestGroup.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text=_("The group that shows its work (give the group or the class)."),
    )
    course = serializers.PrimaryKeyRelatedField(
        queryset=Course.objects.exclude(kind=CourseKind.SHOWCASE),
        required=False,
        allow_null=True,
        help_text=_("The class that shows its work (give the group or the class)."),
    )
    title = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=ShowcaseKind.choices)
    venue = serializers.PrimaryKeyRelatedField(queryset=Venue.objects.filter(is_active=True))
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    capacity = serializers.IntegerField(min_value=1, max_value=5000, help_text=_("Audience seats."))
    programme = serializers.CharField(max_length=2000)
    participants = serializers.CharField(max_length=1000)

    def validate(self, data):
        owner = data.get("group") or data.get("course")
        # As in the portal's form: a venue of the owner's street, where its residents come.
        if owner is not None and data["venue"].community.street_id != owner.community.street_id:
            raise serializers.ValidationError(
                {"venue": [_("Choose a venue in the street of the group or class.")]}, code="venue_elsewhere"
            )
        return data


class AudienceRegistrationSerializer(serializers.ModelSerializer):
    showcase = serializers.IntegerField(source="course.showcase.pk", read_only=True)

    class Meta:
        model = Registration
        fields = ["id", "showcase", "status", "created"]
        read_only_fields = fields


class StorySerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)
    photos = MediaSerializer(source="shown", many=True, read_only=True)

    class Meta:
        model = Story
        fields = [
            "id",
            "title",
            "body",
            "subject_name",
            "community",
            "community_name",
            "showcase",
            "published_at",
            "photos",
        ]
        read_only_fields = fields


class StaffStorySerializer(serializers.ModelSerializer):
    community_name = serializers.CharField(source="community.name", read_only=True)

    class Meta:
        model = Story
        fields = [
            "id",
            "title",
            "body",
            "subject_name",
            "community",
            "community_name",
            "showcase",
            "status",
            "consent_recorded",
            "consent_note",
            "published_at",
            "created",
        ]
        read_only_fields = fields


class StaffMediaSerializer(MediaSerializer):
    showcase_title = serializers.CharField(source="showcase.title", default="", read_only=True)
    story_title = serializers.CharField(source="story.title", default="", read_only=True)

    class Meta(MediaSerializer.Meta):
        fields = [
            *MediaSerializer.Meta.fields,
            "showcase",
            "showcase_title",
            "story",
            "story_title",
            "community",
            "status",
            "consent_confirmed",
            "created",
        ]
        read_only_fields = fields


class ModerateSerializer(serializers.Serializer):
    approve = serializers.BooleanField(help_text=_("true shows the photo on the walls; false rejects it."))


# --- residents -----------------------------------------------------------------------------------------------------


@extend_schema(tags=["resident"])
class ShowcaseViewSet(viewsets.GenericViewSet):
    serializer_class = ShowcaseSerializer

    def get_queryset(self):
        return self._approved()

    def _approved(self):
        return (
            Showcase.objects.filter(status=ShowcaseStatus.APPROVED)
            .select_related("venue", "community", "group", "course", "audience")
            .order_by("-starts_at", "-id")
        )

    @extend_schema(
        summary="Showcases near me: within the 15-minute walk first, with distances",
        parameters=[NearbyFilterSerializer],
        responses={200: NearShowcaseSerializer(many=True), **errors(400, 404)},
    )
    @action(detail=False)
    def nearby(self, request):
        """Queries: the profile (1), the showcases (1), my registrations among the page's (1)."""
        query = NearbyFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        f = query.validated_data
        rows = selectors.showcases_near(
            user=request.user,
            category_id=f.get("category"),
            community_id=f.get("community"),
            weekday=f.get("weekday"),
            daypart=f.get("daypart"),
        )
        page = self.paginate_queryset(rows)
        mine = selectors.showcase_registration_ids(
            user=request.user, showcase_ids=[r.showcase.pk for r in page]
        )
        out = []
        for r in page:
            showcase = r.showcase
            showcase.distance_km = round(r.distance_km, 3) if r.distance_km is not None else None
            showcase.within_walk = r.within_walk
            showcase.my_registration = mine.get(showcase.pk)
            out.append(showcase)
        return self.get_paginated_response(NearShowcaseSerializer(out, many=True).data)

    @extend_schema(summary="One approved showcase", responses={200: ShowcaseSerializer, **errors(404)})
    def retrieve(self, request, pk=None):
        return Response(ShowcaseSerializer(get_object_or_404(self._approved(), pk=pk)).data)

    @extend_schema(
        summary="The approved photos of a showcase",
        responses={200: MediaSerializer(many=True), **errors(404)},
    )
    @action(detail=True)
    def photos(self, request, pk=None):
        # Paginated like every other list of the API (a well-photographed showcase has hundreds).
        showcase = get_object_or_404(self._approved(), pk=pk)
        page = self.paginate_queryset(selectors.approved_media(showcase=showcase))
        return self.get_paginated_response(MediaSerializer(page, many=True).data)

    @extend_schema(
        summary="Register as audience: a seat, or a place on the waiting list; twice is refused (409)",
        request=None,
        responses={201: AudienceRegistrationSerializer, **errors(404, 409)},
    )
    @action(detail=True, methods=["post"])
    def register(self, request, pk=None):
        showcase = get_object_or_404(self._approved(), pk=pk)
        registration = services.showcase_register(showcase=showcase, resident=request.user)
        registration.course = showcase.audience
        return Response(AudienceRegistrationSerializer(registration).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="My showcases: proposed by me, of groups I lead, or where I have a seat",
        responses={200: MyShowcaseSerializer(many=True), **errors(400, 404)},
    ),
    create=extend_schema(
        summary="Propose a showcase (a group's leader or a class's teacher); the venue is booked at once",
        description="Staff approve it before residents see it. A venue booked at that time is a 409 and "
        "nothing is saved; someone who neither leads the group nor teaches the class is a 403.",
        request=ShowcaseProposalSerializer,
        responses={201: MyShowcaseSerializer, **errors(400, 409)},
    ),
)
@extend_schema(tags=["resident"])
class MyShowcaseViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = MyShowcaseSerializer
    queryset = Showcase.objects.none()  # for the schema; get_queryset() narrows to the caller

    def get_queryset(self):
        return selectors.my_showcases(user=self.request.user)

    def create(self, request, *args, **kwargs):
        incoming = ShowcaseProposalSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        showcase = services.showcase_propose(actor=request.user, **incoming.validated_data)
        out = MyShowcaseSerializer(self.get_queryset().get(pk=showcase.pk), context={"request": request})
        return Response(out.data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="Published stories (人物故事)",
        responses={200: StorySerializer(many=True), **errors(400, 404)},
    ),
    retrieve=extend_schema(summary="One published story", responses={200: StorySerializer, **errors(404)}),
)
@extend_schema(tags=["resident"])
class StoryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = StorySerializer
    queryset = Story.objects.none()

    def get_queryset(self):
        from django.db.models import Prefetch

        from activities.enums import MediaStatus

        return selectors.published_stories().prefetch_related(
            Prefetch(
                "media",
                queryset=ShowcaseMedia.objects.filter(status=MediaStatus.APPROVED).order_by("id"),
                to_attr="shown",
            )
        )


# --- staff ---------------------------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="Photos of showcases and stories in my scope, newest first",
        responses={200: StaffMediaSerializer(many=True), **errors(400, 404)},
    ),
    retrieve=extend_schema(
        summary="One photo in my scope", responses={200: StaffMediaSerializer, **errors(404)}
    ),
)
@extend_schema(tags=["staff"])
class StaffMediaViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = StaffMediaSerializer
    permission_classes = [IsStaffInScope]
    queryset = ShowcaseMedia.objects.none()

    def get_queryset(self):
        return selectors.media_for_moderation(user=self.request.user)

    def get_permissions(self):
        if self.action == "moderate":
            return [IsStaffWhoChanges()]
        return super().get_permissions()

    @extend_schema(
        summary="Show the photo on the walls, or reject it",
        request=ModerateSerializer,
        responses={200: StaffMediaSerializer, **errors(400, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def moderate(self, request, pk=None):
        item = get_object_or_404(self.get_queryset(), pk=pk)
        incoming = ModerateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        services.media_moderate(item=item, actor=request.user, approve=incoming.validated_data["approve"])
        return Response(StaffMediaSerializer(self.get_queryset().get(pk=item.pk)).data)


@extend_schema_view(
    list=extend_schema(
        summary="Stories of my scope, drafts included",
        responses={200: StaffStorySerializer(many=True), **errors(400, 404)},
    ),
    retrieve=extend_schema(
        summary="One story of my scope", responses={200: StaffStorySerializer, **errors(404)}
    ),
)
@extend_schema(tags=["staff"])
class StaffStoryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = StaffStorySerializer
    permission_classes = [IsStaffInScope]
    queryset = Story.objects.none()

    def get_queryset(self):
        return (
            scope_for(self.request.user)
            .filter(Story.objects.select_related("community"))
            .order_by("-created", "-id")
        )


@extend_schema(tags=["staff"])
class StaffShowcasesXlsxView(XlsxView):
    @extend_schema(
        operation_id="staff_showcases_xlsx",
        summary="The showcases of my scope with their audience, as an .xlsx workbook",
        responses={**XLSX_RESPONSE, **_json_errors(404)},
    )
    def get(self, request):
        showcases = (
            scope_for(request.user)
            .filter(Showcase.objects.select_related("community", "venue", "group", "course", "audience"))
            .order_by("-starts_at", "-id")
        )
        table = Table(
            "showcases",
            str(_("Showcases")),
            [
                Column(str(_("Title"))),
                Column(str(_("Kind"))),
                Column(str(_("Community"))),
                Column(str(_("Shown by"))),
                Column(str(_("Venue"))),
                Column(str(_("Starts at"))),
                Column(str(_("Status"))),
                Column(str(_("Seats")), "int"),
                Column(str(_("Audience")), "int"),
            ],
            [
                [
                    s.title,
                    s.get_kind_display(),
                    s.community.name,
                    s.group.name if s.group_id else s.course.title,
                    s.venue.name,
                    timezone.localtime(s.starts_at).strftime("%Y-%m-%d %H:%M"),
                    s.get_status_display(),
                    s.audience.capacity,
                    s.audience.confirmed_count,
                ]
                for s in showcases
            ],
        )
        return self.workbook_response([table], "showcases")
