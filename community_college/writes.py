"""One shape for "edit these fields of a row, and only these" (the HackSoft style's update service).

A district adapting its copy of a city category (`interests.category_defaults.district_category_adapt`) and
a district editing its class template (`activities.course_templates.course_template_update`) both take
keyword changes from a form, admin or API: a field outside the whitelist is refused (a form cannot reach a
field it was not meant to, such as the origin or the district), the row is validated whole and saved with
`update_fields`, so a concurrent write to another column is not overwritten with a stale value, and a stamp
records when (and, where the model has the column, who).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

M = TypeVar("M", bound=models.Model)


def update_allowed_fields(
    instance: M,
    changes: Mapping[str, Any],
    *,
    allowed: Iterable[str],
    stamps: Mapping[str, Any] | None = None,
    refusal: str | None = None,
) -> M:
    """Set `changes` on `instance` (already locked and scope-checked by the caller), then `stamps` (who and
    when), validate the whole row and save exactly those columns. A field outside `allowed` is refused
    before anything is set: `refusal` (with %(f)s for the fields) or a general message."""
    unknown = set(changes) - set(allowed)
    if unknown:
        message = refusal or _("These fields cannot be changed here: %(f)s")
        raise ValidationError(message % {"f": ", ".join(sorted(unknown))}, code="not_editable")
    stamps = dict(stamps or {})
    for field, value in {**changes, **stamps}.items():
        setattr(instance, field, value)
    instance.full_clean()
    instance.save(update_fields=[*changes, *stamps])
    return instance
