"""Inserting many rows fast: PostgreSQL's COPY (psycopg2 `copy_expert`), other databases a plain
`executemany`. Rows carry their primary keys, so that related rows can point at them without a
round trip; the table's id sequence is moved past them afterwards.

Used only by seed_scale on an empty database: no model `save()`, no signals, no validation beyond
the database's own constraints (which still check every row)."""

import datetime
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.core.management.color import no_style
from django.db import connection

COPY_CHUNK = 100_000  # rows per COPY statement: bounds the buffer's memory
INSERT_CHUNK = 5_000


def _copy_text(value) -> str:
    """One value in COPY's text format."""
    if value is None:
        return r"\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, str):
        return (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    return str(value)


def rows_insert(model, fields: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert `rows` (tuples in the order of `fields`, model field names) into the model's
    table; returns how many. The caller gives the primary key among the fields when other rows
    refer to it, and calls `sequences_reset` once all rows are in."""
    meta = model._meta
    columns = [meta.get_field(name).column for name in fields]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    column_list = ", ".join(quote(c) for c in columns)
    count = 0
    if connection.vendor == "postgresql":
        statement = f"COPY {table} ({column_list}) FROM STDIN"
        buffer, pending = io.StringIO(), 0
        with connection.cursor() as cursor:
            for row in rows:
                buffer.write("\t".join(map(_copy_text, row)))
                buffer.write("\n")
                pending += 1
                if pending == COPY_CHUNK:
                    buffer.seek(0)
                    cursor.copy_expert(statement, buffer)
                    count += pending
                    buffer, pending = io.StringIO(), 0
            if pending:
                buffer.seek(0)
                cursor.copy_expert(statement, buffer)
                count += pending
        return count
    # Other databases: each value through its field's own conversion (dates, decimals, booleans
    # as the backend stores them), then one executemany per chunk.
    model_fields = [meta.get_field(name) for name in fields]
    placeholders = ", ".join(["%s"] * len(columns))
    # Table and column names come from the model, never from input.
    statement = f"INSERT INTO {table} ({column_list}) VALUES ({placeholders})"  # noqa: S608
    chunk: list[list] = []
    with connection.cursor() as cursor:
        for row in rows:
            chunk.append(
                [
                    field.get_db_prep_save(value, connection)
                    for field, value in zip(model_fields, row, strict=True)
                ]
            )
            if len(chunk) == INSERT_CHUNK:
                cursor.executemany(statement, chunk)
                count += len(chunk)
                chunk = []
        if chunk:
            cursor.executemany(statement, chunk)
            count += len(chunk)
    return count


def sequences_reset(*models) -> None:
    """Move the id sequences past the ids given explicitly (PostgreSQL; SQLite follows by
    itself)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def next_id(model) -> int:
    """The first free primary key of a table (1 when empty)."""
    with connection.cursor() as cursor:
        quote = connection.ops.quote_name
        cursor.execute(
            f"SELECT MAX({quote(model._meta.pk.column)}) FROM {quote(model._meta.db_table)}"  # noqa: S608
        )
        (last,) = cursor.fetchone()
    return (last or 0) + 1


def analyze() -> None:
    """VACUUM ANALYZE after a bulk load, as autovacuum would soon do on a real system: planner
    statistics (PostgreSQL would otherwise plan the first queries on tables it believes empty),
    the visibility map (index-only scans) and hint bits (else the first reads of a million fresh
    rows write them, and the first benchmark run pays for it). VACUUM cannot run inside a
    transaction (a test's, say): there, ANALYZE alone."""
    in_transaction = connection.in_atomic_block or not connection.get_autocommit()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE" if in_transaction else "VACUUM ANALYZE")
