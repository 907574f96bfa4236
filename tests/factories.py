"""factory_boy factories shared by the whole suite. Each area adds its own in a section below."""

from __future__ import annotations

import factory
from allauth.account.models import EmailAddress

from accounts.models import Membership, User
from licensing.models import Company

DEFAULT_PASSWORD = "correct-horse-battery-staple"


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Bedrijf {n} B.V.")


class UserFactory(factory.django.DjangoModelFactory):
    """An active ID with a verified e-mail address and DEFAULT_PASSWORD."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.nl")
    name = factory.Faker("name", locale="nl_NL")
    password = factory.django.Password(DEFAULT_PASSWORD)

    @factory.post_generation
    def verified_email(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        if create and extracted is not False:
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    company = factory.SubFactory(CompanyFactory)
    is_super_user = False
