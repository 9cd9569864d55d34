"""Where receipts live: a directory outside the web root (no MEDIA_URL), read back only through the
staff view that checks the scope (`funds.views.receipt`)."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage


def receipts_storage() -> FileSystemStorage:
    # A callable, so that tests and deployments can move the directory through settings.
    return FileSystemStorage(location=settings.FUNDS_RECEIPTS_ROOT, base_url=None)
