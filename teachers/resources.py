"""Teachers in and out of spreadsheets; see `accounts.resources` for scope, masking and all-or-nothing."""

from import_export import fields

from accounts.resources import CommunityCodeWidget, MaskedPhoneWidget, ScopedResource

from .models import Teacher


class TeacherResource(ScopedResource):
    phone_columns = ("phone",)
    community = fields.Field(attribute="community", column_name="community", widget=CommunityCodeWidget())
    phone = fields.Field(attribute="phone", column_name="phone", widget=MaskedPhoneWidget())

    class Meta:
        model = Teacher
        fields = (
            "id", "name", "phone", "source", "kind", "community", "bio", "max_weekly_sessions", "max_travel_km",
            "latitude", "longitude", "is_active",
        )
        clean_model_instances = True
        use_transactions = True
        skip_unchanged = True
        report_skipped = False
