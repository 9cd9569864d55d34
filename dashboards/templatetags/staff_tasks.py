"""The staff admin's front page grouped by task, today's work first (issue 19).

Thirty-five models in alphabetical apps hid the order inbox as "点单" among them. Each group lists the
pages a task needs, only those the user may open, with how many items wait where that is the point
(new orders, bookings to confirm, recommendations to review). Counts use each ModelAdmin's own queryset,
so they respect the user's scope exactly as the lists do.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import template
from django.contrib import admin
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

register = template.Library()


@dataclass
class Task:
    label: str
    url: str
    count: int | None = None


@dataclass
class TaskGroup:
    title: str
    hint: str
    tasks: list[Task] = field(default_factory=list)


# (group title, hint, [(label, "app.model", url name or None for the changelist, query, count filter)])
GROUPS = [
    (
        _("Today's work"),
        _("New orders to accept, bookings to confirm, recommendations to review."),
        [
            (_("Order inbox (接单)"), "activities.order", None, "", {"status": "submitted"}),
            (_("New order by phone"), "activities.order", "admin:activities_order_phone", "", None),
            (_("Bookings to confirm"), "venues.booking", None, "?status__exact=pending", {"status": "pending"}),
            (_("Teacher recommendations to review"), "teachers.teacherrecommendation", None, "?status__exact=pending", {"status": "pending"}),
            (_("Matching proposals"), "activities.matchrun", None, "", None),
        ],
    ),
    (
        _("Classes and venues"),
        _("What happens where and when."),
        [
            (_("Venues on one screen"), "venues.venue", "admin:venues_venue_overview", "", None),
            (_("Courses"), "activities.course", None, "", None),
            (_("Sessions"), "activities.session", None, "", None),
            (_("Registrations"), "activities.registration", None, "", None),
            (_("Venues"), "venues.venue", None, "", None),
            (_("Five minutes before class"), "activities.policytalk", None, "", None),
        ],
    ),
    (
        _("People and groups"),
        _("Teachers, residents and interest groups of your community."),
        [
            (_("Teacher pool"), "teachers.teacher", None, "", None),
            (_("Residents"), "interests.residentprofile", None, "", None),
            (_("Interest groups"), "interests.interestgroup", None, "", None),
        ],
    ),
]


def _model_admin(label: str):
    for model, model_admin in admin.site._registry.items():
        if model._meta.label_lower == label:
            return model_admin
    return None


@register.simple_tag(takes_context=True)
def staff_task_groups(context) -> list[TaskGroup]:
    request = context["request"]
    groups = []
    for title, hint, rows in GROUPS:
        group = TaskGroup(title=str(title), hint=str(hint))
        for label, model_label, url_name, query, count_filter in rows:
            model_admin = _model_admin(model_label)
            if model_admin is None or not model_admin.has_view_or_change_permission(request):
                continue
            if url_name and url_name.endswith("_phone") and not model_admin.has_add_permission(request):
                continue
            opts = model_admin.model._meta
            try:
                url = reverse(url_name or f"admin:{opts.app_label}_{opts.model_name}_changelist") + query
            except NoReverseMatch:
                continue
            count = model_admin.get_queryset(request).filter(**count_filter).count() if count_filter else None
            group.tasks.append(Task(label=str(label), url=url, count=count))
        if group.tasks:
            groups.append(group)
    return groups
