"""The owner's things every access test reaches for: an order, a registration, a notice, a rating, a token."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from accounts.api.services import api_token_create
from activities.models import MatchRun, ProposedClass, ProposedPlacement
from activities.orders import order_accept, order_place
from activities.services import registration_create
from notices.models import Notice
from ratings.services import rating_submit
from tests.factories import (
    AttendanceFactory,
    CollegeFactory,
    CollegeStarRecordFactory,
    CourseFactory,
    InterestGroupFactory,
    SessionFactory,
    TeacherFactory,
    TermFactory,
    VenueFactory,
    WeeklySlotFactory,
)


@dataclass
class Owned:
    order: object
    course: object
    registration: object
    session: object
    notice: object
    rating: object
    token: object
    venue: object
    teacher: object
    group: object
    college: object
    certificate: object = None
    reconfirmation: object = None
    shift: object = None
    showcase: object = None  # approved and coming: residents register as its audience
    media: object = None  # a photo of a past showcase of the owner's group, awaiting moderation


def owned_by(world) -> Owned:
    owner = world.owner
    order = order_place(resident=owner, category=world.leaf)
    venue = VenueFactory(community=world.home, contact_phone="13900001111")
    teacher = TeacherFactory(community=world.home, phone="13700002222")
    course = CourseFactory(
        category=world.leaf, community=world.home, venue=venue, teacher=teacher, slot=WeeklySlotFactory()
    )
    upcoming = SessionFactory(course=course, venue=venue)
    past = SessionFactory(
        course=course,
        venue=venue,
        starts_at=timezone.now() - timedelta(days=2),
        ends_at=timezone.now() - timedelta(days=2, hours=-1),
    )
    registration = registration_create(course=course, resident=owner)
    AttendanceFactory(session=past, resident=owner)
    rating = rating_submit(session=past, resident=owner, stars=4, comment="好")
    notice = Notice.objects.create(
        recipient=owner,
        purpose="order_accepted",
        object_key=f"api-test:{order.pk}",
        language="en",
        title="Accepted",
        body="Your order was accepted.",
    )
    token, _secret = api_token_create(user=owner, name="phone")
    group = InterestGroupFactory(category=world.leaf, community=world.home, name="太极拳小组")
    college = CollegeFactory(community=world.home)
    CollegeStarRecordFactory(college=college)
    certificate, reconfirmation, shift = _noshow_things(owner, course, upcoming, past, registration)
    owned = Owned(
        order, course, registration, upcoming, notice, rating, token, venue, teacher, group, college,
        certificate, reconfirmation, shift,
    )
    owned.showcase, owned.media = showcase_of(world, group=group, venue=venue)
    return owned


def _noshow_things(owner, course, upcoming, past, registration):
    """The owner's certificate and reconfirmation request; the owner volunteers too, with hours at `past`."""
    from accounts.enums import Role
    from accounts.models import RoleAssignment
    from activities.certificates import certificate_issue
    from activities.models import Reconfirmation, VolunteerShift

    certificate = certificate_issue(
        kind="course_completion", holder=owner, subject=f"course:{course.pk}", title="结业证书", course_title=course.title
    )
    reconfirmation = Reconfirmation.objects.create(
        registration=registration, session=upcoming, resident=owner, reason="waiting_list",
        deadline=upcoming.starts_at - timedelta(hours=2),
    )
    RoleAssignment.objects.create(user=owner, role=Role.VOLUNTEER)
    shift = VolunteerShift.objects.create(volunteer=owner, session=past, hours=1)
    return certificate, reconfirmation, shift


def showcase_of(world, *, group, venue):
    """The owner leads `group`: an approved showcase to come, and a past one with a photo awaiting moderation."""
    from activities.models import ShowcaseMedia
    from tests.factories.showcases import approved, backdate, leader_of

    leader_of(group, world.owner)
    coming = approved(group=group, leader=world.owner, venue=venue, staff=world.staff)
    past = backdate(
        approved(
            group=group,
            leader=world.owner,
            venue=venue,
            staff=world.staff,
            starts_at=coming.ends_at + timedelta(days=1),
        )
    )
    media = ShowcaseMedia.objects.create(
        showcase=past,
        community=group.community,
        name="showcases/none.jpg",
        thumbnail="showcases/none.thumb.jpg",
        content_type="image/jpeg",
        width=10,
        height=10,
        consent_confirmed=True,
        uploaded_by=world.owner,
    )
    return coming, media


def proposal_of(world, owned, *, venue_consent: str = "pending"):
    """A matching run over the owner's community proposing one class that holds the owner's (accepted) order."""
    order_accept(order=owned.order, actor=world.staff)
    term = TermFactory()
    run = MatchRun.objects.create(scope="community", community=world.home, term=term)
    proposed = ProposedClass.objects.create(
        run=run,
        category=world.leaf,
        teacher=owned.teacher,
        venue=owned.venue,
        slot=WeeklySlotFactory(),
        term=term,
        community=world.home,
        size=1,
        venue_consent=venue_consent,
    )
    ProposedPlacement.objects.create(proposed_class=proposed, order=owned.order)
    return run, proposed
