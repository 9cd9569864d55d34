"""Quiet hours, backoff and consent: the pure rules."""

import pytest

from notices.rules import backoff_seconds, external_channels, quiet_until

from .conftest import local


@pytest.mark.parametrize(
    ("moment", "release"),
    [
        (local(10, 21, 59), None),
        (local(10, 22, 0), local(11, 7, 0)),
        (local(10, 23, 30), local(11, 7, 0)),
        (local(11, 0, 0), local(11, 7, 0)),
        (local(11, 6, 59), local(11, 7, 0)),
        (local(11, 7, 0), None),
        (local(11, 12, 0), None),
    ],
)
def test_quiet_hours_defer_to_seven_in_shanghai(settings, moment, release):
    settings.NOTICES_QUIET_HOURS = "22:00-07:00"
    assert quiet_until(moment) == release


def test_quiet_hours_are_read_in_shanghai_time_whatever_the_clock_zone(settings):
    from datetime import UTC, datetime

    settings.NOTICES_QUIET_HOURS = "22:00-07:00"
    # 15:00 UTC is 23:00 in Shanghai.
    assert quiet_until(datetime(2026, 3, 10, 15, 0, tzinfo=UTC)) == local(11, 7, 0)


def test_quiet_hours_can_be_turned_off(settings):
    settings.NOTICES_QUIET_HOURS = "off"
    assert quiet_until(local(11, 3, 0)) is None


def test_backoff_doubles_and_stops_at_the_visibility_timeout(settings):
    settings.NOTICES_RETRY_BASE_SECONDS = 60
    assert [backoff_seconds(n) for n in range(1, 9)] == [60, 120, 240, 480, 960, 1920, 3600, 3600]


@pytest.mark.parametrize(
    ("kwargs", "channels"),
    [
        ({}, ("sms",)),
        ({"consent_email": True, "email": "a@example.org"}, ("sms", "email")),
        ({"consent_email": True, "email": None}, ("sms",)),
        ({"consent_sms": False}, ()),
        ({"phone": None}, ()),
        ({"has_profile": False}, ()),
        ({"is_active": False, "consent_email": True, "email": "a@example.org"}, ()),
    ],
)
def test_external_channels_follow_consent_and_addresses(kwargs, channels):
    base = {
        "is_active": True,
        "has_profile": True,
        "consent_sms": True,
        "consent_email": False,
        "phone": "13900000001",
        "email": None,
    }
    assert external_channels(**{**base, **kwargs}) == channels
