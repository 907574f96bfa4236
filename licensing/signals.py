"""Forgets the work areas kept for a company (Company.services_in_force) when what they are
read from changes: one of its agreements, or the services of a plan."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from licensing.models import KEPT_SERVICES, Agreement, Plan


@receiver(post_save, sender=Agreement, dispatch_uid="licensing.signals.agreement_saved")
@receiver(post_delete, sender=Agreement, dispatch_uid="licensing.signals.agreement_deleted")
def agreement_changed(sender: type[Agreement], instance: Agreement, **kwargs: Any) -> None:
    KEPT_SERVICES.forget([instance.company_id])


@receiver(m2m_changed, sender=Plan.services.through, dispatch_uid="licensing.signals.plan_services")
def plan_services_changed(sender: type, instance: Any, action: str, **kwargs: Any) -> None:
    if not action.startswith("post_"):
        return
    agreements = Agreement.objects.all()
    if isinstance(instance, Plan):
        agreements = agreements.filter(plan=instance)
    # else a service's plans changed (service.plans.add(...)): rare enough to forget them all.
    KEPT_SERVICES.forget(set(agreements.values_list("company_id", flat=True)))
