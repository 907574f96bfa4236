"""The licence rules: which company database the Online Desktop licence may be linked to."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from licensing.models import Agreement, AgreementAddOn, CompanyDatabase, LicenceLink, Refusal
from licensing.services import LicenceRefused, link_database, move_licence
from tests.factories import (
    AddOnProductFactory,
    AgreementFactory,
    CompanyDatabaseFactory,
    UserFactory,
    online_desktop,
)

pytestmark = pytest.mark.django_db


def _refusal(agreement: Agreement, database: CompanyDatabase) -> Refusal:
    with pytest.raises(LicenceRefused) as refused:
        link_database(agreement=agreement, addon=online_desktop(), database=database, by=None)
    return refused.value.reason


def test_a_production_database_of_the_full_edition_is_linked() -> None:
    agreement = AgreementFactory.create()
    database = CompanyDatabaseFactory.create(company=agreement.company)
    user = UserFactory.create()

    link = link_database(agreement=agreement, addon=online_desktop(), database=database, by=user)

    assert (link.agreement, link.product, link.database, link.linked_by) == (
        agreement,
        online_desktop(),
        database,
        user,
    )


def test_second_database_is_refused_with_sales_message() -> None:
    agreement = AgreementFactory.create()
    first, second = CompanyDatabaseFactory.create_batch(2, company=agreement.company)
    link_database(agreement=agreement, addon=online_desktop(), database=first, by=None)

    with pytest.raises(LicenceRefused) as refused:
        link_database(agreement=agreement, addon=online_desktop(), database=second, by=None)

    assert refused.value.reason == Refusal.ALLOWANCE_USED
    assert "contact your sales consultant" in str(refused.value.message)
    assert LicenceLink.objects.count() == 1


def test_a_renewed_agreement_keeps_the_link_made_under_the_old_one() -> None:
    old = AgreementFactory.create(valid_from=timezone.localdate() - datetime.timedelta(days=400))
    first, second = CompanyDatabaseFactory.create_batch(2, company=old.company)
    link_database(agreement=old, addon=online_desktop(), database=first, by=None)
    Agreement.objects.filter(pk=old.pk).update(
        valid_to=timezone.localdate() - datetime.timedelta(days=1)
    )
    renewed = AgreementFactory.create(company=old.company)

    assert old.company.current_agreement() == renewed
    assert list(renewed.company_links()) == list(LicenceLink.objects.all())
    with pytest.raises(LicenceRefused) as refused:
        link_database(agreement=renewed, addon=online_desktop(), database=second, by=None)
    assert refused.value.reason == Refusal.ALLOWANCE_USED


def test_allowance_of_two_on_the_agreement_allows_a_second_database_but_not_a_third() -> None:
    agreement = AgreementFactory.create()
    AgreementAddOn.objects.filter(agreement=agreement).update(database_allowance=2)
    first, second, third = CompanyDatabaseFactory.create_batch(3, company=agreement.company)

    link_database(agreement=agreement, addon=online_desktop(), database=first, by=None)
    link_database(agreement=agreement, addon=online_desktop(), database=second, by=None)

    assert _refusal(agreement, third) == Refusal.ALLOWANCE_USED


def test_allowance_of_the_product_is_the_default_of_its_grants() -> None:
    product = AddOnProductFactory.create(database_allowance=3)
    agreement = AgreementFactory.create(add_ons=[product])

    assert agreement.database_allowance(product) == 3
    assert agreement.database_allowance(online_desktop()) == 0


def test_sample_database_is_refused() -> None:
    agreement = AgreementFactory.create()
    sample = CompanyDatabaseFactory.create(
        company=agreement.company, kind=CompanyDatabase.Kind.SAMPLE
    )

    assert _refusal(agreement, sample) == Refusal.SAMPLE


def test_evaluation_edition_is_refused() -> None:
    agreement = AgreementFactory.create()
    database = CompanyDatabaseFactory.create(
        company=agreement.company, edition=CompanyDatabase.Edition.EVALUATION
    )

    assert _refusal(agreement, database) == Refusal.EVALUATION_EDITION


def test_evaluation_agreement_is_refused() -> None:
    agreement = AgreementFactory.create(is_evaluation=True)
    database = CompanyDatabaseFactory.create(company=agreement.company)

    assert _refusal(agreement, database) == Refusal.EVALUATION_AGREEMENT


@pytest.mark.parametrize(
    ("valid_from_days", "valid_to_days", "status"),
    [
        (-400, -1, Agreement.Status.ACTIVE),  # expired yesterday
        (1, 365, Agreement.Status.ACTIVE),  # starts tomorrow
        (-30, 300, Agreement.Status.SUSPENDED),
    ],
)
def test_agreement_not_valid_today_is_refused(
    valid_from_days: int, valid_to_days: int, status: str
) -> None:
    today = timezone.localdate()
    agreement = AgreementFactory.create(
        valid_from=today + datetime.timedelta(days=valid_from_days),
        valid_to=today + datetime.timedelta(days=valid_to_days),
        status=status,
    )
    database = CompanyDatabaseFactory.create(company=agreement.company)

    assert _refusal(agreement, database) == Refusal.EXPIRED


def test_agreement_is_valid_through_its_last_day_and_without_an_end() -> None:
    today = timezone.localdate()

    assert AgreementFactory.create(valid_to=today).is_valid(on=today)
    assert not AgreementFactory.create(valid_to=today).is_valid(
        on=today + datetime.timedelta(days=1)
    )
    assert AgreementFactory.create(valid_to=None).is_valid(on=today + datetime.timedelta(days=3650))


def test_agreement_without_the_add_on_is_refused() -> None:
    agreement = AgreementFactory.create(
        add_ons=[AddOnProductFactory.create(name="Webshop connector")]
    )
    database = CompanyDatabaseFactory.create(company=agreement.company)

    assert not agreement.grants(online_desktop())
    assert _refusal(agreement, database) == Refusal.NOT_GRANTED


def test_add_on_that_is_not_online_desktop_is_not_linked_to_a_database() -> None:
    webshop = AddOnProductFactory.create(name="Webshop connector")
    agreement = AgreementFactory.create(add_ons=[online_desktop(), webshop])
    database = CompanyDatabaseFactory.create(company=agreement.company)

    with pytest.raises(LicenceRefused) as refused:
        link_database(agreement=agreement, addon=webshop, database=database, by=None)

    assert refused.value.reason == Refusal.NOT_LINKABLE


def test_database_of_another_company_is_refused() -> None:
    agreement = AgreementFactory.create()
    foreign = CompanyDatabaseFactory.create()

    assert _refusal(agreement, foreign) == Refusal.FOREIGN


def test_database_linked_to_another_agreement_is_refused() -> None:
    agreement = AgreementFactory.create()
    other_agreement = AgreementFactory.create(company=agreement.company)
    database = CompanyDatabaseFactory.create(company=agreement.company)
    link_database(agreement=other_agreement, addon=online_desktop(), database=database, by=None)

    assert _refusal(agreement, database) == Refusal.ALREADY_LINKED


def test_eligible_for_lists_every_database_with_the_reason_for_each_ineligible_one() -> None:
    agreement = AgreementFactory.create()
    company = agreement.company
    production = CompanyDatabaseFactory.create(company=company, name="A production")
    sample = CompanyDatabaseFactory.create(company=company, name="B sample", kind="sample")
    evaluation = CompanyDatabaseFactory.create(
        company=company, name="C evaluation", edition="evaluation"
    )
    linked = CompanyDatabaseFactory.create(company=company, name="D linked")
    LicenceLink.objects.create(agreement=agreement, product=online_desktop(), database=linked)

    reasons = {
        database: database.ineligible_reason_label
        for database in company.databases.eligible_for(online_desktop())
    }

    assert reasons == {
        production: None,
        sample: Refusal.SAMPLE.label,
        evaluation: Refusal.EVALUATION_EDITION.label,
        linked: Refusal.ALREADY_LINKED.label,
    }


def test_licence_moves_to_another_database_while_the_linked_one_is_not_connected() -> None:
    agreement = AgreementFactory.create()
    old, new = CompanyDatabaseFactory.create_batch(2, company=agreement.company)
    link = link_database(agreement=agreement, addon=online_desktop(), database=old, by=None)

    moved = move_licence(link=link, database=new, by=None)

    assert moved.pk == link.pk
    assert LicenceLink.objects.get().database == new


def test_licence_does_not_move_while_the_linked_database_is_connected() -> None:
    agreement = AgreementFactory.create()
    old, new = CompanyDatabaseFactory.create_batch(2, company=agreement.company)
    link = link_database(agreement=agreement, addon=online_desktop(), database=old, by=None)
    CompanyDatabase.objects.filter(pk=old.pk).update(connected=True)

    with pytest.raises(LicenceRefused) as refused:
        move_licence(link=link, database=new, by=None)

    assert refused.value.reason == Refusal.CONNECTED
    assert LicenceLink.objects.get().database == old


def test_licence_does_not_move_to_a_sample_database() -> None:
    agreement = AgreementFactory.create()
    old = CompanyDatabaseFactory.create(company=agreement.company)
    sample = CompanyDatabaseFactory.create(company=agreement.company, kind="sample")
    link = link_database(agreement=agreement, addon=online_desktop(), database=old, by=None)

    with pytest.raises(LicenceRefused) as refused:
        move_licence(link=link, database=sample, by=None)

    assert refused.value.reason == Refusal.SAMPLE
