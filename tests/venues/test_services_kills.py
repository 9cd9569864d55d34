"""Answering bookings in two venues of two communities (issue 23): the venue's managers and its own
community's staff answer its bookings, nobody else does, and an answer touches that booking only."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from community_college.errors import ConflictError, ScopeError
from tests.factories import BookingFactory, ResidentFactory, StaffFactory, VenueFactory
from tests.factories.pairs import snapshot
from venues import services
from venues.enums import BookingStatus
from venues.models import Booking, VenueManager

pytestmark = pytest.mark.django_db

FIELDS = ("status", "answered_by", "answered_at", "decline_reason", "venue", "starts_at", "ends_at")


def _at(hours):
    base = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=5)
    return base + timedelta(hours=hours)


@pytest.fixture
def two_venues():
    """Venues `a` and `b` (their owners must confirm) in two communities, two pending bookings in each, a
    manager for each venue and a staff member of each community."""
    rows = {}
    for name in ("a", "b"):
        venue = VenueFactory(requires_confirmation=True)
        rows[name] = venue
        rows[f"{name}1"] = BookingFactory(
            venue=venue, starts_at=_at(0), ends_at=_at(1), status=BookingStatus.PENDING
        )
        rows[f"{name}2"] = BookingFactory(
            venue=venue, starts_at=_at(2), ends_at=_at(3), status=BookingStatus.PENDING
        )
        manager = ResidentFactory()
        VenueManager.objects.create(venue=venue, user=manager)
        rows[f"manager_{name}"] = manager
        rows[f"staff_{name}"] = StaffFactory(community=venue.community)
    return rows


def _others(*targets):
    return snapshot(Booking.objects.exclude(pk__in=[t.pk for t in targets]), *FIELDS)


def test_manages_venue_is_bound_to_the_venue(two_venues):
    manager_a, a, b = two_venues["manager_a"], two_venues["a"], two_venues["b"]
    assert services.manages_venue(user=manager_a, venue_id=a.pk) is True
    assert services.manages_venue(user=manager_a, venue_id=b.pk) is False
    assert services.manages_venue(user=two_venues["staff_a"], venue_id=a.pk) is False
    assert services.manages_venue(user=AnonymousUser(), venue_id=a.pk) is False


@pytest.mark.parametrize("who", ["manager_a", "staff_a"])
def test_may_answer_booking_venue_manager_or_own_community_staff(two_venues, who):
    actor = two_venues[who]
    assert services.may_answer_booking(booking=two_venues["a1"], actor=actor) is True
    assert services.may_answer_booking(booking=two_venues["b1"], actor=actor) is False


def test_may_answer_booking_refuses_a_resident_who_manages_nothing(two_venues):
    assert services.may_answer_booking(booking=two_venues["a1"], actor=ResidentFactory()) is False


@pytest.mark.parametrize("who", ["manager_a", "staff_a"])
def test_owner_confirm_confirms_that_booking_only(two_venues, who):
    target, actor = two_venues["a1"], two_venues[who]
    before = _others(target)
    returned = services.booking_owner_confirm(booking=target, actor=actor)
    row = Booking.objects.get(pk=target.pk)
    assert (row.status, row.answered_by_id) == (BookingStatus.CONFIRMED, actor.pk)
    assert row.answered_at is not None and abs(row.answered_at - timezone.now()) < timedelta(minutes=5)
    assert row.history.first().history_change_reason == f"confirmed by {actor.pk}"
    # The caller's object follows the row (the page re-renders from it).
    assert (returned.pk, returned.status) == (target.pk, BookingStatus.CONFIRMED)
    assert (target.status, target.answered_by_id, target.answered_at) == (
        BookingStatus.CONFIRMED,
        actor.pk,
        row.answered_at,
    )
    assert _others(target) == before


@pytest.mark.parametrize("who", ["manager_b", "staff_b"])
def test_owner_confirm_by_another_venue_or_community_is_refused(two_venues, who):
    target = two_venues["a1"]
    before = snapshot(Booking.objects.all(), *FIELDS)
    with translation.override("en"), pytest.raises(ScopeError) as excinfo:
        services.booking_owner_confirm(booking=target, actor=two_venues[who])
    assert (excinfo.value.messages[0], excinfo.value.code) == (
        "Only the venue's owner or its community's staff can answer this booking.",
        "scope",
    )
    assert snapshot(Booking.objects.all(), *FIELDS) == before
    assert target.status == BookingStatus.PENDING


@pytest.mark.parametrize("status", [BookingStatus.CONFIRMED, BookingStatus.CANCELLED, BookingStatus.DECLINED])
@pytest.mark.parametrize("action", ["confirm", "decline"])
def test_owner_answer_of_a_booking_no_longer_pending_is_refused(two_venues, status, action):
    target = two_venues["b2"]
    Booking.objects.filter(pk=target.pk).update(
        status=status, decline_reason="满了" if status == "declined" else ""
    )
    before = snapshot(Booking.objects.all(), *FIELDS)
    with translation.override("en"), pytest.raises(ConflictError) as excinfo:
        if action == "confirm":
            services.booking_owner_confirm(booking=target, actor=two_venues["manager_b"])
        else:
            services.booking_decline(booking=target, actor=two_venues["manager_b"], reason="维修")
    assert (excinfo.value.messages[0], excinfo.value.code) == (
        "This booking no longer awaits an answer.",
        "not_pending",
    )
    assert snapshot(Booking.objects.all(), *FIELDS) == before


def test_owner_answer_reads_the_row_not_the_callers_copy(two_venues):
    """The status is checked on the locked row: a stale object saying "pending" does not confirm twice."""
    target = two_venues["a2"]
    Booking.objects.filter(pk=target.pk).update(status=BookingStatus.DECLINED, decline_reason="满了")
    assert target.status == BookingStatus.PENDING
    with pytest.raises(ConflictError):
        services.booking_owner_confirm(booking=target, actor=two_venues["staff_a"])
    assert Booking.objects.get(pk=target.pk).status == BookingStatus.DECLINED


@pytest.mark.parametrize("who", ["manager_b", "staff_b"])
def test_decline_declines_that_booking_only_and_frees_the_room(two_venues, who):
    target, actor = two_venues["b1"], two_venues[who]
    before = _others(target)
    returned = services.booking_decline(booking=target, actor=actor, reason="  " + "漏水" * 200 + "  ")
    row = Booking.objects.get(pk=target.pk)
    assert (row.status, row.answered_by_id, row.decline_reason) == (
        BookingStatus.DECLINED,
        actor.pk,
        "漏水" * 150,
    )
    assert row.answered_at is not None and abs(row.answered_at - timezone.now()) < timedelta(minutes=5)
    assert row.history.first().history_change_reason == f"declined by {actor.pk}"
    assert (returned.pk, returned.status) == (target.pk, BookingStatus.DECLINED)
    assert (target.status, target.decline_reason) == (BookingStatus.DECLINED, "漏水" * 150)
    assert _others(target) == before
    # The declined booking no longer holds the hour; the other venue's booking at that hour is untouched.
    services.booking_create(venue=two_venues["b"], starts_at=_at(0), ends_at=_at(1))
    assert Booking.objects.get(pk=two_venues["a1"].pk).status == BookingStatus.PENDING


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_decline_without_a_reason_is_refused(two_venues, reason):
    before = snapshot(Booking.objects.all(), *FIELDS)
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        services.booking_decline(booking=two_venues["a1"], actor=two_venues["manager_a"], reason=reason)
    assert excinfo.value.message_dict == {"reason": ["Give a reason for declining."]}
    assert snapshot(Booking.objects.all(), *FIELDS) == before


@pytest.mark.parametrize("who", ["manager_a", "staff_b"])
def test_decline_by_another_venue_or_community_is_refused(two_venues, who):
    target = two_venues["b2"] if who == "manager_a" else two_venues["a2"]
    before = snapshot(Booking.objects.all(), *FIELDS)
    with pytest.raises(ScopeError):
        services.booking_decline(booking=target, actor=two_venues[who], reason="不行")
    assert snapshot(Booking.objects.all(), *FIELDS) == before


def test_booking_confirm_records_who_answered_and_when(two_venues):
    target, actor = two_venues["a2"], two_venues["staff_a"]
    before = _others(target)
    services.booking_confirm(booking=target, actor=actor)
    row = Booking.objects.get(pk=target.pk)
    assert (row.status, row.answered_by_id) == (BookingStatus.CONFIRMED, actor.pk)
    assert row.answered_at is not None and abs(row.answered_at - timezone.now()) < timedelta(minutes=5)
    assert _others(target) == before


def test_booking_cancel_of_a_cancelled_booking_writes_nothing(two_venues):
    target = two_venues["a1"]
    services.booking_cancel(booking=target, actor=None)
    versions = target.history.count()
    assert services.booking_cancel(booking=target, actor=None) is target
    assert target.history.count() == versions
    assert Booking.objects.get(pk=two_venues["a2"].pk).status == BookingStatus.PENDING


def test_venue_manager_add_by_own_community_staff_only(two_venues):
    a, b, user = two_venues["a"], two_venues["b"], ResidentFactory()
    first = services.venue_manager_add(venue=a, user=user, actor=two_venues["staff_a"])
    again = services.venue_manager_add(venue=a, user=user, actor=two_venues["staff_a"])
    assert first.pk == again.pk and (first.venue_id, first.user_id) == (a.pk, user.pk)
    with translation.override("en"), pytest.raises(ScopeError) as excinfo:
        services.venue_manager_add(venue=b, user=user, actor=two_venues["staff_a"])
    assert (excinfo.value.messages[0], excinfo.value.code) == (
        f"{b.name} belongs to another community.",
        "scope",
    )
    assert list(VenueManager.objects.filter(user=user).values_list("venue_id", flat=True)) == [a.pk]
    assert VenueManager.objects.filter(venue=b).count() == 1


@pytest.mark.parametrize(
    ("status", "to", "expected"),
    [
        # Into the other room, whose owner must confirm: asked again, even if confirmed where it was.
        (BookingStatus.CONFIRMED, "b", BookingStatus.PENDING),
        (BookingStatus.PENDING, "b", BookingStatus.PENDING),
        # Into a room without an owner to ask: held at once.
        (BookingStatus.PENDING, "free", BookingStatus.CONFIRMED),
        # Another hour in its own room keeps the answer it had.
        (BookingStatus.CONFIRMED, "a", BookingStatus.CONFIRMED),
        (BookingStatus.PENDING, "a", BookingStatus.PENDING),
        # A booking that no longer held its room holds it again, as a new request would.
        (BookingStatus.CANCELLED, "a", BookingStatus.PENDING),
        (BookingStatus.DECLINED, "a", BookingStatus.PENDING),
    ],
)
def test_booking_move_asks_the_owner_of_a_new_room(two_venues, status, to, expected):
    target = two_venues["a1"]
    Booking.objects.filter(pk=target.pk).update(
        status=status, decline_reason="满了" if status == "declined" else ""
    )
    target.refresh_from_db()
    venue = VenueFactory(requires_confirmation=False) if to == "free" else two_venues[to]
    before = _others(target)
    services.booking_move(booking=target, venue=venue, starts_at=_at(5), ends_at=_at(6))
    row = Booking.objects.get(pk=target.pk)
    assert (row.venue_id, row.starts_at, row.ends_at, row.status) == (venue.pk, _at(5), _at(6), expected)
    assert _others(target) == before


@pytest.mark.parametrize("action", ["confirm", "decline"])
def test_owner_answer_locks_the_booking_row_with_its_venue(two_venues, action):
    """One query reads the booking and its venue and locks the booking's row only (not the venue's: a
    request for the venue's other hours must not wait for an answer)."""
    target, actor = two_venues["b2"], two_venues["manager_b"]
    with CaptureQueriesContext(connection) as ctx:
        if action == "confirm":
            services.booking_owner_confirm(booking=target, actor=actor)
        else:
            services.booking_decline(booking=target, actor=actor, reason="维修")
    reads = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].startswith("SELECT") and '"venues_booking"' in q["sql"]
    ]
    assert 'JOIN "venues_venue"' in reads[0]
    if action == "confirm":  # (declining validates the row, which reads the venue again by its key)
        venue_reads = [
            q
            for q in ctx.captured_queries
            if q["sql"].startswith("SELECT") and 'FROM "venues_venue"' in q["sql"]
        ]
        assert venue_reads == []
    if connection.vendor == "postgresql":
        assert reads[0].endswith('FOR UPDATE OF "venues_booking"')
