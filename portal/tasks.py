from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from portal.models import Activation
from syncengine.models import SyncRun


@shared_task(name="portal.ping", ignore_result=False, time_limit=10, soft_time_limit=5)
def ping() -> str:
    """Answers "pong": proves that a worker consumes the default queue (smoke test, health)."""
    return "pong"


@shared_task(name="portal.notify_failed_first_syncs", time_limit=60)
def notify_failed_first_syncs() -> None:
    """E-mails the administrator who activated Online Desktop when its first synchronisation
    failed (e.g. a scheduled start found desktop users still logged in): never silently
    skipped. Each failure is claimed with a conditional update, so it is told once."""
    failed = Activation.objects.filter(
        finished_at__isnull=False,
        failure_notified_at__isnull=True,
        run__state=SyncRun.State.FAILED,
        confirmed_by__isnull=False,
    ).select_related("run__link", "confirmed_by", "licence_link__database__company")
    for activation in failed:
        claimed = Activation.objects.filter(
            pk=activation.pk, failure_notified_at__isnull=True
        ).update(failure_notified_at=timezone.now())
        if not claimed:
            continue  # another worker told them
        _send_failure_mail(activation)


def _send_failure_mail(activation: Activation) -> None:
    database = activation.licence_link.database
    user, run = activation.confirmed_by, activation.run
    if user is None or run is None:
        return  # filtered out by the query; for mypy
    context = {
        "user": user,
        "database": database,
        "reason": run.link.reason or run.error,
        "status_url": settings.SITE_URL
        + reverse("portal:activation_status", args=[activation.licence_link_id]),
    }
    with translation.override(getattr(user, "language", "") or database.company.language):
        subject = render_to_string("portal/wizard/email/first_sync_failed_subject.txt", context)
        body = render_to_string("portal/wizard/email/first_sync_failed.txt", context)
    send_mail(" ".join(subject.split()), body, None, [user.email])
