"""The venue owner's API: my venues, the booking requests waiting for me, confirm or decline, a venue's week.
Someone who manages no venue gets 403; another owner's venue or booking is a 404."""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from community_college.exceptions import errors
from venues.models import Booking, Venue
from venues.selectors import is_venue_owner, owner_bookings, owner_venues, venue_week
from venues.services import booking_decline, booking_owner_confirm

from .serializers import (
    OwnerBookingQuerySerializer,
    OwnerBookingSerializer,
    OwnerDeclineSerializer,
    OwnerVenueSerializer,
    OwnerWeekQuerySerializer,
)


class IsVenueOwner(IsAuthenticated):
    """Someone bound to at least one venue (venues.VenueManager)."""

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and is_venue_owner(request.user)


class _OwnerView(GenericAPIView):
    permission_classes = [IsVenueOwner]
    queryset = Booking.objects.none()  # for the schema

    def own_booking(self, pk) -> Booking:
        booking = owner_bookings(user=self.request.user).filter(pk=pk).first()
        if booking is None:
            raise Http404
        return booking


@extend_schema(tags=["owner"])
class OwnerVenuesView(_OwnerView):
    serializer_class = OwnerVenueSerializer
    queryset = Venue.objects.none()

    @extend_schema(
        summary="The venues I manage", responses={200: OwnerVenueSerializer(many=True), **errors(400, 404)}
    )
    def get(self, request):
        page = self.paginate_queryset(owner_venues(user=request.user))
        return self.get_paginated_response(OwnerVenueSerializer(page, many=True).data)


@extend_schema(tags=["owner"])
class OwnerVenueWeekView(_OwnerView):
    serializer_class = OwnerBookingSerializer

    @extend_schema(
        summary="One of my venues: the week's bookings on one screen",
        parameters=[OwnerWeekQuerySerializer],
        responses={200: OwnerBookingSerializer(many=True), **errors(400, 404)},
    )
    def get(self, request, pk):
        query = OwnerWeekQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        venue = owner_venues(user=request.user).filter(pk=pk).first()
        if venue is None:
            raise Http404
        bookings = venue_week(venue=venue, day=query.validated_data.get("week") or timezone.localdate())
        page = self.paginate_queryset(bookings)
        return self.get_paginated_response(OwnerBookingSerializer(page, many=True).data)


@extend_schema(tags=["owner"])
class OwnerBookingsView(_OwnerView):
    serializer_class = OwnerBookingSerializer

    @extend_schema(
        summary="Bookings of my venues: those awaiting my answer by default",
        parameters=[OwnerBookingQuerySerializer],
        responses={200: OwnerBookingSerializer(many=True), **errors(400, 404)},
    )
    def get(self, request):
        query = OwnerBookingQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        bookings = owner_bookings(user=request.user).filter(
            status=query.validated_data.get("status") or "pending"
        )
        page = self.paginate_queryset(bookings)
        return self.get_paginated_response(OwnerBookingSerializer(page, many=True).data)


@extend_schema(tags=["owner"])
class OwnerBookingConfirmView(_OwnerView):
    serializer_class = OwnerBookingSerializer

    @extend_schema(
        summary="Confirm a booking request",
        request=None,
        responses={200: OwnerBookingSerializer, **errors(404, 409)},
    )
    def post(self, request, pk):
        booking = self.own_booking(pk)
        booking_owner_confirm(booking=booking, actor=request.user)
        return Response(OwnerBookingSerializer(self.own_booking(pk)).data)


@extend_schema(tags=["owner"])
class OwnerBookingDeclineView(_OwnerView):
    serializer_class = OwnerBookingSerializer

    @extend_schema(
        summary="Decline a booking request, with a reason",
        request=OwnerDeclineSerializer,
        responses={200: OwnerBookingSerializer, **errors(400, 404, 409)},
    )
    def post(self, request, pk):
        data = request.data
        booking = self.own_booking(pk)
        incoming = OwnerDeclineSerializer(data=data)
        incoming.is_valid(raise_exception=True)
        booking_decline(booking=booking, actor=request.user, reason=incoming.validated_data["reason"])
        return Response(OwnerBookingSerializer(self.own_booking(pk)).data)
