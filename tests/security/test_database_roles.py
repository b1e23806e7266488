"""A ledger nobody can truncate (issue 16, item 3; docs/SECURITY.md, docs/DEPLOYMENT.md "Database
roles"): the application connects as a role that owns nothing, set up by `manage.py db_app_role`
(ops/dbroles.py) after the migrations ran as the owner. That role cannot TRUNCATE, UPDATE or
DELETE the append-only tables (the ledger, HR's decisions, the audit trail), cannot DELETE appeals,
cannot TRUNCATE anything, and cannot turn a trigger off or create a table; the application still
does all its work as it (the demo seeded through the services). And the owner's TRUNCATE is
refused by the statement triggers (appraisal 0008, orgs 0005), as are an appeal's DELETE and the
UPDATE of an answered one.

PostgreSQL only (SQLite has neither roles nor TRUNCATE): the CI's PostgreSQL run covers these, and
.ci/run also migrates a fresh database as a role that is not a superuser and seeds it as the
application's role. The tests connect as the role they create, with its password.
"""

import io
import os
import secrets
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from appraisal import services as appraisal
from appraisal.models import Appeal, LedgerEntry
from ops.dbroles import (
    READ_ONLY_TABLES,
    RoleError,
    app_role_grant,
    append_only_tables,
    never_deleted_tables,
)
from orgs.models import AuditEvent, Institution

from ..appraisal.conftest import year  # noqa: F401 — fixture: the open 2026 year

ROOT = Path(__file__).resolve().parents[2]
postgres_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason="database roles, privileges and TRUNCATE triggers are PostgreSQL's; SQLite has none "
    "(the CI's PostgreSQL run covers them)",
)
APPEND_ONLY = ["appraisal_ledgerentry", "appraisal_entrydecision", "orgs_auditevent"]
NEVER_DELETED = ["appraisal_appeal"]
TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


def _role_drop(role: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone():
            cursor.execute(f'DROP OWNED BY "{role}"')  # its grants and default privileges here
            cursor.execute(f'DROP ROLE "{role}"')


@pytest.fixture(scope="module")
def app_role(django_db_setup, django_db_blocker):
    """The application's role on the test database, granted by ops.dbroles as `db_app_role`
    does after `migrate`, committed; dropped at the end of the module."""
    role = f"jixiao_app_test_{os.getpid()}"
    password = secrets.token_urlsafe(16)
    with django_db_blocker.unblock():
        _role_drop(role)
        app_role_grant(role=role, password=password)
        yield type("AppRole", (), {"name": role, "password": password})
        _role_drop(role)


@pytest.fixture
def as_app(app_role):
    """A cursor of a connection to the test database as the application's role (autocommit:
    each statement on its own)."""
    s = connection.settings_dict
    conn = psycopg2.connect(
        host=s.get("HOST") or "127.0.0.1",
        port=s.get("PORT") or 5432,
        dbname=s["NAME"],
        user=app_role.name,
        password=app_role.password,
    )
    conn.autocommit = True
    with conn.cursor() as cursor:
        yield cursor
    conn.close()


def _refused(cursor, sql: str) -> str:
    with pytest.raises(psycopg2.Error) as raised:
        cursor.execute(sql)
    return str(raised.value)


# --- The application's role ----------------------------------------------------------------------


@postgres_only
@pytest.mark.django_db
def test_the_app_role_cannot_truncate_update_delete_or_disable_a_trigger(as_app):
    for table in APPEND_ONLY:
        for sql in (
            f"TRUNCATE {table}",
            f"TRUNCATE {table} CASCADE",
            f"UPDATE {table} SET id = id",  # noqa: S608 — our table names
            f"DELETE FROM {table}",  # noqa: S608
        ):
            assert f"permission denied for table {table}" in _refused(as_app, sql), sql
        for sql in (
            f"ALTER TABLE {table} DISABLE TRIGGER ALL",
            f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only",
            f"DROP TRIGGER {table}_append_only ON {table}",
            f"DROP TABLE {table} CASCADE",
        ):
            assert "must be owner of" in _refused(as_app, sql), sql
    for table in NEVER_DELETED:
        for sql in (f"TRUNCATE {table}", f"DELETE FROM {table}"):  # noqa: S608
            assert f"permission denied for table {table}" in _refused(as_app, sql), sql
        as_app.execute(f"UPDATE {table} SET answer = answer WHERE false")  # noqa: S608 — answering
    # TRUNCATE of any table, which would cascade to the ledger, is refused as well.
    assert "permission denied" in _refused(as_app, "TRUNCATE orgs_institution CASCADE")
    # No way around the triggers: replica mode is for superusers; no table of its own.
    assert "permission denied" in _refused(as_app, "SET session_replication_role = replica")
    assert "permission denied for schema" in _refused(as_app, "CREATE TABLE mine (i int)")
    assert "permission denied" in _refused(
        as_app, "INSERT INTO django_migrations (app, name, applied) VALUES ('x', 'y', now())"
    )
    # What the application does stays allowed.
    as_app.execute("SELECT count(*) FROM appraisal_ledgerentry")
    as_app.execute("DELETE FROM django_session WHERE false")
    as_app.execute("SELECT count(*) FROM django_migrations")


@postgres_only
@pytest.mark.django_db
def test_the_app_role_owns_nothing_and_has_exactly_its_privileges(app_role):
    role = app_role.name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication, "
            "pg_has_role(%s, current_user, 'MEMBER') FROM pg_roles WHERE rolname = %s",
            [role, role],
        )
        assert cursor.fetchone() == (False,) * 6
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
            "WHERE r.rolname = %s",
            [role],
        )
        assert cursor.fetchone()[0] == 0
        checks = ", ".join(
            f"has_table_privilege(%s, quote_ident(tablename), '{privilege}')"
            for privilege in TABLE_PRIVILEGES
        )
        cursor.execute(
            f"SELECT tablename, {checks} FROM pg_tables "  # noqa: S608 — privilege names above
            "WHERE schemaname = current_schema() ORDER BY 1",
            [role] * len(TABLE_PRIVILEGES),
        )
        privileges = {row[0]: row[1:] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT bool_and(has_sequence_privilege(%s, c.oid, 'USAGE')) FROM pg_class c "
            "WHERE c.relkind = 'S' AND c.relnamespace = current_schema()::regnamespace",
            [role],
        )
        assert cursor.fetchone()[0] is True
    assert len(privileges) > 40
    for table, granted in privileges.items():
        if table in APPEND_ONLY:
            expected = (True, True, False, False, False, False, False)
        elif table in NEVER_DELETED:
            expected = (True, True, True, False, False, False, False)
        elif table in READ_ONLY_TABLES:
            expected = (True, False, False, False, False, False, False)
        else:
            expected = (True, True, True, True, False, False, False)
        assert granted == expected, table
    # The lists the command revokes on are these tables (models renamed would show here).
    assert append_only_tables() == APPEND_ONLY and never_deleted_tables() == NEVER_DELETED


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_application_works_as_its_role(app_role, tmp_path):
    """The whole demo, seeded through the services (ledger, appeals' answers, recomputes, letters,
    payroll, acceptance, bulletins, audit) by another process connected as the application's
    role: it has every privilege the application uses. Then `migrate --check` as that role: the
    migration record is readable and nothing is left to apply."""
    s = connection.settings_dict
    auth = quote(app_role.name, safe="") + ":" + quote(app_role.password, safe="")
    host = f"{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}"
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{auth}@{host}/{s['NAME']}",
        "CELERY_TASK_ALWAYS_EAGER": "true",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "DJANGO_ENV": "development",
    }
    for args in (["seed_demo"], ["migrate", "--check"]):
        completed = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr[-3000:]
    assert Institution.objects.count() > 30
    assert LedgerEntry.objects.exists() and AuditEvent.objects.exists()


# --- The owner: the triggers -------------------------------------------------------------------


@postgres_only
@pytest.mark.django_db
def test_truncate_as_the_owner_is_refused_by_the_triggers():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (True,)  # the test database's owner, and more
        for sql in [
            "TRUNCATE orgs_auditevent",
            *(f"TRUNCATE {table} CASCADE" for table in APPEND_ONLY + NEVER_DELETED),
            # Another table's TRUNCATE that cascades to the ledger is refused on the ledger.
            "TRUNCATE orgs_institution CASCADE",
            "TRUNCATE appraisal_scheme CASCADE",
        ]:
            refused = pytest.raises(DatabaseError, match=r"append-only table \w+: TRUNCATE refused")
            with refused, transaction.atomic():
                cursor.execute(sql)


@postgres_only
@pytest.mark.django_db
def test_an_appeal_is_never_deleted_and_answered_once(world, year):  # noqa: F811
    entry = appraisal.ledger_entry_create(
        actor=world.users["scorer"], scheme=year.scheme, institution=world.a, kind="indicator",
        indicator=year.indicators["C1"], period="h1", points=Decimal("-5"), reason="隐患",
    )  # fmt: skip
    pending = Appeal.objects.create(
        scheme=year.scheme, institution=world.a, entry=entry, reasons="已整改",
        submitted_by=world.users["head_a"],
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("UPDATE appraisal_appeal SET reasons = 'x' WHERE id = %s", [pending.pk])
        cursor.execute(
            "UPDATE appraisal_appeal SET status = 'rejected', answer = '维持', "
            "answered_at = now(), answered_by_id = %s WHERE id = %s",
            [world.users["hr"].pk, pending.pk],
        )
        for sql in (
            "UPDATE appraisal_appeal SET answer = '改判' WHERE id = %s",
            "DELETE FROM appraisal_appeal WHERE id = %s",
        ):
            refused = pytest.raises(DatabaseError, match="append-only table appraisal_appeal")
            with refused, transaction.atomic():
                cursor.execute(sql, [pending.pk])
    pending.refresh_from_db()
    assert pending.status == "rejected" and pending.answer == "维持"


# --- The command ---------------------------------------------------------------------------------


def _privileges(role: str) -> list:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = %s ORDER BY 1, 2",
            [role],
        )
        return cursor.fetchall()


@postgres_only
@pytest.mark.django_db
def test_db_app_role_creates_the_role_with_a_hashed_password_and_is_idempotent(settings):
    """Inside the test's transaction: the role and its grants are rolled back with it."""
    role = f"jixiao_cmd_{secrets.token_hex(4)}"
    settings.DATABASE_APP_PASSWORD = "correct horse battery staple"
    first, second = io.StringIO(), io.StringIO()
    call_command("db_app_role", "--role", role, stdout=first)
    granted = _privileges(role)
    call_command("db_app_role", "--role", role, stdout=second)
    assert f"Role {role} (created, password set)" in first.getvalue()
    assert f"Role {role} (exists, password set)" in second.getvalue()
    assert "no TRUNCATE anywhere" in second.getvalue()
    assert granted and _privileges(role) == granted
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", [role])
        verifier = cursor.fetchone()[0]
    assert verifier.startswith("SCRAM-SHA-256$") and "battery" not in verifier
    # Without a password the command leaves the password alone.
    settings.DATABASE_APP_PASSWORD = ""
    call_command("db_app_role", "--role", role, stdout=io.StringIO())
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", [role])
        assert cursor.fetchone()[0] == verifier


@postgres_only
@pytest.mark.django_db
def test_db_app_role_refuses_a_role_with_more_rights_than_the_application_needs():
    """Inside the test's transaction: the roles made here are rolled back with it."""
    strong, member = (f"jixiao_{kind}_{secrets.token_hex(4)}" for kind in ("strong", "member"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
        cursor.execute(f"CREATE ROLE {strong} LOGIN CREATEDB")
        cursor.execute(f"CREATE ROLE {member} LOGIN")
        cursor.execute(f'GRANT "{owner}" TO {member}')
    with pytest.raises(CommandError, match="is the role this command runs as"):
        call_command("db_app_role", "--role", owner)
    with pytest.raises(CommandError, match="may create roles or databases"):
        call_command("db_app_role", "--role", strong)
    with pytest.raises(CommandError, match="is a member of"):
        call_command("db_app_role", "--role", member)
    with pytest.raises(CommandError, match="not a plain role name"):
        call_command("db_app_role", "--role", 'x"; DROP TABLE orgs_auditevent; --')


def test_db_app_role_is_for_postgresql_only(db):
    if connection.vendor == "postgresql":
        pytest.skip("the SQLite refusal; the PostgreSQL behaviour is tested above")
    with pytest.raises(CommandError, match="PostgreSQL only"):
        call_command("db_app_role")
    with pytest.raises(RoleError):
        app_role_grant(role="jixiao_app")
