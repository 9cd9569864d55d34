"""The residents' form to recommend a teacher for the pool (师资库)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from community_college.forms import LongTextForm
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
