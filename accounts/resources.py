"""Spreadsheet import and export (.xlsx, django-import-export) in the staff admin: scope, masking, all or nothing.

- Every resource is built for the signed-in user (`user=`): a row whose community lies outside the user's
  scope is an invalid row, reported with its row number, like any other validation error.
- An import is checked whole in a dry run first; the admin offers to confirm only a file without errors,
  and the confirmed import runs in one transaction (`use_transactions`), rolled back on any error.
- Mobile numbers leave the system masked (138****1234). A masked number in an uploaded file means "keep
  the number on record", so an exported sheet can be corrected and imported again.
"""

from __future__ import annotations

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from import_export import fields, resources, widgets
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import XLSX

from community_college.cells import from_text_cell, text_cell

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

    def export_field(self, field, instance, **kwargs):
        # Names, notes and addresses are typed by residents and staff: never a formula in the sheet.
        return text_cell(super().export_field(field, instance, **kwargs))

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.column_name in self.phone_columns and "*" in str(row.get(field.column_name) or ""):
            return  # a masked number: keep the one on record
        if field.column_name in row:
            # A sheet exported here and imported again: the apostrophe `export_field` added is not data.
            row[field.column_name] = from_text_cell(row[field.column_name])
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


IMPORT_FILE_SALT = "accounts.resources.import-file"
# The dry run's file waits this long for its confirmation.
IMPORT_FILE_MAX_AGE = 60 * 60


class ScopedImportExportMixin(ImportExportMixin):
    """Import and export for a scoped admin: .xlsx only, the user's scope and rights, phones masked.

    The confirm step names the file the dry run stored; django-import-export takes that name from the posted
    form, so any file in the server's temporary folder could be named (and was imported, then deleted).
    Here the name travels signed, bound to the user, the model and the upload, and only that file is read.
    """

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

    # --- the confirm step reads only this user's dry-run file ------------------------------------------------
    def _import_binding(self, request) -> dict:
        return {"user": request.user.pk, "model": self.model._meta.label_lower}

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if initial.get("import_file_name"):
            initial["import_file_name"] = signing.dumps(
                {"file": initial["import_file_name"], **self._import_binding(request)}, salt=IMPORT_FILE_SALT
            )
        return initial

    def _signed_import_file(self, request) -> str | None:
        """The file name the dry run signed for this user and model, or None for anything else."""
        try:
            claim = signing.loads(
                request.POST.get("import_file_name", ""), salt=IMPORT_FILE_SALT, max_age=IMPORT_FILE_MAX_AGE
            )
        except signing.BadSignature:
            return None
        if not isinstance(claim, dict) or any(claim.get(k) != v for k, v in self._import_binding(request).items()):
            return None
        name = claim.get("file")
        return name if isinstance(name, str) and name else None

    def _refuse_import(self, request, message: str):
        self.message_user(request, message, messages.ERROR)
        opts = self.model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_import", current_app=self.admin_site.name)
        return HttpResponseRedirect(url)

    def process_import(self, request, **kwargs):
        if request.method != "POST":
            return super().process_import(request, **kwargs)  # answers 405
        if not self.has_import_permission(request):
            raise PermissionDenied
        name = self._signed_import_file(request)
        if name is None:
            return self._refuse_import(
                request, _("This import cannot be confirmed: upload the file again and check it first.")
            )
        post = request.POST.copy()
        post["import_file_name"] = name
        request.POST = post
        try:
            return super().process_import(request, **kwargs)
        except OSError:
            # Confirmed twice (the first confirmation imported and removed the file), or cleaned away.
            return self._refuse_import(request, _("This import was already confirmed or has expired: upload the file again."))


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

    Each row goes through `interests.services.resident_register`, the same path as a registration at the desk,
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
        from interests.services import resident_register

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
