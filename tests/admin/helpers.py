"""Helpers of the admin tests: the rows of one community, admin URLs, what a changelist shows."""

from dataclasses import dataclass
from datetime import time

from django.urls import reverse

from accounts.enums import Role
from activities import orders
from activities.models import Attendance, WaitingList
from community_college.models import Weekday
from interests.models import ResidentAvailability
from teachers.models import TeacherAvailability
from teachers.services import teacher_recommendation_submit
from tests.factories import (
    BookingFactory,
    CategoryFactory,
    CollegeFactory,
    CollegeStarRecordFactory,
    CourseFactory,
    GridFactory,
    GroupMembershipFactory,
    InterestGroupFactory,
    PolicyTalkFactory,
    RegistrationFactory,
    ResidentFactory,
    SessionFactory,
    SessionRatingFactory,
    StaffFactory,
    TeacherSkillFactory,
    VenueFactory,
)
from venues.models import OpeningHours


@dataclass
class Node:
    """One community and one row of each kind that belongs to it."""

    community: object
    resident: object
    order: object
    venue: object
    booking: object
    course: object
    session: object
    registration: object
    group: object
    teacher: object

    @property
    def profile(self):
        return self.resident.profile


def make_node(community) -> Node:
    resident = ResidentFactory(profile__community=community, name=f"居民{community.code}")
    category = CategoryFactory()
    order = orders.order_place(resident=resident, category=category)
    venue = VenueFactory(community=community)
    course = CourseFactory(community=community, category=category)
    session = SessionFactory(course=course, venue=venue)
    booking = BookingFactory(venue=venue, session=session, starts_at=session.starts_at, ends_at=session.ends_at)
    registration = RegistrationFactory(course=course, resident=resident)
    # Kept by PostgreSQL triggers for classes with a waiting list; made here so that every database has one.
    WaitingList.objects.get_or_create(course=course)
    group = InterestGroupFactory(community=community, category=category)
    GroupMembershipFactory(group=group, user=resident)
    # The rest of the community's rows, so that every admin has something on each side of the border.
    staff = StaffFactory(role=Role.COMMUNITY_STAFF, community=community, name=f"社工{community.code}")
    GridFactory(community=community)
    CollegeStarRecordFactory(college=CollegeFactory(community=community))
    ResidentAvailability.objects.create(profile=resident.profile, weekday=Weekday.MONDAY, start=time(9), end=time(11))
    OpeningHours.objects.create(venue=venue, weekday=Weekday.MONDAY, start=time(8), end=time(21))
    TeacherSkillFactory(teacher=course.teacher, category=category)
    TeacherAvailability.objects.create(teacher=course.teacher, weekday=Weekday.MONDAY, start=time(8), end=time(12))
    Attendance.objects.create(session=session, resident=resident)
    PolicyTalkFactory(session=session)
    SessionRatingFactory(session=session, resident=resident, comment="老师讲得很好")
    teacher_recommendation_submit(resident=resident, name=f"推荐{community.code}", categories=[category])
    _noshow_rows(community, resident, session, registration)
    node = Node(community, resident, order, venue, booking, course, session, registration, group, course.teacher)
    # Every activities model needs a row in each node for the scope matrix: matching proposals too.
    from tests.dispatch.helpers import proposal_for_node

    proposal_for_node(node)
    from accounts.api.services import api_token_create

    api_token_create(user=resident, name="phone")
    _showcase_rows(community, group=group, venue=venue, staff=staff)
    _recognition_rows(community, resident=resident, course=course, group=group, venue=venue, staff=staff)
    _sharing_rows(community, course=course)
    return node


def _sharing_rows(community, *, course) -> None:
    """Issue 18's shared rows: a class template with a copy in the community, the district's version of an
    interest. Written directly: fixtures for the admin's scoping (tests/sharing covers the services)."""
    from activities.models import CourseTemplate, CourseTemplateCopy
    from interests.models import DistrictCategory

    district_id = community.street.district_id
    template = CourseTemplate.objects.create(
        title=course.title, category=course.category, capacity=course.capacity, source_course=course,
        district_id=district_id,
    )
    CourseTemplateCopy.objects.create(template=template, course=course, district_id=district_id)
    category = course.category
    DistrictCategory.objects.create(
        district_id=district_id, category=category, name=category.name, min_size=category.min_size,
        max_size=category.max_size,
    )


def _noshow_rows(community, resident, session, registration) -> None:
    """A certificate, a reconfirmation request, a no-show rule and volunteer hours of the community."""
    from datetime import timedelta

    from accounts.enums import Role as Roles
    from activities.certificates import certificate_issue
    from activities.models import NoShowRule, Reconfirmation, VolunteerShift
    from tests.factories import RoleAssignmentFactory, TermFactory, UserFactory

    certificate_issue(kind="course_completion", holder=resident, subject=f"course:{session.course_id}", title="结业证书")
    Reconfirmation.objects.create(
        registration=registration, session=session, resident=resident, reason="waiting_list",
        deadline=session.starts_at - timedelta(hours=2),
    )
    NoShowRule.objects.create(
        resident=resident, term=TermFactory(district=community.street.district), community=community, absences=3
    )
    helper = UserFactory(name=f"志愿者{community.code}")
    RoleAssignmentFactory(user=helper, role=Roles.VOLUNTEER)
    VolunteerShift.objects.create(volunteer=helper, session=session, hours=2)
def _showcase_rows(community, *, group, venue, staff) -> None:
    """A showcase (proposed by staff, approved), a photo of it and a story: one of each per node."""
    from datetime import timedelta

    from django.utils import timezone

    from activities.models import ShowcaseMedia
    from activities.showcases import story_create
    from tests.factories.showcases import approved

    starts_at = timezone.now().replace(microsecond=0) + timedelta(days=20)
    showcase = approved(group=group, leader=staff, venue=venue, staff=staff, starts_at=starts_at)
    ShowcaseMedia.objects.create(
        showcase=showcase,
        community=community,
        name="showcases/none.jpg",
        thumbnail="showcases/none.thumb.jpg",
        content_type="image/jpeg",
        width=10,
        height=10,
        consent_confirmed=True,
        uploaded_by=staff,
    )
    story_create(actor=staff, community=community, title=f"故事{community.code}", body="……")


def _recognition_rows(community, *, resident, course, group, venue, staff) -> None:
    """A venue manager, a priority pass and a street round of the community's street with one row of each
    kind (category, candidate, nomination, vote, objection)."""
    from activities.models import PriorityPass
    from ratings.enums import CandidateKind, CandidateSource
    from ratings.models import Candidate, Nomination, Objection, RecognitionCategory, RecognitionRound, Vote
    from tests.factories import TermFactory, UserFactory
    from venues.models import VenueManager

    VenueManager.objects.create(user=UserFactory(name=f"场地方{community.code}"), venue=venue)
    round = RecognitionRound.objects.create(
        title=f"榜样评选{community.code}",
        term=TermFactory(district=community.street.district),
        street=community.street,
        opened_by=staff,
    )
    category = RecognitionCategory.objects.create(round=round, name="优秀兴趣小组", kind=CandidateKind.GROUP)
    candidate = Candidate.objects.create(
        category=category, round=round, group=group, community=community, source=CandidateSource.NOMINATION
    )
    Nomination.objects.create(candidate=candidate, nominator=resident, reason="活动办得好")
    Vote.objects.create(round=round, category=category, candidate=candidate, voter=resident)
    Objection.objects.create(candidate=candidate, raised_by=resident, reason="有异议")
    PriorityPass.objects.create(
        holder=resident, course=course, days_early=3, reason=f"recognition#{candidate.pk} {round.title}"
    )


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def changelist_pks(response) -> set[int]:
    return {obj.pk for obj in response.context["cl"].result_list}


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []

