"""No Docker engine runs here, so docker-compose.yml is checked by reading it: every command it
starts must exist in this project, and it must wire the variables the settings read."""

import importlib
import re
import shlex
from pathlib import Path

import yaml
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
APP_SERVICES = ("web", "worker", "beat")
# The one-shot service that migrates as the tables' owner and grants the application's role.
MIGRATE = "migrate"


def _commands(service: str) -> list[list[str]]:
    command = COMPOSE["services"][service]["command"]
    text = command if isinstance(command, str) else shlex.join(command)
    text = text.strip()
    if text.startswith("sh -c"):
        text = shlex.split(text)[2]
    return [shlex.split(part) for part in re.split(r"&&|;", text) if part.strip()]


def test_services_exist():
    assert set(COMPOSE["services"]) == {"migrate", "web", "worker", "beat", "db", "redis"}


def test_every_command_exists_in_the_project():
    django_commands = get_commands()
    seen = set()
    for service in (MIGRATE, *APP_SERVICES):
        for argv in _commands(service):
            program = argv[0]
            seen.add(program)
            if program == "python":
                assert argv[1] == "manage.py" and (ROOT / "manage.py").exists()
                assert argv[2] in django_commands, f"{service}: no management command {argv[2]}"
            elif program == "gunicorn":
                module, _, attr = argv[1].partition(":")
                assert callable(getattr(importlib.import_module(module), attr or "application"))
            elif program == "celery":
                assert argv[1] == "-A"
                app = importlib.import_module(argv[2]).celery_app
                assert argv[3] in ("worker", "beat")
                assert app.main == "jixiao"
            else:
                raise AssertionError(f"{service}: unknown program {program}")
    assert {"python", "gunicorn", "celery"} <= seen


def test_app_services_share_the_settings_variables():
    settings_source = (ROOT / "config" / "settings.py").read_text()
    for service in (MIGRATE, *APP_SERVICES):
        env = COMPOSE["services"][service]["environment"]
        assert env["DJANGO_ENV"] == "production"
        for var in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS"):
            assert var in env, f"{service} lacks {var}"
        for var in env:
            assert f'"{var}"' in settings_source, f"{service} sets {var}, which settings never read"
    assert "redis://redis:6379" in COMPOSE["services"]["web"]["environment"]["REDIS_URL"]
    assert "@db:5432/" in COMPOSE["services"]["web"]["environment"]["DATABASE_URL"]


def _database_user(service: str) -> str:
    # The password is a ${…:?…} placeholder, which no URL parser reads: the user is what precedes.
    url = COMPOSE["services"][service]["environment"]["DATABASE_URL"]
    return re.match(r"postgres://([^:@/]+)[:@]", url).group(1)


def test_migrations_run_as_the_owner_and_the_application_as_its_role():
    """docs/DEPLOYMENT.md, "Database roles": `migrate` runs once, as the owner, and grants the
    application's role; web, worker and beat start after it succeeded and connect as that role,
    never as the owner, and none of them migrates."""
    names = [argv[2] for argv in _commands(MIGRATE) if argv[0] == "python"]
    assert names == ["migrate", "db_app_role"]
    migrate = COMPOSE["services"][MIGRATE]
    owner = _database_user(MIGRATE)
    assert owner == COMPOSE["services"]["db"]["environment"]["POSTGRES_USER"]
    assert migrate["environment"]["DATABASE_APP_ROLE"] not in ("", owner)
    assert migrate["restart"] == "no" and MIGRATE not in migrate["depends_on"]
    for service in APP_SERVICES:
        assert _database_user(service) == migrate["environment"]["DATABASE_APP_ROLE"], service
        condition = COMPOSE["services"][service]["depends_on"][MIGRATE]["condition"]
        assert condition == "service_completed_successfully", service
        assert "migrate" not in [argv[2] for argv in _commands(service) if argv[0] == "python"]
    # The owner's password is given to the migrate service only.
    for service in APP_SERVICES:
        environment = COMPOSE["services"][service]["environment"]
        assert not any("POSTGRES_PASSWORD" in str(value) for value in environment.values())
