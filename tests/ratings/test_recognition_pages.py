"""The portal's recognition pages: a round with its figures, nominating, voting, the staff page, the wall."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ratings.models import Candidate, Nomination, Vote
from ratings.recognition import services

from .recognition import end_notice, held_session, recognition_world

pytestmark = pytest.mark.django_db


def test_a_resident_nominates_and_votes_on_the_round_page(client):
    world = recognition_world()
    resident = world.resident()
    held_session(world.pair.a1, attended=[resident])
    client.force_login(resident)
    url = reverse("ratings:recognition_round", args=[world.round.pk])
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    response = client.post(
        url, {"category": world.teachers.pk, "subject": world.pair.a1.teacher_id, "reason": "耐心细致"}
    )
    assert response.status_code == 302
    assert Nomination.objects.get().nominator == resident
    # A nominee outside the area: the page says why, nothing is saved.
    outsider = world.resident(world.outside)
    refused = client.post(
        url,
        {"category": world.stars.pk, "phone": outsider.phone, "reason": "好学"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert refused.status_code == 200
    assert "Only someone of this round&#x27;s area can be nominated." in refused.content.decode()
    assert Candidate.objects.count() == 1
    services.round_start_notice(round=world.round, actor=world.manager)
    candidate = Candidate.objects.get()
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Sessions held" in page
    client.post(reverse("ratings:recognition_vote", args=[candidate.pk]))
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "You voted for this candidate." in page
    assert "1 vote" not in page  # no running totals
    again = client.post(
        reverse("ratings:recognition_vote", args=[candidate.pk]), follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "You have already voted in this category." in again.content.decode()
    assert Vote.objects.count() == 1


def test_the_staff_page_belongs_to_the_rounds_level_and_the_wall_shows_published_winners(client):
    world = recognition_world()
    client.force_login(world.pair.staff_a)
    assert client.get(reverse("ratings:recognition_manage", args=[world.round.pk])).status_code == 404
    candidate = services.nomination_create(
        category=world.groups, nominator=world.resident(), subject_id=world.pair.group_a.pk, reason="合唱团"
    ).candidate
    client.force_login(world.manager)
    manage = reverse("ratings:recognition_manage", args=[world.round.pk])
    client.post(manage, {"action": "start_notice"})
    end_notice(world.round)
    client.post(manage, {"action": "decide", "candidate": candidate.pk, "won": "1", "reason": "展演出色"})
    client.post(manage, {"action": "close"})
    client.post(manage, {"action": "story", "candidate": candidate.pk, "story": "二十位老人的合唱团"})
    candidate.refresh_from_db()
    assert (candidate.decision, candidate.story_status, candidate.round.status) == (
        "won",
        "awaiting",
        "closed",
    )
    assert "二十位老人的合唱团" not in client.get(reverse("ratings:recognition_wall")).content.decode()
    Candidate.objects.filter(pk=candidate.pk).update(story_status="approved")
    assert "二十位老人的合唱团" in client.get(reverse("ratings:recognition_wall")).content.decode()


def test_a_winners_badge_shows_on_their_class_and_profile(client):
    from tests.factories import UserFactory

    world = recognition_world()
    teacher = world.pair.a1.teacher
    teacher.user = UserFactory()
    teacher.save(update_fields=["user"])
    candidate = services.nomination_create(
        category=world.teachers, nominator=world.resident(), subject_id=teacher.pk, reason="好老师"
    ).candidate
    services.round_start_notice(round=world.round, actor=world.manager)
    course_url = reverse("activities:course_detail", args=[world.pair.a1.pk])
    assert "recognition-badges" not in client.get(course_url).content.decode()
    end_notice(world.round)
    services.candidate_decide(candidate=candidate, actor=world.manager, won=True, reason="第一")
    services.round_close(round=world.round, actor=world.manager)
    page = client.get(course_url).content.decode()
    assert "recognition-badges" in page and "🏅 优秀教师" in page
    assert "recognition-badges" not in client.get(reverse("activities:course_detail", args=[world.pair.b1.pk])).content.decode()
