import zoneinfo

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

TIME_ZONE_CHOICES = sorted((tz, tz) for tz in zoneinfo.available_timezones())


class Company(models.Model):
    """The customer organisation: the tenant boundary for every row of business data."""

    name = models.CharField(_("name"), max_length=200)
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="Europe/Amsterdam"
    )
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="nl"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
