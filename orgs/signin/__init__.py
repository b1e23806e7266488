"""Enterprise sign-in (docs/SIGN_IN.md): LDAP / Active Directory and OpenID Connect, off unless
configured by environment.

* ``ldap``: the authentication backend that checks a password against the directory (ldap3);
* ``oidc``: mozilla-django-oidc's backend and views, with the ID token's issuer, audience and
  expiry checked too;
* ``rules``: the directory's groups (or the provider's roles claim) → a role and its scope, pure;
* ``services.external_user_sync``: the one path by which either creates or updates the local
  account of a person it has vouched for, audited in the same transaction.
"""
