"""Near misses in the portal: stored by a run, applied by staff, agreed by residents (frozen clock)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation

from activities import signals
from activities.dispatch.enums import MemberConsent, NearMissStatus, ProposedClassStatus
from activities.dispatch.near_miss import (
    describe,
    near_miss_answer,
    near_miss_apply,
    near_misses_expire,
    waiting_orders_notice,
)
from activities.dispatch.service import match_run, proposed_class_confirm
from activities.models import NearMiss, NearMissMember, Order, ProposedClass, UnassignedOrder, WaitingNotice
from activities.views_demand import share_url
from community_college.errors import ConflictError, InvalidTransition, ScopeError

from .helpers import accepted, category, resident, teacher, venue

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def calligraphy(town):
    """Two residents of A next to the room want 书法; a third lives 1.6 km away (beyond the 1.2 km circle).
    Community B has its own pair, 5 km away, that no relaxation reaches."""
    cat = category("书法", min_size=3, max_size=10)
    near = [accepted(resident(town.a, km=0.2), cat, town.staff_a) for _ in range(2)]
    far = accepted(resident(town.a, km=1.6), cat, town.staff_a)
    others = [accepted(resident(town.b, km=5.1), cat, town.staff_b) for _ in range(2)]
    room = venue(town.a, km=0.0)
    venue(town.b, km=5.0)
    tutor = teacher([cat], km=0.0)
    return {"category": cat, "near": near, "far": far, "others": others, "venue": room, "teacher": tutor}


@pytest.fixture
def asked():
    """The near_miss_asked announcements, as a listener sees them."""
    seen = []

    def listener(sender, near_miss_id, order_ids, **kwargs):
        seen.append((near_miss_id, sorted(order_ids)))

    signals.near_miss_asked.connect(listener)
    yield seen
    signals.near_miss_asked.disconnect(listener)


def _run(town):
    return match_run(node=town.street, greedy=True, time_limit=5.0, today=T0.date())


def test_run_stores_the_radius_near_miss_and_gathering_counts(town, calligraphy):
    outcome = _run(town)
    assert outcome.near_misses.by_relaxation()["radius"] == 1
    nm = NearMiss.objects.get()
    assert (nm.relaxation, nm.venue, nm.teacher, nm.status, nm.needed) == (
        "radius",
        calligraphy["venue"],
        calligraphy["teacher"],
        NearMissStatus.OPEN,
        3,
    )
    members = {m.order_id: m.extra for m in nm.members.all()}
    assert members == {**{o.pk: False for o in calligraphy["near"]}, calligraphy["far"].pk: True}
    with translation.override("en"):
        assert describe(nm) == "2 of 3, 1 more resident within 1.6 km"
    # Gathering counts: each near resident sees the other one; the far one is beyond the circle of both;
    # B's pair counts each other only.
    counts = dict(UnassignedOrder.objects.filter(latest=True).values_list("order_id", "neighbours"))
    assert counts == {
        calligraphy["near"][0].pk: 1,
        calligraphy["near"][1].pk: 1,
        calligraphy["far"].pk: 0,
        calligraphy["others"][0].pk: 1,
        calligraphy["others"][1].pk: 1,
    }
    assert outcome.run.solution["near_misses"][0]["relaxation"] == "radius"


def test_consent_flow_proposes_the_class_when_enough_agree(town, calligraphy, asked):
    _run(town)
    nm = NearMiss.objects.get()
    near_miss_apply(near_miss=nm, actor=town.staff_a, now=T0)
    nm.refresh_from_db()
    assert (nm.status, nm.asked_at, nm.deadline) == (NearMissStatus.ASKING, T0, T0 + timedelta(days=3))
    assert asked == [(nm.pk, [calligraphy["far"].pk])]
    far_member = NearMissMember.objects.get(order=calligraphy["far"])
    assert far_member.consent == MemberConsent.PENDING
    # The near residents are not asked: their walk and time do not change.
    assert set(nm.members.filter(extra=False).values_list("consent", flat=True)) == {MemberConsent.NOT_ASKED}

    # Someone else cannot answer for the resident.
    with pytest.raises(ScopeError):
        near_miss_answer(member=far_member, accept=True, actor=calligraphy["others"][0].resident, now=T0)
    near_miss_answer(
        member=far_member, accept=True, actor=calligraphy["far"].resident, now=T0 + timedelta(days=1)
    )
    nm.refresh_from_db()
    assert nm.status == NearMissStatus.PROPOSED
    pc = nm.proposed_class
    assert pc.status == ProposedClassStatus.PROPOSED
    assert sorted(pc.placements.values_list("order_id", flat=True)) == sorted(
        [o.pk for o in calligraphy["near"]] + [calligraphy["far"].pk]
    )
    course = proposed_class_confirm(proposed=pc, actor=town.staff_a, today=T0.date())
    assert course.registrations.count() == 3
    # B's orders were never touched.
    assert set(
        Order.objects.filter(pk__in=[o.pk for o in calligraphy["others"]]).values_list("status", flat=True)
    ) == {"accepted"}


def test_decline_lapses_and_an_answer_after_the_deadline_is_refused(town, calligraphy):
    _run(town)
    nm = NearMiss.objects.get()
    near_miss_apply(near_miss=nm, actor=town.staff_a, now=T0)
    member = NearMissMember.objects.get(order=calligraphy["far"])
    with pytest.raises(ConflictError):
        near_miss_answer(
            member=member, accept=True, actor=calligraphy["far"].resident, now=T0 + timedelta(days=4)
        )
    near_miss_answer(
        member=member, accept=False, actor=calligraphy["far"].resident, now=T0 + timedelta(hours=2)
    )
    nm.refresh_from_db()
    assert nm.status == NearMissStatus.LAPSED
    assert not ProposedClass.objects.exists()
    with pytest.raises(InvalidTransition):
        near_miss_apply(near_miss=nm, actor=town.staff_a, now=T0)


def test_overdue_answers_lapse_on_the_beat(town, calligraphy):
    _run(town)
    nm = NearMiss.objects.get()
    near_miss_apply(near_miss=nm, actor=town.staff_a, now=T0)
    assert near_misses_expire(now=T0 + timedelta(days=2)) == 0  # not due yet
    assert near_misses_expire(now=T0 + timedelta(days=3, minutes=1)) == 1
    nm.refresh_from_db()
    assert nm.status == NearMissStatus.LAPSED
    assert NearMissMember.objects.get(order=calligraphy["far"]).consent == MemberConsent.LAPSED


def test_staff_of_another_community_cannot_apply(town, calligraphy):
    _run(town)
    nm = NearMiss.objects.get()
    with pytest.raises(ScopeError):
        near_miss_apply(near_miss=nm, actor=town.staff_b, now=T0)
    assert NearMiss.objects.get().status == NearMissStatus.OPEN


def test_smaller_class_is_proposed_at_once_and_confirmed_with_its_size(town):
    cat = category("合唱", min_size=3, max_size=10)
    pair = [accepted(resident(town.a, km=0.2), cat, town.staff_a) for _ in range(2)]
    venue(town.a, km=0.0)
    teacher([cat], km=0.0, min_class_size=2)
    _run(town)
    nm = NearMiss.objects.get(relaxation="smaller")
    near_miss_apply(near_miss=nm, actor=town.staff_a, now=T0)
    nm.refresh_from_db()
    assert nm.status == NearMissStatus.PROPOSED and nm.proposed_class.min_size == 2
    course = proposed_class_confirm(proposed=nm.proposed_class, actor=town.staff_a, today=T0.date())
    assert sorted(course.registrations.values_list("order_id", flat=True)) == sorted(o.pk for o in pair)


def test_long_waiting_orders_are_announced_once(town, calligraphy):
    _run(town)
    waited = []

    def listener(sender, order_ids, **kwargs):
        waited.append(sorted(order_ids))

    signals.order_waiting_long.connect(listener)
    try:
        Order.objects.filter(pk=calligraphy["far"].pk).update(accepted_at=T0 - timedelta(days=31))
        assert waiting_orders_notice(now=T0) == [calligraphy["far"].pk]
        assert waiting_orders_notice(now=T0) == []
    finally:
        signals.order_waiting_long.disconnect(listener)
    assert waited == [[calligraphy["far"].pk]]
    assert WaitingNotice.objects.count() == 1


@pytest.mark.usefixtures("eager_celery")
def test_residents_asked_and_long_waiting_get_notices(town, calligraphy, django_capture_on_commit_callbacks):
    from notices.models import Notice

    _run(town)
    nm = NearMiss.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        near_miss_apply(near_miss=nm, actor=town.staff_a, now=T0)
    far = calligraphy["far"]
    assert list(Notice.objects.values_list("recipient_id", "purpose", "object_key")) == [
        (far.resident_id, "near_miss_ask", f"near_miss:{nm.pk}:{far.pk}")
    ]
    Order.objects.filter(pk=far.pk).update(accepted_at=T0 - timedelta(days=40))
    type(far.resident).objects.filter(pk=far.resident_id).update(language="en")  # the notice's language
    with django_capture_on_commit_callbacks(execute=True):
        waiting_orders_notice(now=T0)
    notice = Notice.objects.get(purpose="waiting_options")
    assert notice.recipient_id == far.resident_id
    # Its option is the asking near miss: a class farther away; no neighbour is named.
    assert "up to 1.6 km from your home" in notice.body
    assert Notice.objects.count() == 2


def _as(client, user):
    client.force_login(user, backend="accounts.backends.PhoneOrEmailBackend")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_order_page_shows_the_gathering_count_and_never_other_communities(client, town, calligraphy):
    _run(town)
    near = calligraphy["near"][0]
    page = _as(client, near.resident).get(reverse("interests:my_orders")).content.decode()
    assert "1 neighbour wants to learn 书法 too (within a 15-minute walk)." in page
    assert "1 more and a class can open." in page
    # B's two residents (5 km away, same interest) are not counted, nor named; nor is the neighbour.
    for other in [*calligraphy["others"], calligraphy["near"][1], calligraphy["far"]]:
        assert other.resident.name not in page and other.resident.phone not in page


def test_the_resident_answers_on_the_order_page(client, town, calligraphy):
    _run(town)
    nm = NearMiss.objects.get()
    near_miss_apply(near_miss=nm, actor=town.staff_a)
    far = calligraphy["far"]
    member = NearMissMember.objects.get(order=far)
    page = _as(client, far.resident).get(reverse("interests:my_orders")).content.decode()
    assert "up to 1.6 km from your home. Will you walk that far?" in page
    # Another resident cannot answer for them.
    _as(client, calligraphy["near"][0].resident)
    assert (
        client.post(reverse("activities:near_miss_answer", args=[member.pk]), {"accept": "1"}).status_code
        == 404
    )
    _as(client, far.resident)
    response = client.post(reverse("activities:near_miss_answer", args=[member.pk]), {"accept": "1"})
    assert response.status_code == 302
    nm.refresh_from_db()
    assert nm.status == NearMissStatus.PROPOSED


def test_share_link_lets_a_neighbour_order_in_two_taps(client, town, calligraphy, settings):
    _run(town)
    near = calligraphy["near"][0]
    link = share_url(near.pk)
    neighbour = resident(town.a, km=0.3)
    page = _as(client, neighbour).get(link).content.decode()
    # The sharer and the one neighbour counted by the run: counts only.
    assert "2 residents near" in page and "1 more and a class can open." in page
    assert near.resident.name not in page
    response = client.post(reverse("interests:order_create"), {"category": calligraphy["category"].pk})
    assert response.status_code == 302
    assert Order.objects.filter(resident=neighbour, category=calligraphy["category"]).count() == 1
    assert "You have already ordered this interest." in client.get(link).content.decode()
    # A tampered or expired link is a 404.
    assert client.get(link.replace(link.split("/")[-2][:5], "AAAAA")).status_code == 404
    settings.SHARE_LINK_DAYS = 0
    assert client.get(link).status_code == 404


def test_match_command_prints_near_misses(town, calligraphy):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command(
        "match",
        "--scope",
        "street",
        "--node",
        str(town.street.pk),
        "--greedy",
        "--near-misses",
        "--time-limit",
        "5",
        stdout=out,
    )
    text = out.getvalue()
    assert "Near misses: radius 1, slot 0, smaller 0, parent 0, group 0" in text
    assert f"radius  category {calligraphy['category'].pk} at venue {calligraphy['venue'].pk}" in text
    assert "2 of 3, 1 more within 1.60 km" in text
