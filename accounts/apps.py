from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Online IDs")

    def ready(self) -> None:
        from accounts import claims, signals  # noqa: F401  (connect their signal receivers)
