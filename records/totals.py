"""The amounts of a quote or order, exactly as the desktop program computes them.

- A line's net is quantity x unit price x (1 - discount / 100), rounded to cents (half up) on
  the line, so that the nets printed on a line add up to the subtotal.
- VAT is computed per rate on the sum of the nets at that rate, and rounded once per rate (not
  per line: rounding per line drifts by cents on orders of many small lines).
- The total is the subtotal plus the VAT of every rate.

Decimal (or int) only: a float anywhere is refused, since it cannot hold a price like 0.10 exactly.
A line without a product has no rate of its own and is charged DEFAULT_VAT_RATE.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from records.models import OrderLine

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
DEFAULT_VAT_RATE = Decimal("21.00")

# Enough digits for numeric(12,3) x numeric(12,2) x numeric(5,2) without any rounding before
# the one rounding to cents (the default context keeps only 28).
_EXACT_DIGITS = 60


class Line(Protocol):
    """What the totals need of a line (an order line adapts with `amounts_of`)."""

    @property
    def quantity(self) -> Decimal: ...
    @property
    def unit_price(self) -> Decimal: ...
    @property
    def discount_pct(self) -> Decimal: ...
    @property
    def vat_rate(self) -> Decimal: ...


@dataclass(frozen=True)
class LineAmounts:
    quantity: Decimal
    unit_price: Decimal
    discount_pct: Decimal
    vat_rate: Decimal


@dataclass(frozen=True)
class VatAmount:
    """The VAT of one rate: `rate` percent of `base` (the sum of the nets at that rate)."""

    rate: Decimal
    base: Decimal
    vat: Decimal


@dataclass(frozen=True)
class Totals:
    nets: tuple[Decimal, ...]  # each line's net, in the lines' order
    subtotal: Decimal
    vat: tuple[VatAmount, ...]  # one per rate, lowest rate first
    vat_total: Decimal
    total: Decimal


def _decimal(value: object, name: str) -> Decimal:
    # An int is exact too (a model field's default of 0, say); a float never is.
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    return value


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_net(*, quantity: Decimal, unit_price: Decimal, discount_pct: Decimal) -> Decimal:
    """quantity x unit price x (1 - discount / 100), rounded half up to cents."""
    quantity = _decimal(quantity, "quantity")
    unit_price = _decimal(unit_price, "unit_price")
    discount_pct = _decimal(discount_pct, "discount_pct")
    with localcontext() as context:
        context.prec = _EXACT_DIGITS
        exact = quantity * unit_price * (HUNDRED - discount_pct) / HUNDRED
        return _cents(exact)


def vat_of(*, base: Decimal, rate: Decimal) -> Decimal:
    """`rate` percent of `base`, rounded half up to cents."""
    base = _decimal(base, "base")
    rate = _decimal(rate, "rate")
    with localcontext() as context:
        context.prec = _EXACT_DIGITS
        return _cents(base * rate / HUNDRED)


def totals(lines: Iterable[Line]) -> Totals:
    """The nets, subtotal, VAT per rate and total of `lines` (see the module's docstring)."""
    nets: list[Decimal] = []
    bases: dict[Decimal, Decimal] = {}
    for line in lines:
        net = line_net(
            quantity=line.quantity, unit_price=line.unit_price, discount_pct=line.discount_pct
        )
        # One key per rate however it is written (21, 21.0, 21.00).
        rate = _decimal(line.vat_rate, "vat_rate").quantize(CENT)
        nets.append(net)
        bases[rate] = bases.get(rate, Decimal("0.00")) + net
    vat = tuple(
        VatAmount(rate=rate, base=base, vat=vat_of(base=base, rate=rate))
        for rate, base in sorted(bases.items())
    )
    subtotal = sum(nets, Decimal("0.00"))
    vat_total = sum((amount.vat for amount in vat), Decimal("0.00"))
    return Totals(
        nets=tuple(nets),
        subtotal=subtotal,
        vat=vat,
        vat_total=vat_total,
        total=subtotal + vat_total,
    )


def vat_rate_of(line: OrderLine) -> Decimal:
    """The rate of an order line: its product's, else DEFAULT_VAT_RATE."""
    return line.product.vat_rate if line.product is not None else DEFAULT_VAT_RATE


def amounts_of(line: OrderLine) -> LineAmounts:
    """An order line's amounts for `totals` (read `line.product` with select_related)."""
    return LineAmounts(
        quantity=line.quantity,
        unit_price=line.unit_price,
        discount_pct=line.discount_pct,
        vat_rate=vat_rate_of(line),
    )
