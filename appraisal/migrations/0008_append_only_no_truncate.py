"""Nobody empties the ledger, HR's decisions on it or the appeals with TRUNCATE (issue 16,
docs/SECURITY.md): row triggers (0002) never see a TRUNCATE, so a statement trigger refuses it,
whoever runs it — the tables' owner included. The application's role has no TRUNCATE privilege at
all (manage.py db_app_role, docs/DEPLOYMENT.md "Database roles").

Appeals are answered once (docs/SCORING.md, "Appeals"): an appeal's row is updated once, from
pending to answered, and never removed. So DELETE is refused, and UPDATE once it is answered.

PostgreSQL only: SQLite has no TRUNCATE, and Django's test runner empties SQLite tables with
DELETE. On PostgreSQL the test runner empties tables with TRUNCATE: tests/conftest.py runs that one
statement with triggers off (session_replication_role = replica, which only a superuser may set).
"""

from django.db import migrations

NO_TRUNCATE = ("appraisal_ledgerentry", "appraisal_entrydecision", "appraisal_appeal")
APPEAL = "appraisal_appeal"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # appraisal_append_only() (0002) raises "append-only table <table>: <operation> refused".
    for table in NO_TRUNCATE:
        schema_editor.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION appraisal_append_only();"
        )
    schema_editor.execute(
        f"CREATE TRIGGER {APPEAL}_no_delete BEFORE DELETE ON {APPEAL} "
        f"FOR EACH ROW EXECUTE FUNCTION appraisal_append_only();"
    )
    schema_editor.execute(
        f"CREATE TRIGGER {APPEAL}_answered_once BEFORE UPDATE ON {APPEAL} "
        f"FOR EACH ROW WHEN (OLD.status <> 'pending') EXECUTE FUNCTION appraisal_append_only();"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in NO_TRUNCATE:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};")
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {APPEAL}_no_delete ON {APPEAL};")
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {APPEAL}_answered_once ON {APPEAL};")


class Migration(migrations.Migration):
    dependencies = [("appraisal", "0007_inputs_version")]

    operations = [migrations.RunPython(forwards, backwards)]
