"""The personal iCal feed: RFC 5545 structure, escaping and folding, the token as the only key."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from activities import ical
from activities.enums import RegistrationStatus, SessionStatus
from tests.factories import (
    PolicyTalkFactory,
    RegistrationFactory,
    ResidentFactory,
    SessionFactory,
    TeacherFactory,
    VenueFactory,
)

from .conftest import make_course


def parse(body: str) -> dict:
    """A strict little reader: CRLF only, no physical line over 75 octets, balanced BEGIN/END.

    Returns {"calendar": {name: value}, "events": [{name: value}]} with TEXT values unescaped.
    """
    assert body.endswith("\r\n")
    physical = body[:-2].split("\r\n")
    assert all("\n" not in line and "\r" not in line for line in physical)
    assert all(len(line.encode()) <= 75 for line in physical), max(physical, key=lambda x: len(x.encode()))
    logical: list[str] = []
    for line in physical:
        if line.startswith((" ", "\t")):
            logical[-1] += line[1:]
        else:
            logical.append(line)
    stack, calendar, events = [], {}, []
    for line in logical:
        name, _sep, value = line.partition(":")
        assert _sep, line
        if name == "BEGIN":
            stack.append(value)
            if value == "VEVENT":
                events.append({})
            continue
        if name == "END":
            assert stack.pop() == value
            continue
        target = events[-1] if stack[-1] == "VEVENT" else calendar
        target[name] = _unescape(value)
    assert stack == []
    return {"calendar": calendar, "events": events}


def _unescape(value: str) -> str:
    out, chars = [], iter(value)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars)
            out.append("\n" if nxt in "nN" else nxt)
        else:
            out.append(ch)
    return "".join(out)


def _feed(client, resident):
    return client.get(reverse("activities:ical", args=[resident.profile.calendar_token]))


def test_ical_escape_text():
    assert ical.escape_text("a,b;c\\d\ne\r\nf") == "a\\,b\\;c\\\\d\\ne\\nf"


def test_ical_fold_never_splits_a_utf8_character():
    line = "SUMMARY:" + "太极拳" * 40
    folded = ical.fold(line)
    parts = folded.split("\r\n")
    assert len(parts) > 1
    assert all(len(p.encode()) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert "".join([parts[0], *[p[1:] for p in parts[1:]]]) == line


def test_ical_fold_leaves_short_lines_alone():
    assert ical.fold("VERSION:2.0") == "VERSION:2.0"
    exactly = "X" * 75
    assert ical.fold(exactly) == exactly


def test_ical_calendar_round_trips_awkward_text():
    event = ical.Event(
        uid="session-1@x",
        start=datetime(2026, 10, 5, 9, 0, tzinfo=UTC),
        end=datetime(2026, 10, 5, 10, 30, tzinfo=UTC),
        summary="书法; 楷书, 入门 \\ 班",
        description="第一行\n第二行" + "很长的说明" * 30,
    )
    parsed = parse(ical.calendar([event], name="我的课程", prodid="-//t//t//EN", now=datetime(2026, 10, 1, tzinfo=UTC)))
    (got,) = parsed["events"]
    assert got["SUMMARY"] == "书法; 楷书, 入门 \\ 班"
    assert got["DESCRIPTION"] == "第一行\n第二行" + "很长的说明" * 30
    assert (got["DTSTART"], got["DTEND"], got["DTSTAMP"]) == ("20261005T090000Z", "20261005T103000Z", "20261001T000000Z")
    assert parsed["calendar"]["VERSION"] == "2.0"


@pytest.mark.django_db
def test_ical_feed_lists_my_confirmed_sessions(client, resident, community):
    venue = VenueFactory(community=community, name="金山活动室", address="金渝大道1号, 3楼", latitude=29.6512, longitude=106.5523)
    course = make_course(community, title="太极拳班", venue=venue, teacher=TeacherFactory(name="王老师"), sessions=2)
    RegistrationFactory(course=course, resident=resident, status=RegistrationStatus.CONFIRMED)
    first, second = course.sessions.order_by("starts_at")
    PolicyTalkFactory(session=first, topic="防范电信网络诈骗")
    response = _feed(client, resident)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response["Cache-Control"]
    parsed = parse(response.content.decode())
    events = parsed["events"]
    assert [e["UID"] for e in events] == [f"session-{first.pk}@community-college", f"session-{second.pk}@community-college"]
    event = events[0]
    assert event["SUMMARY"] == "太极拳班"
    assert event["LOCATION"] == "金山活动室, 金渝大道1号, 3楼"
    assert event["GEO"] == "29.651200;106.552300"
    assert event["DTSTART"] == first.starts_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert event["DTEND"] == first.ends_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    assert event["DESCRIPTION"] == "Teacher: 王老师\nFive minutes before class: 防范电信网络诈骗"
    assert event["STATUS"] == "CONFIRMED"
    assert event["URL"].endswith(reverse("activities:course_detail", args=[course.pk]))
    assert events[1]["DESCRIPTION"] == "Teacher: 王老师"


@pytest.mark.django_db
def test_ical_uid_is_stable_between_fetches(client, resident, community):
    course = make_course(community)
    RegistrationFactory(course=course, resident=resident, status=RegistrationStatus.CONFIRMED)
    uids = [[e["UID"] for e in parse(_feed(client, resident).content.decode())["events"]] for _ in range(2)]
    assert uids[0] == uids[1] != []


@pytest.mark.django_db
def test_ical_feed_leaves_out_waiting_cancelled_old_and_other_residents(client, resident, community):
    waiting = make_course(community, title="waiting")
    RegistrationFactory(course=waiting, resident=resident, status=RegistrationStatus.WAITLISTED)
    cancelled = make_course(community, title="cancelled")
    RegistrationFactory(course=cancelled, resident=resident, status=RegistrationStatus.CANCELLED)
    theirs = make_course(community, title="theirs")
    RegistrationFactory(course=theirs, resident=ResidentFactory(), status=RegistrationStatus.CONFIRMED)
    mine = make_course(community, title="mine", sessions=0)
    RegistrationFactory(course=mine, resident=resident, status=RegistrationStatus.CONFIRMED)
    now = timezone.now()
    for days in (-40, -20):  # a month back is kept, older is not
        SessionFactory(course=mine, venue=mine.venue, starts_at=now + timedelta(days=days))
    events = parse(_feed(client, resident).content.decode())["events"]
    assert [e["SUMMARY"] for e in events] == ["mine"]


@pytest.mark.django_db
def test_ical_cancelled_session_stays_as_cancelled(client, resident, community):
    course = make_course(community)
    RegistrationFactory(course=course, resident=resident, status=RegistrationStatus.CONFIRMED)
    course.sessions.update(status=SessionStatus.CANCELLED)
    (event,) = parse(_feed(client, resident).content.decode())["events"]
    assert event["STATUS"] == "CANCELLED"


@pytest.mark.django_db
def test_ical_is_written_in_the_residents_language(client, community):
    resident = ResidentFactory(profile__community=community, language="zh-hans")
    course = make_course(community, teacher=TeacherFactory(name="王老师"))
    RegistrationFactory(course=course, resident=resident, status=RegistrationStatus.CONFIRMED)
    from django.utils import translation

    with translation.override("zh-hans"):
        expected = translation.gettext("Teacher: %(name)s") % {"name": "王老师"}
    (event,) = parse(_feed(client, resident).content.decode())["events"]
    assert event["DESCRIPTION"] == expected


@pytest.mark.django_db
def test_ical_wrong_token_is_404(client, resident):
    assert client.get(reverse("activities:ical", args=["x" * 43])).status_code == 404
    assert client.get(f"/calendar/{resident.profile.calendar_token[:-1]}.ics").status_code == 404
    assert client.get("/calendar/short.ics").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 50])
def test_ical_queries_do_not_grow_with_rows(client, resident, community, django_assert_num_queries, rows):
    for n in range(rows):
        course = make_course(community, sessions=1, starts_in=timedelta(days=1 + n))
        RegistrationFactory(course=course, resident=resident, status=RegistrationStatus.CONFIRMED)
        PolicyTalkFactory(session=course.sessions.get())
    # profile by token (with its user), sessions (with class, teacher, venues, policy talk)
    with django_assert_num_queries(2):
        response = _feed(client, resident)
    assert len(parse(response.content.decode())["events"]) == rows
