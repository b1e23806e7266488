"""The console's menu: groups by domain (考核 / 薪酬 / 责任书 / 验收推进 / 通报 / 系统), each item
shown only to the roles that may use its page. Showing a link is never the check: every view
checks again.

Items name their pages by URL name, so `orgs` imports no app for this. The menu costs no query: the
待办 counts and the unread notifications are loaded after the page (`orgs:nav_counts`, htmx), so a
page's own queries stay its own.
"""

from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .access import BUSINESS_ROLES, account_role, can_manage_orgs
from .models import Role

HR, SCORER, HEAD, ACCEPTANCE, PAYROLL, AUDITOR = (
    Role.HR,
    Role.SCORER,
    Role.HEAD,
    Role.ACCEPTANCE,
    Role.PAYROLL,
    Role.AUDITOR,
)
LEADER, CONTACT = Role.LEADER, Role.CONTACT
SYSADMIN, SECADMIN, AUDITADMIN = Role.SYSADMIN, Role.SECADMIN, Role.AUDITADMIN  # 三员
# Every business role; the three administrators have the 系统 items of their own only.
EVERY_ROLE = frozenset(str(r) for r in BUSINESS_ROLES)
NO_ROLE = ""  # a signer without a role (a deputy, a department) sees their letters only


@dataclass(frozen=True)
class Item:
    key: str  # stable id: 待办 items name it (TodoItem.menu), tests find it (data-nav)
    label: str | Promise
    url_name: str
    roles: frozenset[str]
    args: tuple = ()
    testid: str = ""
    icon: str = ""  # a name of static/vendor/tabler-icons (the layout shows it where it can)
    # Pages that are this item's although their URL is not under its own (URL names): the menu
    # marks the item as the current one there (active_key).
    pages: tuple[str, ...] = ()


@dataclass(frozen=True)
class Group:
    key: str
    label: str | Promise
    items: tuple[Item, ...]
    icon: str = ""


def _roles(*roles) -> frozenset[str]:
    return frozenset(str(r) for r in roles)


HOME = Item("home", _("Home"), "home", frozenset(Role.values) | {NO_ROLE}, icon="home")

GROUPS: tuple[Group, ...] = (
    Group(
        "appraisal",
        _("Appraisal"),  # 考核
        (
            Item("dashboard", _("Dashboard"), "dashboard:latest", _roles(HR, AUDITOR),
                 testid="nav-dashboard", icon="dashboard"),
            Item("portal", _("My portal"), "dashboard:my_portal", _roles(HEAD),
                 testid="nav-portal", icon="dashboard", pages=("dashboard:portal",)),
            Item("schemes", _("Appraisal schemes"), "appraisal:scheme_list", EVERY_ROLE,
                 icon="list-check"),
            Item("scoring", _("Scoring"), "appraisal:latest", _roles(HR, SCORER, LEADER),
                 args=("scoring",), icon="pencil",
                 pages=("appraisal:scoring_grid", "appraisal:entry_create")),
            Item("reporting", _("Data reporting"), "reporting:report_list",
                 _roles(HR, SCORER, HEAD, AUDITOR, Role.LEADER, Role.CONTACT), icon="file-text",
                 pages=("reporting:report_detail", "reporting:item_detail", "reporting:queue")),
            Item("ledger", _("Ledger"), "appraisal:latest",
                 _roles(HR, SCORER, AUDITOR, HEAD, LEADER),
                 args=("ledger",), icon="notebook",
                 pages=("appraisal:ledger", "appraisal:entry_reverse", "appraisal:evidence")),
            Item("rankings", _("Rankings"), "appraisal:latest", _roles(HR, SCORER, AUDITOR),
                 args=("rankings",), icon="trophy",
                 pages=("appraisal:rankings", "appraisal:rankings_h1")),
            Item("my_results", _("My results"), "appraisal:latest", _roles(HEAD, PAYROLL),
                 args=("mine",), icon="chart-bar", pages=("appraisal:my_results",)),
            # A leader reads the results of their 联系单位 on the same page, one at a time.
            Item("contact_results", _("Contact institutions' results"), "appraisal:latest",
                 _roles(LEADER), args=("mine",), icon="chart-bar", pages=("appraisal:my_results",)),
            Item("approvals", _("Approvals"), "appraisal:approvals", _roles(HR),
                 icon="circle-check"),
            Item("appeals", _("Appeals"), "appraisal:appeal_list",
                 _roles(HR, AUDITOR, HEAD, SCORER), testid="nav-appeals", icon="message-report",
                 pages=("appraisal:appeal_create",)),
            Item("year_import", _("Import a year"), "appraisal:year_import", _roles(HR),
                 icon="file-import"),
        ),
        icon="target",
    ),
    Group(
        "payroll",
        _("Pay"),  # 薪酬
        (
            Item("payroll", _("Payroll"), "payroll:run_list", _roles(HR, PAYROLL, AUDITOR, HEAD),
                 testid="nav-payroll", icon="cash",
                 pages=("payroll:grades", "payroll:import", "payroll:paid_import",
                        "payroll:export_status")),
            Item("pay_policies", _("Pay policies"), "payroll:policy_list",
                 _roles(HR, PAYROLL, AUDITOR), icon="file-dollar",
                 pages=("payroll:coefficients",)),
        ),
        icon="coin-yuan",
    ),
    Group(
        "letters",
        _("Letters"),  # 责任书
        (
            Item("letters", _("Letters"), "letters:latest", EVERY_ROLE | {NO_ROLE},
                 testid="nav-letters", icon="writing-sign"),
        ),
        icon="writing-sign",
    ),
    Group(
        "rollout",
        _("Acceptance and rollout"),  # 验收推进
        (
            Item("acceptance", _("Acceptance"), "acceptance:batch_list",
                 _roles(HR, ACCEPTANCE, AUDITOR), testid="nav-acceptance", icon="clipboard-check"),
            Item("rollout", _("Rollout"), "acceptance:rollout", _roles(HR, ACCEPTANCE, AUDITOR),
                 testid="nav-rollout", icon="route"),
            Item("weekly_reports", _("Weekly reports"), "acceptance:report_list",
                 _roles(HR, ACCEPTANCE, AUDITOR, HEAD), icon="calendar-week"),
        ),
        icon="rocket",
    ),
    Group(
        "bulletins",
        _("Bulletins"),  # 通报
        (
            Item("bulletins", _("Bulletins"), "bulletins:bulletin_list", EVERY_ROLE,
                 testid="nav-bulletins", icon="speakerphone"),
            Item("explanations", _("Explanations"), "bulletins:explanation_list",
                 _roles(HR, AUDITOR, HEAD), testid="nav-explanations", icon="message",
                 pages=("bulletins:policy",)),
        ),
        icon="speakerphone",
    ),
    Group(
        "system",
        _("System"),  # 系统
        (
            Item("institutions", _("Institutions"), "orgs:institution_list", EVERY_ROLE,
                 icon="building"),
            Item("groups", _("Assessment groups"), "orgs:group_list", EVERY_ROLE,
                 icon="users-group"),
            Item("orgs_import", _("Import"), "orgs:import_upload", _roles(HR), icon="upload"),
            Item("audit", _("Audit trail"), "orgs:audit_list", _roles(AUDITOR, AUDITADMIN),
                 testid="nav-audit", icon="history"),
            Item("accounts", _("Accounts and roles"), "orgs:account_list", _roles(SYSADMIN),
                 testid="nav-accounts", icon="users",
                 pages=("orgs:account_create", "orgs:account_edit", "orgs:account_password")),
            Item("security", _("Security policies"), "orgs:security_policies", _roles(SECADMIN),
                 testid="nav-security", icon="shield-lock"),
            Item("lockouts", _("Locked sign-ins"), "orgs:security_lockouts", _roles(SECADMIN),
                 testid="nav-lockouts", icon="lock"),
            Item("mfa", _("Second factor"), "orgs:security_mfa", _roles(SECADMIN),
                 testid="nav-mfa", icon="device-mobile"),
            Item("api", "API", "api-docs", EVERY_ROLE, icon="api"),
        ),
        icon="settings",
    ),
)  # fmt: skip


@dataclass
class MenuItem:
    key: str
    label: str | Promise
    url: str
    testid: str
    icon: str
    pages: tuple[str, ...] = ()


@dataclass
class MenuGroup:
    key: str
    label: str | Promise
    icon: str
    items: list[MenuItem] = field(default_factory=list)


def _visible(item: Item, role: str, user) -> bool:
    if item.key == "orgs_import":
        return can_manage_orgs(user)
    return role in item.roles


def _menu_item(item: Item) -> MenuItem | None:
    try:
        url = reverse(item.url_name, args=item.args)
    except NoReverseMatch:  # an app that is not installed
        return None
    return MenuItem(
        item.key, item.label, url, item.testid or f"nav-{item.key}", item.icon, item.pages
    )


def menu_for(user) -> tuple[MenuItem | None, list[MenuGroup]]:
    """The home item and the groups with the items this user may use (empty groups left out).
    No query: the role is on the user."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None, []
    role = account_role(user) or NO_ROLE
    groups = []
    for group in GROUPS:
        items = [
            menu
            for item in group.items
            if _visible(item, role, user) and (menu := _menu_item(item)) is not None
        ]
        if items:
            groups.append(MenuGroup(group.key, group.label, group.icon, items))
    return _menu_item(HOME), groups


def item_keys() -> set[str]:
    return {HOME.key} | {item.key for group in GROUPS for item in group.items}


def active_key(home: MenuItem | None, groups: list[MenuGroup], path: str, url_name: str) -> str:
    """The key of the menu item the page at `path` (URL name `url_name`) belongs to, among the
    items shown: one that names the page, else the one whose URL is the longest start of the path
    (the home item only on the home page itself); "" for none."""
    items = [item for group in groups for item in group.items]
    for item in items:
        if url_name and url_name in item.pages:
            return item.key
    if home is not None and path == home.url:
        return home.key
    best = max(
        (item for item in items if item.url != "/" and path.startswith(item.url)),
        key=lambda item: len(item.url),
        default=None,
    )
    return best.key if best else ""


def url_of(key: str) -> str:
    """The address of the menu item `key`, or "" (no such item, or its app is not installed)."""
    for group in GROUPS:
        for item in group.items:
            if item.key == key:
                menu = _menu_item(item)
                return menu.url if menu else ""
    return ""
