"""Residents: my profile, the interest tree and its search, my orders. Staff: the order inbox of my scope.

Reads go through `interests.selectors`, writes through `interests.services`; a service's refusal is a
ValidationError that community_college.exceptions turns into 400, 403 or 409.
"""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from accounts.api.permissions import IsStaffInScope
from accounts.selectors import scope_for
from activities import desk_services as desk
from activities import orders, resident_selectors
from activities.geo import haversine_km
from activities.models import Order
from community_college.exceptions import errors
from interests import selectors, services
from interests.enums import OrderChannel
from interests.models import InterestGroup

from .filters import CategoryFilter, OrderFilter, StaffOrderFilter
from .serializers import (
    CategorySearchSerializer,
    CategorySerializer,
    DispatchSerializer,
    NearbyGroupFilterSerializer,
    NearbyGroupSerializer,
    OrderPlaceSerializer,
    OrderSerializer,
    ProfileSerializer,
    ReasonSerializer,
    RejectSerializer,
    StaffOrderSerializer,
)


@extend_schema(tags=["resident"])
class ProfileView(GenericAPIView):
    serializer_class = ProfileSerializer

    def _profile(self):
        profile = selectors.profile_for(self.request.user)
        if profile is None:
            raise Http404
        return profile

    @extend_schema(summary="My profile and consents", responses={200: ProfileSerializer, **errors(404)})
    def get(self, request):
        profile = self._profile()
        return Response(self._read(profile))

    def _read(self, profile):
        # The profile with its interests and free times: three queries.
        profile = (
            type(profile)
            .objects.select_related("user", "community")
            .prefetch_related("interests", "availability")
            .get(pk=profile.pk)
        )
        data = ProfileSerializer(profile, context={"request": self.request}).data
        data["interests"] = sorted(c.pk for c in profile.interests.all())
        return data

    @extend_schema(
        summary="Change my profile and consents (the first change creates it: send `community`)",
        request=ProfileSerializer(partial=True),
        responses={200: ProfileSerializer, **errors(400)},
    )
    def patch(self, request):
        current = selectors.profile_for(request.user)
        incoming = ProfileSerializer(
            current, data=request.data, partial=current is not None, context={"request": request}
        )
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        # PATCH: what was not sent keeps its current value; profile_update replaces the whole profile.
        if current is not None:
            base = {
                "community": current.community,
                "interests": list(current.interests.all()),
                "availability": list(current.availability.values_list("weekday", "start", "end")),
                "consent_sms": current.consent_sms,
                "consent_email": current.consent_email,
                "consent_recommendations": current.consent_recommendations,
                "latitude": current.latitude,
                "longitude": current.longitude,
            }
        else:
            base = {}
        if "availability" in data:
            data["availability"] = [(w["weekday"], w["start"], w["end"]) for w in data["availability"]]
        if (
            "community" in data
            and "latitude" not in data
            and current is not None
            and data["community"] != current.community
        ):
            # A new home community without a new location: home moves to its centre.
            base["latitude"] = base["longitude"] = None
        profile = services.profile_update(user=request.user, **(base | data))
        return Response(self._read(profile))


@extend_schema_view(
    list=extend_schema(
        summary="The interest tree (flat, with parent ids)",
        responses={200: CategorySerializer(many=True), **errors(400, 404)},
    ),
    retrieve=extend_schema(summary="One interest", responses={200: CategorySerializer, **errors(404)}),
)
@extend_schema(tags=["resident"])
class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CategorySerializer
    filterset_class = CategoryFilter

    def get_queryset(self):
        # The tree as the resident's district offers it (its names and sizes, without what it hides); the
        # city's default for a caller without a profile. The district is a subquery: no extra query.
        user = self.request.user
        district = selectors.resident_district(user) if user.is_authenticated else None
        return selectors.offered_categories(district).order_by("seen_sort_order", "seen_name", "id")

    @extend_schema(
        summary="Search interests in Chinese, pinyin or initials (taiji, tjq, 太极)",
        parameters=[OpenApiParameter("q", str, required=True)],
        responses={200: CategorySearchSerializer(many=True), **errors()},
    )
    @action(detail=False, pagination_class=None, filterset_class=None)
    def search(self, request):
        profile = selectors.profile_for(request.user)
        found = resident_selectors.search_categories(
            request.query_params.get("q", ""), user=request.user, profile=profile
        )
        return Response(CategorySearchSerializer(found, many=True).data)


@extend_schema(tags=["resident"])
class GroupViewSet(viewsets.GenericViewSet):
    serializer_class = NearbyGroupSerializer
    queryset = InterestGroup.objects.none()  # for the schema; the action reads the portal's selector

    @extend_schema(
        summary="Interest groups near me: my community first, then my street, with distances",
        parameters=[NearbyGroupFilterSerializer],
        responses={200: NearbyGroupSerializer(many=True), **errors(400, 404)},
    )
    @action(detail=False)
    def nearby(self, request):
        """The portal's "groups near me" (`groups_for_resident`): the profile, the count, the page."""
        query = NearbyGroupFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        profile = selectors.profile_for(request.user)
        if profile is None:
            # Near whom? Like the portal page, groups need a home community first (PATCH me/profile/).
            raise Http404
        groups = resident_selectors.groups_for_resident(
            user=request.user, profile=profile, category_id=filters.get("category")
        )
        if filters.get("community"):
            groups = groups.filter(community_id=filters["community"])
        page = self.paginate_queryset(groups)
        home = _home_point(profile)
        for group in page:
            there = (group.community.latitude, group.community.longitude)
            group.distance_km = (
                round(haversine_km(*home, *there), 3) if home is not None and None not in there else None
            )
        return self.get_paginated_response(NearbyGroupSerializer(page, many=True).data)


def _home_point(profile) -> tuple[float, float] | None:
    """Where the resident lives: their own point, else their community's centre (as classes near me)."""
    if profile.has_location:
        return profile.latitude, profile.longitude
    if profile.community.has_location:
        return profile.community.latitude, profile.community.longitude
    return None


def _order_throttles(view):
    view.throttle_scope = "order_place"
    return [ScopedRateThrottle()]


@extend_schema_view(
    list=extend_schema(
        summary="My orders with their timelines",
        responses={200: OrderSerializer(many=True), **errors(400, 404)},
    ),
    retrieve=extend_schema(summary="One of my orders", responses={200: OrderSerializer, **errors(404)}),
)
@extend_schema(tags=["resident"])
class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = OrderSerializer
    queryset = Order.objects.none()  # for the schema; get_queryset() scopes to the owner
    filterset_class = OrderFilter

    def get_queryset(self):
        return resident_selectors.resident_orders(user=self.request.user)

    def get_throttles(self):
        if self.action == "create":
            return _order_throttles(self)
        return super().get_throttles()

    @extend_schema(
        summary="Order an interest (点单)",
        request=OrderPlaceSerializer,
        responses={201: OrderSerializer, **errors(400, 409, 429)},
    )
    def create(self, request):
        incoming = OrderPlaceSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        order = orders.order_place(
            resident=request.user, channel=OrderChannel.APP, **incoming.validated_data
        )
        return Response(self._fresh(order), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Cancel my order",
        request=ReasonSerializer,
        responses={200: OrderSerializer, **errors(400, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        order = self.get_object()
        incoming = ReasonSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        orders.order_cancel(order=order, actor=request.user, reason=incoming.validated_data["reason"])
        return Response(self._fresh(order))

    def _fresh(self, order):
        order = self.get_queryset().get(pk=order.pk)
        return OrderSerializer(order, context=self.get_serializer_context()).data


# --- Staff: the order inbox -------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        summary="The order inbox of my scope",
        responses={200: StaffOrderSerializer(many=True), **errors(400, 404)},
    ),
    retrieve=extend_schema(
        summary="One order of my scope", responses={200: StaffOrderSerializer, **errors(404)}
    ),
)
@extend_schema(tags=["staff"])
class StaffOrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = StaffOrderSerializer
    queryset = Order.objects.none()  # for the schema; get_queryset() scopes to the caller
    permission_classes = [IsStaffInScope]
    filterset_class = StaffOrderFilter

    def get_queryset(self):
        orders = Order.objects.select_related("resident", "category", "community").order_by(
            "-submitted_at", "-id"
        )
        return scope_for(self.request.user).filter(orders)

    def _answer(self, order):
        return Response(StaffOrderSerializer(self.get_queryset().get(pk=order.pk)).data)

    @extend_schema(
        summary="Accept (接单)", request=None, responses={200: StaffOrderSerializer, **errors(404, 409)}
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        order = self.get_object()
        orders.order_accept(order=order, actor=request.user)
        return self._answer(order)

    @extend_schema(
        summary="Reject, with a reason for the resident",
        request=RejectSerializer,
        responses={200: StaffOrderSerializer, **errors(400, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        order = self.get_object()
        incoming = RejectSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        orders.order_reject(order=order, actor=request.user, reason=incoming.validated_data["reason"])
        return self._answer(order)

    @extend_schema(
        summary="Dispatch into a class (派单)",
        request=DispatchSerializer,
        responses={200: StaffOrderSerializer, **errors(400, 404, 409)},
    )
    # Named dispatch_order: `dispatch` is APIView's own entry point.
    @action(detail=True, methods=["post"], url_path="dispatch")
    def dispatch_order(self, request, pk=None):
        order = self.get_object()
        incoming = DispatchSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        # The same service as the admin's 派单: the interest, a free place, an open class, a registration made.
        desk.order_dispatch_into_course(order=order, actor=request.user, course=incoming.validated_data["course"])
        return self._answer(order)
