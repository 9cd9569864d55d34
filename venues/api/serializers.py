"""The venue owner's API (/api/v1/owner/…)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from community_college.params import BoundedDateSerializerField
from venues.enums import BookingStatus


class OwnerVenueSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    address = serializers.CharField()
    capacity = serializers.IntegerField()
    community = serializers.CharField(source="community.name")
    requires_confirmation = serializers.BooleanField()


class OwnerBookingSerializer(serializers.Serializer):
    """A booking of one of the owner's venues, with the session's details when it holds a class's meeting."""

    id = serializers.IntegerField()
    venue = serializers.IntegerField(source="venue_id")
    venue_name = serializers.CharField(source="venue.name")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=BookingStatus.choices)
    purpose = serializers.CharField()
    decline_reason = serializers.CharField()
    session = serializers.IntegerField(source="session_id", allow_null=True)
    course = serializers.SerializerMethodField()
    teacher = serializers.SerializerMethodField()
    community = serializers.SerializerMethodField()
    people = serializers.SerializerMethodField(help_text=_("Seats the meeting needs."))

    def _course(self, booking):
        session = booking.session
        return session.course if session is not None else None

    def get_course(self, booking) -> str | None:
        course = self._course(booking)
        return course.title if course else None

    def get_teacher(self, booking) -> str | None:
        course = self._course(booking)
        return course.teacher.name if course and course.teacher else None

    def get_community(self, booking) -> str | None:
        course = self._course(booking)
        return course.community.name if course else None

    def get_people(self, booking) -> int | None:
        return booking.session.capacity if booking.session is not None else None


class OwnerBookingQuerySerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=BookingStatus.choices, required=False, help_text=_("Pending (awaiting my answer) by default.")
    )


class OwnerWeekQuerySerializer(serializers.Serializer):
    week = BoundedDateSerializerField(
        required=False, help_text=_("Any day of the week; this week by default.")
    )


class OwnerDeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text=_("Required: why the venue cannot host it."))
