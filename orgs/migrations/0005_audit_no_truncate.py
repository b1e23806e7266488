"""Nobody empties the audit trail with TRUNCATE (issue 16, docs/SECURITY.md): the row trigger of
0003 never sees a TRUNCATE, so a statement trigger refuses it, whoever runs it — the table's owner
included. The application's role has no TRUNCATE privilege at all (manage.py db_app_role,
docs/DEPLOYMENT.md "Database roles"). As the ledger's (appraisal 0008).

PostgreSQL only: SQLite has no TRUNCATE, and Django's test runner empties SQLite tables with
DELETE. On PostgreSQL the test runner empties tables with TRUNCATE: tests/conftest.py runs that one
statement with triggers off (session_replication_role = replica, which only a superuser may set).
"""

from django.db import migrations

TABLE = "orgs_auditevent"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # orgs_audit_append_only() (0003) raises "append-only table <table>: <operation> refused".
    schema_editor.execute(
        f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION orgs_audit_append_only();"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE};")


class Migration(migrations.Migration):
    dependencies = [("orgs", "0004_notifications")]

    operations = [migrations.RunPython(forwards, backwards)]
