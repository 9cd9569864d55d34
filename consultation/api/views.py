"""/api/v1/consultation/…: residents (their community's matters), staff (the matters of their scope),
liaisons (matters referred to their department), meetings and decisions. Querysets are scoped first, so an
object outside the caller's reach is a 404; services refuse the rest (403 / 409 / 400 in the API's shape)."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.api.permissions import IsStaffInScope
from community_college.exceptions import errors

from .. import selectors, services
from ..models import Comment, Decision, DecisionUpdate, Matter, MatterCategory, MatterEvent, Meeting
from . import serializers as s


def _detail_queryset(queryset):
    return queryset.select_related("category__parent", "raised_by").prefetch_related(
        Prefetch("events", queryset=MatterEvent.objects.order_by("at", "id")),
        Prefetch("decisions", queryset=Decision.objects.select_related("owner_user", "owner_department").prefetch_related(
            Prefetch("updates", queryset=DecisionUpdate.objects.order_by("at", "id"))
        )),
    )


def _act(request, serializer_class, service, rename=(), **known):
    """The shape every action shares: validate the body (400 in the API's shape), then call the service
    with the object and the validated fields (`rename` maps a field to the service's keyword). Services
    refuse the rest (403 / 409)."""
    data = {}
    if serializer_class is not None:
        incoming = serializer_class(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
    for field, keyword in rename:
        data[keyword] = data.pop(field)
    return service(**known, **data)


def _no_content(*args, **kwargs) -> Response:
    """`_act`, answered 204."""
    _act(*args, **kwargs)
    return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["consultation"])
@extend_schema_view(
    list=extend_schema(summary="The matter categories (flat, with parent ids)", responses={200: s.ConsultationCategorySerializer(many=True), **errors(404)}),
)
class CategoryViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ConsultationCategorySerializer
    pagination_class = None

    def get_queryset(self):
        return MatterCategory.objects.filter(is_active=True).order_by("sort_order", "name", "id")


@extend_schema(tags=["consultation"])
@extend_schema_view(
    list=extend_schema(summary="My community's matters, newest first", responses={200: s.ConsultationMatterSerializer(many=True), **errors(404)}),
    retrieve=extend_schema(summary="One matter with its timeline and decisions", responses={200: s.ConsultationMatterDetailSerializer, **errors(404)}),
)
class MatterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ConsultationMatterSerializer
    queryset = Matter.objects.none()

    def get_queryset(self):
        queryset = selectors.matters_for_resident(self.request.user)
        if self.action == "retrieve":
            return _detail_queryset(queryset)
        return selectors.matter_list(queryset, user=self.request.user)

    def get_serializer_class(self):
        return s.ConsultationMatterDetailSerializer if self.action == "retrieve" else s.ConsultationMatterSerializer

    def _fresh(self, matter, code=status.HTTP_200_OK):
        fresh = _detail_queryset(Matter.objects.all()).get(pk=matter.pk)
        return Response(s.ConsultationMatterDetailSerializer(fresh).data, status=code)

    @extend_schema(summary="Raise a matter (说事) in my home community", request=s.ConsultationRaiseSerializer, responses={201: s.ConsultationMatterDetailSerializer, **errors(400, 409)})
    def create(self, request):
        matter = _act(request, s.ConsultationRaiseSerializer, services.matter_raise, resident=request.user)
        return self._fresh(matter, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Matters of my community like this title (Chinese or pinyin), to support instead of repeating",
        parameters=[OpenApiParameter("title", str, required=True)],
        responses={200: s.ConsultationMatterSerializer(many=True), **errors()},
    )
    @action(detail=False, pagination_class=None)
    def similar(self, request):
        community_id = selectors.home_community_id(request.user)
        found = selectors.similar_matters(community_id=community_id, title=request.query_params.get("title", "")[:80]) if community_id else []
        return Response(s.ConsultationMatterSerializer(found, many=True).data)

    @extend_schema(summary="Support (POST) or withdraw my support (DELETE)", request=None, responses={200: s.ConsultationMatterDetailSerializer, **errors(404, 409)})
    @action(detail=True, methods=["post", "delete"])
    def support(self, request, pk=None):
        matter = self.get_object()
        if request.method == "DELETE":
            services.matter_unsupport(matter=matter, user=request.user)
        else:
            services.matter_support(matter=matter, user=request.user)
        return self._fresh(matter)

    @extend_schema(summary="The visible comments (GET) or add one (POST)", request=s.ConsultationCommentCreateSerializer, responses={200: s.ConsultationCommentSerializer(many=True), 201: s.ConsultationCommentSerializer, **errors(400, 404, 409)})
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def comments(self, request, pk=None):
        matter = self.get_object()
        if request.method == "GET":
            rows = Comment.objects.filter(matter=matter, status="visible").order_by("created", "id")
            return Response(s.ConsultationCommentSerializer(rows, many=True).data)
        incoming = s.ConsultationCommentCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        comment = services.comment_add(matter=matter, author=request.user, body=incoming.validated_data["body"])
        return Response(s.ConsultationCommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Is it really done? (residents who raised or support it)", request=s.ConsultationConfirmSerializer, responses={200: s.ConsultationMatterDetailSerializer, **errors(400, 404, 409)})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        matter = self.get_object()
        _act(request, s.ConsultationConfirmSerializer, services.matter_confirm, matter=matter, resident=request.user)
        return self._fresh(matter)


@extend_schema(tags=["consultation"])
class CommentViewSet(viewsets.GenericViewSet):
    serializer_class = s.ConsultationCommentSerializer
    queryset = Comment.objects.none()

    def get_queryset(self):
        return Comment.objects.filter(matter__in=selectors.matters_for_resident(self.request.user)).select_related("matter")

    @extend_schema(summary="Report a comment (once each; enough reports hide it for review)", request=s.ConsultationReportSerializer, responses={204: None, **errors(400, 404, 409)})
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None):
        return _no_content(
            request, s.ConsultationReportSerializer, services.comment_report, comment=self.get_object(), reporter=request.user
        )


@extend_schema(tags=["consultation-staff"])
@extend_schema_view(
    list=extend_schema(summary="The matters of my scope, by answer deadline", responses={200: s.ConsultationStaffMatterSerializer(many=True), **errors(404)}),
    retrieve=extend_schema(summary="One matter of my scope", responses={200: s.ConsultationStaffMatterSerializer, **errors(404)}),
)
class StaffMatterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ConsultationStaffMatterSerializer
    queryset = Matter.objects.none()
    permission_classes = [IsStaffInScope]

    def get_queryset(self):
        return _detail_queryset(selectors.matters_for_staff(self.request.user)).order_by("due_at", "id")

    def _answer(self, matter):
        return Response(s.ConsultationStaffMatterSerializer(self.get_queryset().get(pk=matter.pk)).data)

    @extend_schema(summary="Answer and close", request=s.ConsultationTextSerializer, responses={200: s.ConsultationStaffMatterSerializer, **errors(400, 404, 409)})
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        matter = self.get_object()
        _act(request, s.ConsultationTextSerializer, services.matter_answer, [("text", "answer")], matter=matter, actor=request.user)
        return self._answer(matter)

    @extend_schema(summary="Refer to a department", request=s.ConsultationReferSerializer, responses={200: s.ConsultationStaffMatterSerializer, **errors(400, 404, 409)})
    @action(detail=True, methods=["post"])
    def refer(self, request, pk=None):
        matter = self.get_object()
        _act(request, s.ConsultationReferSerializer, services.matter_refer, matter=matter, actor=request.user)
        return self._answer(matter)

    @extend_schema(summary="Merge into another open matter of the community", request=s.ConsultationMergeSerializer, responses={200: s.ConsultationStaffMatterSerializer, **errors(400, 404, 409)})
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        matter = self.get_object()
        incoming = s.ConsultationMergeSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        into = self.get_queryset().filter(pk=incoming.validated_data["into"]).first()
        if into is None:
            from django.core.exceptions import ValidationError
            from django.utils.translation import gettext as _

            raise ValidationError({"into": [_("Give the number of an open matter of your scope.")]})
        services.matter_merge(matter=matter, into=into, actor=request.user, note=incoming.validated_data["note"])
        return self._answer(matter)

    @extend_schema(summary="Take to deliberation (议事会)", request=None, responses={200: s.ConsultationStaffMatterSerializer, **errors(404, 409)})
    @action(detail=True, methods=["post"])
    def deliberate(self, request, pk=None):
        matter = self.get_object()
        _act(request, None, services.matter_to_deliberation, matter=matter, actor=request.user)
        return self._answer(matter)


@extend_schema(tags=["consultation-staff"])
@extend_schema_view(
    list=extend_schema(summary="Matters referred to my department", responses={200: s.ConsultationStaffMatterSerializer(many=True), **errors(404)}),
    retrieve=extend_schema(summary="One matter referred to my department", responses={200: s.ConsultationStaffMatterSerializer, **errors(404)}),
)
class LiaisonMatterViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ConsultationStaffMatterSerializer
    queryset = Matter.objects.none()

    def get_queryset(self):
        return _detail_queryset(selectors.matters_for_liaison(self.request.user)).order_by("due_at", "id")

    @extend_schema(summary="Answer for my department, which closes it", request=s.ConsultationTextSerializer, responses={200: s.ConsultationStaffMatterSerializer, **errors(400, 404, 409)})
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        matter = self.get_object()
        _act(
            request, s.ConsultationTextSerializer, services.matter_department_answer, [("text", "answer")],
            matter=matter, actor=request.user,
        )
        return Response(s.ConsultationStaffMatterSerializer(self.get_queryset().get(pk=matter.pk)).data)


@extend_schema(tags=["consultation"])
@extend_schema_view(
    list=extend_schema(summary="Meetings I am invited to, of my community (agenda published) or of my scope", responses={200: s.ConsultationMeetingSerializer(many=True), **errors(404)}),
    retrieve=extend_schema(summary="One meeting", responses={200: s.ConsultationMeetingSerializer, **errors(404)}),
)
class MeetingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ConsultationMeetingSerializer
    queryset = Meeting.objects.none()

    def get_queryset(self):
        return selectors.meetings_for_user(self.request.user).select_related("venue").prefetch_related("matters").order_by("-starts_at", "-id")

    @extend_schema(summary="Confirm or decline my invitation", request=s.ConsultationRespondSerializer, responses={204: None, **errors(400, 404, 409)})
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        return _no_content(
            request, s.ConsultationRespondSerializer, services.meeting_respond, meeting=self.get_object(), user=request.user
        )


@extend_schema(tags=["consultation"])
@extend_schema_view(
    list=extend_schema(summary="Decisions I own or report on (mine, my department's, my scope's)", responses={200: s.ConsultationDecisionSerializer(many=True), **errors(404)}),
    retrieve=extend_schema(summary="One decision", responses={200: s.ConsultationDecisionSerializer, **errors(404)}),
)
class DecisionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ConsultationDecisionSerializer
    queryset = Decision.objects.none()
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        if self.action == "vote":
            return Decision.objects.filter(meeting__in=selectors.meetings_for_user(self.request.user)).select_related("meeting")
        return (
            selectors.decisions_for_owner(self.request.user)
            .select_related("matter", "owner_user", "owner_department")
            .prefetch_related("updates")
            .order_by("due_date", "id")
        )

    def _answer(self, decision):
        fresh = Decision.objects.select_related("owner_user", "owner_department").prefetch_related("updates").get(pk=decision.pk)
        return Response(s.ConsultationDecisionSerializer(fresh).data)

    @extend_schema(summary="Report progress", request=s.ConsultationProgressSerializer, responses={200: s.ConsultationDecisionSerializer, **errors(400, 404, 409)})
    @action(detail=True, methods=["post"])
    def progress(self, request, pk=None):
        decision = self.get_object()
        _act(request, s.ConsultationProgressSerializer, services.decision_progress, decision=decision, actor=request.user)
        return self._answer(decision)

    @extend_schema(summary="Mark done: residents are asked to confirm", request=s.ConsultationDoneSerializer, responses={200: s.ConsultationDecisionSerializer, **errors(400, 404, 409)})
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        decision = self.get_object()
        _act(request, s.ConsultationDoneSerializer, services.decision_mark_done, decision=decision, actor=request.user)
        return self._answer(decision)

    @extend_schema(summary="Vote (residents checked in at the meeting, once each)", request=s.ConsultationVoteSerializer, responses={204: None, **errors(400, 404, 409)})
    @action(detail=True, methods=["post"])
    def vote(self, request, pk=None):
        return _no_content(
            request, s.ConsultationVoteSerializer, services.vote_cast, decision=self.get_object(), voter=request.user
        )
