"""The feedback form (返单): big star buttons that are real radio inputs with labels, and a comment."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from community_college.forms import LongTextForm

from .models import SessionRating

STAR_CHOICES = [
    (1, pgettext_lazy("stars", "1 star · Poor")),
    (2, pgettext_lazy("stars", "2 stars · Fair")),
    (3, pgettext_lazy("stars", "3 stars · Good")),
    (4, pgettext_lazy("stars", "4 stars · Very good")),
    (5, pgettext_lazy("stars", "5 stars · Excellent")),
]


class FeedbackForm(LongTextForm):
    stars = forms.TypedChoiceField(
        label=_("How was the session?"),
        choices=STAR_CHOICES,
        coerce=int,
        widget=forms.RadioSelect(attrs={"class": "btn-check"}),
        error_messages={"required": _("Choose between one and five stars.")},
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=SessionRating._meta.get_field("comment").max_length,
        widget=forms.Textarea(attrs={"rows": 4, "class": "form-control"}),
        help_text=_("What went well, what could be better? The community and the teacher read it."),
    )
