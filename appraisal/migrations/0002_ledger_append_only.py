"""The database itself refuses to update or delete ledger entries and HR's decisions, whatever
path a change comes by (ORM, admin, raw SQL): the ledger is append-only (DESIGN.md §2).

PostgreSQL (production) refuses both UPDATE and DELETE. SQLite (the embedded default) refuses
UPDATE; a DELETE there is refused by the models only, because Django's test runner empties
SQLite tables with DELETE between transactional tests (on PostgreSQL it uses TRUNCATE, which
row triggers do not see)."""

from django.db import migrations

TABLES = ("appraisal_ledgerentry", "appraisal_entrydecision")

POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION appraisal_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'append-only table %: % refused', TG_TABLE_NAME, TG_OP;
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_FUNCTION, params=None)  # "%" is for RAISE, not params
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION appraisal_append_only();"
            )
    elif vendor == "sqlite":
        for table in TABLES:
            for op in ("UPDATE",):
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'append-only table {table}: {op} refused'); END;"
                )


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
        schema_editor.execute("DROP FUNCTION IF EXISTS appraisal_append_only();")
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update;")


class Migration(migrations.Migration):
    dependencies = [("appraisal", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
