"""Spreadsheet import and export (.xlsx, django-import-export) in the staff admin: scope, masking, all or nothing.

- Every resource is built for the signed-in user (`user=`): a row whose community lies outside the user's
  scope is an invalid row, reported with its row number, like any other validation error.
- An import is checked whole in a dry run first; the admin offers to confirm only a file without errors,
  and the confirmed import runs in one transaction (`use_transactions`), rolled back on any error.
- Mobile numbers leave the system masked (138****1234). A masked number in an uploaded file means "keep
  the number on record", so an exported sheet can be corrected and imported again.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import XLSX

from .models import MOBILE_PATTERN, Community, User, mask_phone, normalise_phone
from .selectors import scope_for


class MaskedPhoneWidget(widgets.CharWidget):
    def render(self, value, obj=None, **kwargs):
        return mask_phone(value)

    def clean(self, value, row=None, **kwargs):
        # A mobile typed as `138 1234-5678` or in full-width digits is stored in the one spelling; a
        # landline (a venue's contact) is kept as written.
        value = super().clean(value, row=row, **kwargs)
        number = normalise_phone(value)
        if number and MOBILE_PATTERN.fullmatch(number):
            return number
        return value


class CommunityCodeWidget(widgets.ForeignKeyWidget):
    """A community by its code, the column staff can type and read."""

    def __init__(self, **kwargs):
        super().__init__(Community, field="code", **kwargs)


class ScopedResource(resources.ModelResource):
    """A model resource for one user: imports only into communities the user may change."""

    phone_columns: tuple[str, ...] = ()
    community_attribute = "community"

    def __init__(self, user=None, **kwargs):
        super().__init__(**kwargs)
        self.user = user

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.column_name in self.phone_columns and "*" in str(row.get(field.column_name) or ""):
            return  # a masked number: keep the one on record
        super().import_field(field, instance, row, is_m2m, **kwargs)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        community_id = getattr(instance, f"{self.community_attribute}_id", None)
        if self.user is not None and not self.user.is_superuser:
            if not scope_for(self.user).can_change_community(community_id):
                errors[self.community_attribute] = ValidationError(
                    _("You can only import into your own community.")
                )
            elif instance.pk and not self._was_in_scope(instance):
                errors["id"] = ValidationError(_("This row belongs to another community."))
        super().validate_instance(instance, errors, validate_unique)

    def _was_in_scope(self, instance) -> bool:
        stored = (
            type(instance)
            ._default_manager.filter(pk=instance.pk)
            .values_list(f"{self.community_attribute}_id", flat=True)
            .first()
        )
        return stored is None or scope_for(self.user).can_change_community(stored)


class ScopedImportExportMixin(ImportExportMixin):
    """Import and export for a scoped admin: .xlsx only, the user's scope and rights, phones masked."""

    formats = [XLSX]
    import_formats = [XLSX]
    export_formats = [XLSX]
    # Imports allowed only where the user adds and changes rows; exports where they may read.
    importable = True

    def has_import_permission(self, request):
        return self.importable and self.has_add_permission(request) and self.has_change_permission(request)

    def has_export_permission(self, request):
        return self.has_view_permission(request)

    def get_resource_kwargs(self, request, *args, **kwargs):
        return {**super().get_resource_kwargs(request, *args, **kwargs), "user": request.user}


class CommunityCodeImportWidget(CommunityCodeWidget):
    """A community code typed in a sheet: an unknown code is the row's error, not a crash of the import."""

    def clean(self, value, row=None, **kwargs):
        code = str(value or "").strip()
        if not code:
            raise ValueError(_("Give the community code."))
        community = Community.objects.filter(code=code).first()
        if community is None:
            raise ValueError(_("No community has the code %(code)s.") % {"code": code})
        return community


class ResidentResource(ScopedResource):
    """Residents in a sheet: exported with masked numbers; imported as new residents, one service call a row.

    Each row goes through `accounts.services.resident_register`, the same path as a registration at the desk,
    so a sheet can only add residents (name, mobile number, home community, optional e-mail): it never edits
    or overwrites a resident already on record. A number already registered is that row's error.
    """

    phone_columns = ("phone",)
    community_attribute = "home_community"

    id = fields.Field(attribute="id", column_name="id", readonly=True, widget=widgets.IntegerWidget())
    name = fields.Field(attribute="name", column_name="name")
    phone = fields.Field(attribute="phone", column_name="phone", widget=MaskedPhoneWidget())
    community = fields.Field(
        attribute="home_community", column_name="community", widget=CommunityCodeImportWidget()
    )
    email = fields.Field(attribute="email", column_name="email")
    date_joined = fields.Field(attribute="date_joined", column_name="date_joined", readonly=True)

    class Meta:
        model = User
        fields = ("id", "name", "phone", "community", "email", "date_joined")
        export_order = fields
        # The service validates each resident in full; `full_clean` here would ask for a password.
        clean_model_instances = False
        use_transactions = True
        skip_unchanged = False
        report_skipped = False

    def get_instance(self, instance_loader, row):
        return None  # every row is a new resident: a sheet never edits one already on record

    def dehydrate_community(self, user) -> str:
        profile = getattr(user, "profile", None)
        return profile.community.code if profile is not None else ""

    def dehydrate_email(self, user) -> str:
        return user.email or ""

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        community = getattr(instance, "home_community", None)
        outsider = self.user is not None and not self.user.is_superuser
        if community is not None and outsider and not scope_for(self.user).can_change_community(community.pk):
            errors["home_community"] = ValidationError(_("You can only import into your own community."))
        if not (instance.phone or "").strip() or "*" in (instance.phone or ""):
            errors.setdefault("phone", ValidationError(_("Give the resident's full mobile number.")))
        if not (instance.name or "").strip():
            errors.setdefault("name", ValidationError(_("Give the resident's name.")))
        if errors:
            raise ValidationError(errors)

    def do_instance_save(self, instance, is_create):
        from .services import resident_register

        # A savepoint per row: a refused row leaves nothing behind, so the rows after it are checked against
        # exactly what the file would write (two rows with one number: the second is the error).
        with transaction.atomic():
            user = resident_register(
                name=instance.name,
                phone=instance.phone,
                community=instance.home_community,
                email=instance.email or None,
                registered_by=self.user,
            )
        instance.pk = user.pk
        instance._state.adding = False
