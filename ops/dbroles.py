"""The two PostgreSQL roles of a production database (docs/DEPLOYMENT.md, "Database roles";
docs/SECURITY.md, issue 16).

- **The owner** owns every table: `manage.py migrate` runs as it, and so does `db_app_role`.
- **The application's role** (`DATABASE_APP_ROLE`, e.g. ``jixiao_app``) is what the web, the
  workers and beat connect as. It owns nothing, so it can neither alter nor drop a table, nor turn
  off a trigger (``ALTER TABLE … DISABLE TRIGGER`` is for owners). It may read and write the tables
  it uses, except what the records forbid: no UPDATE or DELETE on the append-only tables (the
  ledger, HR's decisions on it, the audit trail), no DELETE on appeals (answered once: one UPDATE),
  no TRUNCATE anywhere, and only reading of Django's migration record.

`app_role_grant` sets exactly these privileges, whatever the role had before: it is run after every
`migrate` (a new table gets the plain grants at once through the owner's default privileges, and
its particular revocations when this runs again). The database's own triggers stay the second wall
(appraisal 0002/0008, orgs 0003/0005): they refuse the owner too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connections, transaction

# Rows never changed or removed by the application (corrections are new rows).
APPEND_ONLY_MODELS = ("appraisal.LedgerEntry", "appraisal.EntryDecision", "orgs.AuditEvent")
# Rows never removed; an appeal is updated once, when it is answered.
NEVER_DELETED_MODELS = ("appraisal.Appeal",)
# Written by `migrate`, as the owner; the application only reads it (backups, checks).
READ_ONLY_TABLES = ("django_migrations",)
APP_TABLE_PRIVILEGES = "SELECT, INSERT, UPDATE, DELETE"
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class RoleError(Exception):
    """Why the application's role cannot be set up; the message says what to do."""


@dataclass
class RoleReport:
    role: str
    owner: str
    database: str
    created: bool = False
    password_set: bool = False
    tables: int = 0
    no_update_delete: list[str] = field(default_factory=list)
    no_delete: list[str] = field(default_factory=list)
    read_only: list[str] = field(default_factory=list)


def _tables(labels) -> list[str]:
    return [apps.get_model(label)._meta.db_table for label in labels]


def append_only_tables() -> list[str]:
    return _tables(APPEND_ONLY_MODELS)


def never_deleted_tables() -> list[str]:
    return _tables(NEVER_DELETED_MODELS)


def app_role_grant(*, role: str, password: str | None = None, using: str = "default") -> RoleReport:
    """Create the application's role if it does not exist (the owner needs CREATEROLE for that;
    otherwise a database administrator creates it first), set its password if one is given, and
    grant it exactly the privileges above, on every table and sequence of the schema, now and for
    the tables the owner creates later. Idempotent; one transaction. Run as the tables' owner."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        raise RoleError("Database roles exist on PostgreSQL only; SQLite has none to set up.")
    if not _ROLE_NAME.match(role):
        raise RoleError(
            f"{role!r} is not a plain role name (lower-case letters, digits and _ only)."
        )
    quote = connection.ops.quote_name
    name = quote(role)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT current_user, current_database(), current_schema()")
        owner, database, schema = cursor.fetchone()
        report = RoleReport(role=role, owner=owner, database=database)
        if role == owner:
            raise RoleError(
                f"{role} is the role this command runs as, the tables' owner: the application "
                "connects as another role, which owns nothing."
            )
        report.created = _role_ensure(cursor, role, name, owner, password)
        report.password_set = bool(password)
        _role_owns_nothing(cursor, role, database)

        db, sch = quote(database), quote(schema)
        cursor.execute(f"GRANT CONNECT ON DATABASE {db} TO {name}")
        cursor.execute(f"REVOKE CREATE ON DATABASE {db} FROM {name}")
        cursor.execute(f"GRANT USAGE ON SCHEMA {sch} TO {name}")
        cursor.execute(f"REVOKE CREATE ON SCHEMA {sch} FROM {name}")
        cursor.execute("SELECT has_schema_privilege(%s, %s, 'CREATE')", [role, schema])
        if cursor.fetchone()[0]:
            # Granted to PUBLIC (PostgreSQL before 15 did by default): the schema's owner takes it
            # back, or nothing stops the application from creating tables of its own.
            cursor.execute(f"REVOKE CREATE ON SCHEMA {sch} FROM PUBLIC")

        # Exactly these privileges, whatever the role had: all taken back, then given.
        cursor.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {sch} FROM {name}")
        cursor.execute(f"GRANT {APP_TABLE_PRIVILEGES} ON ALL TABLES IN SCHEMA {sch} TO {name}")
        cursor.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {sch} FROM {name}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {sch} TO {name}")
        existing = _existing_tables(cursor, schema)
        for table in append_only_tables():
            if table in existing:
                cursor.execute(f"REVOKE UPDATE, DELETE ON {quote(table)} FROM {name}")
                report.no_update_delete.append(table)
        for table in never_deleted_tables():
            if table in existing:
                cursor.execute(f"REVOKE DELETE ON {quote(table)} FROM {name}")
                report.no_delete.append(table)
        for table in READ_ONLY_TABLES:
            if table in existing:
                cursor.execute(f"REVOKE INSERT, UPDATE, DELETE ON {quote(table)} FROM {name}")
                report.read_only.append(table)
        report.tables = len(existing)

        # Tables and sequences the owner creates later (the next migrations) get the same plain
        # grants at once; running this again after `migrate` adds their revocations.
        default = f"ALTER DEFAULT PRIVILEGES FOR ROLE {quote(owner)} IN SCHEMA {sch}"
        cursor.execute(f"{default} GRANT {APP_TABLE_PRIVILEGES} ON TABLES TO {name}")
        cursor.execute(f"{default} GRANT USAGE, SELECT ON SEQUENCES TO {name}")
    return report


def _role_ensure(cursor, role: str, name: str, owner: str, password: str | None) -> bool:
    """Create the role, or check the one that exists; returns whether it was created."""
    cursor.execute(
        "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication "
        "FROM pg_roles WHERE rolname = %s",
        [role],
    )
    row = cursor.fetchone()
    secret = _password_literal(cursor, role, password)
    if row is None:
        cursor.execute("SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = %s", [owner])
        if not cursor.fetchone()[0]:
            raise RoleError(
                f"The role {role} does not exist, and {owner} may not create roles. "
                f"Have a database administrator run: CREATE ROLE {role} LOGIN PASSWORD '…'; "
                "then run this command again."
            )
        cursor.execute(
            f"CREATE ROLE {name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
            f"NOBYPASSRLS{secret}"
        )
        return True
    if any(row):
        raise RoleError(
            f"{role} is a superuser or may create roles or databases, replicate or bypass row "
            "security: the application's role must have none of these, or no grant limits it."
        )
    cursor.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", [role, owner])
    if cursor.fetchone()[0]:
        raise RoleError(
            f"{role} is a member of {owner}, the tables' owner, and so holds its rights: "
            f"REVOKE {owner} FROM {role}; then run this command again."
        )
    if secret:
        cursor.execute(f"ALTER ROLE {name} WITH LOGIN{secret}")
    return False


def _password_literal(cursor, role: str, password: str | None) -> str:
    """` PASSWORD '<SCRAM verifier>'`: libpq hashes it here, so the password itself never reaches
    the server's statement log."""
    if not password:
        return ""
    from psycopg2.extensions import encrypt_password

    verifier = encrypt_password(password, role, scope=cursor.connection, algorithm="scram-sha-256")
    return " PASSWORD " + "'" + verifier.replace("'", "''") + "'"


def _role_owns_nothing(cursor, role: str, database: str) -> None:
    cursor.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
        "WHERE r.rolname = %s ORDER BY 1 LIMIT 5",
        [role],
    )
    owned = [r[0] for r in cursor.fetchall()]
    if owned:
        raise RoleError(
            f"{role} owns {', '.join(owned)} in {database}: the application's role owns nothing "
            "(ALTER TABLE … OWNER TO the owner)."
        )


def _existing_tables(cursor, schema: str) -> set[str]:
    cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema])
    return {r[0] for r in cursor.fetchall()}
