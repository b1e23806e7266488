#!/usr/bin/env python3
"""The two commands of README.md, for a fresh machine with only Python 3.11:

    python3 dev.py run    set everything up, load the demo data, serve http://127.0.0.1:8000
                          as production does (DEBUG off, static files through WhiteNoise);
                          DEBUG=1 python3 dev.py run for Django's debug pages
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


DEFAULT_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
FALSE_VALUES = {"", "0", "false", "no", "off"}
WILDCARD_ADDRESSES = {"0", "0.0.0.0", "[::]"}  # noqa: S104 — recognised, not bound


def run_environment(environ: dict[str, str], address: str) -> dict[str, str]:
    """The environment `run` serves the demo with: DEBUG off, as in production (the pages a user
    sees: Chinese 404 and 500 pages, no debug page; static files through WhiteNoise), unless DEBUG
    is set; ALLOWED_HOSTS, unless set, holds this machine's names and the address served (any name
    when it listens on every interface, as a demo on the local network is reached by whatever
    name or address the machine has there)."""
    env = dict(environ)
    env.setdefault("DEBUG", "0")
    if "ALLOWED_HOSTS" not in env:
        # runserver's address: "8000", "0.0.0.0:8000", "192.168.1.5:8000", "[::]:8000"
        host = address.rpartition(":")[0] if ":" in address else address
        if host.isdigit():
            host = ""
        if host in WILDCARD_ADDRESSES:
            env["ALLOWED_HOSTS"] = "*"
        else:
            extra = [host] if host and host not in DEFAULT_HOSTS else []
            env["ALLOWED_HOSTS"] = ",".join(DEFAULT_HOSTS + extra)
    return env


def run(argv: list[str]) -> None:
    setup("")
    sh(PY, "manage.py", "migrate", "--no-input")
    sh(PY, "manage.py", "seed_demo")
    address = argv[0] if argv else "127.0.0.1:8000"
    env = run_environment(dict(os.environ), address)
    if env["DEBUG"].strip().lower() in FALSE_VALUES:
        # As production: WhiteNoise serves the collected files (and the static folders).
        sh(PY, "manage.py", "collectstatic", "--no-input", "--verbosity", "0")
    print(f"\n  绩效考核系统 is serving demo data at http://{address}/  (accounts: README.md)\n")
    # runserver without --insecure: with DEBUG off, WhiteNoise serves the static files.
    argv = [str(PY), "manage.py", "runserver", address]
    os.execve(PY, argv, env)  # noqa: S606 — our own venv


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
