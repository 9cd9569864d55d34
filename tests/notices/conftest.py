"""Notices tests: a clock we can stop and move, eager Celery, and a small neighbourhood."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.factories import CategoryFactory, CommunityFactory, ResidentFactory, WeeklySlotFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(day: int, hour: int, minute: int = 0, month: int = 3, year: int = 2026) -> datetime:
    """A moment in Asia/Shanghai (March 2026 by default; the 10th is a Tuesday)."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


class Clock:
    """`django.utils.timezone.now` frozen at `now`; `advance` moves it. Everything notices do reads it."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment

    def advance(self, **delta) -> datetime:
        self.now = self.now + timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    frozen = Clock(local(10, 10))  # Tuesday 10:00, outside quiet hours
    monkeypatch.setattr(timezone, "now", frozen)
    return frozen


@pytest.fixture(autouse=True)
def _eager_celery():
    """Tasks run in-process even when REDIS_URL is set for the PostgreSQL run. (The worker integration
    test talks to its worker through an app of its own.)"""
    from community_college.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture(autouse=True)
def _notice_settings(settings, tmp_path):
    settings.NOTICES_QUIET_HOURS = "22:00-07:00"
    settings.NOTICES_SITE_URL = "https://college.example.org"
    settings.NOTICES_SMS_FILE = str(tmp_path / "sms.txt")
    settings.NOTICES_FILE_SMS_DELAY = 0


@pytest.fixture
def sms_outbox():
    from accounts.sms import LocmemSMSBackend

    return LocmemSMSBackend.outbox


@dataclass
class Place:
    community: object
    slot: object
    taiji: object  # 太极拳 under 体育健身
    sports: object


@pytest.fixture
def place(db) -> Place:
    community = CommunityFactory(latitude=29.65, longitude=106.55)
    sports = CategoryFactory(name="体育健身", name_en="Sports")
    taiji = CategoryFactory(name="太极拳", name_en="Tai chi", parent=sports)
    return Place(community=community, slot=WeeklySlotFactory(), taiji=taiji, sports=sports)


@pytest.fixture
def make_resident(place):
    def _make(
        *, language="zh-hans", email=None, sms=True, mail=False, personal=True, community=None, **profile
    ):
        community = community or place.community
        return ResidentFactory(
            language=language,
            email=email,
            profile__community=community,
            profile__consent_sms=sms,
            profile__consent_email=mail,
            profile__consent_recommendations=personal,
            **{f"profile__{k}": v for k, v in profile.items()},
        )

    return _make


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed(): ...` runs what was scheduled with on_commit, as a real commit would."""

    def _committed():
        return django_capture_on_commit_callbacks(execute=True)

    return _committed
