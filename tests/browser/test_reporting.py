"""数据填报 on a phone (390×844) in headless Chromium: the contact person enters a figure and
submits through the confirm dialog; the page never scrolls sideways. SCREENSHOTS=dir keeps
pictures."""

import os

import pytest

from reporting.models import Report

from ..factories import PASSWORD
from ..reporting.conftest import ratio  # noqa: F401 — B3 营业收入 with A01's 上半年 target

pytestmark = pytest.mark.django_db(transaction=True)
PHONE = {"width": 390, "height": 844}


def _log_in(browser, live_server, username, viewport):
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(f"{live_server.url}/")
    return context, page


def _shot(page, name):
    folder = os.environ.get("SCREENSHOTS")
    if folder:
        page.screenshot(path=os.path.join(folder, f"{name}.png"), full_page=True)


def _no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1


def test_a_contact_person_reports_on_a_phone(browser, live_server, world, year, ratio):  # noqa: F811
    context, page = _log_in(browser, live_server, "contact_a", PHONE)
    page.goto(f"{live_server.url}/reporting/")
    _no_sideways_scroll(page)
    _shot(page, "list-phone")
    page.click("[data-testid=start-2026-h1]")
    page.wait_for_url("**/reporting/reports/*/")
    _no_sideways_scroll(page)
    page.fill("[data-testid=actual_value-B3]", "600")
    page.fill("[data-testid=note-B3]", "上半年营业收入600万元")
    _shot(page, "report-phone")
    page.click("[data-testid=item-save-B3]")
    page.wait_for_url("**/reporting/reports/*/#item-B3")
    page.click("[data-testid=submit-open]")
    _shot(page, "submit-dialog-phone")
    page.click("[data-testid=submit-submit]")
    page.wait_for_selector("[data-testid=report-status][data-status=awaiting_head]")
    _no_sideways_scroll(page)
    report = Report.objects.get(institution=world.a)
    assert report.status == Report.Status.AWAITING_HEAD
    context.close()

    context, page = _log_in(browser, live_server, "head_a", {"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/reporting/reports/{report.pk}/")
    page.click("[data-testid=approve-open]")
    page.click("[data-testid=approve-submit]")
    page.wait_for_selector("[data-testid=report-status][data-status=in_review]")
    _shot(page, "report-desktop")
    context.close()

    context, page = _log_in(browser, live_server, "scorer", PHONE)
    page.goto(f"{live_server.url}/reporting/queue/")
    _shot(page, "queue-phone")
    page.click("[data-testid=item-link]")
    page.click("[data-testid=first-correct-B3-open]")
    page.fill("dialog[open] input[name=actual_value]", "580")
    page.fill("dialog[open] textarea[name=reason]", "以财务报表为准")
    _shot(page, "correct-dialog-phone")
    page.click("[data-testid=first-correct-B3-submit]")
    page.wait_for_selector("[data-testid=item][data-status=second_review]")
    _no_sideways_scroll(page)
    context.close()
