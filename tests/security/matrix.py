"""The permission matrix: every route of the URL conf (pages, exports, downloads, the API) × every
persona, as data. tests/security/test_permission_matrix.py walks the URL conf and checks that each
route has an entry here and that every persona gets the answer written here; docs/PERMISSIONS.md
shows `markdown()` between its `matrix` markers (`python -m tests.security.matrix` prints it).

An entry is keyed by the route's name (`namespace:name`; a DRF router route by its name, e.g.
`appraisal-entry-detail`, which also covers its `.json` format-suffix twin; the whole Django admin
by `admin`). `TABLE` below holds one line per route with the answer to a GET for each persona, in
the order of `PERSONAS`:

- `ok`: 2xx, or a redirect somewhere other than the login page (pages that redirect by design);
- `login`: a redirect to `/login/` (pages); `401`: the API's answer to an anonymous caller;
- `403`, `404` (outside the persona's scope, the same answer as for a missing object), `405` (a
  method the route does not take: GET on a POST-only action);
- `admin`: a redirect to the Django admin's own login (nobody here is staff).

A route that changes state (a form, an action, an API create or update) has a second line with the
answers to an empty POST (PATCH for an API update): `-` for a persona who may make the change (the
test does not send it as them); the test sends it as every other persona, checks the refusal and
that nothing changed.

`KWARGS` fill the URLs: a string names an attribute path of the world (tests/security/world.py;
a model gives its `pk`), an int is used as it is. Every object a route takes belongs to institution
A01, so head B gets 404 wherever the object is scoped (acceptance batch 第一批 holds A01 and B01, so
both heads see the batch, but only head A its A01 inspection).
"""

from __future__ import annotations

from dataclasses import dataclass

PERSONAS = ["hr", "head_a", "head_b", "scorer", "acceptance", "payroll", "auditor", "norole",
            "leader", "contact_a", "contact_b",
            "sysadmin", "secadmin", "auditadmin", "anonymous"]  # fmt: skip
HEADERS = ["HR", "head A", "head B", "scorer", "acceptance", "payroll", "auditor", "no role",
           "leader", "contact A", "contact B",
           "sysadmin", "secadmin", "auditadmin", "anonymous"]  # fmt: skip
ANSWERS = {"ok", "login", "401", "403", "404", "405", "admin", "-"}
DENIALS = {"login", "401", "403", "404"}


@dataclass(frozen=True)
class Route:
    key: str
    get: str
    write: str | None = None  # answers to an empty `method` request, for routes that change state
    method: str = "post"

    def answers(self, which: str = "get") -> dict[str, str]:
        row = (self.get if which == "get" else self.write or "").split()
        assert len(row) == len(PERSONAS), (self.key, which, row)
        assert set(row) <= ANSWERS, (self.key, which, row)
        return dict(zip(PERSONAS, row, strict=True))


# Routes the walk leaves out, with the reason.
EXCLUDED = {
    "^static/(?P<path>.*)$": "static files, served by the development server only (DEBUG)",
}

# The Django admin: one entry covers every route under /admin/ (checked on a few of them).
ADMIN_SAMPLES = ["/admin/", "/admin/orgs/institution/", "/admin/appraisal/ledgerentry/"]

# How each route's URL is filled (see the module's docstring).
YEAR = {"year": 2026}
KWARGS = {
    "orgs:institution_detail": {"code": "a.code"},
    "orgs:institution_edit": {"code": "a.code"},
    "orgs:institution_employees": {"code": "a.code"},
    "orgs:institution_employees_export": {"code": "a.code"},
    "orgs:group_edit": {"pk": "g1"},
    "orgs:audit_detail": {"pk": "audit_event"},
    "orgs:account_edit": {"pk": "account"},
    "orgs:account_password": {"pk": "account"},
    "orgs:security_mfa_reset": {"pk": "account"},
    "orgs:notification_open": {"pk": "notification"},
    "orgs:institution_contacts": {"code": "a.code"},
    "orgs:contact_end": {"pk": "contact_a"},
    "institution-contact-list": {"institution_code": "a.code"},
    "institution-contact-end": {"institution_code": "a.code", "pk": "contact_a"},
    "appraisal:scheme_detail": YEAR,
    "appraisal:scheme_settings": YEAR,
    "appraisal:indicator_create": YEAR,
    "appraisal:indicator_edit": {"year": 2026, "pk": "indicator"},
    "appraisal:indicator_delete": {"year": 2026, "pk": "indicator"},
    "appraisal:scheme_targets": YEAR,
    "appraisal:scoring_grid": YEAR,
    "appraisal:entry_create": YEAR,
    "appraisal:ledger": YEAR,
    "appraisal:entry_reverse": {"pk": "entry"},
    "appraisal:evidence": {"pk": "entry"},
    "appraisal:rankings": YEAR,
    "appraisal:rankings_h1": YEAR,
    "appraisal:rankings_recompute": YEAR,
    "appraisal:my_results": YEAR,
    "appraisal:latest": {"page": "page"},
    "appraisal:rankings_export": YEAR,
    "appraisal:appeal_create": {"pk": "entry"},
    "appraisal:appeal_detail": {"pk": "appeal"},
    "appraisal:appeal_answer": {"pk": "appeal"},
    "appraisal:appeal_evidence": {"pk": "appeal"},
    "reporting:report_detail": {"pk": "data_report"},
    "reporting:report_submit": {"pk": "data_report"},
    "reporting:report_approve": {"pk": "data_report"},
    "reporting:report_return": {"pk": "data_report"},
    "reporting:report_template": {"pk": "data_report"},
    "reporting:report_import": {"pk": "data_report"},
    "reporting:item_detail": {"pk": "data_item"},
    "reporting:item_first_review": {"pk": "data_item"},
    "reporting:item_second_review": {"pk": "data_item"},
    "reporting:evidence": {"pk": "data_evidence"},
    "reporting-report-detail": {"pk": "data_report"},
    "reporting-report-submit": {"pk": "data_report"},
    "reporting-report-approve": {"pk": "data_report"},
    "reporting-report-return": {"pk": "data_report"},
    "reporting-report-import": {"pk": "data_report"},
    "reporting-item-detail": {"pk": "data_item"},
    "reporting-item-save": {"pk": "data_item"},
    "reporting-item-evidence": {"pk": "data_item"},
    "reporting-item-first-review": {"pk": "data_item"},
    "reporting-item-second-review": {"pk": "data_item"},
    "payroll:run_detail": {"pk": "run"},
    "payroll:run_recompute": {"pk": "run"},
    "payroll:run_confirm": {"pk": "run"},
    "payroll:reconciliation": {"pk": "run"},
    "payroll:policy_edit": {"pk": "policy"},
    "payroll:grades": {"year": 2026, "code": "a.code"},
    "payroll:run_export": {"pk": "run"},
    "payroll:month_export": {"month": "month"},
    "payroll:export_status": {"job": "job"},
    "payroll:export_download": {"job": "job"},
    "letters:letter_list": YEAR,
    "letters:letter_detail": {"pk": "letter"},
    "letters:letter_sign": {"pk": "letter"},
    "letters:letter_countersign": {"pk": "letter"},
    "letters:letter_reissue": {"pk": "letter"},
    "letters:letter_download": {"pk": "letter"},
    "letters:letter_cascade": {"pk": "letter"},
    "letters:letter_cascade_issue": {"pk": "letter"},
    "letters:status": YEAR,
    "letters:status_export": YEAR,
    "letters:status_issue": YEAR,
    "acceptance:batch_detail": {"pk": "batch"},
    "acceptance:batch_start": {"pk": "batch"},
    "acceptance:batch_close": {"pk": "batch"},
    "acceptance:batch_report": {"pk": "batch"},
    "acceptance:batch_report_export": {"pk": "batch"},
    "acceptance:inspection_detail": {"pk": "inspection"},
    "acceptance:inspection_decide": {"pk": "inspection"},
    "acceptance:tick_save": {"pk": "inspection", "item": "item"},
    "acceptance:tick_evidence": {"pk": "inspection", "item": "item"},
    "bulletins:bulletin_detail": {"pk": "draft"},
    "bulletins:bulletin_publish": {"pk": "draft"},
    "bulletins:bulletin_regenerate": {"pk": "draft"},
    "bulletins:bulletin_xlsx": {"pk": "draft"},
    "bulletins:explanation_detail": {"pk": "explanation"},
    "bulletins:explanation_submit": {"pk": "explanation"},
    "bulletins:explanation_review": {"pk": "explanation"},
    "bulletins:explanation_attachment": {"pk": "explanation"},
    "bulletins:policy": YEAR,
    "dashboard:overview": YEAR,
    "dashboard:portal": {"year": 2026, "code": "a.code"},
    # API
    "group-detail": {"pk": "g1"},
    "institution-detail": {"code": "a.code"},
    "institution-employee-list": {"institution_code": "a.code"},
    "employee-detail": {"pk": "employee"},
    "audit-detail": {"pk": "audit_event"},
    "notification-detail": {"pk": "notification"},
    "notification-read": {"pk": "notification"},
    "appraisal-scheme-detail": YEAR,
    "appraisal-scheme-check": YEAR,
    "appraisal-scheme-recompute": YEAR,
    "appraisal-scheme-transition": YEAR,
    "appraisal-indicator-detail": {"pk": "indicator"},
    "appraisal-target-detail": {"pk": "target"},
    "appraisal-entry-detail": {"pk": "entry"},
    "appraisal-entry-decide": {"pk": "entry"},
    "appraisal-entry-reverse": {"pk": "entry"},
    "appraisal-appeal-detail": {"pk": "appeal"},
    "appraisal-appeal-answer": {"pk": "appeal"},
    "payroll-policy-detail": {"pk": "policy"},
    "payroll-run-detail": {"pk": "run"},
    "payroll-run-confirm": {"pk": "run"},
    "letters-letter-detail": {"pk": "letter"},
    "letters-letter-countersign": {"pk": "letter"},
    "letters-letter-sign": {"pk": "letter"},
    "letters-letter-verify": {"pk": "letter"},
    "acceptance-batch-detail": {"pk": "batch"},
    "acceptance-inspection-detail": {"pk": "inspection"},
    "acceptance-inspection-decide": {"pk": "inspection"},
    "acceptance-inspection-ticks": {"pk": "inspection"},
    "acceptance-report-detail": {"pk": "report"},
    "bulletins-bulletin-detail": {"pk": "draft"},
    "bulletins-bulletin-publish": {"pk": "draft"},
    "bulletins-explanation-detail": {"pk": "explanation"},
    "bulletins-explanation-review": {"pk": "explanation"},
    "bulletins-explanation-submit": {"pk": "explanation"},
    "dashboard-overview": YEAR,
    "dashboard-portal": {"year": 2026, "code": "a.code"},
}

# One line per route: its GET answers; under it, for a route that changes state, the answers to
# an empty POST (or PATCH, for API updates). Columns in the order of PERSONAS.
TABLE = """
# route                             hr    headA headB scorer accpt payrl audit norole leadr cntA  cntB  sys   sec   adt   anon

# --- site ------------------------------------------------------------------------------
home                                ok    ok    ok    ok    ok    ok    ok    403   ok    ok    ok    ok    ok    ok    login
orgs:nav_counts                     ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    login
orgs:notification_list              ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    login
orgs:notification_open              404   ok    404   404   404   404   404   404   404   404   404   404   404   404   login
orgs:notification_read_all          405   405   405   405   405   405   405   405   405   405   405   405   405   405   login
  POST                              -     -     -     -     -     -     -     -     -     -     -     -     -     -     login
login                               ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok
logout                              405   405   405   405   405   405   405   405   405   405   405   405   405   405   405
# single sign-on: not found while OIDC is off, the default (tests/signin/ sign in with it on)
signin:oidc_login                   404   404   404   404   404   404   404   404   404   404   404   404   404   404   404
signin:oidc_callback                404   404   404   404   404   404   404   404   404   404   404   404   404   404   404
set_language                        ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok

# --- orgs ------------------------------------------------------------------------------
orgs:institution_list               ok    ok    ok    ok    ok    ok    ok    403   ok    ok    ok    403   403   403   login
orgs:institution_create             ok    403   403   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
orgs:institution_export             ok    ok    ok    ok    ok    ok    ok    403   ok    ok    ok    403   403   403   login
orgs:institution_detail             ok    ok    404   ok    ok    ok    ok    403   ok    ok    404   403   403   403   login
orgs:institution_edit               ok    403   403   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
orgs:institution_employees          ok    ok    404   403   403   ok    ok    403   403   403   403   403   403   403   login
orgs:institution_employees_export   ok    ok    404   403   403   ok    ok    403   403   403   403   403   403   403   login
orgs:institution_contacts           ok    ok    404   ok    ok    ok    ok    403   ok    ok    404   403   403   403   login
  POST                              -     -     404   403   403   403   403   403   403   403   404   403   403   403   login
orgs:contact_end                    405   405   405   405   405   405   405   403   405   405   405   403   403   403   login
  POST                              -     -     404   403   403   403   403   403   403   403   404   403   403   403   login
orgs:group_list                     ok    ok    ok    ok    ok    ok    ok    403   ok    ok    ok    403   403   403   login
orgs:group_create                   ok    403   403   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
orgs:group_edit                     ok    403   403   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
orgs:import_upload                  ok    403   403   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
orgs:import_template                ok    403   403   403   403   403   403   403   403   403   403   403   403   403   login
orgs:audit_list                     403   403   403   403   403   403   ok    403   403   403   403   403   403   ok    login
orgs:audit_export                   403   403   403   403   403   403   ok    403   403   403   403   403   403   ok    login
orgs:audit_detail                   403   403   403   403   403   403   ok    403   403   403   403   403   403   ok    login
# the user's own account (every signed-in user) and the sign-in's second factor
orgs:account                        ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    login
orgs:password_change                ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    login
  POST                              -     -     -     -     -     -     -     -     -     -     -     -     -     -     login
orgs:mfa_verify                     ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    login
  POST                              -     -     -     -     -     -     -     -     -     -     -     -     -     -     login
orgs:mfa_enrol                      ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    login
  POST                              -     -     -     -     -     -     -     -     -     -     -     -     -     -     login
orgs:mfa_remove                     405   405   405   405   405   405   405   405   405   405   405   405   405   405   login
  POST                              -     -     -     -     -     -     -     -     -     -     -     -     -     -     login
# 三员: the system administrator's accounts, the security administrator's pages
orgs:account_list                   403   403   403   403   403   403   403   403   403   403   403   ok    403   403   login
orgs:account_create                 403   403   403   403   403   403   403   403   403   403   403   ok    403   403   login
  POST                              403   403   403   403   403   403   403   403   403   403   403   -     403   403   login
orgs:account_edit                   403   403   403   403   403   403   403   403   403   403   403   ok    403   403   login
  POST                              403   403   403   403   403   403   403   403   403   403   403   -     403   403   login
orgs:account_password               403   403   403   403   403   403   403   403   403   403   403   ok    403   403   login
  POST                              403   403   403   403   403   403   403   403   403   403   403   -     403   403   login
orgs:security_policies              403   403   403   403   403   403   403   403   403   403   403   403   ok    403   login
orgs:security_lockouts              403   403   403   403   403   403   403   403   403   403   403   403   ok    403   login
orgs:security_unlock                403   403   403   403   403   403   403   403   403   403   403   403   405   403   login
  POST                              403   403   403   403   403   403   403   403   403   403   403   403   -     403   login
orgs:security_mfa                   403   403   403   403   403   403   403   403   403   403   403   403   ok    403   login
orgs:security_mfa_reset             403   403   403   403   403   403   403   403   403   403   403   403   405   403   login
  POST                              403   403   403   403   403   403   403   403   403   403   403   403   -     403   login

# --- appraisal -------------------------------------------------------------------------
appraisal:scheme_list               ok    ok    ok    ok    ok    ok    ok    403   ok    ok    ok    403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
appraisal:scheme_detail             ok    ok    ok    ok    ok    ok    ok    403   ok    ok    ok    403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
appraisal:scheme_settings           ok    403   403   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
appraisal:indicator_create          ok    403   403   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
appraisal:indicator_edit            ok    403   403   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
appraisal:indicator_delete          ok    403   403   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
appraisal:scheme_targets            ok    403   403   ok    403   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   -     403   403   403   403   403   403   403   403   403   403   login
appraisal:approvals                 ok    403   403   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
appraisal:scoring_grid              ok    403   403   ok    403   403   403   403   ok    403   403   403   403   403   login
appraisal:entry_create              ok    ok    ok    ok    403   403   403   403   ok    403   403   403   403   403   login
  POST                              -     -     -     -     403   403   403   403   -     403   403   403   403   403   login
appraisal:ledger                    ok    ok    ok    ok    403   403   ok    403   ok    403   403   403   403   403   login
appraisal:entry_reverse             405   405   405   405   403   403   403   403   405   403   403   403   403   403   login
  POST                              -     403   404   -     403   403   403   403   403   403   403   403   403   403   login
appraisal:evidence                  ok    ok    404   ok    404   404   ok    403   ok    404   404   403   403   403   login
appraisal:rankings                  ok    403   403   ok    403   403   ok    403   403   403   403   403   403   403   login
appraisal:rankings_h1               ok    403   403   ok    403   403   ok    403   403   403   403   403   403   403   login
appraisal:rankings_recompute        405   403   403   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
appraisal:my_results                403   ok    ok    403   403   ok    403   403   ok    403   403   403   403   403   login
appraisal:latest                    ok    ok    ok    ok    ok    ok    ok    403   ok    ok    ok    403   403   403   login
appraisal:year_import               ok    403   403   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
appraisal:year_import_template      ok    403   403   403   403   403   403   403   403   403   403   403   403   403   login
appraisal:rankings_export           ok    403   403   ok    403   403   ok    403   403   403   403   403   403   403   login
appraisal:appeal_list               ok    ok    ok    ok    403   403   ok    403   403   403   403   403   403   403   login
appraisal:appeal_create             403   ok    404   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              403   -     404   403   403   403   403   403   403   403   403   403   403   403   login
appraisal:appeal_detail             ok    ok    404   ok    403   403   ok    403   403   403   403   403   403   403   login
appraisal:appeal_answer             405   403   403   405   403   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   -     403   403   403   403   403   403   403   403   403   403   login
appraisal:appeal_evidence           ok    ok    404   ok    403   403   ok    403   403   403   403   403   403   403   login

# --- reporting (数据填报) -------------------------------------------------------------------
reporting:report_list               ok    ok    ok    ok    403   403   ok    403   ok    ok    ok    403   403   403   login
reporting:report_start              403   405   405   403   403   403   403   403   403   405   405   403   403   403   login
  POST                              403   -     -     403   403   403   403   403   403   -     -     403   403   403   login
reporting:queue                     ok    403   403   ok    403   403   403   403   403   403   403   403   403   403   login
reporting:report_detail             ok    ok    404   ok    403   403   ok    403   ok    ok    404   403   403   403   login
reporting:report_submit             403   405   405   403   403   403   403   403   403   405   405   403   403   403   login
  POST                              403   -     404   403   403   403   403   403   403   -     404   403   403   403   login
reporting:report_import             403   405   405   403   403   403   403   403   403   405   405   403   403   403   login
  POST                              403   -     404   403   403   403   403   403   403   -     404   403   403   403   login
reporting:report_approve            403   405   405   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              403   -     404   403   403   403   403   403   403   403   403   403   403   403   login
reporting:report_return             403   405   405   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              403   -     404   403   403   403   403   403   403   403   403   403   403   403   login
reporting:report_template           403   ok    404   403   403   403   403   403   403   ok    404   403   403   403   login
reporting:item_detail               ok    ok    404   ok    403   403   ok    403   ok    ok    404   403   403   403   login
  POST                              403   -     404   403   403   403   403   403   403   -     404   403   403   403   login
reporting:item_first_review         403   403   403   405   403   403   403   403   403   403   403   403   403   403   login
  POST                              403   403   403   -     403   403   403   403   403   403   403   403   403   403   login
reporting:item_second_review        405   403   403   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
reporting:evidence                  ok    ok    404   ok    403   403   ok    403   ok    ok    404   403   403   403   login

# --- payroll ---------------------------------------------------------------------------
payroll:run_list                    ok    ok    ok    403   403   ok    ok    403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   -     403   403   403   403   403   403   403   403   login
payroll:run_detail                  ok    ok    404   403   403   ok    ok    403   403   403   403   403   403   403   login
payroll:run_recompute               405   403   403   403   403   405   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   -     403   403   403   403   403   403   403   403   login
payroll:run_confirm                 405   403   403   403   403   405   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   -     403   403   403   403   403   403   403   403   login
payroll:reconciliation              ok    403   403   403   403   ok    ok    403   403   403   403   403   403   403   login
payroll:policy_list                 ok    403   403   403   403   ok    ok    403   403   403   403   403   403   403   login
payroll:policy_create               ok    403   403   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
payroll:policy_edit                 ok    403   403   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
payroll:coefficients                ok    403   403   403   403   403   ok    403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
payroll:grades                      ok    403   403   403   403   ok    ok    403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
payroll:import                      ok    403   403   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
payroll:import_apply                405   403   403   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
payroll:import_template             ok    403   403   403   403   403   403   403   403   403   403   403   403   403   login
payroll:run_export                  ok    403   403   403   403   ok    403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   -     403   403   403   403   403   403   403   403   login
payroll:month_export                ok    403   403   403   403   ok    403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   -     403   403   403   403   403   403   403   403   login
payroll:export_status               ok    403   403   403   403   404   403   403   403   403   403   403   403   403   login
payroll:export_download             ok    403   403   403   403   404   403   403   403   403   403   403   403   403   login
payroll:paid_import                 ok    403   403   403   403   ok    403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   -     403   403   403   403   403   403   403   403   login
payroll:paid_import_apply           405   403   403   403   403   405   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   -     403   403   403   403   403   403   403   403   login

# --- letters ---------------------------------------------------------------------------
letters:latest                      ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    login
letters:letter_list                 ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    login
letters:letter_detail               ok    ok    404   404   404   404   ok    404   404   404   404   404   404   404   login
letters:letter_sign                 405   405   405   405   405   405   405   405   405   405   405   405   405   405   login
  POST                              403   -     404   404   404   404   403   404   404   404   404   404   404   404   login
letters:letter_countersign          405   403   403   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
letters:letter_reissue              405   403   403   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
letters:letter_download             ok    ok    404   404   404   404   ok    404   404   404   404   404   404   404   login
letters:letter_cascade              ok    ok    404   404   404   404   403   404   404   404   404   404   404   404   login
  POST                              -     -     404   404   404   404   403   404   404   404   404   404   404   404   login
letters:letter_cascade_issue        405   405   405   405   405   405   405   405   405   405   405   405   405   405   login
  POST                              -     -     404   404   404   404   403   404   404   404   404   404   404   404   login
letters:status                      ok    403   403   403   403   403   ok    403   403   403   403   403   403   403   login
letters:status_export               ok    403   403   403   403   403   ok    403   403   403   403   403   403   403   login
letters:status_issue                405   403   403   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login

# --- acceptance ------------------------------------------------------------------------
acceptance:batch_list               ok    ok    ok    403   ok    403   ok    403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
acceptance:batch_detail             ok    ok    ok    403   ok    403   ok    403   403   403   403   403   403   403   login
acceptance:batch_start              405   403   403   403   405   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   -     403   403   403   403   403   403   403   403   403   login
acceptance:batch_close              405   403   403   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
acceptance:batch_report             ok    403   403   403   ok    403   ok    403   403   403   403   403   403   403   login
acceptance:batch_report_export      ok    403   403   403   ok    403   ok    403   403   403   403   403   403   403   login
acceptance:inspection_detail        ok    ok    404   403   ok    403   ok    403   403   403   403   403   403   403   login
acceptance:inspection_decide        405   403   403   403   405   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   -     403   403   403   403   403   403   403   403   403   login
acceptance:tick_save                405   403   403   403   405   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   -     403   403   403   403   403   403   403   403   403   login
acceptance:tick_evidence            ok    ok    404   403   ok    403   ok    403   403   403   403   403   403   403   login
acceptance:standard_detail          ok    ok    ok    403   ok    403   ok    403   403   403   403   403   403   403   login
acceptance:standard_go_live         405   403   403   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
acceptance:report_list              ok    ok    ok    403   ok    403   ok    403   403   403   403   403   403   403   login
acceptance:report_submit            ok    ok    ok    403   403   403   403   403   403   403   403   403   403   403   login
  POST                              -     -     -     403   403   403   403   403   403   403   403   403   403   403   login
acceptance:rollout                  ok    403   403   403   ok    403   ok    403   403   403   403   403   403   403   login

# --- bulletins -------------------------------------------------------------------------
bulletins:bulletin_list             ok    ok    ok    ok    ok    ok    ok    403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
bulletins:bulletin_detail           ok    404   404   404   404   404   ok    403   403   403   403   403   403   403   login
bulletins:bulletin_publish          405   403   403   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
bulletins:bulletin_regenerate       405   403   403   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
bulletins:bulletin_xlsx             ok    404   404   404   404   404   ok    403   403   403   403   403   403   403   login
bulletins:explanation_list          ok    ok    ok    403   403   403   ok    403   403   403   403   403   403   403   login
bulletins:explanation_detail        ok    ok    404   403   403   403   ok    403   403   403   403   403   403   403   login
bulletins:explanation_submit        403   405   405   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              403   -     404   403   403   403   403   403   403   403   403   403   403   403   login
bulletins:explanation_review        405   403   403   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login
bulletins:explanation_attachment    ok    ok    404   403   403   403   ok    403   403   403   403   403   403   403   login
bulletins:policy                    ok    403   403   403   403   403   403   403   403   403   403   403   403   403   login
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   login

# --- dashboard -------------------------------------------------------------------------
dashboard:latest                    ok    403   403   403   403   403   ok    403   403   403   403   403   403   403   login
dashboard:overview                  ok    403   403   403   403   403   ok    403   403   403   403   403   403   403   login
dashboard:my_portal                 403   ok    ok    403   403   403   403   403   403   403   403   403   403   403   login
dashboard:portal                    ok    ok    404   403   403   403   ok    403   403   403   403   403   403   403   login

# --- api orgs --------------------------------------------------------------------------
me-list                             ok    ok    ok    ok    ok    ok    ok    403   ok    ok    ok    403   403   403   401
group-list                          ok    ok    ok    ok    ok    ok    ok    403   ok    ok    ok    403   403   403   401
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   401
group-detail                        ok    ok    ok    ok    ok    ok    ok    403   ok    ok    ok    403   403   403   401
  PATCH                             -     403   403   403   403   403   403   403   403   403   403   403   403   403   401
institution-list                    ok    ok    ok    ok    ok    ok    ok    403   ok    ok    ok    403   403   403   401
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   401
institution-detail                  ok    ok    404   ok    ok    ok    ok    403   ok    ok    404   403   403   403   401
  PATCH                             -     403   403   403   403   403   403   403   403   403   403   403   403   403   401
institution-contact-list            ok    ok    404   ok    ok    ok    ok    403   ok    ok    404   403   403   403   401
  POST                              -     -     404   403   403   403   403   403   403   403   404   403   403   403   401
institution-contact-end             405   405   405   405   405   405   405   403   405   405   405   403   403   403   401
  POST                              -     -     404   403   403   403   403   403   403   403   404   403   403   403   401
institution-employee-list           ok    ok    404   403   403   ok    ok    403   403   403   403   403   403   403   401
employee-list                       ok    ok    ok    403   403   ok    ok    403   403   403   403   403   403   403   401
employee-detail                     ok    ok    404   403   403   ok    ok    403   403   403   403   403   403   403   401
audit-list                          403   403   403   403   403   403   ok    403   403   403   403   403   403   ok    401
audit-detail                        403   403   403   403   403   403   ok    403   403   403   403   403   403   ok    401
notification-list                   ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    401
notification-read-all               405   405   405   405   405   405   405   405   405   405   405   405   405   405   401
  POST                              -     -     -     -     -     -     -     -     -     -     -     -     -     -     401
notification-detail                 404   ok    404   404   404   404   404   404   404   404   404   404   404   404   401
notification-read                   405   405   405   405   405   405   405   405   405   405   405   405   405   405   401
  POST                              404   -     404   404   404   404   404   404   404   404   404   404   404   404   401

# --- api root --------------------------------------------------------------------------
api-root                            ok    ok    ok    ok    ok    ok    ok    403   ok    ok    ok    403   403   403   401

# --- api appraisal ---------------------------------------------------------------------
appraisal-scheme-list               ok    ok    ok    ok    ok    ok    ok    403   ok    ok    ok    403   403   403   401
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   401
appraisal-scheme-detail             ok    ok    ok    ok    ok    ok    ok    403   ok    ok    ok    403   403   403   401
  PATCH                             -     403   403   403   403   403   403   403   403   403   403   403   403   403   401
appraisal-scheme-check              ok    403   403   403   403   403   403   403   403   403   403   403   403   403   401
appraisal-scheme-recompute          405   403   403   403   403   403   403   403   403   403   403   403   403   403   401
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   401
appraisal-scheme-transition         405   403   403   403   403   403   403   403   403   403   403   403   403   403   401
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   401
appraisal-indicator-list            ok    ok    ok    ok    ok    ok    ok    403   ok    ok    ok    403   403   403   401
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   401
appraisal-indicator-detail          ok    ok    ok    ok    ok    ok    ok    403   ok    ok    ok    403   403   403   401
  PATCH                             -     403   403   403   403   403   403   403   403   403   403   403   403   403   401
appraisal-target-list               ok    ok    ok    ok    403   403   ok    403   ok    403   403   403   403   403   401
  POST                              -     403   403   -     403   403   403   403   403   403   403   403   403   403   401
appraisal-target-detail             ok    ok    404   404   403   403   ok    403   ok    403   403   403   403   403   401
  PATCH                             -     403   403   404   403   403   403   403   403   403   403   403   403   403   401
appraisal-entry-list                ok    ok    ok    ok    403   403   ok    403   ok    403   403   403   403   403   401
  POST                              -     -     -     -     403   403   403   403   -     403   403   403   403   403   401
appraisal-entry-detail              ok    ok    404   ok    403   403   ok    403   ok    403   403   403   403   403   401
appraisal-entry-decide              405   403   403   403   403   403   403   403   403   403   403   403   403   403   401
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   401
appraisal-entry-reverse             405   405   405   405   403   403   405   403   405   403   403   403   403   403   401
  POST                              -     403   404   -     403   403   403   403   403   403   403   403   403   403   401
appraisal-result-list               ok    ok    ok    ok    403   ok    ok    403   ok    403   403   403   403   403   401
appraisal-appeal-list               ok    ok    ok    ok    403   403   ok    403   ok    403   403   403   403   403   401
  POST                              403   -     -     403   403   403   403   403   403   403   403   403   403   403   401
appraisal-appeal-detail             ok    ok    404   ok    403   403   ok    403   ok    403   403   403   403   403   401
appraisal-appeal-answer             405   403   403   405   403   403   403   403   403   403   403   403   403   403   401
  POST                              -     403   403   -     403   403   403   403   403   403   403   403   403   403   401

# --- api payroll -----------------------------------------------------------------------
payroll-policy-list                 ok    403   403   403   403   ok    ok    403   403   403   403   403   403   403   401
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   401
payroll-policy-detail               ok    403   403   403   403   ok    ok    403   403   403   403   403   403   403   401
  PATCH                             -     403   403   403   403   403   403   403   403   403   403   403   403   403   401
payroll-run-list                    ok    ok    ok    403   403   ok    ok    403   403   403   403   403   403   403   401
payroll-run-compute                 405   403   403   403   403   405   403   403   403   403   403   403   403   403   401
  POST                              -     403   403   403   403   -     403   403   403   403   403   403   403   403   401
payroll-run-detail                  ok    ok    404   403   403   ok    ok    403   403   403   403   403   403   403   401
payroll-run-confirm                 405   403   403   403   403   405   403   403   403   403   403   403   403   403   401
  POST                              -     403   403   403   403   -     403   403   403   403   403   403   403   403   401
payroll-line-list                   ok    403   403   403   403   ok    ok    403   403   403   403   403   403   403   401

# --- api letters -----------------------------------------------------------------------
letters-letter-list                 ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    ok    401
letters-letter-issue                405   403   403   403   403   403   403   403   403   403   403   403   403   403   401
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   401
letters-letter-detail               ok    ok    404   404   404   404   ok    404   404   404   404   404   404   404   401
letters-letter-countersign          405   403   403   403   403   403   403   403   403   403   403   403   403   403   401
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   401
letters-letter-sign                 405   405   405   405   405   405   405   405   405   405   405   405   405   405   401
  POST                              403   -     404   404   404   404   403   404   404   404   404   404   404   404   401
letters-letter-verify               ok    ok    404   404   404   404   ok    404   404   404   404   404   404   404   401

# --- api acceptance --------------------------------------------------------------------
acceptance-standard-list            ok    403   403   403   ok    403   ok    403   403   403   403   403   403   403   401
acceptance-batch-list               ok    ok    ok    403   ok    403   ok    403   403   403   403   403   403   403   401
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   401
acceptance-batch-detail             ok    ok    ok    403   ok    403   ok    403   403   403   403   403   403   403   401
acceptance-inspection-list          ok    ok    ok    403   ok    403   ok    403   403   403   403   403   403   403   401
acceptance-inspection-detail        ok    ok    404   403   ok    403   ok    403   403   403   403   403   403   403   401
acceptance-inspection-decide        405   405   405   403   405   403   405   403   403   403   403   403   403   403   401
  POST                              -     403   403   403   -     403   403   403   403   403   403   403   403   403   401
acceptance-inspection-ticks         405   405   405   403   405   403   405   403   403   403   403   403   403   403   401
  POST                              -     403   403   403   -     403   403   403   403   403   403   403   403   403   401
acceptance-report-list              ok    ok    ok    403   ok    403   ok    403   403   403   403   403   403   403   401
  POST                              -     -     -     403   403   403   403   403   403   403   403   403   403   403   401
acceptance-report-detail            ok    ok    404   403   ok    403   ok    403   403   403   403   403   403   403   401

# --- api bulletins ---------------------------------------------------------------------
bulletins-bulletin-list             ok    ok    ok    ok    ok    ok    ok    403   403   403   403   403   403   403   401
bulletins-bulletin-generate         405   403   403   403   403   403   403   403   403   403   403   403   403   403   401
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   401
bulletins-bulletin-detail           ok    404   404   404   404   404   ok    403   403   403   403   403   403   403   401
bulletins-bulletin-publish          405   403   403   403   403   403   403   403   403   403   403   403   403   403   401
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   401
bulletins-explanation-list          ok    ok    ok    403   403   403   ok    403   403   403   403   403   403   403   401
bulletins-explanation-detail        ok    ok    404   403   403   403   ok    403   403   403   403   403   403   403   401
bulletins-explanation-review        405   403   403   403   403   403   403   403   403   403   403   403   403   403   401
  POST                              -     403   403   403   403   403   403   403   403   403   403   403   403   403   401
bulletins-explanation-submit        403   405   405   403   403   403   403   403   403   403   403   403   403   403   401
  POST                              403   -     404   403   403   403   403   403   403   403   403   403   403   403   401

# --- api reporting (数据填报) ---------------------------------------------------------------
reporting-report-list               ok    ok    ok    ok    403   403   ok    403   ok    ok    ok    403   403   403   401
  POST                              403   -     -     403   403   403   403   403   403   -     -     403   403   403   401
reporting-report-detail             ok    ok    404   ok    403   403   ok    403   ok    ok    404   403   403   403   401
reporting-report-submit             405   405   405   405   403   403   405   403   405   405   405   403   403   403   401
  POST                              403   -     404   403   403   403   403   403   403   -     404   403   403   403   401
reporting-report-import             405   405   405   405   403   403   405   403   405   405   405   403   403   403   401
  POST                              403   -     404   403   403   403   403   403   403   -     404   403   403   403   401
reporting-report-approve            405   405   405   405   403   403   405   403   405   405   405   403   403   403   401
  POST                              403   -     404   403   403   403   403   403   403   403   404   403   403   403   401
reporting-report-return             405   405   405   405   403   403   405   403   405   405   405   403   403   403   401
  POST                              403   -     404   403   403   403   403   403   403   403   404   403   403   403   401
reporting-item-detail               ok    ok    404   ok    403   403   ok    403   ok    ok    404   403   403   403   401
reporting-item-save                 405   405   405   405   403   403   405   403   405   405   405   403   403   403   401
  POST                              403   -     404   403   403   403   403   403   403   -     404   403   403   403   401
reporting-item-evidence             405   405   405   405   403   403   405   403   405   405   405   403   403   403   401
  POST                              403   -     404   403   403   403   403   403   403   -     404   403   403   403   401
reporting-item-first-review         405   405   405   405   403   403   405   403   405   405   405   403   403   403   401
  POST                              403   403   404   -     403   403   403   403   403   403   404   403   403   403   401
reporting-item-second-review        405   405   405   405   403   403   405   403   405   405   405   403   403   403   401
  POST                              -     403   404   403   403   403   403   403   403   403   404   403   403   403   401

# --- api dashboard ---------------------------------------------------------------------
dashboard-overview                  ok    403   403   403   403   403   ok    403   403   403   403   403   403   403   401
dashboard-portal                    ok    ok    404   403   403   403   ok    403   403   403   403   403   403   403   401

# --- api docs --------------------------------------------------------------------------
api-schema                          ok    ok    ok    ok    ok    ok    ok    403   ok    ok    ok    403   403   403   401
api-docs                            ok    ok    ok    ok    ok    ok    ok    403   ok    ok    ok    403   403   403   401

# --- admin -----------------------------------------------------------------------------
admin                               admin admin admin admin admin admin admin admin admin admin admin admin admin admin admin"""


def _parse(table: str) -> list[Route]:
    routes: list[dict] = []
    for line in table.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        first, *answers = line.split()
        if line.startswith(" "):  # the write row of the route above
            routes[-1].update(write=" ".join(answers), method=first.lower())
        else:
            routes.append({"key": first, "get": " ".join(answers)})
    return [Route(**route) for route in routes]


ROUTES = _parse(TABLE)
BY_KEY = {route.key: route for route in ROUTES}


def markdown() -> str:
    """The matrix as Markdown, for docs/PERMISSIONS.md (between the `matrix` markers)."""
    lines = [
        "Generated from `tests/security/matrix.py` by `python -m tests.security.matrix`; "
        "`tests/security/test_permission_matrix.py` checks every row against the running code "
        "and fails when a route has no row or this section differs from the generated text.",
        "",
        "Answers to a GET: `ok` (2xx, or a redirect by design), `login` (redirect to `/login/`), "
        "`401` (API, not logged in), `403`, `404` (out of scope or missing: every object is "
        "A01's), `405` (POST only), `admin` (redirect to the admin's login). For a route that "
        "changes state, the last column lists who is refused an empty POST (PATCH for an API "
        "update) and how; the test checks that such a request changes nothing.",
        "",
        "| route | URL (object) | " + " | ".join(HEADERS) + " | change refused |",
        "|---|---|" + "---|" * len(HEADERS) + "---|",
    ]
    for route in ROUTES:
        get = route.answers("get")
        refused = "—"
        if route.write:
            refused = (
                route.method.upper()
                + ": "
                + ", ".join(
                    f"{HEADERS[PERSONAS.index(p)]} {a}"
                    for p, a in route.answers("write").items()
                    if a != "-"
                )
            )
        where = url_pattern(route.key)
        if kwargs := KWARGS.get(route.key):
            where += " (" + ", ".join(f"{k}={v}" for k, v in kwargs.items()) + ")"
        cells = [f"`{route.key}`", where, *(get[p] for p in PERSONAS), refused]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def url_pattern(key: str) -> str:
    """The route's pattern as a readable path (`/orgs/institutions/<code>/`)."""
    from . import walk

    return walk.readable(key)


if __name__ == "__main__":  # pragma: no cover
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    print(markdown(), end="")
