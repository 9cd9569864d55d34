from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Community, District, Street, mask_phone
from accounts.selectors import scope_for
from activities.dispatch.enums import MatchScope, MatchSolver
from activities.enums import AttendanceStatus
from activities.models import Course, MatchRun, ProposedClass, ProposedPlacement, Registration, Session, Term
from community_college.params import BoundedDateSerializerField
from teachers.models import Teacher


class CourseSerializer(serializers.ModelSerializer):
    """A class as the resident lists show it."""

    category_name = serializers.CharField(source="category.name", read_only=True)
    community_name = serializers.CharField(source="community.name", read_only=True)
    teacher_name = serializers.CharField(source="teacher.name", default="", read_only=True)
    venue_name = serializers.CharField(source="venue.name", default="", read_only=True)
    venue_address = serializers.CharField(source="venue.address", default="", read_only=True)
    # Null for a class without a venue or a weekly slot yet (one-off classes, venues still to find).
    latitude = serializers.FloatField(source="venue.latitude", default=None, read_only=True, allow_null=True)
    longitude = serializers.FloatField(
        source="venue.longitude", default=None, read_only=True, allow_null=True
    )
    weekday = serializers.IntegerField(
        source="slot.weekday", default=None, read_only=True, allow_null=True, help_text=_("0 is Monday.")
    )
    start = serializers.TimeField(source="slot.start", default=None, read_only=True, allow_null=True)
    end = serializers.TimeField(source="slot.end", default=None, read_only=True, allow_null=True)
    free_places = serializers.IntegerField(read_only=True)

    class Meta:
        model = Course
        fields = [
            "id",
            "title",
            "category",
            "category_name",
            "community",
            "community_name",
            "teacher_name",
            "venue_name",
            "venue_address",
            "latitude",
            "longitude",
            "weekday",
            "start",
            "end",
            "capacity",
            "free_places",
            "status",
            "description",
        ]
        read_only_fields = fields


class NearbyCourseSerializer(CourseSerializer):
    next_starts_at = serializers.DateTimeField(read_only=True)
    distance_km = serializers.FloatField(read_only=True, allow_null=True)
    reason = serializers.CharField(
        read_only=True, help_text=_("The recommender's strongest signal, e.g. interest, distance.")
    )
    my_registration = serializers.CharField(
        read_only=True, allow_null=True, help_text=_("confirmed, waitlisted or null.")
    )

    class Meta(CourseSerializer.Meta):
        fields = [*CourseSerializer.Meta.fields, "next_starts_at", "distance_km", "reason", "my_registration"]
        read_only_fields = fields


class NearbyFilterSerializer(serializers.Serializer):
    category = serializers.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, help_text=_("An interest or a broad field.")
    )
    community = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    weekday = serializers.IntegerField(required=False, min_value=0, max_value=6)
    daypart = serializers.ChoiceField(choices=["morning", "afternoon", "evening"], required=False)


class RegistrationSerializer(serializers.ModelSerializer):
    course_title = serializers.CharField(source="course.title", read_only=True)
    waiting_position = serializers.IntegerField(
        read_only=True, allow_null=True, help_text=_("1 is the first in line; null for a confirmed place.")
    )

    class Meta:
        model = Registration
        fields = ["id", "course", "course_title", "status", "waiting_position", "created", "status_changed"]
        read_only_fields = fields


class SessionSerializer(serializers.ModelSerializer):
    course_title = serializers.CharField(source="course.title", read_only=True)
    venue_name = serializers.SerializerMethodField()
    teacher_name = serializers.CharField(source="course.teacher.name", default="", read_only=True)

    class Meta:
        model = Session
        fields = [
            "id",
            "course",
            "course_title",
            "teacher_name",
            "venue_name",
            "starts_at",
            "ends_at",
            "status",
        ]
        read_only_fields = fields

    def get_venue_name(self, session) -> str:
        venue = session.venue or session.course.venue
        return venue.name if venue else ""


class CalendarLinkSerializer(serializers.Serializer):
    url = serializers.URLField(
        help_text=_("Subscribe to it in a calendar app; anyone holding it sees my sessions.")
    )


# --- Staff ------------------------------------------------------------------------------------------------------


class OccupancyQuerySerializer(serializers.Serializer):
    week = BoundedDateSerializerField(required=False, help_text=_("Any day of the week; this week by default."))


class OccupancyDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    cells = serializers.ListField(
        child=serializers.ChoiceField(choices=["closed", "free", "booked", "pending", "outside", "conflict"]),
        help_text=_("One per hour from 07:00 to 22:00, as the admin's one-screen overview colours them."),
    )


class VenueOccupancySerializer(serializers.Serializer):
    """A venue's week as the admin's one-screen overview (`venues.occupancy`) computes it."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    community = serializers.IntegerField()
    capacity = serializers.IntegerField()
    week_start = serializers.DateField(help_text=_("The Monday of the week."))
    open_hours = serializers.FloatField(help_text=_("Opening hours that week."))
    hours = serializers.FloatField(
        help_text=_("Hours booked within opening hours that week (overlapping bookings counted once).")
    )
    utilisation = serializers.IntegerField(
        allow_null=True,
        help_text=_("Booked share of the opening hours, in whole percent; null if never open."),
    )
    pending = serializers.IntegerField(help_text=_("Bookings awaiting the owner's confirmation."))
    conflicts = serializers.IntegerField(help_text=_("Holding bookings that overlap another one."))
    days = OccupancyDaySerializer(many=True)


class TeacherSerializer(serializers.ModelSerializer):
    phone = serializers.SerializerMethodField()
    community_name = serializers.CharField(source="community.name", default="", read_only=True)

    class Meta:
        model = Teacher
        fields = [
            "id",
            "name",
            "phone",
            "kind",
            "source",
            "community",
            "community_name",
            "max_weekly_sessions",
            "max_travel_km",
            "is_active",
        ]
        read_only_fields = fields

    def get_phone(self, teacher) -> str:
        return mask_phone(teacher.phone)


class MatchRunSerializer(serializers.ModelSerializer):
    node = serializers.CharField(source="node.name", read_only=True)

    class Meta:
        model = MatchRun
        fields = [
            "id",
            "scope",
            "node",
            "community",
            "street",
            "district",
            "term",
            "created",
            "status",
            "solver",
            "orders_total",
            "orders_assigned",
            "orders_unlocated",
            "classes",
            "assigned_weight",
            "total_weight",
            "walk_km",
            "seconds",
        ]
        read_only_fields = fields


class PlacementSerializer(serializers.ModelSerializer):
    resident_name = serializers.CharField(source="order.resident.name", read_only=True)
    resident_phone = serializers.SerializerMethodField()

    class Meta:
        model = ProposedPlacement
        fields = ["order", "resident_name", "resident_phone", "walk_km", "active"]
        read_only_fields = fields

    def get_resident_phone(self, placement) -> str:
        return mask_phone(placement.order.resident.phone)


class ProposedClassSerializer(serializers.ModelSerializer):
    category_name = serializers.CharField(source="category.name", read_only=True)
    teacher_name = serializers.CharField(source="teacher.name", read_only=True)
    venue_name = serializers.CharField(source="venue.name", read_only=True)
    slot_label = serializers.CharField(source="slot", read_only=True)
    placements = PlacementSerializer(many=True, read_only=True)

    class Meta:
        model = ProposedClass
        fields = [
            "id",
            "run",
            "category",
            "category_name",
            "teacher",
            "teacher_name",
            "venue",
            "venue_name",
            "slot",
            "slot_label",
            "term",
            "community",
            "status",
            "teacher_consent",
            "venue_consent",
            "size",
            "weight",
            "walk_km",
            "course",
            "decided_at",
            "note",
            "placements",
        ]
        read_only_fields = fields


# Solving waits for the answer (see MatchRunViewSet.create): the longest the solver may think.
MAX_API_TIME_LIMIT = 60.0


class MatchRunStartSerializer(serializers.Serializer):
    """Which node to match: `node` is the community's, street's or district's id; without it, the one node
    of that kind in my scope (when there is exactly one)."""

    scope = serializers.ChoiceField(choices=MatchScope.choices)
    node = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    term = serializers.PrimaryKeyRelatedField(
        queryset=Term.objects.all(),
        required=False,
        help_text=_("The term under way tomorrow, or the next one, by default."),
    )
    solver = serializers.ChoiceField(choices=MatchSolver.choices, default=MatchSolver.SOLVER)
    time_limit = serializers.FloatField(
        min_value=0.1,
        max_value=MAX_API_TIME_LIMIT,
        default=10.0,
        help_text=_("Seconds the solver may think."),
    )
    seed = serializers.IntegerField(min_value=0, max_value=2**31 - 1, default=0)
    replace = serializers.BooleanField(
        default=False, help_text=_("Discard my scope's still-proposed classes first, for a fresh plan.")
    )

    def validate(self, attrs):
        # Only nodes the caller can see: another scope's node "does not exist", as any object elsewhere.
        scope = scope_for(self.context["request"].user)
        kind = attrs["scope"]
        if kind == MatchScope.COMMUNITY:
            nodes = scope.filter(Community.objects.all(), "")
        elif kind == MatchScope.STREET:
            nodes = (
                Street.objects.all()
                if scope.everything
                else Street.objects.filter(communities__in=scope.community_ids).distinct()
            )
        else:
            nodes = (
                District.objects.all()
                if scope.everything
                else District.objects.filter(streets__communities__in=scope.community_ids).distinct()
            )
        nodes = nodes.order_by("pk")
        if "node" in attrs:
            node = nodes.filter(pk=attrs["node"]).first()
            if node is None:
                raise serializers.ValidationError({"node": [_("No such node in your scope.")]})
        else:
            found = list(nodes[:2])
            if len(found) != 1:
                raise serializers.ValidationError(
                    {"node": [_("Name the community, street or district to match by its id.")]}
                )
            node = found[0]
        attrs["node"] = node
        term = attrs.get("term")
        if term is not None and term.district_id != _district_id_of(node):
            # Each district keeps its own calendar: another district's term is not one to match in.
            raise serializers.ValidationError({"term": [_("No such term in the node's district.")]})
        return attrs


def _district_id_of(node: Community | Street | District) -> int:
    if isinstance(node, Community):
        return Street.objects.values_list("district_id", flat=True).get(pk=node.street_id)
    if isinstance(node, Street):
        return node.district_id
    return node.pk


class MatchRunDiscardedSerializer(serializers.Serializer):
    discarded = serializers.IntegerField(help_text=_("Proposed classes discarded (those in my scope)."))
    run = MatchRunSerializer()


class ProposalNoteSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ProposalAnswerSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    reason = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default="", help_text=_("Required to decline.")
    )

    def validate(self, attrs):
        if not attrs["accept"] and not attrs["reason"].strip():
            raise serializers.ValidationError({"reason": [_("Say why the class is declined.")]})
        return attrs


class RollCallLineSerializer(serializers.Serializer):
    """One resident on a meeting's roll call; the mobile number masked as in the admin."""

    resident = serializers.IntegerField(source="resident.pk")
    name = serializers.CharField(source="resident.name")
    phone = serializers.CharField(source="masked_phone")
    status = serializers.ChoiceField(choices=AttendanceStatus.choices, allow_null=True)
    walk_in = serializers.BooleanField()


class RollCallSerializer(serializers.Serializer):
    session = serializers.IntegerField()
    roster = RollCallLineSerializer(many=True)


class RollCallMarkSerializer(serializers.Serializer):
    resident = serializers.IntegerField(min_value=1)
    status = serializers.ChoiceField(choices=AttendanceStatus.choices)


class RollCallRecordSerializer(serializers.Serializer):
    # A roll call is one class's roster: a few dozen residents, never thousands.
    marks = RollCallMarkSerializer(many=True, required=False, default=list, max_length=500)
    walk_ins = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        max_length=100,
        help_text=_("Residents present without a registration, taken while seats are free."),
    )

    def validate(self, attrs):
        residents = [mark["resident"] for mark in attrs["marks"]] + list(attrs["walk_ins"])
        if not residents:
            raise serializers.ValidationError(_("Mark at least one resident."))
        if len(set(residents)) != len(residents):
            raise serializers.ValidationError(_("Each resident may appear once."))
        return attrs
