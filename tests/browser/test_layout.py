"""The layout in Chromium as HR, at a laptop's 1366×768 and a phone's 390×844 (docs/UI.md): the
menu never wraps a label, the phone's menu opens off-canvas, no page scrolls sideways (wide tables
scroll inside their card), and a confirm dialog opens and closes."""

import pytest

from ..factories import PASSWORD

pytestmark = [pytest.mark.browser]

SIZES = {"laptop": (1366, 768), "phone": (390, 844)}
PAGES = [
    "/",
    "/orgs/institutions/",
    "/orgs/institutions/A01/",
    "/orgs/institutions/A01/employees/",
    "/orgs/groups/",
    "/orgs/account/",
    "/appraisal/schemes/",
    "/appraisal/schemes/2026/",
    "/appraisal/schemes/2026/targets/",
]
# Functions, not expressions: the pages' Content-Security-Policy forbids eval.
SIDEWAYS = "() => document.scrollingElement.scrollWidth - window.innerWidth"
WRAPPED_LABELS = """() => [...document.querySelectorAll('#app-sidebar .app-menu-label')]
  .filter(e => e.getClientRects().length !== 1 || e.getClientRects()[0].height > 24)
  .map(e => e.textContent.trim())"""
VISIBLE_LABELS = """() => [...document.querySelectorAll('#app-sidebar .app-menu-label')]
  .filter(e => e.getBoundingClientRect().width > 0).length"""


def logged_in(browser, live_server, size):
    width, height = SIZES[size]
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "hr")
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(f"{live_server.url}/")
    return context, page


@pytest.mark.parametrize("size", SIZES)
def test_no_page_scrolls_sideways(transactional_db, world, year, live_server, browser, size):
    context, page = logged_in(browser, live_server, size)
    try:
        for path in PAGES:
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, path
            assert page.evaluate(SIDEWAYS) <= 0, path
    finally:
        context.close()


def test_laptop_menu_is_beside_the_page_and_never_wraps(
    transactional_db, world, live_server, browser
):
    context, page = logged_in(browser, live_server, "laptop")
    try:
        page.goto(f"{live_server.url}/orgs/institutions/")
        assert page.is_visible("#app-sidebar") and not page.is_visible("[data-testid=menu-toggle]")
        assert page.evaluate(VISIBLE_LABELS) == 22  # HR's home and 21 items, none hidden
        assert page.evaluate(WRAPPED_LABELS) == []
        active = page.locator("#app-sidebar .app-menu-item.active")
        assert active.get_attribute("data-nav") == "institutions"
        assert active.is_visible()  # scrolled into the menu's view (static/js/app.js)
        # The 待办 counts arrive after the page (orgs:nav_counts, out-of-band swaps).
        page.wait_for_selector("#nav-count-home.nav-count", state="attached")
    finally:
        context.close()


def test_phone_menu_opens_off_canvas(transactional_db, world, live_server, browser):
    context, page = logged_in(browser, live_server, "phone")
    try:
        page.goto(f"{live_server.url}/orgs/groups/")
        assert not page.is_visible("#app-sidebar")
        page.click("[data-testid=menu-toggle]")
        page.wait_for_selector("#app-sidebar.show")
        page.wait_for_function(
            "() => document.querySelector('#app-sidebar').getBoundingClientRect().left >= 0"
        )
        assert page.evaluate(WRAPPED_LABELS) == []
        page.click("#app-sidebar [data-testid=nav-institutions]")
        page.wait_for_url(f"{live_server.url}/orgs/institutions/")
        assert not page.is_visible("#app-sidebar")
    finally:
        context.close()


@pytest.mark.parametrize("size", SIZES)
def test_confirm_dialog_opens_and_cancels(
    transactional_db, world, year, live_server, browser, size
):
    context, page = logged_in(browser, live_server, size)
    try:
        page.goto(f"{live_server.url}/appraisal/schemes/2026/")
        assert not page.is_visible("dialog")
        page.click("[data-testid=transition-review-open]")
        dialog = page.locator("dialog[open]")
        dialog.wait_for()
        assert dialog.locator("input[name=confirm]").get_attribute("value") == "yes"
        assert page.evaluate(SIDEWAYS) <= 0
        dialog.locator("[data-confirm-close]").click()
        page.wait_for_selector("dialog[open]", state="detached")
        assert page.url.endswith("/appraisal/schemes/2026/")  # nothing was posted
    finally:
        context.close()
