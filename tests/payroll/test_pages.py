"""The payroll pages as every persona: runs (list, compute, detail, recompute, confirm, the
differences of a confirmed run), reconciliation, pay policies, coefficients, individual grades.

Over `paid_year` (tests/payroll/conftest.py): 2026 published, policies for A01 and B01 (2026 and
2027, L = 36,000, r = 0.6, settled in March of the next year); none for C01. Each institution has
three formal employees at post coefficient 1.00, post wage 2,800.00 and grade wage 1,200.50, so a
January line is 2,800.00 + 1,200.50 + 1,800.00 (basic) = 5,800.50 and the run 17,401.50."""

import datetime
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from appraisal.models import Scheme
from payroll import services
from payroll.models import (
    GradeCoefficient,
    IndividualGrade,
    PaidWage,
    PayPolicy,
    PayrollRun,
    TierCoefficient,
)

from ..factories import EmployeeFactory
from ..personas import PERSONAS, statuses

JAN, DEC, MAR27 = datetime.date(2026, 1, 1), datetime.date(2026, 12, 1), datetime.date(2027, 3, 1)


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are checked by their English text (the product's default is Chinese)."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def runs(world, paid_year):
    """Draft January runs of A01 and B01, computed by the system."""
    return {
        inst.code: services.payroll_run_compute(actor=None, institution=inst, month=JAN)
        for inst in (world.a, world.b)
    }


def check(client, persona, url, expected, method="get", data=None):
    response = getattr(client, method)(url, data or {})
    if persona == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == statuses(expected)[persona], (persona, url, data)
    return response


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def lines_of(run):
    return list(run.lines.order_by("staff_number").values_list("staff_number", "gross"))


# --- Who may open what ---------------------------------------------------------------------------

# url name, kwargs (`{A01}` / `{B01}`: that institution's January run, `{policy}`: A01's 2026
# policy), expected status for:
#                                           hr  head_a head_b scorer accept payroll auditor norole
GET_MATRIX = [
    ("payroll:run_list", {}, "200 200 200 403 403 200 200 403"),
    ("payroll:run_detail", {"pk": "{A01}"}, "200 200 404 403 403 200 200 403"),
    ("payroll:run_detail", {"pk": "{B01}"}, "200 404 200 403 403 404 200 403"),
    ("payroll:run_detail", {"pk": 999999}, "404 404 404 403 403 404 404 403"),
    ("payroll:reconciliation", {"pk": "{A01}"}, "200 403 403 403 403 200 200 403"),
    ("payroll:reconciliation", {"pk": "{B01}"}, "200 403 403 403 403 404 200 403"),
    ("payroll:policy_list", {}, "200 403 403 403 403 200 200 403"),
    ("payroll:policy_create", {}, "200 403 403 403 403 403 403 403"),
    ("payroll:policy_edit", {"pk": "{policy}"}, "200 403 403 403 403 403 403 403"),
    ("payroll:policy_edit", {"pk": 999999}, "404 403 403 403 403 403 403 403"),
    ("payroll:coefficients", {}, "200 403 403 403 403 403 200 403"),
    ("payroll:grades", {"year": 2026, "code": "A01"}, "200 403 403 403 403 200 200 403"),
    ("payroll:grades", {"year": 2026, "code": "B01"}, "200 403 403 403 403 404 200 403"),
    ("payroll:grades", {"year": 2026, "code": "ZZZ"}, "404 403 403 403 403 404 404 403"),
]


def fill(kwargs, runs, paid_year):
    ids = {"{A01}": runs["A01"].pk, "{B01}": runs["B01"].pk}
    ids["{policy}"] = paid_year.policies["A01"].pk
    return {
        key: ids.get(value, value) if isinstance(value, str) else value
        for key, value in kwargs.items()
    }


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    ("name", "kwargs", "expected"), GET_MATRIX, ids=[f"{m[0]}{m[1]}" for m in GET_MATRIX]
)
def test_page_access(client_for, runs, paid_year, persona, name, kwargs, expected):
    url = reverse(name, kwargs=fill(kwargs, runs, paid_year))
    check(client_for(persona), persona, url, expected)


CONFIRM = {"confirm": "yes"}  # what the confirm dialog posts (orgs.confirm)

POST_MATRIX = [
    ("payroll:run_recompute", {"pk": "{A01}"}, {}, "302 403 403 403 403 302 403 403"),
    ("payroll:run_recompute", {"pk": "{B01}"}, {}, "302 403 403 403 403 404 403 403"),
    ("payroll:run_confirm", {"pk": "{A01}"}, CONFIRM, "302 403 403 403 403 302 403 403"),
    ("payroll:run_confirm", {"pk": "{B01}"}, CONFIRM, "302 403 403 403 403 404 403 403"),
    (
        "payroll:run_list",
        {},
        {"institution": "A01", "month": "2026-02"},
        "302 403 403 403 403 302 403 403",
    ),
    (
        "payroll:policy_create",
        {},
        {
            "year": 2028,
            "institution": "A01",
            "per_capita": "36000",
            "basic_ratio": "0.6",
            "settlement_month": "2029-03",
        },
        "302 403 403 403 403 403 403 403",
    ),
    (
        "payroll:coefficients",
        {},
        {"tier_first": "1.3"},
        "200 403 403 403 403 403 403 403",  # HR: an incomplete form is shown again
    ),
    (
        "payroll:grades",
        {"year": 2026, "code": "A01"},
        {},
        "302 403 403 403 403 403 403 403",
    ),
]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    ("name", "kwargs", "data", "expected"), POST_MATRIX, ids=[f"{m[0]}{m[1]}" for m in POST_MATRIX]
)
def test_post_access(client_for, runs, paid_year, persona, name, kwargs, data, expected):
    url = reverse(name, kwargs=fill(kwargs, runs, paid_year))
    if name == "payroll:grades":
        data = {f"grade_{e.pk}": "qualified" for e in runs["A01"].institution.employees.all()}
    check(client_for(persona), persona, url, expected, "post", data)


@pytest.mark.parametrize(
    "name", ["payroll:run_recompute", "payroll:run_confirm"], ids=["recompute", "confirm"]
)
def test_run_actions_are_post_only(client_for, runs, name):
    assert client_for("hr").get(reverse(name, kwargs={"pk": runs["A01"].pk})).status_code == 405


# --- Runs ----------------------------------------------------------------------------------------


def test_payroll_officer_computes_and_confirms_their_month(client_for, world, paid_year):
    client = client_for("payroll")
    response = client.post(reverse("payroll:run_list"), {"institution": "A01", "month": "2026-01"})
    run = PayrollRun.objects.get(institution=world.a, month=JAN)
    assert response["Location"] == reverse("payroll:run_detail", kwargs={"pk": run.pk})
    page = html(client.get(response["Location"]))
    assert 'data-testid="line-table"' in page
    assert "A0000" in page and "5,800.50" in page and "17,401.50" in page
    assert 'data-testid="run-confirm"' in page

    page = html(
        client.post(reverse("payroll:run_confirm", kwargs={"pk": run.pk}), CONFIRM, follow=True)
    )
    assert "is confirmed" in page
    run.refresh_from_db()
    assert run.status == PayrollRun.Status.CONFIRMED
    assert run.confirmed_by == world.users["payroll"]
    assert 'data-testid="run-confirm"' not in page  # nothing left to confirm
    assert 'data-testid="no-differences"' in page

    # B01 is not theirs: not offered, not computed, its run is not found.
    response = client.post(reverse("payroll:run_list"), {"institution": "B01", "month": "2026-01"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not PayrollRun.objects.filter(institution=world.b).exists()
    b_run = services.payroll_run_compute(actor=None, institution=world.b, month=JAN)
    assert client.get(reverse("payroll:run_detail", kwargs={"pk": b_run.pk})).status_code == 404
    response = client.post(reverse("payroll:run_confirm", kwargs={"pk": b_run.pk}), CONFIRM)
    assert response.status_code == 404


def test_head_sees_totals_but_no_individual_lines(client_for, world, runs):
    page = html(
        client_for("head_a").get(reverse("payroll:run_detail", kwargs={"pk": runs["A01"].pk}))
    )
    assert "17,401.50" in page  # total gross
    assert "5,400.00" in page  # basic pool
    assert 'data-testid="totals-only"' in page
    for employee in world.a.employees.all():
        assert employee.staff_number not in page
        assert employee.name not in page
    assert 'data-testid="line-table"' not in page
    assert 'data-testid="run-confirm"' not in page
    assert 'data-testid="run-reconciliation"' not in page
    # Their run list shows their institution's run only.
    page = html(client_for("head_a").get(reverse("payroll:run_list")))
    assert f'data-run="{runs["A01"].pk}"' in page and f'data-run="{runs["B01"].pk}"' not in page


def test_auditor_reads_lines_but_cannot_act(client_for, runs):
    page = html(
        client_for("auditor").get(reverse("payroll:run_detail", kwargs={"pk": runs["B01"].pk}))
    )
    assert "B0000" in page
    assert 'data-testid="run-confirm"' not in page and 'data-testid="run-recompute"' not in page
    page = html(client_for("auditor").get(reverse("payroll:run_list")))
    assert 'data-testid="compute-form"' not in page


def test_compute_errors_are_shown(client_for, world, paid_year):
    client = client_for("hr")
    response = client.post(reverse("payroll:run_list"), {"institution": "C01", "month": "2026-01"})
    assert response.status_code == 200
    assert "has no pay policy for 2026" in response.content.decode()

    # Results not published yet: the settlement is computed, provisional, and not confirmed.
    Scheme.objects.filter(year=2026).update(status=Scheme.Status.REVIEW)
    client.post(reverse("payroll:run_list"), {"institution": "A01", "month": "2027-03"})
    run = PayrollRun.objects.get(institution=world.a, month="2027-03-01")
    assert run.provisional and run.settles_year == 2026
    response = client.post(reverse("payroll:run_confirm", args=[run.pk]), CONFIRM, follow=True)
    assert "not published yet" in response.content.decode()
    run.refresh_from_db()
    assert run.status == PayrollRun.Status.DRAFT
    run.delete()

    response = client.post(reverse("payroll:run_list"), {"institution": "A01", "month": "2026/1"})
    assert "Enter a month as YYYY-MM." in response.content.decode()
    assert not PayrollRun.objects.exists()


def test_run_list_filters_by_month_and_institution(client_for, world, runs):
    services.payroll_run_compute(actor=None, institution=world.a, month=DEC)
    client = client_for("hr")

    def shown(params):
        response = client.get(reverse("payroll:run_list"), params)
        return [(r.institution.code, f"{r.month:%Y-%m}") for r in response.context["page_obj"]]

    assert shown({}) == [("A01", "2026-12"), ("A01", "2026-01"), ("B01", "2026-01")]
    assert shown({"month": "2026-01"}) == [("A01", "2026-01"), ("B01", "2026-01")]
    assert shown({"month": "2026-01", "institution": "B01"}) == [("B01", "2026-01")]
    assert shown({"institution": "A01", "status": "confirmed"}) == []
    # A month chosen: its export for payment, refused while a run is a draft.
    month_export = reverse("payroll:month_export", kwargs={"month": "2026-01"})
    page = html(client.get(reverse("payroll:run_list"), {"month": "2026-01"}))
    assert 'data-testid="month-export-drafts"' in page and month_export not in page
    assert "A01、B01" in page
    assert month_export not in html(client.get(reverse("payroll:run_list")))
    page = html(client_for("head_a").get(reverse("payroll:run_list"), {"month": "2026-01"}))
    assert 'data-testid="month-export-card"' not in page


def test_month_export_dialog_says_what_is_marked(client_for, world, runs):
    """The month's export dialog: how many institutions, employees and how much, and how many
    runs are marked exported; once all are exported, a plain download (a GET) instead."""
    hr = world.users["hr"]
    for run in runs.values():
        services.payroll_run_confirm(actor=hr, run=run)
    client = client_for("hr")
    month_export = reverse("payroll:month_export", kwargs={"month": "2026-01"})
    response = client.get(reverse("payroll:run_list"), {"month": "2026-01"})
    page = html(response)
    dialog = page.split('data-testid="month-export"')[1].split("</dialog>")[0]
    assert f'action="{month_export}"' in page.split('data-testid="month-export"')[0][-300:]
    assert "2 institutions" in dialog and "6 employees" in dialog and "34,803.00" in dialog
    assert "2 confirmed runs are marked exported" in dialog
    assert 'name="confirm" value="yes"' in page
    summary = response.context["month_export"]
    assert (len(summary.to_mark), summary.lines, summary.gross) == (2, 6, D("34803.00"))
    # Exported already: nothing left to mark, the file is a plain download.
    for run in runs.values():
        services.payroll_run_mark_exported(actor=hr, run=run)
    page = html(client.get(reverse("payroll:run_list"), {"month": "2026-01"}))
    assert f'href="{month_export}" data-testid="month-export"' in page
    assert 'data-testid="month-export-open"' not in page


def test_confirmed_run_is_not_recomputed_and_shows_differences(client_for, world, runs):
    run, client = runs["A01"], client_for("hr")
    client.post(reverse("payroll:run_confirm", kwargs={"pk": run.pk}), CONFIRM)
    before = lines_of(run)
    employee = world.a.employees.order_by("staff_number").first()
    employee.post_wage += D("100")
    employee.save()

    page = html(client.post(reverse("payroll:run_recompute", kwargs={"pk": run.pk}), follow=True))
    assert "A confirmed run is never recomputed" in page
    response = client.post(reverse("payroll:run_list"), {"institution": "A01", "month": "2026-01"})
    assert response["Location"] == reverse("payroll:run_detail", kwargs={"pk": run.pk})
    run.refresh_from_db()
    assert run.status == PayrollRun.Status.CONFIRMED
    assert lines_of(run) == before

    page = html(client.get(reverse("payroll:run_detail", kwargs={"pk": run.pk})))
    assert 'data-testid="difference-table"' in page
    assert "Shown, not applied" in page
    differences = client.get(reverse("payroll:run_detail", kwargs={"pk": run.pk})).context[
        "differences"
    ]
    assert [(d["staff_number"], d["difference"]) for d in differences] == [
        (employee.staff_number, D("100"))
    ]
    # The head of A01 sees the totals, not the differences (they name people).
    page = html(client_for("head_a").get(reverse("payroll:run_detail", kwargs={"pk": run.pk})))
    assert 'data-testid="run-differences"' not in page and employee.staff_number not in page


def test_confirm_twice_is_refused(client_for, runs):
    run, client = runs["A01"], client_for("payroll")
    client.post(reverse("payroll:run_confirm", kwargs={"pk": run.pk}), CONFIRM)
    page = html(
        client.post(reverse("payroll:run_confirm", kwargs={"pk": run.pk}), CONFIRM, follow=True)
    )
    assert "This payroll run is confirmed already." in page


def test_stale_draft_is_recomputed_instead_of_confirmed(client_for, world, runs):
    run, client = runs["A01"], client_for("hr")
    employee = world.a.employees.order_by("staff_number").first()
    employee.grade_wage += D("1")
    employee.save()
    page = html(
        client.post(reverse("payroll:run_confirm", kwargs={"pk": run.pk}), CONFIRM, follow=True)
    )
    assert "it has been recomputed, review it again" in page
    run.refresh_from_db()
    assert run.status == PayrollRun.Status.DRAFT
    assert run.lines.get(employee=employee).grade_wage == employee.grade_wage


def test_recompute_a_draft(client_for, world, runs):
    run, client = runs["A01"], client_for("payroll")
    EmployeeFactory(staff_number="A0100", institution=world.a, is_formal=False)
    page = html(client.post(reverse("payroll:run_recompute", kwargs={"pk": run.pk}), follow=True))
    assert "is recomputed" in page and "A0100" in page
    assert run.lines.count() == 4


def test_confirming_needs_the_dialogs_confirmation(client_for, world, runs):
    """The run page's Confirm opens a dialog that says what is confirmed (the month, the
    institution, how many people and how much); a POST without its confirm=yes is refused (400)
    and changes nothing."""
    run, client = runs["A01"], client_for("payroll")
    url = reverse("payroll:run_detail", kwargs={"pk": run.pk})
    page = html(client.get(url))
    dialog = page.split('data-testid="run-confirm"')[1].split("</dialog>")[0]
    assert "Confirm the 2026-01 run of A01 甲机构" in page
    assert "3 employees" in dialog and "17,401.50" in dialog and "never changes" in dialog
    confirm = reverse("payroll:run_confirm", kwargs={"pk": run.pk})
    for data in ({}, {"confirm": "no"}):
        response = client.post(confirm, data)
        assert response.status_code == 400
        assert 'data-testid="confirm-refused"' in response.content.decode()
    run.refresh_from_db()
    assert run.status == PayrollRun.Status.DRAFT and run.confirmed_at is None
    assert client.post(confirm, CONFIRM).status_code == 302
    run.refresh_from_db()
    assert run.status == PayrollRun.Status.CONFIRMED


def test_run_page_links_to_export_and_reconciliation(client_for, world, runs):
    run = runs["A01"]
    url = reverse("payroll:run_detail", kwargs={"pk": run.pk})
    page = html(client_for("hr").get(url))
    assert 'data-testid="run-reconciliation"' in page
    assert 'data-testid="run-export"' not in page  # a draft is not exported for payment
    services.payroll_run_confirm(actor=world.users["hr"], run=run)
    export = reverse("payroll:run_export", kwargs={"pk": run.pk})
    assert export in html(client_for("payroll").get(url))
    # The export is the payroll officers' and HR's; auditors read the page without it.
    page = html(client_for("auditor").get(url))
    assert export not in page and 'data-testid="run-reconciliation"' in page


# --- Sorting -------------------------------------------------------------------------------------


def test_runs_sort_by_column_with_a_stable_tie_breaker(client_for, world, runs):
    employee = world.a.employees.order_by("staff_number").first()
    employee.post_wage += D("100")  # December pays A01 more than January
    employee.save()
    services.payroll_run_compute(actor=None, institution=world.a, month=DEC)
    client = client_for("hr")

    def shown(ordering):
        response = client.get(reverse("payroll:run_list"), {"ordering": ordering})
        return [(r.institution.code, f"{r.month:%Y-%m}") for r in response.context["page_obj"]]

    # A01 and B01 pay the same in January: the tie keeps the list's own order (month, code).
    assert shown("total_gross") == [("A01", "2026-01"), ("B01", "2026-01"), ("A01", "2026-12")]
    assert shown("-total_gross") == [("A01", "2026-12"), ("A01", "2026-01"), ("B01", "2026-01")]
    assert shown("-institution") == [("B01", "2026-01"), ("A01", "2026-12"), ("A01", "2026-01")]
    assert shown("month") == [("A01", "2026-01"), ("B01", "2026-01"), ("A01", "2026-12")]
    assert shown("nonsense") == shown("")  # not a column: the default order
    page = html(client.get(reverse("payroll:run_list"), {"ordering": "-total_gross"}))
    assert 'aria-sort="descending"' in page and "?ordering=total_gross" in page
    # The API sorts through the same filter set, and refuses what is not a column.
    api = client.get("/api/v1/payroll-runs/", {"ordering": "-institution"}).json()
    assert [r["institution"] for r in api["results"]] == ["B01", "A01", "A01"]
    assert client.get("/api/v1/payroll-runs/", {"ordering": "lines"}).status_code == 400


def test_lines_and_policies_sort_by_column(client_for, world, paid_year):
    employee = world.a.employees.order_by("staff_number").last()
    employee.post_wage += D("1000")
    employee.save()
    run = services.payroll_run_compute(actor=None, institution=world.a, month=JAN)
    client = client_for("hr")
    url = reverse("payroll:run_detail", kwargs={"pk": run.pk})
    lines = client.get(url, {"ordering": "-gross"}).context["lines"]
    assert lines[0].staff_number == employee.staff_number
    assert [x.staff_number for x in lines[1:]] == sorted(x.staff_number for x in lines[1:])
    assert [x.staff_number for x in client.get(url, {"ordering": "-staff_number"}).context[
        "lines"
    ]] == sorted((x.staff_number for x in lines), reverse=True)  # fmt: skip
    api = client.get("/api/v1/payroll-lines/", {"run": run.pk, "ordering": "-gross"}).json()
    assert api["results"][0]["staff_number"] == employee.staff_number

    PayPolicy.objects.filter(year=2027, institution=world.b).update(per_capita=D("40000"))
    response = client.get(reverse("payroll:policy_list"), {"ordering": "-per_capita"})
    shown = [(p.year, p.institution.code) for p in response.context["page_obj"]]
    assert shown == [(2027, "B01"), (2027, "A01"), (2026, "A01"), (2026, "B01")]
    api = client.get("/api/v1/pay-policies/", {"ordering": "institution"}).json()
    assert [(r["institution"], r["year"]) for r in api["results"]] == [
        ("A01", 2027), ("A01", 2026), ("B01", 2027), ("B01", 2026)
    ]  # fmt: skip


# --- Reconciliation ------------------------------------------------------------------------------


def test_reconciliation_report(client_for, world, paid_year):
    hr = world.users["hr"]
    run = services.payroll_run_compute(actor=None, institution=world.a, month=DEC)
    url = reverse("payroll:reconciliation", kwargs={"pk": run.pk})
    page = html(client_for("hr").get(url))
    assert 'data-state="no_run"' in page and "no confirmed run yet" in page

    services.payroll_run_confirm(actor=hr, run=run)
    # Confirmed, no paid wages imported for December yet: not yet reconciled (未对账), in grey,
    # with the way to import them; nobody is "not paid" before anything was imported.
    response = client_for("payroll").get(url)
    page = html(response)
    assert 'data-state="not_imported"' in page and 'data-reconciled="pending"' in page
    assert "Not yet reconciled" in page and "bg-secondary-lt" in page
    assert "bg-red-lt" not in page and "alert-danger" not in page and "text-danger" not in page
    assert reverse("payroll:paid_import") + "?month=2026-12" in page
    assert 'data-testid="missing"' not in page and 'data-testid="count-missing"' not in page
    assert response.context["report"].state == "not_imported"
    lines = list(run.lines.order_by("staff_number"))
    for line in lines:
        PaidWage.objects.create(
            month=DEC, staff_number=line.staff_number, employee=line.employee, gross=line.gross,
            imported_by=hr,
        )  # fmt: skip
    response = client_for("payroll").get(url)
    assert 'data-reconciled="yes"' in html(response) and 'data-state="reconciled"' in html(response)
    assert response.context["counts"] == {
        "matches": 3, "differences": 0, "missing": 0, "unexpected": 0
    }  # fmt: skip

    PaidWage.objects.filter(staff_number=lines[1].staff_number).update(gross=lines[1].gross - 1)
    PaidWage.objects.filter(staff_number=lines[2].staff_number).delete()
    response = client_for("auditor").get(url)
    page = html(response)
    assert 'data-reconciled="no"' in page and 'data-state="differs"' in page
    assert response.context["counts"] == {
        "matches": 1, "differences": 1, "missing": 1, "unexpected": 0
    }  # fmt: skip
    assert "-1.00" in page and "bg-red-lt" in page  # differences show in red once imported


# --- Policies ------------------------------------------------------------------------------------


POLICY = {
    "year": 2028,
    "institution": "A01",
    "per_capita": "36000.00",
    "basic_ratio": "0.6",
    "settlement_month": "2029-03",
}


def test_policy_form_refuses_a_ratio_outside_the_range(client_for, world, paid_year):
    client = client_for("hr")
    response = client.post(reverse("payroll:policy_create"), POLICY | {"basic_ratio": "0.8"})
    assert response.status_code == 200
    assert "The basic ratio must be between 0.5 and 0.7" in response.content.decode()
    assert not PayPolicy.objects.filter(year=2028).exists()

    response = client.post(reverse("payroll:policy_create"), POLICY)
    assert response["Location"] == reverse("payroll:policy_list") + "?year=2028"
    policy = PayPolicy.objects.get(year=2028, institution=world.a)
    assert policy.formal_staff == 3 and policy.settlement_month == datetime.date(2029, 3, 1)

    response = client.post(reverse("payroll:policy_create"), POLICY)
    assert "A01 has a pay policy for 2028 already" in response.content.decode()


def test_policy_edit_keeps_year_and_institution(client_for, world, paid_year):
    policy = paid_year.policies["A01"]
    url = reverse("payroll:policy_edit", kwargs={"pk": policy.pk})
    data = POLICY | {"year": 2030, "institution": "B01", "basic_ratio": "0.65", "formal_staff": 5}
    response = client_for("hr").post(url, data)
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.year, policy.institution, policy.basic_ratio) == (2026, world.a, D("0.65"))
    assert policy.formal_staff == 5
    page = html(client_for("hr").get(url))
    assert "0.650" in page


def test_policy_list_is_scoped_and_filtered(client_for, paid_year):
    def shown(persona, params=None):
        response = client_for(persona).get(reverse("payroll:policy_list"), params or {})
        return sorted((p.year, p.institution.code) for p in response.context["page_obj"])

    everything = [(2026, "A01"), (2026, "B01"), (2027, "A01"), (2027, "B01")]
    assert shown("hr") == everything
    assert shown("auditor") == everything
    assert shown("payroll") == [(2026, "A01"), (2027, "A01")]
    assert shown("hr", {"year": 2027}) == [(2027, "A01"), (2027, "B01")]
    page = html(client_for("auditor").get(reverse("payroll:policy_list")))
    assert 'data-testid="policy-new"' not in page


# --- Coefficients and grades ---------------------------------------------------------------------


def coefficient_form(**changes):
    data = {
        "tier_first": "1.20", "tier_second": "1.15", "tier_third": "1.10",
        "tier_qualified": "1.00", "tier_vetoed": "0.90", "tier_unqualified": "0.80",
        "grade_excellent": "1.2", "grade_qualified": "1.0", "grade_basic": "0.5",
        "grade_unqualified": "0", "excellent_share": "0.20",
    }  # fmt: skip
    return data | changes


def test_coefficients_are_saved_by_hr_and_read_by_the_auditor(client_for, world):
    client = client_for("hr")
    response = client.post(
        reverse("payroll:coefficients"), coefficient_form(tier_first="1.25", excellent_share="0.3")
    )
    assert response.status_code == 302
    assert TierCoefficient.objects.get(tier="first").coefficient == D("1.25")
    assert GradeCoefficient.objects.get(grade="excellent").cap_share == D("0.3")

    response = client.post(reverse("payroll:coefficients"), coefficient_form(excellent_share="1.5"))
    assert "The share must be above 0 and at most 1." in response.content.decode()
    response = client.post(reverse("payroll:coefficients"), coefficient_form(grade_basic="-1"))
    assert response.status_code == 200 and response.context["form"].errors["grade_basic"]
    assert GradeCoefficient.objects.get(grade="basic").coefficient == D("0.5")

    page = html(client_for("auditor").get(reverse("payroll:coefficients")))
    assert 'data-testid="coefficients-form"' not in page
    assert "1.250" in page
    assert (
        client_for("auditor").post(reverse("payroll:coefficients"), coefficient_form()).status_code
        == 403
    )


def test_grades_over_the_cap_are_refused_naming_the_institution(client_for, world, paid_year):
    staff = list(world.a.employees.order_by("staff_number"))
    url = reverse("payroll:grades", kwargs={"year": 2026, "code": "A01"})
    data = {f"grade_{e.pk}": "qualified" for e in staff}
    client = client_for("hr")

    response = client.post(
        url, data | {f"grade_{staff[0].pk}": "excellent", f"grade_{staff[1].pk}": "excellent"}
    )
    assert response.status_code == 200
    errors = response.content.decode().split('data-testid="grades-errors"')[1]
    assert "A01" in errors.split("</ul>")[0]
    assert not IndividualGrade.objects.exists()

    response = client.post(url, data | {f"grade_{staff[0].pk}": "excellent"})
    assert response.status_code == 302
    # Only the change is recorded: the others still count as 合格 without a row.
    assert list(IndividualGrade.objects.values_list("employee", "grade")) == [
        (staff[0].pk, "excellent")
    ]
    page = html(client_for("payroll").get(url))
    assert 'data-testid="grades-save"' not in page and "disabled" in page


# --- Query counts --------------------------------------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


# session, user, count, page of runs, the filter's institutions, the compute form's institutions
# (HR and payroll officers only).
RUN_LIST_QUERIES = {"hr": 6, "payroll": 6, "head_a": 5, "auditor": 5}


@pytest.mark.parametrize("persona", list(RUN_LIST_QUERIES))
def test_run_list_query_count_is_fixed(client_for, world, paid_year, persona):
    client, url = client_for(persona), reverse("payroll:run_list")
    for inst in (world.a, world.b):
        services.payroll_run_compute(actor=None, institution=inst, month=JAN)
    services.payroll_run_compute(actor=None, institution=world.a, month=DEC)  # 3 runs
    few = count_queries(client, url)
    months = [datetime.date(2026, m, 1) for m in range(2, 12)] + [
        datetime.date(2027, m, 1) for m in (1, 2, 3)
    ]
    for inst in (world.a, world.b):
        for month in months:
            services.payroll_run_compute(actor=None, institution=inst, month=month)
    services.payroll_run_compute(actor=None, institution=world.b, month=DEC)
    assert PayrollRun.objects.count() == 30
    assert count_queries(client, url) == few == RUN_LIST_QUERIES[persona]
    assert count_queries(client, f"{url}?ordering=-total_gross") == few


# session, user, run, column totals, lines (not for a head), whether the payroll officer runs
# this institution's payroll; a confirmed run adds the differences' fixed set of queries.
RUN_DETAIL_QUERIES = {"hr": 5, "payroll": 6, "head_a": 4, "auditor": 5}


@pytest.mark.parametrize("confirmed", [False, True], ids=["draft", "confirmed"])
@pytest.mark.parametrize("persona", list(RUN_DETAIL_QUERIES))
def test_run_detail_query_count_is_fixed(client_for, world, paid_year, persona, confirmed):
    client = client_for(persona)

    def fresh_run():
        PayrollRun.objects.all().delete()
        run = services.payroll_run_compute(actor=None, institution=world.a, month=JAN)
        if confirmed:
            services.payroll_run_confirm(actor=world.users["hr"], run=run)
        return reverse("payroll:run_detail", kwargs={"pk": run.pk})

    few = count_queries(client, fresh_run())
    for i in range(27):
        EmployeeFactory(staff_number=f"A{i + 100:04d}", institution=world.a)
    url = fresh_run()
    assert PayrollRun.objects.get().lines.count() == 30
    assert count_queries(client, url) == few
    if not confirmed:
        assert few == RUN_DETAIL_QUERIES[persona]
