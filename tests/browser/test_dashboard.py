"""HR's overview and the head's portal in Chromium, at desktop and at phone width: every chart
draws, with data (ECharts reports its points on the element), and its table is there beside it."""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache

from appraisal import services
from appraisal.models import LedgerEntry
from appraisal.recompute import year_results_recompute
from appraisal.tasks import PENDING_KEY
from bulletins.services import snapshots_take

from ..factories import PASSWORD

pytestmark = [pytest.mark.browser]

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def scored(world, year):
    cache.delete(PENDING_KEY.format(year.scheme.pk))
    hr = world.users["hr"]
    services.ledger_entry_create(
        actor=hr, scheme=year.scheme, institution=world.a, kind=LedgerEntry.Kind.INDICATOR,
        indicator=year.indicators["C1"], period="h1", points=Decimal("-12.5"), reason="隐患",
    )  # fmt: skip
    veto = services.ledger_entry_create(
        actor=hr, scheme=year.scheme, institution=world.c, kind=LedgerEntry.Kind.VETO,
        points=Decimal("24"), reason="安全生产事故",
    )  # fmt: skip
    if veto.needs_approval:
        services.entry_decide(actor=hr, entry=veto, approved=True)
    year_results_recompute(scheme_id=year.scheme.pk)
    for month in (9, 10, 11):
        snapshots_take(scheme=year.scheme, day=datetime.date(2026, month, 15))
    return year


def log_in(browser, live_server, username, size):
    context = browser.new_context(locale="zh-CN", viewport=SIZES[size])
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(f"{live_server.url}/")
    return context, page


def charts_drawn(page) -> list[int]:
    """Wait for every chart to draw; the number of data points of each."""
    page.wait_for_function(
        # A function, not an expression: Playwright evals a bare expression, which the page's
        # Content-Security-Policy forbids.
        "() => Array.from(document.querySelectorAll('.chart'))"
        ".every(c => c.dataset.drawn === 'true')"
    )
    points = page.eval_on_selector_all(".chart", "els => els.map(e => Number(e.dataset.points))")
    canvases = page.eval_on_selector_all(".chart canvas", "els => els.length")
    assert canvases >= len(points)
    return points


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_hr_overview_draws_every_chart(transactional_db, world, scored, live_server, browser, size):
    context, page = log_in(browser, live_server, "hr", size)
    try:
        page.goto(f"{live_server.url}/dashboard/")
        page.wait_for_url(f"{live_server.url}/dashboard/years/2026/")
        assert "2026" in page.locator("[data-testid=page-title]").inner_text()
        points = charts_drawn(page)
        assert len(points) == 4  # G1 and G2 rankings, the distribution, the trend
        assert all(n > 0 for n in points), points
        # The early warnings: C01 close to the veto line, A01 below 800.
        assert page.locator("tr[data-code=C01][data-warning=veto_near]").count() == 1
        assert page.locator("tr[data-code=A01][data-warning=below_line]").count() == 1
        # Each chart's figures also as a table.
        page.locator("[data-testid=distribution] details summary").click()
        rows = page.locator("[data-testid=distribution] details tbody tr")
        counts = [int(rows.nth(i).locator("td.num").inner_text()) for i in range(rows.count())]
        assert sum(counts) == 3
        # The charts fit the screen: no sideways scrolling of the page at phone width.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= SIZES[size]["width"] + 1
        # A warning opens its detail.
        page.locator("tr[data-code=A01][data-warning=below_line] a").click()
        page.wait_for_url(f"{live_server.url}/dashboard/years/2026/institutions/A01/")
        assert all(n > 0 for n in charts_drawn(page))
    finally:
        context.close()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_head_portal_draws_own_parts_and_trend(
    transactional_db, world, scored, live_server, browser, size
):
    context, page = log_in(browser, live_server, "head_a", size)
    try:
        page.goto(f"{live_server.url}/dashboard/mine/")
        page.wait_for_url(f"{live_server.url}/dashboard/years/2026/institutions/A01/")
        points = charts_drawn(page)
        assert len(points) == 2 and all(n > 0 for n in points), points
        assert "693.75" in page.locator("[data-col=total]").inner_text()
        assert page.locator("[data-testid=portal-ledger] tr[data-entry]").count() == 1
        # Another institution's portal is not there for this head.
        response = page.goto(f"{live_server.url}/dashboard/years/2026/institutions/B01/")
        assert response.status == 404
    finally:
        context.close()
