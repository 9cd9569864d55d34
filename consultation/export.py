"""The staff's .xlsx export of matters. Text cells are formula-safe through `community_college.cells`: a
value a resident typed that starts with = + - @ (or a tab/CR) is written as text, never evaluated."""

from __future__ import annotations

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from accounts.models import mask_phone
from community_college.cells import text_cell


def safe_text(value) -> str:
    """`value` as text through the project's one formula guard (community_college.cells)."""
    return text_cell("" if value is None else str(value))


def matters_workbook(matters) -> bytes:
    """One row per matter, names for staff and masked phones, as everywhere in the staff's exports."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Matters"))
    sheet.append(
        [
            _("Number"),
            _("Community"),
            _("Category"),
            _("Title"),
            _("Description"),
            _("Raised by"),
            _("Mobile number"),
            _("Channel"),
            _("Status"),
            _("Outcome"),
            _("Supports"),
            _("Raised at"),
            _("First answered at"),
            _("Answered on time"),
            _("Closed at"),
        ]
    )

    def when(moment):
        return timezone.localtime(moment).replace(tzinfo=None) if moment else None

    for m in matters:
        sheet.append(
            [
                m.pk,
                safe_text(m.community.name),
                safe_text(str(m.category)),
                safe_text(m.title),
                safe_text(m.description),
                safe_text(m.raised_by.name),
                mask_phone(m.raised_by.phone),
                str(m.get_channel_display()),
                str(m.get_status_display()),
                str(m.get_outcome_display()) if m.outcome else "",
                m.support_count,
                when(m.raised_at),
                when(m.answered_at),
                {True: _("yes"), False: _("no"), None: ""}[m.answered_on_time],
                when(m.closed_at),
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def dashboard_workbook(figures: dict) -> bytes:
    """The dashboard's tables, one sheet each (by street, community, category)."""
    book = Workbook(write_only=True)
    head = [_("Name"), _("Raised"), _("Answered"), _("Answered on time"), _("Deliberated"), _("Decided"), _("Done"), _("Open"), _("Satisfaction")]
    for title, rows, name_key in (
        (_("By street"), figures["by_street"], "community__street__name"),
        (_("By community"), figures["by_community"], "community__name"),
        (_("By category"), figures["by_category"], "category__name"),
    ):
        sheet = book.create_sheet(title)
        sheet.append(head)
        for row in rows:
            sheet.append(
                [
                    safe_text(row[name_key]),
                    row["raised"],
                    row["answered"],
                    row["on_time"],
                    row["deliberated"],
                    row["decided"],
                    row["done"],
                    row["open"],
                    round(row["satisfaction"], 2) if row["satisfaction"] is not None else None,
                ]
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
