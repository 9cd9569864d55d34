from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Community, mask_phone
from accounts.selectors import scope_for
from activities.models import Course, Order, WeeklySlot
from activities.resident_selectors import order_timeline
from interests.models import Category, InterestGroup, ResidentProfile
from interests.selectors import as_seen


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "parent", "name", "name_en", "pinyin", "min_size", "max_size", "sort_order"]

    def to_representation(self, instance):
        # A row of interests.selectors.categories_seen_by: the district's name and sizes, not the city's.
        if hasattr(instance, "seen_name"):
            as_seen([instance])
        return super().to_representation(instance)


class CategorySearchSerializer(CategorySerializer):
    parent_name = serializers.CharField(source="parent.name", default="", read_only=True)
    is_field = serializers.BooleanField(
        read_only=True, help_text=_("A broad field: choose an interest below it to order.")
    )
    open_classes = serializers.IntegerField(
        read_only=True, help_text=_("Open classes near me in it or below it.")
    )
    group_count = serializers.IntegerField(read_only=True)
    my_open_order = serializers.BooleanField(read_only=True)

    class Meta(CategorySerializer.Meta):
        fields = [
            *CategorySerializer.Meta.fields,
            "parent_name",
            "is_field",
            "open_classes",
            "group_count",
            "my_open_order",
        ]


# --- The profile ----------------------------------------------------------------------------------------------


class WindowSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text=_("0 is Monday."))
    start = serializers.TimeField()
    end = serializers.TimeField()


class ProfileSerializer(serializers.ModelSerializer):
    """The resident's profile (画像). PATCH replaces only the fields sent; the first PATCH needs `community`."""

    name = serializers.CharField(source="user.name", read_only=True)
    phone = serializers.SerializerMethodField(help_text=_("Masked as everywhere else: 138****1234."))
    community = serializers.PrimaryKeyRelatedField(queryset=Community.objects.all())
    community_name = serializers.CharField(source="community.name", read_only=True)
    latitude = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    longitude = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    interests = serializers.PrimaryKeyRelatedField(many=True, queryset=Category.objects.all(), required=False)
    availability = WindowSerializer(many=True, required=False)

    class Meta:
        model = ResidentProfile
        fields = [
            "name",
            "phone",
            "community",
            "community_name",
            "latitude",
            "longitude",
            "interests",
            "availability",
            "consent_sms",
            "consent_email",
            "consent_recommendations",
            "updated",
        ]
        read_only_fields = ["updated"]

    def get_phone(self, profile) -> str:
        return mask_phone(profile.user.phone)


# --- Orders ---------------------------------------------------------------------------------------------------


class TimelineStepSerializer(serializers.Serializer):
    status = serializers.CharField()
    label = serializers.CharField()
    done = serializers.BooleanField()
    at = serializers.DateTimeField(allow_null=True)
    actor = serializers.CharField()
    note = serializers.CharField()
    closing = serializers.BooleanField()


class OrderSerializer(serializers.ModelSerializer):
    category_name = serializers.CharField(source="category.name", read_only=True)
    community_name = serializers.CharField(source="community.name", read_only=True)
    course_title = serializers.CharField(source="course.title", default="", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    timeline = serializers.SerializerMethodField()

    class Meta:
        model = Order
        fields = [
            "id",
            "category",
            "category_name",
            "community",
            "community_name",
            "note",
            "status",
            "status_label",
            "channel",
            "course",
            "course_title",
            "reject_reason",
            "submitted_at",
            "accepted_at",
            "dispatched_at",
            "completed_at",
            "closed_at",
            "timeline",
        ]
        read_only_fields = fields

    @extend_schema_field(TimelineStepSerializer(many=True))
    def get_timeline(self, order):
        steps = order_timeline(order, resident=self.context["request"].user)
        return TimelineStepSerializer(steps, many=True).data


class OrderPlaceSerializer(serializers.Serializer):
    category = serializers.PrimaryKeyRelatedField(queryset=Category.objects.filter(is_active=True))
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    preferred_slots = serializers.PrimaryKeyRelatedField(
        many=True, queryset=WeeklySlot.objects.all(), required=False, default=list
    )


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text=_("Shown to the resident."))


class DispatchSerializer(serializers.Serializer):
    course = serializers.PrimaryKeyRelatedField(
        queryset=Course.objects.none(),
        help_text=_("A class of your scope with a free place, of the order's interest."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Only classes the caller may act on: another community's class id is "does not exist". Whether
            # the class can take the order is the service's answer (409 with the reason), as in the admin.
            self.fields["course"].queryset = scope_for(request.user).filter(Course.objects.all())


class StaffOrderSerializer(serializers.ModelSerializer):
    """An order in the staff inbox: the resident named, the mobile number masked as in the admin."""

    resident_name = serializers.CharField(source="resident.name", read_only=True)
    resident_phone = serializers.SerializerMethodField()
    category_name = serializers.CharField(source="category.name", read_only=True)
    community_name = serializers.CharField(source="community.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "resident_name",
            "resident_phone",
            "category",
            "category_name",
            "community",
            "community_name",
            "note",
            "status",
            "status_label",
            "channel",
            "weight",
            "course",
            "reject_reason",
            "submitted_at",
            "accepted_at",
            "dispatched_at",
            "closed_at",
        ]
        read_only_fields = fields

    def get_resident_phone(self, order) -> str:
        return mask_phone(order.resident.phone)


# --- Interest groups --------------------------------------------------------------------------------------------


class NearbyGroupFilterSerializer(serializers.Serializer):
    category = serializers.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, help_text=_("An interest or a broad field.")
    )
    community = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class NearbyGroupSerializer(serializers.ModelSerializer):
    category_name = serializers.CharField(source="category.name", read_only=True)
    community_name = serializers.CharField(source="community.name", read_only=True)
    member_count = serializers.IntegerField(read_only=True)
    is_member = serializers.BooleanField(read_only=True)
    upcoming = serializers.IntegerField(read_only=True, help_text=_("Meetings ahead."))
    distance_km = serializers.FloatField(
        read_only=True,
        allow_null=True,
        help_text=_("From my home to the group's community; null when either has no location."),
    )

    class Meta:
        model = InterestGroup
        fields = [
            "id",
            "name",
            "category",
            "category_name",
            "community",
            "community_name",
            "description",
            "max_members",
            "member_count",
            "is_member",
            "upcoming",
            "distance_km",
        ]
        read_only_fields = fields
