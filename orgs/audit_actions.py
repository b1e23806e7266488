"""What each audit action code means, in words (the audit trail's pages and filter show these;
the export and the API keep the code, which is what a query filters on).

The codes are written by the services of every app (`audit_record(action="letter.sign", …)`);
this is a table of strings, so orgs imports none of them. A code missing here is shown as the code
itself: a new service should add its action below (tests/orgs/test_audit.py lists the codes the
demo writes and checks each has a name).
"""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    # orgs
    "institution.create": _("Institution created"),
    "institution.update": _("Institution changed"),
    "group.create": _("Assessment group created"),
    "group.update": _("Assessment group changed"),
    "employee.create": _("Employee created"),
    "employee.update": _("Employee changed"),
    "department.create": _("Scoring department created"),
    "department.update": _("Scoring department changed"),
    "department.delete": _("Scoring department deleted"),
    "user.create": _("Account created"),
    "user.update": _("Account changed"),
    "user.delete": _("Account deleted"),
    "contact.name": _("Contact person named"),  # 指定考核联络员
    "contact.end": _("Contact person's naming ended"),
    # sign-ins, passwords, second factor, 三员 (orgs.accounts, orgs.mfa, orgs.security_admin)
    "auth.login": _("Signed in"),
    "auth.logout": _("Signed out"),
    "auth.session_end": _("Session ended (idle, time limit or another sign-in)"),
    "auth.login_failed": _("Failed sign-in"),
    "auth.password_change": _("Own password changed"),
    "user.password_reset": _("Temporary password set"),
    "user.role": _("Role changed"),
    "user.admin_role": _("Administrator role (三员) given or taken"),
    "mfa.enrol": _("Authenticator app set up"),
    "mfa.verify": _("Second factor passed"),
    "mfa.failed": _("Wrong second-factor code"),
    "mfa.remove": _("Own authenticator app removed"),
    "mfa.reset": _("Authenticator app reset"),
    "security.unlock": _("Locked sign-in unlocked"),
    "audit.archive": _("Audit trail archived"),
    # sign-in protection (orgs.lockout)
    "auth.lockout": _("Sign-in locked out after wrong passwords"),
    "letter.sign_password_failed": _("Wrong password when signing a letter"),
    # orgs.signin: what the directory or the single sign-on provider said, applied at sign-in
    "signin.create": _("Account created at sign-in"),
    "signin.adopt": _("Local account linked at sign-in"),
    "signin.update": _("Account updated at sign-in"),
    "external_account.create": _("Account linked to the directory"),
    "external_account.delete": _("Account unlinked from the directory"),
    # appraisal
    "scheme.create": _("Appraisal year created"),
    "scheme.update": _("Scheme settings changed"),
    "scheme.open": _("Year opened for scoring"),
    "scheme.review": _("Year moved to review"),
    "scheme.publish": _("Results published"),
    "scheme.reopen": _("Year reopened for review"),
    "indicator.create": _("Indicator created"),
    "indicator.update": _("Indicator changed"),
    "indicator.delete": _("Indicator removed"),
    "indicator.scorers": _("Indicator's scorers changed"),  # 评分人及评分规则
    # 数据填报 (reporting.services._event: "reporting." + ReportEvent.Action)
    "reporting.create": _("Data report opened"),
    "reporting.save": _("Data report item saved"),
    "reporting.evidence": _("Data report evidence added"),
    "reporting.import": _("Data report imported from Excel"),
    "reporting.submit": _("Data report submitted"),
    "reporting.head_approve": _("Data report approved by the head"),
    "reporting.head_return": _("Data report returned by the head"),
    "reporting.first_accept": _("Reported item passed first review"),
    "reporting.first_correct": _("Reported item corrected at first review"),
    "reporting.first_return": _("Reported item returned at first review"),
    "reporting.second_accept": _("Reported item passed second review"),
    "reporting.second_return": _("Reported item returned at second review"),
    "reporting.checked": _("Data report checked"),
    "target.create": _("Target set"),
    "target.update": _("Target changed"),
    "ledger.create": _("Points entered"),
    "ledger.reverse": _("Entry reversed"),
    "ledger.approve": _("Proposal approved"),
    "ledger.reject": _("Proposal rejected"),
    "appeal.submit": _("Appeal submitted"),
    "appeal.accept": _("Appeal accepted"),
    "appeal.reject": _("Appeal rejected"),
    # letters
    "letter.issue": _("Letter issued"),
    "letter.sign": _("Letter signed"),
    "letter.countersign": _("Letter countersigned"),
    "letter.cascade": _("Letter decomposed"),
    # acceptance
    "acceptance.standard": _("Acceptance standard changed"),
    "acceptance.batch": _("Acceptance batch scheduled"),
    "acceptance.start": _("Acceptance batch started"),
    "acceptance.close": _("Acceptance batch closed"),
    "acceptance.tick": _("Checklist item ticked"),
    "acceptance.pass": _("Institution accepted"),
    "acceptance.fail": _("Institution not accepted"),
    "acceptance.report": _("Weekly report submitted"),
    # payroll
    "payroll.policy": _("Pay policy saved"),
    "payroll.coefficients": _("Pay coefficients changed"),
    "payroll.grades": _("Individual grades saved"),
    "payroll.compute": _("Payroll run computed"),
    "payroll.confirm": _("Payroll run confirmed"),
    "payroll.export": _("Payroll run exported"),
    "payroll.paid_import": _("Paid wages imported"),
    # bulletins
    "snapshot.take": _("Monthly snapshot taken"),
    "bulletin.generate": _("Bulletin generated"),
    "bulletin.regenerate": _("Bulletin regenerated"),
    "bulletin.publish": _("Bulletin published"),
    "bulletins.policy": _("Early-warning settings changed"),
    "explanation.submit": _("Explanation submitted"),
    "explanation.review": _("Explanation reviewed"),
}


def action_label(code: str) -> str:
    label = ACTION_LABELS.get(code)
    return str(label) if label is not None else code
