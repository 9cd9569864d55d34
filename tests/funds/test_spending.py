"""Budgets, expenses and monthly stipends."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from activities.enums import SessionStatus
from community_college.errors import ConflictError
from funds import services
from funds.enums import ExpenseStatus, ReversalReason, StipendKind, Use
from funds.models import BudgetLine, StipendBatch, StipendRate
from teachers.enums import TeacherKind, TeacherSource
from tests.factories.activities import CourseFactory, SessionFactory
from tests.factories.teachers import TeacherFactory

from .conftest import pdf, png

pytestmark = pytest.mark.django_db


def test_spend_beyond_the_budget_line_is_refused(college, other, staff, staff2, other_staff, term):
    services.budget_set(college=college, term=term, use=Use.EVENTS, amount="300", actor=staff)
    theirs = services.budget_set(college=other, term=term, use=Use.EVENTS, amount="300", actor=other_staff)
    first = services.expense_request(college=college, term=term, use=Use.EVENTS, amount="200", description="展演", actor=staff, receipt=pdf())
    second = services.expense_request(college=college, term=term, use=Use.EVENTS, amount="100.01", description="横幅", actor=staff, receipt=png())
    services.expense_approve(expense=first, actor=staff)  # below the threshold: the requester may approve
    with pytest.raises(ConflictError) as exc:
        services.expense_approve(expense=second, actor=staff2)
    assert exc.value.code == "budget_exceeded"
    line = BudgetLine.objects.get(college=college)
    assert (line.spent, line.remaining) == (Decimal("200.00"), Decimal("100.00"))
    second.refresh_from_db()
    assert second.status == ExpenseStatus.REQUESTED and not second.postings.exists()
    assert BudgetLine.objects.get(pk=theirs.pk).spent == 0


def test_without_a_budget_line_nothing_is_spent(college, staff, staff2, term):
    expense = services.expense_request(college=college, term=term, use=Use.VENUE_FEES, amount="10", description="场租", actor=staff, receipt=png())
    with pytest.raises(ConflictError):
        services.expense_approve(expense=expense, actor=staff2)


def test_reversing_an_expense_gives_the_budget_back(college, staff, staff2, term):
    services.budget_set(college=college, term=term, use=Use.MATERIALS, amount="1000", actor=staff)
    expense = services.expense_request(college=college, term=term, use=Use.MATERIALS, amount="700", description="材料", actor=staff, receipt=png())
    services.expense_approve(expense=expense, actor=staff2)
    services.posting_reverse(posting=expense.postings.get(), actor=staff, reason=ReversalReason.ERROR)
    assert BudgetLine.objects.get().spent == 0
    expense.refresh_from_db()
    assert expense.status == ExpenseStatus.REVERSED


def test_budget_cannot_drop_below_what_is_spent(college, staff, staff2, term):
    services.budget_set(college=college, term=term, use=Use.MATERIALS, amount="1000", actor=staff)
    expense = services.expense_request(college=college, term=term, use=Use.MATERIALS, amount="400", description="材料", actor=staff, receipt=png())
    services.expense_approve(expense=expense, actor=staff)
    with pytest.raises(ConflictError):
        services.budget_set(college=college, term=term, use=Use.MATERIALS, amount="399.99", actor=staff)
    assert services.budget_set(college=college, term=term, use=Use.MATERIALS, amount="400", actor=staff).amount == Decimal("400.00")


def test_expense_needs_a_receipt(college, staff, term):
    with pytest.raises(ValidationError) as exc:
        services.expense_request(college=college, term=term, use=Use.MATERIALS, amount="10", description="x", actor=staff)
    assert "receipt" in exc.value.message_dict


@pytest.mark.parametrize(
    ("name", "body"),
    [("a.png", b"GIF89a" + b"0" * 20), ("a.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 20), ("a.png", b"")],
)
def test_receipt_type_is_checked_by_content(college, staff, term, name, body):
    with pytest.raises(ValidationError):
        services.expense_request(college=college, term=term, use=Use.MATERIALS, amount="10", description="x", actor=staff, receipt=png(name=name, body=body))


def test_receipt_size_is_checked(college, staff, term, settings):
    settings.FUNDS_RECEIPT_MAX_BYTES = 50
    with pytest.raises(ValidationError) as exc:
        services.expense_request(college=college, term=term, use=Use.MATERIALS, amount="10", description="x", actor=staff, receipt=png())
    assert "receipt" in exc.value.message_dict


def test_stipends_follow_the_rate_table_and_volunteers_get_nothing(college, other, staff, staff2):
    last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    from tests.factories.activities import TermFactory

    term = TermFactory(name="stipend term", starts_on=last_month - dt.timedelta(days=30), ends_on=last_month + dt.timedelta(days=90))
    StipendRate.objects.create(kind=StipendKind.PROFESSIONAL, hourly=Decimal("120"), effective_from=dt.date(2020, 1, 1))
    StipendRate.objects.create(kind=StipendKind.GRASSROOTS, hourly=Decimal("40"), effective_from=dt.date(2020, 1, 1))
    pro = TeacherFactory(source=TeacherSource.UNIVERSITY, kind=TeacherKind.PROFESSIONAL, community=college.community)
    volunteer = TeacherFactory(source=TeacherSource.VOLUNTEER_TEAM, kind=TeacherKind.GRASSROOTS, community=college.community)
    start = timezone.make_aware(dt.datetime.combine(last_month, dt.time(9)))
    for teacher, statuses in ((pro, [SessionStatus.HELD, SessionStatus.HELD, SessionStatus.CANCELLED]), (volunteer, [SessionStatus.HELD])):
        course = CourseFactory(community=college.community, teacher=teacher)
        for n, status in enumerate(statuses):
            SessionFactory(course=course, starts_at=start + dt.timedelta(days=n), ends_at=start + dt.timedelta(days=n, hours=1, minutes=30), status=status)
    # Another college's held session is not this college's stipend.
    SessionFactory(course=CourseFactory(community=other.community), starts_at=start, ends_at=start + dt.timedelta(hours=2), status=SessionStatus.HELD)
    services.budget_set(college=college, term=term, use=Use.STIPENDS, amount="1000", actor=staff)
    batch = services.stipends_propose(college=college, month=last_month, actor=staff)
    lines = {line.teacher_id: line for line in batch.lines.all()}
    assert (lines[pro.pk].sessions, lines[pro.pk].hours, lines[pro.pk].amount) == (2, Decimal("3.00"), Decimal("360.00"))
    assert (lines[volunteer.pk].kind, lines[volunteer.pk].amount) == (StipendKind.VOLUNTEER, Decimal("0.00"))
    assert batch.expense.amount == Decimal("360.00") and batch.expense.status == ExpenseStatus.REQUESTED
    with pytest.raises(ConflictError):
        services.stipends_propose(college=college, month=last_month, actor=staff)
    services.expense_approve(expense=batch.expense, actor=staff2)
    assert BudgetLine.objects.get(college=college).spent == Decimal("360.00")
    assert batch.expense.postings.get().kind == "stipends"
    assert StipendBatch.objects.count() == 1


def test_stipends_are_not_proposed_for_the_running_month(college, staff):
    with pytest.raises(ValidationError):
        services.stipends_propose(college=college, month=timezone.localdate(), actor=staff)
