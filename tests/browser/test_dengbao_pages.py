"""The 等保 2.0 pages in Chromium at a laptop's 1366×768 and a phone's 390×844 (docs/UI.md): the
three administrators' pages and the account pages open, none scrolls sideways, the enrolment shows
its QR code, and a secadmin's unlock dialog opens and closes."""

import pytest
from django.test import Client

from ..factories import PASSWORD

pytestmark = [pytest.mark.browser]

SIZES = {"laptop": (1366, 768), "phone": (390, 844)}
SIDEWAYS = "() => document.scrollingElement.scrollWidth - window.innerWidth"
PAGES = {
    "sysadmin": ["/", "/orgs/accounts/", "/orgs/accounts/new/", "/orgs/account/"],
    "secadmin": ["/", "/orgs/security/", "/orgs/security/lockouts/", "/orgs/security/mfa/"],
    "auditadmin": ["/", "/orgs/audit/", "/orgs/account/password/", "/orgs/account/mfa/enrol/"],
}


def logged_in(browser, live_server, size, username):
    width, height = SIZES[size]
    context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(f"{live_server.url}/")
    return context, page


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("persona", PAGES)
def test_the_administrators_pages_fit(transactional_db, world, live_server, browser, size, persona):
    context, page = logged_in(browser, live_server, size, persona)
    try:
        for path in PAGES[persona]:
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, path
            assert page.evaluate(SIDEWAYS) <= 0, path
            if path.endswith("/enrol/"):
                assert page.locator("[data-testid=mfa-qr] svg").is_visible()
    finally:
        context.close()


def test_the_unlock_dialog_says_what_happens(
    transactional_db, world, live_server, browser, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post("/login/", {"username": "hr", "password": "wrong-pass-1"})
    context, page = logged_in(browser, live_server, "laptop", "secadmin")
    try:
        page.goto(f"{live_server.url}/orgs/security/lockouts/")
        page.click("[data-testid=unlock-1-open]")
        dialog = page.locator("dialog[open]")
        assert "hr" in dialog.inner_text()
        page.click("dialog[open] [data-confirm-close]")
        assert page.locator("dialog[open]").count() == 0
        page.click("[data-testid=unlock-1-open]")
        page.click("[data-testid=unlock-1-submit]")
        page.wait_for_url(f"{live_server.url}/orgs/security/lockouts/")
        assert page.locator("[data-testid=lockouts-empty]").count() == 1
    finally:
        context.close()
