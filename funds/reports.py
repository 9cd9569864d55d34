"""The finance office's workbook: the ledger entry by entry, and the term's report, from the selectors."""

from __future__ import annotations

from django.utils.translation import gettext as _

from . import selectors
from .enums import Source, Use
from .xlsx import workbook


def ledger_sheet(*, college_ids, term=None):
    header = [
        _("Posting"), _("Date"), _("Kind"), _("Why"), _("Account"), _("Debit (yuan)"), _("Credit (yuan)"),
        _("Posted by"), _("Posted at"), _("Reverses"), _("College"),
    ]
    rows = []
    for e in selectors.ledger_entries(college_ids=college_ids, term=term).iterator(chunk_size=2000):
        p = e.posting
        rows.append([
            p.pk, p.occurred_on, p.get_kind_display(), p.memo, e.account.get_code_display(),
            e.amount if e.amount > 0 else None, -e.amount if e.amount < 0 else None,
            p.created_by.name, p.created, p.reverses_id, p.college.name,
        ])
    return _("Ledger"), header, rows


def report_sheets(*, college_id: int, term):
    if term is None:
        return []
    report = selectors.college_report(college_id=college_id, term=term)
    months = [
        [m.month.strftime("%Y-%m"), *(m.income.get(s) or 0 for s in Source.values), *(m.spending.get(u) or 0 for u in Use.values)]
        for m in report.months
    ]
    campaigns = [[c.title, c.target, c.raised, c.spent, c.pledged, c.deadline] for c in report.campaigns]
    return [
        (
            _("Monthly"),
            [_("Month"), *(str(label) for label in Source.labels), *(str(label) for label in Use.labels)],
            months,
        ),
        (_("Campaigns"), [_("Campaign"), _("Target"), _("Raised"), _("Spent"), _("Still pledged"), _("Deadline")], campaigns),
    ]


def ledger_workbook(*, college, term) -> bytes:
    return workbook([ledger_sheet(college_ids=[college.pk], term=term), *report_sheets(college_id=college.pk, term=term)])
