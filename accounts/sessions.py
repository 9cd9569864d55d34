"""The session engine (settings.SESSION_ENGINE): Django's database sessions, read with one prepared statement.

Every signed-in request reads its session row; through the ORM that read built and compiled a queryset each
time, which with the user's read (accounts/backends.py) was a third of a portal registration's Python time
(issue 20). The row, the expiry check and everything else are Django's own (django.contrib.sessions.backends.db):
only the read of the row is done here, on PostgreSQL; other databases read it through the ORM.
"""

from __future__ import annotations

from functools import cache

from django.contrib.sessions.backends import db
from django.utils import timezone

from community_college import prepared


@cache
def _read(model) -> prepared.Statement:
    return prepared.statement(
        "accounts_session_read",
        f"SELECT {prepared.columns(model)} FROM {model._meta.db_table}"
        ' WHERE "session_key" = %(key)s AND "expire_date" > %(now)s',
        {"key": "varchar", "now": "timestamptz"},
    )


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        connection = prepared.read_connection(self.model)
        if connection is None:
            return super()._get_session_from_db()
        key = self.session_key
        session = None
        if key is not None:
            session = prepared.fetch_instance(
                connection, _read(self.model), {"key": key, "now": timezone.now()}, self.model
            )
        if session is None:
            # As Django's: a key with no live session is forgotten, and a new one is made if the session is saved.
            self._session_key = None
        return session
