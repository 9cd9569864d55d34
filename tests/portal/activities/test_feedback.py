"""返单: stars and a comment after a session I attended; once, editable for seven days; closes the order."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from activities import orders as order_services
from activities.models import Attendance, OrderEvent
from community_college.errors import ConflictError
from interests.enums import OrderStatus
from ratings import services
from ratings.models import SessionRating
from tests.factories import (
    AttendanceFactory,
    OrderFactory,
    RegistrationFactory,
    ResidentFactory,
    SessionFactory,
    SessionRatingFactory,
    StaffFactory,
)

from .conftest import make_course


def _past_session(community, **kwargs):
    course = make_course(community, sessions=0, **kwargs)
    start = timezone.now().replace(microsecond=0) - timedelta(days=1)
    return SessionFactory(course=course, venue=course.venue, starts_at=start, ends_at=start + timedelta(hours=1))


def _url(session):
    return reverse("ratings:session_feedback", args=[session.pk])


def _dispatched_order(resident, course):
    staff = StaffFactory(community=course.community)
    order = OrderFactory(resident=resident, category=course.category)
    order_services.order_accept(order=order, actor=staff)
    order_services.order_dispatch(order=order, actor=staff, course=course)
    RegistrationFactory(course=course, resident=resident, status="confirmed", order=order)
    return order


# --- the service ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_feedback_submit_before_attending_is_refused(resident, community):
    session = _past_session(community)
    with pytest.raises(ConflictError) as excinfo:
        services.feedback_submit(session=session, resident=resident, stars=4)
    assert excinfo.value.code == "not_attended"
    assert SessionRating.objects.count() == 0


@pytest.mark.django_db
def test_feedback_submit_absent_is_refused(resident, community):
    session = _past_session(community)
    AttendanceFactory(session=session, resident=resident, attended=False)
    with pytest.raises(ConflictError):
        services.feedback_submit(session=session, resident=resident, stars=4)


@pytest.mark.django_db
def test_feedback_submit_once_per_session_then_edits(resident, community):
    session = _past_session(community)
    AttendanceFactory(session=session, resident=resident)
    first = services.feedback_submit(session=session, resident=resident, stars=3, comment="还行")
    second = services.feedback_submit(session=session, resident=resident, stars=5, comment="很好")
    assert first.pk == second.pk
    assert list(SessionRating.objects.values_list("stars", "comment")) == [(5, "很好")]


@pytest.mark.django_db
def test_feedback_submit_after_seven_days_is_refused(resident, community):
    session = _past_session(community)
    AttendanceFactory(session=session, resident=resident)
    rating = SessionRatingFactory(session=session, resident=resident, stars=2, created=timezone.now() - timedelta(days=8))
    with pytest.raises(ConflictError) as excinfo:
        services.feedback_submit(session=session, resident=resident, stars=5)
    assert excinfo.value.code == "edit_window_closed"
    rating.refresh_from_db()
    assert rating.stars == 2


@pytest.mark.django_db
def test_feedback_submit_completes_the_dispatched_order(resident, community):
    session = _past_session(community)
    order = _dispatched_order(resident, session.course)
    AttendanceFactory(session=session, resident=resident)
    services.feedback_submit(session=session, resident=resident, stars=5)
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    assert order.completed_at is not None
    last = OrderEvent.objects.filter(order=order).latest("at", "id")
    assert (last.from_status, last.to_status, last.actor_id) == ("dispatched", "completed", resident.pk)
    # Editing the feedback later leaves the completed order alone.
    services.feedback_submit(session=session, resident=resident, stars=4)
    assert OrderEvent.objects.filter(order=order, to_status="completed").count() == 1


@pytest.mark.django_db
def test_feedback_submit_leaves_other_orders_alone(resident, community):
    session = _past_session(community)
    other_course = make_course(community)
    other = _dispatched_order(resident, other_course)
    submitted = OrderFactory(resident=resident, category=session.course.category)
    AttendanceFactory(session=session, resident=resident)
    services.feedback_submit(session=session, resident=resident, stars=5)
    other.refresh_from_db()
    submitted.refresh_from_db()
    assert (other.status, submitted.status) == ("dispatched", "submitted")


@pytest.mark.django_db
def test_feedback_submit_is_one_transaction(resident, community, monkeypatch):
    """If completing the order fails, the rating is not kept either: nothing is half-saved."""
    session = _past_session(community)
    order = _dispatched_order(resident, session.course)
    AttendanceFactory(session=session, resident=resident)

    def broken(**kwargs):
        raise IntegrityError("simulated failure while completing the order")

    monkeypatch.setattr(services, "order_complete", broken)
    with pytest.raises(IntegrityError):
        services.feedback_submit(session=session, resident=resident, stars=5)
    assert SessionRating.objects.count() == 0
    order.refresh_from_db()
    assert order.status == OrderStatus.DISPATCHED


# --- the pages -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_feedback_page_has_accessible_star_radios(resident_client, resident, community):
    session = _past_session(community)
    AttendanceFactory(session=session, resident=resident)
    response = resident_client.get(_url(session))
    assert response.status_code == 200
    text = response.text
    for stars in range(1, 6):
        assert f'type="radio" name="stars" value="{stars}"' in text
        assert f'for="id_stars_{stars - 1}"' in text
    assert "<legend" in text and "How was the session?" in text
    assert "5 stars · Excellent" in text
    assert 'for="id_comment"' in text


@pytest.mark.django_db
def test_feedback_post_saves_and_redirects_to_the_list(resident_client, resident, community):
    session = _past_session(community)
    order = _dispatched_order(resident, session.course)
    AttendanceFactory(session=session, resident=resident)
    response = resident_client.post(_url(session), {"stars": "4", "comment": "  老师很耐心  "})
    assert response.status_code == 302
    assert response.url == reverse("ratings:pending")
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Thank you for your feedback."]
    assert list(SessionRating.objects.values_list("resident_id", "stars", "comment")) == [(resident.pk, 4, "老师很耐心")]
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED


@pytest.mark.django_db
@pytest.mark.parametrize("stars", ["", "0", "6", "five"])
def test_feedback_post_invalid_stars_is_refused(resident_client, resident, community, stars):
    session = _past_session(community)
    AttendanceFactory(session=session, resident=resident)
    response = resident_client.post(_url(session), {"stars": stars})
    assert response.status_code == 200
    assert response.context["form"].errors["stars"]
    assert SessionRating.objects.count() == 0


@pytest.mark.django_db
def test_feedback_before_attending_is_refused_on_the_page(resident_client, resident, community):
    session = _past_session(community)
    response = resident_client.get(_url(session))
    assert response.status_code == 403
    assert "only on a session you attended" in response.text
    assert 'name="stars"' not in response.text
    response = resident_client.post(_url(session), {"stars": "5"})
    assert response.status_code == 403
    assert "You can rate a session only after attending it." in response.text
    assert SessionRating.objects.count() == 0


@pytest.mark.django_db
def test_feedback_after_seven_days_is_refused_on_the_page(resident_client, resident, community):
    session = _past_session(community)
    AttendanceFactory(session=session, resident=resident)
    SessionRatingFactory(session=session, resident=resident, stars=2, created=timezone.now() - timedelta(days=8))
    response = resident_client.get(_url(session))
    assert response.status_code == 403
    assert "You gave 2 stars." in response.text
    response = resident_client.post(_url(session), {"stars": "5"})
    assert "A rating can only be changed within seven days." in response.text
    assert SessionRating.objects.get().stars == 2


@pytest.mark.django_db
def test_feedback_edit_within_seven_days_is_prefilled(resident_client, resident, community):
    session = _past_session(community)
    AttendanceFactory(session=session, resident=resident)
    SessionRatingFactory(session=session, resident=resident, stars=3, comment="一般", created=timezone.now() - timedelta(days=6))
    response = resident_client.get(_url(session))
    assert response.status_code == 200
    assert 'value="3" class="btn-check" id="id_stars_2" required checked' in response.text
    assert "Save my changes" in response.text


@pytest.mark.django_db
def test_feedback_anonymous_is_sent_to_sign_in(client, community):
    session = _past_session(community)
    response = client.get(_url(session))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.django_db
def test_feedback_missing_session_is_404(resident_client):
    assert resident_client.get(reverse("ratings:session_feedback", args=[987654])).status_code == 404


@pytest.mark.django_db
def test_pending_lists_attended_unrated_recent_sessions(resident_client, resident, community):
    rated = _past_session(community, title="rated")
    unrated = _past_session(community, title="unrated")
    absent = _past_session(community, title="absent")
    future = make_course(community, title="future").sessions.get()
    for session in (rated, unrated, future):
        AttendanceFactory(session=session, resident=resident)
    Attendance.objects.create(session=absent, resident=resident, attended=False)
    SessionRatingFactory(session=rated, resident=resident)
    other = ResidentFactory()
    AttendanceFactory(session=rated, resident=other)
    response = resident_client.get(reverse("ratings:pending"))
    assert [s.course.title for s in response.context["page"]] == ["unrated"]
    assert [r.session.course.title for r in response.context["editable"]] == ["rated"]
    assert reverse("ratings:session_feedback", args=[unrated.pk]) in response.text


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 50])
def test_pending_queries_do_not_grow_with_rows(resident_client, resident, community, django_assert_num_queries, rows):
    course = make_course(community, sessions=0)
    start = timezone.now().replace(microsecond=0) - timedelta(days=20)
    for n in range(rows):
        session = SessionFactory(course=course, venue=course.venue, starts_at=start + timedelta(hours=n))
        AttendanceFactory(session=session, resident=resident)
        if n % 2:
            SessionRatingFactory(session=session, resident=resident)
    # session, user, count of the awaiting, the page of them, my editable ratings
    with django_assert_num_queries(5):
        response = resident_client.get(reverse("ratings:pending"))
    assert len(response.context["page"].object_list) == min((rows + 1) // 2, 20)


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 50])
def test_feedback_page_queries_do_not_grow_with_rows(resident_client, resident, community, django_assert_num_queries, rows):
    session = _past_session(community)
    AttendanceFactory(session=session, resident=resident)
    for _ in range(rows):
        other = ResidentFactory()
        AttendanceFactory(session=session, resident=other)
        SessionRatingFactory(session=session, resident=other)
    # session, user, the session (with class, teacher, venues), attended?, my rating
    with django_assert_num_queries(5):
        resident_client.get(_url(session))
