"""Scoring end to end in Chromium: a scorer records a deduction with a PDF as evidence, HR sees
the rankings move, and the head of the institution finds the entry and downloads the evidence."""

from contextlib import contextmanager

import pytest
from django.core.cache import cache

from appraisal.models import LedgerEntry
from appraisal.recompute import year_results_recompute
from appraisal.tasks import PENDING_KEY

from ..factories import PASSWORD

pytestmark = [pytest.mark.browser]

# The open 2026 year of tests/appraisal/conftest.py (C1 scored by the scorer's department).

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(f"{live_server.url}/")


@contextmanager
def new_page(browser):
    """Another user, in a browser context of their own (own cookies)."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        yield page
    finally:
        context.close()


def ranking_cell(page, code, column):
    return page.locator(f"tr[data-code={code}] [data-col={column}]").inner_text().strip()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_scorer_deducts_hr_sees_rankings_head_gets_evidence(
    transactional_db, world, year, live_server, page, browser, media
):
    cache.delete(PENDING_KEY.format(year.scheme.pk))
    year_results_recompute(scheme_id=year.scheme.pk)  # A01: 300 + 0 + 400 = 700

    # The scorer (安全生产科, indicator C1) deducts 12.5 points from A01 in H1, with evidence.
    log_in(page, live_server, "scorer")
    page.goto(f"{live_server.url}/appraisal/years/2026/entries/new/")
    page.select_option("select[name=institution]", "A01")
    page.select_option("select[name=kind]", "indicator")
    page.select_option("select[name=indicator]", "C1")
    page.select_option("select[name=period]", "h1")
    page.fill("input[name=points]", "-12.5")
    page.fill("textarea[name=reason]", "安全检查发现消防通道堵塞")
    page.set_input_files(
        "input[name=evidence]",
        files=[{"name": "evidence.pdf", "mimeType": "application/pdf", "buffer": PDF}],
    )
    page.click("[data-testid=entry-submit]")
    page.wait_for_url("**/appraisal/years/2026/ledger/?institution=A01")
    entry = LedgerEntry.objects.get()
    assert entry.evidence.name.endswith(".pdf")
    row = page.locator(f"[data-testid=ledger-table] tr[data-entry='{entry.pk}']")
    assert row.locator("[data-testid=entry-points]").inner_text().strip() == "\u221212.50"
    assert row.locator("[data-testid=evidence-link]").count() == 1

    # HR opens the rankings: A01's common goals are (287.50 + 300) / 2 = 293.75.
    with new_page(browser) as hr:
        log_in(hr, live_server, "hr")
        hr.goto(f"{live_server.url}/appraisal/years/2026/rankings/")
        if hr.locator("[data-testid=results-stale], [data-testid=results-pending]").count():
            # The recompute runs on commit in the embedded default; if it has not, press it.
            hr.click("[data-testid=recompute]")
            hr.wait_for_url("**/appraisal/years/2026/rankings/")
        assert ranking_cell(hr, "A01", "common") == "293.75"
        assert ranking_cell(hr, "A01", "total") == "693.75"
        assert ranking_cell(hr, "C01", "total") == "1,000.00"
        # The common figure opens the ledger entries that make it.
        hr.click("tr[data-code=A01] [data-col=common]")
        hr.wait_for_url("**/ledger/?institution=A01&part=common&official=official")
        assert hr.locator("[data-testid=ledger-table] tbody tr[data-entry]").count() == 1

    # The head of A01 sees the entry on their page and downloads the evidence.
    with new_page(browser) as head:
        log_in(head, live_server, "head_a")
        head.goto(f"{live_server.url}/appraisal/years/2026/mine/")
        assert head.locator("[data-col=total]").inner_text().strip() == "693.75"
        row = head.locator(f"[data-testid=ledger-table] tr[data-entry='{entry.pk}']")
        assert "安全检查发现消防通道堵塞" in row.inner_text()
        link = row.locator("[data-testid=evidence-link]")
        with head.expect_download() as download_info:
            link.click()
        download = download_info.value
        assert download.suggested_filename.endswith(".pdf")
        with open(download.path(), "rb") as downloaded:
            assert downloaded.read() == PDF
        response = head.request.get(f"{live_server.url}{link.get_attribute('href')}")
        assert response.status == 200
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.body() == PDF
