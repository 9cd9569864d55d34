"""Review items of the last session: comments that are gone show why (not an empty line), and every API
action validates its body before the service runs (400 in the API's shape, nothing written)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from consultation import services
from consultation.enums import CommentStatus
from consultation.models import Comment, CommentReport, Matter, Support


def _comments(world):
    matter = world.raise_matter()
    other = world.raise_matter("另一件事", resident=world.residents[1])
    kept = services.comment_add(matter=matter, author=world.residents[1], body="同意，晚上确实停不下")
    removed = services.comment_add(matter=matter, author=world.residents[2], body="广告：低价车位出租")
    blanked = services.comment_add(matter=matter, author=world.residents[3], body="我搬走了")
    elsewhere = services.comment_add(matter=other, author=world.residents[2], body="另一件事的评论")
    services.comment_moderate(comment=removed, actor=world.staff, keep=False)
    # What account closure does to a comment (privacy.services._consultation_erase).
    Comment.objects.filter(pk=blanked.pk).update(body="")
    return matter, kept, removed, blanked, elsewhere


def test_removed_and_blanked_comments_render_a_placeholder(client, world):
    matter, kept, removed, blanked, elsewhere = _comments(world)
    with translation.override("en"):
        assert Comment.objects.get(pk=removed.pk).removed_note == "Removed by a moderator"
        assert Comment.objects.get(pk=blanked.pk).removed_note == "Removed at its author's request"
        assert Comment.objects.get(pk=kept.pk).removed_note == ""
    client.force_login(world.residents[0])
    body = client.get(reverse("consultation:matter", args=[matter.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert kept.body in body
    assert "Removed at its author&#x27;s request" in body
    # A resident does not see the removed comment at all; its text never reaches the page.
    assert removed.body not in body and "Removed by a moderator" not in body
    assert elsewhere.body not in body
    client.force_login(world.staff)
    body = client.get(reverse("consultation:matter", args=[matter.pk]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Removed at its author&#x27;s request" in body and removed.body not in body
    # Nothing else was touched by rendering.
    assert Comment.objects.get(pk=elsewhere.pk).body == "另一件事的评论"
    assert Comment.objects.get(pk=removed.pk).status == CommentStatus.REMOVED


def test_api_comments_say_why_a_text_is_gone(world):
    matter, kept, _removed, blanked, _elsewhere = _comments(world)
    api = APIClient()
    api.force_authenticate(world.residents[0])
    rows = api.get(f"/api/v1/consultation/matters/{matter.pk}/comments/", HTTP_ACCEPT_LANGUAGE="en").json()
    by_id = {row["id"]: row for row in rows}
    assert set(by_id) == {kept.pk, blanked.pk}
    assert by_id[kept.pk]["removed"] == "" and by_id[kept.pk]["body"] == kept.body
    assert by_id[blanked.pk]["removed"] == "Removed at its author's request" and by_id[blanked.pk]["body"] == ""


@pytest.mark.parametrize(
    ("who", "path", "body", "field"),
    [
        ("resident", "matters/{matter}/confirm/", {"is_done": True, "satisfaction": 9}, "satisfaction"),
        ("neighbour", "comments/{comment}/report/", {"reason": "nonsense"}, "reason"),
        ("staff", "staff/matters/{matter}/answer/", {}, "text"),
        ("staff", "staff/matters/{matter}/refer/", {"department": 999999}, "department"),
        ("resident", "meetings/{meeting}/respond/", {}, "attend"),
        ("voter", "decisions/{decision}/vote/", {"choice": "maybe"}, "choice"),
        ("staff", "decisions/{decision}/progress/", {"text": "x", "progress": 100}, "progress"),
    ],
)
def test_every_action_refuses_a_bad_body_before_the_service(world, clock, who, path, body, field):
    from datetime import date, datetime

    from consultation.enums import OwnerKind

    from .conftest import SHANGHAI

    clock.set("2026-09-21 09:00")
    matter = world.raise_matter()
    untouched = world.raise_matter("别的事", resident=world.residents[1])
    commenter = world.residents[1]
    comment = services.comment_add(matter=untouched, author=commenter, body="评论")
    deliberated = world.raise_matter("议一议", resident=world.residents[2])
    services.matter_to_deliberation(matter=deliberated, actor=world.staff)
    meeting = services.meeting_schedule(
        community=world.home, venue=world.venue, starts_at=datetime(2026, 9, 22, 19, tzinfo=SHANGHAI),
        ends_at=datetime(2026, 9, 22, 20, tzinfo=SHANGHAI), title="议事会", actor=world.staff, matters=[deliberated],
    )
    decision = services.decision_record(
        meeting=meeting, matter=deliberated, actor=world.staff, text="表决", owner_kind=OwnerKind.STAFF,
        owner_user=world.staff, due_date=date(2026, 10, 1), needs_vote=True,
    )
    actors = {"resident": world.residents[2], "neighbour": world.residents[3], "staff": world.staff, "voter": world.residents[2]}
    before = (
        Matter.objects.order_by("pk").values_list("pk", "status", "answer", "department_id")[::1],
        CommentReport.objects.count(),
        Support.objects.count(),
        decision.votes.count(),
        decision.updates.count(),
    )
    api = APIClient()
    api.force_authenticate(actors[who])
    url = "/api/v1/consultation/" + path.format(
        matter=matter.pk if who != "resident" else deliberated.pk, comment=comment.pk, meeting=meeting.pk, decision=decision.pk
    )
    response = api.post(url, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid" and field in response.json()["fields"]
    after = (
        Matter.objects.order_by("pk").values_list("pk", "status", "answer", "department_id")[::1],
        CommentReport.objects.count(),
        Support.objects.count(),
        decision.votes.count(),
        decision.updates.count(),
    )
    assert after == before
