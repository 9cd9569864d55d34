"""The teacher's API (/api/v1/teacher/…) and the resident's check-in (/api/v1/me/check-in/)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from activities.api.serializers import RollCallLineSerializer
from activities.dispatch.enums import Consent, ProposedClassStatus
from activities.enums import SessionStatus
from community_college.models import Weekday
from community_college.params import BoundedDateSerializerField


class WeekQuerySerializer(serializers.Serializer):
    week = BoundedDateSerializerField(
        required=False, help_text=_("Any day of the week; this week by default.")
    )


class TeacherVenueSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    address = serializers.CharField()
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)


class TeacherSessionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    course = serializers.IntegerField(source="course_id")
    title = serializers.CharField(source="course.title")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=SessionStatus.choices)
    venue = TeacherVenueSerializer(allow_null=True)
    places = serializers.IntegerField(source="course.capacity")
    places_taken = serializers.IntegerField(source="course.confirmed_count")
    checked_in = serializers.IntegerField(source="present")
    policy_talk = serializers.SerializerMethodField()

    def get_policy_talk(self, session) -> str | None:
        talk = getattr(session, "policy_talk", None)
        return talk.topic if talk is not None and talk.is_accepted else None


class TeacherRosterSerializer(serializers.Serializer):
    session = serializers.IntegerField()
    waiting_list = serializers.IntegerField(help_text=_("Residents on the class's waiting list."))
    roster = RollCallLineSerializer(many=True)


class CheckInCodeSerializer(serializers.Serializer):
    code = serializers.CharField()
    url = serializers.CharField(help_text=_("The link the QR code holds."))
    svg = serializers.CharField(help_text=_("The QR code as SVG markup."))
    refresh_at = serializers.DateTimeField(help_text=_("When the next code is out."))


class TeacherProposalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    interest = serializers.CharField(source="category.name")
    venue = serializers.CharField(source="venue.name")
    address = serializers.CharField(source="venue.address")
    community = serializers.CharField(source="community.name")
    slot = serializers.CharField()
    term = serializers.CharField(source="term.name")
    residents = serializers.IntegerField(source="size")
    status = serializers.ChoiceField(choices=ProposedClassStatus.choices)
    teacher_consent = serializers.ChoiceField(choices=Consent.choices)


class TeacherAnswerSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    reason = serializers.CharField(
        max_length=300, required=False, allow_blank=True, default="", help_text=_("Required to decline.")
    )

    def validate(self, attrs):
        if not attrs["accept"] and not attrs["reason"].strip():
            raise serializers.ValidationError(
                {"reason": [_("Say why you decline, so that the community can plan around it.")]}
            )
        return attrs


class FreeTimeSerializer(serializers.Serializer):
    weekday = serializers.ChoiceField(choices=Weekday.choices)
    start = serializers.TimeField()
    end = serializers.TimeField()

    def validate(self, attrs):
        if attrs["start"] >= attrs["end"]:
            raise serializers.ValidationError(_("The end must be later than the start."))
        return attrs


class TeacherProfileSerializer(serializers.Serializer):
    max_weekly_sessions = serializers.IntegerField(min_value=1, max_value=40)
    free_times = FreeTimeSerializer(many=True, max_length=21)


class TeacherCommentSerializer(serializers.Serializer):
    stars = serializers.IntegerField()
    comment = serializers.CharField()
    course = serializers.CharField(source="session.course.title")
    date = serializers.DateTimeField(source="session.starts_at")


class TeacherRatingsSerializer(serializers.Serializer):
    mean = serializers.FloatField(allow_null=True, help_text=_("Shown from the minimum number of ratings."))
    count = serializers.IntegerField()
    comments = TeacherCommentSerializer(many=True)


class TermHoursSerializer(serializers.Serializer):
    term = serializers.CharField()
    sessions = serializers.IntegerField()
    hours = serializers.FloatField()


class TeacherHoursSerializer(serializers.Serializer):
    sessions = serializers.IntegerField()
    hours = serializers.FloatField()
    by_term = TermHoursSerializer(many=True)


class CheckInRequestSerializer(serializers.Serializer):
    code = serializers.CharField(
        max_length=120, help_text=_("The code of the teacher's screen (or its link).")
    )


class CheckInSerializer(serializers.Serializer):
    session = serializers.IntegerField(source="session.pk")
    title = serializers.CharField(source="session.course.title")
    starts_at = serializers.DateTimeField(source="session.starts_at")
    walked_in = serializers.BooleanField(help_text=_("Registered at the door: the resident had no place."))
