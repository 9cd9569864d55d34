"""Where receipts live: a directory outside the web root (no URL of its own), read back only through the
staff view that checks the scope (`funds.views.receipt`)."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class ReceiptStorage(FileSystemStorage):
    """FUNDS_RECEIPTS_ROOT, read at each use, so that tests and deployments can move it through settings."""

    def __init__(self):
        super().__init__(base_url=None)

    @property
    def base_location(self):
        return settings.FUNDS_RECEIPTS_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Receipts have no public URL: they are served by funds.views.receipt to staff in scope.")


def receipts_storage() -> FileSystemStorage:
    return ReceiptStorage()
