"""Form helpers shared by the portal's apps.

`refuse_over_long_text`: a text box with a `maxlength` attribute makes the browser cut pasted text
silently, and the resident never learns that the end of their note was lost. The limit is kept on the
server, the box gets a live counter instead (static/js/portal.js reads `data-maxlength`), and text over
the limit is refused with a message that says by how much.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

TOO_LONG = _("This is %(show_value)d characters long; at most %(limit_value)d fit. Please shorten it.")

# Django's own wording, kept here so that the project's catalogue carries (and overrides) its Chinese,
# which read "确保该变量包含不超过 500 字符" in the admin. Same msgid as Django's, so ours wins.
DJANGO_MAX_LENGTH = ngettext_lazy(
    "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
    "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
    "limit_value",
)


def refuse_over_long_text(form: forms.Form) -> None:
    """Give every text field with a maximum length a counter and a plain refusal instead of a silent cut."""
    for field in form.fields.values():
        if not isinstance(field, forms.CharField) or not field.max_length:
            continue
        attrs = field.widget.attrs
        attrs.pop("maxlength", None)
        attrs["data-maxlength"] = str(field.max_length)
        attrs["data-counter-over"] = str(_("Too long: please shorten it."))
        field.error_messages["max_length"] = TOO_LONG


class LongTextForm(forms.Form):
    """A form whose text fields count characters as they are typed and refuse over-long text plainly."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        refuse_over_long_text(self)
