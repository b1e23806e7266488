"""A monthly bulletin end to end in Chromium (issue 7), at desktop width and at phone width: HR
generates October's bulletin and publishes it; the bulletin marks the bottom units of each group;
the head of a lagging institution finds the explanation request and submits an explanation with a
PDF; HR sees it submitted. The browser asks for Chinese; the checks read data attributes, so
they hold whatever the catalogue says."""

from contextlib import contextmanager

import pytest

from bulletins.models import Bulletin, ExplanationRequest

from ..bulletins.conftest import ranked  # noqa: F401 — the fixture: a year with results
from .test_scoring import PDF, log_in

pytestmark = [pytest.mark.browser]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
LAGGING = {"A01", "E01", "F01", "G01"}  # the bottom two of each group (tests/bulletins/conftest.py)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@contextmanager
def screen(browser, viewport):
    """A user on a desktop or a phone, in a browser context of their own."""
    phone = viewport == PHONE
    context = browser.new_context(
        locale="zh-CN",
        viewport=viewport,
        is_mobile=phone,
        has_touch=phone,
        device_scale_factor=2 if phone else 1,
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


def fits_the_screen(page, viewport):
    """Nothing makes the page scroll sideways (wide tables scroll inside their own box)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], width


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_hr_publishes_the_head_explains_hr_sees_it(
    transactional_db,
    world,
    year,
    ranked,  # noqa: F811
    live_server,
    browser,
    media,
    viewport,
):
    with screen(browser, viewport) as hr:
        # HR generates the monthly bulletin of October from the list page.
        log_in(hr, live_server, "hr")
        hr.goto(f"{live_server.url}/bulletins/")
        fits_the_screen(hr, viewport)
        form = hr.locator("[data-testid=bulletin-generate-form]")
        form.locator("select[name=year]").select_option("2026")
        form.locator("select[name=kind]").select_option("monthly")
        form.locator("input[name=day]").fill("2026-11-01")
        with hr.expect_navigation():
            hr.click("[data-testid=bulletin-generate-submit]")
        bulletin = Bulletin.objects.get()
        # On the bulletin (the browser keeps the form's anchor).
        assert hr.url.split("#")[0] == f"{live_server.url}/bulletins/{bulletin.pk}/"
        assert "2026" in hr.locator("[data-testid=page-title]").inner_text()
        assert hr.locator("[data-testid=bulletin-status]").get_attribute("data-status") == "draft"

        # It marks the bottom two units of each group, the vetoed one among them.
        rows = hr.locator("[data-testid=bulletin-lines] tr[data-code]")
        marked = {
            rows.nth(i).get_attribute("data-code"): rows.nth(i).get_attribute("data-lagging")
            for i in range(rows.count())
        }
        assert marked == {code: str(code in LAGGING).lower() for code in marked}
        assert len(marked) == 7
        lagging = hr.locator("[data-testid=lagging] .lagging[data-code]")
        assert {lagging.nth(i).get_attribute("data-code") for i in range(lagging.count())} == (
            LAGGING
        )
        assert hr.locator("[data-testid=bulletin-warnings] tr[data-warning=vetoed]").count() == 1
        fits_the_screen(hr, viewport)

        # HR publishes, from the dialog that names them: the lagging units are asked for an
        # explanation.
        hr.click("[data-testid=bulletin-publish-open]")
        assert "G01" in hr.locator("[data-testid=publish-asked] + ul").inner_text()
        with hr.expect_navigation():
            hr.click("[data-testid=bulletin-publish-submit]")
        assert hr.locator("[data-testid=bulletin-status]").get_attribute("data-status") == (
            "published"
        )
        assert hr.locator("[data-testid=bulletin-publish-open]").count() == 0
        asked = hr.locator("[data-testid=bulletin-explanations] tr[data-code]")
        assert {asked.nth(i).get_attribute("data-code") for i in range(asked.count())} == LAGGING

    request = ExplanationRequest.objects.get(institution=world.a)
    with screen(browser, viewport) as head:
        # The head of A01 (lagging) opens the bulletin and finds their own request only.
        log_in(head, live_server, "head_a")
        head.goto(f"{live_server.url}/bulletins/")
        with head.expect_navigation():
            head.click(f"tr[data-bulletin='{bulletin.pk}'] [data-testid=bulletin-link]")
        row = head.locator("[data-testid=bulletin-lines] tr[data-code=A01]")
        assert row.get_attribute("data-lagging") == "true"
        mine = head.locator("[data-testid=bulletin-explanations] tr[data-code]")
        assert mine.count() == 1 and mine.get_attribute("data-status") == "requested"
        fits_the_screen(head, viewport)
        with head.expect_navigation():
            mine.locator("[data-testid=explanation-link]").click()
        assert head.locator("[data-testid=explanation-status]").get_attribute("data-status") == (
            "requested"
        )
        form = head.locator("[data-testid=explanation-form]")
        form.locator("textarea[name=text]").fill(
            "十月重点项目推进滞后，已制定整改计划，月底前完成。"
        )
        form.locator("input[name=attachment]").set_input_files(
            files=[{"name": "整改计划.pdf", "mimeType": "application/pdf", "buffer": PDF}]
        )
        with head.expect_navigation():
            head.click("[data-testid=explanation-submit]")
        assert head.locator("[data-testid=explanation-status]").get_attribute("data-status") == (
            "submitted"
        )
        assert "整改计划" in head.locator("[data-testid=explanation-text]").inner_text()
        assert head.locator("[data-testid=attachment-link]").count() == 1
        fits_the_screen(head, viewport)

    request.refresh_from_db()
    assert request.status == "submitted" and request.attachment.name.endswith(".pdf")
    with screen(browser, viewport) as hr:
        # HR sees it submitted among the requests, with the others still waiting.
        log_in(hr, live_server, "hr")
        hr.goto(f"{live_server.url}/bulletins/explanations/")
        row = hr.locator("[data-testid=explanation-table] tr[data-code=A01]")
        assert row.get_attribute("data-status") == "submitted"
        states = hr.locator("[data-testid=explanation-table] tr[data-code]")
        assert sorted(
            states.nth(i).get_attribute("data-status") for i in range(states.count())
        ) == [
            "requested",
            "requested",
            "requested",
            "submitted",
        ]
        fits_the_screen(hr, viewport)
        with hr.expect_navigation():
            row.locator("[data-testid=explanation-link]").click()
        assert "整改计划" in hr.locator("[data-testid=explanation-text]").inner_text()
        assert hr.locator("[data-testid=review-form]").count() == 1
