"""The employees of the company database, as its sync host last reported them, and which one a
member is: the activities and time-sheet areas show whose an activity or an hour is, and a
member's "own" ones are those of their employee (Membership.employee_id)."""

from __future__ import annotations

from dataclasses import dataclass

from accounts.models import Membership, normalise_email
from invitations.people import linked_database
from licensing.models import Company


@dataclass(frozen=True)
class Employee:
    id: int
    name: str
    email: str
    is_active: bool


def employees_of(company: Company) -> dict[int, Employee]:
    """The employees in the latest report of the company's licence-linked database, by id,
    ordered by name (also those who left: their old hours and activities keep a name).
    Empty when no database is linked or it has not been reported yet. One query."""
    database = linked_database(company)
    report = database.report if database is not None else None
    employees = []
    for row in (report.get("employees") if isinstance(report, dict) else None) or []:
        if not isinstance(row, dict) or not isinstance(row.get("id"), int):
            continue
        first, last = str(row.get("first_name") or ""), str(row.get("last_name") or "")
        email = normalise_email(str(row.get("email") or ""))
        employees.append(
            Employee(
                id=row["id"],
                name=f"{first} {last}".strip() or email or f"#{row['id']}",
                email=email,
                is_active=row.get("is_active") is not False,
            )
        )
    return {e.id: e for e in sorted(employees, key=lambda e: (e.name.lower(), e.id))}


def link_employee(membership: Membership) -> int | None:
    """The company-database employee `membership` is, learning it when not known yet.

    An invitation sets it when accepted, but a member who came another way (the first super
    user came by the agreement) has none: the employee is then the active one in the host's
    latest report with the member's e-mail address, unless another member of the company is
    that employee already. Asked lazily by the pages that need it, so a later report (the
    e-mail corrected in the desktop program) is picked up without anyone doing anything."""
    if membership.employee_id is not None:
        return membership.employee_id
    email = normalise_email(membership.user.email)
    found = next(
        (
            e
            for e in employees_of(membership.company).values()
            if e.is_active and e.email and e.email == email
        ),
        None,
    )
    if found is None:
        return None
    taken = membership.company.memberships.filter(employee_id=found.id).exclude(pk=membership.pk)
    if taken.exists():
        return None
    # Conditional: two requests at once both learn the same employee; neither overwrites an
    # employee that an accepted invitation set meanwhile.
    Membership.objects.filter(pk=membership.pk, employee_id__isnull=True).update(
        employee_id=found.id
    )
    membership.refresh_from_db(fields=["employee_id"])
    return membership.employee_id
