"""Showcases through their services, with two of everything: proposing books the venue (an overlap refuses the
whole proposal), staff approve in scope, residents register through the class registration service with its
capacity and waiting list, twice is refused; photos are stripped and moderated in scope; stories need consent."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from PIL import ExifTags, Image

from activities import showcase_selectors as selectors
from activities.enums import (
    CourseKind,
    CourseStatus,
    MediaStatus,
    RegistrationStatus,
    ShowcaseStatus,
    StoryStatus,
)
from activities.models import Course, Registration, Showcase, ShowcaseMedia, Story
from activities.selectors import open_courses
from activities.services import registration_cancel
from activities.showcases import (
    media_add,
    media_moderate,
    showcase_approve,
    showcase_register,
    showcase_reject,
    story_create,
    story_publish,
)
from community_college import uploads
from community_college.errors import ConflictError, ScopeError
from tests.factories import SessionFactory
from tests.factories.pairs import snapshot, two_of_everything
from tests.factories.showcases import approved, backdate, jpeg_with_gps, leader_of, photo_upload, propose
from venues.enums import HOLDING_STATUSES
from venues.models import Booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair():
    return two_of_everything()


def test_proposal_books_the_venue_and_waits_for_approval(pair):
    leader = leader_of(pair.group_a)
    showcase = propose(group=pair.group_a, leader=leader, venue=pair.venue_a, capacity=50)
    assert showcase.status == ShowcaseStatus.PROPOSED
    audience = showcase.audience
    assert (audience.kind, audience.status, audience.community_id) == (
        CourseKind.SHOWCASE,
        CourseStatus.PROPOSED,
        pair.a.pk,
    )
    assert audience.capacity == pair.venue_a.capacity  # never more seats than the room has
    booking = Booking.objects.get(session__course=audience)
    assert (booking.venue_id, booking.starts_at, booking.ends_at) == (
        pair.venue_a.pk,
        showcase.starts_at,
        showcase.ends_at,
    )
    # A showcase's audience is not a class: classes near me do not list it.
    assert audience not in open_courses()


def test_a_showcase_in_a_booked_room_is_refused_and_nothing_is_saved(pair):
    leader = leader_of(pair.group_a)
    first = propose(group=pair.group_a, leader=leader, venue=pair.venue_a)
    before = (Showcase.objects.count(), Course.objects.count(), Booking.objects.count())
    with translation.override("en"), pytest.raises(ConflictError) as refused:
        propose(
            group=pair.group_a,
            leader=leader,
            venue=pair.venue_a,
            starts_at=first.starts_at + timedelta(minutes=30),
        )
    assert "already booked" in " ".join(refused.value.messages)
    assert (Showcase.objects.count(), Course.objects.count(), Booking.objects.count()) == before
    # The other community's room at the same time is free.
    other = propose(
        group=pair.group_b, leader=leader_of(pair.group_b), venue=pair.venue_b, starts_at=first.starts_at
    )
    assert other.venue_id == pair.venue_b.pk


def test_a_showcase_in_a_room_a_class_holds_is_refused(pair):
    start = timezone.now().replace(microsecond=0) + timedelta(days=5)
    session = SessionFactory(
        course=pair.a1, venue=pair.venue_a, starts_at=start, ends_at=start + timedelta(hours=2)
    )
    Booking.objects.create(
        venue=pair.venue_a, starts_at=start, ends_at=start + timedelta(hours=2), session=session
    )
    with pytest.raises(ConflictError):
        propose(
            group=pair.group_a,
            leader=leader_of(pair.group_a),
            venue=pair.venue_a,
            starts_at=start + timedelta(hours=1),
        )
    assert not Showcase.objects.exists()


def test_only_the_leader_or_staff_may_propose(pair):
    member = pair.resident()
    with pytest.raises(ScopeError):
        propose(group=pair.group_a, leader=member, venue=pair.venue_a)
    with pytest.raises(ScopeError):
        propose(group=pair.group_a, leader=pair.staff_b, venue=pair.venue_a)
    assert propose(group=pair.group_a, leader=pair.staff_a, venue=pair.venue_a).proposed_by == pair.staff_a
    assert Showcase.objects.count() == 1


def test_approval_is_scoped_and_touches_only_its_showcase(pair):
    a = propose(group=pair.group_a, leader=leader_of(pair.group_a), venue=pair.venue_a)
    b = propose(group=pair.group_b, leader=leader_of(pair.group_b), venue=pair.venue_b)
    with pytest.raises(ScopeError):
        showcase_approve(showcase=a, actor=pair.staff_b)
    before = snapshot(Showcase.objects.exclude(pk=a.pk), "status")
    courses_before = snapshot(Course.objects.exclude(pk=a.audience_id), "status")
    showcase_approve(showcase=a, actor=pair.staff_a)
    a.refresh_from_db()
    assert a.status == ShowcaseStatus.APPROVED and a.audience.status == CourseStatus.OPEN
    assert snapshot(Showcase.objects.exclude(pk=a.pk), "status") == before
    assert snapshot(Course.objects.exclude(pk=a.audience_id), "status") == courses_before
    assert Showcase.objects.get(pk=b.pk).status == ShowcaseStatus.PROPOSED
    with pytest.raises(ConflictError):
        showcase_approve(showcase=a, actor=pair.staff_a)


def test_rejection_frees_the_room_and_needs_a_reason(pair):
    a = propose(group=pair.group_a, leader=leader_of(pair.group_a), venue=pair.venue_a)
    b = propose(group=pair.group_b, leader=leader_of(pair.group_b), venue=pair.venue_b)
    with pytest.raises(ValidationError):
        showcase_reject(showcase=a, actor=pair.staff_a, reason=" ")
    showcase_reject(showcase=a, actor=pair.staff_a, reason="场地维修")
    a.refresh_from_db()
    assert (a.status, a.decision_note) == (ShowcaseStatus.REJECTED, "场地维修")
    assert not Booking.objects.filter(session__course=a.audience, status__in=HOLDING_STATUSES).exists()
    assert Booking.objects.filter(session__course=b.audience, status__in=HOLDING_STATUSES).count() == 1
    # The room is free again for another proposal at that time.
    assert propose(group=pair.group_a, leader=pair.staff_a, venue=pair.venue_a, starts_at=a.starts_at).pk


def test_audience_takes_seats_then_the_waiting_list_and_moves_up(pair):
    a = approved(
        group=pair.group_a, leader=leader_of(pair.group_a), venue=pair.venue_a, staff=pair.staff_a, capacity=2
    )
    b = approved(
        group=pair.group_b, leader=leader_of(pair.group_b), venue=pair.venue_b, staff=pair.staff_b, capacity=2
    )
    residents = [pair.resident() for _ in range(3)]
    regs = [showcase_register(showcase=a, resident=r) for r in residents]
    assert [r.status for r in regs] == [
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.WAITLISTED,
    ]
    a.audience.refresh_from_db()
    assert a.audience.confirmed_count == 2
    b.audience.refresh_from_db()
    assert b.audience.confirmed_count == 0
    registration_cancel(registration=regs[0], actor=residents[0])
    assert Registration.objects.get(pk=regs[2].pk).status == RegistrationStatus.CONFIRMED


def test_registering_twice_is_refused_and_saves_nothing(pair):
    a = approved(group=pair.group_a, leader=leader_of(pair.group_a), venue=pair.venue_a, staff=pair.staff_a)
    resident = pair.resident()
    showcase_register(showcase=a, resident=resident)
    with translation.override("en"), pytest.raises(ConflictError) as refused:
        showcase_register(showcase=a, resident=resident)
    assert refused.value.code == "already_registered"
    assert "already registered" in refused.value.messages[0]
    assert Registration.objects.filter(course=a.audience).count() == 1
    a.audience.refresh_from_db()
    assert a.audience.confirmed_count == 1


def test_a_proposal_takes_no_audience(pair):
    a = propose(group=pair.group_a, leader=leader_of(pair.group_a), venue=pair.venue_a)
    with pytest.raises(ConflictError):
        showcase_register(showcase=a, resident=pair.resident())
    assert not Registration.objects.filter(course=a.audience).exists()


def test_photo_is_stripped_of_exif_and_gps_and_waits_for_moderation(pair, upload_root):
    leader = leader_of(pair.group_a)
    a = backdate(approved(group=pair.group_a, leader=leader, venue=pair.venue_a, staff=pair.staff_a))
    raw = jpeg_with_gps()
    with Image.open(io.BytesIO(raw)) as original:  # the control: the upload does carry a position
        assert original.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    item = media_add(
        actor=leader, showcase=a, upload=photo_upload(data=raw), consent_confirmed=True, caption="合影"
    )
    assert (item.status, item.community_id) == (MediaStatus.PENDING, pair.a.pk)
    for name in (item.name, item.thumbnail):
        assert (upload_root / name).is_file()
        with uploads.open_stored(name) as handle:
            stored = handle.read()
        assert b"PhoneMaker" not in stored and b"Exif" not in stored
        with Image.open(io.BytesIO(stored)) as clean:
            assert dict(clean.getexif()) == {}
    assert list(selectors.approved_media(showcase=a)) == []
    media_moderate(item=item, actor=pair.staff_a, approve=True)
    assert list(selectors.approved_media(showcase=a)) == [item]


def test_bad_uploads_are_refused_with_nothing_saved(pair, upload_root, settings):
    leader = leader_of(pair.group_a)
    a = backdate(approved(group=pair.group_a, leader=leader, venue=pair.venue_a, staff=pair.staff_a))
    with translation.override("en"):
        with pytest.raises(ValidationError) as not_image:
            media_add(
                actor=leader,
                showcase=a,
                upload=photo_upload("x.jpg", b"<?php echo 1; ?>"),
                consent_confirmed=True,
            )
        assert "JPEG, PNG or WebP" in not_image.value.messages[0]
        settings.UPLOAD_MAX_BYTES = 1000
        with pytest.raises(ValidationError) as too_large:
            media_add(actor=leader, showcase=a, upload=photo_upload(), consent_confirmed=True)
        assert "too large" in too_large.value.messages[0]
        settings.UPLOAD_MAX_BYTES = 8 * 1024 * 1024
        with pytest.raises(ValidationError) as no_consent:
            media_add(actor=leader, showcase=a, upload=photo_upload(), consent_confirmed=False)
        assert "agreed" in " ".join(no_consent.value.messages)
    assert not ShowcaseMedia.objects.exists()
    assert not any(upload_root.rglob("*.*")) if upload_root.exists() else True


def test_photos_only_after_the_showcase_and_only_by_its_group(pair):
    leader = leader_of(pair.group_a)
    a = approved(group=pair.group_a, leader=leader, venue=pair.venue_a, staff=pair.staff_a)
    with pytest.raises(ConflictError):
        media_add(actor=leader, showcase=a, upload=photo_upload(), consent_confirmed=True)
    backdate(a)
    with pytest.raises(ScopeError):
        media_add(actor=pair.resident(), showcase=a, upload=photo_upload(), consent_confirmed=True)
    assert not ShowcaseMedia.objects.exists()


def test_moderation_is_scoped(pair):
    la, lb = leader_of(pair.group_a), leader_of(pair.group_b)
    a = backdate(approved(group=pair.group_a, leader=la, venue=pair.venue_a, staff=pair.staff_a))
    b = backdate(approved(group=pair.group_b, leader=lb, venue=pair.venue_b, staff=pair.staff_b))
    pa = media_add(actor=la, showcase=a, upload=photo_upload(), consent_confirmed=True)
    pb = media_add(actor=lb, showcase=b, upload=photo_upload(), consent_confirmed=True)
    with pytest.raises(ScopeError):
        media_moderate(item=pa, actor=pair.staff_b, approve=True)
    assert list(selectors.media_for_moderation(user=pair.staff_b)) == [pb]
    media_moderate(item=pa, actor=pair.staff_a, approve=False)
    assert ShowcaseMedia.objects.get(pk=pa.pk).status == MediaStatus.REJECTED
    assert ShowcaseMedia.objects.get(pk=pb.pk).status == MediaStatus.PENDING
    assert selectors.media_visible(user=pair.resident(), item=pb) is False
    assert selectors.media_visible(user=lb, item=pb) is True


def test_story_is_published_only_with_consent(pair):
    story = story_create(
        actor=pair.staff_a, community=pair.a, title="王阿姨的太极人生", body="……", subject_name="王阿姨"
    )
    other = story_create(
        actor=pair.staff_b, community=pair.b, title="合唱团", body="……", consent_recorded=True
    )
    with pytest.raises(ScopeError):
        story_create(actor=pair.staff_b, community=pair.a, title="x", body="y")
    with pytest.raises(ConflictError):
        story_publish(story=story, actor=pair.staff_a)
    Story.objects.filter(pk=story.pk).update(consent_recorded=True)
    story.refresh_from_db()
    story_publish(story=story, actor=pair.staff_a)
    assert Story.objects.get(pk=story.pk).status == StoryStatus.PUBLISHED
    assert Story.objects.get(pk=other.pk).status == StoryStatus.DRAFT
    item = media_add(actor=pair.staff_a, story=story, upload=photo_upload(), consent_confirmed=True)
    with pytest.raises(ScopeError):
        media_add(actor=pair.staff_b, story=story, upload=photo_upload(), consent_confirmed=True)
    assert item.community_id == pair.a.pk


def test_figures_per_community_count_held_audience_and_stories(pair):
    la = leader_of(pair.group_a)
    held = approved(group=pair.group_a, leader=la, venue=pair.venue_a, staff=pair.staff_a)
    showcase_register(showcase=held, resident=pair.resident())
    backdate(held)
    coming = approved(
        group=pair.group_a,
        leader=la,
        venue=pair.venue_a,
        staff=pair.staff_a,
        starts_at=timezone.now().replace(microsecond=0) + timedelta(days=9),
    )
    showcase_register(showcase=coming, resident=pair.resident())
    showcase_register(showcase=coming, resident=pair.resident())
    propose(
        group=pair.group_b, leader=leader_of(pair.group_b), venue=pair.venue_b
    )  # not approved: not counted
    story = story_create(actor=pair.staff_a, community=pair.a, title="t", body="b", consent_recorded=True)
    story_publish(story=story, actor=pair.staff_a)
    figures = selectors.showcase_figures()
    assert (figures[pair.a.pk].held, figures[pair.a.pk].upcoming, figures[pair.a.pk].audience) == (1, 1, 3)
    assert figures[pair.a.pk].stories == 1
    assert pair.b.pk not in figures
    now = timezone.now()
    assert selectors.showcases_held(start=now - timedelta(days=30), end=now, now=now) == {pair.a.pk: 1}
