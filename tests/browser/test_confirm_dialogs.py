"""Irreversible actions of the acceptance and the bulletins stop at their confirm dialog (issue 15,
part 4), at a laptop's size: HR closing a batch and publishing a monthly bulletin sees what will
happen to whom, with counts; Cancel closes the dialog and nothing changes; confirming does it. And
the inspection page, used on site, fits a phone (390×844) without sideways scrolling, its dialogs
too. The browser asks for Chinese; the checks read data attributes and codes."""

import datetime
from contextlib import contextmanager

import pytest

from acceptance import services as acceptance
from acceptance.models import Batch
from bulletins import services as bulletins
from bulletins.models import Bulletin, ExplanationRequest

from ..acceptance.conftest import confirm_month, pilots  # noqa: F401 — the fixture
from ..bulletins.conftest import ranked  # noqa: F401 — the fixture: a year with results
from .test_scoring import log_in

pytestmark = [pytest.mark.browser]

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@contextmanager
def screen(browser, viewport):
    phone = viewport == PHONE
    context = browser.new_context(
        locale="zh-CN", viewport=viewport, is_mobile=phone, has_touch=phone
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


def no_sideways_scroll(page, viewport):
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]


def open_dialog(page, testid):
    page.click(f"[data-testid={testid}-open]")
    dialog = page.locator("dialog[open]")
    dialog.wait_for()
    return dialog


def cancel(page, dialog):
    dialog.locator("[data-confirm-close]").click()
    page.wait_for_selector("dialog[open]", state="detached")


def test_closing_a_batch_stops_at_its_dialog(transactional_db, world, pilots, live_server, browser):  # noqa: F811
    batch = acceptance.batch_create(
        actor=world.users["hr"],
        name="第一批",
        team=pilots.team,
        date=datetime.date(2026, 11, 20),
        institutions=pilots.institutions[:5],
    )
    acceptance.batch_start(actor=world.users["hr"], batch=batch)
    member = world.users["acceptance"]
    for inspection in batch.inspections.select_related("institution"):
        if inspection.institution.code == "P01":
            acceptance.inspection_decide(actor=member, inspection=inspection, passed=False)
            continue
        confirm_month(world, inspection.institution)
        for item in pilots.standard.items.filter(method="tick"):
            acceptance.tick_save(actor=member, inspection=inspection, item=item, met=True)
        acceptance.inspection_decide(actor=member, inspection=inspection, passed=True)

    with screen(browser, LAPTOP) as hr:
        log_in(hr, live_server, "hr")
        hr.goto(f"{live_server.url}/acceptance/batches/{batch.pk}/")
        no_sideways_scroll(hr, LAPTOP)
        dialog = open_dialog(hr, "batch-close")
        summary = dialog.locator("[data-testid=batch-close-summary]").inner_text()
        assert "第一批" in summary and "5" in summary and "4" in summary and "1" in summary
        assert "P01" in dialog.inner_text()  # the failed one, named with its next round
        cancel(hr, dialog)
        batch.refresh_from_db()
        assert batch.status == Batch.Status.IN_PROGRESS
        assert hr.locator("[data-testid=batch-status]").get_attribute("data-status") == (
            "in_progress"
        )

        dialog = open_dialog(hr, "batch-close")
        with hr.expect_navigation():
            dialog.locator("[data-testid=batch-close-submit]").click()
        assert hr.locator("[data-testid=batch-status]").get_attribute("data-status") == "closed"
    batch.refresh_from_db()
    assert batch.status == Batch.Status.CLOSED


def test_publishing_a_bulletin_stops_at_its_dialog(
    transactional_db,
    world,
    year,
    ranked,  # noqa: F811
    live_server,
    browser,
):
    bulletin = bulletins.bulletin_generate(
        scheme=ranked.scheme, kind="monthly", day=datetime.date(2026, 11, 1)
    )
    with screen(browser, LAPTOP) as hr:
        log_in(hr, live_server, "hr")
        hr.goto(f"{live_server.url}/bulletins/{bulletin.pk}/")
        no_sideways_scroll(hr, LAPTOP)
        dialog = open_dialog(hr, "bulletin-publish")
        assert "7" in dialog.locator("[data-testid=publish-summary]").inner_text()
        asked = dialog.locator("[data-testid=publish-asked]").inner_text()
        assert "4" in asked  # the bottom two of each group: A01, E01, F01, G01
        text = dialog.inner_text()
        assert all(code in text for code in ("A01", "E01", "F01", "G01"))
        cancel(hr, dialog)
        bulletin.refresh_from_db()
        assert bulletin.status == Bulletin.Status.DRAFT
        assert not ExplanationRequest.objects.exists()

        dialog = open_dialog(hr, "bulletin-publish")
        with hr.expect_navigation():
            dialog.locator("[data-testid=bulletin-publish-submit]").click()
        assert hr.locator("[data-testid=bulletin-status]").get_attribute("data-status") == (
            "published"
        )
    bulletin.refresh_from_db()
    assert bulletin.status == Bulletin.Status.PUBLISHED
    assert ExplanationRequest.objects.count() == 4


def test_the_inspection_page_fits_a_phone(transactional_db, world, pilots, live_server, browser):  # noqa: F811
    batch = acceptance.batch_create(
        actor=world.users["hr"],
        name="第一批",
        team=pilots.team,
        date=datetime.date(2026, 11, 20),
        institutions=pilots.institutions[:5],
    )
    p01 = batch.inspections.get(institution__code="P01")
    with screen(browser, PHONE) as member:
        log_in(member, live_server, "acceptance")
        member.goto(f"{live_server.url}/acceptance/inspections/{p01.pk}/")
        no_sideways_scroll(member, PHONE)
        # Every item has its form with thumb-sized choices, and the two decisions side by side.
        assert member.locator("[data-testid=tick-form]").count() == 4
        for button in ("decide-pass-open", "decide-fail-open"):
            box = member.locator(f"[data-testid={button}]").bounding_box()
            assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        dialog = open_dialog(member, "decide-fail")
        box = dialog.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        no_sideways_scroll(member, PHONE)
        cancel(member, dialog)
        p01.refresh_from_db()
        assert p01.result == "pending"
