"""LDAP / Active Directory sign-in (docs/SIGN_IN.md), with ldap3 (pure Python: no system headers).

The password is checked by binding to the directory as the person; it is never stored. How the
person's entry is found:

* with ``LDAP_BIND_DN`` (a service account; or anonymously when neither it nor a template is
  set): search ``LDAP_USER_SEARCH_BASE`` with ``LDAP_USER_FILTER``, then bind as the entry found;
* with ``LDAP_USER_DN_TEMPLATE``: bind as the DN (or AD's ``user@domain``) the template makes,
  then read the entry with that connection.

Groups come from a search under ``LDAP_GROUP_SEARCH_BASE`` with ``LDAP_GROUP_FILTER``, or, without
that base, from the entry's ``LDAP_GROUP_ATTR`` (``memberOf``). A directory that cannot be reached,
or a service account it refuses, is logged as an ERROR naming the cause; the person sees the same
refusal as for a wrong password, and local accounts still sign in.
"""

import contextlib
import logging
import ssl
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from ldap3 import ANONYMOUS, BASE, FIRST, NONE, SIMPLE, SUBTREE, Connection, Server, ServerPool, Tls
from ldap3.core.exceptions import LDAPException
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

from .models import Source
from .rules import Profile, dn_normalise
from .services import SignInRefused, external_user_sync

logger = logging.getLogger("orgs.signin")

INVALID_CREDENTIALS = 49  # LDAP result code: wrong password, unknown or disabled account


class DirectoryUnavailable(Exception):
    """The directory could not be asked: unreachable, TLS refused, the service account refused."""


@dataclass(frozen=True)
class Entry:
    dn: str
    attributes: dict

    def values(self, name: str) -> list[str]:
        if not name:
            return []
        for key, value in self.attributes.items():
            if key.lower() == name.lower():
                values = value if isinstance(value, list) else [value]
                return [str(v).strip() for v in values if str(v).strip()]
        return []

    def first(self, name: str) -> str:
        values = self.values(name)
        return values[0] if values else ""


def _server():
    tls = Tls(
        validate=ssl.CERT_REQUIRED if settings.LDAP_TLS_VERIFY else ssl.CERT_NONE,
        ca_certs_file=settings.LDAP_TLS_CA_FILE or None,
    )
    servers = [
        # ldap3 reads the port up to the end: no trailing "/".
        Server(
            uri.rstrip("/"),
            tls=tls,
            get_info=NONE,
            connect_timeout=settings.LDAP_CONNECT_TIMEOUT,
        )
        for uri in settings.LDAP_SERVER_URI
    ]
    if len(servers) == 1:
        return servers[0]
    # The first that answers; a server that does not is skipped for this sign-in.
    return ServerPool(servers, FIRST, active=1, exhaust=True)


def _bind(user: str | None, password: str | None) -> Connection | None:
    """A bound connection, or None when the directory refuses these credentials (result 49).
    DirectoryUnavailable when it cannot be reached or answers anything else."""
    try:
        connection = Connection(
            _server(),
            user=user or None,
            password=password or None,
            authentication=SIMPLE if user else ANONYMOUS,
            read_only=True,
            receive_timeout=settings.LDAP_TIMEOUT,
            auto_referrals=False,
            raise_exceptions=False,
        )
    except LDAPException as e:
        raise DirectoryUnavailable(f"{type(e).__name__}: {e}") from e
    try:
        connection.open()
        if settings.LDAP_START_TLS and not connection.server.ssl:
            connection.start_tls()
        if connection.bind():
            return connection
    except LDAPException as e:
        _close(connection)
        raise DirectoryUnavailable(f"{type(e).__name__}: {e}") from e
    result = connection.result or {}
    _close(connection)
    if result.get("result") == INVALID_CREDENTIALS:
        return None
    raise DirectoryUnavailable(
        f"bind as {user or 'anonymous'} answered {result.get('description')}: "
        f"{result.get('message') or ''}".strip()
    )


def _attribute_names() -> list[str]:
    names = [
        settings.LDAP_USERNAME_ATTR,
        settings.LDAP_NAME_ATTR,
        settings.LDAP_EMAIL_ATTR,
        settings.LDAP_DEPARTMENT_ATTR,
        settings.LDAP_INSTITUTION_ATTR,
    ]
    if not settings.LDAP_GROUP_SEARCH_BASE:
        names.append(settings.LDAP_GROUP_ATTR)
    return sorted({n for n in names if n})


def _entries(connection: Connection) -> list[Entry]:
    return [
        Entry(item["dn"], dict(item.get("attributes") or {}))
        for item in connection.response or []
        if item.get("type") == "searchResEntry"
    ]


def _search(connection: Connection, base: str, query: str, scope, attributes, limit=0):
    try:
        connection.search(base, query, scope, attributes=attributes, size_limit=limit)
    except LDAPException as e:
        raise DirectoryUnavailable(f"search of {base} failed: {type(e).__name__}: {e}") from e
    result = connection.result or {}
    # 4 = sizeLimitExceeded: more than one entry matched, reported below as ambiguous.
    if result.get("result") not in (0, 4, 32):  # 32 = noSuchObject: nothing there
        raise DirectoryUnavailable(
            f"search of {base} for {query} answered {result.get('description')}"
        )
    return _entries(connection)


def _user_entry(connection: Connection, username: str, dn: str | None = None) -> Entry | None:
    if dn is not None and not settings.LDAP_USER_SEARCH_BASE:
        found = _search(connection, dn, "(objectClass=*)", BASE, _attribute_names())
    else:
        query = settings.LDAP_USER_FILTER % {"user": escape_filter_chars(username)}
        found = _search(
            connection, settings.LDAP_USER_SEARCH_BASE, query, SUBTREE, _attribute_names(), 2
        )
    if len(found) > 1:
        logger.warning("LDAP: %d entries match %r; refused as ambiguous.", len(found), username)
        return None
    return found[0] if found else None


def _groups(connection: Connection, entry: Entry, username: str) -> frozenset[str]:
    if not settings.LDAP_GROUP_SEARCH_BASE:
        return frozenset(dn_normalise(dn) for dn in entry.values(settings.LDAP_GROUP_ATTR))
    query = settings.LDAP_GROUP_FILTER % {
        "dn": escape_filter_chars(entry.dn),
        "user": escape_filter_chars(username),
    }
    found = _search(connection, settings.LDAP_GROUP_SEARCH_BASE, query, SUBTREE, ["1.1"])
    return frozenset(dn_normalise(group.dn) for group in found)


def _close(*connections: Connection | None) -> None:
    for connection in connections:
        if connection is not None:
            with contextlib.suppress(LDAPException):
                connection.unbind()


def directory_check(username: str, password: str) -> tuple[Entry, frozenset[str]] | None:
    """The person's entry and groups when the directory accepts the password, else None.
    DirectoryUnavailable when it cannot tell."""
    service = person = None
    try:
        if settings.LDAP_USER_DN_TEMPLATE:
            dn = settings.LDAP_USER_DN_TEMPLATE % {"user": escape_rdn(username)}
            person = _bind(dn, password)
            if person is None:
                return None
            entry = _user_entry(person, username, dn)
            if entry is None:
                logger.warning("LDAP: %s bound but its entry could not be read.", username)
                return None
            return entry, _groups(person, entry, username)
        service = _bind(settings.LDAP_BIND_DN, settings.LDAP_BIND_PASSWORD)
        if service is None:
            raise DirectoryUnavailable(
                f"the service account {settings.LDAP_BIND_DN or '(anonymous)'} was refused "
                "(invalidCredentials): check LDAP_BIND_DN and LDAP_BIND_PASSWORD"
            )
        entry = _user_entry(service, username)
        if entry is None:
            return None
        person = _bind(entry.dn, password)
        if person is None:
            return None
        return entry, _groups(service, entry, username)
    finally:
        _close(service, person)


class LDAPBackend(ModelBackend):
    """Signs a person in with their directory password: the local account is created or updated
    from the entry (orgs.signin.services.external_user_sync). In AUTHENTICATION_BACKENDS after
    django-axes' LockoutBackend, which counts its failures like any other."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not settings.LDAP_SERVER_URI or not username or not password:
            # An empty password would be an anonymous bind, which directories accept.
            return None
        username = username.strip()
        if not username or len(username) > 256:
            return None
        try:
            found = directory_check(username, password)
        except DirectoryUnavailable as e:
            logger.error("LDAP sign-in of %r could not be checked: %s", username, e)
            return None
        if found is None:
            logger.info("LDAP: the directory refused %r.", username)
            return None
        entry, groups = found
        local_name = entry.first(settings.LDAP_USERNAME_ATTR) or username
        profile = Profile(
            username=local_name,
            name=entry.first(settings.LDAP_NAME_ATTR),
            email=entry.first(settings.LDAP_EMAIL_ATTR),
            groups=groups,
            department_codes=tuple(entry.values(settings.LDAP_DEPARTMENT_ATTR)),
            institution_codes=tuple(entry.values(settings.LDAP_INSTITUTION_ATTR)),
        )
        try:
            user = external_user_sync(
                source=Source.LDAP,
                subject=local_name.casefold(),
                profile=profile,
                rules=settings.LDAP_ROLE_GROUPS or None,
            )
        except SignInRefused as e:
            logger.warning("LDAP sign-in of %r refused: %s", username, e)
            return None
        return user if self.user_can_authenticate(user) else None


class LocalSuperuserBackend(ModelBackend):
    """With LDAP_ONLY: a local password signs in a superuser only (the administrator's way into
    Django's admin when the directory is down); everyone else signs in through the directory."""

    def user_can_authenticate(self, user):
        return super().user_can_authenticate(user) and user.is_superuser
