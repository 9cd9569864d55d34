"""The residents' form to recommend a teacher for the pool (师资库)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from community_college.forms import LongTextForm
from community_college.models import Weekday
from interests.models import Category


class _InterestChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        # Read when the page is drawn, so an English reader sees English names (issue 19).
        return obj.display_name


class RecommendationForm(LongTextForm):
    name = forms.CharField(
        label=_("Who do you recommend?"),
        max_length=60,
        widget=forms.TextInput(attrs={"class": "form-control form-control-lg", "autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=_("Their mobile number (optional)"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"class": "form-control form-control-lg", "inputmode": "tel"}),
        help_text=_("Only the staff of your community see it, to call them."),
    )
    categories = _InterestChoiceField(
        label=_("What could they teach?"),
        queryset=Category.objects.filter(is_active=True).order_by("sort_order", "name"),
        widget=forms.SelectMultiple(attrs={"class": "form-select form-select-lg", "size": 8}),
        help_text=_("Choose one or more interests."),
    )
    note = forms.CharField(
        label=_("Why do you recommend them? (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control form-control-lg"}),
    )


class FreeTimeForm(forms.Form):
    """One weekly free time of the teacher's own profile (a row of the formset)."""

    weekday = forms.TypedChoiceField(
        label=_("Day"),
        choices=Weekday.choices,
        coerce=int,
        widget=forms.Select(attrs={"class": "form-select form-select-lg"}),
    )
    start = forms.TimeField(
        label=_("From"),
        widget=forms.TimeInput(
            attrs={"type": "time", "class": "form-control form-control-lg"}, format="%H:%M"
        ),
    )
    end = forms.TimeField(
        label=_("Until"),
        widget=forms.TimeInput(
            attrs={"type": "time", "class": "form-control form-control-lg"}, format="%H:%M"
        ),
    )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["start"] >= data["end"]:
            raise forms.ValidationError(_("The end must be later than the start."))
        return data


FreeTimeFormSet = forms.formset_factory(FreeTimeForm, extra=2, can_delete=True, max_num=21, validate_max=True)


class WeeklyMaximumForm(forms.Form):
    max_weekly_sessions = forms.IntegerField(
        label=_("Most sessions a week"),
        min_value=1,
        max_value=40,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-lg", "inputmode": "numeric"}),
    )


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you decline?"),
        max_length=300,
        widget=forms.TextInput(attrs={"class": "form-control form-control-lg"}),
        help_text=_("For example: I am not free then, or the place is too far for me."),
    )
