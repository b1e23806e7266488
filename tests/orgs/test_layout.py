"""The console's layout and its components (docs/UI.md): the menu each persona sees, the 待办 count
placeholders the nav_counts endpoint fills, the component tags, the error pages, the favicon, and
that nothing is loaded from another host."""

import logging
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template import engines
from django.template.loader import render_to_string
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django_cotton.compiler_regex import CottonCompiler

from orgs import navigation
from orgs.navigation import MenuGroup, MenuItem, active_key

ROOT = Path(settings.BASE_DIR)
NAV = re.compile(
    r'<a class="app-menu-item[^"]*" href="[^"]*" data-testid="([^"]+)" data-nav="([^"]+)"'
)

# What each persona's menu holds (orgs/navigation.py), in order.
MENUS = {
    "leader": [
        "home", "schemes", "scoring", "reporting", "ledger", "contact_results", "letters",
        "bulletins", "institutions", "groups", "api",
    ],
    "contact_a": [
        "home", "schemes", "reporting", "letters", "bulletins", "institutions", "groups", "api",
    ],
    "hr": [
        "home", "dashboard", "schemes", "scoring", "reporting", "ledger", "rankings", "approvals",
        "appeals", "year_import", "payroll", "pay_policies", "letters", "acceptance", "rollout",
        "weekly_reports", "bulletins", "explanations", "institutions", "groups", "orgs_import",
        "api",
    ],
    "head_a": [
        "home", "portal", "schemes", "reporting", "ledger", "my_results", "appeals", "payroll",
        "letters",
        "weekly_reports", "bulletins", "explanations", "institutions", "groups", "api",
    ],
    "scorer": [
        "home", "schemes", "scoring", "reporting", "ledger", "rankings", "appeals", "letters",
        "bulletins", "institutions", "groups", "api",
    ],
    "acceptance": [
        "home", "schemes", "letters", "acceptance", "rollout", "weekly_reports", "bulletins",
        "institutions", "groups", "api",
    ],
    "payroll": [
        "home", "schemes", "my_results", "payroll", "pay_policies", "letters", "bulletins",
        "institutions", "groups", "api",
    ],
    "auditor": [
        "home", "dashboard", "schemes", "reporting", "ledger", "rankings", "appeals", "payroll",
        "pay_policies", "letters", "acceptance", "rollout", "weekly_reports", "bulletins",
        "explanations", "institutions", "groups", "audit", "api",
    ],
    # A signer without a role (a deputy, a department): their letters, nothing else.
    "norole": ["home", "letters"],
    # 三员: their own pages, no business page.
    "sysadmin": ["home", "accounts"],
    "secadmin": ["home", "security", "lockouts", "mfa"],
    "auditadmin": ["home", "audit"],
}  # fmt: skip


def menu(html: str) -> list[tuple[str, str]]:
    return [(key, testid) for testid, key in NAV.findall(html)]


@pytest.mark.parametrize("persona", sorted(MENUS))
def test_each_persona_sees_the_menu_of_its_role(client_for, persona):
    # The role-less user holds no letter here, so home is the "no role" 403: with the layout.
    response = client_for(persona).get(reverse("home"))
    items = menu(response.content.decode())
    assert [key for key, _testid in items] == MENUS[persona]
    # Every item carries a test id (the older nav-… ids are kept: nav-payroll, nav-audit, …).
    assert all(testid == f"nav-{key}" for key, testid in items)


def test_menu_groups_and_the_current_page(client_for):
    html = client_for("hr").get(reverse("orgs:institution_list")).content.decode()
    groups = re.findall(r'data-nav-group="(\w+)"', html)
    assert groups == ["appraisal", "payroll", "letters", "rollout", "bulletins", "system"]
    assert re.search(r'class="app-menu-item active" href="/orgs/institutions/"', html)
    assert html.count("app-menu-item active") == 1
    # A group whose one item bears its name (目标责任书) shows the item without a heading.
    assert html.count('class="app-menu-heading"') == 5


def test_active_item_by_path_or_by_the_pages_it_names():
    home = MenuItem("home", "Home", "/", "nav-home", "home")
    items = [
        MenuItem("schemes", "Schemes", "/appraisal/schemes/", "nav-schemes", ""),
        MenuItem(
            "scoring", "Scoring", "/appraisal/latest/scoring/", "nav-scoring", "",
            pages=("appraisal:scoring_grid",),
        ),
        MenuItem("letters", "Letters", "/letters/", "nav-letters", ""),
    ]  # fmt: skip
    groups = [MenuGroup("appraisal", "Appraisal", "", items)]
    assert active_key(home, groups, "/", "home") == "home"
    assert active_key(home, groups, "/appraisal/schemes/2026/targets/", "x") == "schemes"
    assert active_key(home, groups, "/appraisal/years/2026/scoring/", "appraisal:scoring_grid") == (
        "scoring"
    )
    assert active_key(home, groups, "/letters/12/", "letters:letter_detail") == "letters"
    assert active_key(home, groups, "/orgs/audit/", "orgs:audit_list") == ""


def test_every_menu_icon_is_vendored():
    names = {item.icon for group in navigation.GROUPS for item in group.items}
    names |= {group.icon for group in navigation.GROUPS} | {navigation.HOME.icon}
    missing = [n for n in sorted(names) if n and not finders.find(f"vendor/tabler-icons/{n}.svg")]
    assert not missing


def test_nav_counts_fills_every_placeholder_of_the_menu(client_for):
    client = client_for("hr")
    page = client.get(reverse("home")).content.decode()
    assert f'hx-get="{reverse("orgs:nav_counts")}" hx-trigger="load" hx-swap="none"' in page
    placeholders = set(re.findall(r'<span id="nav-count-(\w+)"></span>', page))
    assert placeholders == set(MENUS["hr"])
    counts = client.get(reverse("orgs:nav_counts")).content.decode()
    swapped = dict(
        re.findall(
            r'<span id="nav-count-(\w+)" hx-swap-oob="true" class="nav-count[^"]*" '
            r'data-count="(\d+)">\d+</span>',
            counts,
        )
    )
    assert set(swapped) == placeholders  # no swap without its placeholder (an htmx error)
    assert "<html" not in counts


def test_top_bar_user_language_bell_and_log_out(client_for, world):
    html = client_for("hr").get(reverse("home")).content.decode()
    assert f'data-testid="whoami">{world.users["hr"].get_full_name()}<' in html
    assert 'data-testid="lang-en"' in html and 'action="/i18n/setlang/"' in html
    assert 'data-testid="logout"' in html
    assert 'data-testid="menu-toggle"' in html and 'id="app-sidebar"' in html


def test_login_is_a_centred_card_without_the_menu():
    html = Client().get(reverse("login")).content.decode()
    assert 'class="app-centered"' in html and 'data-testid="login-card"' in html
    assert 'data-testid="menu"' not in html and 'data-testid="lang-en"' in html


# --- Error pages --------------------------------------------------------------------------------


def test_404_is_chinese_on_the_layout(client_for):
    response = client_for("hr").get("/no/such/page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert 'data-testid="error-page" data-status="404"' in html and "未找到" in html
    assert 'data-testid="menu"' in html  # the console's layout, menu included
    anonymous = Client().get("/no/such/page/").content.decode()
    assert "未找到" in anonymous and 'data-testid="menu"' not in anonymous


def test_403_is_chinese_on_the_layout(client_for):
    response = client_for("head_a").get(reverse("orgs:audit_list"))
    html = response.content.decode()
    assert response.status_code == 403
    assert 'data-status="403"' in html and "无权访问" in html and 'data-testid="menu"' in html


def test_a_refused_csrf_token_gets_the_chinese_page(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "hr", "password": "x"})
    assert response.status_code == 403
    assert "表单已失效" in response.content.decode()


@override_settings(ROOT_URLCONF="tests.orgs.urls_boom")
def test_500_page_and_its_logged_traceback(db, caplog):
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/boom/")
    assert response.status_code == 500
    assert "服务器错误" in response.content.decode()
    errors = [r for r in caplog.records if r.name == "django.request"]
    assert len(errors) == 1 and errors[0].levelno == logging.ERROR
    assert errors[0].exc_info is not None  # a 500 keeps its traceback


def test_500_template_needs_no_request():
    html = render_to_string("500.html", {})
    assert "服务器错误" in html and "/static/img/icon.svg" in html


# --- Static files: icon, favicon, nothing from another host ---------------------------------------


@pytest.mark.filterwarnings("ignore:No directory at")  # no collectstatic in the tests
def test_favicon_and_app_icon_are_linked_and_served(db):
    html = Client().get(reverse("login")).content.decode()
    for name in ("icon.svg", "icon-32.png", "apple-touch-icon.png"):
        assert f'href="/static/img/{name}"' in html
    assert '<link rel="apple-touch-icon"' in html
    whitenoise = ["whitenoise.middleware.WhiteNoiseMiddleware", *settings.MIDDLEWARE]
    with override_settings(MIDDLEWARE=whitenoise, WHITENOISE_USE_FINDERS=True):
        client = Client()  # a new handler, with WhiteNoise in front as when DEBUG is off
        svg = client.get("/static/img/icon.svg")
        png = client.get("/static/img/apple-touch-icon.png")
    assert svg.status_code == 200 and svg["Content-Type"].startswith("image/svg+xml")
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert b"".join(png.streaming_content).startswith(b"\x89PNG")


def test_nothing_loads_from_another_host():
    """No CDN: templates link only our own static files; the vendored CSS imports nothing."""
    remote = re.compile(r"""(?:src|href)=["']?(?:https?:)?//""", re.I)
    for template in (ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        assert not remote.search(text), template
    for css in (ROOT / "static").rglob("*.css"):
        text = css.read_text()
        assert "@import" not in text, css
        assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", text), css
    assert not (ROOT / "static" / "vendor" / "pico").exists()


# --- Components --------------------------------------------------------------------------------


def render(source: str, request_path: str = "/", **context) -> str:
    """A template string using components, compiled as the cotton loader compiles files."""
    template = engines["django"].from_string(CottonCompiler().process(source))
    return template.render(context, RequestFactory().get(request_path))


def test_sort_header_toggles_the_ordering_in_the_query_string():
    header = '<c-th-sort field="code" label="代码" />'
    first = render(header, "/x/?q=a&page=3")
    assert 'href="?q=a&amp;ordering=code"' in first and 'class="table-sort "' in first
    asc = render(header, "/x/?ordering=code&page=2")
    assert 'href="?ordering=-code"' in asc and "table-sort asc" in asc
    assert 'aria-sort="ascending"' in asc
    desc = render('<c-th-sort field="code" label="代码" num />', "/x/?ordering=-code")
    assert 'href="?ordering=code"' in desc and "table-sort desc" in desc
    assert '<th class="num ' in desc


def test_confirm_dialog_posts_the_confirmation():
    html = render(
        '<c-confirm label="发布" action="/x/" testid="publish" reason reason_required>'
        "<p>全部机构</p></c-confirm>"
    )
    assert 'data-testid="publish-open"' in html and 'data-confirm-open="confirm-publish"' in html
    assert '<dialog id="confirm-publish" class="confirm-dialog"' in html
    assert '<input type="hidden" name="confirm" value="yes">' in html
    assert 'name="reason"' in html and "required" in html
    assert 'method="post" action="/x/"' in html and 'data-testid="publish-submit"' in html
    assert "<p>全部机构</p>" in html


def test_pager_keeps_the_query_string(world):
    from django.core.paginator import Paginator

    page = Paginator(list(range(100)), 10).get_page(4)
    html = render('<c-pager :page="page" />', "/x/?q=a&page=4", page=page)
    assert 'href="?q=a&amp;page=3" rel="prev"' in html
    assert 'href="?q=a&amp;page=5" rel="next"' in html
    assert 'aria-current="page"><span class="page-link">4<' in html
    single = render('<c-pager :page="page" />', page=Paginator([1], 10).get_page(1))
    assert "pagination" not in single
