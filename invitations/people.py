"""The people who may be invited: the employees of the licence-linked company database, as its
sync host last reported them, each with their status in the online company."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.models import normalise_email
from invitations.models import Invitation, InvitationEvent
from licensing.models import AddOnProduct, Company, CompanyDatabase, LicenceLink

ACTIVE = "active"
INVITED = "invited"
NOT_INVITED = "not_invited"
STATUSES = {ACTIVE: _("Active"), INVITED: _("Invited"), NOT_INVITED: _("Not invited")}


@dataclass
class Person:
    """An employee of the company database (report["employees"]), with the user name of the
    desktop user linked to them, if any."""

    id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    username: str = ""
    status: str = NOT_INVITED
    invitation: Invitation | None = None  # the pending one, for the Invited status
    history: list[InvitationEvent] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email or f"#{self.id}"

    @property
    def status_label(self) -> Any:
        return STATUSES[self.status]


def linked_database(company: Company) -> CompanyDatabase | None:
    """The company database the company's Online Desktop licence is linked to, if any."""
    link = (
        LicenceLink.objects.filter(
            agreement__company=company, product__code=AddOnProduct.ONLINE_DESKTOP
        )
        .select_related("database")
        .order_by("-linked_at", "-pk")
        .first()
    )
    return link.database if link is not None else None


def _people_in_report(database: CompanyDatabase) -> list[Person]:
    report = database.report if isinstance(database.report, dict) else {}
    usernames: dict[int, str] = {}
    for user in report.get("users") or []:
        if isinstance(user, dict) and isinstance(user.get("employee_id"), int):
            usernames.setdefault(user["employee_id"], str(user.get("username") or ""))
    people = []
    for employee in report.get("employees") or []:
        if not isinstance(employee, dict) or not isinstance(employee.get("id"), int):
            continue
        if employee.get("is_active") is False:
            continue  # someone who left the company is not invited
        people.append(
            Person(
                id=employee["id"],
                first_name=str(employee.get("first_name") or ""),
                last_name=str(employee.get("last_name") or ""),
                email=normalise_email(str(employee.get("email") or "")),
                phone=str(employee.get("phone") or ""),
                username=usernames.get(employee["id"], ""),
            )
        )
    return sorted(people, key=lambda person: (person.last_name.lower(), person.first_name.lower()))


def people_of(company: Company, database: CompanyDatabase) -> list[Person]:
    """Everyone who may be invited, with their status and invitation history.

    Active: an ID that is a member of the company accepted this person's invitation, or a
    member's ID has the person's e-mail address (the super user who activated the licence).
    Invited: a pending invitation (open, or expired and waiting to be resent or revoked)."""
    people = _people_in_report(database)
    member_ids = set(company.memberships.values_list("user_id", flat=True))
    member_emails = set(company.memberships.values_list("user__email", flat=True))
    invitations = list(
        Invitation.objects.filter(company=company, database=database)
        .select_related("profile", "invited_by", "accepted_by")
        .prefetch_related("events__by")
    )
    by_person: dict[int, list[Invitation]] = {}
    for invitation in invitations:
        by_person.setdefault(invitation.person_id, []).append(invitation)
    for person in people:
        mine = by_person.get(person.id, [])
        person.history = sorted(
            (event for invitation in mine for event in invitation.events.all()),
            key=lambda event: (event.at, event.pk),
            reverse=True,
        )
        if (person.email and person.email in member_emails) or any(
            invitation.accepted_by_id in member_ids for invitation in mine
        ):
            person.status = ACTIVE
            continue
        pending = next((invitation for invitation in mine if invitation.is_pending()), None)
        if pending is not None:
            person.status = INVITED
            person.invitation = pending
    return people


def find_person(company: Company, database: CompanyDatabase, person_id: int) -> Person | None:
    """The listed person with `person_id`, or None: only listed people can be invited."""
    return next((p for p in people_of(company, database) if p.id == person_id), None)
