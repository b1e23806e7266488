"""Readable action names in the audit trail (orgs/audit_actions.py): every action a service writes
has a name, the pages show it beside the code, and an unknown code is shown as itself."""

import re
from pathlib import Path

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from appraisal.services import TRANSITIONS
from orgs.audit_actions import ACTION_LABELS, action_label
from orgs.services import audit_record

APPS = ["orgs", "appraisal", "acceptance", "payroll", "letters", "bulletins", "dashboard", "ops"]
CODE = r'"([a-z_]+\.[a-z_]+)"'
# action="x.y", and action="x.y" if … else "x.z"
LITERAL = re.compile(rf"action\s*=\s*{CODE}(?:\s+if\s+[^\"]+\s+else\s+{CODE})?")


def written_actions() -> set[str]:
    codes = {f"scheme.{action}" for action in TRANSITIONS}  # action=f"scheme.{action}"
    for app in APPS:
        for module in Path(settings.BASE_DIR, app).rglob("*.py"):
            if "migrations" in module.parts:
                continue
            for match in LITERAL.finditer(module.read_text()):
                codes.update(code for code in match.groups() if code)
    return codes


def test_every_action_a_service_writes_has_a_name():
    codes = written_actions()
    assert len(codes) > 40
    assert sorted(codes - set(ACTION_LABELS)) == []


def test_names_are_chinese_with_the_code_as_fallback():
    with translation.override("zh-hans"):
        assert action_label("acceptance.report") == "提交周报"
        assert action_label("scheme.publish") == "发布考核结果"
        assert action_label("x.unknown") == "x.unknown"
    with translation.override("en"):
        assert action_label("acceptance.report") == "Weekly report submitted"


def test_the_audit_pages_show_the_name_beside_the_code(client_for, world):
    event = audit_record(actor=world.users["hr"], action="institution.update", obj=world.a)
    client = client_for("auditadmin")
    html = client.get(reverse("orgs:audit_list")).content.decode()
    assert '<td class="nowrap" data-action="institution.update">修改机构' in html
    assert "<code>institution.update</code>" in html
    detail = client.get(reverse("orgs:audit_detail", kwargs={"pk": event.pk})).content.decode()
    assert "修改机构 · 甲机构" in detail
    # The filter offers the actions in use by name, the code beside it.
    assert '<option value="institution.update">修改机构 · institution.update</option>' in html
