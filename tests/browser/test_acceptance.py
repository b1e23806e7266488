"""Acceptance end to end in Chromium at phone width (issue 6): the acceptance member ticks a batch's
checklist on site, is refused a pass while October's wages are unconfirmed, and fails the
institution; HR closes the batch, is refused batches of 4 and 9, and puts the institution in a
later batch as round 2; there the member ticks again and, once the due months are confirmed,
passes it."""

import datetime
import re
from contextlib import contextmanager

import pytest

from acceptance import services
from acceptance.models import Batch, Inspection, Tick

from ..acceptance.conftest import confirm_month, pilots  # noqa: F401 — the fixture
from .test_scoring import PDF, log_in

pytestmark = [pytest.mark.browser]

PHONE = {"width": 390, "height": 844}
TICKED = ("ENV", "DATA", "TRAIN", "TEST")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@contextmanager
def phone(browser):
    """A user on a phone, in a browser context of their own."""
    context = browser.new_context(
        locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


def fits_the_screen(page):
    """Nothing makes the page scroll sideways (wide tables scroll inside their own box)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width


def item(page, code):
    return page.locator(f"[data-testid=tick-item][data-code={code}]")


def tick_all(page, evidence_on="ENV"):
    for code in TICKED:
        article = item(page, code)
        article.locator("input[name=met][value=yes]").check()
        article.locator("textarea[name=note]").fill(f"{code} 现场核实")
        if code == evidence_on:
            article.locator("input[name=evidence]").set_input_files(
                files=[{"name": "env.pdf", "mimeType": "application/pdf", "buffer": PDF}]
            )
        with page.expect_navigation():
            article.locator("[data-testid=tick-submit]").click()
        assert item(page, code).get_attribute("data-met") == "yes"


def refused_size(page, size):
    alert = page.locator("[data-testid=batch-errors]")
    text = alert.inner_text()
    # The service's message, in whichever language the catalogue gives it: 5 to 8, not `size`.
    assert "5" in text and "8" in text and str(size) in text, text


def test_member_fails_then_passes_in_round_2_hr_refused_4_and_9(
    transactional_db,
    world,
    pilots,  # noqa: F811
    live_server,
    browser,
    media,
):
    first = services.batch_create(
        actor=world.users["hr"],
        name="第一批",
        team=pilots.team,
        date=datetime.date(2026, 11, 20),
        institutions=pilots.institutions[:5],
    )
    p01 = first.inspections.get(institution__code="P01")

    with phone(browser) as member:
        # The member opens the batch and P01's checklist on their phone.
        log_in(member, live_server, "acceptance")
        member.goto(f"{live_server.url}/acceptance/batches/")
        member.click(f"tr[data-batch='{first.pk}'] [data-testid=batch-link]")
        member.wait_for_url(f"**/acceptance/batches/{first.pk}/")
        fits_the_screen(member)
        member.click("[data-testid=batch-start-open]")
        with member.expect_navigation():
            member.click("[data-testid=batch-start-submit]")
        assert member.locator("[data-testid=batch-status]").get_attribute("data-status") == (
            "in_progress"
        )
        member.click("tr[data-code=P01] [data-testid=inspection-link]")
        member.wait_for_url(f"**/acceptance/inspections/{p01.pk}/")
        assert member.locator("[data-testid=inspection-round]").get_attribute("data-round") == "1"
        fits_the_screen(member)
        # The yes/no choices are big enough to hit with a thumb.
        box = item(member, "ENV").locator("label.choice-yes").bounding_box()
        assert box["height"] >= 44 and box["width"] >= 120, box

        tick_all(member)
        assert Tick.objects.filter(inspection=p01, met=True).count() == 4
        assert Tick.objects.get(inspection=p01, item__code="ENV").evidence.name.endswith(".pdf")
        assert item(member, "ENV").locator("[data-testid=tick-evidence]").count() == 1

        # October has no confirmed payroll: the page names the month that fails
        # and holds the pass back.
        october = member.locator("[data-testid=payroll-month][data-month='2026-10']")
        assert october.get_attribute("data-ok") == "no"
        assert october.locator("[data-col=reason]").inner_text().strip()
        assert item(member, "PAY").get_attribute("data-met") == "no"
        assert member.locator("[data-testid=decide-pass-open]").is_disabled()
        assert "工资按系统发放" in member.locator("[data-testid=unmet-hint]").inner_text()
        p01.refresh_from_db()
        assert p01.result == Inspection.Result.PENDING

        # So the member fails it: the dialog names what is not met, the note is its reason.
        member.click("[data-testid=decide-fail-open]")
        dialog = member.locator("[data-testid=decide-fail]")
        assert "工资按系统发放" in dialog.inner_text()
        fits_the_screen(member)
        dialog.locator("textarea[name=reason]").fill("十月工资未按系统发放")
        with member.expect_navigation():
            member.click("[data-testid=decide-fail-submit]")
        assert member.locator("[data-testid=inspection-result]").get_attribute("data-result") == (
            "failed"
        )
        assert member.locator("[data-testid=tick-form]").count() == 0
        p01.refresh_from_db()
        assert p01.result == Inspection.Result.FAILED

    # The rest of the batch is decided elsewhere; HR closes it.
    for other in first.inspections.exclude(pk=p01.pk):
        services.inspection_decide(actor=world.users["acceptance"], inspection=other, passed=False)

    with phone(browser) as hr:
        log_in(hr, live_server, "hr")
        hr.goto(f"{live_server.url}/acceptance/batches/{first.pk}/")
        hr.click("[data-testid=batch-close-open]")
        with hr.expect_navigation():
            hr.click("[data-testid=batch-close-submit]")
        assert hr.locator("[data-testid=batch-status]").get_attribute("data-status") == "closed"

        # P01 is due for re-acceptance, offered for a new batch.
        hr.goto(f"{live_server.url}/acceptance/batches/")
        fits_the_screen(hr)
        assert hr.locator("[data-testid=due-list] tr[data-code=P01]").count() == 1

        def choose(*codes, name="第二批"):
            hr.fill("[data-testid=batch-create-form] input[name=name]", name)
            hr.select_option("select[name=team]", str(pilots.team.pk))
            hr.fill("input[name=date]", "2026-12-05")
            for code in codes:
                hr.check(f"[data-testid=institution-choices] label[data-code={code}] input")

        # A batch of 4 is refused, with the message; nothing is created.
        choose("P01", "P06", "P07", "P08")
        with hr.expect_navigation():
            hr.click("[data-testid=batch-create-submit]")
        refused_size(hr, 4)
        assert Batch.objects.count() == 1
        # The choices stay ticked: adding five more makes 9, refused too.
        choose("P09", "P02", "P03", "P04", "P05")
        with hr.expect_navigation():
            hr.click("[data-testid=batch-create-submit]")
        refused_size(hr, 9)
        assert Batch.objects.count() == 1
        # P01 and P06…P09: five, accepted.
        for code in ("P02", "P03", "P04", "P05"):
            hr.uncheck(f"[data-testid=institution-choices] label[data-code={code}] input")
        with hr.expect_navigation():
            hr.click("[data-testid=batch-create-submit]")
        second = Batch.objects.get(name="第二批")
        # (The form's anchor is kept on the redirect.)
        hr.wait_for_url(re.compile(rf"/acceptance/batches/{second.pk}/(#.*)?$"))
        assert hr.locator("tr[data-code=P01] [data-col=round]").inner_text().strip() == "2"
        assert hr.locator("[data-testid=inspection-table] tbody tr").count() == 5

    again = second.inspections.get(institution__code="P01")
    assert again.round == 2

    with phone(browser) as member:
        log_in(member, live_server, "acceptance")
        member.goto(f"{live_server.url}/acceptance/batches/{second.pk}/")
        member.click("tr[data-code=P01] [data-testid=inspection-link]")
        member.wait_for_url(f"**/acceptance/inspections/{again.pk}/")
        assert member.locator("[data-testid=inspection-round]").get_attribute("data-round") == "2"
        tick_all(member)
        # December's batch checks October and November: both confirmed now.
        assert member.locator("[data-testid=payroll-month]").count() == 2
        confirm_month(world, again.institution, datetime.date(2026, 10, 1))
        confirm_month(world, again.institution, datetime.date(2026, 11, 1))
        member.reload()
        for month in ("2026-10", "2026-11"):
            row = member.locator(f"[data-testid=payroll-month][data-month='{month}']")
            assert row.get_attribute("data-ok") == "yes"
        assert item(member, "PAY").get_attribute("data-met") == "yes"
        member.click("[data-testid=decide-pass-open]")
        with member.expect_navigation():
            member.click("[data-testid=decide-pass-submit]")
        assert member.locator("[data-testid=inspection-result]").get_attribute("data-result") == (
            "passed"
        )
        # Its history of rounds: failed in the first batch, passed in the second.
        history = member.locator("[data-testid=history]")
        assert history.locator("tr[data-round='1']").get_attribute("data-result") == "failed"
        assert history.locator("tr[data-round='2']").get_attribute("data-result") == "passed"
        fits_the_screen(member)
    again.refresh_from_db()
    assert again.result == Inspection.Result.PASSED
    again.institution.refresh_from_db()
    assert again.institution.stage == "trial"
