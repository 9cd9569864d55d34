"""The staff admin: certificates and requests read-only, the rule lifted and hours confirmed by actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.enums import Role
from activities.certificates import certificate_issue
from activities.enums import CertificateKind, TermStatus, VolunteerShiftStatus
from activities.models import NoShowRule, VolunteerShift
from activities.volunteering import volunteer_shift_record
from tests.factories import (
    CommunityFactory,
    CourseFactory,
    ResidentFactory,
    RoleAssignmentFactory,
    SessionFactory,
    StaffFactory,
    TermFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _shift(community):
    course = CourseFactory(community=community)
    start = timezone.now() - timedelta(days=1)
    session = SessionFactory(course=course, starts_at=start, ends_at=start + timedelta(hours=2))
    helper = UserFactory()
    RoleAssignmentFactory(user=helper, role=Role.VOLUNTEER)
    return volunteer_shift_record(session=session, volunteer=helper, actor=StaffFactory(community=community))


def test_confirm_action_calls_the_service_within_scope_only(client):
    mine, theirs = CommunityFactory(), CommunityFactory()
    staff = StaffFactory(community=mine)
    a, b = _shift(mine), _shift(theirs)
    client.force_login(staff)
    url = reverse("admin:activities_volunteershift_changelist")
    client.post(url, {"action": "confirm_shifts", "_selected_action": [a.pk, b.pk]})
    assert VolunteerShift.objects.get(pk=a.pk).status == VolunteerShiftStatus.CONFIRMED
    assert VolunteerShift.objects.get(pk=b.pk).status == VolunteerShiftStatus.RECORDED
    assert client.get(reverse("admin:activities_volunteershift_change", args=[b.pk])).status_code == 404


def test_lift_action_records_the_reason(client):
    community = CommunityFactory()
    term = TermFactory(status=TermStatus.RUNNING)
    rule = NoShowRule.objects.create(resident=ResidentFactory(), term=term, community=community, absences=3)
    other = NoShowRule.objects.create(
        resident=ResidentFactory(), term=term, community=CommunityFactory(), absences=4
    )
    staff = StaffFactory(community=community)
    client.force_login(staff)
    client.post(
        reverse("admin:activities_noshowrule_changelist"),
        {"action": "lift_rules", "_selected_action": [rule.pk, other.pk], "reason": "生病已补假"},
    )
    rule.refresh_from_db()
    other.refresh_from_db()
    assert (rule.lifted_by, rule.lift_reason) == (staff, "生病已补假")
    assert other.lifted_at is None


def test_certificates_are_read_only_in_the_admin(client):
    community = CommunityFactory()
    holder = ResidentFactory(profile__community=community)
    certificate = certificate_issue(
        kind=CertificateKind.COURSE_COMPLETION, holder=holder, subject="course:1", title="结业证书"
    )
    client.force_login(StaffFactory(role=Role.COMMUNITY_STAFF, community=community))
    page = client.get(reverse("admin:activities_certificate_change", args=[certificate.pk]))
    assert page.status_code == 200 and b'name="title"' not in page.content
    assert (
        client.post(
            reverse("admin:activities_certificate_change", args=[certificate.pk]), {"title": "x"}
        ).status_code
        == 403
    )
    assert client.get(reverse("admin:activities_certificate_add")).status_code == 403
