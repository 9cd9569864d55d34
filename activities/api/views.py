"""Residents: classes near me, register / cancel / my place on the waiting list, my sessions and calendar link.
Staff: venues' occupancy for a week, the teacher pool, matching runs and their proposed classes.
"""

import functools

from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView, get_object_or_404
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from accounts.api.permissions import IsStaffInScope, IsStaffWhoChanges
from accounts.selectors import scope_for
from activities import occupancy, selectors, services
from activities.dispatch import selectors as dispatch_selectors
from activities.dispatch import service as dispatch_service
from activities.dispatch.enums import MatchSolver
from activities.enums import CourseStatus
from activities.models import Course, Registration, Session
from activities.resident_selectors import (
    registration_waiting_position,
    resident_registrations,
)
from community_college.exceptions import errors
from interests.selectors import profile_for
from ratings.selectors import liked_interests
from teachers.models import Teacher
from venues.models import Venue

from .filters import MatchRunFilter, ProposedClassFilter, RegistrationFilter, TeacherFilter
from .serializers import (
    CalendarLinkSerializer,
    CourseSerializer,
    MatchRunDiscardedSerializer,
    MatchRunSerializer,
    MatchRunStartSerializer,
    NearbyCourseSerializer,
    NearbyFilterSerializer,
    OccupancyQuerySerializer,
    ProposalAnswerSerializer,
    ProposalNoteSerializer,
    ProposedClassSerializer,
    RegistrationSerializer,
    RollCallRecordSerializer,
    RollCallSerializer,
    SessionSerializer,
    TeacherSerializer,
    VenueOccupancySerializer,
)


@extend_schema(tags=["resident"])
class CourseViewSet(viewsets.GenericViewSet):
    serializer_class = CourseSerializer

    def get_queryset(self):
        return Course.objects.exclude(status=CourseStatus.PROPOSED).select_related(
            "category", "teacher", "venue", "community", "slot"
        )

    @extend_schema(
        summary="Classes near me: recommended first, with distances",
        parameters=[NearbyFilterSerializer],
        responses={200: NearbyCourseSerializer(many=True), **errors(400, 404)},
    )
    @action(detail=False)
    def nearby(self, request):
        """Queries, whatever the number of classes: the profile and taste (4), the classes (1), my
        registrations among the page's classes (1)."""
        query = NearbyFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        ranked = selectors.nearby_courses(
            user=request.user,
            category_id=filters.get("category"),
            community_id=filters.get("community"),
            weekday=filters.get("weekday"),
            daypart=filters.get("daypart"),
            liked=liked_interests,
        )
        page = self.paginate_queryset(ranked)
        statuses = selectors.live_registration_statuses(
            user=request.user, course_ids=[r.candidate.key.pk for r in page]
        )
        rows = []
        for r in page:
            course = r.candidate.key
            course.distance_km = round(r.distance_km, 3) if r.distance_km is not None else None
            course.reason = r.reason or ""
            course.my_registration = statuses.get(course.pk)
            rows.append(course)
        return self.get_paginated_response(NearbyCourseSerializer(rows, many=True).data)

    @extend_schema(summary="One class", responses={200: CourseSerializer, **errors(404)})
    def retrieve(self, request, pk=None):
        return Response(CourseSerializer(self.get_object()).data)

    @extend_schema(
        summary="Register: a place, or a place on the waiting list (idempotent)",
        request=None,
        responses={201: RegistrationSerializer, **errors(404, 409)},
    )
    @action(detail=True, methods=["post"])
    def register(self, request, pk=None):
        # The hot path of a popular class's opening: on PostgreSQL the registration statement reads the class
        # (the serializer needs its title) in the same round trip.
        try:
            attempt = services.registration_create_for(course_id=int(pk), resident=request.user)
        except (Course.DoesNotExist, ValueError):
            # As get_object_or_404 says it.
            raise Http404(f"No {Course._meta.object_name} matches the given query.") from None
        if attempt.refusal is not None:
            raise attempt.refusal
        course, registration = attempt.course, attempt.registration
        # The answer comes from what the write returned (on PostgreSQL its place in the queue too): no
        # second read of the registration; otherwise a place in the queue is counted for the waiting list.
        registration.course = course
        queue = registration.queue
        registration.waiting_position = (
            queue.position if queue is not None else registration_waiting_position(registration=registration)
        )
        return Response(_registration_answer().to_representation(registration), status=status.HTTP_201_CREATED)


@functools.cache
def _registration_answer() -> RegistrationSerializer:
    # One per process: a serializer builds and binds its fields for every instance, a sizeable share of the
    # register call's CPU; to_representation keeps no state between calls.
    return RegistrationSerializer()


@extend_schema_view(
    list=extend_schema(
        summary="My live registrations with my place in each queue",
        responses={200: RegistrationSerializer(many=True), **errors(400, 404)},
    ),
    retrieve=extend_schema(
        summary="One of my registrations", responses={200: RegistrationSerializer, **errors(404)}
    ),
)
@extend_schema(tags=["resident"])
class RegistrationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = RegistrationSerializer
    queryset = Registration.objects.none()  # for the schema; get_queryset() scopes to the owner
    filterset_class = RegistrationFilter

    def get_queryset(self):
        return resident_registrations(user=self.request.user)

    @extend_schema(
        summary="Cancel, or leave the waiting list", request=None, responses={204: None, **errors(404, 409)}
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        registration = self.get_object()
        services.registration_cancel(registration=registration, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["resident"])
class MySessionsViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = SessionSerializer
    queryset = Session.objects.none()  # for the schema; get_queryset() scopes to the owner

    def get_queryset(self):
        return selectors.resident_calendar_sessions(user_id=self.request.user.pk)

    @extend_schema(
        summary="My sessions: the month past and everything ahead",
        responses={200: SessionSerializer(many=True), **errors(404)},
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


@extend_schema(tags=["resident"])
class CalendarLinkView(GenericAPIView):
    serializer_class = CalendarLinkSerializer

    @extend_schema(
        summary="The link of my personal iCal feed", responses={200: CalendarLinkSerializer, **errors(404)}
    )
    def get(self, request):
        profile = profile_for(request.user)
        if profile is None:
            raise Http404
        url = request.build_absolute_uri(reverse("activities:ical", args=[profile.calendar_token]))
        return Response({"url": url})


# --- Staff ------------------------------------------------------------------------------------------------------


@extend_schema(tags=["staff"])
class VenueOccupancyView(GenericAPIView):
    permission_classes = [IsStaffInScope]
    serializer_class = VenueOccupancySerializer
    queryset = Venue.objects.none()  # for the schema only

    @extend_schema(
        summary="Venues of my scope: a week's occupancy, as the admin's one-screen overview shows it",
        parameters=[OccupancyQuerySerializer],
        responses={200: VenueOccupancySerializer(many=True), **errors(400, 404)},
    )
    def get(self, request):
        """The same figures as the admin's overview, for one page of venues: the scope, the count, the page's
        ids, then week_overview's own four queries (venues, opening hours, bookings, sessions)."""
        query = OccupancyQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        week = occupancy.week_start_of(query.validated_data.get("week") or timezone.localdate())
        scope = scope_for(request.user)
        venues = scope.filter(Venue.objects.filter(is_active=True)).order_by("name", "id")
        # Paginated here, by id: week_overview then reads only the page's venues and their bookings.
        page = self.paginate_queryset(venues.values_list("pk", flat=True))
        overview = occupancy.week_overview(
            venues=Venue.objects.filter(pk__in=list(page)).order_by("name", "id"),
            week_start=week,
            community_ids=None if scope.everything else scope.community_ids,
        )
        rows = [
            {
                "id": w.venue.pk,
                "name": w.venue.name,
                "community": w.venue.community_id,
                "capacity": w.venue.capacity,
                "week_start": overview.week_start,
                "open_hours": round(w.open_minutes / 60, 2),
                "hours": round(w.booked_minutes / 60, 2),
                "utilisation": w.utilisation,
                "pending": len(w.pending),
                "conflicts": len(w.conflicts),
                "days": [{"date": day, "cells": [c.state for c in cells]} for day, cells in w.days],
            }
            for w in overview.venues
        ]
        return self.get_paginated_response(VenueOccupancySerializer(rows, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="The teacher pool of my scope",
        responses={200: TeacherSerializer(many=True), **errors(400, 404)},
    ),
    retrieve=extend_schema(summary="One teacher", responses={200: TeacherSerializer, **errors(404)}),
)
@extend_schema(tags=["staff"])
class TeacherViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = TeacherSerializer
    permission_classes = [IsStaffInScope]
    filterset_class = TeacherFilter

    def get_queryset(self):
        return (
            scope_for(self.request.user)
            .filter(Teacher.objects.select_related("community"))
            .order_by("name", "id")
        )


@extend_schema_view(
    list=extend_schema(
        summary="Matching runs over my node",
        responses={200: MatchRunSerializer(many=True), **errors(400, 404)},
    ),
    retrieve=extend_schema(summary="One matching run", responses={200: MatchRunSerializer, **errors(404)}),
)
@extend_schema(tags=["staff"])
class MatchRunViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = MatchRunSerializer
    permission_classes = [IsStaffInScope]
    filterset_class = MatchRunFilter

    def get_queryset(self):
        return dispatch_selectors.runs_in_scope(scope_for(self.request.user))

    def get_permissions(self):
        if self.action in ("create", "discard"):
            return [IsStaffWhoChanges()]
        return super().get_permissions()

    def get_throttles(self):
        if self.action == "create":
            # Each run keeps a worker busy for up to its time limit.
            self.throttle_scope = "match_run"
            return [ScopedRateThrottle()]
        return super().get_throttles()

    def _answer(self, run_id: int):
        return MatchRunSerializer(self.get_queryset().get(pk=run_id)).data

    @extend_schema(
        summary="Run the matching over a community, street or district of my scope",
        description="Solved while the request waits, as in the admin: `time_limit` (at most 60 s) bounds "
        "it. The proposal is stored as a run with its proposed classes, to review and confirm.",
        request=MatchRunStartSerializer,
        responses={201: MatchRunSerializer, **errors(400, 409, 429)},
    )
    def create(self, request):
        incoming = MatchRunStartSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        outcome = dispatch_service.match_run(
            node=data["node"],
            term=data.get("term"),
            actor=request.user,
            time_limit=data["time_limit"],
            greedy=data["solver"] == MatchSolver.GREEDY,
            seed=data["seed"],
            replace=data["replace"],
        )
        return Response(self._answer(outcome.run.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Discard the run's still-proposed classes (those of my scope)",
        request=None,
        responses={200: MatchRunDiscardedSerializer, **errors(404, 409)},
    )
    @action(detail=True, methods=["post"])
    def discard(self, request, pk=None):
        run = get_object_or_404(self.get_queryset(), pk=pk)
        count = dispatch_service.run_discard(run=run, actor=request.user)
        return Response({"discarded": count, "run": self._answer(run.pk)})


@extend_schema_view(
    list=extend_schema(
        summary="Proposed classes of my scope",
        responses={200: ProposedClassSerializer(many=True), **errors(400, 404)},
    ),
    retrieve=extend_schema(
        summary="One proposed class with its residents",
        responses={200: ProposedClassSerializer, **errors(404)},
    ),
)
@extend_schema(tags=["staff"])
class ProposedClassViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ProposedClassSerializer
    permission_classes = [IsStaffInScope]
    filterset_class = ProposedClassFilter

    def get_queryset(self):
        return dispatch_selectors.proposed_classes(scope_for(self.request.user))

    def get_permissions(self):
        if self.action in ("confirm", "discard", "teacher_answer", "venue_answer"):
            return [IsStaffWhoChanges()]
        return super().get_permissions()

    def _answer(self, proposed_id: int):
        return ProposedClassSerializer(self.get_queryset().get(pk=proposed_id)).data

    @extend_schema(
        summary="Discard: its orders, teacher and venue are free for the next run",
        request=ProposalNoteSerializer,
        responses={200: ProposedClassSerializer, **errors(400, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def discard(self, request, pk=None):
        proposed = get_object_or_404(self.get_queryset(), pk=pk)
        incoming = ProposalNoteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        dispatch_service.proposed_class_discard(
            proposed=proposed, actor=request.user, note=incoming.validated_data["reason"]
        )
        return Response(self._answer(proposed.pk))

    @extend_schema(
        summary="Record the teacher's answer; a decline frees the class's orders",
        request=ProposalAnswerSerializer,
        responses={200: ProposedClassSerializer, **errors(400, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="teacher-answer")
    def teacher_answer(self, request, pk=None):
        return self._record_answer(request, pk, dispatch_service.proposed_class_teacher_answer)

    @extend_schema(
        summary="Record the venue owner's answer; a decline frees the class's orders",
        request=ProposalAnswerSerializer,
        responses={200: ProposedClassSerializer, **errors(400, 404, 409)},
    )
    @action(detail=True, methods=["post"], url_path="venue-answer")
    def venue_answer(self, request, pk=None):
        return self._record_answer(request, pk, dispatch_service.proposed_class_venue_answer)

    def _record_answer(self, request, pk, answer_service):
        # The teacher's and the venue owner's answers take the same input and differ only in the service.
        proposed = get_object_or_404(self.get_queryset(), pk=pk)
        incoming = ProposalAnswerSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        answer_service(
            proposed=proposed,
            accept=incoming.validated_data["accept"],
            actor=request.user,
            note=incoming.validated_data["reason"],
        )
        return Response(self._answer(proposed.pk))

    @extend_schema(
        summary="Confirm: the class, its sessions and registrations are made, its orders dispatched",
        request=None,
        responses={201: CourseSerializer, **errors(404, 409)},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        proposed = get_object_or_404(self.get_queryset(), pk=pk)
        course = dispatch_service.proposed_class_confirm(proposed=proposed, actor=request.user)
        course = Course.objects.select_related("category", "teacher", "venue", "community", "slot").get(
            pk=course.pk
        )
        return Response(CourseSerializer(course).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["staff"])
class SessionRollCallViewSet(viewsets.GenericViewSet):
    """The roll call of one meeting, for the class's community staff and its teacher (`attendance_record`).

    Teachers have no scope of their own, so the session is looked up here and `may_take_roll_call` decides:
    a meeting the caller may not take the roll of does not exist for them (404).
    """

    serializer_class = RollCallSerializer
    permission_classes = [IsAuthenticated]
    queryset = Session.objects.none()  # for the schema; the session is looked up per request

    def _session(self, pk) -> Session:
        session = get_object_or_404(Session.objects.select_related("course__community", "course__teacher"), pk=pk)
        if not services.may_take_roll_call(session=session, actor=self.request.user):
            raise Http404
        return session

    def _answer(self, session: Session) -> Response:
        roster = selectors.session_roster(session=session)
        return Response(RollCallSerializer({"session": session.pk, "roster": roster}).data)

    @extend_schema(
        methods=["GET"], summary="The roster of a meeting", request=None, responses={200: RollCallSerializer, **errors(404)}
    )
    @extend_schema(
        methods=["POST"],
        summary="Record present / absent / excused, and walk-ins",
        request=RollCallRecordSerializer,
        responses={200: RollCallSerializer, **errors(400, 404, 409)},
    )
    @action(detail=True, methods=["get", "post"], url_path="roll-call")
    def roll_call(self, request, pk=None):
        if request.method == "GET":
            return self._answer(self._session(pk))
        # Read the body before anything can answer.
        data = request.data
        session = self._session(pk)
        incoming = RollCallRecordSerializer(data=data)
        incoming.is_valid(raise_exception=True)
        services.attendance_roll_call(
            session=session,
            marks={mark["resident"]: mark["status"] for mark in incoming.validated_data["marks"]},
            walk_ins=incoming.validated_data["walk_ins"],
            actor=request.user,
        )
        return self._answer(session)
