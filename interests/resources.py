"""Interest groups and residents in and out of spreadsheets; see `accounts.resources`."""

from import_export import fields, widgets

from accounts.resources import CommunityCodeWidget, MaskedPhoneWidget, ScopedResource

from .models import Category, InterestGroup, ResidentProfile


class InterestGroupResource(ScopedResource):
    community = fields.Field(attribute="community", column_name="community", widget=CommunityCodeWidget())
    category = fields.Field(
        attribute="category", column_name="category_id", widget=widgets.ForeignKeyWidget(Category, field="pk")
    )

    class Meta:
        model = InterestGroup
        fields = ("id", "name", "category", "community", "description", "max_members", "is_active")
        clean_model_instances = True
        use_transactions = True
        skip_unchanged = True
        report_skipped = False


class ResidentResource(ScopedResource):
    """Residents for export only (masked numbers): new residents are registered one by one, by the service."""

    name = fields.Field(attribute="user__name", column_name="name", readonly=True)
    phone = fields.Field(attribute="user__phone", column_name="phone", widget=MaskedPhoneWidget(), readonly=True)
    community = fields.Field(attribute="community", column_name="community", widget=CommunityCodeWidget(), readonly=True)
    grid = fields.Field(attribute="grid__name", column_name="grid", readonly=True)

    class Meta:
        model = ResidentProfile
        fields = ("id", "name", "phone", "community", "grid", "consent_sms", "consent_recommendations", "created")
        export_order = fields
        use_transactions = True
