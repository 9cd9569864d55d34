"""Venues in and out of spreadsheets; see `accounts.resources` for scope, masking and all-or-nothing."""

from import_export import fields

from accounts.resources import CommunityCodeWidget, MaskedPhoneWidget, ScopedResource

from .models import Venue


class VenueResource(ScopedResource):
    phone_columns = ("contact_phone",)
    community = fields.Field(attribute="community", column_name="community", widget=CommunityCodeWidget())
    contact_phone = fields.Field(attribute="contact_phone", column_name="contact_phone", widget=MaskedPhoneWidget())

    class Meta:
        model = Venue
        fields = (
            "id", "name", "community", "owner_type", "owner_name", "address", "capacity", "requires_confirmation",
            "contact_name", "contact_phone", "latitude", "longitude", "is_active",
        )
        clean_model_instances = True
        use_transactions = True
        skip_unchanged = True
        report_skipped = False
