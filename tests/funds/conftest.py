import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.enums import Role
from tests.factories.accounts import CollegeFactory, ResidentFactory, StaffFactory
from tests.factories.activities import TermFactory

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n" + b"0" * 64


def png(name="receipt.png", body=PNG):
    return SimpleUploadedFile(name, body, content_type="image/png")


def pdf(name="receipt.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture(autouse=True)
def _receipts_dir(settings, tmp_path):
    settings.FUNDS_RECEIPTS_ROOT = str(tmp_path / "receipts")
    settings.FUNDS_FOUR_EYES_THRESHOLD = "500"


@pytest.fixture
def term(db):
    today = timezone.localdate()
    return TermFactory(name="本学期", starts_on=today - dt.timedelta(days=120), ends_on=today + dt.timedelta(days=60))


@pytest.fixture
def colleges(db):
    """Two colleges in two communities: every test checks the other one is untouched."""
    return CollegeFactory(), CollegeFactory()


@pytest.fixture
def college(colleges):
    return colleges[0]


@pytest.fixture
def other(colleges):
    return colleges[1]


@pytest.fixture
def staff(college):
    return StaffFactory(community=college.community, name="甲")


@pytest.fixture
def staff2(college):
    return StaffFactory(community=college.community, name="乙")


@pytest.fixture
def other_staff(other):
    return StaffFactory(community=other.community, name="丙")


@pytest.fixture
def district_officer(college):
    return StaffFactory(role=Role.DISTRICT_OFFICE, district=college.community.street.district)


@pytest.fixture
def resident(college):
    return ResidentFactory(profile__community=college.community, name="王阿姨")


__all__ = ["PNG", "PDF", "png", "pdf", "io"]
