import os

import pytest
from django.db import connection

from community_college import db_router


@pytest.fixture(autouse=True)
def _fast_and_quiet(settings):
    # Real hashing costs ~0.3 s per password; tests only need it to be a hash.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SMS_BACKEND = "accounts.sms.LocmemSMSBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Query counts are pinned with sessions read from the database, as production reads them (settings),
    # whether or not Redis is configured.
    settings.SESSION_ENGINE = "accounts.sessions"
    from accounts.sms import LocmemSMSBackend

    LocmemSMSBackend.outbox = []


@pytest.fixture(autouse=True)
def _default_language():
    """Every test starts in the site's default language. A request made with another language (the test
    client's Accept-Language, a resident's preference) activates it for the rest of the thread, so without
    this a test's language, and the messages it compares, would depend on which test ran before it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _no_published_rows_left():
    """The lean registration path keeps the ids of its published outbox rows in the process until a later
    statement deletes them; a test's ids must not be deleted by the next test's requests."""
    from activities import registration_sql

    yield
    registration_sql.published.take()


@pytest.fixture
def english():
    """For a test that compares the English text of a message its code raises or prints."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(scope="session", autouse=True)
def _worker_cache():
    """Under pytest-xdist every worker has its own test database (pytest-django's `_gw<N>` suffix); this
    gives it its own Redis keys too (tests/worker_cache.py). Without Redis the cache is per process already."""
    from django.conf import settings
    from django.test.utils import override_settings

    default = settings.CACHES["default"]
    if not default["BACKEND"].endswith("RedisCache"):
        yield
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    own = {**default, "BACKEND": "tests.worker_cache.WorkerRedisCache"}
    own["KEY_PREFIX"] = f"{default.get('KEY_PREFIX') or 'cc'}-test-{os.getpid()}-{worker}"
    with override_settings(CACHES={**settings.CACHES, "default": own}):
        yield


@pytest.fixture(autouse=True)
def _empty_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _primary_only(request, monkeypatch):
    """With DATABASE_REPLICA_URL set (the CI's PostgreSQL run) the `replica` alias is a test mirror on a real
    standby, which never sees a test's uncommitted rows: only tests marked `replica_routing` may route reads
    there (tests/ops/test_replica.py)."""
    if request.node.get_closest_marker("replica_routing") is None:
        monkeypatch.setattr(db_router, "replica_configured", lambda: False)


@pytest.fixture(scope="session", autouse=True)
def _no_replica_for_servers_started_by_tests():
    # Servers a test starts (schemathesis, the Celery worker, the browser tests) serve the test database; the
    # replica URL names the CI's own database, so they must not inherit it.
    os.environ.pop("DATABASE_REPLICA_URL", None)


@pytest.fixture(scope="session", autouse=True)
def _live_server_answers_at_once():
    """The live server (Django's development server, pytest-django's `live_server`) writes each answer in
    several small sends (status line, Date, Server, headers, body). With Nagle's algorithm on, a send waits
    for the client's acknowledgement of the one before, which the client's TCP delays by ~40 ms: every
    answer on a kept-alive connection after the first few cost 40 ms of idle time (schemathesis's hostile
    pass: 1,378 requests, 41 ms each waiting against 13 ms of work). TCP_NODELAY sends each at once; the
    answers are the same bytes."""
    from django.test.testcases import QuietWSGIRequestHandler

    previous = QuietWSGIRequestHandler.disable_nagle_algorithm
    QuietWSGIRequestHandler.disable_nagle_algorithm = True
    yield
    QuietWSGIRequestHandler.disable_nagle_algorithm = previous


@pytest.fixture(scope="session")
def django_db_setup(
    request, django_test_environment, django_db_blocker, django_db_use_migrations, django_db_keepdb
):
    """pytest-django's, but the migrations run once (tests/db_template.py): on PostgreSQL where CI names a
    database they already made (TEST_DATABASE_TEMPLATE) the test database is a copy of it; on SQLite the
    pytest-xdist workers after the first load a copy of the first one's."""
    from pytest_django.fixtures import _get_databases_for_setup

    from tests import db_template

    flags = {"keepdb": django_db_keepdb, "migrations": django_db_use_migrations}
    request.getfixturevalue("django_db_modify_db_settings")  # the worker's suffix on the test database's name
    _aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    if db_template.applies(**flags):
        with django_db_blocker.unblock():
            old_name = db_template.clone(serialized_aliases=serialized_aliases)
    elif db_template.shares_sqlite(request.config, **flags):
        with db_template.sqlite_copy(request.config) as copy:
            first = not copy.exists()
            if first:
                request.getfixturevalue("django_db_setup")  # pytest-django's own, which this one overrides
                with django_db_blocker.unblock():
                    db_template.sqlite_write(copy)
            else:
                with django_db_blocker.unblock():
                    old_name = db_template.sqlite_load(copy, serialized_aliases=serialized_aliases)
        if first:
            yield
            db_template.sqlite_forget(copy)
            return
    else:
        request.getfixturevalue("django_db_setup")
        yield
        return
    yield
    with django_db_blocker.unblock():
        db_template.destroy(old_name, verbosity=request.config.option.verbose)


@pytest.fixture(scope="session", autouse=True)
def _quick_flush_on_postgres(django_db_setup, django_db_blocker):
    """On PostgreSQL a transactional test's flush deletes the rows left instead of truncating all ~120
    tables (4-5 s each time), and puts back the rows the migrations made (tests/pg_flush.py)."""
    from tests import pg_flush

    undo = pg_flush.install()
    if connection.vendor == "postgresql":
        with django_db_blocker.unblock():
            pg_flush.snapshot(connection)
    yield
    undo()


def _pgbouncer_admin(*commands):
    """Commands to PgBouncer's admin console, on the pooler the default database goes through."""
    import psycopg2

    db = connection.settings_dict
    admin = psycopg2.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname="pgbouncer")
    admin.autocommit = True
    try:
        with admin.cursor() as cursor:
            for command in commands:
                cursor.execute(command)
    finally:
        admin.close()


@pytest.fixture(scope="session", autouse=True)
def _test_database_commits_without_waiting(django_db_setup, django_db_blocker):
    """On PostgreSQL the test database commits without waiting for its WAL to reach the disk
    (synchronous_commit = off, set on that database only): a commit costs ~1 ms instead of ~6 ms on this
    machine (200 single-row INSERTs: 0.18 s against 1.27 s), and the transactional tests, the live servers'
    requests and the Celery workers commit at every write. What a commit makes visible, and when, is the same;
    only a crash of the server could lose the last commits, of a database that is dropped after the run."""
    from django.conf import settings

    if connection.vendor != "postgresql":
        yield
        return
    name = connection.settings_dict["NAME"]
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER DATABASE {connection.ops.quote_name(name)} SET synchronous_commit = off")
        connection.close()
    if settings.DATABASE_POOLER == "pgbouncer":
        # The pool's server connections opened before (the migrations') keep the old default: they are
        # closed as soon as they are free, and new ones read the database's setting.
        _pgbouncer_admin(f"RECONNECT {name}")
    yield


@pytest.fixture(scope="session", autouse=True)
def _pooler_lets_go_of_the_test_database(django_db_setup):
    """Behind PgBouncer (DATABASE_POOLER=pgbouncer, the CI's PostgreSQL run) the pool keeps server connections
    to the test database open after the tests; PostgreSQL refuses to drop a database in use, so before
    Django's teardown drops it the pool closes them (PgBouncer's admin command KILL)."""
    yield
    from django.conf import settings

    if settings.DATABASE_POOLER != "pgbouncer":
        return
    name = connection.settings_dict["NAME"]
    # KILL pauses the database in the pool: RESUME, so a later run may use the same name again.
    _pgbouncer_admin(f"KILL {name}", f"RESUME {name}")


@pytest.fixture(autouse=True)
def _direct_db(request, settings, monkeypatch):
    """Behind PgBouncer a test marked `direct_db` (it kills its own server connection or reads its settings,
    which behind a pool would be the pool's) reaches the same test database on the primary directly, at
    DATABASE_DIRECT_URL's host and port, as the operator's tools do; the processes it starts too (no
    DATABASE_POOLER in their environment). Without that variable it is skipped."""
    if request.node.get_closest_marker("direct_db") is None or settings.DATABASE_POOLER != "pgbouncer":
        yield
        return
    if not os.environ.get("DATABASE_DIRECT_URL"):
        pytest.skip("needs a direct connection to PostgreSQL, not PgBouncer (set DATABASE_DIRECT_URL)")
    import dj_database_url

    direct = dj_database_url.parse(os.environ["DATABASE_DIRECT_URL"])
    db = connection.settings_dict  # the replica alias mirrors it in tests: the same dict
    pooled = db["HOST"], db["PORT"]
    connection.close()
    db["HOST"], db["PORT"] = direct["HOST"], direct["PORT"]
    settings.DATABASE_POOLER = ""
    monkeypatch.delenv("DATABASE_POOLER", raising=False)
    try:
        yield
    finally:
        connection.close()
        db["HOST"], db["PORT"] = pooled


@pytest.fixture
def eager_celery():
    """Tasks run in-process even when REDIS_URL is set (the PostgreSQL run), for tests that read what a task
    wrote (tests/notices does this for all its tests)."""
    from community_college.celery import app

    previous = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = previous


@pytest.fixture(autouse=True)
def _celery_state_restored():
    """Each test leaves Celery's process-wide state as it found it (tests/celery_state.py), so the tests that
    run a real worker against a Redis of their own may start the run with the other long ones."""
    from tests.celery_state import kept

    with kept():
        yield


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


def _transactional(item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return True
    return bool({"transactional_db", "live_server"} & set(getattr(item, "fixturenames", ())))


def pytest_addoption(parser):
    parser.addoption(
        "--embedded-only",
        action="store_true",
        help="only the tests of the embedded default and of the code that differs by database vendor "
        "(tests/vendor_paths.py): CI's SQLite run, the whole suite having run on PostgreSQL",
    )


def _embedded_only(config, items):
    from tests.vendor_paths import embedded_paths

    root = config.rootpath
    wanted = {root / p for p in embedded_paths()}
    keep = [item for item in items if item.path in wanted]
    config.hook.pytest_deselected(items=[item for item in items if item.path not in wanted])
    items[:] = keep


def pytest_collection_modifyitems(config, items):
    if config.getoption("--embedded-only"):
        _embedded_only(config, items)
    from django.db import connection

    if connection.vendor == "postgresql":
        _long_first(items)
    else:
        _slow_first(items)


# The tests that take tens of seconds: the live-server ones (the schemathesis runs, the browser journeys) and
# the ones that run the portal's own processes (gunicorn, real Celery workers) against a Redis of their own.
# The latter used to be held at the end of the run, because they left Celery's process-wide state broken for
# later in-process tests; tests/celery_state.py now puts it back after every test.
_LONG_FIXTURES = {"live_server", "spare_redis", "redis_db", "app_at_redis"}


def _long(item) -> bool:
    return bool(_LONG_FIXTURES & set(item.fixturenames)) or item.get_closest_marker("slow") is not None


def _long_first(items):
    """On PostgreSQL the long tests (_LONG_FIXTURES, and the slow-marked) start the run, the slow-marked
    first, each followed by a quick test; then the rest in pytest-django's order.

    Django runs its transactional tests after the others because their flush leaves the rows the migrations
    made out for the tests that follow; on PostgreSQL the flush puts them back (tests/pg_flush.py), so any
    order is the same. With `make test`'s scheduling (pytest-xdist, `--dist load --maxschedchunk 1`) each
    worker holds its running test and one more, and takes the next test of this order when it finishes one:
    the long tests start at once on both workers (a quick one queued behind each), and the thousands of quick
    tests after them fill both workers to the end instead of one worker finishing a long test alone. The
    order is the same in every worker, as pytest-xdist requires."""
    long = [item for item in items if _long(item)]
    if not long:
        return
    long.sort(key=lambda item: item.get_closest_marker("slow") is None)  # stable: slow-marked first
    taken = set(map(id, long))
    rest = [item for item in items if id(item) not in taken]
    ordered = []
    for item in long:
        ordered.append(item)
        if rest:
            ordered.append(rest.pop(0))
    items[:] = ordered + rest


def _slow_first(items):
    """Within the transactional tests (pytest-django runs them after the other database tests, before the
    tests without a database), the slow ones first, each followed by a quick one.

    With `make test`'s scheduling (pytest-xdist, `--dist load --maxschedchunk 1`), workers take tests one
    at a time in this order, so the longest tests (the schemathesis runs, the Celery worker, the browser
    pages) start on different workers while the others go on with the rest, instead of being left for the
    end of one worker. The order is the same in every worker, as pytest-xdist requires; pytest-django's
    grouping is kept (a transactional test flushes the database, so none may move before the others)."""
    tx = [i for i, item in enumerate(items) if _transactional(item)]
    if not tx or tx != list(range(tx[0], tx[-1] + 1)):
        return  # not pytest-django's grouping: leave the order alone
    block = items[tx[0] : tx[-1] + 1]
    slow = [item for item in block if item.get_closest_marker("slow") is not None]
    rest = [item for item in block if item.get_closest_marker("slow") is None]
    ordered = []
    for i, item in enumerate(slow):
        ordered.append(item)
        if i < len(rest):
            ordered.append(rest[i])
    ordered.extend(rest[len(slow) :])
    items[tx[0] : tx[-1] + 1] = ordered
