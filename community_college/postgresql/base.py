"""Django's PostgreSQL backend with a health check that costs no round trip when the connection is quiet.

CONN_HEALTH_CHECKS pings a reused connection (`SELECT 1`) at the first query of every request: one round
trip of each request's few. A connection the server has ended (a restart, pg_terminate_backend, an idle
timeout) has something to read on its socket — the server's goodbye, or the end of the stream — while a
healthy idle connection has nothing. So the ping is sent only when the socket has something to read, the
driver already knows the connection is closed, or a transaction is left open; otherwise the connection is
taken as it is, as it was a moment ago. A failure that gives no sign (a cable pulled) still surfaces as an
error on the request's first query, which ops.middleware answers with a 503, and the connection is closed.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base


def _quiet(raw) -> bool:
    try:
        from psycopg2 import extensions

        if raw.closed or raw.get_transaction_status() != extensions.TRANSACTION_STATUS_IDLE:
            return False
        readable, _, _ = select.select([raw.fileno()], [], [], 0)
    except Exception:  # another driver, or a socket already gone: let Django's ping decide
        return False
    return not readable


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Names of the statements prepared on the current server connection (community_college/prepared.py).
        self.prepared_statements: set[str] = set()

    def get_new_connection(self, conn_params):
        # A new server connection has prepared nothing yet.
        self.prepared_statements = set()
        return super().get_new_connection(conn_params)

    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and _quiet(self.connection)
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()
