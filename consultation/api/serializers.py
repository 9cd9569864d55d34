from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from accounts.models import Department, mask_phone

from ..enums import ReportReason, VoteChoice
from ..models import Comment, Decision, DecisionUpdate, Matter, MatterCategory, MatterEvent, Meeting


class ConsultationCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = MatterCategory
        fields = ("id", "parent", "name", "sort_order")


class ConsultationEventSerializer(serializers.ModelSerializer):
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = MatterEvent
        fields = ("kind", "kind_display", "at", "note")


class ConsultationCommentSerializer(serializers.ModelSerializer):
    removed = serializers.SerializerMethodField(help_text=_("Why the text is gone (\"\" while the comment stands)."))

    class Meta:
        model = Comment
        fields = ("id", "body", "removed", "created")

    def get_removed(self, comment) -> str:
        return comment.removed_note


class ConsultationUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = DecisionUpdate
        fields = ("at", "progress", "text")


class ConsultationDecisionSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner_label", read_only=True)
    updates = ConsultationUpdateSerializer(many=True, read_only=True)

    class Meta:
        model = Decision
        fields = ("id", "meeting", "matter", "text", "owner_kind", "owner", "due_date", "needs_vote", "status", "progress", "done_at", "overdue_at", "updates")


class ConsultationMatterSerializer(serializers.ModelSerializer):
    """What residents of the community read: public text; the raiser's name only if they chose so."""

    category_name = serializers.CharField(source="category.__str__", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    raised_by_name = serializers.SerializerMethodField()
    i_support = serializers.BooleanField(read_only=True, default=False)

    class Meta:
        model = Matter
        fields = (
            "id", "community", "category", "category_name", "title", "description", "latitude", "longitude",
            "raised_by_name", "status", "status_display", "outcome", "answer", "support_count", "comment_count",
            "raised_at", "answered_at", "decided_at", "done_at", "closed_at", "merged_into", "i_support",
        )

    def get_raised_by_name(self, obj) -> str:
        return obj.raised_by.name if obj.show_name else ""


class ConsultationMatterDetailSerializer(ConsultationMatterSerializer):
    events = ConsultationEventSerializer(many=True, read_only=True)
    decisions = ConsultationDecisionSerializer(many=True, read_only=True)

    class Meta(ConsultationMatterSerializer.Meta):
        fields = (*ConsultationMatterSerializer.Meta.fields, "events", "decisions")


class ConsultationStaffMatterSerializer(ConsultationMatterDetailSerializer):
    """Staff and liaisons: the name always, the phone masked, the deadline and level."""

    raised_by_phone = serializers.SerializerMethodField()
    channel = serializers.CharField(read_only=True, help_text="web, phone or desk: who typed it in.")

    class Meta(ConsultationMatterDetailSerializer.Meta):
        fields = (*ConsultationMatterDetailSerializer.Meta.fields, "raised_by_phone", "channel", "level", "due_at", "department", "answered_on_time")

    def get_raised_by_name(self, obj) -> str:
        return obj.raised_by.name

    def get_raised_by_phone(self, obj) -> str:
        return mask_phone(obj.raised_by.phone)


class ConsultationRaiseSerializer(serializers.Serializer):
    category = serializers.PrimaryKeyRelatedField(queryset=MatterCategory.objects.filter(is_active=True))
    title = serializers.CharField(max_length=80)
    description = serializers.CharField(max_length=2000)
    show_name = serializers.BooleanField(default=False)
    latitude = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    longitude = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)


class ConsultationTextSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=2000)


class ConsultationCommentCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=1000)


class ConsultationReportSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=ReportReason.choices)


class ConsultationConfirmSerializer(serializers.Serializer):
    is_done = serializers.BooleanField()
    satisfaction = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class ConsultationReferSerializer(serializers.Serializer):
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all())
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ConsultationMergeSerializer(serializers.Serializer):
    into = serializers.IntegerField(min_value=1, help_text=_("The number of the matter to merge into."))
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ConsultationMeetingSerializer(serializers.ModelSerializer):
    venue_name = serializers.CharField(source="venue.name", read_only=True)
    agenda = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = ("id", "community", "title", "venue", "venue_name", "session", "starts_at", "ends_at", "status", "agenda", "agenda_published_at", "minutes", "matters")

    def get_agenda(self, obj) -> str:
        return obj.agenda if obj.agenda_published_at else ""


class ConsultationRespondSerializer(serializers.Serializer):
    attend = serializers.BooleanField()


class ConsultationVoteSerializer(serializers.Serializer):
    choice = serializers.ChoiceField(choices=VoteChoice.choices)


class ConsultationProgressSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=2000)
    progress = serializers.IntegerField(min_value=0, max_value=99)


class ConsultationDoneSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


