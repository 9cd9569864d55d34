"""Residents' data rights: download everything (JSON and page), close the account (erased or anonymised
in one transaction, figures and other people's records intact, sign-ins ended, an audit row without
personal data), and the retention purge of notices and delivery logs."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone, translation
from rest_framework.test import APIClient

from accounts.api.services import api_token_create
from accounts.models import User
from activities.models import Attendance, Order, Registration
from notices.enums import DeliveryStatus, Purpose
from notices.models import Delivery, Notice
from privacy.models import AccountClosure
from privacy.services import account_close, records_purge
from ratings.models import SessionRating
from tests.factories import (
    AttendanceFactory,
    OrderFactory,
    RegistrationFactory,
    ResidentFactory,
    SessionFactory,
    SessionRatingFactory,
    UserFactory,
)
from tests.privacy.civic import civic_life, civic_world

pytestmark = pytest.mark.django_db

PHONE = "13987654321"


def _notice(user, key: str, created=None) -> Notice:
    return Notice.objects.create(
        recipient=user,
        purpose=Purpose.REGISTRATION_CONFIRMED,
        object_key=key,
        language="en",
        title=f"Confirmed {key}",
        body="See you there",
        created=created or timezone.now(),
    )


def _life(user, sessions) -> None:
    """Orders, registrations, attendance, a rating with a comment and a notice for `user`."""
    for session in sessions:
        OrderFactory(resident=user, note=f"weekend please {session.pk}")
        RegistrationFactory(course=session.course, resident=user, status="confirmed")
        AttendanceFactory(session=session, resident=user)
        SessionRatingFactory(session=session, resident=user, stars=4, comment=f"great teacher {session.pk}")
        _notice(user, f"registration:{session.pk}")


@pytest.fixture
def people():
    sessions = [SessionFactory(), SessionFactory()]
    resident = ResidentFactory(phone=PHONE, email="me@example.com", name="王小明", profile__community=sessions[0].course.community)
    neighbour = ResidentFactory(name="李四", profile__community=sessions[0].course.community)
    _life(resident, sessions)
    _life(neighbour, sessions[:1])
    return resident, neighbour, sessions


def test_download_holds_everything_about_me_and_nothing_about_others(client, people):
    resident, neighbour, _ = people
    client.force_login(resident)
    response = client.get("/me/data/?format=json")
    assert response["Content-Disposition"] == 'attachment; filename="my-data.json"'
    data = json.loads(response.content)
    assert data["account"]["phone"] == PHONE and data["account"]["name"] == "王小明"
    assert set(data["consents"]) == {"sms", "email", "recommendations"} and data["consents"]["sms"] is True
    assert [len(data[key]) for key in ("orders", "registrations", "attendance", "ratings", "notices")] == [2, 2, 2, 2, 2]
    assert sorted(r["comment"] for r in data["ratings"]) == sorted(
        f"great teacher {r.session_id}" for r in SessionRating.objects.filter(resident=resident)
    )
    assert "李四" not in response.content.decode()
    page = client.get("/me/data/")
    assert page.status_code == 200 and "weekend please" in page.content.decode()


@pytest.mark.parametrize("sessions", [1, 3])
def test_download_queries_do_not_grow_with_rows(client, django_assert_num_queries, settings, tmp_path, sessions):
    settings.UPLOAD_ROOT = tmp_path / "uploads"
    resident = ResidentFactory()
    _life(resident, [SessionFactory() for _ in range(sessions)])
    civic_life(civic_world(resident.profile.community), resident, sessions, "mine")
    client.force_login(resident)
    # session, user, profile, community, grid?, interests, availability, orders, order events, registrations,
    # attendance, ratings, notices, groups, recommendations, tokens (15); then one query per 协商议事 kind —
    # matters (with community and category), photos, comments, comment reports, confirmations, supports,
    # votes (with the decision), meetings, timeline steps — and one for pledges (with the campaign): 25.
    with django_assert_num_queries(25):
        assert client.get("/me/data/?format=json").status_code == 200


def test_closing_erases_me_keeps_the_figures_and_ends_every_sign_in(client, people):
    resident, neighbour, sessions = people
    token = api_token_create(user=resident, name="phone")[1]
    client.force_login(resident)
    before = {
        "ratings": SessionRating.objects.count(),
        "stars": sorted(SessionRating.objects.values_list("stars", flat=True)),
        "registrations": Registration.objects.count(),
        "attendance": Attendance.objects.count(),
        "orders": Order.objects.count(),
    }
    neighbour_row = User.objects.filter(pk=neighbour.pk).values().get()

    response = client.post("/me/close/", {"confirm": "on"})
    assert response.status_code == 302

    closed = User.objects.get(pk=resident.pk)
    assert (closed.phone, closed.email, closed.name, closed.is_active, closed.has_usable_password()) == (
        None, f"closed-{resident.pk}@closed.invalid", "", False, False
    )
    assert closed.profile.latitude is None and closed.profile.consent_sms is False
    # The figures stand, the person is gone from them.
    assert before == {
        "ratings": SessionRating.objects.count(),
        "stars": sorted(SessionRating.objects.values_list("stars", flat=True)),
        "registrations": Registration.objects.count(),
        "attendance": Attendance.objects.count(),
        "orders": Order.objects.count(),
    }
    assert set(SessionRating.objects.filter(resident=resident).values_list("comment", flat=True)) == {""}
    assert set(Order.objects.filter(resident=resident).values_list("note", flat=True)) == {""}
    assert set(Order.history.filter(resident=resident).values_list("note", flat=True)) <= {""}
    assert Notice.objects.filter(recipient=resident).count() == 0
    # Other people's records are untouched.
    assert User.objects.filter(pk=neighbour.pk).values().get() == neighbour_row
    assert Notice.objects.filter(recipient=neighbour).count() == 1
    assert SessionRating.objects.get(resident=neighbour).comment.startswith("great teacher")
    # Sign-ins ended: the browser session and the app token.
    assert client.get("/me/data/").status_code == 302
    assert APIClient().get("/api/v1/registrations/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401
    # The audit row says what happened, never to whom beyond the account id.
    audit = AccountClosure.objects.get()
    assert audit.account_id == resident.pk and audit.counts["notices"] == 2
    dumped = json.dumps(list(AccountClosure.objects.values()), default=str, ensure_ascii=False)
    for personal in (PHONE, "me@example.com", "王小明", "great teacher", "weekend please"):
        assert personal not in dumped


def test_closing_needs_the_confirmation_and_refuses_staff(client, people):
    resident, _, _ = people
    client.force_login(resident)
    assert client.post("/me/close/", {}).status_code == 200
    assert User.objects.get(pk=resident.pk).is_active
    staff = UserFactory(is_staff=True)
    with translation.override("en"), pytest.raises(Exception, match="Staff accounts"):
        account_close(user=staff)
    assert AccountClosure.objects.count() == 0


def test_retention_purge_deletes_old_notices_and_delivery_logs_only(settings, people):
    resident, neighbour, _ = people
    settings.PRIVACY_RETENTION_DAYS = 180
    old = timezone.now() - timedelta(days=200)
    sent_old = _notice(resident, "old:1", created=old)
    Delivery.objects.create(notice=sent_old, channel="sms", status=DeliveryStatus.SENT, sent_at=old, not_before=old, created=old)
    waiting_old = _notice(neighbour, "old:2", created=old)
    Delivery.objects.create(notice=waiting_old, channel="sms", not_before=old, created=old)
    recent = Notice.objects.filter(recipient=resident).exclude(pk=sent_old.pk).count()

    purged = records_purge()
    assert (purged.deliveries, purged.notices) == (1, 1)
    assert not Notice.objects.filter(pk=sent_old.pk).exists()
    assert Notice.objects.filter(pk=waiting_old.pk).exists()  # still to be sent: kept
    assert Notice.objects.filter(recipient=resident).count() == recent


def test_privacy_page_names_the_retention_period(client, settings):
    settings.PRIVACY_RETENTION_DAYS = 180
    response = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "kept for 180 days" in response.content.decode()
