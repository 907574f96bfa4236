"""Forgets the memberships kept for an ID (User.memberships_by_name) when what they are read
from changes: one of its memberships, the company of one, or the access profile of one."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from accounts.models import KEPT_MEMBERSHIPS, AccessProfile, Membership
from licensing.models import Company


@receiver(post_save, sender=Membership, dispatch_uid="accounts.signals.membership_saved")
@receiver(post_delete, sender=Membership, dispatch_uid="accounts.signals.membership_deleted")
def membership_changed(sender: type[Membership], instance: Membership, **kwargs: Any) -> None:
    KEPT_MEMBERSHIPS.forget([instance.user_id])


@receiver(post_save, sender=Company, dispatch_uid="accounts.signals.company_saved")
def company_changed(sender: type[Company], instance: Company, **kwargs: Any) -> None:
    if kwargs.get("created"):
        return  # nobody is a member of it yet
    KEPT_MEMBERSHIPS.forget(instance.memberships.values_list("user_id", flat=True))


@receiver(post_save, sender=AccessProfile, dispatch_uid="accounts.signals.profile_saved")
def profile_changed(sender: type[AccessProfile], instance: AccessProfile, **kwargs: Any) -> None:
    if kwargs.get("created"):
        return  # nobody holds it yet
    KEPT_MEMBERSHIPS.forget(instance.memberships.values_list("user_id", flat=True))
