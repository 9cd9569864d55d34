"""Rows made once for all the tests of a module, as Django's `TestCase.setUpTestData` makes them once for a
class: in a transaction left open while the tests run, each test inside a savepoint of it (pytest-django's
`db`) that is rolled back after the test, the whole transaction rolled back when the module is done.

For a world of rows many small tests only read (the admin's scoping tests: hundreds of page views, each
test once built two communities of one of everything, ~1 s, for a request of a tenth of that). Each test
gets its own deep copy of the Python objects (`fresh`), as setUpTestData's class attributes are copied for
each test, so a test that changes an object in memory does not change it for the next. Only for
non-transactional tests: a transactional test's flush would empty the rows of the open transaction. The
rows stay until the module's last test has run, so every later test of the module sees them, whether it
asks for them or not: a module shares rows only where its tests all start from them.

The rows are made before the tests' own fixtures (tests/conftest.py) apply, so under the same conditions:
the quick password hasher, the in-memory SMS and mail, the default language, reads on the primary.
"""

from __future__ import annotations

import contextlib
import copy
from unittest import mock

from django.conf import settings
from django.db import transaction
from django.test import override_settings
from django.utils import translation

from community_college import db_router


@contextlib.contextmanager
def rolled_back_at_the_end(django_db_blocker):
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            SMS_BACKEND="accounts.sms.LocmemSMSBackend",
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        ),
        translation.override(settings.LANGUAGE_CODE),
        mock.patch.object(db_router, "replica_configured", lambda: False),
        transaction.atomic(),
    ):
        yield
        transaction.set_rollback(True)


def fresh(rows):
    return copy.deepcopy(rows)
