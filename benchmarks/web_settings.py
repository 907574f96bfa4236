"""The site's own settings, plus a bare view to measure the ceiling against."""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.web_urls"
