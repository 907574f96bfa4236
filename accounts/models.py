from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from licensing.models import Company


def normalise_email(email: str) -> str:
    """E-mail addresses are compared without regard to case, so they are stored in lower case."""
    return email.strip().lower()


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        if not email:
            raise ValueError("An ID needs an e-mail address.")
        user = self.model(email=normalise_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person's online ID: signs in with an e-mail address, never with a desktop user name."""

    email = models.EmailField(_("e-mail address"), unique=True)
    name = models.CharField(_("name"), max_length=150)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, blank=True)
    is_staff = models.BooleanField(
        _("staff status"),
        default=False,
        help_text=_("Whether this ID may sign in to the staff administration."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("online ID")
        verbose_name_plural = _("online IDs")

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = normalise_email(self.email)
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name.split(" ")[0] if self.name else self.email


class Membership(models.Model):
    """An ID's access to one company."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("ID")
    )
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("company")
    )
    is_super_user = models.BooleanField(
        _("super user"),
        default=False,
        help_text=_("Full rights, and may administer the company's users."),
    )
    created_at = models.DateTimeField(_("member since"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "company"], name="one_membership_per_company")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company}"


def hash_token(token: str) -> str:
    """Only this digest of a link's token is stored: a copy of the table opens no ID."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class SignupLinkClosed(Exception):
    """The create-an-ID link expired, was used, or another link for its e-mail was used."""


class SignupRequestQuerySet(models.QuerySet["SignupRequest"]):
    def for_email(self, email: str) -> SignupRequestQuerySet:
        return self.filter(email=normalise_email(email))

    def for_token(self, token: str) -> SignupRequestQuerySet:
        return self.filter(token_hash=hash_token(token))

    def pending(self) -> SignupRequestQuerySet:
        return self.filter(
            used_at__isnull=True, superseded_at__isnull=True, expires_at__gt=timezone.now()
        )


class SignupRequest(models.Model):
    """A request for a new ID, waiting for its owner to open the link and choose a password.

    No User row exists until then, so an address nobody confirmed can never sign in.
    """

    name = models.CharField(_("name"), max_length=150)
    email = models.EmailField(_("e-mail address"), db_index=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    # Where the person was going when they left to create an ID (a wizard step, an invitation).
    # Kept here rather than in the link, so the link works on another device and cannot be
    # edited into an open redirect.
    next_url = models.CharField(_("next location"), max_length=2000, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)

    objects = SignupRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("request for an ID")
        verbose_name_plural = _("requests for an ID")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.email

    @classmethod
    def start(
        cls, *, name: str, email: str, language: str, next_url: str = ""
    ) -> tuple[SignupRequest, str]:
        """A new request and the token of its link; the token itself is never stored."""
        token = secrets.token_urlsafe(32)
        now = timezone.now()
        signup_request = cls.objects.create(
            name=name.strip(),
            email=normalise_email(email),
            language=language,
            next_url=next_url,
            token_hash=hash_token(token),
            created_at=now,
            expires_at=now + timedelta(hours=settings.SIGNUP_LINK_MAX_AGE_HOURS),
        )
        return signup_request, token

    def restart(self) -> tuple[SignupRequest, str]:
        """A fresh link for the same person, language and next location."""
        return SignupRequest.start(
            name=self.name, email=self.email, language=self.language, next_url=self.next_url
        )

    def is_open(self) -> bool:
        return (
            self.used_at is None and self.superseded_at is None and self.expires_at > timezone.now()
        )

    def complete(self, *, password: str) -> User:
        """Create the ID with a verified e-mail address and close every link for the address.

        The request row is locked, so two clicks on the same link (two tabs, two devices)
        create one ID; a second request for the same e-mail that races this one fails on the
        unique e-mail of User and is refused as closed.
        """
        from allauth.account.models import EmailAddress

        try:
            with transaction.atomic():
                locked = SignupRequest.objects.select_for_update().get(pk=self.pk)
                if not locked.is_open() or User.objects.filter(email=locked.email).exists():
                    raise SignupLinkClosed
                user = User.objects.create_user(
                    locked.email, password, name=locked.name, language=locked.language
                )
                EmailAddress.objects.create(
                    user=user, email=user.email, verified=True, primary=True
                )
                now = timezone.now()
                locked.used_at = now
                locked.save(update_fields=["used_at"])
                SignupRequest.objects.for_email(locked.email).filter(
                    used_at__isnull=True, superseded_at__isnull=True
                ).exclude(pk=locked.pk).update(superseded_at=now)
        except IntegrityError:
            raise SignupLinkClosed from None
        self.refresh_from_db()
        return user
