"""Work on licences that crosses apps: what sync hosts report, and linking the licence.

`register_reported_database` is called by the sync-host work with a host's report;
`link_database` and `move_licence` by the licence page.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from licensing.models import (
    AddOnProduct,
    Agreement,
    Company,
    CompanyDatabase,
    ForeignDatabaseAttempt,
    LicenceLink,
    Refusal,
)


class InvalidReport(ValueError):
    """A report lacks a field or has a value outside the contract (DESIGN.md)."""


class ForeignDatabaseError(Exception):
    """The reported database_id already belongs to another company: a database_id belongs to at
    most one company. The attempt is recorded for staff by `record_foreign_database_attempt`
    (which a caller inside a transaction must call again after it: see there)."""

    def __init__(
        self, *, database_id: uuid.UUID, reporting_company: Company, owner_id: int, name: str
    ) -> None:
        self.database_id = database_id
        self.reporting_company = reporting_company
        self.owner_id = owner_id
        self.reported_name = name
        super().__init__(
            f"Company database {database_id} belongs to another company; the report is refused."
        )


class LicenceRefused(Exception):
    """A licence link was refused; `message` is for people, `reason` for code."""

    def __init__(self, reason: Refusal) -> None:
        self.reason = reason
        self.message = reason.label
        super().__init__(str(reason.label))


def _parse_report(report: dict[str, Any]) -> dict[str, Any]:
    try:
        settings = report["settings"]
        database_id = uuid.UUID(str(report["database_id"]))
        schema_version = int(report["schema_version"])
        kind = settings["database_kind"]
        edition = settings["edition"]
        name = str(settings["name"] or "")[:200]
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidReport(f"The report lacks or mangles a field ({error!r}).") from None
    if kind not in CompanyDatabase.Kind.values:
        raise InvalidReport(f"Unknown database_kind {kind!r}.")
    if edition not in CompanyDatabase.Edition.values:
        raise InvalidReport(f"Unknown edition {edition!r}.")
    if schema_version < 0:
        raise InvalidReport("schema_version must not be negative.")
    return {
        "database_id": database_id,
        "name": name,
        "kind": kind,
        "edition": edition,
        "schema_version": schema_version,
    }


def register_reported_database(*, company: Company, report: dict[str, Any]) -> CompanyDatabase:
    """Records what a sync host of `company` reported about one company database.

    Creates the company database on its first report and refreshes it on every later one.
    Raises InvalidReport for a report outside the contract, and ForeignDatabaseError when the
    database_id belongs to another company (the attempt is recorded and kept even so).
    """
    fields = _parse_report(report)
    database_id = fields.pop("database_id")
    now = timezone.now()
    with transaction.atomic():
        # get_or_create retries as a get when a concurrent report inserted the row first, and
        # the unique database_id makes sure only one company can ever win it.
        database, created = CompanyDatabase.objects.select_for_update().get_or_create(
            database_id=database_id,
            defaults={**fields, "company": company, "report": report, "reported_at": now},
        )
        foreign = database.company_id != company.pk
        if not foreign and not created:
            for name, value in fields.items():
                setattr(database, name, value)
            database.report = report
            database.reported_at = now
            database.save(update_fields=[*fields, "report", "reported_at"])
    if foreign:
        refused = ForeignDatabaseError(
            database_id=database_id,
            reporting_company=company,
            owner_id=database.company_id,
            name=fields["name"],
        )
        record_foreign_database_attempt(refused)
        raise refused
    return database


def record_foreign_database_attempt(refused: ForeignDatabaseError) -> None:
    """Keeps a refused report for staff: one row per reporting company and database.

    `register_reported_database` calls it; a caller that ran the registration inside its own
    transaction lost that row with the rollback and calls it again once the transaction is
    over (a repeated call only counts one more attempt)."""
    with transaction.atomic():
        attempt, created = ForeignDatabaseAttempt.objects.select_for_update().get_or_create(
            reporting_company=refused.reporting_company,
            database_id=refused.database_id,
            defaults={
                "owning_company_id": refused.owner_id,
                "reported_name": refused.reported_name,
            },
        )
        if not created:
            attempt.attempts = F("attempts") + 1
            attempt.attempted_at = timezone.now()
            attempt.reported_name = refused.reported_name
            attempt.save(update_fields=["attempts", "attempted_at", "reported_name"])


def _pk(user: AbstractBaseUser | None) -> Any:
    # The user model lives in accounts, which imports licensing: refer to it by key only.
    return user.pk if user is not None else None


def _refusal_for_database(
    *, agreement: Agreement, product: AddOnProduct, database: CompanyDatabase
) -> Refusal | None:
    if database.company_id != agreement.company_id:
        return Refusal.FOREIGN
    code = (
        CompanyDatabase.objects.filter(pk=database.pk)
        .eligible_for(product)
        .values_list("ineligible_reason", flat=True)  # type: ignore[misc]
        .get()
    )
    return Refusal(code) if code else None


def link_database(
    *,
    agreement: Agreement,
    addon: AddOnProduct,
    database: CompanyDatabase,
    by: AbstractBaseUser | None,
) -> LicenceLink:
    """Links the agreement's licence of `addon` to `database`, or raises LicenceRefused.

    Exactly one database per licence unless the agreement's allowance is larger; expired,
    evaluation and sample cases are refused, each with its reason.
    """
    with transaction.atomic():
        # Lock the agreement so that two people pressing OK at once cannot both take the last
        # place of the allowance.
        agreement = Agreement.objects.select_for_update().get(pk=agreement.pk)
        # The database's own reason first: it says more than "allowance used".
        refusal = (
            agreement.refusal_to_link(addon)
            or _refusal_for_database(agreement=agreement, product=addon, database=database)
            or agreement.refusal_to_add(addon)
        )
        if refusal is not None:
            raise LicenceRefused(refusal)
        return LicenceLink.objects.create(
            agreement=agreement, product=addon, database=database, linked_by_id=_pk(by)
        )


def move_licence(
    *, link: LicenceLink, database: CompanyDatabase, by: AbstractBaseUser | None
) -> LicenceLink:
    """Moves a licence link to another database of the company, only while the linked one is
    not connected (the sync engine would otherwise keep writing to it)."""
    with transaction.atomic():
        agreement = Agreement.objects.select_for_update().get(pk=link.agreement_id)
        link = LicenceLink.objects.select_related("database", "product").get(pk=link.pk)
        refusal: Refusal | None
        if link.is_connected():
            refusal = Refusal.CONNECTED
        else:
            refusal = agreement.refusal_to_link(link.product) or _refusal_for_database(
                agreement=agreement, product=link.product, database=database
            )
        if refusal is not None:
            raise LicenceRefused(refusal)
        link.database = database
        link.linked_by_id = _pk(by)
        link.linked_at = timezone.now()
        link.save(update_fields=["database", "linked_by_id", "linked_at"])
        return link


__all__ = [
    "ForeignDatabaseError",
    "InvalidReport",
    "LicenceRefused",
    "link_database",
    "move_licence",
    "record_foreign_database_attempt",
    "register_reported_database",
]
