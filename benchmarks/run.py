"""Run the benchmark suite against a fresh PostgreSQL database (benchmarks/README.md).

    .venv/bin/python benchmarks/run.py [--quick] [--only NAME …] [--institutions N] [--growth]
                                       [--keep] [--database-url URL] [--seed S]

Creates ``bench_<time>_<pid>`` on the server of ``--database-url`` / ``DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/postgres``, used as the admin connection), migrates it, seeds
it with ``seed_scale``, runs each ``bench_<name>.py`` and prints its ``BENCH`` lines, then drops
the database unless ``--keep``. Numbers are reported, never asserted: the exit status is non-zero
only when a benchmark (or the setup) crashes.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ORDER = ("recompute", "payroll_export", "pages", "import", "http")
GROWTH = ("recompute", "payroll_export", "pages")  # benchmarks 1–3
GROWTH_SIZES = (500, 1000, 2000)
DEFAULT_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
QUICK = (50, 5_000, 30_000)
FULL = (2_000, 200_000, 1_200_000)
EMPLOYEES_PER_INSTITUTION = 100
ENTRIES_PER_INSTITUTION = 600


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="50 / 5,000 / 30,000: seconds")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=ORDER, help="these only")
    parser.add_argument(
        "--institutions",
        type=int,
        help=f"scale: N institutions, {EMPLOYEES_PER_INSTITUTION}·N employees, "
        f"{ENTRIES_PER_INSTITUTION}·N ledger entries",
    )
    parser.add_argument(
        "--growth",
        action="store_true",
        help=f"benchmarks 1–3 at {', '.join(map(str, GROWTH_SIZES))} institutions, with a table",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--database-url", help="admin connection (default: DATABASE_URL)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--report", help=argparse.SUPPRESS)  # JSON results, for --growth
    return parser.parse_args(argv)


def scale_of(args) -> tuple[int, int, int]:
    if args.institutions:
        n = args.institutions
        return n, n * EMPLOYEES_PER_INSTITUTION, n * ENTRIES_PER_INSTITUTION
    return QUICK if args.quick else FULL


# --- the database ---------------------------------------------------------------------------


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin(url: str):
    import psycopg2

    conn = psycopg2.connect(url)
    conn.autocommit = True
    return conn


def database_create(admin_url: str) -> tuple[str, str]:
    name = f"bench_{time.strftime('%Y%m%d_%H%M%S')}_{os.getpid()}"
    conn = _admin(admin_url)
    try:
        with conn.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()
    return name, _with_database(admin_url, name)


def database_drop(admin_url: str, name: str) -> None:
    if not name.startswith("bench_"):  # never anything but our own
        raise ValueError(name)
    conn = _admin(admin_url)
    try:
        with conn.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


# --- one run --------------------------------------------------------------------------------


def say(text: str) -> None:
    print(text, flush=True)


def run_once(args) -> int:
    admin_url = args.database_url or os.environ.get("DATABASE_URL") or DEFAULT_ADMIN_URL
    institutions, employees, entries = scale_of(args)
    names = [n for n in ORDER if not args.only or n in args.only]
    name, url = database_create(admin_url)
    say(f"# database {name} ({'kept' if args.keep else 'dropped at the end'})")
    failures: list[str] = []
    results: list[dict] = []
    try:
        os.environ["DATABASE_URL"] = url
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
        os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
        os.environ["CACHE_KEY_PREFIX"] = name  # a Redis cache, if any, is not shared
        import django

        django.setup()
        from django.core.management import call_command

        from benchmarks.common import Context
        from ops.scale import scale_seed

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        say(f"SEED migrate {time.perf_counter() - started:.1f}s")
        say(f"# seed_scale {institutions} institutions / {employees} employees / {entries} entries")
        report = scale_seed(
            institutions=institutions,
            employees=employees,
            entries=entries,
            seed=args.seed,
            progress=lambda phase, seconds: say(f"SEED {phase} {seconds:.1f}s"),
        )
        say(f"SEED total {report.seconds:.1f}s")
        with tempfile.TemporaryDirectory(prefix=f"{name}_") as tmp:
            ctx = Context(
                quick=args.quick,
                institutions=institutions,
                employees=employees,
                entries=entries,
                tmp=Path(tmp),
                database_url=url,
                database_name=name,
                seed=args.seed,
                payroll_month=report.payroll_month,
                notes={"seed_phases": report.phases},
            )
            for bench in names:
                if not (ROOT / "benchmarks" / f"bench_{bench}.py").exists():
                    say(f"SKIP {bench} (benchmarks/bench_{bench}.py is not there yet)")
                    continue
                say(f"# {bench}")
                try:
                    module = importlib.import_module(f"benchmarks.bench_{bench}")
                    for result in module.run(ctx):
                        say(result.line())
                        results.append(
                            {
                                "bench": bench,
                                "name": result.name,
                                "value": result.value,
                                "unit": result.unit,
                                "baseline": result.baseline,
                                "ratio": result.ratio,
                            }
                        )
                except Exception:
                    traceback.print_exc()
                    say(f"FAIL {bench}")
                    failures.append(bench)
    except Exception:
        traceback.print_exc()
        failures.append("setup")
    finally:
        try:
            from django.db import connections

            connections.close_all()
        except Exception:  # Django never got set up
            traceback.print_exc()
        if args.keep:
            say(f"# kept database {name}: {url}")
        else:
            database_drop(admin_url, name)
    if args.report:
        Path(args.report).write_text(json.dumps({"results": results, "failures": failures}))
    if failures:
        say(f"# crashed: {', '.join(failures)}")
    return 1 if failures else 0


# --- growth ---------------------------------------------------------------------------------


def run_growth(args) -> int:
    """Benchmarks 1–3 at each size, each in its own process and database, then one table."""
    table: dict[int, list[dict]] = {}
    status = 0
    names = [n for n in GROWTH if not args.only or n in args.only]
    for size in GROWTH_SIZES:
        say(f"## growth: {size} institutions")
        with tempfile.NamedTemporaryFile(suffix=".json") as report:
            command = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--institutions",
                str(size),
                "--only",
                *names,
                "--seed",
                str(args.seed),
                "--report",
                report.name,
            ]
            if args.database_url:
                command += ["--database-url", args.database_url]
            if args.keep:
                command.append("--keep")
            code = subprocess.call(command)
            status = status or code
            data = json.loads(Path(report.name).read_text() or "{}")
            table[size] = data.get("results", [])
    say("")
    say("GROWTH table (value / baseline / ratio per size)")
    rows = {}
    for size, results in table.items():
        for r in results:
            rows.setdefault(r["name"], {})[size] = r
    header = f"{'benchmark':<26}" + "".join(f"{size:>30}" for size in GROWTH_SIZES)
    say(header)
    for bench, by_size in rows.items():
        cells = []
        for size in GROWTH_SIZES:
            r = by_size.get(size)
            cells.append(
                f"{r['value']:.3g}{r['unit']} / {r['baseline']:.3g}{r['unit']} / {r['ratio']:.2f}"
                if r
                else "—"
            )
        say(f"{bench:<26}" + "".join(f"{c:>30}" for c in cells))
    return status


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.growth:
        return run_growth(args)
    return run_once(args)


if __name__ == "__main__":
    sys.exit(main())
