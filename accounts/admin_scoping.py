"""Scoped access in the staff admin: who sees and changes what, decided by `accounts.selectors.scope_for`.

Our roles do not use Django's groups and model permissions. A staff member's role assignment binds them to
a node of the organisation tree, and `scope_for` turns that into a `Scope`; every admin built on the mixins
below asks the scope, and nothing else, for:

- the rows of the changelist, of autocomplete answers and of raw-id pop-ups (`get_queryset`);
- the choices of every foreign-key and many-to-many field of its forms (another community's venue, class or
  resident cannot even be posted);
- view, add, change and delete permission, for the model and for each object;
- objects opened by URL: another community's object answers 404 (it does not exist for this user).

What each admin declares:

- `community_path` leads from the model to its `accounts.Community` ("community", "course__community",
  "profile__community"; "" for Community itself). `None` marks district-level reference data (interest
  categories, facilities, weekly slots, terms, departments, streets): every staff member reads it, only
  superusers change it.
- `district_path` leads from reference data or a shared pool to its `accounts.District` ("district",
  "street__district"; "" for District itself): such rows are read only by staff working in that district
  (and by the city office and superusers). Without it the rows are the whole deployment's (the category tree).
- `shared_read = True` for district-wide pools that every staff member reads while only the owning
  community changes a row: the teacher pool (师资库) is shared so that any community of the district can
  book any of its teachers.
- `district_managed = True` for rows that belong to a community but are set by the district: the organisation
  tree, colleges and their star records, role assignments. Staff read those of their scope; only superusers
  change them.
- `staff_may_delete = False` where rows are closed through a service (cancel, reject) rather than deleted.
- `district_only = True` for rows that only superusers, the city office and the district office read (the
  latter those of its own districts): the votes of a recognition round, whose rows would be running totals
  to the round's staff. Other staff open the changelist and find it empty; an object opened by URL answers 404.

Superusers see and change everything; the city office reads everything and changes nothing; a district
office reads its own districts and changes nothing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import NotRelationField, get_fields_from_path, unquote
from django.contrib.admin.views.main import ChangeList
from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.models import normalise_phone
from accounts.selectors import Scope, scope_for

REFUSAL_ATTR = "_cc_service_refusal"
# A mobile number as typed: digits, spaces, dashes, an optional +86.
_PHONE_TERM = re.compile(r"^\+?[\d\s-]+$")


class _ScopedChoicesMixin:
    """Narrow the choices of relation fields to what the user may see, using the target model's admin."""

    def _scoped_choices(self, request, db_field) -> models.QuerySet | None:
        target = self.admin_site._registry.get(db_field.remote_field.model)
        if not isinstance(target, ScopedAdminMixin):
            return None
        queryset = target.scoped(request)
        ordering = target.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            queryset = self._scoped_choices(request, db_field)
            if queryset is not None:
                kwargs["queryset"] = queryset
        path = getattr(self, "community_path", None)
        if path and db_field.name == path.split("__")[0] and not request.user.is_superuser:
            # A row without a community would belong to nobody the staff member can reach.
            kwargs["required"] = True
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            queryset = self._scoped_choices(request, db_field)
            if queryset is not None:
                kwargs["queryset"] = queryset
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class BoundedChangeList(ChangeList):
    """A changelist whose date drill-down cannot overflow and whose rows cannot be sorted by a masked number.

    Django computes the end of the chosen day, month or year of `date_hierarchy` with date arithmetic that
    overflows at year 9999 (`?created__year=9999` was a server error); such a URL is now what any other
    impossible filter is: Django's "incorrect lookup" redirect with `?e=1`. Django also sorts by any column
    named in `?o=`, sortable or not; a column of masked numbers is not, for users who see them masked.
    """

    def __init__(self, request, model, *args, **kwargs):
        # Set before Django's __init__, which orders the rows (`?o=`) through get_ordering_field.
        model_admin = next((a for a in args if isinstance(a, admin.ModelAdmin)), kwargs.get("model_admin"))
        may_search = getattr(model_admin, "may_search_phones", None)
        self.phones_hidden = may_search is not None and not may_search(request)
        super().__init__(request, model, *args, **kwargs)

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except (OverflowError, ValueError) as exc:
            raise IncorrectLookupParameters(exc) from exc

    def get_ordering_field(self, field_name):
        # Sorting by a masked number tells its hidden digits apart just as a search would.
        field = super().get_ordering_field(field_name)
        if self.phones_hidden and isinstance(field, str) and _is_phone_lookup(field):
            return None
        return field


def _is_phone_lookup(field: str) -> bool:
    return field.lstrip("^=@").split("__")[-1].endswith("phone")


def _search_allowed(request) -> bool:
    """Count one admin search of this user; False once the user searched too often in this window.

    Searching is how a hidden value is read back one guess at a time; a person at the desk searches a few
    times a minute, a script hundreds.
    """
    limit, period = getattr(settings, "ADMIN_SEARCH_RATE", (60, 60))
    key = f"admin-search:{request.user.pk}:{int(time.time() // period)}"
    cache.add(key, 0, period + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # the window's counter expired between add and incr
        count = 1
    return count <= limit


class PhoneSafeSearchMixin:
    """Admin search that cannot be used to read back a masked mobile number.

    A `search_fields` entry ending in "phone" is never searched as text (`icontains`), which let a user
    who sees 198****2395 find the hidden digits one at a time. Instead, and only for users who may see the
    full number (superusers and staff who change the row's community; not the district office, which reads
    masked numbers), a search term that is a whole mobile number matches it exactly and a term of four
    digits matches its end, the two things a caller says on the phone. Every search (the changelists,
    the autocomplete of relation fields, the phone-order resident look-up) is rate-limited per user
    (`ADMIN_SEARCH_RATE`).
    """

    def phone_search_fields(self, request) -> list[str]:
        return [f.lstrip("^=@") for f in super().get_search_fields(request) if _is_phone_lookup(f)]

    def get_search_fields(self, request):
        return [f for f in super().get_search_fields(request) if not _is_phone_lookup(f)]

    def may_search_phones(self, request) -> bool:
        return request.user.is_superuser or scope_for(request.user).can_change

    def get_sortable_by(self, request):
        if self.may_search_phones(request):
            return super().get_sortable_by(request)
        # No sorting by a column whose number the user sees masked (see BoundedChangeList).
        return [
            name
            for name in super().get_sortable_by(request)
            if not _is_phone_lookup(str(getattr(getattr(self, name, None), "admin_order_field", "") or name))
        ]

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return super().get_search_results(request, queryset, search_term)
        if not _search_allowed(request):
            self.message_user(request, _("Too many searches: wait a minute and search again."), messages.ERROR)
            return queryset.none(), False
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        phone_fields = self.phone_search_fields(request)
        if not phone_fields or not self.may_search_phones(request):
            return results, may_have_duplicates
        term = search_term.strip()
        digits = normalise_phone(term) or ""
        if not _PHONE_TERM.match(term) or len(digits) not in (4, 11):
            return results, may_have_duplicates
        lookup = "exact" if len(digits) == 11 else "endswith"
        match = Q()
        for field in phone_fields:
            match |= Q(**{f"{field}__{lookup}": digits})
        return results | queryset.filter(match), True


def _related_only(model, entry):
    """`entry` of a list_filter, with Django's relation filter replaced by the one of the values present."""
    if isinstance(entry, str):
        name, filter_class = entry, None
    elif isinstance(entry, tuple) and entry[1] is admin.RelatedFieldListFilter:
        name, filter_class = entry
    else:
        return entry
    try:
        field = get_fields_from_path(model, name)[-1]
    except (FieldDoesNotExist, NotRelationField):
        return entry
    if not field.is_relation or filter_class is None and not (field.many_to_one or field.many_to_many):
        return entry
    return (name, admin.RelatedOnlyFieldListFilter)


class ScopedAdminMixin(PhoneSafeSearchMixin, _ScopedChoicesMixin):
    """Put before `admin.ModelAdmin` (or `SimpleHistoryAdmin`, `UserAdmin`) in the bases."""

    community_path: str | None = "community"
    # One path, or several tried in turn (a teacher: the home community's district, else their own).
    district_path: str | tuple[str, ...] | None = None
    shared_read: bool = False
    district_managed: bool = False
    staff_may_delete: bool = True
    district_only: bool = False
    # Fields of the add form when it differs from the change form (for example when a service creates the row).
    add_fields: tuple[str, ...] | None = None

    # --- rows ------------------------------------------------------------------------------------------------
    def filter_by_scope(self, queryset: models.QuerySet, scope: Scope) -> models.QuerySet:
        """The rows of `queryset` inside `scope`. Override for models reached by more than one path."""
        return scope.filter(queryset, self.community_path)

    def scoped(self, request, queryset: models.QuerySet | None = None) -> models.QuerySet:
        """What the user may see of this model: the changelist, form choices and autocomplete all use this."""
        if queryset is None:
            queryset = self.model._default_manager.all()
        scope = scope_for(request.user)
        if self.district_only and not scope.reads_districts:
            return queryset.none()
        if self.community_path is None or self.shared_read:
            if self.district_path is None:
                return queryset
            return scope.filter_district(queryset, *self._district_paths())
        return self.filter_by_scope(queryset, scope)

    def get_queryset(self, request):
        return self.scoped(request, super().get_queryset(request))

    def get_changelist(self, request, **kwargs):
        return BoundedChangeList

    def get_list_filter(self, request):
        """Relation filters list only the values found in the user's rows: a plain filter would list every
        term, department or street of the deployment, other districts' included."""
        filters = super().get_list_filter(request)
        if request.user.is_superuser:
            return filters
        return tuple(_related_only(self.model, entry) for entry in filters)

    def may_search_phones(self, request) -> bool:
        # A shared pool (teachers) shows other communities' numbers masked even to community staff.
        if self.shared_read and not request.user.is_superuser:
            return False
        return super().may_search_phones(request)

    def get_object(self, request, object_id, from_field=None):
        # Django answers an unknown id with a redirect and a message; another node's object is simply not
        # there for this user, so every view that opens one (change, delete, history) answers 404.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_("No such object in your scope."))
        return obj

    def community_id_of(self, obj) -> int | None:
        """The id of the community `obj` belongs to, following `community_path`; None if it has none."""
        path = self.community_path
        if path is None:
            return None
        if path == "":
            return obj.pk
        *hops, last = path.split("__")
        target = obj
        try:
            for hop in hops:
                target = getattr(target, hop)
                if target is None:
                    return None
            return getattr(target, f"{last}_id")
        except ObjectDoesNotExist:  # a reverse one-to-one that is missing, such as a user without profile
            return None

    def object_in_scope(self, scope: Scope, obj) -> bool:
        if self.district_only and not scope.reads_districts:
            return False
        if self.community_path is None or self.shared_read:
            return self.district_path is None or scope.covers_district(self.district_id_of(obj))
        return scope.covers(self.community_id_of(obj))

    def _district_paths(self) -> tuple[str, ...]:
        path = self.district_path
        return () if path is None else (path,) if isinstance(path, str) else path

    def district_id_of(self, obj) -> int | None:
        """The id of the district `obj` belongs to, following `district_path`; None if it has none."""
        for path in self._district_paths():
            if path == "":
                return obj.pk
            *hops, last = path.split("__")
            target = obj
            for hop in hops:
                target = getattr(target, hop)
                if target is None:
                    break
            else:
                district_id = getattr(target, f"{last}_id")
                if district_id is not None:
                    return district_id
        return None

    # --- permissions -----------------------------------------------------------------------------------------
    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_view_permission(self, request, obj=None):
        scope = scope_for(request.user)
        if scope.is_empty or not request.user.is_staff:
            return False
        return obj is None or self.object_in_scope(scope, obj)

    def _may_write(self, request, obj=None) -> bool:
        if not self.has_view_permission(request, obj):
            return False
        if request.user.is_superuser:
            return True
        scope = scope_for(request.user)
        if self.community_path is None or self.district_managed or not scope.can_change:
            return False
        return obj is None or scope.can_change_community(self.community_id_of(obj))

    def has_add_permission(self, request):
        return self._may_write(request)

    def has_change_permission(self, request, obj=None):
        return self._may_write(request, obj)

    def has_delete_permission(self, request, obj=None):
        if not self.staff_may_delete and not request.user.is_superuser:
            return False
        return self._may_write(request, obj)

    # --- forms and saving ------------------------------------------------------------------------------------
    def get_fieldsets(self, request, obj=None):
        if obj is None and self.add_fields is not None:
            return [(None, {"fields": self.add_fields})]
        return super().get_fieldsets(request, obj)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        refusal = getattr(request, REFUSAL_ATTR, None)
        if refusal is None:
            return form

        def clean(self):
            super(refused, self).clean()
            # Flattened: the service may name model fields that this form does not show.
            raise ValidationError(refusal.messages)

        refused = type(form.__name__, (form,), {"clean": clean})
        return refused

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            # A service refused the save (an overlapping booking, a duplicate order …); the transaction of
            # the view has been rolled back. Render the form again with the posted data and the reason.
            if request.method != "POST" or hasattr(request, REFUSAL_ATTR):
                raise
            setattr(request, REFUSAL_ATTR, exc)
            return super().changeform_view(request, object_id, form_url, extra_context)

    def check_can_save(self, request, obj) -> None:
        """Belt and braces behind the narrowed choices: refuse a row that lands outside the user's scope."""
        if request.user.is_superuser:
            return
        if not scope_for(request.user).can_change_community(self.community_id_of(obj)):
            raise PermissionDenied

    def create_object(self, request, obj, form):
        """Create the row of an add form. Admins whose rows a service creates override this and return it."""
        self.check_can_save(request, obj)
        obj.save()
        return obj

    def save_model(self, request, obj, form, change):
        obj._history_user = request.user  # simple-history: who made this version
        if not change:
            created = self.create_object(request, obj, form)
            if created is not obj:
                # Let the admin's redirect, log entry and `save_m2m` work on the row the service made.
                for field in created._meta.concrete_fields:
                    setattr(obj, field.attname, getattr(created, field.attname))
                obj._state.adding = False
                obj._state.db = created._state.db
            return
        self.check_can_save(request, obj)
        # Write only the columns of the form, never a stale copy of the others: counters such as
        # Course.confirmed_count and statuses that services move must not be overwritten by an edit.
        columns = {f.name for f in obj._meta.concrete_fields if not f.primary_key}
        update_fields = [
            name for name in form.cleaned_data if name in columns and not form.fields[name].disabled
        ]
        update_fields += [
            f.name for f in obj._meta.concrete_fields if getattr(f, "auto_now", False) and f.name not in update_fields
        ]
        if update_fields:
            obj.save(update_fields=update_fields)

    # --- history (simple-history) ----------------------------------------------------------------------------
    def _check_history_access(self, request, object_id) -> None:
        if request.user.is_superuser:
            return
        # simple-history falls back to the last recorded version of a row it cannot find; outside the
        # scope that would still be another community's data, so look the row up in the scope first.
        obj = self.get_object(request, unquote(object_id))
        if self.shared_read and not scope_for(request.user).covers(self.community_id_of(obj)):
            # A shared row is readable as it is now; its past versions (old phone numbers …) stay home.
            raise PermissionDenied

    def history_view(self, request, object_id, extra_context=None):
        self._check_history_access(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # Reverting writes an old version straight to the row, past the services: view only.
        if request.method == "POST":
            raise PermissionDenied
        self._check_history_access(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def revert_disabled(self, request, obj=None):
        return True


class ScopedInlineMixin(_ScopedChoicesMixin):
    """For inlines: the parent's admin decides; adding or changing a child is changing the parent."""

    def _parent_admin(self):
        return self.admin_site._registry[self.parent_model]

    def has_view_permission(self, request, obj=None):
        return self._parent_admin().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._parent_admin().has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return self._parent_admin().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._parent_admin().has_change_permission(request, obj)


class ReadOnlyInlineMixin(ScopedInlineMixin):
    """A timeline or a list of rows that services write: shown, never edited here."""

    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        return self.fields or ()

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdminMixin:
    """Rows that only services write (certificates, reconfirmations, passes, recognition rounds…): shown in
    the admin, never added, edited or deleted there. Listed before `ScopedAdminMixin`, so its answers win
    over the scope's; works for model admins and inlines alike.

    Actions on such rows cannot ask for the "change" permission, which is always refused here: they declare
    `permissions=["act"]`, offered to whoever may change data somewhere (`has_act_permission`), and the
    service each action calls decides object by object, in scope.
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_act_permission(self, request) -> bool:
        return request.user.is_superuser or scope_for(request.user).can_change


def run_service_action(
    modeladmin: admin.ModelAdmin,
    request,
    objects: Iterable[models.Model],
    call: Callable[[models.Model], object],
    *,
    done: Callable[[int], str],
) -> None:
    """Call a service once per object; report how many were done and why the others were refused.

    Each call is its own transaction, so one refusal (a state that no longer allows the step, another
    staff member who was quicker) does not undo the others.
    """
    count, refused = 0, []
    for obj in objects:
        try:
            call(obj)
        except ValidationError as exc:
            refused.append(f"{obj}: {' '.join(exc.messages)}")
        else:
            count += 1
    if count:
        modeladmin.message_user(request, done(count), messages.SUCCESS)
    if refused:
        modeladmin.message_user(
            request,
            _("Refused (%(count)d): %(reasons)s") % {"count": len(refused), "reasons": "; ".join(refused)},
            messages.ERROR,
        )
    if not count and not refused:
        modeladmin.message_user(request, _("Nothing to do: no selected row is in your scope."), messages.WARNING)

