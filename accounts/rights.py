"""Access rights: what a member may do in each work area.

A right is a level per work area (No < Read < Full) plus a few functions inside an area, only
where the desktop program itself distinguishes them:

==================  ==========================================================  ============
function            meaning                                                     needs
==================  ==========================================================  ============
contacts.delete     may delete contacts (Full alone allows create and edit)     Full
orders.orders       may create and confirm orders; without it, quotes only      Full
time_sheets.all     sees (and with Full, writes) everyone's hours, not only     Read
                    their own
==================  ==========================================================  ============

Invoices are read-only online (the company database is their master): Read is the most an
invoice right can be.

Stored as one small JSON object, e.g.::

    {"areas": {"contacts": "full", "orders": "read", ...}, "functions": ["contacts.delete"]}

and always read through `Rights.from_json`, the one place that validates it. A missing area is
No. The predefined templates (Super user, Sales, ...) are defined here in code, so they cannot
be edited; the database only holds a row per template for memberships to point at.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from licensing.models import Service

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

Area = Service.Code
AREAS: tuple[str, ...] = tuple(Area.values)


class Level(models.TextChoices):
    NONE = "none", _("No")
    READ = "read", _("Read")
    FULL = "full", _("Full")


_RANK = {Level.NONE: 0, Level.READ: 1, Level.FULL: 2}

# The most a right can be per work area: invoices are mastered by the company database.
MAX_LEVEL: dict[str, Level] = {area: Level.FULL for area in AREAS} | {Area.INVOICES: Level.READ}


def rank(level: str) -> int:
    """The order of levels (No < Read < Full), for comparing them."""
    return _RANK[Level(level)]


@dataclass(frozen=True)
class Function:
    code: str
    area: str
    needs: Level
    label: StrPromise


FUNCTIONS: dict[str, Function] = {
    function.code: function
    for function in [
        Function("contacts.delete", Area.CONTACTS, Level.FULL, _("May delete contacts")),
        Function(
            "orders.orders",
            Area.ORDERS,
            Level.FULL,
            _("May create orders, not only quotes"),
        ),
        Function(
            "time_sheets.all",
            Area.TIME_SHEETS,
            Level.READ,
            _("Everyone's hours, not only their own"),
        ),
    ]
}


def functions_of(area: str) -> list[Function]:
    return [function for function in FUNCTIONS.values() if function.area == area]


@dataclass(frozen=True)
class Rights:
    """A level per work area and the functions granted. Build it with `from_json` or
    `Rights.of(...)`; both validate."""

    areas: Mapping[str, Level] = field(default_factory=dict)
    functions: frozenset[str] = frozenset()

    @classmethod
    def of(cls, areas: Mapping[str, str], functions: Iterable[str] = ()) -> Rights:
        """Validated rights; raises ValidationError naming every problem."""
        return cls.from_json({"areas": dict(areas), "functions": list(functions)})

    @classmethod
    def full(cls) -> Rights:
        """Everything a right can be: what a super user holds."""
        return cls(areas=dict(MAX_LEVEL), functions=frozenset(FUNCTIONS))

    @classmethod
    def from_json(cls, data: Any) -> Rights:
        """THE validation of stored or submitted rights: known areas and functions only, a
        level no higher than the area allows, a function only with the level it needs."""
        if not isinstance(data, dict):
            raise ValidationError(_("Rights must be an object."), code="invalid")
        raw_areas = data.get("areas", {})
        raw_functions = data.get("functions", [])
        if not isinstance(raw_areas, dict) or not isinstance(raw_functions, list):
            raise ValidationError(_("Rights must be an object."), code="invalid")
        errors: list[ValidationError] = []
        areas: dict[str, Level] = {}
        for area, level in raw_areas.items():
            if area not in AREAS:
                errors.append(
                    ValidationError(_("Unknown work area: %(area)s"), params={"area": area})
                )
                continue
            if level not in Level.values:
                errors.append(
                    ValidationError(_("Unknown level: %(level)s"), params={"level": level})
                )
                continue
            if rank(level) > rank(MAX_LEVEL[area]):
                errors.append(
                    ValidationError(
                        _("%(area)s can be at most %(level)s."),
                        params={"area": Area(area).label, "level": MAX_LEVEL[area].label},
                        code="above_maximum",
                    )
                )
                continue
            if level != Level.NONE:  # a missing area is No: one form per set of rights
                areas[str(area)] = Level(level)
        functions: set[str] = set()
        for code in raw_functions:
            function = FUNCTIONS.get(code)
            if function is None:
                errors.append(
                    ValidationError(_("Unknown function: %(code)s"), params={"code": code})
                )
                continue
            if rank(areas.get(function.area, Level.NONE)) < rank(function.needs):
                errors.append(
                    ValidationError(
                        _("“%(function)s” needs at least %(level)s rights on %(area)s."),
                        params={
                            "function": function.label,
                            "level": function.needs.label,
                            "area": Area(function.area).label,
                        },
                        code="function_needs_level",
                    )
                )
                continue
            functions.add(code)
        if errors:
            raise ValidationError(errors)
        return cls(areas=areas, functions=frozenset(functions))

    def to_json(self) -> dict[str, Any]:
        return {
            "areas": {area: str(self.level(area)) for area in AREAS},
            "functions": sorted(self.functions),
        }

    def level(self, area: str) -> Level:
        return self.areas.get(area, Level.NONE)

    def allows(self, area: str, level: str = Level.READ) -> bool:
        """At least `level` on `area` (plan not considered: see Membership.can)."""
        return rank(self.level(area)) >= rank(level)

    def has(self, function: str) -> bool:
        if function not in FUNCTIONS:
            raise ValueError(f"Unknown function {function!r}")
        return function in self.functions

    def is_within(self, other: Rights) -> bool:
        """Nothing here exceeds `other`: the rule "nobody grants more than they hold"."""
        return all(rank(self.level(area)) <= rank(other.level(area)) for area in AREAS) and (
            self.functions <= other.functions
        )


@dataclass(frozen=True)
class Template:
    key: str
    name: StrPromise
    description: StrPromise
    rights: Rights
    is_super_user: bool = False


def _template(
    key: str,
    name: StrPromise,
    description: StrPromise,
    areas: Mapping[str, str],
    functions: Iterable[str] = (),
) -> Template:
    return Template(key, name, description, Rights.of(areas, functions))


SUPER_USER = "super_user"
READ_ONLY = "read_only"

# The predefined access profiles, in the order they are offered.
TEMPLATES: dict[str, Template] = {
    template.key: template
    for template in [
        Template(
            SUPER_USER,
            _("Super user"),
            _("Full rights in every work area, and administers the company's members."),
            Rights.full(),
            is_super_user=True,
        ),
        _template(
            "sales",
            _("Sales"),
            _("Customers, quotes and orders; reads products and invoices; own hours."),
            {
                Area.CONTACTS: Level.FULL,
                Area.ACTIVITIES: Level.FULL,
                Area.PRODUCTS: Level.READ,
                Area.ORDERS: Level.FULL,
                Area.INVOICES: Level.READ,
                Area.TIME_SHEETS: Level.FULL,
            },
            ["orders.orders"],
        ),
        _template(
            "service",
            _("Service"),
            _("Activities and own hours; reads contacts, products and orders."),
            {
                Area.CONTACTS: Level.READ,
                Area.ACTIVITIES: Level.FULL,
                Area.PRODUCTS: Level.READ,
                Area.ORDERS: Level.READ,
                Area.TIME_SHEETS: Level.FULL,
            },
        ),
        _template(
            "time_registration",
            _("Time registration"),
            _("Writes own hours; reads contacts to book them on."),
            {Area.CONTACTS: Level.READ, Area.TIME_SHEETS: Level.FULL},
        ),
        _template(
            READ_ONLY,
            _("Read only"),
            _("Reads everything, changes nothing: for an auditor."),
            {area: Level.READ for area in AREAS},
            ["time_sheets.all"],
        ),
    ]
}
