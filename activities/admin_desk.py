"""The form of "new order by phone" and its resident look-up, which shows masked mobile numbers only."""

from __future__ import annotations

from django import forms
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Community, User, mask_phone
from accounts.selectors import scope_for
from activities.enums import CourseStatus
from activities.models import Course, Order
from interests.enums import OrderChannel
from interests.models import Category


def resident_label(user: User) -> str:
    """How staff recognise a caller: name, masked mobile number, home community."""
    profile = getattr(user, "profile", None)
    parts = [user.name, mask_phone(user.phone)]
    if profile is not None:
        parts.append(str(profile.community))
    return " · ".join(part for part in parts if part)


class ResidentAutocompleteView(AutocompleteJsonView):
    """The admin's autocomplete, but each answer carries the masked mobile number and the home community.

    Rows come from the scoped user admin (`get_queryset`), so another community's residents never appear.
    """

    def serialize_result(self, obj, to_field_name):
        return {"id": str(getattr(obj, to_field_name)), "text": resident_label(obj)}

    def get_queryset(self):
        return super().get_queryset().filter(profile__isnull=False).select_related("profile__community")


class ResidentAutocomplete(AutocompleteSelect):
    def get_url(self):
        return reverse(f"{self.admin_site.name}:activities_order_resident_autocomplete")


class ResidentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return resident_label(obj)


class PhoneOrderForm(forms.Form):
    """Who is calling (an existing resident, or name + phone + community of a new one) and what they want."""

    resident = ResidentChoiceField(
        label=gettext_lazy("Existing resident"),
        queryset=User.objects.none(),
        required=False,
        help_text=gettext_lazy("Type a name or a mobile number."),
    )
    name = forms.CharField(label=gettext_lazy("New resident: full name"), max_length=60, required=False)
    phone = forms.CharField(label=gettext_lazy("New resident: mobile number"), max_length=20, required=False)
    community = forms.ModelChoiceField(
        label=gettext_lazy("New resident: home community"), queryset=Community.objects.none(), required=False
    )
    category = forms.ModelChoiceField(
        label=gettext_lazy("Order an interest"), queryset=Category.objects.none(), required=False
    )
    course = forms.ModelChoiceField(
        label=gettext_lazy("Or register for a class"), queryset=Course.objects.none(), required=False
    )
    channel = forms.ChoiceField(
        label=gettext_lazy("channel"),
        choices=[(OrderChannel.PHONE, OrderChannel.PHONE.label), (OrderChannel.DESK, OrderChannel.DESK.label)],
        initial=OrderChannel.PHONE,
    )
    note = forms.CharField(label=gettext_lazy("note"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=500)

    def __init__(self, *args, request, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        scope = scope_for(request.user)
        users = admin_site._registry[User].scoped(request).filter(profile__isnull=False)
        # Widgets first: assigning the queryset afterwards hands the widget its choices.
        self.fields["resident"].widget = ResidentAutocomplete(Order._meta.get_field("resident"), admin_site)
        self.fields["resident"].queryset = users.select_related("profile__community")
        self.fields["community"].queryset = (
            Community.objects.all() if scope.everything else Community.objects.filter(pk__in=scope.community_ids)
        )
        self.fields["category"].widget = AutocompleteSelect(Order._meta.get_field("category"), admin_site)
        self.fields["category"].queryset = Category.objects.filter(children__isnull=True, is_active=True)
        self.fields["course"].widget = AutocompleteSelect(Order._meta.get_field("course"), admin_site)
        self.fields["course"].queryset = scope.filter(Course.objects.filter(status=CourseStatus.OPEN))

    def clean(self):
        data = super().clean()
        new = [data.get("name"), data.get("phone"), data.get("community")]
        if data.get("resident") is None and not all(new):
            raise forms.ValidationError(
                _("Choose an existing resident, or give the new resident's name, mobile number and community.")
            )
        if data.get("resident") is not None and any(new[:2]):
            raise forms.ValidationError(_("Choose an existing resident or register a new one, not both."))
        if (data.get("category") is None) == (data.get("course") is None):
            raise forms.ValidationError(_("Choose either an interest to order or a class to register for."))
        return data
