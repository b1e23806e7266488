"""Every demo persona in Chromium, at a laptop's 1366×768 and a phone's 390×844 (issue 15, part 7):
the home page and every page of the persona's menu answer, none scrolls sideways (wide tables
scroll inside their card), no menu label wraps on the laptop, no script fails, and the menu's 待办
badges show the counts the 待办 providers give for that user (tests/todo/test_demo.py checks those
against the demo's pending items counted from the models)."""

import pytest
from django.contrib.auth.hashers import make_password

from orgs import todo
from orgs.models import User

from ..ops.demo import seed_demo

pytestmark = [pytest.mark.browser]

PERSONAS = [
    "hr",
    "scorer",
    "head",
    "head2",
    "acceptance",
    "payroll",
    "auditor",
    "deputy1",
    "deputy2",
]
SIZES = {"laptop": (1366, 768), "phone": (390, 844)}
PASSWORD = "persona-pass-1"  # set on the demo accounts here; hashing with the test's fast hasher

# Functions, not expressions: the pages' Content-Security-Policy forbids eval.
SIDEWAYS = "() => document.scrollingElement.scrollWidth - window.innerWidth"
WRAPPED_LABELS = """() => [...document.querySelectorAll('#app-sidebar .app-menu-label')]
  .filter(e => e.getClientRects().length > 1 || (e.getClientRects()[0] || {}).height > 24)
  .map(e => e.textContent.trim())"""
MENU_LINKS = """() => [...document.querySelectorAll('#app-sidebar a[data-nav]')]
  .map(a => [a.dataset.nav, a.getAttribute('href')])"""
BADGES = """() => Object.fromEntries([...document.querySelectorAll('#app-sidebar .nav-count')]
  .filter(e => !e.classList.contains('d-none'))
  .map(e => [e.id.replace('nav-count-', ''), Number(e.dataset.count || e.textContent)]))"""


@pytest.fixture
def demo(transactional_db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    seed_demo()
    User.objects.filter(username__in=PERSONAS).update(password=make_password(PASSWORD))


def _visit(page, url, errors):
    response = page.goto(url)
    assert response is not None and response.status == 200, (url, response and response.status)
    assert page.evaluate(SIDEWAYS) <= 0, f"{url} scrolls sideways"
    assert errors == [], (url, errors)


@pytest.mark.parametrize("size", SIZES)
def test_every_persona_on_every_page_of_their_menu(demo, live_server, browser, size):
    width, height = SIZES[size]
    for username in PERSONAS:
        context = browser.new_context(locale="zh-CN", viewport={"width": width, "height": height})
        page = context.new_page()
        page.set_default_timeout(20_000)
        errors: list[str] = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        page.on(
            "console",
            lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None,
        )
        try:
            page.goto(f"{live_server.url}/login/")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", PASSWORD)
            page.click("[data-testid=login-submit]")
            page.wait_for_url(f"{live_server.url}/")
            _visit(page, f"{live_server.url}/", errors)
            links = page.evaluate(MENU_LINKS)
            assert links, username
            if size == "laptop":
                assert page.evaluate(WRAPPED_LABELS) == [], username
                # The badges arrive after the page: wait for the swap, then compare.
                page.wait_for_selector("#app-sidebar .nav-count", state="attached")
                user = User.objects.get(username=username)
                expected = todo.todo_counts(todo.todo_for(user))
                shown = page.evaluate(BADGES)
                assert shown == {k: v for k, v in expected.items() if v}, username
            for key, href in links:
                if key == "api":
                    continue  # Swagger UI: not a page of ours
                _visit(page, f"{live_server.url}{href}", errors)
        finally:
            context.close()
