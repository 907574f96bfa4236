import pytest
from django.conf import settings

from portal.tasks import ping
from tests.workers import worker_process


@pytest.mark.smoke
def test_a_real_worker_consumes_the_default_queue():
    with worker_process() as worker:
        result = ping.delay()
        assert result.get(timeout=90) == "pong"
        assert worker.poll() is None, "the worker died while answering"


@pytest.mark.smoke
def test_the_embedded_default_uses_a_real_broker_not_eager_mode():
    assert not getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False)
    assert str(settings.CELERY_BROKER_URL).split("://")[0] in {
        "filesystem",
        "redis",
        "rediss",
        "amqp",
    }
