"""Data rights over 协商议事 and funds: the download holds a resident's matters, photos, comments,
confirmations, supports, votes, meetings and pledges; closing the account erases their text, map points,
photos (files too) and pledge names, while supports, votes, scores and the ledger stand, and the other
resident's rows are untouched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from consultation.models import (
    Comment,
    Confirmation,
    Matter,
    MatterEvent,
    MatterPhoto,
    Participant,
    Support,
    Vote,
)
from funds import selectors as fund_selectors
from funds.models import Entry, Pledge, Posting
from privacy.services import account_close
from tests.factories.accounts import ResidentFactory

from .civic import civic_life, civic_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _uploads(settings, tmp_path):
    settings.UPLOAD_ROOT = tmp_path / "uploads"


@pytest.fixture
def town():
    me = ResidentFactory(name="王小明")
    community = me.profile.community
    neighbour = ResidentFactory(name="李四", profile__community=community)
    world = civic_world(community)
    mine = civic_life(world, me, 2, "我的")
    theirs = civic_life(world, neighbour, 2, "邻居", others=mine)
    for matter in theirs:
        from consultation import services

        services.matter_support(matter=matter, user=me)
        services.comment_add(matter=matter, author=me, body=f"我的 同意 {matter.pk}")
    return me, neighbour, world


def _files(user) -> list[Path]:
    from django.conf import settings

    root = Path(settings.UPLOAD_ROOT)
    return [root / n for pair in MatterPhoto.objects.filter(uploaded_by=user).values_list("name", "thumbnail") for n in pair]


def _neighbour_rows(user) -> dict:
    return {
        "matters": list(Matter.objects.filter(raised_by=user).order_by("id").values()),
        "photos": list(MatterPhoto.objects.filter(uploaded_by=user).order_by("id").values()),
        "comments": list(Comment.objects.filter(author=user).order_by("id").values()),
        "confirmations": list(Confirmation.objects.filter(resident=user).order_by("id").values()),
        "pledges": list(Pledge.objects.filter(pledger=user).order_by("id").values()),
        "steps": list(MatterEvent.objects.filter(actor=user).order_by("id").values()),
    }


def test_download_holds_my_consultation_and_funds_rows_only(client, town):
    me, neighbour, _ = town
    client.force_login(me)
    data = json.loads(client.get("/me/data/?format=json").content)
    assert sorted(m["title"] for m in data["matters"]) == ["我的 停车难 0", "我的 停车难 1"]
    assert data["matters"][0]["latitude"] == 31.2
    assert len(data["matter_photos"]) == 2
    assert len(data["matter_comments"]) == 4 and len(data["matter_supports"]) == 4
    assert [c["comment"] for c in data["matter_confirmations"]] == ["我的 满意 0", "我的 满意 1"]
    assert len(data["matter_votes"]) == 2 and len(data["meetings"]) == 2
    assert sorted((p["amount"], p["public_name"], p["unit_name"]) for p in data["pledges"]) == [
        ("100.00", "我的女士", "我的公司"), ("200.00", "我的女士", "我的公司"),
    ]
    assert "邻居女士" not in json.dumps(data, ensure_ascii=False)
    assert "邻居 满意" not in json.dumps(data, ensure_ascii=False)


def test_closing_erases_my_consultation_and_funds_data_and_keeps_the_figures(town, django_capture_on_commit_callbacks):
    me, neighbour, world = town
    my_files, their_files = _files(me), _files(neighbour)
    assert len(my_files) == 4 and all(path.exists() for path in my_files + their_files)
    before = {
        "supports": Support.objects.count(),
        "support_counts": sorted(Matter.objects.values_list("pk", "support_count")),
        "votes": Vote.objects.count(),
        "participants": Participant.objects.count(),
        "scores": sorted(Confirmation.objects.values_list("matter_id", "satisfaction")),
        "pledges": sorted(Pledge.objects.values_list("pk", "amount", "status")),
        "postings": Posting.objects.count(),
        "entries": sorted(Entry.objects.values_list("pk", "amount")),
        "balances": fund_selectors.balances(),
    }
    term = Posting.objects.filter(college=world.college).first().term  # the report is per term
    report_before = fund_selectors.college_report(college_id=world.college.pk, term=term)
    assert report_before.income_total == 600  # 100 + 200 from each of us: the report has something to keep
    theirs = _neighbour_rows(neighbour)
    assert MatterEvent.objects.filter(actor=me).count() == 2  # "raised" steps name me as the actor

    with django_capture_on_commit_callbacks(execute=True):
        closure = account_close(user=me)

    # Gone: what I wrote, where I was, my photos (rows and files), the names on my pledges.
    assert set(Comment.objects.filter(author=me).values_list("body", flat=True)) == {""}
    assert set(Confirmation.objects.filter(resident=me).values_list("comment", flat=True)) == {""}
    assert set(Matter.objects.filter(raised_by=me).values_list("latitude", "longitude", "show_name")) == {
        (None, None, False)
    }
    assert not MatterPhoto.objects.filter(matter__raised_by=me).exists()
    assert not any(path.exists() for path in my_files)
    assert set(Pledge.objects.filter(pledger=me).values_list("public_name", "unit_name")) == {("", "")}
    assert not MatterEvent.objects.filter(actor=me).exists()
    assert closure.counts["matter_photos"] == 2 and closure.counts["pledges_anonymised"] == 2
    # Kept: the counts, scores, amounts and the ledger.
    assert before == {
        "supports": Support.objects.count(),
        "support_counts": sorted(Matter.objects.values_list("pk", "support_count")),
        "votes": Vote.objects.count(),
        "participants": Participant.objects.count(),
        "scores": sorted(Confirmation.objects.values_list("matter_id", "satisfaction")),
        "pledges": sorted(Pledge.objects.values_list("pk", "amount", "status")),
        "postings": Posting.objects.count(),
        "entries": sorted(Entry.objects.values_list("pk", "amount")),
        "balances": fund_selectors.balances(),
    }
    report_after = fund_selectors.college_report(college_id=world.college.pk, term=term)
    assert (report_after.income, report_after.spending) == (report_before.income, report_before.spending)
    assert sum(Entry.objects.values_list("amount", flat=True)) == 0
    # The published donors list no longer names me, still names my neighbour.
    assert "我的女士" not in str(report_after.named_donors) and "我的女士" in str(report_before.named_donors)
    assert "邻居女士" in str(report_after.named_donors)
    # My neighbour's rows and files are untouched.
    assert _neighbour_rows(neighbour) == theirs
    assert all(path.exists() for path in their_files)
