"""/api/v1/recognition/… (榜样评选 for everyone: rounds, candidates, nominations, votes, objections, the wall,
a winner's answers) and /api/v1/staff/recognition/… (running a round, its workbook).

Thin: selectors read, `ratings.recognition.services` write; their refusals become the API's error shape
(409 for a conflict, 403 outside the round's level). Totals of votes appear only when the selectors allow.
"""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response

from accounts.api.permissions import IsStaffInScope
from activities.models import Course, PriorityPass
from community_college.exceptions import errors
from dashboards.api.views import XLSX_RESPONSE, XlsxView, _json_errors
from funds.xlsx import workbook
from ratings.enums import RoundStatus
from ratings.models import Candidate, Nomination, Objection, RecognitionCategory, RecognitionRound, Vote
from ratings.recognition import figures, selectors, services

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ID = {"min_value": 1, "max_value": 2**31 - 1}

# --- Serializers ---------------------------------------------------------------------------------------------


class RecognitionCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = RecognitionCategory
        fields = ["id", "name", "kind", "rules", "winners"]


class RecognitionRoundSerializer(serializers.ModelSerializer):
    categories = RecognitionCategorySerializer(many=True, read_only=True)
    area = serializers.SerializerMethodField()
    term = serializers.CharField(source="term.name")

    class Meta:
        model = RecognitionRound
        fields = [
            "id",
            "title",
            "term",
            "area",
            "district",
            "street",
            "status",
            "notice_starts_at",
            "notice_ends_at",
            "closed_at",
            "gives_certificate",
            "gives_badge",
            "priority_days",
            "gives_showcase_invitation",
            "categories",
        ]

    def get_area(self, obj) -> str:
        return str(obj.area)


class RecognitionCandidateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    category = serializers.IntegerField()
    kind = serializers.CharField()
    name = serializers.CharField()
    community = serializers.CharField()
    source = serializers.CharField()
    figures = serializers.DictField(
        child=serializers.FloatField(allow_null=True), help_text="Computed from the data, never typed in."
    )
    votes = serializers.IntegerField(allow_null=True, help_text="Hidden (null) until voting is over.")
    decision = serializers.CharField()
    decision_reason = serializers.CharField(help_text="Shown once the round is closed.")


def _candidate_data(line: selectors.CandidateLine, closed: bool) -> dict:
    c = line.candidate
    return {
        "id": c.pk,
        "category": c.category_id,
        "kind": c.category.kind,
        "name": c.name,
        "community": c.community.name,
        "source": c.source,
        "figures": line.figures,
        "votes": line.votes,
        "decision": c.decision if closed else "pending",
        "decision_reason": c.decision_reason if closed else "",
    }


class RecognitionCandidatesSerializer(serializers.Serializer):
    candidates = RecognitionCandidateSerializer(many=True)
    my_votes = serializers.DictField(
        child=serializers.IntegerField(), help_text="Category id → my candidate."
    )
    figures = serializers.DictField(child=serializers.CharField(), help_text="Figure key → its label.")


class NominationCreateSerializer(serializers.Serializer):
    category = serializers.IntegerField(**ID)
    subject = serializers.IntegerField(
        **ID, help_text="The teacher's, group's or person's id (the category's kind)."
    )
    reason = serializers.CharField(max_length=500)


class NominationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Nomination
        fields = ["id", "candidate", "reason", "by_staff", "created"]


class RecognitionVoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Vote
        fields = ["id", "round", "category", "candidate", "created"]


class ObjectionReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class ObjectionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Objection
        fields = ["id", "candidate", "reason", "created", "answer", "answered_at"]


class StoryAnswerSerializer(serializers.Serializer):
    approve = serializers.BooleanField()


class PriorityClaimSerializer(serializers.Serializer):
    course = serializers.IntegerField(**ID)


class PriorityPassSerializer(serializers.ModelSerializer):
    class Meta:
        model = PriorityPass
        fields = ["id", "course", "days_early", "reason", "created"]


class RecognitionWallSerializer(serializers.ModelSerializer):
    name = serializers.CharField()
    category = serializers.CharField(source="category.name")
    round = serializers.CharField(source="round.title")
    community = serializers.CharField(source="community.name")

    class Meta:
        model = Candidate
        fields = ["id", "name", "category", "round", "community", "story", "decision_reason"]


class CategoryOpenSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60)
    kind = serializers.ChoiceField(choices=["teacher", "group", "volunteer", "resident"])
    rules = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    winners = serializers.IntegerField(min_value=1, max_value=100, default=3)


class RoundOpenSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=100)
    term = serializers.IntegerField(**ID)
    district = serializers.IntegerField(**ID, required=False)
    street = serializers.IntegerField(**ID, required=False)
    categories = CategoryOpenSerializer(many=True, min_length=1, max_length=20)
    gives_certificate = serializers.BooleanField(default=True)
    gives_badge = serializers.BooleanField(default=True)
    priority_days = serializers.IntegerField(min_value=0, max_value=60, default=0)
    gives_showcase_invitation = serializers.BooleanField(default=False)

    def validate(self, data):
        if ("district" in data) == ("street" in data):
            raise serializers.ValidationError(_("Give the district or the street, one of them."))
        return data


class NoBodySerializer(serializers.Serializer):
    """No request body (an OPTIONS request describes it as empty)."""


class CandidateDecideSerializer(serializers.Serializer):
    won = serializers.BooleanField()
    reason = serializers.CharField(max_length=1000)


class ObjectionAnswerSerializer(serializers.Serializer):
    answer = serializers.CharField(max_length=1000)


class WinnerStorySerializer(serializers.Serializer):
    story = serializers.CharField(max_length=4000)


class CandidatesFromDataSerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=50, default=10)


# --- Everyone ------------------------------------------------------------------------------------------------


def _round(pk: int) -> RecognitionRound:
    return get_object_or_404(selectors.rounds().prefetch_related("categories"), pk=pk)


def _candidate(pk: int) -> Candidate:
    return get_object_or_404(
        Candidate.objects.select_related("round", "category", "teacher__user", "person"), pk=pk
    )


@extend_schema(tags=["recognition"])
class RoundListView(GenericAPIView):
    permission_classes = [AllowAny]
    serializer_class = RecognitionRoundSerializer
    queryset = RecognitionRound.objects.none()

    @extend_schema(
        summary="Recognition rounds (榜样评选), newest first",
        responses={200: RecognitionRoundSerializer(many=True), **errors(404)},
    )
    def get(self, request):
        page = self.paginate_queryset(selectors.rounds().prefetch_related("categories"))
        return self.get_paginated_response(RecognitionRoundSerializer(page, many=True).data)


@extend_schema(tags=["recognition"])
class RoundDetailView(GenericAPIView):
    permission_classes = [AllowAny]
    serializer_class = RecognitionRoundSerializer

    @extend_schema(summary="One round and its categories", responses={200: RecognitionRoundSerializer, **errors(404)})
    def get(self, request, pk: int):
        return Response(RecognitionRoundSerializer(_round(pk)).data)


@extend_schema(tags=["recognition"])
class CandidatesView(GenericAPIView):
    permission_classes = [AllowAny]
    serializer_class = RecognitionCandidatesSerializer

    @extend_schema(
        summary="A round's candidates with their figures (votes only once voting is over)",
        responses={200: RecognitionCandidatesSerializer, **errors(404)},
    )
    def get(self, request, pk: int):
        return _candidates_response(request, _round(pk))


def _candidates_response(request, round: RecognitionRound) -> Response:
    viewer = request.user if request.user.is_authenticated else None
    lines = selectors.candidate_lines(round=round, viewer=viewer)
    closed = round.status == RoundStatus.CLOSED
    return Response(
        {
            "candidates": [_candidate_data(line, closed) for line in lines],
            "my_votes": {str(k): v for k, v in selectors.my_votes(round=round, user=request.user).items()},
            "figures": {p.key: str(p.label) for p in figures.PROVIDERS},
        }
    )


@extend_schema(tags=["recognition"])
class NominationCreateView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = NominationCreateSerializer

    @extend_schema(
        summary="Nominate a teacher, group or person of the round's area, with a reason (500 characters)",
        request=NominationCreateSerializer,
        responses={201: NominationSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        round = _round(pk)
        body = NominationCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        category = get_object_or_404(
            RecognitionCategory.objects.select_related("round"),
            pk=body.validated_data["category"],
            round=round,
        )
        nomination = services.nomination_create(
            category=category,
            nominator=request.user,
            subject_id=body.validated_data["subject"],
            reason=body.validated_data["reason"],
        )
        return Response(NominationSerializer(nomination).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["recognition"])
class VoteView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = NoBodySerializer

    @extend_schema(
        summary="Vote for a candidate (residents of the round's area, once per category)",
        request=None,
        responses={201: RecognitionVoteSerializer, **errors(404, 409)},
    )
    def post(self, request, pk: int):
        vote = services.vote_cast(candidate=_candidate(pk), voter=request.user)
        return Response(RecognitionVoteSerializer(vote).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["recognition"])
class ObjectionView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ObjectionReasonSerializer

    @extend_schema(
        summary="Object to a candidate during the public notice, with a reason",
        request=ObjectionReasonSerializer,
        responses={201: ObjectionSerializer, **errors(400, 404, 409)},
    )
    def post(self, request, pk: int):
        body = ObjectionReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        objection = services.objection_raise(
            candidate=_candidate(pk), resident=request.user, reason=body.validated_data["reason"]
        )
        return Response(ObjectionSerializer(objection).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["recognition"])
class StoryAnswerView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = StoryAnswerSerializer

    @extend_schema(
        summary="As the recognised person: approve or decline the publication of my story",
        request=StoryAnswerSerializer,
        responses={200: RecognitionWallSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        body = StoryAnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        done = services.story_answer(
            candidate=_candidate(pk), person=request.user, approve=body.validated_data["approve"]
        )
        return Response(RecognitionWallSerializer(_candidate(done.pk)).data)


@extend_schema(tags=["recognition"])
class PriorityClaimView(GenericAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = PriorityClaimSerializer

    @extend_schema(
        summary="As a winner: choose a class to register for before registration opens to everyone",
        request=PriorityClaimSerializer,
        responses={201: PriorityPassSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        body = PriorityClaimSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        course = get_object_or_404(
            Course.objects.select_related("community"), pk=body.validated_data["course"]
        )
        granted = services.priority_pass_claim(candidate=_candidate(pk), holder=request.user, course=course)
        return Response(PriorityPassSerializer(granted).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["recognition"])
class WallView(GenericAPIView):
    permission_classes = [AllowAny]
    serializer_class = RecognitionWallSerializer
    queryset = Candidate.objects.none()

    @extend_schema(
        summary="The 榜样 wall: published winners", responses={200: RecognitionWallSerializer(many=True), **errors(404)}
    )
    def get(self, request):
        page = self.paginate_queryset(selectors.wall())
        return self.get_paginated_response(RecognitionWallSerializer(page, many=True).data)


# --- Staff running a round ----------------------------------------------------------------------------------


@extend_schema(tags=["staff"])
class StaffRoundOpenView(GenericAPIView):
    permission_classes = [IsStaffInScope]
    serializer_class = RoundOpenSerializer

    @extend_schema(
        summary="Open a round for my district or street, with its categories and honours",
        request=RoundOpenSerializer,
        responses={201: RecognitionRoundSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request):
        from accounts.models import District, Street
        from activities.models import Term

        body = RoundOpenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data["term"] = get_object_or_404(Term, pk=data["term"])
        if "district" in data:
            data["district"] = get_object_or_404(District, pk=data["district"])
        else:
            data["street"] = get_object_or_404(Street, pk=data["street"])
        data["categories"] = [dict(c) for c in data["categories"]]
        round = services.round_open(actor=request.user, **data)
        return Response(RecognitionRoundSerializer(_round(round.pk)).data, status=status.HTTP_201_CREATED)


class _StaffRoundAction(GenericAPIView):
    permission_classes = [IsStaffInScope]
    serializer_class = NoBodySerializer


@extend_schema(tags=["staff"])
class StaffFromDataView(_StaffRoundAction):
    serializer_class = CandidatesFromDataSerializer

    @extend_schema(
        summary="Make the best subjects by the figures candidates of a category (while nominations are open)",
        request=CandidatesFromDataSerializer,
        responses={200: RecognitionCandidatesSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        category = get_object_or_404(RecognitionCategory.objects.select_related("round"), pk=pk)
        body = CandidatesFromDataSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.candidates_from_data(
            category=category, actor=request.user, limit=body.validated_data["limit"]
        )
        return _candidates_response(request, _round(category.round_id))


@extend_schema(tags=["staff"])
class StaffStartNoticeView(_StaffRoundAction):
    @extend_schema(
        summary="Close nominations and start the public notice (公示)",
        request=None,
        responses={200: RecognitionRoundSerializer, **errors(403, 404, 409)},
    )
    def post(self, request, pk: int):
        services.round_start_notice(round=_round(pk), actor=request.user)
        return Response(RecognitionRoundSerializer(_round(pk)).data)


@extend_schema(tags=["staff"])
class StaffDecideView(_StaffRoundAction):
    serializer_class = CandidateDecideSerializer

    @extend_schema(
        summary="Decide a candidate once voting is over, with the reason",
        request=CandidateDecideSerializer,
        responses={200: RecognitionCandidateSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        body = CandidateDecideSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        done = services.candidate_decide(candidate=_candidate(pk), actor=request.user, **body.validated_data)
        line = next(
            line
            for line in selectors.candidate_lines(round=done.round, viewer=request.user)
            if line.candidate.pk == done.pk
        )
        return Response(_candidate_data(line, closed=True))


@extend_schema(tags=["staff"])
class StaffObjectionsView(_StaffRoundAction):
    serializer_class = ObjectionSerializer
    queryset = Objection.objects.none()

    @extend_schema(
        summary="A round's objections (the round's staff)",
        responses={200: ObjectionSerializer(many=True), **errors(403, 404)},
    )
    def get(self, request, pk: int):
        round = _round(pk)
        if not services.may_manage(request.user, round):
            raise PermissionDenied(_("Only the staff who opened this round's area may run it."))
        page = self.paginate_queryset(selectors.objections(round=round))
        return self.get_paginated_response(ObjectionSerializer(page, many=True).data)


@extend_schema(tags=["staff"])
class StaffAnswerView(_StaffRoundAction):
    serializer_class = ObjectionAnswerSerializer

    @extend_schema(
        summary="Answer an objection",
        request=ObjectionAnswerSerializer,
        responses={200: ObjectionSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        body = ObjectionAnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        objection = get_object_or_404(Objection, pk=pk)
        done = services.objection_answer(
            objection=objection, actor=request.user, answer=body.validated_data["answer"]
        )
        return Response(ObjectionSerializer(done).data)


@extend_schema(tags=["staff"])
class StaffStoryView(_StaffRoundAction):
    serializer_class = WinnerStorySerializer

    @extend_schema(
        summary="Write a winner's story (it waits for their approval)",
        request=WinnerStorySerializer,
        responses={200: RecognitionWallSerializer, **errors(400, 403, 404, 409)},
    )
    def post(self, request, pk: int):
        body = WinnerStorySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        done = services.story_write(
            candidate=_candidate(pk), actor=request.user, story=body.validated_data["story"]
        )
        return Response(RecognitionWallSerializer(_candidate(done.pk)).data)


@extend_schema(tags=["staff"])
class StaffCloseView(_StaffRoundAction):
    @extend_schema(
        summary="Close the round (every objection answered): winners and nominators are told",
        request=None,
        responses={200: RecognitionRoundSerializer, **errors(403, 404, 409)},
    )
    def post(self, request, pk: int):
        services.round_close(round=_round(pk), actor=request.user)
        return Response(RecognitionRoundSerializer(_round(pk)).data)


@extend_schema(tags=["staff"])
class StaffCandidatesXlsxView(XlsxView):
    @extend_schema(
        operation_id="staff_recognition_candidates_xlsx",
        summary="A round's candidates, figures, nominations and (once voting is over) votes as an .xlsx workbook",
        responses={**XLSX_RESPONSE, **_json_errors(403, 404)},
    )
    def get(self, request, pk: int):
        round = _round(pk)
        if not services.may_manage(request.user, round):
            raise PermissionDenied(_("Only the staff who opened this round's area may run it."))
        return HttpResponse(
            candidates_workbook(round=round, viewer=request.user),
            content_type=XLSX,
            headers={
                "Content-Disposition": f'attachment; filename="recognition-{round.pk}-{timezone.localdate().isoformat()}.xlsx"'
            },
        )


def candidates_workbook(*, round: RecognitionRound, viewer) -> bytes:
    """One sheet of candidates (figures beside each) and one of objections; text cells formula-safe."""
    lines = selectors.candidate_lines(round=round, viewer=viewer)
    keys = [p.key for p in figures.PROVIDERS]
    nominations = dict(
        Nomination.objects.filter(candidate__round=round)
        .values("candidate_id")
        .order_by()
        .annotate(n=Count("id"))
        .values_list("candidate_id", "n")
    )
    header = [
        _("category"),
        _("candidate"),
        _("community"),
        _("source"),
        *[str(p.label) for p in figures.PROVIDERS],
        _("nominations"),
        _("votes"),
        _("decision"),
        _("reason for the decision"),
    ]
    rows = [
        [
            line.candidate.category.name,
            line.candidate.name,
            line.candidate.community.name,
            line.candidate.get_source_display(),
            *[line.figures.get(k, "") if line.figures.get(k) is not None else "" for k in keys],
            nominations.get(line.candidate.pk, 0),
            "" if line.votes is None else line.votes,
            line.candidate.get_decision_display(),
            line.candidate.decision_reason,
        ]
        for line in lines
    ]
    objection_rows = [
        [o.candidate.name, o.reason, o.created, o.answer, o.answered_at or ""]
        for o in selectors.objections(round=round)
    ]
    return workbook(
        [
            (str(_("candidates")), [str(h) for h in header], rows),
            (
                str(_("objections")),
                [
                    str(_("candidate")),
                    str(_("reason")),
                    str(_("created")),
                    str(_("answer")),
                    str(_("answered at")),
                ],
                objection_rows,
            ),
        ]
    )
