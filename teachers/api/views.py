"""The teacher's API: my sessions, a roster (read and tick), the check-in code, proposed classes and my answer,
my free times, ratings and hours. A caller without the teacher role gets 403; another teacher's session or
proposal is a 404. And the resident's check-in with a code (POST /api/v1/me/check-in/)."""

from __future__ import annotations

import segno
from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from activities import services, teaching
from activities.api.serializers import RollCallRecordSerializer
from activities.checkin import attendance_check_in, checkin_code
from activities.dispatch.service import proposed_class_teacher_answer
from activities.models import ProposedClass, Session
from activities.selectors import session_roster
from community_college.exceptions import errors
from ratings.selectors import teacher_comments, teacher_rating
from teachers.models import Teacher
from teachers.selectors import teacher_for
from teachers.services import teacher_profile_update

from .serializers import (
    CheckInCodeSerializer,
    CheckInRequestSerializer,
    CheckInSerializer,
    TeacherAnswerSerializer,
    TeacherHoursSerializer,
    TeacherProfileSerializer,
    TeacherProposalSerializer,
    TeacherRatingsSerializer,
    TeacherRosterSerializer,
    TeacherSessionSerializer,
    WeekQuerySerializer,
)


class IsTeacher(IsAuthenticated):
    """The teacher role and a teacher of the pool linked to the account."""

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and teacher_for(request.user) is not None


class _TeacherView(GenericAPIView):
    permission_classes = [IsTeacher]
    queryset = Session.objects.none()  # for the schema; every read starts from the caller's teacher

    @property
    def teacher(self):
        return teacher_for(self.request.user)

    def own_session(self, pk) -> Session:
        try:
            return teaching.teacher_session(teacher=self.teacher, pk=int(pk))
        except (Session.DoesNotExist, ValueError, OverflowError):
            raise Http404 from None


@extend_schema(tags=["teacher"])
class TeacherSessionsView(_TeacherView):
    serializer_class = TeacherSessionSerializer

    @extend_schema(
        summary="My sessions of a week (this week by default)",
        parameters=[WeekQuerySerializer],
        responses={200: TeacherSessionSerializer(many=True), **errors(400, 404)},
    )
    def get(self, request):
        query = WeekQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        sessions = teaching.teacher_week(teacher=self.teacher, day=query.validated_data.get("week"))
        page = self.paginate_queryset(sessions)
        return self.get_paginated_response(TeacherSessionSerializer(page, many=True).data)


@extend_schema(tags=["teacher"])
class TeacherSessionView(_TeacherView):
    serializer_class = TeacherSessionSerializer

    @extend_schema(summary="One of my sessions", responses={200: TeacherSessionSerializer, **errors(404)})
    def get(self, request, pk):
        return Response(TeacherSessionSerializer(self.own_session(pk)).data)


@extend_schema(tags=["teacher"])
class TeacherRosterView(_TeacherView):
    serializer_class = TeacherRosterSerializer

    def _answer(self, session) -> Response:
        return Response(
            TeacherRosterSerializer(
                {
                    "session": session.pk,
                    "waiting_list": teaching.waiting_list_length(course_id=session.course_id),
                    "roster": session_roster(session=session),
                }
            ).data
        )

    @extend_schema(
        summary="The roster of one of my sessions", responses={200: TeacherRosterSerializer, **errors(404)}
    )
    def get(self, request, pk):
        return self._answer(self.own_session(pk))

    @extend_schema(
        summary="Tick names: present / absent / excused (and walk-ins), through the roll call",
        request=RollCallRecordSerializer,
        responses={200: TeacherRosterSerializer, **errors(400, 404, 409)},
    )
    def post(self, request, pk):
        data = request.data
        session = self.own_session(pk)
        incoming = RollCallRecordSerializer(data=data)
        incoming.is_valid(raise_exception=True)
        services.attendance_roll_call(
            session=session,
            marks={mark["resident"]: mark["status"] for mark in incoming.validated_data["marks"]},
            walk_ins=incoming.validated_data["walk_ins"],
            actor=request.user,
        )
        return self._answer(session)


@extend_schema(tags=["teacher"])
class TeacherCheckInCodeView(_TeacherView):
    serializer_class = CheckInCodeSerializer

    @extend_schema(
        summary="The session's current check-in code (changes every minute; only around the start)",
        responses={200: CheckInCodeSerializer, **errors(404, 409)},
    )
    def get(self, request, pk):
        made = checkin_code(session=self.own_session(pk))
        url = request.build_absolute_uri(reverse("teachers:checkin", args=[made.code]))
        svg = segno.make(url, error="m").svg_inline(scale=1, omitsize=True, border=2)
        return Response(
            CheckInCodeSerializer(
                {"code": made.code, "url": url, "svg": svg, "refresh_at": made.refresh_at}
            ).data,
            headers={"Cache-Control": "no-store"},
        )


@extend_schema(tags=["teacher"])
class TeacherProposalsView(_TeacherView):
    serializer_class = TeacherProposalSerializer
    queryset = ProposedClass.objects.none()

    @extend_schema(
        summary="Classes proposed to me",
        responses={200: TeacherProposalSerializer(many=True), **errors(400, 404)},
    )
    def get(self, request):
        page = self.paginate_queryset(teaching.teacher_proposals(teacher=self.teacher))
        return self.get_paginated_response(TeacherProposalSerializer(page, many=True).data)


@extend_schema(tags=["teacher"])
class TeacherProposalAnswerView(_TeacherView):
    serializer_class = TeacherProposalSerializer
    queryset = ProposedClass.objects.none()

    @extend_schema(
        summary="Accept a proposed class, or decline it with a reason",
        request=TeacherAnswerSerializer,
        responses={200: TeacherProposalSerializer, **errors(400, 404, 409)},
    )
    def post(self, request, pk):
        data = request.data
        try:
            proposed = teaching.teacher_proposals(teacher=self.teacher).get(pk=int(pk))
        except (ProposedClass.DoesNotExist, ValueError, OverflowError):
            raise Http404 from None
        incoming = TeacherAnswerSerializer(data=data)
        incoming.is_valid(raise_exception=True)
        proposed_class_teacher_answer(
            proposed=proposed,
            accept=incoming.validated_data["accept"],
            actor=request.user,
            note=incoming.validated_data["reason"],
        )
        proposed = teaching.teacher_proposals(teacher=self.teacher).get(pk=proposed.pk)
        return Response(TeacherProposalSerializer(proposed).data)


@extend_schema(tags=["teacher"])
class TeacherProfileView(_TeacherView):
    serializer_class = TeacherProfileSerializer
    queryset = Teacher.objects.none()  # for the schema

    def get_object(self):
        # The caller's own row: what OPTIONS (DRF's metadata for PUT) asks for, as there is no id in the URL.
        return self.teacher

    def _answer(self, teacher) -> Response:
        windows = teacher.availability.order_by("weekday", "start")
        return Response(
            TeacherProfileSerializer(
                {
                    "max_weekly_sessions": teacher.max_weekly_sessions,
                    "free_times": [{"weekday": w.weekday, "start": w.start, "end": w.end} for w in windows],
                }
            ).data
        )

    @extend_schema(
        summary="My free times and weekly maximum", responses={200: TeacherProfileSerializer, **errors()}
    )
    def get(self, request):
        return self._answer(self.teacher)

    @extend_schema(
        summary="Replace my free times and weekly maximum (what the matching service reads)",
        request=TeacherProfileSerializer,
        responses={200: TeacherProfileSerializer, **errors(400)},
    )
    def put(self, request):
        incoming = TeacherProfileSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        teacher = self.teacher
        teacher_profile_update(
            teacher=teacher,
            actor=request.user,
            windows=[
                (int(w["weekday"]), w["start"], w["end"]) for w in incoming.validated_data["free_times"]
            ],
            max_weekly_sessions=incoming.validated_data["max_weekly_sessions"],
        )
        teacher.refresh_from_db()
        return self._answer(teacher)


@extend_schema(tags=["teacher"])
class TeacherRatingsView(_TeacherView):
    serializer_class = TeacherRatingsSerializer

    @extend_schema(
        summary="My rating and the residents' comments past moderation (no names)",
        responses={200: TeacherRatingsSerializer, **errors()},
    )
    def get(self, request):
        teacher = self.teacher
        rating = teacher_rating(teacher_id=teacher.pk)
        return Response(
            TeacherRatingsSerializer(
                {
                    "mean": round(rating.mean, 2) if rating.shown else None,
                    "count": rating.count,
                    "comments": list(teacher_comments(teacher_id=teacher.pk)),
                }
            ).data
        )


@extend_schema(tags=["teacher"])
class TeacherHoursView(_TeacherView):
    serializer_class = TeacherHoursSerializer

    @extend_schema(
        summary="My volunteer hours: sessions taught (held), in all and per term",
        responses={200: TeacherHoursSerializer, **errors()},
    )
    def get(self, request):
        return Response(TeacherHoursSerializer(teaching.teacher_hours(teacher=self.teacher)).data)


@extend_schema(tags=["resident"])
class CheckInView(APIView):
    """A resident checks in with the code of the teacher's screen (the app's scanner)."""

    permission_classes = [IsAuthenticated]
    serializer_class = CheckInSerializer

    @extend_schema(
        summary="Check in to a meeting with its current code; a walk-in with a free place is registered",
        request=CheckInRequestSerializer,
        responses={201: CheckInSerializer, **errors(400, 409)},
    )
    def post(self, request):
        incoming = CheckInRequestSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        code = incoming.validated_data["code"].rstrip("/").rsplit("/", 1)[-1]
        result = attendance_check_in(code=code, resident=request.user)
        return Response(CheckInSerializer(result).data, status=status.HTTP_201_CREATED)
