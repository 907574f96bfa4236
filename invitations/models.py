"""Invitations to a company: one row per link sent, and the history of what was done with them.

A resend closes the invitation it replaces (superseded) and opens a new row with a new token,
so every link ever sent maps to exactly one row, and an old link says why it stopped working.
Only a sha256 of a token is stored (accounts.models.hash_token): a copy of this table opens no
company.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import AccessProfile, Membership, User, hash_token, normalise_email
from licensing.models import Company, CompanyDatabase


class InvitationClosed(Exception):
    """The invitation was accepted, revoked, replaced by a newer one, or has expired."""


class IdExists(Exception):
    """The invited address already has an ID: its owner signs in instead of creating one."""


@dataclass(frozen=True)
class Seats:
    """How many online users the company's plan allows, and how many are taken: members plus
    open (unexpired) invitations, which hold a seat until they are accepted or closed."""

    allowed: int
    members: int
    invitations: int

    @classmethod
    def of(cls, company: Company) -> Seats:
        agreement = company.current_agreement()
        allowed = agreement.plan.seats if agreement is not None and agreement.is_valid() else 0
        return cls(
            allowed=allowed,
            members=company.memberships.count(),
            invitations=Invitation.objects.filter(company=company).open().count(),
        )

    @property
    def left(self) -> int:
        return max(0, self.allowed - self.members - self.invitations)


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def for_token(self, token: str) -> InvitationQuerySet:
        return self.filter(token_hash=hash_token(token))

    def pending(self) -> InvitationQuerySet:
        """Neither accepted, revoked nor replaced: open, or expired but still resendable."""
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, superseded_at__isnull=True
        )

    def open(self) -> InvitationQuerySet:
        """Pending, not expired, with its profile: the link works (and holds a seat)."""
        return self.pending().filter(expires_at__gt=timezone.now(), profile__isnull=False)


class Invitation(models.Model):
    """An invitation of one person of the licence-linked company database to the company."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        EXPIRED = "expired", _("Expired")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")
        SUPERSEDED = "superseded", _("Replaced by a newer invitation")
        PROFILE_GONE = "profile_gone", _("Its access profile was deleted")

    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("company")
    )
    database = models.ForeignKey(
        CompanyDatabase,
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=_("company database"),
    )
    # The employee's id in the company database: the person the invitation is for.
    person_id = models.PositiveIntegerField(_("employee"))
    name = models.CharField(_("name"), max_length=300)
    email = models.EmailField(_("e-mail address"))
    message = models.TextField(_("personal message"), max_length=2000, blank=True)
    # Empty once the custom profile it promised is deleted: the link then stops working
    # (status PROFILE_GONE) rather than the deletion failing or the person getting other rights.
    profile = models.ForeignKey(
        AccessProfile,
        on_delete=models.SET_NULL,
        null=True,
        related_name="invitations",
        verbose_name=_("access profile"),
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("invited by"),
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    superseded_at = models.DateTimeField(_("replaced at"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # One live invitation per person: two super users inviting the same colleague at
            # once get one invitation and one refusal, not two links that both work.
            models.UniqueConstraint(
                fields=["company", "database", "person_id"],
                condition=models.Q(
                    accepted_at__isnull=True, revoked_at__isnull=True, superseded_at__isnull=True
                ),
                name="one_pending_invitation_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}> → {self.company}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.email = normalise_email(self.email)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @classmethod
    def issue(
        cls,
        *,
        company: Company,
        database: CompanyDatabase,
        person_id: int,
        name: str,
        email: str,
        message: str,
        profile: AccessProfile,
        by: User,
        kind: str,
    ) -> tuple[Invitation, str]:
        """A new invitation row and the token of its link (the token itself is not stored).
        The caller holds the company lock and has checked the rules (see services.invite)."""
        token = secrets.token_urlsafe(32)
        now = timezone.now()
        invitation = cls.objects.create(
            company=company,
            database=database,
            person_id=person_id,
            name=name,
            email=email,
            message=message,
            profile=profile,
            invited_by=by,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + timedelta(days=settings.INVITATION_MAX_AGE_DAYS),
        )
        invitation.events.create(kind=kind, by=by, at=now)
        return invitation, token

    # --- state ------------------------------------------------------------------------------

    @property
    def status(self) -> Invitation.Status:
        if self.accepted_at is not None:
            return self.Status.ACCEPTED
        if self.revoked_at is not None:
            return self.Status.REVOKED
        if self.superseded_at is not None:
            return self.Status.SUPERSEDED
        if self.profile_id is None:
            return self.Status.PROFILE_GONE
        if self.expires_at <= timezone.now():
            return self.Status.EXPIRED
        return self.Status.OPEN

    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    def is_pending(self) -> bool:
        """Open, expired, or without its profile: may still be revoked (and, with a profile,
        resent)."""
        return self.status in (self.Status.OPEN, self.Status.EXPIRED, self.Status.PROFILE_GONE)

    @property
    def inviter_name(self) -> str:
        """Whom the invited person asks when the link no longer works."""
        if self.invited_by is None:
            return str(_("a super user of %(company)s") % {"company": self.company.name})
        return self.invited_by.name or self.invited_by.email

    # --- changes ----------------------------------------------------------------------------

    def revoke(self, *, by: User) -> None:
        """Kills the link. Refused (InvitationClosed) once it was accepted or replaced."""
        with transaction.atomic():
            locked = Invitation.objects.select_for_update().get(pk=self.pk)
            if not locked.is_pending():
                raise InvitationClosed
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            locked.events.create(kind=InvitationEvent.Kind.REVOKED, by=by, at=locked.revoked_at)
        self.revoked_at = locked.revoked_at

    def accept(self, *, user: User) -> Membership:
        """`user` joins the company with the invitation's access profile.

        The invitation row is locked, so a double click or two tabs make one membership: the
        second finds the invitation accepted. An ID that is already a member keeps the
        profile it has (an invitation never silently changes someone's rights)."""
        with transaction.atomic():
            # of=("self",): the profile is an outer join (it may be gone), which PostgreSQL
            # cannot lock; only the invitation row needs the lock.
            locked = (
                Invitation.objects.select_for_update(of=("self",))
                .select_related("company", "profile")
                .get(pk=self.pk)
            )
            if not locked.is_open() or locked.profile is None:
                raise InvitationClosed
            membership = Membership.objects.filter(user=user, company=locked.company).first()
            if membership is None:
                try:
                    with transaction.atomic():
                        membership = Membership.objects.create(
                            user=user,
                            company=locked.company,
                            profile=locked.profile,
                            employee_id=locked.person_id,
                        )
                except IntegrityError:
                    # The same ID joined meanwhile through another invitation of the company.
                    membership = Membership.objects.get(user=user, company=locked.company)
            locked.accepted_at = timezone.now()
            locked.accepted_by = user
            locked.save(update_fields=["accepted_at", "accepted_by"])
            locked.events.create(kind=InvitationEvent.Kind.ACCEPTED, by=user, at=locked.accepted_at)
        self.accepted_at, self.accepted_by = locked.accepted_at, user
        return membership

    def accept_with_new_id(self, *, name: str, password: str, language: str) -> Membership:
        """Creates the ID of the invited address (verified: the link was opened from that
        mailbox) and accepts, in one transaction: IdExists when the address has an ID."""
        try:
            with transaction.atomic():
                if User.objects.filter(email=self.email).exists():
                    raise IdExists
                user = User.objects.create_with_verified_email(
                    self.email, password, name=name.strip() or self.name, language=language
                )
                return self.accept(user=user)
        except IntegrityError:
            # Two submits of the new-ID form at once: the unique e-mail lets one through.
            raise IdExists from None


class InvitationEvent(models.Model):
    """What was done with an invitation, by whom, when: a person's history on the page."""

    class Kind(models.TextChoices):
        INVITED = "invited", _("Invited")
        RESENT = "resent", _("Invitation sent again")
        REVOKED = "revoked", _("Invitation revoked")
        ACCEPTED = "accepted", _("Invitation accepted")

    invitation = models.ForeignKey(
        Invitation, on_delete=models.CASCADE, related_name="events", verbose_name=_("invitation")
    )
    kind = models.CharField(_("event"), max_length=16, choices=Kind.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("invitation event")
        verbose_name_plural = _("invitation events")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.invitation}"
