"""The database itself refuses to change or remove audit events, whatever path a change comes by
(ORM, admin, raw SQL): the audit trail is append-only, like the ledger
(appraisal/migrations/0002_ledger_append_only.py, whose pattern this follows).

PostgreSQL (production) refuses both UPDATE and DELETE. SQLite (the embedded default) refuses
UPDATE; a DELETE there is refused by the model and its queryset only, because Django's test runner
empties SQLite tables with DELETE between transactional tests (on PostgreSQL it uses TRUNCATE,
which row triggers do not see)."""

from django.db import migrations

TABLE = "orgs_auditevent"

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION orgs_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'append-only table %: % refused', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION, params=None)  # "%" is for RAISE, not params
        schema_editor.execute(
            f"CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            f"FOR EACH ROW EXECUTE FUNCTION orgs_audit_append_only();"
        )
    elif vendor == "sqlite":
        schema_editor.execute(
            f"CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, 'append-only table {TABLE}: UPDATE refused'); END;"
        )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE};")
        schema_editor.execute("DROP FUNCTION IF EXISTS orgs_audit_append_only();")
    elif vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_no_update;")


class Migration(migrations.Migration):
    dependencies = [("orgs", "0002_auditevent_client_address")]

    operations = [migrations.RunPython(forwards, backwards)]
