"""The resident's pages and the staff dashboard: visibility, privacy, query counts."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from consultation import services
from consultation.enums import MatterStatus, OwnerKind
from consultation.models import Matter, MatterPhoto, Support


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.UPLOAD_ROOT = tmp_path / "uploads"


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (0, 120, 0)).save(out, format="JPEG")
    return out.getvalue()


@pytest.mark.parametrize("count", [1, 3])
def test_list_shows_my_community_only_in_fixed_queries(client, world, django_assert_num_queries, count):
    for n in range(count):
        world.raise_matter(f"事项{n}", resident=world.residents[n % 4])
    foreign = world.raise_matter("别的社区的事", resident=world.neighbours[0])
    client.force_login(world.residents[1])
    # session, user, profile (home community), count, page with categories and my supports
    with django_assert_num_queries(5):
        response = client.get(reverse("consultation:list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('href="/consultation/') - body.count('href="/consultation/new/') >= count
    assert foreign.title not in body


def test_raise_with_photo_and_similar_suggestions(client, world):
    client.force_login(world.residents[0])
    existing = world.raise_matter("小区停车难", resident=world.residents[1])
    response = client.get(reverse("consultation:similar"), {"title": "停车太难"})
    assert existing.title in response.content.decode()
    response = client.post(
        reverse("consultation:create"),
        {
            "category": world.category.pk,
            "title": "消防通道被占",
            "description": "每晚都有车停在消防通道",
            "photo": SimpleUploadedFile("p.jpg", _jpeg(), "image/jpeg"),
        },
    )
    matter = Matter.objects.get(title="消防通道被占")
    assert response.status_code == 302 and response["Location"] == reverse("consultation:matter", args=[matter.pk])
    photo = MatterPhoto.objects.get(matter=matter)
    # Not shown to neighbours before moderation; shown to staff of the community.
    client.force_login(world.residents[2])
    assert client.get(reverse("consultation:photo", args=[photo.pk, "thumb"])).status_code == 404
    services.photo_moderate(photo=photo, actor=world.staff, approve=True)
    response = client.get(reverse("consultation:photo", args=[photo.pk, "thumb"]))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    # Reading the stream to its end closes the file (the test client's wrapper); response.close() here would
    # fire request_finished outside a request and close the test's database connection.
    client.force_login(world.neighbours[0])
    assert client.get(reverse("consultation:photo", args=[photo.pk, "thumb"])).status_code == 404


def test_bad_photo_saves_nothing(client, world):
    client.force_login(world.residents[0])
    response = client.post(
        reverse("consultation:create"),
        {
            "category": world.category.pk,
            "title": "路灯不亮",
            "description": "三栋门口",
            "photo": SimpleUploadedFile("p.jpg", b"not an image", "image/jpeg"),
        },
    )
    assert response.status_code == 200
    assert "JPEG" in response.content.decode()
    assert Matter.objects.count() == 0


def test_another_community_gets_404_and_names_only_if_chosen(client, world):
    hidden = world.raise_matter("不署名的事")
    shown = world.raise_matter("署名的事", resident=world.residents[1], show_name=True)
    client.force_login(world.neighbours[0])
    for url in (
        reverse("consultation:matter", args=[hidden.pk]),
        reverse("consultation:confirm", args=[hidden.pk]),
    ):
        assert client.get(url).status_code == 404
    assert client.post(reverse("consultation:support", args=[hidden.pk])).status_code == 404
    assert Support.objects.count() == 0
    client.force_login(world.residents[2])
    body = client.get(reverse("consultation:matter", args=[hidden.pk])).content.decode()
    assert world.residents[0].name not in body and world.residents[0].phone[-4:] not in body
    body = client.get(reverse("consultation:matter", args=[shown.pk])).content.decode()
    assert world.residents[1].name in body and world.residents[1].phone not in body
    # Staff see the name and the masked phone, never the full number.
    client.force_login(world.staff)
    body = client.get(reverse("consultation:matter", args=[hidden.pk])).content.decode()
    assert world.residents[0].name in body
    assert world.residents[0].phone not in body and world.residents[0].phone[:3] + "****" in body


def test_liaison_sees_only_referred_matters(client, world):
    referred = world.raise_matter("井盖松动")
    other = world.raise_matter("广场舞噪音", resident=world.residents[1])
    services.matter_refer(matter=referred, actor=world.staff, department=world.department)
    client.force_login(world.liaison)
    assert client.get(reverse("consultation:matter", args=[referred.pk])).status_code == 200
    assert client.get(reverse("consultation:matter", args=[other.pk])).status_code == 404
    client.force_login(world.other_liaison)
    assert client.get(reverse("consultation:matter", args=[referred.pk])).status_code == 404


def test_support_comment_report_and_confirm_through_the_pages(client, world, clock):
    matter = world.raise_matter()
    client.force_login(world.residents[1])
    client.post(reverse("consultation:support", args=[matter.pk]))
    client.post(reverse("consultation:support", args=[matter.pk]))
    matter.refresh_from_db()
    assert matter.support_count == 1
    client.post(reverse("consultation:comment", args=[matter.pk]), {"body": "同意"})
    comment = matter.comments.get()
    client.force_login(world.residents[2])
    client.post(reverse("consultation:report", args=[comment.pk]), {"reason": "spam"})
    comment.refresh_from_db()
    assert comment.report_count == 1
    services.matter_to_deliberation(matter=matter, actor=world.staff)
    from datetime import datetime

    from .conftest import SHANGHAI

    meeting = services.meeting_schedule(
        community=world.home, venue=world.venue, starts_at=datetime(2026, 9, 22, 19, tzinfo=SHANGHAI),
        ends_at=datetime(2026, 9, 22, 20, tzinfo=SHANGHAI), title="议事会", actor=world.staff, matters=[matter],
    )
    decision = services.decision_record(
        meeting=meeting, matter=matter, actor=world.staff, text="增划车位", owner_kind=OwnerKind.STAFF,
        owner_user=world.staff, due_date=date(2026, 10, 1),
    )
    services.decision_mark_done(decision=decision, actor=world.staff)
    client.force_login(world.residents[1])
    body = client.get(reverse("consultation:matter", args=[matter.pk])).content.decode()
    assert reverse("consultation:confirm", args=[matter.pk]) in body
    client.post(reverse("consultation:confirm", args=[matter.pk]), {"is_done": "1", "satisfaction": "4", "comment": "好"})
    client.force_login(world.residents[0])
    client.post(reverse("consultation:confirm", args=[matter.pk]), {"is_done": "1", "satisfaction": "5"})
    matter.refresh_from_db()
    assert matter.status == MatterStatus.CLOSED


def test_dashboard_scoped_and_refused_to_residents(client, world, clock):
    clock.set("2026-09-21 09:00")
    answered = world.raise_matter()
    world.raise_matter("别处", resident=world.neighbours[0])
    quick = world.raise_matter("快", resident=world.residents[1])
    clock.set("2026-09-23 09:00")
    services.matter_answer(matter=answered, actor=world.staff, answer="好")
    clock.set("2026-09-27 09:00")
    services.matter_answer(matter=quick, actor=world.staff, answer="好")
    client.force_login(world.residents[0])
    assert client.get(reverse("consultation:dashboard")).status_code == 403
    client.force_login(world.staff)
    response = client.get(reverse("consultation:dashboard"))
    assert response.status_code == 200
    figures = response.context["figures"]
    assert figures["totals"]["raised"] == 2 and figures["totals"]["on_time"] == 2
    # Median of 2 and 6 days (percentile_cont on PostgreSQL, Python elsewhere).
    assert figures["medians"]["raised_answered"] == pytest.approx(4.0)
    assert figures["medians"]["decided_done"] is None
    assert [row["community__name"] for row in figures["by_community"]] == [world.home.name]
    assert [(row["category__name"], row["raised"], row["open"]) for row in figures["by_category"]] == [("停车", 2, 0)]
    assert figures["by_street"][0]["community__street_id"] == world.home.street_id
    client.force_login(world.district)
    response = client.get(reverse("consultation:dashboard"))
    assert response.context["figures"]["totals"]["raised"] == 3
    response = client.get(reverse("consultation:dashboard_xlsx"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.parametrize("count", [1, 3])
def test_dashboard_queries_do_not_grow_with_matters(client, world, django_assert_num_queries, count):
    from django.core.cache import cache
    from django.db import connection

    for n in range(count):
        matter = world.raise_matter(f"事项{n}", resident=world.residents[n % 4], latitude=29.5 + n / 100, longitude=106.5)
        world.raise_matter(f"别处{n}", resident=world.neighbours[n % 2])
        services.matter_answer(matter=matter, actor=world.staff, answer="好")
    cache.clear()
    client.force_login(world.district)
    # session, user, roles, the district's communities; the grouped scan by community and category (with the heat map's box), the
    # confirmations, the overdue decisions, the communities' and categories' names, the medians (one query on
    # PostgreSQL, four elsewhere), the heat map's grid
    medians = 1 if connection.vendor == "postgresql" else 4
    with django_assert_num_queries(4 + 5 + medians + 1):
        response = client.get(reverse("consultation:dashboard"))
    figures = response.context["figures"]
    assert figures["totals"]["raised"] == 2 * count and figures["totals"]["answered"] == count
    assert figures["heat"]["located"] == count
    with django_assert_num_queries(4):  # then from the cache
        client.get(reverse("consultation:dashboard"))


def test_dashboard_figures_are_fresh_once_a_step_or_an_answer_commits(
    client, world, clock, django_capture_on_commit_callbacks
):
    clock.set("2026-09-21 09:00")
    with django_capture_on_commit_callbacks(execute=True):
        matter = world.raise_matter()
        world.raise_matter("别处", resident=world.neighbours[0])
    client.force_login(world.street_staff)
    street = client.get(reverse("consultation:dashboard")).context["figures"]
    client.force_login(world.staff)
    assert client.get(reverse("consultation:dashboard")).context["figures"]["totals"]["answered"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        services.matter_answer(matter=matter, actor=world.staff, answer="已处理")
    # Every scope's cached figures are stale at once: the community's and the street's.
    assert client.get(reverse("consultation:dashboard")).context["figures"]["totals"]["answered"] == 1
    client.force_login(world.street_staff)
    fresh = client.get(reverse("consultation:dashboard")).context["figures"]
    assert (street["totals"]["answered"], fresh["totals"]["answered"]) == (0, 1)
    assert fresh["totals"]["raised"] == street["totals"]["raised"]  # the other street's matter stays out
