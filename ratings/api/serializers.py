from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from activities.models import Session
from ratings.models import SessionRating
from ratings.selectors import attended_sessions


class RatingSerializer(serializers.ModelSerializer):
    course_title = serializers.CharField(source="session.course.title", read_only=True)
    session_starts_at = serializers.DateTimeField(source="session.starts_at", read_only=True)

    class Meta:
        model = SessionRating
        fields = [
            "id",
            "session",
            "course_title",
            "session_starts_at",
            "stars",
            "comment",
            "created",
            "updated",
        ]
        read_only_fields = fields


class FeedbackSerializer(serializers.Serializer):
    """返单: stars and a comment for a session I attended; sending it again within seven days edits it."""

    session = serializers.PrimaryKeyRelatedField(queryset=Session.objects.none())
    stars = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Only sessions I attended: any other id "does not exist", whoever's it is.
            self.fields["session"].queryset = attended_sessions(user=request.user).select_related("course")
        self.fields["session"].help_text = _("A session I attended.")
