from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from accounts.rights import AREAS, FUNCTIONS, READ_ONLY, SUPER_USER, TEMPLATES, Level, Rights
from licensing.kept import Kept
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

    def holding(self, email: str) -> User | None:
        """The ID whose login, or one of whose verified addresses, `email` is: such an address
        cannot become another ID."""
        email = normalise_email(email)
        return (
            self.filter(
                models.Q(email=email)
                | models.Q(emailaddress__email__iexact=email, emailaddress__verified=True)
            )
            .distinct()
            .first()
        )

    def create_with_verified_email(self, email: str, password: str, **fields: Any) -> User:
        """An ID whose address was proven by opening a link sent to it (a create-an-ID link or
        an invitation): its e-mail address is verified and primary from the start."""
        from allauth.account.models import EmailAddress

        user = self.create_user(email, password, **fields)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
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

    def memberships_by_name(self) -> list[Membership]:
        """Every membership of this ID with its company and access profile, by company name.
        Every page of a member asks (which company is current, the company picker), so the list
        is kept (KEPT_MEMBERSHIPS) and forgotten as soon as one of the memberships, their
        companies or their access profiles are saved or deleted (accounts.signals) or
        memberships updated (MembershipQuerySet.update): rights taken away are gone at the next
        request. The time limit also bounds a list read inside a transaction that is then
        rolled back."""

        def read() -> list[Membership]:
            return list(
                Membership.objects.filter(user_id=self.pk)
                .select_related("company", "profile")
                .order_by("company__name", "company_id")
            )

        return KEPT_MEMBERSHIPS.get(self.pk, read)


class RightsRefused(Exception):
    """A change of access rights that the rules refuse; `message` says why, for the page."""

    def __init__(self, message: Any) -> None:
        self.message = message
        super().__init__(str(message))


class LastSuperUser(RightsRefused):
    def __init__(self) -> None:
        super().__init__(
            _(
                "A company always keeps at least one super user. Make another member super "
                "user first."
            )
        )


class TemplateReadOnly(RightsRefused):
    def __init__(self) -> None:
        super().__init__(_("A predefined access profile cannot be changed or deleted."))


class ProfileInUse(RightsRefused):
    def __init__(self, count: int) -> None:
        super().__init__(
            ngettext_lazy(
                "This access profile is in use by %(count)d member. Give them another profile "
                "first.",
                "This access profile is in use by %(count)d members. Give them another profile "
                "first.",
                "count",
            )
            % {"count": count}
        )


class AccessProfileQuerySet(models.QuerySet["AccessProfile"]):
    def template(self, key: str) -> AccessProfile:
        """The row of a predefined template. Created on first use, so that an installation
        (or a test database emptied between tests) always has it; its rights live in code."""
        if key not in TEMPLATES:
            raise ValueError(f"Unknown access profile template {key!r}")
        profile, _created = AccessProfile.objects.get_or_create(template=key, company=None)
        return profile

    def templates(self) -> list[AccessProfile]:
        """Every predefined template, in the order they are offered."""
        return [self.template(key) for key in TEMPLATES]

    def custom_of(self, company: Company) -> AccessProfileQuerySet:
        return self.filter(company=company).order_by("name", "pk")

    def offered_to(self, company: Company) -> AccessProfileQuerySet:
        """What a member of `company` can be given: the templates in their order, then the
        company's custom profiles by name."""
        self.templates()
        order = models.Case(
            *(models.When(template=key, then=index) for index, key in enumerate(TEMPLATES)),
            default=len(TEMPLATES),
        )
        return self.filter(models.Q(company__isnull=True) | models.Q(company=company)).order_by(
            order, "name", "pk"
        )


class AccessProfile(models.Model):
    """What a member may do: a predefined template (company empty, rights from
    accounts.rights.TEMPLATES) or a company's own custom rights."""

    company = models.ForeignKey(
        Company,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="access_profiles",
        verbose_name=_("company"),
    )
    template = models.CharField(
        _("template"),
        max_length=32,
        blank=True,
        choices=[(key, template.name) for key, template in TEMPLATES.items()],
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    rights_json = models.JSONField(_("rights"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = AccessProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("access profile")
        verbose_name_plural = _("access profiles")
        constraints = [
            models.UniqueConstraint(
                fields=["template"],
                condition=~models.Q(template=""),
                name="one_row_per_template",
            ),
            models.UniqueConstraint(
                fields=["company", "name"],
                condition=models.Q(company__isnull=False),
                name="custom_profile_names_unique_per_company",
            ),
            # A template belongs to no company; a custom profile to exactly one, with a name.
            models.CheckConstraint(
                condition=(models.Q(company__isnull=True) & ~models.Q(template=""))
                | (models.Q(company__isnull=False) & models.Q(template="") & ~models.Q(name="")),
                name="template_xor_custom_profile",
            ),
        ]

    def __str__(self) -> str:
        return str(self.display_name)

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.is_template and self.pk is not None:
            raise TemplateReadOnly
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        """Deletes a custom profile nobody holds; refuses a template or a profile in use."""
        if self.is_template:
            raise TemplateReadOnly
        in_use = self.memberships.count()
        if in_use:
            raise ProfileInUse(in_use)
        return super().delete(*args, **kwargs)

    @property
    def is_template(self) -> bool:
        return bool(self.template)

    @property
    def display_name(self) -> Any:
        return TEMPLATES[self.template].name if self.is_template else self.name

    @property
    def description(self) -> Any:
        return TEMPLATES[self.template].description if self.is_template else ""

    @property
    def is_super_user(self) -> bool:
        return self.is_template and TEMPLATES[self.template].is_super_user

    @cached_property
    def rights(self) -> Rights:
        if self.is_template:
            return TEMPLATES[self.template].rights
        return Rights.from_json(self.rights_json)

    def set_rights(self, rights: Rights) -> None:
        """New rights for a custom profile (saved); every member holding it gets them."""
        if self.is_template:
            raise TemplateReadOnly
        self.rights_json = rights.to_json()
        self.__dict__.pop("rights", None)
        self.save()

    def is_within(self, other: AccessProfile) -> bool:
        """Grants nothing `other` does not: the super-user template is within only itself."""
        if self.is_super_user and not other.is_super_user:
            return False
        return self.rights.is_within(other.rights)


class MembershipQuerySet(models.QuerySet["Membership"]):
    def super_users(self) -> MembershipQuerySet:
        return self.filter(profile__template=SUPER_USER)

    def update(self, **kwargs: Any) -> int:
        """A bare UPDATE sends no signal: this one forgets the kept memberships of every ID
        whose rows it changed (User.memberships_by_name) itself."""
        user_ids = set(self.values_list("user_id", flat=True))
        changed = super().update(**kwargs)
        if changed:
            KEPT_MEMBERSHIPS.forget(user_ids)
        return changed


class Membership(models.Model):
    """An ID's access to one company, with an access profile.

    Every change that can take away a super user (a new profile, removal, leaving) goes
    through `_change`, which locks the company row and counts the super users, so that a
    company always keeps one, even when two super users demote each other at the same moment.
    """

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("ID")
    )
    company = models.ForeignKey(
        Company, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("company")
    )
    # RESTRICT rather than PROTECT: a profile in use cannot be deleted on its own, but deleting
    # the company takes its memberships and custom profiles together.
    profile = models.ForeignKey(
        AccessProfile,
        on_delete=models.RESTRICT,
        related_name="memberships",
        verbose_name=_("access profile"),
    )
    is_default = models.BooleanField(
        _("default company"),
        default=False,
        help_text=_("The company this ID opens after signing in."),
    )
    created_at = models.DateTimeField(_("member since"), auto_now_add=True)
    # The employee of the company database this member is (their own hours and activities);
    # set when an invitation to that employee is accepted.
    employee_id = models.PositiveIntegerField(_("employee"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(fields=["user", "company"], name="one_membership_per_company"),
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(is_default=True),
                name="one_default_company_per_id",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.profile_id is None:
            self.profile = AccessProfile.objects.template(READ_ONLY)
        super().save(*args, **kwargs)

    # --- what the member may do ---------------------------------------------------------------

    @property
    def is_super_user(self) -> bool:
        """Full rights, and administers the company's members (the Super user template)."""
        return self.profile_id is not None and self.profile.is_super_user

    @is_super_user.setter
    def is_super_user(self, value: bool) -> None:
        # Kept for the code and data from before access profiles: True is the Super user
        # template; False is Read only unless the member already holds another non-super
        # profile. Unguarded: use set_profile() for a change a person makes.
        if value:
            self.profile = AccessProfile.objects.template(SUPER_USER)
        elif self.profile_id is None or self.profile.is_super_user:
            self.profile = AccessProfile.objects.template(READ_ONLY)

    @cached_property
    def effective_rights(self) -> Rights:
        """The profile's rights limited to the work areas of the company's plan: an area is
        available only while the current agreement is valid and its plan includes it."""
        services = self.company.services_in_force()
        rights = self.profile.rights
        return Rights(
            areas={area: level for area, level in rights.areas.items() if area in services},
            functions=frozenset(
                code for code in rights.functions if FUNCTIONS[code].area in services
            ),
        )

    def can(self, area: str, level: str = Level.READ) -> bool:
        """May use work area `area` at `level` (read or full): plan and rights both allow it."""
        if area not in AREAS:
            raise ValueError(f"Unknown work area {area!r}")
        return self.effective_rights.allows(area, level)

    def may(self, function: str) -> bool:
        """May use `function` (e.g. "contacts.delete"; see accounts.rights.FUNCTIONS)."""
        return self.effective_rights.has(function)

    def may_grant(self, profile: AccessProfile) -> bool:
        """Nobody grants more than they hold; only a super user grants the Super user
        template. Invitations use this rule too."""
        return profile.is_within(self.profile)

    # --- changes, all guarded -----------------------------------------------------------------

    def set_profile(self, profile: AccessProfile, *, by: Membership) -> None:
        """Gives this member `profile`, as super user `by` of the same company."""
        if profile.company_id not in (None, self.company_id):
            raise ValueError("A custom access profile of another company")

        def change(locked: Membership, super_users: int, by: Membership | None) -> None:
            if by is None or not by.may_grant(profile):
                raise RightsRefused(_("You cannot grant more rights than you hold yourself."))
            if locked.is_super_user and not profile.is_super_user and super_users <= 1:
                raise LastSuperUser
            locked.profile = profile
            locked.save(update_fields=["profile"])

        self._change(change, by=by)

    def remove(self, *, by: Membership) -> None:
        """Removes this member from the company, as super user `by`."""

        def change(locked: Membership, super_users: int, by: Membership | None) -> None:
            if locked.is_super_user and super_users <= 1:
                raise LastSuperUser
            locked.delete()

        self._change(change, by=by)

    def leave(self) -> None:
        """The member leaves the company (any member, except the last super user)."""

        def change(locked: Membership, super_users: int, by: Membership | None) -> None:
            if locked.is_super_user and super_users <= 1:
                raise LastSuperUser
            locked.delete()

        self._change(change, by=None)

    def is_last_super_user(self) -> bool:
        """For explaining the rule on a page; the guarded changes decide under a lock."""
        return (
            self.is_super_user
            and Membership.objects.filter(company_id=self.company_id).super_users().count() <= 1
        )

    def _change(
        self,
        change: Callable[[Membership, int, Membership | None], None],
        *,
        by: Membership | None,
    ) -> None:
        # The one place every change of a member's rights goes through. The company row lock
        # serialises changes per company (and first-super-user claims, which take the same
        # lock); the member, the acting super user and the count are read after it, so a
        # demotion that committed meanwhile is seen.
        with transaction.atomic():
            Company.objects.select_for_update().get(pk=self.company_id)
            try:
                locked = Membership.objects.select_related("profile").get(pk=self.pk)
            except Membership.DoesNotExist:
                raise RightsRefused(_("This member has already left the company.")) from None
            acting = None
            if by is not None:
                if by.company_id != self.company_id:
                    raise ValueError("The acting member belongs to another company")
                acting = Membership.objects.select_related("profile").filter(pk=by.pk).first()
                if acting is None or not acting.is_super_user:
                    raise RightsRefused(_("Only a super user changes members' rights."))
            super_users = Membership.objects.filter(company_id=self.company_id).super_users()
            change(locked, super_users.count(), acting)
        if locked.pk is not None:
            self.profile = locked.profile
            self.__dict__.pop("effective_rights", None)

    def make_default(self) -> None:
        """Makes this the company the ID opens after signing in."""
        with transaction.atomic():
            Membership.objects.filter(user_id=self.user_id, is_default=True).exclude(
                pk=self.pk
            ).update(is_default=False)
            Membership.objects.filter(pk=self.pk).update(is_default=True)
        self.is_default = True


# User.memberships_by_name, by user id.
KEPT_MEMBERSHIPS = Kept[list[Membership]]("accounts:memberships", seconds=60)


def rights_for(membership: Membership) -> Rights:
    """What `membership` may do now (rights within the plan): for pages and the REST API."""
    return membership.effective_rights


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
        try:
            with transaction.atomic():
                locked = SignupRequest.objects.select_for_update().get(pk=self.pk)
                if not locked.is_open() or User.objects.holding(locked.email) is not None:
                    raise SignupLinkClosed
                user = User.objects.create_with_verified_email(
                    locked.email, password, name=locked.name, language=locked.language
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


# --- personal API tokens --------------------------------------------------------------------


class ApiTokenLimitReached(Exception):
    """A member holds as many active API tokens as one membership may."""


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def active(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A personal API token: an integration acting as one membership (one company, and that
    member's rights as they are at each request: rights taken away are gone at once).

    The secret is shown once, when the token is made; only its SHA-256 is stored, so a copy of
    the table opens nothing. `prefix` is the start of the secret, to tell tokens apart."""

    # The secret: "od_" and 43 characters of 32 random bytes (256 bits).
    SCHEME = "od_"
    PREFIX_LENGTH = len(SCHEME) + 8
    # More would be a leak waiting to happen, not an integration.
    MAX_ACTIVE_PER_MEMBERSHIP = 20
    # last_used_at is a hint for people, not an audit log: written at most once per interval,
    # so a busy integration does not turn every read into a write.
    LAST_USED_INTERVAL = timedelta(minutes=1)

    membership = models.ForeignKey(
        Membership,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("membership"),
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, *, membership: Membership, name: str) -> tuple[ApiToken, str]:
        """A new token for `membership` and its secret, which is never stored nor shown again.

        The membership row is locked while counting, so that two requests at once cannot
        pass the limit together."""
        secret = cls.SCHEME + secrets.token_urlsafe(32)
        with transaction.atomic():
            Membership.objects.select_for_update().get(pk=membership.pk)
            if cls.objects.active().filter(membership=membership).count() >= (
                cls.MAX_ACTIVE_PER_MEMBERSHIP
            ):
                raise ApiTokenLimitReached
            token = cls.objects.create(
                membership=membership,
                name=name.strip(),
                prefix=secret[: cls.PREFIX_LENGTH],
                token_hash=hash_token(secret),
            )
        return token, secret

    @classmethod
    def find_active(cls, secret: str) -> ApiToken | None:
        """The active token of `secret` with its membership, company, profile and ID, or None
        (unknown, revoked, or its ID is deactivated)."""
        if not secret.startswith(cls.SCHEME):
            return None
        return (
            cls.objects.active()
            .filter(token_hash=hash_token(secret), membership__user__is_active=True)
            .select_related("membership__user", "membership__company", "membership__profile")
            .first()
        )

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def revoke(self) -> None:
        """From now on the token opens nothing; revoking twice keeps the first moment."""
        now = timezone.now()
        ApiToken.objects.filter(pk=self.pk, revoked_at__isnull=True).update(revoked_at=now)
        self.refresh_from_db(fields=["revoked_at"])

    def note_use(self) -> None:
        now = timezone.now()
        if self.last_used_at is not None and self.last_used_at > now - self.LAST_USED_INTERVAL:
            return
        stale = models.Q(last_used_at__isnull=True) | models.Q(
            last_used_at__lt=now - self.LAST_USED_INTERVAL
        )
        if ApiToken.objects.filter(stale, pk=self.pk).update(last_used_at=now):
            self.last_used_at = now
