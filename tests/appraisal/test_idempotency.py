"""The same ledger entry posted twice (a double click, a browser resubmitting, a client retrying
after a timeout) is recorded once: the entry form carries a hidden random token, the API an
Idempotency-Key header, and appraisal.services.ledger_entry_create records one entry per user and
key (docs/SCORING.md, "Idempotency"). Two posts at the same moment are checked on PostgreSQL with
two real connections."""

import threading
import time
from decimal import Decimal as D
from functools import partial

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from appraisal import services
from appraisal.models import LedgerEntry, Scheme
from appraisal.tasks import recompute_enqueue
from orgs.models import AuditEvent

API = "/api/v1/entries/"
KEY = "5f0c2f9e-double-click"


def _form_post(**overrides):
    return {
        "institution": "A01",
        "kind": "indicator",
        "indicator": "C1",
        "period": "h1",
        "points": "-12.5",
        "reason": "安全检查发现隐患",
    } | overrides


def _api_body(**overrides):
    return {
        "year": 2026,
        "institution": "A01",
        "kind": "indicator",
        "indicator": "C1",
        "period": "h1",
        "points": "-7.5",
        "reason": "隐患未整改",
    } | overrides


def _recompute_requests(callbacks) -> int:
    return sum(1 for c in callbacks if isinstance(c, partial) and c.func is recompute_enqueue)


def _record(world, year, *, key=KEY, by="scorer", points="-3", **kwargs):
    return services.ledger_entry_create(
        actor=world.users[by],
        scheme=year.scheme,
        institution=kwargs.pop("institution", world.a),
        kind="indicator",
        indicator=kwargs.pop("indicator", year.indicators["C1"]),
        period=kwargs.pop("period", "h1"),
        points=D(points),
        reason=kwargs.pop("reason", "隐患"),
        idempotency_key=key,
        **kwargs,
    )


# --- The page ------------------------------------------------------------------------------------


def test_the_entry_form_carries_a_fresh_token_each_time(client_for, year):
    client = client_for("scorer")
    url = reverse("appraisal:entry_create", kwargs={"year": 2026})
    tokens = [client.get(url).context["form"]["idempotency_key"].value() for _ in range(2)]
    assert all(len(t) >= 32 for t in tokens) and tokens[0] != tokens[1]
    body = client.get(url).content.decode()
    assert 'type="hidden" name="idempotency_key"' in body


def test_the_form_posted_twice_records_one_entry(
    client_for, world, year, django_capture_on_commit_callbacks
):
    client = client_for("scorer")
    url = reverse("appraisal:entry_create", kwargs={"year": 2026})
    token = client.get(url).context["form"]["idempotency_key"].value()
    data = _form_post(idempotency_key=token)
    with django_capture_on_commit_callbacks() as callbacks:
        first = client.post(url, data)
        second = client.post(url, data)  # the double click
    entry = LedgerEntry.objects.get()
    # Both answers lead to the entry's ledger, as after one click.
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert entry.idempotency_key == token and entry.points == D("-12.50")
    assert AuditEvent.objects.filter(action="ledger.create").count() == 1
    assert _recompute_requests(callbacks) == 1


def test_the_form_with_its_token_reused_for_other_points_is_refused(client_for, world, year):
    """The user went back in the browser and changed the form: the old token names the first
    entry, so the post is refused and the form comes back with a new token to post again."""
    client = client_for("scorer")
    url = reverse("appraisal:entry_create", kwargs={"year": 2026})
    client.post(url, _form_post(idempotency_key=KEY))
    response = client.post(url, _form_post(idempotency_key=KEY, points="-20"))
    assert response.status_code == 200
    form = response.context["form"]
    assert "different entry" in " ".join(form.non_field_errors())
    fresh = form["idempotency_key"].value()
    assert fresh != KEY
    assert client.post(url, _form_post(idempotency_key=fresh, points="-20")).status_code == 302
    assert sorted(LedgerEntry.objects.values_list("points", flat=True)) == [D("-20"), D("-12.5")]


def test_a_form_without_a_token_still_records(client_for, year):
    """A page rendered before the token existed posts none: recorded as before, unguarded."""
    url = reverse("appraisal:entry_create", kwargs={"year": 2026})
    assert client_for("scorer").post(url, _form_post()).status_code == 302
    assert LedgerEntry.objects.get().idempotency_key is None


# --- The API -------------------------------------------------------------------------------------


def test_the_api_replays_a_repeated_idempotency_key(
    client_for, world, year, django_capture_on_commit_callbacks
):
    client = client_for("scorer")
    with django_capture_on_commit_callbacks() as callbacks:
        first = client.post(
            API, _api_body(), content_type="application/json", HTTP_IDEMPOTENCY_KEY=KEY
        )
        again = client.post(
            API, _api_body(), content_type="application/json", HTTP_IDEMPOTENCY_KEY=KEY
        )
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json() == again.json()
    assert LedgerEntry.objects.count() == 1
    assert AuditEvent.objects.filter(action="ledger.create").count() == 1
    assert _recompute_requests(callbacks) == 1


def test_the_api_refuses_a_key_reused_for_another_entry(client_for, year):
    client = client_for("scorer")
    client.post(API, _api_body(), content_type="application/json", HTTP_IDEMPOTENCY_KEY=KEY)
    response = client.post(
        API, _api_body(points="-9"), content_type="application/json", HTTP_IDEMPOTENCY_KEY=KEY
    )
    assert response.status_code == 400
    assert "different entry" in str(response.json())
    assert LedgerEntry.objects.count() == 1


def test_the_api_without_a_key_records_every_post(client_for, year):
    client = client_for("scorer")
    for _ in range(2):
        assert client.post(API, _api_body(), content_type="application/json").status_code == 201
    assert LedgerEntry.objects.count() == 2


def test_the_api_refuses_an_overlong_key(client_for, year):
    response = client_for("scorer").post(
        API, _api_body(), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k" * 65
    )
    assert response.status_code == 400
    assert "idempotency_key" in response.json()
    assert not LedgerEntry.objects.exists()


def test_the_schema_documents_the_header(client_for, world):
    schema = client_for("hr").get("/api/schema/?format=json").json()
    create = schema["paths"]["/api/v1/entries/"]["post"]
    header = [p for p in create["parameters"] if p["in"] == "header"]
    assert [p["name"] for p in header] == ["Idempotency-Key"]
    assert {"200", "201"} <= set(create["responses"])


# --- The service ---------------------------------------------------------------------------------


def test_keys_are_per_user(world, year):
    """Two users who happen to pick the same key each record their own entry."""
    mine = _record(world, year, by="scorer")
    theirs = _record(world, year, by="hr")
    assert mine.pk != theirs.pk and LedgerEntry.objects.count() == 2


@pytest.mark.parametrize(
    "change",
    [
        {"points": "-4"},
        {"reason": "另一事由"},
        {"period": "h2"},
        {"institution": "b"},
        {"indicator": "E1", "period": "year", "by": "hr"},
    ],
)
def test_the_same_key_with_other_content_is_refused(world, year, change):
    by = change.pop("by", "scorer")
    first = _record(world, year, by=by)
    if "institution" in change:
        change["institution"] = getattr(world, change["institution"])
    if "indicator" in change:
        change["indicator"] = year.indicators[change["indicator"]]
    with pytest.raises(ValidationError) as refused:
        _record(world, year, by=by, **change)
    assert refused.value.code == services.IDEMPOTENCY_KEY_REUSED
    assert f"#{first.pk}" in refused.value.messages[0]
    assert LedgerEntry.objects.count() == 1


def test_a_replay_is_answered_even_when_the_year_closed_since(world, year):
    """The entry was recorded while the year was open: its repeat says so, it is not refused."""
    first = _record(world, year)
    Scheme.objects.filter(pk=year.scheme.pk).update(status=Scheme.Status.PUBLISHED)
    year.scheme.refresh_from_db()
    again = _record(world, year)
    assert again.pk == first.pk and again.replayed


# --- Two at once, on PostgreSQL ------------------------------------------------------------------


def _in_thread(target, results, errors):
    def run():
        try:
            results.append(target())
        except Exception as e:  # reported by the test
            errors.append(e)
        finally:
            connection.close()

    return threading.Thread(target=run)


def _waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


postgres_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'",
    reason="two writers at the same moment need PostgreSQL's row locks and concurrent "
    "connections; SQLite serialises whole-database writes (the CI's PostgreSQL run covers it)",
)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_posts_of_the_same_key_at_once_record_one_entry(world, year):
    barrier = threading.Barrier(4)
    results, errors = [], []

    def post():
        barrier.wait()
        return _record(world, year)

    threads = [_in_thread(post, results, errors) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert len({e.pk for e in results}) == 1
    assert sorted(e.replayed for e in results) == [False, True, True, True]
    assert LedgerEntry.objects.count() == 1
    assert AuditEvent.objects.filter(action="ledger.create").count() == 1


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_unique_constraint_decides_between_two_uncommitted_posts(world, year):
    """The year's row lock serialises posts to one year; a key sent to two years at once meets
    in the unique index. The second INSERT waits for the first transaction and, when that
    commits, fails: the service answers from the committed entry (here: refused, since it is
    another year's entry)."""
    other = Scheme.objects.create(year=2025, status=Scheme.Status.OPEN)
    other_c1 = year.indicators["C1"].__class__.objects.create(
        scheme=other, code="C1", part="common", name="C1", method="deduct",
        max_points=D("300"), department=world.dept, applies_to_all=True,
    )  # fmt: skip
    inserted, release = threading.Event(), threading.Event()
    results, errors = [], []

    def first():
        from django.db import transaction

        with transaction.atomic():
            entry = _record(world, year)
            inserted.set()
            assert release.wait(timeout=30)
        return entry

    def second():
        assert inserted.wait(timeout=30)
        scheme = Scheme.objects.get(pk=other.pk)
        return services.ledger_entry_create(
            actor=world.users["scorer"], scheme=scheme, institution=world.a, kind="indicator",
            indicator=other_c1, period="h1", points=D("-3"), reason="隐患", idempotency_key=KEY,
        )  # fmt: skip

    threads = [_in_thread(first, results, errors), _in_thread(second, results, errors)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 20
    while not _waiting_on_a_lock():  # the second INSERT waits on the first's uncommitted row
        assert time.monotonic() < deadline, "the second post never reached the unique index"
        time.sleep(0.05)
    release.set()
    for t in threads:
        t.join(timeout=60)
    assert [type(e) for e in errors] == [ValidationError]
    assert errors[0].code == services.IDEMPOTENCY_KEY_REUSED
    assert LedgerEntry.objects.count() == 1
    assert LedgerEntry.objects.get().scheme_id == year.scheme.pk
