"""The generated permission matrix (issue 9): every route of the URL conf × every persona.

- every route of the URL conf (pages, exports, downloads, the API router with its format-suffix
  twins, the admin) has an entry in tests/security/matrix.py, and no entry names a route that is
  gone;
- a GET as each persona gets the entry's answer (and the API's `.json` twin the same);
- on a route that changes state, an empty POST (PATCH for an API update) as each persona the entry
  refuses gets that refusal and changes nothing (the audit trail, the row count of every table and
  the status of every object stay as they were);
- the matrix section of docs/PERMISSIONS.md is the generated one.

The world (tests/security/world.py) is built once for the module; each test runs in a savepoint
that is rolled back.
"""

import logging
import re
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import translation

from orgs.models import AuditEvent

from . import matrix, walk
from .world import build_matrix_world

DOC = Path(__file__).resolve().parents[2] / "docs" / "PERMISSIONS.md"
SECTION = re.compile(r"<!-- matrix:start -->\n(.*?)<!-- matrix:end -->", re.S)
APPS = ["orgs", "appraisal", "reporting", "payroll", "letters", "acceptance", "bulletins"]
REFUSALS = matrix.DENIALS | {"405"}
TWIN_PERSONAS = {"hr", "head_b", "anonymous"}


@contextmanager
def _quiet(name: str):
    """Thousands of expected 403s and 404s: no warning (and traceback) logged for each."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


@pytest.fixture(scope="module")
def matrix_world(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        _quiet("django.request"),
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media, LANGUAGE_CODE="en", PASSWORD_HASHERS=hashers),
        translation.override("en"),
        transaction.atomic(),
    ):
        world = build_matrix_world()
        world.sessions = {}
        for persona, user in world.users.items():  # logged in once; each test reuses the session
            c = Client()
            c.force_login(user)
            world.sessions[persona] = c.cookies[settings.SESSION_COOKIE_NAME].value
        yield world
        transaction.set_rollback(True)


@pytest.fixture
def mw(matrix_world, db):
    return matrix_world


def client(world, persona: str) -> Client:
    c = Client(raise_request_exception=False)
    if persona != "anonymous":
        c.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[persona]
    return c


def classify(response) -> str:
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        location = response["Location"]
        if location.startswith("/admin/login/"):
            return "admin"
        if location.startswith(reverse("login")):
            return "login"
        return "ok"
    if 200 <= status < 300:
        return "ok"
    return str(status)


def kwargs_for(key: str, world) -> dict:
    out = {}
    for name, value in matrix.KWARGS.get(key, {}).items():
        if isinstance(value, str):
            obj = world
            for part in value.split("."):
                obj = getattr(obj, part)
            value = getattr(obj, "pk", obj)
        out[name] = value
    return out


def urls_for(key: str, world) -> list[str]:
    """The route's URL, and its `.json` twin where the router made one."""
    if key == walk.ADMIN_KEY:
        return matrix.ADMIN_SAMPLES
    kwargs = kwargs_for(key, world)
    urls = [reverse(key, kwargs=kwargs)]
    if any(r.format_suffix for r in walk.routes() if r.key == key):
        urls.append(reverse(key, kwargs={**kwargs, "format": "json"}))
    return urls


def state() -> dict:
    """Everything an empty POST must leave alone: the audit trail, every table's row count, and
    the status of every object that has one."""
    found = {"audit": AuditEvent.objects.count()}
    for label in APPS:
        for model in apps.get_app_config(label).get_models():
            name = model._meta.label
            found[name] = model.objects.count()
            fields = {f.name for f in model._meta.concrete_fields}
            for column in ("status", "result", "open", "signed_at", "published_at"):
                if column in fields:
                    found[f"{name}.{column}"] = sorted(
                        model.objects.values_list("pk", column), key=lambda row: row[0]
                    )
    return found


ROUTE_KEYS = sorted(matrix.BY_KEY)


def test_every_route_has_an_entry():
    missing = sorted(walk.keys() - set(matrix.BY_KEY) - set(matrix.EXCLUDED))
    assert not missing, (
        f"routes without an entry in tests/security/matrix.py: {missing}; add one per route "
        "(and regenerate docs/PERMISSIONS.md)"
    )


def test_no_entry_is_stale():
    found = walk.keys()
    stale = sorted((set(matrix.BY_KEY) | set(matrix.KWARGS)) - found)
    assert not stale, f"matrix entries for routes that no longer exist: {stale}"
    assert len(matrix.BY_KEY) == len(matrix.ROUTES), "a route has two entries"


def test_every_format_suffix_route_has_a_plain_twin():
    plain = {r.key for r in walk.routes() if not r.format_suffix}
    twins = {r.key for r in walk.routes() if r.format_suffix}
    assert twins <= plain


# What a GET may write (issue 16, item 7: state changes only by POST): the session (its idle
# clock), and, on opening a notification, that notification's read time — a read receipt, as a mail
# client marks a message read when it is opened (docs/NOTIFICATIONS.md).
GET_MAY_WRITE = {"django_session"}
GET_MAY_WRITE_ON = {"orgs:notification_open": {"orgs_notification"}}
WRITE_SQL = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.I)


def _written_tables(queries) -> set[str]:
    return {m.group(2) for q in queries if (m := WRITE_SQL.match(q["sql"]))}


@pytest.mark.parametrize("key", ROUTE_KEYS)
def test_get(mw, key):
    """Each persona's GET gets the matrix's answer, and no GET writes anything but the session."""
    route = matrix.BY_KEY[key]
    urls = urls_for(key, mw)
    wrong = []
    with CaptureQueriesContext(connection) as queries:
        for persona, expected in route.answers("get").items():
            c = client(mw, persona)
            # The `.json` twin (same view) as a reader, an outsider and anonymous.
            for url in urls if persona in TWIN_PERSONAS else urls[:1]:
                got = classify(c.get(url))
                if got != expected:
                    wrong.append(f"{persona}: GET {url} → {got}, the matrix says {expected}")
    assert not wrong, f"{key}:\n" + "\n".join(wrong)
    allowed = GET_MAY_WRITE | GET_MAY_WRITE_ON.get(key, set())
    written = _written_tables(queries.captured_queries) - allowed
    assert not written, f"{key}: a GET wrote to {sorted(written)}"


WRITE_KEYS = [route.key for route in matrix.ROUTES if route.write]


@pytest.mark.parametrize("key", WRITE_KEYS)
def test_refused_change_changes_nothing(mw, key):
    route = matrix.BY_KEY[key]
    url = urls_for(key, mw)[0]
    before = state()
    wrong = []
    for persona, expected in route.answers("write").items():
        if expected == "-":
            continue
        assert expected in REFUSALS, (key, persona, expected)
        got = classify(getattr(client(mw, persona), route.method)(url))
        if got != expected:
            wrong.append(
                f"{persona}: {route.method.upper()} {url} → {got}, the matrix says {expected}"
            )
    assert not wrong, f"{key}:\n" + "\n".join(wrong)
    assert state() == before, f"{key}: a refused {route.method.upper()} changed something"


def test_the_docs_show_the_generated_matrix():
    found = SECTION.search(DOC.read_text(encoding="utf-8"))
    assert found, "docs/PERMISSIONS.md has no <!-- matrix:start --> … <!-- matrix:end --> section"
    assert found.group(1) == matrix.markdown(), (
        "docs/PERMISSIONS.md's matrix differs from tests/security/matrix.py: paste the output of "
        "`python -m tests.security.matrix` between the markers"
    )
