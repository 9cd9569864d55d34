"""Receipt uploads: an image (JPEG, PNG) or a PDF, recognised by its first bytes, not by its name."""

from __future__ import annotations

from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from community_college.errors import field_error

# Magic numbers: what the file is, whatever its name or the browser's content type claims.
SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", (".jpg", ".jpeg")),
    (b"\x89PNG\r\n\x1a\n", "image/png", (".png",)),
    (b"%PDF-", "application/pdf", (".pdf",)),
)


def receipt_type(upload) -> str:
    """The content type of an uploaded receipt; a ValidationError for anything else or anything too big."""
    size = getattr(upload, "size", None) or 0
    if size == 0:
        raise field_error("receipt", _("The receipt file is empty."), code="receipt_empty")
    if size > settings.FUNDS_RECEIPT_MAX_BYTES:
        raise field_error(
            "receipt",
            _("The receipt is larger than %(limit)s.") % {"limit": filesizeformat(settings.FUNDS_RECEIPT_MAX_BYTES)},
            code="receipt_too_big",
        )
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    name = (getattr(upload, "name", "") or "").lower()
    for magic, content_type, extensions in SIGNATURES:
        if head.startswith(magic):
            if not name.endswith(extensions):
                raise field_error(
                    "receipt",
                    _("The file's name does not match its content (%(type)s).") % {"type": content_type},
                    code="receipt_mismatch",
                )
            return content_type
    raise field_error("receipt", _("A receipt must be a photo (JPEG or PNG) or a PDF."), code="receipt_type")
