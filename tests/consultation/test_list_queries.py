"""Query counts of consultation's lists (API, pages, admin changelists): pinned, and not growing with rows."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from consultation import services
from consultation.enums import OwnerKind

from .conftest import SHANGHAI

pytestmark = pytest.mark.django_db

# (who, list) → queries of one request, session and user included
EXPECTED = {
    ("staff", "api staff matters"): 8,
    ("staff", "api meetings"): 7,
    ("staff", "api decisions"): 7,
    ("staff", "api categories"): 3,
    ("staff", "admin matter"): 11,
    ("staff", "admin comment"): 8,
    ("staff", "admin meeting"): 8,
    ("staff", "admin participant"): 9,
    ("staff", "admin decision"): 8,
    ("staff", "admin matterphoto"): 8,
    ("liaison", "api liaison matters"): 7,
    ("liaison", "admin matter"): 12,
    ("resident", "api meetings"): 7,
    ("resident", "api decisions"): 5,
    ("resident", "meeting page"): 8,
    ("resident", "matter page"): 14,
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def _fill(world, n, tag):
    """n matters of the home community, each supported and commented; one referred, the rest deliberated."""
    matters = []
    for i in range(n):
        matter = world.raise_matter(f"事{tag}{i}", resident=world.residents[i % 4])
        services.matter_support(matter=matter, user=world.residents[(i + 1) % 4])
        services.comment_add(matter=matter, author=world.residents[(i + 2) % 4], body=f"评论{tag}{i}")
        matters.append(matter)
    services.matter_refer(matter=matters[0], actor=world.staff, department=world.department)
    for matter in matters[1:]:
        services.matter_to_deliberation(matter=matter, actor=world.staff)
    return matters


def _decide(world, meeting, matter, text):
    services.decision_record(
        meeting=meeting, matter=matter, actor=world.staff, text=text, owner_kind=OwnerKind.STAFF,
        owner_user=world.staff, due_date=date(2026, 10, 15),
    )


def _counts(client, world, urls):
    who = {"staff": world.staff, "liaison": world.liaison, "resident": world.residents[1]}
    counts = {}
    for key, url in urls.items():
        client.force_login(who[key[0]])
        client.get(url)  # warm the per-process caches (content types, site)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200, key
        counts[key] = len(ctx.captured_queries)
    return counts


def test_list_queries_are_pinned_and_do_not_grow(client, world, clock):
    clock.set("2026-09-21 09:00")
    matters = _fill(world, 3, "a")
    meeting = services.meeting_schedule(
        community=world.home, venue=world.venue, starts_at=at("2026-09-24 19:00"), ends_at=at("2026-09-24 21:00"),
        title="九月居民议事会", actor=world.staff, matters=matters[1:],
    )
    for matter in matters[1:]:
        _decide(world, meeting, matter, "决定")
    theirs = world.raise_matter("别处的事", resident=world.neighbours[0])  # another community: in no count below
    admin = {name: reverse(f"admin:consultation_{name}_changelist") for name in ("matter", "comment", "meeting", "participant", "decision", "matterphoto")}
    urls = {
        ("staff", "api staff matters"): "/api/v1/consultation/staff/matters/",
        ("staff", "api meetings"): "/api/v1/consultation/meetings/",
        ("staff", "api decisions"): "/api/v1/consultation/decisions/",
        ("staff", "api categories"): "/api/v1/consultation/categories/",
        **{("staff", f"admin {name}"): url for name, url in admin.items()},
        ("liaison", "api liaison matters"): "/api/v1/consultation/liaison/matters/",
        ("liaison", "admin matter"): admin["matter"],
        ("resident", "api meetings"): "/api/v1/consultation/meetings/",
        ("resident", "api decisions"): "/api/v1/consultation/decisions/",
        ("resident", "meeting page"): reverse("consultation:meeting", args=[meeting.pk]),
        ("resident", "matter page"): reverse("consultation:matter", args=[matters[1].pk]),
    }
    assert _counts(client, world, urls) == EXPECTED
    _fill(world, 4, "b")
    for i in range(3):
        services.comment_add(matter=matters[1], author=world.residents[i], body=f"再评论{i}")
        _decide(world, meeting, matters[1], f"再决定{i}")
    assert _counts(client, world, urls) == EXPECTED
    assert theirs.comments.count() == 0 and theirs.support_count == 0
