"""Dates and datetimes from the outside world, bounded before any arithmetic or query sees them.

`date(9999, 12, 31) + timedelta(days=7)` is an OverflowError, and PostgreSQL refuses a time-zone offset
beyond ±15:59 (Python accepts up to ±23:59) with a DataError: both were server errors. Every date or
datetime taken from a request goes through one of these fields, in forms (the admin), serializers and
django-filter filters (the API), so they share the bounds and the message.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

# Far enough for any real class, rating or report; far enough from date.min and date.max for week and
# year arithmetic.
EARLIEST = date(1900, 1, 1)
LATEST = date(2199, 12, 31)
# Real time zones lie between UTC-12:00 and UTC+14:00.
MAX_OFFSET = timedelta(hours=14)

DATE_MESSAGE = _("Choose a date between %(earliest)s and %(latest)s.")
OFFSET_MESSAGE = _("The time-zone offset must lie between -14:00 and +14:00.")


def check_date(value: date | datetime | None) -> None:
    """Raise a ValidationError when `value` lies outside the dates the portal works with."""
    if value is None:
        return
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise ValidationError(
            DATE_MESSAGE,
            code="date_out_of_range",
            params={"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
        )


def check_datetime(value: datetime | None) -> None:
    """`check_date`, and an offset a real time zone can have (and the database can store)."""
    if value is None:
        return
    check_date(value)
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_OFFSET:
        raise ValidationError(OFFSET_MESSAGE, code="offset_out_of_range")


def _as_drf(check, value) -> None:
    try:
        check(value)
    except ValidationError as exc:
        raise serializers.ValidationError(exc.messages, code=exc.code) from exc


# --- Django forms (the admin, the portal) ------------------------------------------------------------------
class BoundedDateField(forms.DateField):
    default_validators = [check_date]


class BoundedDateTimeField(forms.DateTimeField):
    default_validators = [check_datetime]


class BoundedIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    default_validators = [check_datetime]


# --- DRF serializers ---------------------------------------------------------------------------------------
class BoundedDateSerializerField(serializers.DateField):
    def to_internal_value(self, value):
        day = super().to_internal_value(value)
        _as_drf(check_date, day)
        return day


class BoundedDateTimeSerializerField(serializers.DateTimeField):
    def to_internal_value(self, value):
        # Checked before DRF converts to the current zone, which fails on offsets Python cannot shift.
        parsed = super().to_internal_value(value)
        _as_drf(check_datetime, parsed)
        return parsed


# --- django-filter (the API's list filters) -------------------------------------------------------------------
class BoundedDateFilter(django_filters.DateFilter):
    field_class = BoundedDateField


class BoundedIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = BoundedIsoDateTimeField

