"""Which role a directory or an OpenID Connect provider gives a person: pure functions, no ORM,
no request, no LDAP client (config/settings.py parses the mapping with them at start).

A mapping is written as ``role[:CODE]=GROUP`` entries separated by ``;`` (or new lines)::

    LDAP_ROLE_GROUPS=hr=cn=绩效办,ou=groups,dc=example,dc=com;scorer:AQ=cn=安全生产科,ou=groups,dc=example,dc=com

GROUP is a group's DN for LDAP (compared without regard to case or spaces around ``,`` and ``=``)
and a value of the roles claim for OIDC (compared exactly). CODE, for the roles with a scope, is
the scoring department's code (``scorer``) or an institution's code (``head``, ``payroll``); a
rule without one takes the scope from the person's attribute or claim (docs/SIGN_IN.md).

One role per account: the first rule, in the order written, whose group the person is in decides
the role; every matching rule of that role adds its code to the scope.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

# orgs.models.Role's values (tests/signin/test_rules.py keeps the two equal): the settings are
# parsed before the apps, and so the models, are loaded.
ROLE_NAMES = (
    "hr", "scorer", "head", "acceptance", "payroll", "auditor",
    "leader",  # 联系单位 are set in the app (User.contact_institutions)
    "contact",  # 考核联络员: an account of one institution (所属机构), named in the app
    "sysadmin", "secadmin", "auditadmin",  # 三员 (orgs.access.ADMIN_ROLES)
)  # fmt: skip
# The roles whose scope is a scoring department or institutions, bound in the app.
DEPARTMENT_ROLES = frozenset({"scorer"})
INSTITUTION_ROLES = frozenset({"head", "payroll", "contact"})
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")  # orgs.models.CODE_VALIDATOR
_UNESCAPED_COMMA = re.compile(r"(?<!\\),")


def dn_normalise(dn: str) -> str:
    """A DN in one spelling: attribute types and values lower-cased, spaces around ``,`` and
    ``=`` dropped (``CN=绩效办, OU=Groups,DC=Example`` → ``cn=绩效办,ou=groups,dc=example``).
    Directories compare group names without regard to case; escaped commas stay escaped."""
    parts = []
    for rdn in _UNESCAPED_COMMA.split(dn.strip()):
        kind, sep, value = rdn.partition("=")
        parts.append(f"{kind.strip().lower()}{sep}{value.strip().lower()}")
    return ",".join(parts)


def same(value: str) -> str:
    return value


@dataclass(frozen=True)
class RoleRule:
    role: str
    group: str  # in its compared spelling (dn_normalise for LDAP)
    code: str = ""  # scorer: a scoring department's code; head, payroll: an institution's


def role_rules_parse(
    text: str, name: str, *, normalise: Callable[[str], str] = same
) -> tuple[RoleRule, ...]:
    """The rules of a ``role[:CODE]=GROUP;…`` setting, or ImproperlyConfigured naming `name`."""
    rules = []
    for raw in re.split(r"[;\n]", text or ""):
        entry = raw.strip()
        if not entry:
            continue
        left, sep, group = entry.partition("=")
        role, _colon, code = left.strip().partition(":")
        role, code, group = role.strip().lower(), code.strip(), group.strip()
        if not sep or not group:
            raise ImproperlyConfigured(f"{name}: {entry!r} is not role[:CODE]=GROUP.")
        if role not in ROLE_NAMES:
            raise ImproperlyConfigured(
                f"{name}: unknown role {role!r} (one of {', '.join(ROLE_NAMES)})."
            )
        if code and role not in DEPARTMENT_ROLES | INSTITUTION_ROLES:
            raise ImproperlyConfigured(
                f"{name}: {role!r} has no scope, so {entry!r} may not name a code."
            )
        if code and not _CODE.match(code):
            raise ImproperlyConfigured(f"{name}: {code!r} is not a department or institution code.")
        rules.append(RoleRule(role=role, group=normalise(group), code=code))
    return tuple(rules)


@dataclass(frozen=True)
class Profile:
    """What the directory or the provider says about the person signing in."""

    username: str
    name: str = ""
    email: str = ""
    groups: frozenset[str] = frozenset()  # in the rules' compared spelling
    department_codes: tuple[str, ...] = ()  # from LDAP_DEPARTMENT_ATTR / OIDC_DEPARTMENT_CLAIM
    institution_codes: tuple[str, ...] = ()  # from LDAP_INSTITUTION_ATTR / OIDC_INSTITUTION_CLAIM


@dataclass(frozen=True)
class Grant:
    """The role the mapping gives, with the scope it names (codes, not yet looked up)."""

    role: str = ""  # "" = no role
    via: str = ""  # the group (or claim value) that gave it, for the audit trail
    department_code: str = ""
    institution_codes: tuple[str, ...] = ()


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


def role_grant(profile: Profile, rules: Iterable[RoleRule]) -> Grant:
    """The role of the first rule whose group the person is in, its scope from the codes of that
    role's matching rules, else from the person's attribute or claim. No match: no role."""
    matching = [rule for rule in rules if rule.group in profile.groups]
    if not matching:
        return Grant()
    role = matching[0].role
    codes = _unique(rule.code for rule in matching if rule.role == role)
    if role in DEPARTMENT_ROLES:
        department = codes[0] if codes else next(iter(_unique(profile.department_codes)), "")
        return Grant(role=role, via=matching[0].group, department_code=department)
    if role in INSTITUTION_ROLES:
        institutions = codes or _unique(profile.institution_codes)
        if role in ("head", "contact"):  # a head heads one institution; a contact is of one
            institutions = institutions[:1]
        return Grant(role=role, via=matching[0].group, institution_codes=institutions)
    return Grant(role=role, via=matching[0].group)
