from celery import shared_task

from syncengine.host import HostCredentials, HostSetupError, read_reports
from syncengine.services import HostRefused, authenticate_host, record_reports


@shared_task(name="syncengine.refresh_host_report", time_limit=120, soft_time_limit=100)
def refresh_host_report(host_id: int) -> None:
    """Runs on the host's own queue: reads its company databases afresh and reports them.

    Safe to run twice: a report only ever replaces the previous one."""
    try:
        credentials = HostCredentials.from_environment()
        if credentials.host_id != host_id:
            return  # a task for another host: the queue names make this a misconfiguration
        host = authenticate_host(credential=credentials.credential)
    except (HostSetupError, HostRefused):
        return  # a removed or unpaired host has nothing to report; its worker stops soon
    result = read_reports(credentials.databases)
    record_reports(
        host=host,
        reports=result.reports,
        problems=[failure.for_portal(credentials.names) for failure in result.failures],
    )
