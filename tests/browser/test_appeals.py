"""Appeals end to end in Chromium, at desktop and at phone width: in the review window the head
of A01 appeals a scorer's deduction from their results page, the scorer accepts it, and HR's
rankings show A01's total back up."""

from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.core.cache import cache

from appraisal import services
from appraisal.models import Appeal, LedgerEntry, Scheme
from appraisal.recompute import year_results_recompute
from appraisal.tasks import PENDING_KEY

from ..factories import PASSWORD

pytestmark = [pytest.mark.browser]

# The 2026 year of tests/appraisal/conftest.py (C1 scored by the scorer's department), in review.

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@contextmanager
def signed_in(browser, live_server, username, viewport):
    """A user in a browser context of their own (own cookies), at the given size."""
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("[data-testid=login-submit]")
        page.wait_for_url(f"{live_server.url}/")
        yield page
    finally:
        context.close()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def ranking_cell(page, code, column):
    return page.locator(f"tr[data-code={code}] [data-col={column}]").inner_text().strip()


@pytest.mark.parametrize("size", list(VIEWPORTS))
def test_head_appeals_scorer_accepts_rankings_go_up(
    transactional_db, world, year, live_server, browser, media, size
):
    viewport = VIEWPORTS[size]
    cache.delete(PENDING_KEY.format(year.scheme.pk))
    Scheme.objects.filter(pk=year.scheme.pk).update(status=Scheme.Status.REVIEW)
    year.scheme.refresh_from_db()
    entry = services.ledger_entry_create(
        actor=world.users["scorer"],
        scheme=year.scheme,
        institution=world.a,
        kind="indicator",
        indicator=year.indicators["C1"],
        period="h1",
        points=Decimal("-12.50"),
        reason="安全检查发现消防通道堵塞",
    )
    year_results_recompute(scheme_id=year.scheme.pk)  # A01: 293.75 + 0 + 400 = 693.75

    # The head of A01 finds the deduction on their results page and appeals it, with evidence.
    with signed_in(browser, live_server, "head_a", viewport) as head:
        head.goto(f"{live_server.url}/appraisal/years/2026/mine/")
        assert head.locator("[data-col=total]").inner_text().strip() == "693.75"
        row = head.locator(f"[data-testid=ledger-table] tr[data-entry='{entry.pk}']")
        row.locator("[data-testid=appeal-link]").click()
        head.wait_for_url(f"**/appraisal/entries/{entry.pk}/appeal/")
        assert "安全检查发现消防通道堵塞" in head.locator("[data-testid=appeal-entry]").inner_text()
        head.fill("textarea[name=reasons]", "检查当日消防通道已清理，附现场照片")
        head.set_input_files(
            "input[name=evidence]",
            files=[{"name": "photos.pdf", "mimeType": "application/pdf", "buffer": PDF}],
        )
        head.click("[data-testid=appeal-submit]")
        head.wait_for_url("**/appraisal/appeals/*/")
        appeal = Appeal.objects.get()
        assert head.url.endswith(f"/appraisal/appeals/{appeal.pk}/")
        assert head.get_attribute("[data-testid=appeal-status]", "data-status") == "pending"
        assert head.locator("[data-testid=answer-form]").count() == 0
        # Back on the results page the row says it is appealed, and offers no second appeal.
        head.goto(f"{live_server.url}/appraisal/years/2026/mine/")
        row = head.locator(f"[data-testid=ledger-table] tr[data-entry='{entry.pk}']")
        assert row.locator("[data-testid=appeal-state]").count() == 1
        assert row.locator("[data-testid=appeal-link]").count() == 0

    # The scorer opens the appeals, reads the evidence link and accepts.
    with signed_in(browser, live_server, "scorer", viewport) as scorer:
        scorer.goto(f"{live_server.url}/appraisal/appeals/")
        scorer.click(f"tr[data-appeal='{appeal.pk}'] [data-testid=appeal-link]")
        scorer.wait_for_url(f"**/appraisal/appeals/{appeal.pk}/")
        assert scorer.locator("[data-testid=appeal-evidence-link]").count() == 1
        # Accepting opens its dialog, which says what happens; the answer is its reason.
        scorer.click("[data-testid=appeal-accept-open]")
        dialog = scorer.locator("dialog[open]")
        dialog.wait_for()
        assert f"#{entry.pk}" in dialog.inner_text()
        dialog.locator("textarea[name=reason]").fill("复核属实，撤销扣分")
        dialog.locator("[data-testid=appeal-accept-submit]").click()
        scorer.wait_for_url(f"**/appraisal/appeals/{appeal.pk}/")
        assert scorer.get_attribute("[data-testid=appeal-status]", "data-status") == "accepted"
        assert scorer.locator("[data-testid=answer-form]").count() == 0
        reversal = LedgerEntry.objects.get(reverses=entry)
        link = scorer.locator("[data-testid=appeal-reversal]")
        assert link.get_attribute("data-entry") == str(reversal.pk)
    appeal.refresh_from_db()
    assert (appeal.status, appeal.reversal) == (Appeal.Status.ACCEPTED, reversal)

    # HR's rankings: the deduction is reversed, A01 is back to 700.
    with signed_in(browser, live_server, "hr", viewport) as hr:
        hr.goto(f"{live_server.url}/appraisal/years/2026/rankings/")
        if hr.locator("[data-testid=results-stale], [data-testid=results-pending]").count():
            # The recompute runs on commit in the embedded default; if it has not, press it.
            hr.click("[data-testid=recompute]")
            hr.wait_for_url("**/appraisal/years/2026/rankings/")
        assert ranking_cell(hr, "A01", "common") == "300.00"
        assert ranking_cell(hr, "A01", "total") == "700.00"
