"""The rollout pages (acceptance/views_rollout.py): the weekly report (周报) a head submits, the
list of reports, HR's rollout board, and the weekly task that flags missing reports.

Access (docs/ACCEPTANCE.md): the board is for HR, auditors and acceptance members; reports are read
by them and by heads (their own institution only); a head submits their own institution's report,
HR any pilot's; anonymous users are sent to the login page, other roles get 403, an institution
outside the caller's scope 404."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from acceptance import rollout, services
from acceptance.models import WeeklyReport, week_start
from acceptance.tasks import flag_missing_reports, missing_flags
from orgs.models import Role

from ..factories import PASSWORD, EmployeeFactory, InstitutionFactory, UserFactory
from ..personas import PERSONAS

BOARD = "/acceptance/rollout/"
REPORTS = "/acceptance/reports/"
SUBMIT = "/acceptance/reports/new/"
ALL = [*PERSONAS, "head_p01", "head_p02"]


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are checked by their English text (the product's default is Chinese)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client_as(client_for, pilots):
    """client_as(persona): the personas of tests/conftest.py and the pilots' heads."""

    def make(persona: str) -> Client:
        if not persona.startswith("head_p"):
            return client_for(persona)
        client = Client()
        assert client.login(username=persona, password=PASSWORD)
        return client

    return make


def today():
    return timezone.localdate()


def weeks_ago(n: int) -> datetime.date:
    return week_start(today()) - datetime.timedelta(weeks=n)


def report(world, institution, *, progress, week=0, stage="acceptance"):
    return services.weekly_report_submit(
        actor=world.users["hr"],
        institution=institution,
        day=weeks_ago(week),
        stage=stage,
        progress=progress,
    )


def _login_redirect(response):
    return response.status_code == 302 and response["Location"].startswith("/login/")


# --- Who reaches which page ----------------------------------------------------------------------

READERS = {"hr", "auditor", "acceptance"}
HEADS = {"head_a", "head_b", "head_p01", "head_p02"}
MATRIX = {
    BOARD: READERS,
    REPORTS: READERS | HEADS,
    SUBMIT: {"hr"} | HEADS,  # HR chooses an institution; a head gets their own's form
}


@pytest.mark.parametrize("persona", ALL)
@pytest.mark.parametrize("url", list(MATRIX))
def test_pages_per_persona(client_as, persona, url):
    response = client_as(persona).get(url)
    if persona == "anonymous":
        assert _login_redirect(response)
    else:
        assert response.status_code == (200 if persona in MATRIX[url] else 403)


@pytest.mark.parametrize(
    ("persona", "code", "expected"),
    [
        ("hr", "P02", 200),
        ("hr", "C01", 404),  # not a pilot: no weekly report
        ("hr", "NOPE", 404),
        ("head_p01", "P01", 200),
        ("head_p01", "P02", 404),  # another head's institution
        ("head_a", "P01", 404),
        ("auditor", "P01", 403),
        ("acceptance", "P01", 403),
    ],
)
def test_submit_page_for_an_institution(client_as, persona, code, expected):
    assert client_as(persona).get(f"{SUBMIT}?institution={code}").status_code == expected


def test_hr_chooses_the_institution_first(client_as, pilots):
    html = client_as("hr").get(SUBMIT).content.decode()
    assert 'data-testid="report-choose"' in html
    assert all(f'data-code="{i.code}"' in html for i in pilots.institutions)


# --- Submitting ----------------------------------------------------------------------------------

FORM = {"stage": "acceptance", "progress": "80", "problems": "网络不稳定", "next_steps": "复测"}


def test_head_submits_own_report_and_again_replaces_it(client_as, pilots):
    client = client_as("head_p01")
    p01 = pilots.institutions[0]
    response = client.post(SUBMIT, FORM)
    assert response.status_code == 302
    assert response["Location"] == f"{REPORTS}?institution=P01"
    saved = WeeklyReport.objects.get()
    assert (saved.institution, saved.week, saved.progress) == (p01, week_start(today()), 80)
    assert saved.submitted_by == p01.head and saved.problems == "网络不稳定"
    # The form shows this week's report to replace it.
    html = client.get(SUBMIT).content.decode()
    assert 'data-testid="current-report"' in html and "网络不稳定" in html
    client.post(SUBMIT, FORM | {"stage": "trial", "progress": "90", "problems": ""})
    saved = WeeklyReport.objects.get()
    assert (saved.stage, saved.progress, saved.problems) == ("trial", 90, "")


def test_head_cannot_submit_for_another_institution(client_as, pilots):
    response = client_as("head_p01").post(f"{SUBMIT}?institution=P02", FORM)
    assert response.status_code == 404
    assert client_as("head_a").post(f"{SUBMIT}?institution=P01", FORM).status_code == 404
    assert client_as("auditor").post(f"{SUBMIT}?institution=P01", FORM).status_code == 403
    assert not WeeklyReport.objects.exists()


def test_hr_submits_for_a_pilot(client_as, world, pilots):
    response = client_as("hr").post(f"{SUBMIT}?institution=P02", FORM)
    assert response.status_code == 302
    saved = WeeklyReport.objects.get()
    assert saved.institution.code == "P02" and saved.submitted_by == world.users["hr"]


@pytest.mark.parametrize("progress", ["101", "-1", ""])
def test_progress_is_a_percentage(client_as, pilots, progress):
    response = client_as("head_p01").post(SUBMIT, FORM | {"progress": progress})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert not WeeklyReport.objects.exists()


# --- The list ------------------------------------------------------------------------------------


def _listed(response) -> set[tuple[str, str]]:
    assert response.status_code == 200
    html = response.content.decode()
    return set(re.findall(r'data-code="(\w+)" data-week="([\d-]+)"', html))


def test_report_list_scope_and_filters(client_as, world, pilots):
    p01, p02 = pilots.institutions[:2]
    for week in (0, 1):
        report(world, p01, progress=50 + week, week=week)
        report(world, p02, progress=60 + week, week=week)
    this, last = weeks_ago(0).isoformat(), weeks_ago(1).isoformat()
    everything = {("P01", this), ("P01", last), ("P02", this), ("P02", last)}
    assert _listed(client_as("hr").get(REPORTS)) == everything
    assert _listed(client_as("auditor").get(REPORTS)) == everything
    assert _listed(client_as("head_p01").get(REPORTS)) == {("P01", this), ("P01", last)}
    assert _listed(client_as("head_a").get(REPORTS)) == set()
    # Filters narrow; they never widen a head's scope.
    assert _listed(client_as("hr").get(f"{REPORTS}?institution=P02")) == {
        ("P02", this),
        ("P02", last),
    }
    # Any day of the week finds the week's reports.
    wednesday = (weeks_ago(1) + datetime.timedelta(days=2)).isoformat()
    assert _listed(client_as("hr").get(f"{REPORTS}?week={wednesday}")) == {
        ("P01", last),
        ("P02", last),
    }
    assert _listed(client_as("head_p01").get(f"{REPORTS}?institution=P02")) == set()


# --- The board -----------------------------------------------------------------------------------


def test_lagging_is_more_than_20_points_below_the_median():
    assert rollout.laggards({}) == (None, set())
    assert rollout.laggards({"A": None}) == (None, set())
    median, lagging = rollout.laggards({"A": 80, "B": 70, "C": 60, "D": 39, "E": None})
    assert median == 65 and lagging == {"D"}
    # Exactly 20 below is not "more than 20 below".
    assert rollout.laggards({"A": 70, "B": 50, "C": 70}) == (70, set())


@pytest.fixture
def reports(world, pilots):
    """This week: P01–P06 reported (P06 far behind); P07 last week only, P08 never, P09 two weeks
    ago only, far behind. Median of the latest: (72 + 74) / 2 = 73, so below 53 lags. (The
    world's A01 and B01 are pilots too, and never report.)"""
    p = {i.code: i for i in pilots.institutions}
    for code, progress in (("P01", 80), ("P02", 75), ("P03", 70), ("P04", 72), ("P05", 78)):
        report(world, p[code], progress=progress - 10, week=2)
        report(world, p[code], progress=progress)
    report(world, p["P06"], progress=40, stage="data")
    report(world, p["P07"], progress=74, week=1)
    report(world, p["P09"], progress=30, week=2, stage="setup")
    return p


def _rows(html: str) -> dict[str, dict[str, str]]:
    rows = {}
    for code, lagging, reported in re.findall(
        r'<tr data-code="(\w+)"[^>]*data-lagging="(\d)" data-reported="(\d)"', html
    ):
        rows[code] = {"lagging": lagging, "reported": reported}
    return rows


def test_board_shows_missing_lagging_and_trend(client_as, reports):
    board = rollout.rollout_board(day=today())
    assert [i.code for i in board.missing] == ["A01", "B01", "P07", "P08", "P09"]
    assert [row.institution.code for row in board.lagging] == ["P06", "P09"]
    assert board.median == 73
    p01 = next(row for row in board.rows if row.institution.code == "P01")
    assert len(p01.trend) == 8 and p01.trend[-1].week == week_start(today())
    assert [c.progress for c in p01.trend] == [None] * 5 + [70, None, 80]
    assert (p01.report_stage, p01.report_progress, p01.reported_this_week) == (
        "acceptance",
        80,
        True,
    )

    html = client_as("hr").get(BOARD).content.decode()
    rows = _rows(html)
    assert len(rows) == 11
    assert {c for c, r in rows.items() if r["lagging"] == "1"} == {"P06", "P09"}
    assert {c for c, r in rows.items() if r["reported"] == "0"} == {
        "A01",
        "B01",
        "P07",
        "P08",
        "P09",
    }
    missing = html.split('data-testid="missing"')[1].split("</ul>")[0]
    assert re.findall(r'data-code="(\w+)"', missing) == ["A01", "B01", "P07", "P08", "P09"]
    # A CSS bar per reported cell, sized by its progress.
    assert 'data-progress="80"' in html and 'style="width: 80%"' in html
    assert html.count('<th class="week"') == 8


def test_board_shows_where_acceptance_stands(client_as, world, pilots, reports):
    services.batch_create(
        actor=world.users["hr"],
        name="第一批",
        team=pilots.team,
        date=datetime.date(2026, 11, 20),
        institutions=pilots.institutions[:5],
    )
    board = rollout.rollout_board(day=today())
    states = {row.institution.code: row.acceptance for row in board.rows}
    assert (states["P01"].round, states["P01"].result, states["P01"].batch_name) == (
        1,
        "pending",
        "第一批",
    )
    assert states["P06"] is None
    html = client_as("auditor").get(BOARD).content.decode()
    assert "第一批" in html and "in no batch yet" in html


def test_board_query_count_is_fixed(client_as, world, pilots, reports, django_assert_num_queries):
    client = client_as("hr")
    with django_assert_num_queries(5) as few:
        assert client.get(BOARD).status_code == 200
    # Five more pilots, with reports over the weeks and a batch: the same queries.
    more = []
    for n in range(10, 15):
        inst = InstitutionFactory(code=f"P{n}", group=None, is_pilot=True, stage="data")
        EmployeeFactory(institution=inst)
        for week in range(4):
            report(world, inst, progress=60 + week, week=week)
        more.append(inst)
    services.batch_create(
        actor=world.users["hr"],
        name="第二批",
        team=pilots.team,
        date=datetime.date(2026, 11, 20),
        institutions=more,
    )
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(BOARD)
    assert len(_rows(response.content.decode())) == 16


# --- The weekly task -----------------------------------------------------------------------------


def test_flag_missing_reports_is_idempotent(world, pilots, reports):
    last_week = weeks_ago(1)
    first = flag_missing_reports()  # default: the week gone by
    assert first == {
        "week": last_week.isoformat(),
        "missing": ["A01", "B01", "P01", "P02", "P03", "P04", "P05", "P06", "P08", "P09"],
    }
    assert flag_missing_reports() == first
    assert missing_flags([last_week]) == {last_week: first["missing"]}
    # A report that came in late is no longer flagged on the next run.
    report(world, pilots.institutions[0], progress=72, week=1)
    assert "P01" not in flag_missing_reports(last_week.isoformat())["missing"]
    # Any day of the week names it.
    sunday = (last_week + datetime.timedelta(days=6)).isoformat()
    assert flag_missing_reports(sunday)["week"] == last_week.isoformat()


def test_task_runs_through_celery(world, pilots, reports):
    result = flag_missing_reports.delay(weeks_ago(2).isoformat())
    assert result.get()["missing"] == ["A01", "B01", "P06", "P07", "P08"]


def test_beat_flags_every_monday_morning(settings):
    (entry,) = [
        e
        for e in settings.CELERY_BEAT_SCHEDULE.values()
        if e["task"] == "acceptance.flag_missing_reports"
    ]
    schedule = entry["schedule"]
    assert schedule.day_of_week == {1} and schedule.hour == {9} and schedule.minute == {0}


def test_flags_show_on_the_board_and_the_heads_pages(client_as, world, pilots, reports):
    flag_missing_reports()
    last_week = weeks_ago(1).isoformat()
    board = client_as("hr").get(BOARD).content.decode()
    flags = board.split('data-testid="flags"')[1].split("</ul>")[0]
    assert f'data-week="{last_week}"' in flags and "P08" in flags
    assert re.search(rf'<td class="trend flagged" data-week="{last_week}"', board)
    for url in (SUBMIT, REPORTS):
        html = client_as("head_p01").get(url).content.decode()
        missed = html.split('data-testid="missed-weeks"')[1].split("</ul>")[0]
        assert f'data-week="{last_week}"' in missed
    # A head whose institution reported is not told anything.
    other = UserFactory(username="head_p07", role=Role.HEAD)
    pilots.institutions[6].head = other
    pilots.institutions[6].save()
    client = Client()
    client.login(username="head_p07", password=PASSWORD)
    assert 'data-testid="missed-weeks"' not in client.get(SUBMIT).content.decode()
