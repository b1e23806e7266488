"""Backup and restore (docs/DEPLOYMENT.md, "Backup and restore").

One archive (``.tar.gz``, mode 0600) holds everything needed to bring the system back:

    database.pgdump      PostgreSQL: ``pg_dump --format=custom --no-owner --no-privileges``
    database.sqlite3     SQLite: a consistent copy made with sqlite3's online backup API
    media/...            every file under MEDIA_ROOT (evidence, appeal evidence, attachments, …)
    manifest.json        format version, creation time, app version, database vendor, the latest
                         applied migration of each app, row counts, and the SHA-256 and size of
                         every other member

`backup_create` writes the archive under a temporary name and renames it when complete, so a
half-written archive never carries the final name. `backup_restore` reads and checks the whole
archive (member names, types, checksums, vendor) before it touches anything, refuses a database
that is not empty unless forced, restores the database and the files, then compares the restored
row counts and migrations with the manifest.

PostgreSQL connection parameters come from ``DATABASES['default']`` and reach ``pg_dump`` and
``pg_restore`` through their environment variables (the password as ``PGPASSWORD``), never on the
command line.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction

FORMAT = "jixiao-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA_PREFIX = "media/"
DB_MEMBERS = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
VENDOR_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
# The tables named in the manifest and the restore summary; every model table is counted too.
KEY_TABLES = {
    "institutions": "orgs.Institution",
    "employees": "orgs.Employee",
    "ledger_entries": "appraisal.LedgerEntry",
    "results": "appraisal.Result",
    "payroll_lines": "payroll.PayrollLine",
    "audit_events": "orgs.AuditEvent",
}
_CHUNK = 1024 * 1024
# DATABASES OPTIONS that libpq reads from the environment as well.
_PG_OPTION_ENV = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "passfile": "PGPASSFILE",
    "service": "PGSERVICE",
    "connect_timeout": "PGCONNECT_TIMEOUT",
}


class BackupError(Exception):
    """Anything that stops a backup or a restore; the message says why and what to do."""


Log = Callable[[str], None]


def _quiet(message: str) -> None:
    pass


# --- Shared helpers ------------------------------------------------------------------------------


def _app_version() -> str:
    try:
        return metadata.version("jixiao")
    except metadata.PackageNotFoundError:  # pragma: no cover — running from a bare checkout
        return "unknown"


def _model_tables() -> list[str]:
    tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    return sorted(tables)


def _key_table_names() -> dict[str, str]:
    return {key: apps.get_model(label)._meta.db_table for key, label in KEY_TABLES.items()}


def _table_rows(cursor, existing: set[str]) -> dict[str, int]:
    """Rows of every model table that exists, through any DB-API cursor."""
    rows = {}
    for table in _model_tables():
        if table in existing:
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 — model table names
            rows[table] = cursor.fetchone()[0]
    return rows


def _migrations(cursor, existing: set[str]) -> dict[str, str]:
    """The latest applied migration of each app (in the order they were applied)."""
    if "django_migrations" not in existing:
        return {}
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
    latest: dict[str, str] = {}
    for app, name in cursor.fetchall():
        latest[app] = name
    return dict(sorted(latest.items()))


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _pg_env(settings_dict: dict) -> dict[str, str]:
    """libpq's environment for the configured database: nothing secret goes on a command line."""
    env = os.environ.copy()
    for key, var in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if settings_dict.get(key):
            env[var] = str(settings_dict[key])
    for option, var in _PG_OPTION_ENV.items():
        value = (settings_dict.get("OPTIONS") or {}).get(option)
        if value:
            env[var] = str(value)
    return env


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not on PATH: install the PostgreSQL client tools of the server's major "
            f"version (Debian: postgresql-client-15)."
        )
    return path


def _run(argv: list[str], *, env: dict[str, str], what: str) -> None:
    completed = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        detail = (completed.stderr or completed.stdout).strip()
        raise BackupError(f"{what} failed (exit {completed.returncode}): {detail}")


def _media_root() -> Path:
    return Path(settings.MEDIA_ROOT).resolve()


def _media_files(root: Path, log: Log) -> list[tuple[str, Path]]:
    """(member name, path) of every regular file under MEDIA_ROOT, in a stable order."""
    if not root.is_dir():
        log(f"MEDIA_ROOT {root} does not exist: the archive holds no files.")
        return []
    found = []
    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames.sort()
        for filename in sorted(filenames):
            path = Path(directory) / filename
            if not stat.S_ISREG(path.lstat().st_mode):
                log(f"Skipped {path}: not a regular file.")
                continue
            relative = path.relative_to(root).as_posix()
            found.append((MEDIA_PREFIX + relative, path))
    return found


class _HashingReader:
    """Hands a file to tarfile while hashing exactly the bytes that go into the archive."""

    def __init__(self, file):
        self.file = file
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size=-1):
        data = self.file.read(size)
        self.digest.update(data)
        self.size += len(data)
        return data


def _tarinfo(name: str, size: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = size
    info.mtime = int(mtime)
    info.mode = 0o600
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


# --- Creating a backup ---------------------------------------------------------------------------


def _dump_postgresql(connection, target: Path) -> tuple[dict[str, int], dict[str, str], dict]:
    """pg_dump inside a snapshot shared with our own transaction: the dump, the row counts and
    the migration state are one consistent moment even while the application writes."""
    pg_dump = _pg_tool("pg_dump")
    env = _pg_env(connection.settings_dict)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        _run(
            [
                pg_dump,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot}",
                f"--file={target}",
            ],
            env=env,
            what="pg_dump",
        )
        existing = set(connection.introspection.table_names(cursor))
        rows = _table_rows(cursor, existing)
        migrations = _migrations(cursor, existing)
    info = {"server_version": connection.pg_version, "name": connection.settings_dict["NAME"]}
    return rows, migrations, info


def _dump_sqlite(connection, target: Path) -> tuple[dict[str, int], dict[str, str], dict]:
    """sqlite3's online backup API (never a file copy of a live database), then the counts are
    read from the copy itself."""
    name = connection.settings_dict["NAME"]
    if not Path(name).exists():
        raise BackupError(f"The SQLite database {name} does not exist.")
    source = sqlite3.connect(name)
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        cursor = copy.cursor()
        existing = {
            row[0] for row in cursor.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        rows = _table_rows(cursor, existing)
        migrations = _migrations(cursor, existing)
    finally:
        copy.close()
        source.close()
    return rows, migrations, {"name": str(name)}


def backup_create(output: str | Path, *, using: str = DEFAULT_DB_ALIAS, log: Log = _quiet) -> dict:
    """Write the archive to `output` (created 0600, renamed into place when complete) and return
    its manifest."""
    connection = connections[using]
    vendor = connection.vendor
    if vendor not in DB_MEMBERS:
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {vendor}.")
    output = Path(output).absolute()
    if not output.parent.is_dir():
        raise BackupError(f"The folder {output.parent} does not exist.")
    media_root = _media_root()
    if output.resolve().is_relative_to(media_root):
        raise BackupError(
            f"Keep archives outside MEDIA_ROOT ({media_root}): they hold the whole database."
        )

    members: dict[str, dict] = {}
    db_member = DB_MEMBERS[vendor]
    with tempfile.TemporaryDirectory(prefix="jixiao-backup-") as staging:
        dump = Path(staging) / db_member
        log(f"Dumping the {vendor} database …")
        dumper = _dump_postgresql if vendor == "postgresql" else _dump_sqlite
        table_rows, migrations, db_info = dumper(connection, dump)
        # mkstemp creates the file 0600; it gets the final name only once complete.
        fd, partial = tempfile.mkstemp(
            prefix=f".{output.name}.", suffix=".partial", dir=output.parent
        )
        try:
            with os.fdopen(fd, "wb") as raw:
                with tarfile.open(fileobj=raw, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
                    sources = [(db_member, dump), *_media_files(media_root, log)]
                    for name, path in sources:
                        with open(path, "rb") as file:
                            st = os.fstat(file.fileno())
                            reader = _HashingReader(file)
                            tar.addfile(_tarinfo(name, st.st_size, st.st_mtime), reader)
                        members[name] = {"sha256": reader.digest.hexdigest(), "size": reader.size}
                    keys = _key_table_names()
                    manifest = {
                        "format": FORMAT,
                        "format_version": FORMAT_VERSION,
                        "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
                        "app_version": _app_version(),
                        "database": {"vendor": vendor, "member": db_member, **db_info},
                        "migrations": migrations,
                        "row_counts": {key: table_rows.get(t, 0) for key, t in keys.items()},
                        "table_rows": table_rows,
                        "media_files": len(members) - 1,
                        "members": members,
                    }
                    data = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
                    now = datetime.datetime.now(datetime.UTC).timestamp()
                    tar.addfile(_tarinfo(MANIFEST, len(data), now), io.BytesIO(data))
                raw.flush()
                os.fsync(raw.fileno())
            os.chmod(partial, 0o600)
            os.replace(partial, output)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
    return manifest


# --- Reading and checking an archive -------------------------------------------------------------


def _check_name(name: str, db_members: set[str]) -> None:
    path = PurePosixPath(name)
    if (
        not name
        or name.startswith(("/", "\\"))
        or "\\" in name
        or ":" in path.parts[0]
        or any(part in ("..", ".", "") for part in name.split("/"))
    ):
        raise BackupError(f"Refused: the archive member {name!r} is not a safe relative path.")
    if name != MANIFEST and name not in db_members and not name.startswith(MEDIA_PREFIX):
        raise BackupError(f"Refused: unexpected archive member {name!r}.")


@dataclass
class Archive:
    """A read and fully checked archive, its members staged in a private temporary folder."""

    manifest: dict
    staged: dict[str, Path]
    folder: tempfile.TemporaryDirectory

    @property
    def vendor(self) -> str:
        return self.manifest["database"]["vendor"]

    @property
    def database(self) -> Path:
        return self.staged[self.manifest["database"]["member"]]

    def media(self) -> list[tuple[str, Path]]:
        return sorted(
            (name.removeprefix(MEDIA_PREFIX), path)
            for name, path in self.staged.items()
            if name.startswith(MEDIA_PREFIX)
        )

    def close(self) -> None:
        self.folder.cleanup()


def archive_read(path: str | Path) -> Archive:
    """Read every member into a private folder (under names of our own, never the member's),
    refusing unsafe names, links and devices, and check each against the manifest's SHA-256.
    Nothing outside that folder is written."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"No archive at {path}.")
    folder = tempfile.TemporaryDirectory(prefix="jixiao-restore-")
    staged: dict[str, Path] = {}
    digests: dict[str, tuple[str, int]] = {}
    try:
        try:
            with tarfile.open(path, mode="r:gz") as tar:
                for index, member in enumerate(tar):
                    _check_name(member.name, set(DB_MEMBERS.values()))
                    if not member.isreg():
                        raise BackupError(
                            f"Refused: the archive member {member.name!r} is not a regular file."
                        )
                    if member.name in staged:
                        raise BackupError(f"Refused: {member.name!r} appears twice.")
                    target = Path(folder.name) / f"{index:08d}"
                    digest = hashlib.sha256()
                    source = tar.extractfile(member)
                    with open(target, "xb") as out:
                        while chunk := source.read(_CHUNK):
                            digest.update(chunk)
                            out.write(chunk)
                    staged[member.name] = target
                    digests[member.name] = (digest.hexdigest(), member.size)
                # Read to the end of the gzip stream, so its CRC covers every byte.
                while tar.fileobj.read(_CHUNK):
                    pass
        except (tarfile.TarError, EOFError, OSError, zlib.error) as error:
            raise BackupError(
                f"Refused: {path} is damaged or not a backup archive ({error})."
            ) from error
        if MANIFEST not in staged:
            raise BackupError(f"Refused: {path} has no {MANIFEST}.")
        try:
            manifest = json.loads(staged[MANIFEST].read_text())
        except ValueError as error:
            raise BackupError(f"Refused: {MANIFEST} is damaged ({error}).") from error
        if manifest.get("format") != FORMAT or manifest.get("format_version") != FORMAT_VERSION:
            raise BackupError(
                f"Refused: not a {FORMAT} archive of format version {FORMAT_VERSION}."
            )
        listed = manifest["members"]
        present = set(staged) - {MANIFEST}
        problems = [f"missing {name}" for name in sorted(set(listed) - present)]
        problems += [f"not in the manifest: {name}" for name in sorted(present - set(listed))]
        for name in sorted(present & set(listed)):
            digest, size = digests[name]
            if digest != listed[name]["sha256"] or size != listed[name]["size"]:
                problems.append(f"checksum mismatch: {name}")
        if problems:
            raise BackupError("Refused: the archive fails its checksums: " + "; ".join(problems))
        if manifest["database"]["member"] not in staged:
            raise BackupError("Refused: the archive holds no database.")
    except BaseException:
        folder.cleanup()
        raise
    return Archive(manifest=manifest, staged=staged, folder=folder)


# --- Restoring -----------------------------------------------------------------------------------


@dataclass
class TargetState:
    tables: list[str]
    rows: dict[str, int]

    @property
    def empty(self) -> bool:
        return not any(t != "django_migrations" or self.rows.get(t) for t in self.tables)


def target_state(using: str = DEFAULT_DB_ALIAS) -> TargetState:
    connection = connections[using]
    with connection.cursor() as cursor:
        tables = sorted(connection.introspection.table_names(cursor))
        rows = _table_rows(cursor, set(tables))
        if "django_migrations" in tables:
            cursor.execute("SELECT COUNT(*) FROM django_migrations")
            rows["django_migrations"] = cursor.fetchone()[0]
    return TargetState(tables=tables, rows=rows)


@dataclass
class RestoreReport:
    manifest: dict
    database: str
    overwritten: bool
    media_written: int
    row_counts: dict[str, tuple[int, int]]  # key: (manifest, restored)
    mismatches: list[str] = field(default_factory=list)
    pending_migrations: list[str] = field(default_factory=list)
    unknown_migrations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def _restore_postgresql(connection, archive: Archive, *, state: TargetState, force: bool) -> None:
    pg_restore = _pg_tool("pg_restore")
    settings_dict = connection.settings_dict
    if state.tables == ["django_migrations"]:  # empty: made by a `migrate --check` or the like
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE django_migrations")
    connection.close()
    argv = [
        pg_restore,
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        f"--dbname={settings_dict['NAME']}",
    ]
    if force:
        argv += ["--clean", "--if-exists"]
    _run([*argv, str(archive.database)], env=_pg_env(settings_dict), what="pg_restore")


def _restore_sqlite(connection, archive: Archive) -> None:
    name = connection.settings_dict["NAME"]
    connection.close()
    source = sqlite3.connect(archive.database)
    target = sqlite3.connect(name)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()


def _media_conflicts(archive: Archive, root: Path) -> list[str]:
    conflicts = []
    for relative, staged in archive.media():
        existing = root / relative
        if existing.exists() and (
            not existing.is_file() or _sha256_file(existing) != _sha256_file(staged)
        ):
            conflicts.append(relative)
    return conflicts


def _media_restore(archive: Archive, root: Path) -> int:
    written = 0
    for relative, staged in archive.media():
        target = (root / relative).resolve()
        if not target.is_relative_to(root):  # names were checked; links in MEDIA_ROOT are not
            raise BackupError(f"Refused: {relative} would be written outside MEDIA_ROOT.")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.restoring")
        shutil.copyfile(staged, partial)
        if settings.FILE_UPLOAD_PERMISSIONS is not None:  # as if uploaded again
            os.chmod(partial, settings.FILE_UPLOAD_PERMISSIONS)
        os.replace(partial, target)
        written += 1
    return written


def _verify(connection, archive: Archive, report: RestoreReport) -> None:
    from django.db.migrations.executor import MigrationExecutor

    manifest = archive.manifest
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        rows = _table_rows(cursor, existing)
        migrations = _migrations(cursor, existing)
    for key, table in _key_table_names().items():
        report.row_counts[key] = (manifest["row_counts"].get(key, 0), rows.get(table, 0))
    for table, expected in sorted(manifest["table_rows"].items()):
        if rows.get(table) != expected:
            report.mismatches.append(f"{table}: {rows.get(table)} rows, manifest {expected}")
    if migrations != manifest["migrations"]:
        report.mismatches.append(
            f"applied migrations {migrations} differ from the manifest {manifest['migrations']}"
        )
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    report.pending_migrations = [f"{m.app_label}.{m.name}" for m, _ in plan]
    report.unknown_migrations = sorted(
        f"{app}.{name}"
        for app, name in set(executor.loader.applied_migrations)
        - set(executor.loader.disk_migrations)
    )


def describe_target(state: TargetState, name: str) -> str:
    keys = _key_table_names()
    counts = ", ".join(f"{key} {state.rows.get(table, 0)}" for key, table in keys.items())
    return f"database {name}: {len(state.tables)} tables ({counts})"


def backup_restore(
    archive: Archive,
    *,
    force: bool = False,
    confirm: Callable[[str], bool] = lambda message: True,
    using: str = DEFAULT_DB_ALIAS,
    log: Log = _quiet,
) -> RestoreReport:
    """Restore a checked archive into the configured database and MEDIA_ROOT."""
    connection = connections[using]
    vendor = connection.vendor
    if archive.vendor != vendor:
        made, here = VENDOR_NAMES.get(archive.vendor, archive.vendor), VENDOR_NAMES[vendor]
        raise BackupError(
            f"Refused: this is a {made} backup and the configured database is {here}. "
            f"Restore it into a {made} database (set DATABASE_URL)."
        )
    name = str(connection.settings_dict["NAME"])
    state = target_state(using)
    root = _media_root()
    conflicts = _media_conflicts(archive, root)
    overwriting = []
    if not state.empty:
        overwriting.append(describe_target(state, name))
    if conflicts:
        overwriting.append(f"{len(conflicts)} different files under {root}")
    if overwriting and not force:
        raise BackupError(
            "Refused: the target is not empty: "
            + "; ".join(overwriting)
            + ". Restore into a new, empty database (and an empty MEDIA_ROOT), or pass --force "
            "to overwrite it."
        )
    message = (
        f"Restore the backup of {archive.manifest['created_at']} into {vendor} database {name} "
        f"and MEDIA_ROOT {root}"
    )
    if overwriting:
        message += ", OVERWRITING " + "; ".join(overwriting)
        log("--force: this restore overwrites " + "; ".join(overwriting) + ".")
    if not confirm(message + "?"):
        raise BackupError("Restore cancelled; nothing was changed.")

    log(f"Restoring the {vendor} database {name} …")
    if vendor == "postgresql":
        _restore_postgresql(connection, archive, state=state, force=not state.empty)
    else:
        _restore_sqlite(connection, archive)
    connection.close()
    log(f"Restoring {len(archive.media())} files into {root} …")
    written = _media_restore(archive, root)
    report = RestoreReport(
        manifest=archive.manifest,
        database=name,
        overwritten=bool(overwriting),
        media_written=written,
        row_counts={},
    )
    _verify(connection, archive, report)
    return report
