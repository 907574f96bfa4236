"""Forgets the silent sync hosts kept for a company (models.silent_hosts) when a host or a
link of it is saved; reports and heartbeats forget them in services.py."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from syncengine.models import SyncHost, SyncLink, forget_silent_hosts


@receiver(post_save, sender=SyncHost, dispatch_uid="syncengine.signals.host_saved")
@receiver(post_save, sender=SyncLink, dispatch_uid="syncengine.signals.link_saved")
@receiver(post_delete, sender=SyncLink, dispatch_uid="syncengine.signals.link_deleted")
def host_or_link_changed(sender: type, instance: SyncHost | SyncLink, **kwargs: Any) -> None:
    forget_silent_hosts(instance.company_id)
