import datetime as dt
from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from activities.enums import PolicyTalkStatus, RegistrationStatus
from activities.models import Attendance, Course, PolicyTalk, Registration, Session, Term, WeeklySlot


class TermFactory(DjangoModelFactory):
    class Meta:
        model = Term

    district = factory.SubFactory("tests.factories.accounts.DistrictFactory")
    name = factory.Sequence(lambda n: f"2026年第{n}学期")
    starts_on = dt.date(2026, 9, 1)
    ends_on = dt.date(2027, 1, 31)


class WeeklySlotFactory(DjangoModelFactory):
    class Meta:
        model = WeeklySlot
        django_get_or_create = ("code",)

    code = "mon-0900"
    weekday = 0
    start = dt.time(9, 0)
    end = dt.time(10, 30)


class CourseFactory(DjangoModelFactory):
    class Meta:
        model = Course

    title = factory.LazyAttribute(lambda o: f"{o.category.name}班")
    category = factory.SubFactory("tests.factories.interests.CategoryFactory")
    community = factory.SubFactory("tests.factories.accounts.CommunityFactory")
    teacher = factory.SubFactory("tests.factories.teachers.TeacherFactory", community=factory.SelfAttribute("..community"))
    capacity = 10


class SessionFactory(DjangoModelFactory):
    class Meta:
        model = Session

    course = factory.SubFactory(CourseFactory)
    venue = factory.SubFactory("tests.factories.venues.VenueFactory", community=factory.SelfAttribute("..course.community"))
    starts_at = factory.LazyFunction(lambda: timezone.now().replace(microsecond=0) + timedelta(days=2))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=1, minutes=30))
    capacity = factory.LazyAttribute(lambda o: o.course.capacity)


class RegistrationFactory(DjangoModelFactory):
    class Meta:
        model = Registration

    course = factory.SubFactory(CourseFactory)
    resident = factory.SubFactory("tests.factories.accounts.ResidentFactory")
    status = RegistrationStatus.WAITLISTED


class AttendanceFactory(DjangoModelFactory):
    class Meta:
        model = Attendance

    session = factory.SubFactory(SessionFactory)
    resident = factory.SubFactory("tests.factories.accounts.ResidentFactory")


class PolicyTalkFactory(DjangoModelFactory):
    class Meta:
        model = PolicyTalk

    session = factory.SubFactory(SessionFactory)
    department = factory.SubFactory("tests.factories.accounts.DepartmentFactory")
    topic = "防范电信网络诈骗"
    # Most tests want the talk residents see; the two-way choice's tests ask for a proposal explicitly.
    status = PolicyTalkStatus.CONFIRMED
