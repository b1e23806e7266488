"""The appraisal's pages in Chromium (issue 15, parts 4, 5 and 7).

- The rankings fit a laptop: on the demo's data at 1366×768, with the sidebar, no column header is
  broken over lines, the page never scrolls sideways and each group's table fits its card, in both
  views (the scores, and the gaps); on a phone (390×844) the page does not scroll sideways either
  (a table scrolls inside its card).
- Every confirm dialog of the appraisal stops its action until it is confirmed: HR publishing the
  year, approving or rejecting a veto proposal, reversing a ledger entry, importing a year; the
  scorer accepting or rejecting an appeal. Each dialog says what will happen to whom; Cancel closes
  it and nothing changes (rows and audit trail as they were); a required reason left empty keeps
  the dialog open; confirming does the action.
"""

from contextlib import contextmanager
from decimal import Decimal

import pytest
from django.contrib.auth.hashers import make_password

from appraisal import services
from appraisal.models import Appeal, EntryDecision, LedgerEntry, Scheme
from appraisal.recompute import year_results_recompute
from orgs.models import AuditEvent, User

from ..appraisal.workbooks import full_year, workbook
from ..factories import PASSWORD
from ..ops.demo import seed_demo

pytestmark = [pytest.mark.browser]

LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
SIZES = {"laptop": LAPTOP, "phone": PHONE}

# Functions, not expressions: the pages' Content-Security-Policy forbids eval.
SIDEWAYS = "() => document.scrollingElement.scrollWidth - window.innerWidth"
# The rankings' column headers whose text is broken over lines: a text node whose line boxes stand
# at different heights (a header broken one character per line has as many as it has characters).
WRAPPED_HEADERS = """() => [...document.querySelectorAll('[data-testid=rankings-table] thead th')]
  .filter(th => { const walker = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim()) continue;
      const range = document.createRange(); range.selectNodeContents(node);
      const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      if (tops.size > 1) return true; }
    return false; })
  .map(th => th.textContent.trim())"""
# Each group's table card: how far its table overflows the card sideways (0 when it fits).
TABLE_OVERFLOW = """() => [...document.querySelectorAll('[data-testid=ranking-group]')]
  .map(card => card.querySelector('.table-responsive'))
  .map(box => box.scrollWidth - box.clientWidth)"""


@contextmanager
def signed_in(browser, live_server, username, viewport, password=PASSWORD):
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("[data-testid=login-submit]")
        page.wait_for_url(f"{live_server.url}/**")
        yield page
    finally:
        context.close()


# --- The rankings fit -----------------------------------------------------------------------------

DEMO_PASSWORD = "rankings-pass-1"


@pytest.fixture
def demo(transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    seed_demo()
    User.objects.filter(username="hr").update(password=make_password(DEMO_PASSWORD))


@pytest.mark.parametrize("size", SIZES)
def test_the_rankings_fit_the_screen(demo, live_server, browser, size):
    viewport = SIZES[size]
    with signed_in(browser, live_server, "hr", viewport, DEMO_PASSWORD) as page:
        for view in ("", "?view=gaps"):
            url = f"{live_server.url}/appraisal/years/2026/rankings/{view}"
            assert page.goto(url).status == 200
            assert page.locator("[data-testid=ranking-group]").count() == 3
            assert page.evaluate(SIDEWAYS) <= 0, f"{url} scrolls sideways"
            assert page.evaluate(WRAPPED_HEADERS) == [], url
            if size == "laptop":
                # With the sidebar beside it, every column of a group is in view.
                assert set(page.evaluate(TABLE_OVERFLOW)) == {0}, url
        # The veto deduction reads as one: JG008 is vetoed (demo), its 30.00 taken off.
        page.goto(f"{live_server.url}/appraisal/years/2026/rankings/")
        veto = page.locator("tr[data-code=JG008] [data-col=veto]").inner_text().strip()
        assert veto == "\u221230.00"


# --- Every confirm dialog of the appraisal stops its action ---------------------------------------


def snapshot():
    """What an action of these pages changes: the rows it writes and the audit trail."""
    return (
        LedgerEntry.objects.count(),
        EntryDecision.objects.count(),
        list(Appeal.objects.order_by("pk").values_list("status", flat=True)),
        list(Scheme.objects.order_by("year").values_list("year", "status")),
        AuditEvent.objects.count(),
    )


def open_dialog(page, testid):
    page.locator(f"[data-testid={testid}-open]").click()
    dialog = page.locator("dialog[open]")
    dialog.wait_for()
    assert dialog.locator("input[name=confirm]").get_attribute("value") == "yes"
    return dialog


def cancel(page, dialog):
    dialog.locator("[data-confirm-close]").click()
    page.wait_for_selector("dialog[open]", state="detached")


def veto_proposal(world, year, points="30"):
    return services.ledger_entry_create(
        actor=world.users["scorer"],
        scheme=year.scheme,
        institution=world.a,
        kind="veto",
        indicator=None,
        period="year",
        points=Decimal(points),
        reason="发生较大安全生产责任事故",
    )


@pytest.mark.parametrize("size", SIZES)
def test_hr_dialogs_stop_until_confirmed(
    transactional_db, world, year, live_server, browser, size, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    viewport = SIZES[size]
    proposal = veto_proposal(world, year)
    deduction = services.ledger_entry_create(
        actor=world.users["scorer"], scheme=year.scheme, institution=world.a, kind="indicator",
        indicator=year.indicators["C1"], period="h1", points=Decimal("-5"), reason="通道堵塞",
    )  # fmt: skip
    year_results_recompute(scheme_id=year.scheme.pk)
    with signed_in(browser, live_server, "hr", viewport) as page:
        # Approving the veto proposal: what it does to A01, and nothing until confirmed.
        page.goto(f"{live_server.url}/appraisal/approvals/")
        before = snapshot()
        dialog = open_dialog(page, f"approve-{proposal.pk}")
        text = dialog.inner_text()
        assert "A01" in text and "30.00" in text and "第一组" in text  # vetoed, ranks last there
        assert page.evaluate(SIDEWAYS) <= 0
        cancel(page, dialog)
        # Rejecting asks for a reason: an empty one keeps the dialog open and sends nothing.
        dialog = open_dialog(page, f"reject-{proposal.pk}")
        dialog.locator(f"[data-testid=reject-{proposal.pk}-submit]").click()
        assert dialog.is_visible()
        cancel(page, dialog)
        assert snapshot() == before
        assert page.url.endswith("/appraisal/approvals/")

        # Reversing a ledger entry: cancel, then confirm with the reason.
        page.goto(f"{live_server.url}/appraisal/years/2026/ledger/")
        row = page.locator(f"tr[data-entry='{deduction.pk}']")
        row.locator("[data-testid=reverse-form-open]").click()
        dialog = page.locator("dialog[open]")
        dialog.wait_for()
        assert f"#{deduction.pk}" in dialog.inner_text() and "+5.00" in dialog.inner_text()
        cancel(page, dialog)
        assert snapshot() == before
        row.locator("[data-testid=reverse-form-open]").click()
        dialog = page.locator("dialog[open]")
        dialog.locator("textarea[name=reason]").fill("录入错误")
        dialog.locator("[data-testid=reverse-form-submit]").click()
        page.wait_for_url("**/appraisal/years/2026/ledger/**")
        assert LedgerEntry.objects.filter(reverses=deduction, reason="录入错误").exists()

        # Importing a year: the file is chosen, the dialog says all or nothing; cancel imports
        # nothing.
        page.goto(f"{live_server.url}/appraisal/years/import/")
        page.set_input_files(
            "input[name=file]",
            files=[{"name": "2025.xlsx", "mimeType": "application/vnd.ms-excel",
                    "buffer": workbook(full_year()).getvalue()}],
        )  # fmt: skip
        before = snapshot()
        dialog = open_dialog(page, "year-import")
        assert dialog.locator("[data-testid=year-import-submit]").is_visible()
        cancel(page, dialog)
        assert snapshot() == before and not Scheme.objects.filter(year=2025).exists()

        # Publishing the year asks for a reason, recorded in the audit trail.
        Scheme.objects.filter(pk=year.scheme.pk).update(status=Scheme.Status.REVIEW)
        page.goto(f"{live_server.url}/appraisal/schemes/2026/")
        before = snapshot()
        dialog = open_dialog(page, "transition-publish")
        dialog.locator("[data-testid=transition-publish-submit]").click()  # no reason yet
        assert dialog.is_visible()
        cancel(page, dialog)
        assert snapshot() == before
        dialog = open_dialog(page, "transition-publish")
        dialog.locator("textarea[name=reason]").fill("考核领导小组审定")
        dialog.locator("[data-testid=transition-publish-submit]").click()
        page.wait_for_selector("[data-testid=scheme-status].status-published")
    event = AuditEvent.objects.get(action="scheme.publish")
    assert event.after["reason"] == "考核领导小组审定"


@pytest.mark.parametrize("size", SIZES)
def test_the_appeal_answer_stops_until_confirmed(
    transactional_db, world, year, live_server, browser, size
):
    entry = services.ledger_entry_create(
        actor=world.users["scorer"], scheme=year.scheme, institution=world.a, kind="indicator",
        indicator=year.indicators["C1"], period="h1", points=Decimal("-5"), reason="通道堵塞",
    )  # fmt: skip
    Scheme.objects.filter(pk=year.scheme.pk).update(status=Scheme.Status.REVIEW)
    appeal = services.appeal_submit(actor=world.users["head_a"], entry=entry, reasons="已清理")
    with signed_in(browser, live_server, "scorer", SIZES[size]) as page:
        page.goto(f"{live_server.url}/appraisal/appeals/{appeal.pk}/")
        before = snapshot()
        for testid in ("appeal-accept", "appeal-reject"):
            dialog = open_dialog(page, testid)
            assert f"#{entry.pk}" in dialog.inner_text()
            dialog.locator(f"[data-testid={testid}-submit]").click()  # the answer is required
            assert dialog.is_visible()
            assert page.evaluate(SIDEWAYS) <= 0
            cancel(page, dialog)
        assert snapshot() == before
        dialog = open_dialog(page, "appeal-reject")
        dialog.locator("textarea[name=reason]").fill("依据充分，维持扣分")
        dialog.locator("[data-testid=appeal-reject-submit]").click()
        page.wait_for_selector("[data-testid=appeal-status][data-status=rejected]")
    appeal.refresh_from_db()
    assert (appeal.status, appeal.answer) == (Appeal.Status.REJECTED, "依据充分，维持扣分")
    assert not LedgerEntry.objects.filter(reverses=entry).exists()
