"""A refusal keyed by field keeps its code (issue 23's mutants found the first: funds' money()).

Django drops a code given beside a dict of errors: `ValidationError({"reason": "…"}, code="reason_required")`
reaches the API's error body and the tests with the code "invalid". Every service builds such an error with
`community_college.errors.field_error`; the last test keeps the old shape from coming back anywhere.
"""

import ast
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from community_college.errors import field_error
from funds.receipts import receipt_type
from tests.factories import BookingFactory, StaffFactory, VenueFactory
from tests.factories.pairs import snapshot
from venues import services as venue_services
from venues.enums import BookingStatus
from venues.models import Booking

ROOT = Path(__file__).resolve().parents[2]


def test_field_error_keeps_field_message_and_code():
    error = field_error("reason", "写明原因", code="reason_required")
    assert error.message_dict == {"reason": ["写明原因"]}
    [inner] = error.error_dict["reason"]
    assert inner.code == "reason_required"


def test_a_dict_error_given_a_code_loses_it():
    """Why field_error exists: the shape it replaces, as Django builds it."""
    error = ValidationError({"reason": "写明原因"}, code="reason_required")
    [inner] = error.error_dict["reason"]
    assert inner.code != "reason_required"


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        (b"", "receipt.pdf", "receipt_empty"),
        (b"%PDF-1.4 a receipt", "receipt.jpg", "receipt_mismatch"),
        (b"GIF89a not a receipt", "receipt.gif", "receipt_type"),
    ],
)
def test_receipt_refusals_carry_their_codes(content, name, code):
    upload = SimpleUploadedFile(name, content)
    with pytest.raises(ValidationError) as excinfo:
        receipt_type(upload)
    [inner] = excinfo.value.error_dict["receipt"]
    assert inner.code == code


def test_receipt_of_a_known_type_is_accepted():
    assert receipt_type(SimpleUploadedFile("receipt.pdf", b"%PDF-1.4 a receipt")) == "application/pdf"


@pytest.mark.django_db
def test_declining_without_a_reason_says_so_by_its_code_and_writes_nothing():
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
    bookings = []
    for _ in range(2):
        venue = VenueFactory(requires_confirmation=True)
        for hour in (0, 2):
            bookings.append(
                BookingFactory(
                    venue=venue,
                    starts_at=start + timedelta(hours=hour),
                    ends_at=start + timedelta(hours=hour + 1),
                    status=BookingStatus.PENDING,
                )
            )
    target = bookings[1]
    staff = StaffFactory(community=target.venue.community)
    before = snapshot(Booking.objects.all(), "status", "decline_reason", "answered_by", "answered_at")
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        venue_services.booking_decline(booking=target, actor=staff, reason="   ")
    [inner] = excinfo.value.error_dict["reason"]
    assert (inner.code, inner.messages) == ("reason_required", ["Give a reason for declining."])
    assert snapshot(Booking.objects.all(), "status", "decline_reason", "answered_by", "answered_at") == before


def _dict_errors_with_a_code(path: Path) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) == "ValidationError"
            # DRF's serializers.ValidationError keeps a code beside a dict; Django's does not.
            and not (isinstance(node.func, ast.Attribute) and getattr(node.func.value, "id", "") == "serializers")
            and node.args
            and isinstance(node.args[0], ast.Dict)
            and any(keyword.arg == "code" for keyword in node.keywords)
        ):
            lines.append(node.lineno)
    return lines


def test_no_service_builds_a_dict_error_whose_code_django_drops():
    skip = {".venv", "mutants", "node_modules", "tests", "bench", "migrations", "staticfiles"}
    found = {
        str(path.relative_to(ROOT)): lines
        for path in ROOT.rglob("*.py")
        if not skip & set(path.relative_to(ROOT).parts)
        if (lines := _dict_errors_with_a_code(path))
    }
    assert found == {}
