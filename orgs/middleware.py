"""The request's client address, for the audit trail.

`AuditContextMiddleware` keeps the address of the request being served in a context variable for
the request's duration; `orgs.services._audit_event` reads it, so every service records it without
being passed a request. Celery tasks and management commands run outside a request: no address.

The address is REMOTE_ADDR, unless settings.TRUSTED_PROXY_COUNT (environment variable of the same
name, 0 by default) says that many proxies of ours stand in front of the application: then it is
the X-Forwarded-For entry the outermost of them added, counted from the right. Entries to the left
of it were written by the client and could say anything, so they are never trusted. Behind one
nginx with `proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for`, the count is 1 and the
address is the one nginx saw (the left-most entry when the client sent none).
"""

import ipaddress
from contextvars import ContextVar

from django.conf import settings

_client_address: ContextVar[str | None] = ContextVar("audit_client_address", default=None)


def _valid(address: str | None) -> str | None:
    if not address:
        return None
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_address(request) -> str | None:
    """The client's address as far as this deployment can tell (see the module's docstring)."""
    remote = _valid(request.META.get("REMOTE_ADDR"))
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < proxies:  # not through all of our proxies: only REMOTE_ADDR is known
        return remote
    return _valid(forwarded[-proxies]) or remote


def current_client_address() -> str | None:
    """The address of the request being served, or None outside a request."""
    return _client_address.get()


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _client_address.set(client_address(request))
        try:
            return self.get_response(request)
        finally:
            _client_address.reset(token)
