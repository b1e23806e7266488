"""The demo world of `manage.py seed_demo`, seeded once per test module (seeding takes seconds):
inside a transaction that is rolled back when the module is done, like tests/security's matrix.
Callbacks queued on commit never run in it (the seed computes what it shows itself)."""

import io
from contextlib import contextmanager

from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed_demo() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@contextmanager
def demo_seeded(django_db_blocker):
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHERS),
        transaction.atomic(),
    ):
        seed_demo()
        yield
        transaction.set_rollback(True)
