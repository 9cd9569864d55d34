"""Forms of the resident portal: the profile (画像), an order for an interest, the search box."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from community_college.forms import LongTextForm
from community_college.models import Weekday

from .models import Category, ResidentProfile
from .selectors import DAYPARTS, communities_by_street, interests_by_field, offered_category

DAYPART_LABELS = {
    "morning": pgettext_lazy("part of the day", "Morning"),
    "afternoon": pgettext_lazy("part of the day", "Afternoon"),
    "evening": pgettext_lazy("part of the day", "Evening"),
}


def _checkbox() -> forms.CheckboxInput:
    return forms.CheckboxInput(attrs={"class": "form-check-input"})


class SearchForm(forms.Form):
    # No maximum length: a long paste is searched by its beginning (interests.search.clean_query), never
    # refused with an empty page.
    q = forms.CharField(
        label=_("Interest or class"),
        required=False,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "class": "form-control form-control-lg",
                "autocomplete": "off",
                "placeholder": _("For example 太极, taiji or tjq"),
            }
        ),
        help_text=_("Type Chinese characters, pinyin or the first letters of the pinyin."),
    )


class ProfileForm(forms.Form):
    """Home, interests, free time and consent. Choices come from the organisation and interest trees."""

    LOCATION_COMMUNITY = "community"
    LOCATION_DEVICE = "device"

    community = forms.TypedChoiceField(
        label=_("Home community"),
        coerce=int,
        help_text=_("Classes and groups near this community are shown to you first."),
        widget=forms.Select(attrs={"class": "form-select form-select-lg"}),
    )
    location_source = forms.ChoiceField(
        choices=[(LOCATION_COMMUNITY, LOCATION_COMMUNITY), (LOCATION_DEVICE, LOCATION_DEVICE)],
        initial=LOCATION_COMMUNITY,
        widget=forms.HiddenInput,
    )
    latitude = forms.FloatField(
        required=False, validators=[MinValueValidator(-90), MaxValueValidator(90)], widget=forms.HiddenInput
    )
    longitude = forms.FloatField(
        required=False, validators=[MinValueValidator(-180), MaxValueValidator(180)], widget=forms.HiddenInput
    )
    interests = forms.TypedMultipleChoiceField(label=_("My interests"), coerce=int, required=False)
    availability = forms.MultipleChoiceField(label=_("When I am usually free"), required=False)
    consent_sms = forms.BooleanField(label=_("Send me notices by SMS"), required=False, widget=_checkbox())
    consent_email = forms.BooleanField(label=_("Send me notices by e-mail"), required=False, widget=_checkbox())
    consent_recommendations = forms.BooleanField(
        label=_("Recommend classes to me from my interests, free time and home"),
        required=False,
        widget=_checkbox(),
        help_text=_("You can refuse at any time: then every resident sees the same list."),
    )

    def __init__(self, *args, user, profile: ResidentProfile | None = None, **kwargs):
        self.user = user
        self.profile = profile
        super().__init__(*args, **kwargs)
        self.streets = communities_by_street()
        self._communities = {c.pk: c for _street, communities in self.streets for c in communities}
        self.fields["community"].choices = [("", _("Choose your community"))] + [
            (street, [(c.pk, c.name) for c in communities]) for street, communities in self.streets
        ]
        # The interests as the resident's district offers them (the city's default before a first choice).
        self.interest_branches = interests_by_field(profile.community.street.district_id if profile else None)
        self._categories: dict[int, Category] = {
            c.pk: c for branch in self.interest_branches for _sub, leaves in branch.groups for c in leaves
        }
        self.fields["interests"].choices = [(pk, c.name) for pk, c in self._categories.items()]
        self.fields["availability"].choices = [
            (f"{day.value}-{part}", f"{day.label} {DAYPART_LABELS[part]}") for day in Weekday for part in DAYPARTS
        ]
        if not user.email:
            self.fields["consent_email"].help_text = _("Add an e-mail address to your account first.")

    # Template helpers: the grid and the checkbox groups render from these, not from widgets.
    @property
    def weekdays(self):
        return list(Weekday)

    @property
    def dayparts(self):
        return [(part, DAYPART_LABELS[part], start, end) for part, (start, end) in DAYPARTS.items()]

    def selected(self, name: str) -> set[str]:
        value = self[name].value() or []
        return {str(v) for v in value}

    def clean_community(self):
        return self._communities[self.cleaned_data["community"]]

    def clean_interests(self):
        return [self._categories[pk] for pk in self.cleaned_data["interests"]]

    def clean_availability(self):
        windows = []
        for cell in self.cleaned_data["availability"]:
            day, part = cell.split("-", 1)
            start, end = DAYPARTS[part]
            windows.append((int(day), start, end))
        return windows

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("location_source") != self.LOCATION_DEVICE:
            # The community's centre: the service fills it in.
            cleaned["latitude"] = cleaned["longitude"] = None
        elif (cleaned.get("latitude") is None or cleaned.get("longitude") is None) and not (
            "latitude" in self.errors or "longitude" in self.errors
        ):
            self.add_error(None, _("Your location could not be read. Try again, or use your community's centre."))
        return cleaned

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "community": data["community"],
            "latitude": data.get("latitude"),
            "longitude": data.get("longitude"),
            "interests": data["interests"],
            "availability": data["availability"],
            "consent_sms": data["consent_sms"],
            "consent_email": data["consent_email"],
            "consent_recommendations": data["consent_recommendations"],
        }


class OrderForm(LongTextForm):
    """点单: ask the community for a class in an interest that has none nearby yet."""

    category = forms.IntegerField(widget=forms.HiddenInput, label=_("Interest"), min_value=1)
    note = forms.CharField(
        label=_("Anything the community should know (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control form-control-lg"}),
        help_text=_("For example the days or times that suit you, or whether you are a beginner."),
    )

    def __init__(self, *args, district_id: int | None, **kwargs):
        # Only what the resident's own district offers can be ordered: an interest it hides (or one below
        # a hidden field) is refused even when its id is posted by hand.
        self.district_id = district_id
        super().__init__(*args, **kwargs)

    def clean_category(self):
        category = offered_category(pk=self.cleaned_data["category"], district=self.district_id)
        if category is None:
            raise forms.ValidationError(_("No such interest."), code="invalid_choice")
        return category


class CancelForm(LongTextForm):
    reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
