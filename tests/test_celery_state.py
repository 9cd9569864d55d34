from celery import Celery, _state
from celery.result import denied_join_result

from community_college.celery import app
from tests.celery_state import kept


def test_an_app_made_by_a_test_stops_being_current():
    from ops.tasks import relay_outbox

    with kept():
        Celery("sender", broker="redis://127.0.0.1:1/0").close()
        assert relay_outbox.app is not app  # what failed the later eager tests
    assert _state.get_current_app() is app
    assert relay_outbox.app is app


def test_the_join_flag_left_set_is_cleared():
    with kept():
        # Two threads' nested save-and-restore, interleaved: the second restores the first's "denied".
        outer = denied_join_result()
        outer.__enter__()
        inner = denied_join_result()
        inner.__enter__()
        outer.__exit__(None, None, None)
        inner.__exit__(None, None, None)
        assert _state.task_join_will_block()
    assert not _state.task_join_will_block()


def test_configuration_changed_by_a_test_is_put_back():
    before = app.conf.broker_url, app.conf.task_always_eager, app.conf.result_backend
    with kept():
        app.conf.broker_url = app.conf.result_backend = "redis://127.0.0.1:1/0"
        app.conf.task_always_eager = not before[1]
    assert (app.conf.broker_url, app.conf.task_always_eager, app.conf.result_backend) == before
