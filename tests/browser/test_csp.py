"""The Content-Security-Policy (orgs.security) breaks nothing: pages with htmx and the API docs
(Swagger UI) work in Chromium, and the browser reports no violation."""

import pytest

from .test_login import log_in

pytestmark = [pytest.mark.browser]


def test_pages_and_api_docs_work_under_the_policy(transactional_db, world, live_server, page):
    violations = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    log_in(page, live_server, "hr")
    page.goto(f"{live_server.url}/orgs/institutions/")
    page.fill("input[name=q]", "乙")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=institution-table] tr[data-code]')"
        ".length === 1"
    )
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info", timeout=15000)
    assert violations == []
