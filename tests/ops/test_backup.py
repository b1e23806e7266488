"""Backup and restore (ops/backup.py, docs/DEPLOYMENT.md): a backup of real data, restored by a
separate process into an EMPTY database (PostgreSQL: a fresh `bench_backup_<random>` database;
SQLite: a new file) and a new MEDIA_ROOT, reads back the same row counts, results, ledger sums,
payroll and evidence bytes. A damaged archive, a non-empty target, an unsafe member name and the
other vendor's archive are refused before anything is written.

The suite runs on SQLite and again on PostgreSQL in CI, so both code paths are exercised."""

import datetime
import hashlib
import io
import json
import os
import secrets
import subprocess
import sys
import tarfile
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from appraisal import services as appraisal_services
from appraisal.models import LedgerEntry, Scheme
from appraisal.recompute import year_results_recompute
from ops import backup
from payroll import services as payroll_services

from ..appraisal.conftest import year  # noqa: F401 — fixture: the open 2026 year

ROOT = Path(__file__).resolve().parents[2]
EVIDENCE = b"%PDF-1.4\n" + bytes(range(256)) + "整改证明".encode()
ATTACHMENT = "说明材料：第一季度".encode()
TRANSACTIONAL = pytest.mark.django_db(transaction=True)


def snapshot() -> dict:
    """What must survive a restore; run in this process and, through `manage.py shell`, in the
    restored one."""
    from django.apps import apps
    from django.core.files.storage import default_storage
    from django.db.models import Sum

    from appraisal.models import LedgerEntry, Result
    from payroll.models import PayrollRun

    counts = {
        key: apps.get_model(label).objects.count() for key, label in backup.KEY_TABLES.items()
    }
    results = [
        [r.scheme.year, r.institution.code, str(r.total), r.rank, r.grade, str(r.prize_amount)]
        for r in Result.objects.select_related("scheme", "institution").order_by(
            "scheme__year", "institution__code"
        )
    ]
    ledger = {
        row["institution__code"]: str(row["points"])
        for row in LedgerEntry.objects.values("institution__code").annotate(points=Sum("points"))
    }
    payroll = [
        [
            run.institution.code,
            run.month.isoformat(),
            str(run.total_gross),
            run.status,
            *sorted(str(line.gross) for line in run.lines.all()),
        ]
        for run in PayrollRun.objects.select_related("institution").order_by("institution__code")
    ]
    evidence = {}
    for entry in LedgerEntry.objects.exclude(evidence="").order_by("pk"):
        with default_storage.open(entry.evidence.name) as file:
            evidence[entry.evidence.name] = hashlib.sha256(file.read()).hexdigest()
    return {
        "counts": counts,
        "results": results,
        "ledger": dict(sorted(ledger.items())),
        "payroll": payroll,
        "evidence": evidence,
    }


# --- Helpers: another process on another database -----------------------------------------------


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def shell(env: dict, code: str) -> str:
    completed = manage(env, "shell", "-c", code)
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def restored_snapshot(env: dict) -> dict:
    out = shell(
        env,
        "import json; from tests.ops.test_backup import snapshot; "
        "print('SNAPSHOT=' + json.dumps(snapshot()))",
    )
    line = next(line for line in out.splitlines() if line.startswith("SNAPSHOT="))
    return json.loads(line.removeprefix("SNAPSHOT="))


def table_count(env: dict) -> int:
    out = shell(
        env,
        "from django.db import connection; "
        "print('TABLES=%d' % len(connection.introspection.table_names()))",
    )
    return int(next(x for x in out.splitlines() if x.startswith("TABLES=")).split("=")[1])


@pytest.fixture
def empty_target(tmp_path):
    """The environment of a process configured on a new, empty database and MEDIA_ROOT."""
    env = {**os.environ, "DATA_DIR": str(tmp_path / "target"), "DJANGO_ENV": "development"}
    env["MEDIA_ROOT"] = str(tmp_path / "target" / "media")
    (tmp_path / "target").mkdir()
    created = None
    if connection.vendor == "postgresql":
        created = f"bench_backup_{secrets.token_hex(6)}"
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {created}")
        s = connection.settings_dict
        auth = quote(s["USER"] or "", safe="")
        if s.get("PASSWORD"):
            auth += ":" + quote(s["PASSWORD"], safe="")
        host = f"{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}"
        env["DATABASE_URL"] = f"postgres://{auth}@{host}/{created}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'target' / 'restored.sqlite3'}"
    yield env
    if created:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {created} WITH (FORCE)")


@pytest.fixture
def backed_up(world, year, settings, tmp_path):  # noqa: F811
    """Committed data (the test is transactional so pg_dump sees it): an open year's ledger with
    an evidence file, recomputed results, a pay policy and a payroll run; then a backup."""
    settings.MEDIA_ROOT = tmp_path / "media"
    hr = world.users["hr"]

    def record(institution, code, points, period="h1", **kwargs):
        return appraisal_services.ledger_entry_create(
            actor=hr, scheme=year.scheme, institution=institution, kind=LedgerEntry.Kind.INDICATOR,
            indicator=year.indicators[code], period=period, points=Decimal(points),
            reason="检查发现问题", **kwargs,
        )  # fmt: skip

    entry = record(world.a, "C1", "-10", evidence=SimpleUploadedFile("证明.pdf", EVIDENCE))
    record(world.a, "B1", "45.5")
    record(world.b, "B2", "-7.25")
    record(world.c, "E1", "-3", period="year")
    year_results_recompute(scheme_id=year.scheme.pk)
    Scheme.objects.filter(pk=year.scheme.pk).update(status=Scheme.Status.PUBLISHED)
    payroll_services.policy_save(
        actor=hr, year=2026, institution=world.a, per_capita=Decimal("36000"),
        basic_ratio=Decimal("0.6"), settlement_month=datetime.date(2027, 3, 1),
    )  # fmt: skip
    run = payroll_services.payroll_run_compute(
        actor=None, institution=world.a, month=datetime.date(2026, 1, 1)
    )
    assert run.lines.count() == 3
    attachment = settings.MEDIA_ROOT / "explanations" / "1" / "说明.txt"
    attachment.parent.mkdir(parents=True)
    attachment.write_bytes(ATTACHMENT)

    archive = tmp_path / "backups" / "jixiao.tar.gz"
    archive.parent.mkdir()
    out = io.StringIO()
    call_command("backup_create", "--output", str(archive), stdout=out, stderr=io.StringIO())
    assert "Backup written" in out.getvalue()
    return type("BackedUp", (), {"archive": archive, "entry": entry, "world": world})


def manifest_of(archive: Path) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        return json.load(tar.extractfile(backup.MANIFEST))


def craft(path: Path, members: list[tuple[tarfile.TarInfo, bytes]], *, vendor=None) -> Path:
    """An archive with a manifest whose checksums match the given members."""
    vendor = vendor or connection.vendor
    db_member = backup.DB_MEMBERS[vendor]
    members = [(tarinfo(db_member), b"not really a database"), *members]
    listed = {
        info.name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        for info, data in members
    }
    manifest = {
        "format": backup.FORMAT, "format_version": backup.FORMAT_VERSION,
        "created_at": "2026-11-21T00:00:00+00:00", "app_version": "0.1.0",
        "database": {"vendor": vendor, "member": db_member}, "migrations": {},
        "row_counts": {}, "table_rows": {}, "media_files": len(members) - 1, "members": listed,
    }  # fmt: skip
    data = json.dumps(manifest).encode()
    with tarfile.open(path, "w:gz") as tar:
        for info, content in [*members, (tarinfo(backup.MANIFEST), data)]:
            info.size = len(content) if info.isreg() else 0
            tar.addfile(info, io.BytesIO(content) if info.isreg() else None)
    return path


def tarinfo(name: str, kind=tarfile.REGTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    if kind == tarfile.SYMTYPE:
        info.linkname = "/etc/passwd"
    return info


# --- The round trip ------------------------------------------------------------------------------


@TRANSACTIONAL
def test_backup_restored_into_an_empty_database_reads_back_the_same(backed_up, empty_target):
    archive = backed_up.archive
    assert archive.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in archive.parent.iterdir()] == [archive.name]  # no partial left behind

    manifest = manifest_of(archive)
    expected = snapshot()
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["row_counts"] == expected["counts"]
    assert expected["counts"]["ledger_entries"] == 4 and expected["counts"]["payroll_lines"] == 3
    assert manifest["migrations"]["appraisal"] and manifest["migrations"]["payroll"]
    evidence_name = "media/" + backed_up.entry.evidence.name
    assert manifest["members"][evidence_name]["sha256"] == hashlib.sha256(EVIDENCE).hexdigest()
    assert set(manifest["members"]) == {
        backup.DB_MEMBERS[connection.vendor],
        evidence_name,
        "media/explanations/1/说明.txt",
    }

    assert table_count(empty_target) == 0
    restored = manage(empty_target, "backup_restore", str(archive), "--yes")
    assert restored.returncode == 0, restored.stderr + restored.stdout
    assert "Restore verified" in restored.stdout
    assert "Migrations: as the code expects." in restored.stdout

    assert restored_snapshot(empty_target) == expected
    media = Path(empty_target["MEDIA_ROOT"])
    assert (media / backed_up.entry.evidence.name).read_bytes() == EVIDENCE
    assert (media / "explanations" / "1" / "说明.txt").read_bytes() == ATTACHMENT

    # Over a database that is no longer empty: refused without --force, nothing changed …
    again = manage(empty_target, "backup_restore", str(archive), "--yes")
    assert again.returncode != 0
    assert "not empty" in again.stderr and "--force" in again.stderr
    # … and with --force it says what it overwrites, then restores the same again.
    forced = manage(empty_target, "backup_restore", str(archive), "--yes", "--force")
    assert forced.returncode == 0, forced.stderr + forced.stdout
    assert "overwrites database" in forced.stdout and "institutions 3" in forced.stdout
    assert restored_snapshot(empty_target) == expected

    # The restored database takes new rows: its sequences continue after the restored ids.
    out = shell(
        empty_target,
        "from orgs.models import AuditEvent, ScoringDepartment; "
        "last = AuditEvent.objects.order_by('-pk').first().pk; "
        "d = ScoringDepartment.objects.create(code='NEW', name='new'); "
        "e = AuditEvent.objects.create(action='restore-check', object_type='x', object_id='1'); "
        "print('NEW_OK' if e.pk > last and d.pk else 'NEW_BAD')",
    )
    assert "NEW_OK" in out


def test_restore_asks_for_confirmation_without_yes(world, tmp_path, settings, monkeypatch):
    """Without --yes and without a terminal to ask on, nothing is restored."""
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr("sys.stdin", io.StringIO())
    archive = craft(tmp_path / "a.tar.gz", [(tarinfo("media/a.pdf"), b"x")])
    with pytest.raises(CommandError, match="pass --yes"):
        call_command("backup_restore", str(archive), "--force", stdout=io.StringIO())
    assert world.a.__class__.objects.count() == 3
    assert not settings.MEDIA_ROOT.exists()


# --- Refusals: nothing is written ----------------------------------------------------------------


def _flip_a_byte(archive: Path, tmp_path: Path) -> Path:
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x01
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(bytes(data))
    return damaged


def _change_a_member(archive: Path, tmp_path: Path) -> Path:
    """A well-formed archive, the original manifest, one byte of the evidence changed."""
    changed = tmp_path / "changed.tar.gz"
    with tarfile.open(archive, "r:gz") as src, tarfile.open(changed, "w:gz") as dst:
        for member in src:
            data = src.extractfile(member).read()
            if member.name.endswith(".pdf"):
                data = data[:-1] + bytes([data[-1] ^ 0x01])
            dst.addfile(member, io.BytesIO(data))
    return changed


@TRANSACTIONAL
@pytest.mark.parametrize(
    ("tamper", "message"),
    [(_flip_a_byte, "damaged"), (_change_a_member, "checksum mismatch: media/evidence/")],
)
def test_tampered_archive_is_refused_before_anything_is_written(
    backed_up, empty_target, tmp_path, tamper, message
):
    tampered = tamper(backed_up.archive, tmp_path)
    completed = manage(empty_target, "backup_restore", str(tampered), "--yes", "--force")
    assert completed.returncode != 0
    assert "Refused" in completed.stderr and message in completed.stderr
    assert table_count(empty_target) == 0
    assert not Path(empty_target["MEDIA_ROOT"]).exists()


@pytest.mark.parametrize(
    ("name", "kind", "message"),
    [
        ("media/../../escape.txt", tarfile.REGTYPE, "not a safe relative path"),
        ("../escape.txt", tarfile.REGTYPE, "not a safe relative path"),
        ("/etc/escape.txt", tarfile.REGTYPE, "not a safe relative path"),
        ("media/./escape.txt", tarfile.REGTYPE, "not a safe relative path"),
        ("settings.py", tarfile.REGTYPE, "unexpected archive member"),
        ("media/link", tarfile.SYMTYPE, "not a regular file"),
    ],
)
def test_unsafe_member_is_refused(tmp_path, settings, name, kind, message):
    """Refused while reading, before the database is even looked at (no `db` fixture here: any
    query would fail the test)."""
    settings.MEDIA_ROOT = tmp_path / "deep" / "inside" / "media"
    archive = craft(tmp_path / "evil.tar.gz", [(tarinfo(name, kind), b"pwned")])
    with pytest.raises(CommandError, match=message):
        call_command("backup_restore", str(archive), "--yes", "--force", stdout=io.StringIO())
    assert not (tmp_path / "deep" / "escape.txt").exists()
    assert not settings.MEDIA_ROOT.exists()
    assert not Path("/etc/escape.txt").exists()


def test_the_other_vendors_archive_is_refused(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    other = "sqlite" if connection.vendor == "postgresql" else "postgresql"
    archive = craft(tmp_path / "other.tar.gz", [], vendor=other)
    name = backup.VENDOR_NAMES[other]
    with pytest.raises(CommandError, match=f"this is a {name} backup"):
        call_command("backup_restore", str(archive), "--yes", "--force", stdout=io.StringIO())


def test_a_manifest_missing_a_member_is_refused(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    archive = craft(tmp_path / "a.tar.gz", [(tarinfo("media/a.pdf"), b"x")])
    with tarfile.open(archive, "r:gz") as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar if m.name != "media/a.pdf"]
    with tarfile.open(archive, "w:gz") as tar:
        for member, data in members:
            tar.addfile(member, io.BytesIO(data))
    with pytest.raises(CommandError, match=r"missing media/a\.pdf"):
        call_command("backup_restore", str(archive), "--yes", stdout=io.StringIO())


def test_backup_refuses_to_write_inside_media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    with pytest.raises(CommandError, match="outside MEDIA_ROOT"):
        call_command("backup_create", "--output", str(settings.MEDIA_ROOT / "b.tar.gz"))
    assert list(settings.MEDIA_ROOT.iterdir()) == []
