"""Who calls the REST API: a personal API token or the browser's session, and how often.

Kept apart from portal/api.py because the settings name these classes: DRF imports them while
it starts, before the views could be imported.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from accounts.models import ApiToken, Membership, User
from portal.company import current_membership

if TYPE_CHECKING:
    from rest_framework.views import APIView


class ApiTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <secret>` of a personal API token. The token acts as its
    membership, whose rights are read afresh at every request."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None  # not ours: the session may still know the caller
        if len(parts) != 2:
            raise AuthenticationFailed(_("Send the API token as: Authorization: Bearer <token>."))
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(_("This API token is unknown or revoked.")) from None
        token = ApiToken.find_active(secret)
        if token is None:
            raise AuthenticationFailed(_("This API token is unknown or revoked."))
        token.note_use()
        return token.membership.user, token

    def authenticate_header(self, request: Request) -> str:
        return f'{self.keyword} realm="api"'


def api_membership(request: Request) -> Membership:
    """The membership a call acts as: the token's, or the session's current company (404
    without one, as on the pages)."""
    if isinstance(request.auth, ApiToken):
        return request.auth.membership
    return current_membership(request)


class ApiRateThrottle(SimpleRateThrottle):
    """Calls per API token, or per signed-in ID in the browser (rate "api").

    Counted in fixed windows of the rate's period: a call is allowed while the count of the
    current window, plus the previous window's count for the part of it that still lies within
    one period from now, stays under the rate. Each call reads two counts and increments one,
    whatever the rate. DRF's own throttle keeps every call's time instead, and reads and
    writes the whole list at each call (slower the higher the rate), and two calls at once can
    each write their list over the other's and go uncounted; an increment cannot be lost.
    """

    scope = "api"
    # Set from the rate by SimpleRateThrottle.__init__ (which DRF's stubs leave out).
    num_requests: int
    duration: int

    def allow_request(self, request: Request, view: APIView) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        window, into = divmod(self.timer(), self.duration)
        current, previous = f"{self.key}:{int(window)}", f"{self.key}:{int(window) - 1}"
        counts = self.cache.get_many([current, previous])
        self.counted = counts.get(current, 0)
        self.before = counts.get(previous, 0)
        self.into = into
        if self.counted + self._share_of_previous() >= self.num_requests:
            return False
        try:
            self.cache.incr(current)
        except ValueError:  # the window's first call: the count's key does not exist yet
            if not self.cache.add(current, 1, timeout=2 * self.duration):
                self.cache.incr(current)  # another call made it in between
        return True

    def _share_of_previous(self) -> int:
        """The previous window's calls that count now, rounded up: right at a window's start
        all of them still count, so a burst at the turn of a window gets no call too many."""
        return math.ceil(self.before * (1 - self.into / self.duration))

    def wait(self) -> float:
        """Seconds until a call would be allowed again (the Retry-After of a 429)."""
        if self.counted >= self.num_requests:
            return self.duration - self.into  # the next window
        # Until the previous window's share has dropped below what is left of the rate.
        left = self.num_requests - self.counted
        until = self.duration * (self.before - left + 1) / self.before
        return max(until - self.into, 1.0)

    def get_rate(self) -> str | None:
        # Read at each request rather than once at import (DRF's default), so a changed
        # setting applies without a restart of the class.
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        return None if rate is None else str(rate)

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"id-{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ApiAnonymousRateThrottle(ApiRateThrottle):
    """Calls without a token or session (the schema, the docs, failed sign-ins) per address."""

    scope = "api_anonymous"

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
