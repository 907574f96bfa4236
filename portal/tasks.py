from celery import shared_task


@shared_task(name="portal.ping", ignore_result=False, time_limit=10, soft_time_limit=5)
def ping() -> str:
    """Answers "pong": proves that a worker consumes the default queue (smoke test, health)."""
    return "pong"
