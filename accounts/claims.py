"""How an ID becomes a company's first super user.

Staff create the company and its agreement with the holder's e-mail. Two ways in, both only
while the company has no super user yet:

- by e-mail: an ID signs in (or verifies an address) and one of its verified addresses is the
  holder's e-mail of an agreement;
- by claim: a signed-in ID gives the agreement number plus the customer number, so that a typo
  in the holder's e-mail does not lock the customer out.
"""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _

from accounts.models import AccessProfile, Membership, User
from accounts.rights import SUPER_USER
from licensing.models import Agreement, Company


class ClaimRefused(Exception):
    def __init__(self, message: Any) -> None:
        self.message = message
        super().__init__(str(message))


# One message for every wrong pair: which half was wrong is not told.
WRONG_PAIR = _(
    "These numbers do not match an agreement. Check the agreement number and the customer "
    "number on your agreement and try again."
)
ALREADY_ADMINISTERED = _(
    "This company already has a super user. Ask them to invite you to the company."
)


def _make_first_super_user(*, user: User, company: Company) -> Membership | None:
    """Makes `user` the company's super user if it has none yet; None when it has one."""
    with transaction.atomic():
        # The company row lock serialises two first sign-ins, so only one becomes first.
        Company.objects.select_for_update().get(pk=company.pk)
        if Membership.objects.filter(company=company).super_users().exists():
            return None
        membership, _created = Membership.objects.update_or_create(
            user=user,
            company=company,
            defaults={"profile": AccessProfile.objects.template(SUPER_USER)},
        )
        return membership


def grant_first_super_user(*, user: User) -> list[Membership]:
    """Makes `user` the first super user of every company whose agreement is held by one of
    its verified e-mail addresses, where that company has no super user yet."""
    verified = list(
        EmailAddress.objects.filter(user=user, verified=True).values_list("email", flat=True)
    )
    if not verified:
        return []
    agreements = (
        Agreement.objects.held_by(verified)
        .exclude(status=Agreement.Status.CANCELLED)
        .select_related("company")
    )
    granted = []
    for agreement in agreements:
        membership = _make_first_super_user(user=user, company=agreement.company)
        if membership is not None:
            granted.append(membership)
    return granted


def claim_agreement(*, user: User, number: str, customer_number: str) -> Membership:
    """Makes `user` the company's first super user by the agreement number plus the customer
    number. Raises ClaimRefused with one generic message for any wrong pair."""
    agreement = (
        Agreement.objects.filter(number__iexact=number.strip())
        .exclude(status=Agreement.Status.CANCELLED)
        .select_related("company")
        .first()
    )
    if agreement is None or not agreement.matches_claim(
        number=number, customer_number=customer_number
    ):
        raise ClaimRefused(WRONG_PAIR)
    membership = _make_first_super_user(user=user, company=agreement.company)
    if membership is None:
        raise ClaimRefused(ALREADY_ADMINISTERED)
    return membership


@receiver(user_logged_in, dispatch_uid="accounts.claims.on_sign_in")
def on_sign_in(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    grant_first_super_user(user=user)


@receiver(email_confirmed, dispatch_uid="accounts.claims.on_email_confirmed")
def on_email_confirmed(
    sender: Any, request: Any, email_address: EmailAddress, **kwargs: Any
) -> None:
    grant_first_super_user(user=email_address.user)
