"""The role mapping, without a database or a directory: parsing the setting, comparing group DNs,
choosing the role and its scope."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from orgs.models import Role
from orgs.signin.oidc import claim_values
from orgs.signin.rules import (
    ROLE_NAMES,
    Grant,
    Profile,
    RoleRule,
    dn_normalise,
    role_grant,
    role_rules_parse,
)

HR_DN = "cn=绩效办,ou=groups,dc=example,dc=com"


def test_the_role_names_are_the_models():
    assert set(ROLE_NAMES) == set(Role.values)


def test_a_mapping_is_parsed_in_order_with_codes():
    text = f" hr={HR_DN} ;\nscorer:AQ = CN=安全生产科, OU=Groups,DC=Example,DC=com;payroll:JG001=g"
    rules = role_rules_parse(text, "X", normalise=dn_normalise)
    assert rules == (
        RoleRule("hr", HR_DN),
        RoleRule("scorer", "cn=安全生产科,ou=groups,dc=example,dc=com", "AQ"),
        RoleRule("payroll", "g", "JG001"),
    )
    assert role_rules_parse("", "X") == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("boss=cn=x", "unknown role 'boss'"),
        ("hr", "is not role[:CODE]=GROUP"),
        ("hr=", "is not role[:CODE]=GROUP"),
        ("auditor:A01=cn=x", "has no scope"),
        ("head:A 01=cn=x", "is not a department or institution code"),
    ],
)
def test_a_bad_mapping_is_refused_naming_the_variable(text, message):
    with pytest.raises(ImproperlyConfigured, match="LDAP_ROLE_GROUPS") as error:
        role_rules_parse(text, "LDAP_ROLE_GROUPS")
    assert message in str(error.value)


def test_dns_compare_without_case_or_spaces_keeping_escapes():
    assert dn_normalise(" CN=绩效办 , OU = Groups,DC=Example") == "cn=绩效办,ou=groups,dc=example"
    assert dn_normalise(r"cn=Smith\, John,dc=x") == r"cn=smith\, john,dc=x"


RULES = role_rules_parse("auditor=a;hr=h;payroll:P1=p1;payroll:P2=p2;scorer=s;head=hd", "X")


def grant(groups, **profile):
    return role_grant(Profile(username="u", groups=frozenset(groups), **profile), RULES)


def test_no_group_no_role():
    assert grant({"other"}) == Grant()


def test_the_first_rule_written_decides_the_role():
    assert grant({"h", "a"}).role == "auditor"
    assert grant({"h"}) == Grant(role="hr", via="h")


def test_scope_from_the_rules_codes_else_from_the_attribute():
    assert grant({"p1", "p2"}, institution_codes=("X",)).institution_codes == ("P1", "P2")
    assert grant({"s"}, department_codes=("AQ", "CW")).department_code == "AQ"
    assert grant({"s"}).department_code == ""
    assert grant({"hd"}, institution_codes=("A01", "B01")).institution_codes == ("A01",)


def test_claims_by_name_or_dotted_path():
    claims = {"groups": ["a", " b ", ""], "realm_access": {"roles": ["hr"]}, "one": "x"}
    assert claim_values(claims, "groups") == ("a", "b")
    assert claim_values(claims, "realm_access.roles") == ("hr",)
    assert claim_values(claims, "one") == ("x",)
    assert claim_values(claims, "missing.path") == ()
    assert claim_values(claims, "") == ()
