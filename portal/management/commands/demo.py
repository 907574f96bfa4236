"""Creates the demo data that `make run` shows, when absent. Safe to run any number of times."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, User
from licensing.models import AddOnProduct, Agreement, AgreementAddOn, Company, Plan, Service
from syncengine.companydb.generator import create_company_database
from syncengine.host import HostCredentials, HostSetupError, default_credential_file, read_reports
from syncengine.services import HostRefused, authenticate_host, issue_pairing_code, pair_host

DEMO_EMAIL = "demo@online-desktop.example"
DEMO_NAME = "Demi de Vries"
DEMO_COMPANY = "De Vries Installatietechniek B.V."
DEMO_AGREEMENT = "OVK-2025-0001"


def _credentials_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-credentials.json"


class Command(BaseCommand):
    help = "Creates the demo ID (and, when present, the demo company) unless they exist."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo data is for the embedded default only (DJANGO_DEBUG=1).")
        with transaction.atomic():
            password = self._demo_user()
            company = self._demo_company()
        self._demo_sync_host(company)
        self.stdout.write(
            self.style.SUCCESS(
                f"\nOnline Desktop runs at {settings.SITE_URL}/\n"
                f"Demo sign-in: {DEMO_EMAIL}  password: {password}\n"
            )
        )

    def _demo_user(self) -> str:
        """The demo ID's password: made once, kept in var/ (never in the repository)."""
        credentials = _credentials_file()
        user = User.objects.filter(email=DEMO_EMAIL).first()
        if user is not None and credentials.exists():
            return str(json.loads(credentials.read_text(encoding="utf-8"))["password"])
        password = "-".join(secrets.token_hex(3) for _ in range(3))
        if user is None:
            user = User.objects.create_user(DEMO_EMAIL, password, name=DEMO_NAME)
        else:
            user.set_password(password)
            user.save(update_fields=["password"])
        EmailAddress.objects.update_or_create(
            user=user, email=DEMO_EMAIL, defaults={"verified": True, "primary": True}
        )
        credentials.write_text(
            json.dumps({"email": DEMO_EMAIL, "password": password}), encoding="utf-8"
        )
        credentials.chmod(0o600)
        return password

    def _demo_company(self) -> Company:
        """The demo company with its agreement (held by the demo ID) and its super user."""
        company, _ = Company.objects.get_or_create(
            name=DEMO_COMPANY, defaults={"time_zone": "Europe/Amsterdam", "language": "nl"}
        )
        plan, created = Plan.objects.get_or_create(
            name="Online Desktop Complete", defaults={"seats": 10}
        )
        if created:
            plan.services.set(Service.objects.all())
        online_desktop, _ = AddOnProduct.objects.get_or_create(
            code=AddOnProduct.ONLINE_DESKTOP, defaults={"name": "Online Desktop"}
        )
        webshop, _ = AddOnProduct.objects.get_or_create(
            code="webshop-connector", defaults={"name": "Webshop connector"}
        )
        agreement, _ = Agreement.objects.get_or_create(
            number=DEMO_AGREEMENT,
            defaults={
                "company": company,
                "customer_number": "K-10442",
                "plan": plan,
                "valid_from": timezone.localdate().replace(month=1, day=1),
                "holder_email": DEMO_EMAIL,
            },
        )
        for product in (online_desktop, webshop):
            AgreementAddOn.objects.get_or_create(agreement=agreement, product=product)
        user = User.objects.get(email=DEMO_EMAIL)
        Membership.objects.update_or_create(
            user=user, company=company, defaults={"is_super_user": True}
        )
        return company

    def _demo_sync_host(self, company: Company) -> None:
        """A production and a sample company database made by the kit, and a sync host paired
        with the demo company that reaches both (its credential file is what `make run`'s
        synchost process starts from)."""
        folder = Path(settings.VAR_DIR) / "companydb"
        folder.mkdir(parents=True, exist_ok=True)
        production = folder / "production.sqlite3"
        sample = folder / "sample.sqlite3"
        if not production.exists():
            create_company_database(
                f"sqlite:///{production}",
                contacts=2_000,
                company_name=DEMO_COMPANY,
                desktop_in_use=False,  # so that the first synchronisation may start now
                super_user_email=DEMO_EMAIL,
                super_user_name=("Demi", "de Vries"),
            )
        if not sample.exists():
            # The desktop program's sample company: listed, but never activated.
            create_company_database(
                f"sqlite:///{sample}",
                contacts=200,
                seed=2,
                kind="sample",
                company_name="Voorbeeldbedrijf Zonnig B.V.",
                super_user_email=DEMO_EMAIL,
                super_user_name=("Demi", "de Vries"),
            )
        credential_file = default_credential_file()
        if credential_file.exists():
            try:
                credentials = HostCredentials.load(credential_file)
                authenticate_host(credential=credentials.credential)
                return
            except (HostSetupError, HostRefused):
                pass  # paired with a database that was since reset: pair again
        dsns = [f"sqlite:///{production}", f"sqlite:///{sample}"]
        result = read_reports(dsns)
        if result.failures:
            raise CommandError("\n".join(f.for_person_here() for f in result.failures))
        code = issue_pairing_code(company=company, by=None)
        host, credential = pair_host(code=code, name="Demo sync host", reports=result.reports)
        HostCredentials(
            host_id=host.pk,
            queue=host.queue,
            credential=credential,
            databases=dsns,
            names=result.names,
        ).save(credential_file)
