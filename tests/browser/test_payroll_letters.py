"""Irreversible payroll and letters actions stop at their dialog in Chromium at 1366×768 (issue 15,
part 4): confirming a payroll run and issuing the head's letters open a dialog that says what
happens to whom; Cancel changes nothing, the dialog's own button does it. And the converted pages
do not scroll sideways, at a laptop's and a phone's size."""

import datetime

import pytest

from letters import services as letter_services
from letters.models import Letter
from payroll import services
from payroll.models import PayrollRun

from ..factories import PASSWORD
from ..letters.conftest import letter  # noqa: F401 — the fixture: A01's head letter, issued
from ..payroll.conftest import paid_year  # noqa: F401 — 2026 published, A01's and B01's policies
from .test_layout import SIDEWAYS

pytestmark = [pytest.mark.browser]

LAPTOP, PHONE = (1366, 768), (390, 844)
JANUARY = datetime.date(2026, 1, 1)


def logged_in(browser, live_server, username, size=LAPTOP):
    width, height = size
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(f"{live_server.url}/")
    return context, page


def open_dialog(page, testid):
    page.click(f"[data-testid={testid}-open]")
    dialog = page.locator("dialog[open]")
    dialog.wait_for()
    return dialog


def cancel(page, dialog):
    dialog.locator("[data-confirm-close]").click()
    page.wait_for_selector("dialog[open]", state="detached")


def test_confirming_a_payroll_run_stops_at_the_dialog(
    transactional_db,
    world,
    paid_year,  # noqa: F811
    live_server,
    browser,
):
    run = services.payroll_run_compute(actor=None, institution=world.a, month=JANUARY)
    url = f"{live_server.url}/payroll/runs/{run.pk}/"
    context, page = logged_in(browser, live_server, "payroll")
    try:
        page.goto(url)
        dialog = open_dialog(page, "run-confirm")
        text = dialog.inner_text()
        # What is confirmed, for whom, with how many people and how much (the UI is Chinese).
        assert "A01 甲机构" in text and "2026-01" in text
        assert "3 人" in text and "17,401.50" in text
        assert page.evaluate(SIDEWAYS) <= 0
        cancel(page, dialog)
        assert page.url == url
        run.refresh_from_db()
        assert run.status == PayrollRun.Status.DRAFT

        dialog = open_dialog(page, "run-confirm")
        dialog.locator("[data-testid=run-confirm-submit]").click()
        page.wait_for_selector("[data-testid=run-status].status-confirmed")
        run.refresh_from_db()
        assert run.status == PayrollRun.Status.CONFIRMED
        assert run.confirmed_by == world.users["payroll"]
        # Confirmed: the page now offers the export for payment, behind its own dialog.
        dialog = open_dialog(page, "run-export")
        assert "17,401.50" in dialog.inner_text()
        cancel(page, dialog)
        run.refresh_from_db()
        assert run.status == PayrollRun.Status.CONFIRMED
    finally:
        context.close()


def test_issuing_letters_stops_at_the_dialog(
    transactional_db,
    world,
    year,
    letter,  # noqa: F811
    live_server,
    browser,
):
    url = f"{live_server.url}/letters/status/2026/"
    context, page = logged_in(browser, live_server, "hr")
    try:
        page.goto(url)
        assert page.locator("[data-testid=issue-new] [data-value]").inner_text() == "1"
        dialog = open_dialog(page, "issue-all")
        text = dialog.inner_text()
        assert "B01 乙机构" in text and "2026" in text
        assert "丙机构" not in text  # no head: skipped, and said so in a count
        cancel(page, dialog)
        assert page.url == url
        assert not Letter.objects.filter(institution=world.b).exists()

        dialog = open_dialog(page, "issue-all")
        dialog.locator("[data-testid=issue-all-submit]").click()
        page.wait_for_selector("[data-testid=messages]")
        assert Letter.objects.filter(institution=world.b, level="head").count() == 1
        assert Letter.objects.filter(institution=world.a, level="head").count() == 1  # unchanged
        # Now every letter is up to date: the button is there, but nothing is left to issue.
        assert page.locator("[data-testid=issue-all-open]").is_disabled()
    finally:
        context.close()


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_the_pages_do_not_scroll_sideways(
    transactional_db,
    world,
    paid_year,  # noqa: F811
    live_server,
    browser,
    size,
):
    draft = services.payroll_run_compute(actor=None, institution=world.a, month=JANUARY)
    issued = letter_services.letter_issue(
        actor=world.users["hr"], scheme=paid_year.year.scheme, institution=world.a
    )
    context, page = logged_in(browser, live_server, "hr", size)
    try:
        for path in (
            "/payroll/runs/",
            "/payroll/runs/?month=2026-01",
            f"/payroll/runs/{draft.pk}/",
            f"/payroll/runs/{draft.pk}/reconciliation/",
            "/payroll/policies/",
            "/payroll/coefficients/",
            "/payroll/grades/2026/A01/",
            "/payroll/imports/",
            "/payroll/paid/",
            "/letters/years/2026/",
            "/letters/status/2026/",
            f"/letters/{issued.pk}/",
            "/orgs/notifications/",
        ):
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, path
            assert page.evaluate(SIDEWAYS) <= 0, path
    finally:
        context.close()
