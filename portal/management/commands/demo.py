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

from accounts.models import User

DEMO_EMAIL = "demo@online-desktop.example"
DEMO_NAME = "Demi de Vries"


def _credentials_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-credentials.json"


class Command(BaseCommand):
    help = "Creates the demo ID (and, when present, the demo company) unless they exist."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("Demo data is for the embedded default only (DJANGO_DEBUG=1).")
        with transaction.atomic():
            password = self._demo_user()
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
