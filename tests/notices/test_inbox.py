"""The in-site inbox: the list, marking read, the unread badge and its context processor."""

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notices.context_processors import unread_notices
from notices.enums import Purpose
from notices.models import Notice

pytestmark = pytest.mark.django_db


def _notice(user, n=1, **kwargs):
    fields = {
        "recipient": user,
        "purpose": Purpose.ORDER_ACCEPTED,
        "object_key": f"order:{n}",
        "language": "en",
        "title": f"Notice {n}",
        "body": "Line one\nSee https://college.example.org/me/orders/",
        "url": "/me/orders/",
        **kwargs,
    }
    return Notice.objects.create(**fields)


@pytest.fixture
def resident_client(client, make_resident):
    resident = make_resident(language="en")
    client.force_login(resident, backend="accounts.backends.PhoneOrEmailBackend")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client, resident


def test_inbox_lists_my_notices_in_constant_queries(resident_client, make_resident):
    client, resident = resident_client
    _notice(make_resident(), 99, title="Someone else's")
    counts = []
    for rows in (1, 3):
        Notice.objects.filter(recipient=resident).delete()
        for n in range(rows):
            _notice(resident, n)
        # session, user, the paginator's count, the page of notices (+ the header badge's count once
        # base.html includes it): the same for one notice and for three
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("notices:inbox"))
        counts.append(len(queries))
        assert [n.title for n in response.context["notices"]] == [
            f"Notice {n}" for n in reversed(range(rows))
        ]
    assert counts[0] == counts[1] <= 5
    html = response.content.decode()
    assert "Someone else's" not in html
    assert '<a href="https://college.example.org/me/orders/"' in html


def test_inbox_needs_signing_in(client):
    response = client.get(reverse("notices:inbox"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_mark_read_only_my_own_notice(resident_client, make_resident):
    client, resident = resident_client
    mine, theirs = _notice(resident), _notice(make_resident(), 2)
    response = client.post(reverse("notices:read", args=[mine.pk]))
    assert (response.status_code, response["Location"]) == (302, reverse("notices:inbox"))
    client.post(reverse("notices:read", args=[theirs.pk]))
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.is_read, theirs.is_read) == (True, False)


def test_mark_read_with_htmx_returns_the_notice_again(resident_client):
    client, resident = resident_client
    notice = _notice(resident)
    response = client.post(reverse("notices:read", args=[notice.pk]), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.startswith(f'<li class="list-group-item py-3" id="notice-{notice.pk}">')
    assert "Mark as read" not in html


def test_mark_all_read(resident_client):
    client, resident = resident_client
    for n in range(3):
        _notice(resident, n)
    client.post(reverse("notices:read_all"))
    assert Notice.objects.filter(recipient=resident, read_at__isnull=True).count() == 0


def test_unread_badge_partial_counts_unread(resident_client):
    client, resident = resident_client
    _notice(resident, 1)
    read = _notice(resident, 2)
    client.post(reverse("notices:read", args=[read.pk]))
    html = client.get(reverse("notices:unread")).content.decode()
    assert (
        '<span class="badge rounded-pill text-bg-danger">1<span class="visually-hidden"> unread</span></span>'
        in html
    )
    assert 'hx-trigger="every 60s"' in html


def test_unread_badge_is_empty_for_visitors(client):
    assert client.get(reverse("notices:unread")).content.decode().strip() == ""


def test_context_processor_counts_only_when_the_badge_is_shown(make_resident, django_assert_num_queries):
    resident = make_resident()
    _notice(resident)
    request = RequestFactory().get("/")
    request.user = resident
    with django_assert_num_queries(0):
        context = unread_notices(request)
    with django_assert_num_queries(1):
        html = render_to_string("notices/_badge.html", {**context, "user": resident})
    assert ">1<" in html
