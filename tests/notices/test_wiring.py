"""The services announce what they do. These pass once the lead has wired `notices.hooks` into
interests/services.py and activities/services.py (one line per service function, see the report)."""

from datetime import timedelta

import pytest

from accounts.enums import Role
from activities import orders as order_services
from activities import services as activity_services
from notices.enums import Purpose
from notices.models import Notice
from tests.factories import CourseFactory, OrderFactory, SessionFactory, StaffFactory

pytestmark = pytest.mark.django_db


def _purposes(user):
    return list(Notice.objects.filter(recipient=user).order_by("id").values_list("purpose", flat=True))


def test_order_services_announce_accept_dispatch_and_reject(clock, place, make_resident, committed):
    staff = StaffFactory(role=Role.COMMUNITY_STAFF, community=place.community)
    course = CourseFactory(category=place.taiji, community=place.community, slot=place.slot)
    SessionFactory(course=course, starts_at=clock.now + timedelta(days=3))
    order = OrderFactory(resident=make_resident(), community=place.community, category=place.taiji)
    refused = OrderFactory(resident=make_resident(), community=place.community, category=place.taiji)
    with committed():
        order_services.order_accept(order=order, actor=staff)
        order_services.order_dispatch(order=order, actor=staff, course=course)
        order_services.order_reject(order=refused, actor=staff, reason="暂无老师")
    assert _purposes(order.resident) == [Purpose.ORDER_ACCEPTED, Purpose.ORDER_DISPATCHED]
    assert _purposes(refused.resident) == [Purpose.ORDER_REJECTED]


def test_registration_services_announce_places_waiting_and_moving_up(clock, place, make_resident, committed):
    course = CourseFactory(category=place.taiji, community=place.community, capacity=1, slot=place.slot)
    SessionFactory(course=course, starts_at=clock.now + timedelta(days=3))
    first, second = make_resident(), make_resident()
    with committed():
        registration = activity_services.registration_create(course=course, resident=first)
        activity_services.registration_create(course=course, resident=second)
    with committed():
        activity_services.registration_cancel(registration=registration, actor=first)
    assert _purposes(first) == [Purpose.REGISTRATION_CONFIRMED, Purpose.REGISTRATION_CANCELLED]
    assert _purposes(second) == [Purpose.REGISTRATION_WAITLISTED, Purpose.REGISTRATION_PROMOTED]


def test_course_cancel_frees_rooms_and_tells_everyone_registered(clock, place, make_resident, committed):
    from activities.enums import CourseStatus, SessionStatus
    from venues.enums import BookingStatus
    from venues.models import Booking

    staff = StaffFactory(role=Role.COMMUNITY_STAFF, community=place.community)
    course = CourseFactory(category=place.taiji, community=place.community, capacity=1, slot=place.slot)
    session = activity_services.session_schedule(
        course=course,
        starts_at=clock.now + timedelta(days=3),
        ends_at=clock.now + timedelta(days=3, hours=1),
        venue=SessionFactory(course=course).venue,
    )
    placed, waiting = make_resident(), make_resident()
    with committed():
        activity_services.registration_create(course=course, resident=placed)
        activity_services.registration_create(course=course, resident=waiting)
    with committed():
        activity_services.course_cancel(course=course, actor=staff)
    course.refresh_from_db()
    session.refresh_from_db()
    assert (course.status, course.confirmed_count, session.status) == (
        CourseStatus.CANCELLED,
        0,
        SessionStatus.CANCELLED,
    )
    assert Booking.objects.get(session=session).status == BookingStatus.CANCELLED
    assert _purposes(placed)[-1] == Purpose.CLASS_CANCELLED
    assert _purposes(waiting)[-1] == Purpose.CLASS_CANCELLED


def test_course_cancel_by_another_community_is_refused(place):
    from community_college.errors import ScopeError
    from tests.factories import CommunityFactory

    course = CourseFactory(category=place.taiji, community=place.community)
    outsider = StaffFactory(role=Role.COMMUNITY_STAFF, community=CommunityFactory())
    with pytest.raises(ScopeError):
        activity_services.course_cancel(course=course, actor=outsider)
    course.refresh_from_db()
    assert course.status == "open"


def test_course_edit_of_time_place_or_teacher_in_the_admin_tells_the_registered(clock, place, make_resident, committed, rf):
    from types import SimpleNamespace

    from django.contrib import admin

    from activities.models import Course
    from tests.factories import TeacherFactory

    staff = StaffFactory(role=Role.COMMUNITY_STAFF, community=place.community)
    course = CourseFactory(category=place.taiji, community=place.community, slot=place.slot)
    SessionFactory(course=course, starts_at=clock.now + timedelta(days=3))
    resident = make_resident()
    with committed():
        activity_services.registration_create(course=course, resident=resident)
    request = rf.post("/admin/")
    request.user = staff
    course_admin = admin.site._registry[Course]

    def _form(changed):
        # What the admin's ModelForm offers save_model: the changed fields and their cleaned values.
        return SimpleNamespace(
            changed_data=list(changed), cleaned_data=changed, fields={n: SimpleNamespace(disabled=False) for n in changed}
        )

    with committed():
        course.description = "只改了介绍"
        course_admin.save_model(request, course, _form({"description": course.description}), change=True)
    assert Purpose.CLASS_CHANGED not in _purposes(resident)
    # Time, place and teacher are read-only in the change form now: the admin's "change places, venue, time
    # or teacher" page changes them through `course_update`, which tells the registered once.
    with committed():
        activity_services.course_update(course=course, actor=staff, teacher=TeacherFactory(community=place.community))
    assert _purposes(resident)[-1] == Purpose.CLASS_CHANGED
    assert _purposes(resident).count(Purpose.CLASS_CHANGED) == 1
