"""Log in through the real pages in Chromium: HR sees every institution, a head only their own,
and another institution's page is a 404 for them."""

import pytest

from ..factories import PASSWORD

pytestmark = [pytest.mark.browser]


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(f"{live_server.url}/")


def institution_codes(page, live_server):
    page.goto(f"{live_server.url}/orgs/institutions/")
    return set(page.locator("[data-testid=institution-table] tbody tr[data-code]").evaluate_all(
        "rows => rows.map(r => r.dataset.code)"
    ))  # fmt: skip


def test_hr_logs_in_and_sees_every_institution(transactional_db, world, live_server, page):
    log_in(page, live_server, "hr")
    assert page.locator("[data-testid=home-title]").inner_text() == "人力资源部首页"
    assert institution_codes(page, live_server) == {"A01", "B01", "C01"}
    # Filtering through htmx swaps the table in place.
    page.fill("input[name=q]", "乙")
    page.wait_for_function(
        # A function, not an expression: the page's Content-Security-Policy forbids eval.
        "() => document.querySelectorAll('[data-testid=institution-table] tr[data-code]')"
        ".length === 1"
    )
    assert page.locator("tbody tr[data-code]").get_attribute("data-code") == "B01"
    assert "q=" in page.url


def test_head_sees_only_own_institution(transactional_db, world, live_server, page):
    log_in(page, live_server, "head_a")
    assert page.locator("[data-testid=home-title]").inner_text() == "本机构"
    assert "甲机构" in page.locator("[data-testid=my-institution]").inner_text()
    assert institution_codes(page, live_server) == {"A01"}
    response = page.goto(f"{live_server.url}/orgs/institutions/B01/")
    assert response.status == 404
    assert "乙机构" not in page.content()
    response = page.goto(f"{live_server.url}/orgs/institutions/B01/employees/")
    assert response.status == 404


def test_language_switch_to_english(transactional_db, world, live_server, page):
    log_in(page, live_server, "head_b")
    page.click("[data-testid=lang-en]")
    page.wait_for_selector("html[lang=en]")
    assert page.locator("[data-testid=home-title]").inner_text() == "My institution"
