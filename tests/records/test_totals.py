"""The amounts of a quote or order: nets per line, VAT per rate, total; exact, never float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, localcontext

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from records.totals import (
    DEFAULT_VAT_RATE,
    LineAmounts,
    amounts_of,
    line_net,
    totals,
    vat_of,
)

# The company database's column types: quantity numeric(12,3), price numeric(12,2),
# discount and rate numeric(5,2).
quantities = st.decimals(min_value=Decimal("-9999"), max_value=Decimal("999999999.999"), places=3)
prices = st.decimals(min_value=Decimal("0"), max_value=Decimal("9999999999.99"), places=2)
discounts = st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2)
rates = st.sampled_from([Decimal("0"), Decimal("9"), Decimal("9.00"), Decimal("21.00")])
lines = st.lists(
    st.builds(
        LineAmounts,
        quantity=quantities,
        unit_price=prices,
        discount_pct=discounts,
        vat_rate=rates,
    ),
    max_size=15,
)

# The properties, not the speed, are under test; a busy shared machine must not fail them.
relaxed = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def test_a_line_net_is_rounded_half_up_to_cents_on_the_line() -> None:
    # 3 x 0.35 x 0.95 = 0.9975 -> 1.00; 1 x 0.05 x 0.5 = 0.025 -> 0.03 (not bankers' 0.02)
    assert line_net(quantity=Decimal(3), unit_price=Decimal("0.35"), discount_pct=Decimal(5)) == (
        Decimal("1.00")
    )
    assert line_net(
        quantity=Decimal(1), unit_price=Decimal("0.05"), discount_pct=Decimal(50)
    ) == Decimal("0.03")
    assert line_net(
        quantity=Decimal("-1"), unit_price=Decimal("0.05"), discount_pct=Decimal(50)
    ) == Decimal("-0.03")


def test_vat_is_rounded_once_per_rate_on_the_sum_of_the_nets() -> None:
    # Three lines of 0.10 at 21%: per line 0.021 -> 0.02 each (0.06); on the sum 0.063 -> 0.06.
    # Ten lines of 0.05 at 9%: per line 0.0045 -> 0.00 each; on the sum 0.045 -> 0.05.
    order = [LineAmounts(Decimal(1), Decimal("0.05"), Decimal(0), Decimal(9))] * 10 + [
        LineAmounts(Decimal(1), Decimal("0.10"), Decimal(0), Decimal("21.00"))
    ] * 3

    result = totals(order)

    assert [(v.rate, v.base, v.vat) for v in result.vat] == [
        (Decimal("9.00"), Decimal("0.50"), Decimal("0.05")),
        (Decimal("21.00"), Decimal("0.30"), Decimal("0.06")),
    ]
    assert result.subtotal == Decimal("0.80")
    assert result.total == Decimal("0.91")


def test_an_order_without_lines_totals_zero() -> None:
    result = totals([])
    assert (result.subtotal, result.vat, result.total) == (Decimal("0.00"), (), Decimal("0.00"))


@relaxed
@given(lines)
def test_the_sum_of_the_line_nets_is_the_subtotal(order: list[LineAmounts]) -> None:
    result = totals(order)
    assert sum(result.nets, Decimal(0)) == result.subtotal
    assert all(net == net.quantize(Decimal("0.01")) for net in result.nets)


@relaxed
@given(lines)
def test_each_rate_has_its_vat_rounded_once_and_the_total_adds_up(
    order: list[LineAmounts],
) -> None:
    result = totals(order)

    assert len({v.rate for v in result.vat}) == len(result.vat)  # 9 and 9.00 are one rate
    for amount in result.vat:
        base = sum(
            (n for n, line in zip(result.nets, order, strict=True) if line.vat_rate == amount.rate),
            Decimal(0),
        )
        assert amount.base == base
        with localcontext() as context:
            context.prec = 80
            exact = base * amount.rate / 100
            assert amount.vat == exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert result.vat_total == sum((v.vat for v in result.vat), Decimal(0))
    assert result.total == result.subtotal + result.vat_total


@relaxed
@given(quantities, prices, discounts)
def test_a_line_net_is_within_half_a_cent_of_the_exact_amount(
    quantity: Decimal, price: Decimal, discount: Decimal
) -> None:
    net = line_net(quantity=quantity, unit_price=price, discount_pct=discount)
    with localcontext() as context:
        context.prec = 80  # the default 28 digits would round the exact amount itself
        exact = quantity * price * (100 - discount) / 100
        assert abs(net - exact) <= Decimal("0.005")


@pytest.mark.parametrize("field", ["quantity", "unit_price", "discount_pct", "vat_rate"])
def test_a_float_anywhere_is_refused(field: str) -> None:
    values = {
        "quantity": Decimal(1),
        "unit_price": Decimal("0.10"),
        "discount_pct": Decimal(0),
        "vat_rate": Decimal(21),
    }
    values[field] = 0.1  # type: ignore[assignment]
    with pytest.raises(TypeError, match=field):
        totals([LineAmounts(**values)])
    with pytest.raises(TypeError):
        vat_of(base=0.1, rate=Decimal(21))  # type: ignore[arg-type]


def test_an_order_line_without_a_product_is_charged_the_default_rate() -> None:
    from records.models import OrderLine, Product

    free = OrderLine(description="Advies", quantity=Decimal(2), unit_price=Decimal("50.00"))
    food = OrderLine(
        description="Brood",
        quantity=Decimal(1),
        unit_price=Decimal("3.00"),
        product=Product(name="Brood", vat_rate=Decimal("9.00")),
    )

    assert amounts_of(free).vat_rate == DEFAULT_VAT_RATE
    assert amounts_of(food).vat_rate == Decimal("9.00")
    assert totals([amounts_of(free), amounts_of(food)]).total == Decimal("124.27")
