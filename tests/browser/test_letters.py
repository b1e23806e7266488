"""A target responsibility letter end to end in Chromium (issue 5): the head of A01 opens the
letter, signs with a wrong password (refused), then with the right one; HR countersigns; the page
shows the verified hash; the head of B01 cannot open it."""

import pytest

from letters.models import Letter

from ..factories import PASSWORD
from ..letters.conftest import letter  # noqa: F401 — the fixture: A01's head letter, issued
from .test_scoring import log_in, new_page

pytestmark = [pytest.mark.browser]


def test_head_signs_hr_countersigns_other_head_is_refused(
    transactional_db,
    world,
    year,
    letter,  # noqa: F811
    live_server,
    page,
    browser,
):
    url = f"{live_server.url}/letters/{letter.pk}/"

    # The head of A01 finds the letter waiting on the home page and opens it.
    log_in(page, live_server, "head_a")
    page.click(f"[data-testid=letters-to-sign] li[data-letter='{letter.pk}'] a")
    page.wait_for_url(url)
    document = page.locator("[data-testid=letter-document]")
    assert "2026年度目标责任书" in document.inner_text()
    assert "甲机构" in page.locator("[data-testid=letter-parties]").inner_text()
    assert page.locator("[data-testid=letter-targets] tr[data-indicator=B3] [data-col=target]")\
        .inner_text().strip() == "1200"  # fmt: skip
    assert page.locator("[data-testid=letter-verification]").get_attribute("data-verified") == (
        "unsigned"
    )

    # A wrong password is refused: the error is shown and nothing is signed.
    page.check("input[name=reviewed]")
    page.fill("input[name=password]", "not-my-password")
    page.click("[data-testid=sign-submit]")
    page.wait_for_selector("[data-testid=sign-form] [role=alert]")
    # The UI is Chinese: 密码不正确 (the password is not right).
    assert "密码" in page.locator("[data-testid=sign-form] [role=alert]").inner_text()
    letter.refresh_from_db()
    assert letter.status == Letter.Status.ISSUED and letter.content_sha256 == ""

    # The right one signs it.
    page.check("input[name=reviewed]")
    page.fill("input[name=password]", PASSWORD)
    page.click("[data-testid=sign-submit]")
    page.wait_for_url(f"{url}#sign")  # back on the letter (the form's anchor is kept)
    letter.refresh_from_db()
    assert letter.status == Letter.Status.SIGNED and len(letter.content_sha256) == 64
    assert page.locator("[data-testid=letter-status]").get_attribute("data-status") == "signed"
    assert page.locator("[data-testid=sign-form]").count() == 0
    assert "甲一把手" in page.locator("[data-testid=holder-signature]").inner_text()

    # HR countersigns; the page shows the verified hash.
    with new_page(browser) as hr:
        log_in(hr, live_server, "hr")
        hr.goto(url)
        assert hr.locator("[data-testid=sign-form]").count() == 0  # HR never signs for the head
        # Countersigning opens its dialog first (what takes effect); its own button does it.
        hr.click("[data-testid=countersign-open]")
        hr.locator("dialog[open]").wait_for()
        assert "甲机构" in hr.locator("dialog[open]").inner_text()
        hr.click("[data-testid=countersign-submit]")
        hr.wait_for_selector("[data-testid=letter-status][data-status=effective]")
        verification = hr.locator("[data-testid=letter-verification]")
        assert verification.get_attribute("data-verified") == "true"
        assert hr.locator("[data-testid=letter-hash]").inner_text() == letter.content_sha256
        assert "✓" in verification.inner_text()
    letter.refresh_from_db()
    assert letter.status == Letter.Status.EFFECTIVE

    # The head sees the same verified letter, now effective.
    page.reload()
    assert page.locator("[data-testid=letter-status]").get_attribute("data-status") == "effective"
    assert page.locator("[data-testid=letter-hash]").inner_text() == letter.content_sha256

    # Another head cannot open it, nor download it.
    with new_page(browser) as other:
        log_in(other, live_server, "head_b")
        response = other.goto(url)
        assert response.status == 404
        assert "甲机构" not in other.content()
        response = other.request.get(f"{url}download/")
        assert response.status == 404
