#!/usr/bin/env python3
"""The two commands of README.md, for a fresh machine with only Python 3.11:

    python3 dev.py run    set everything up, load the demo data, serve http://127.0.0.1:8000
    python3 dev.py test   set everything up and run the whole check: lint, migrations, tests

Both create .venv/ on first use and reinstall only when pyproject.toml changes. With no
environment variable set they use the embedded default (SQLite in data/, Celery eager);
DATABASE_URL / REDIS_URL switch them to PostgreSQL and Redis (docs/CONFIGURATION.md).
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def sh(*args, **kwargs):
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.run([str(a) for a in args], cwd=ROOT, check=True, **kwargs)


def setup(extras: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 — dev.py runs on the system Python
        sys.exit(f"Python 3.11 or newer is needed, this is {sys.version.split()[0]}.")
    if not PY.exists():
        print(f"Creating the virtual environment in {VENV} …", flush=True)
        venv.create(VENV, with_pip=True)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / f".installed-{digest[:16]}"
    if not stamp.exists():
        sh(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        sh(PY, "-m", "pip", "install", "--quiet", "-e", f".{extras}")
        for old in VENV.glob(".installed-*"):
            old.unlink()
        stamp.touch()
    sh(PY, "manage.py", "compiletranslations")


def run(argv: list[str]) -> None:
    setup("")
    sh(PY, "manage.py", "migrate", "--no-input")
    sh(PY, "manage.py", "seed_demo")
    address = argv[0] if argv else "127.0.0.1:8000"
    print(f"\n  绩效考核系统 is serving demo data at http://{address}/  (accounts: README.md)\n")
    os.execv(PY, [str(PY), "manage.py", "runserver", address])  # noqa: S606 — our own venv


def test(argv: list[str]) -> None:
    setup("[dev]")
    sh(PY, "-m", "ruff", "check", ".")
    sh(PY, "-m", "ruff", "format", "--check", ".")
    sh(PY, "manage.py", "makemigrations", "--check", "--dry-run")
    sh(PY, "manage.py", "check", "--fail-level", "WARNING")
    result = subprocess.run([str(PY), "-m", "pytest", *argv], cwd=ROOT)
    sys.exit(result.returncode)


COMMANDS = {"run": run, "test": test}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    try:
        COMMANDS[sys.argv[1]](sys.argv[2:])
    except subprocess.CalledProcessError as e:
        sys.exit(e.returncode)
