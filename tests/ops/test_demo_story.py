"""The story seed_demo tells (ops/demo/, README.md "Demo accounts"), checked as a reader of the
product would: 2025 published, 2026 copied forward with changes and open, pay linked to the 2025
results in March 2026, JG008's 诫勉谈话, letters waiting for a head who can log in, deputies
landing on their letters, and every account of the README's table landing where the table says.
Seeded once for the module."""

import datetime
import io
import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.test import Client

from appraisal.models import Indicator, LedgerEntry, Result, ResultSet, Scheme, Target
from appraisal.services import scheme_check
from letters.models import Letter
from ops.demo.orgs import DEMO_PASSWORD
from orgs.models import AuditEvent, Institution, User
from payroll.models import PayPolicy, PayrollRun

from .demo import demo_seeded

MARCH = datetime.date(2026, 3, 1)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with demo_seeded(django_db_blocker):
        yield


@pytest.fixture
def seeded(demo, db):
    return None


def _client(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=DEMO_PASSWORD), username
    return client


# --- 2025, published -----------------------------------------------------------------------------


def test_2025_is_published_with_results_computed_before(seeded):
    scheme = Scheme.objects.get(year=2025)
    assert scheme.status == Scheme.Status.PUBLISHED
    assert scheme_check(scheme) == []
    assert Result.objects.filter(scheme=scheme).count() == 16
    publish = AuditEvent.objects.get(action="scheme.publish", object_id=str(scheme.pk))
    assert ResultSet.objects.get(scheme=scheme).computed_at < publish.at
    # Every department scored it; business goals by points; no proposal is left undecided.
    entries = LedgerEntry.objects.filter(scheme=scheme)
    assert set(entries.values_list("department__code", flat=True)) >= {
        "AQSC", "BGS", "DCS", "JJJC", "DJB", "RLZY", "CWB",
    }  # fmt: skip
    assert not scheme.indicators.filter(method="ratio").exists()
    assert not entries.filter(needs_approval=True, decision__isnull=True).exists()
    assert entries.filter(kind="bonus").exists()
    jg008 = Result.objects.get(scheme=scheme, institution__code="JG008")
    assert (jg008.vetoed, jg008.grade, jg008.yellow_card) == (True, "unqualified", True)
    assert Result.objects.filter(scheme=scheme, prize_level=1).count() == 3


# --- 2026, open, copied forward with changes -----------------------------------------------------


def test_2026_is_copied_forward_changed_and_open(seeded):
    scheme = Scheme.objects.get(year=2026)
    assert scheme.status == Scheme.Status.OPEN
    assert scheme_check(scheme) == []
    created = AuditEvent.objects.get(action="scheme.create", object_id=str(scheme.pk))
    assert created.after["copied_from"] == 2025 and created.after["indicators_copied"] == 18
    assert AuditEvent.objects.filter(action="indicator.delete", object_repr__contains="YW13")
    codes_2025 = set(Indicator.objects.filter(scheme__year=2025).values_list("code", flat=True))
    codes_2026 = set(scheme.indicators.values_list("code", flat=True))
    assert codes_2025 - codes_2026 == {"YW13"} and codes_2026 - codes_2025 == {"YW14"}
    ratios = dict(scheme.indicators.filter(method="ratio").values_list("code", "direction"))
    assert ratios == {"YW11": "higher", "YW12": "higher", "YW31": "lower", "YW14": "deadline"}
    # Ratio indicators are scored from targets, never from the ledger.
    assert not LedgerEntry.objects.filter(scheme=scheme, indicator__method="ratio").exists()


def test_2026_ratio_indicators_have_targets_for_both_halves(seeded):
    scheme = Scheme.objects.get(year=2026)
    for indicator in scheme.indicators.filter(method="ratio").prefetch_related("institutions"):
        applies = {i.code for i in indicator.institutions.all()}
        assert applies, indicator.code
        targets = Target.objects.filter(indicator=indicator)
        for period in ("h1", "h2"):
            held = targets.filter(period=period)
            assert set(held.values_list("institution__code", flat=True)) == applies
            if indicator.direction == "deadline":
                assert not held.filter(deadline__isnull=True).exists()
            else:
                assert not held.filter(target_value__isnull=True).exists()
                # JG002's 下半年 figures wait in its report for the head: they do not count yet.
                missing = set(
                    held.filter(actual_value__isnull=True).values_list(
                        "institution__code", flat=True
                    )
                )
                assert missing == ({"JG002"} & applies if period == "h2" else set())
    # 下半年 is the whole year, still running: JG001's revenue to date is short of its target,
    # which HR raised to 12,000 after the head had signed.
    revenue = Target.objects.get(
        indicator__scheme=scheme, indicator__code="YW12", institution__code="JG001", period="h2"
    )
    assert revenue.target_value == Decimal("12000")
    assert revenue.actual_value < revenue.target_value


def test_every_entry_is_within_what_the_rules_count(seeded):
    for entry in LedgerEntry.objects.select_related("indicator", "scheme"):
        if entry.kind == "indicator":
            assert abs(entry.points) <= entry.indicator.max_points
        elif entry.kind == "bonus":
            assert entry.points <= entry.scheme.bonus_cap
        else:
            assert entry.points <= 1000


def test_2026_keeps_the_bonus_the_veto_and_the_proposals(seeded):
    entries = LedgerEntry.objects.filter(scheme__year=2026)
    assert entries.filter(kind="bonus", needs_approval=False).exists()
    assert entries.filter(kind="veto", decision__approved=True, institution__code="JG008")
    pending = entries.filter(needs_approval=True, decision__isnull=True)
    # The proposals, and the leader's points awaiting 评分复核 (test_2026_zx01_…).
    assert set(pending.values_list("kind", flat=True)) == {"bonus", "veto", "indicator"}


def test_jg008_unqualified_two_years_running_shows_admonition(seeded):
    result = Result.objects.get(scheme__year=2026, institution__code="JG008")
    assert (result.vetoed, result.grade, result.admonition) == (True, "unqualified", True)
    assert list(Result.objects.filter(scheme__year=2026, admonition=True)) == [result]
    body = _client("hr").get("/appraisal/years/2026/rankings/").content.decode()
    row = re.search(r'<tr[^>]*data-code="JG008".*?</tr>', body, re.S)
    assert row and 'data-flag="admonition"' in row.group(0)


# --- Pay linked to results -----------------------------------------------------------------------


def test_march_2026_pays_2025_incentive_and_prizes(seeded):
    appraised = Institution.objects.filter(group__isnull=False)
    policies = PayPolicy.objects.filter(year=2025)
    assert set(policies.values_list("institution__code", flat=True)) == set(
        appraised.values_list("code", flat=True)
    )
    assert set(policies.values_list("settlement_month", flat=True)) == {MARCH}
    assert not policies.filter(institution__is_pilot=True).exists()
    runs = PayrollRun.objects.filter(month=MARCH).select_related("institution")
    assert runs.count() == 16
    for run in runs:
        result = Result.objects.get(scheme__year=2025, institution=run.institution)
        assert run.status == "exported" and run.settles_year == 2025 and not run.provisional
        assert run.tier and run.incentive_pool > 0
        assert run.prize_pool == result.prize_amount
        lines = list(run.lines.all())
        assert sum(line.basic for line in lines) == run.basic_pool > 0  # 2026's basic pay
        paid = sum(line.incentive + line.prize for line in lines) + run.undistributed
        assert paid == run.incentive_pool + run.prize_pool
    winner = runs.get(institution__code="JG001")
    assert winner.tier == "second" and winner.prize_pool == Decimal("30000.00")
    assert runs.get(institution__code="JG008").tier == "vetoed"


def test_march_2026_shows_on_the_run_list_and_in_the_export(seeded):
    client = _client("payroll")
    body = client.get("/payroll/runs/?month=2026-03").content.decode()
    rows = re.findall(r'<tr data-run="\d+" data-code="(JG00\d)" data-month="2026-03">', body)
    assert rows == ["JG001", "JG002", "JG003"]
    assert "—</td>" not in body.split('data-testid="run-table"')[1].split("</table>")[0]
    response = client.get("/payroll/months/2026-03/export.xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    incentive, prize = header.index("奖励性绩效"), header.index("考核奖金")
    staff = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[1]]
    assert sum(Decimal(str(r[incentive])) for r in staff) > 0
    assert sum(Decimal(str(r[prize])) for r in staff) > 0


def test_october_and_november_2026_as_before(seeded):
    assert PayPolicy.objects.filter(year=2026).count() == 34
    assert set(PayPolicy.objects.filter(year=2026).values_list("settlement_month", flat=True)) == {
        datetime.date(2027, 3, 1)
    }
    october = PayrollRun.objects.filter(month=datetime.date(2026, 10, 1))
    confirmed = set(october.filter(status="confirmed").values_list("institution__code", flat=True))
    pilots = set(Institution.objects.filter(is_pilot=True).values_list("code", flat=True))
    assert confirmed == pilots | {"JG001", "JG002", "JG003"}
    november = PayrollRun.objects.filter(month=datetime.date(2026, 11, 1))
    assert november.count() == 34 and set(november.values_list("status", flat=True)) == {"draft"}


# --- Letters and who lands where -----------------------------------------------------------------


def test_head2_has_a_letter_to_sign_on_their_home(seeded):
    letter = Letter.objects.get(scheme__year=2026, signer__username="head2")
    assert letter.status == "issued" and letter.level == "head"
    home = _client("head2").get("/")
    assert home.status_code == 200
    body = home.content.decode()
    assert 'data-testid="letters-to-sign"' in body and f"/letters/{letter.pk}/" in body
    # `head` signed theirs: nothing waits for them.
    assert 'data-testid="letters-to-sign"' not in _client("head").get("/").content.decode()


@pytest.mark.parametrize(
    ("username", "section", "status"),
    [("deputy1", "letters-signed", "signed"), ("deputy2", "letters-to-sign", "issued")],
)
def test_deputies_land_on_their_letters(seeded, username, section, status):
    (letter,) = Letter.objects.filter(signer__username=username)
    assert letter.status == status
    home = _client(username).get("/")
    assert home.status_code == 200
    assert home.templates[0].name == "orgs/home_norole.html"
    body = home.content.decode()
    assert f'data-testid="{section}"' in body and f'data-letter="{letter.pk}"' in body
    assert f"/letters/{letter.pk}/" in body
    assert 'data-testid="no-role"' not in body


def test_a_roleless_user_without_letters_is_told_to_ask_hr(seeded):
    User.objects.create_user(username="visitor", password=DEMO_PASSWORD, name="访客", role="")
    home = _client("visitor").get("/")
    assert home.status_code == 403 and 'data-testid="no-role"' in home.content.decode()


# --- The README's table --------------------------------------------------------------------------

# What each account of the README's "Demo accounts" table lands on: the home page's template and
# what must be on it.
LANDING = {
    "hr": ("orgs/home_hr.html", []),
    "scorer": ("orgs/home_scorer.html", []),
    "head": ("orgs/home_head.html", ['data-testid="my-institution"', "JG001"]),
    "head2": ("orgs/home_head.html", ['data-testid="letters-to-sign"', "JG002"]),
    "acceptance": ("orgs/home_acceptance.html", []),
    "payroll": ("orgs/home_payroll.html", ["JG001", "JG002", "JG003"]),
    "auditor": ("orgs/home_auditor.html", []),
    "sysadmin": ("orgs/home_sysadmin.html", ['data-testid="open-accounts"']),
    "secadmin": ("orgs/home_secadmin.html", ['data-testid="policies"']),
    "auditadmin": ("orgs/home_auditadmin.html", ['data-testid="open-audit"']),
    "leader": ("orgs/home_leader.html", ['data-testid="leader-results-JG001"', "JG004"]),
    "contact": ("orgs/home_contact.html", ['data-testid="contact-reporting"', "东城分公司"]),
    "contact2": ("orgs/home_contact.html", ['data-testid="contact-reporting"', "西城分公司"]),
    "deputy1": ("orgs/home_norole.html", ['data-testid="letters-signed"']),
    "deputy2": ("orgs/home_norole.html", ['data-testid="letters-to-sign"']),
}


def _readme_accounts() -> list[str]:
    text = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    section = text.split("## Demo accounts", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [name for row in rows for name in re.findall(r"`([a-z0-9_]+)`", row.split("|")[1])]


def test_every_account_in_the_readme_lands_where_the_table_says(seeded):
    accounts = _readme_accounts()
    assert sorted(accounts) == sorted(LANDING)
    for username in accounts:
        template, shown = LANDING[username]
        client = Client()
        response = client.post("/login/", {"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302 and response["Location"] == "/", username
        home = client.get("/")
        assert home.status_code == 200, username
        assert home.templates[0].name == template, username
        body = home.content.decode()
        for text in shown:
            assert text in body, (username, text)


def test_what_the_readme_says_they_see(seeded):
    hr = _client("hr")
    assert hr.get("/appraisal/years/2026/rankings/h1/").status_code == 200
    march = hr.get("/payroll/runs/?month=2026-03").content.decode()
    assert march.count('data-month="2026-03"') == 16
    # head: JG001's results and every level of its letters; head2: JG002 only.
    head = _client("head")
    assert head.get("/appraisal/years/2026/mine/").status_code == 200
    letters = head.get("/letters/years/2026/").content.decode()
    for letter in Letter.objects.filter(institution__code="JG001").exclude(status="superseded"):
        assert f'data-letter="{letter.pk}"' in letters
    assert set(re.findall(r'data-code="(JG\d+)"', letters)) == {"JG001"}  # one row per letter
    listed = _client("head2").get("/api/v1/institutions/").json()["results"]
    assert [row["code"] for row in listed] == ["JG002"]
    # payroll: JG001–JG003's runs of March (exported), October (confirmed), November (draft).
    runs = _client("payroll").get("/payroll/runs/").content.decode()
    found = re.findall(
        r'data-code="(JG\d+)" data-month="(2026-\d\d)">.*?data-col="status">[^<]*</span>',
        runs,
        re.S,
    )
    assert sorted(set(found)) == [
        (code, month)
        for code in ("JG001", "JG002", "JG003")
        for month in ("2026-03", "2026-10", "2026-11")
    ]
    statuses = dict(
        PayrollRun.objects.filter(institution__code="JG001").values_list("month", "status")
    )
    assert statuses == {
        MARCH: "exported",
        datetime.date(2026, 10, 1): "confirmed",
        datetime.date(2026, 11, 1): "draft",
    }


def test_2026_reports_come_through_the_chain(seeded):
    """JG001's 下半年 report went through 初审 (one return) and 复核: its figures are the targets'
    actual values; JG002's waits for its head, and its figures count nowhere yet."""
    from reporting.models import Report, ReportEvent

    scheme = Scheme.objects.get(year=2026)
    checked = Report.objects.get(scheme=scheme, institution__code="JG001", period="h2")
    assert checked.status == Report.Status.CHECKED
    assert checked.events.filter(action=ReportEvent.Action.FIRST_RETURN).count() == 1
    for item in checked.items.filter(indicator__method="ratio").select_related("target"):
        assert item.status == "checked"
        if item.actual_value is not None:
            assert item.target.actual_value == item.actual_value
        else:
            assert item.target.completed_on == item.completed_on
    waiting = Report.objects.get(scheme=scheme, institution__code="JG002", period="h2")
    assert waiting.status == Report.Status.AWAITING_HEAD
    for item in waiting.items.filter(indicator__method="ratio").select_related("target"):
        assert item.actual_value is not None or item.completed_on is not None
        assert item.target.actual_value is None and item.target.completed_on is None


def test_2026_zx01_is_scored_by_three_weighted(seeded):
    from appraisal.models import EntryDecision, IndicatorScorer

    indicator = Indicator.objects.get(scheme__year=2026, code="ZX01")
    assert indicator.aggregation == "weighted"
    rows = IndicatorScorer.objects.filter(indicator=indicator)
    assert sum(r.weight for r in rows) == 1
    assert {r.leader.username for r in rows if r.leader} == {"leader"}
    # The leader's November deduction on JG003 waits for HR's review (评分需复核, 执行力建设).
    pending = LedgerEntry.objects.get(
        indicator=indicator, institution__code="JG003", leader__username="leader",
        needs_approval=True,
    )  # fmt: skip
    assert not EntryDecision.objects.filter(entry=pending).exists()
