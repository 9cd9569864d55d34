"""The dashboards' filter form: street, community, interest and period, with choices inside the user's scope."""

from __future__ import annotations

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from accounts.selectors import Scope

from .selectors import DEFAULT_PERIOD, CategoryNode, CommunityNode

INDENT = "\u3000"  # an ideographic space: sub-interests line up under their field in the menu
PERIOD_CHOICES = [
    ("week", _("Last 7 days")),
    ("month", _("Last 30 days")),
    ("quarter", _("Last 90 days")),
    ("year", _("Last 12 months")),
]


class FilterForm(forms.Form):
    street = forms.TypedChoiceField(label=_("Street"), coerce=int, required=False, empty_value=None)
    community = forms.TypedChoiceField(label=_("Community"), coerce=int, required=False, empty_value=None)
    category = forms.TypedChoiceField(label=_("Interest"), coerce=int, required=False, empty_value=None)
    period = forms.ChoiceField(label=_("Period"), choices=PERIOD_CHOICES, required=False)

    def __init__(self, data, *, scope: Scope, tree: list[CommunityNode], categories: list[CategoryNode]):
        super().__init__(data)
        visible = [c for c in tree if scope.covers(c.id)]
        streets: dict[int, str] = {}
        grouped: dict[str, list[tuple[int, str]]] = {}
        for c in visible:
            streets[c.street_id] = c.street_name
            grouped.setdefault(c.street_name, []).append((c.id, c.name))
        self.fields["street"].choices = [("", _("All streets"))] + sorted(streets.items(), key=lambda s: s[1])
        self.fields["community"].choices = [("", _("All communities"))] + list(grouped.items())
        self.fields["category"].choices = [("", _("All interests"))] + [
            (n.id, f"{INDENT * n.depth}{n.label}") for n in categories
        ]
        self.fields["period"].initial = DEFAULT_PERIOD
        # A single street or community needs no menu: the page shows it anyway.
        self.show_street = len(streets) > 1
        self.show_community = len(visible) > 1

    def select(self, name: str) -> str:
        """The field's <select>, written here: the widget templates render each of the ~200 options through
        a template of its own, which costs more than the rest of the page."""
        bound = self[name]
        current = str(bound.value() or "")

        def options(choices):
            return format_html_join(
                "", '<option value="{}"{}>{}</option>', ((v, " selected" if str(v) == current else "", label) for v, label in choices)
            )

        parts = []
        for value, label in self.fields[name].choices:
            if isinstance(label, list | tuple):
                parts.append(format_html('<optgroup label="{}">{}</optgroup>', value, options(label)))
            else:
                parts.append(options([(value, label)]))
        return format_html(
            '<select name="{}" id="{}" class="form-select form-select-sm">{}</select>',
            bound.html_name,
            bound.auto_id,
            mark_safe("".join(parts)),  # safe: every part was built by format_html above
        )

    def selects(self) -> dict[str, str]:
        return {name: self.select(name) for name in ("street", "community", "category", "period")}

    def values(self) -> dict:
        """The valid filters; a value outside the choices (another street's community …) is ignored."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "street_id": data.get("street"),
            "community_id": data.get("community"),
            "category_id": data.get("category"),
            "period": data.get("period") or DEFAULT_PERIOD,
        }
