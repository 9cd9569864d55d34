from django import forms
from django.utils.translation import gettext_lazy as _

from .enums import ReportReason
from .selectors import category_choices


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)


class MatterForm(forms.Form):
    category = CategoryChoiceField(label=_("What is it about?"), queryset=category_choices(), empty_label=None)
    title = forms.CharField(
        label=_("In one line"),
        max_length=80,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": _("e.g. Not enough parking at night")}),
    )
    description = forms.CharField(label=_("Tell us more"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5}))
    show_name = forms.BooleanField(label=_("Show my name to my neighbours"), required=False)
    latitude = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    longitude = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)
    photo = forms.FileField(
        label=_("A photo (optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp", "capture": "environment"}),
        help_text=_("Shown to neighbours after staff have checked it. Location data in the photo is removed."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = category_choices()


class CommentForm(forms.Form):
    body = forms.CharField(label=_("Your comment"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))


class ReportForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why?"), choices=ReportReason.choices)


class ConfirmForm(forms.Form):
    is_done = forms.TypedChoiceField(
        label=_("Is it really done?"),
        choices=[("1", _("Yes, it is done")), ("0", _("No, not really"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    satisfaction = forms.TypedChoiceField(
        label=_("How satisfied are you?"),
        choices=[(str(n), "★" * n) for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(label=_("Anything to add?"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
