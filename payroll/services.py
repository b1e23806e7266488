"""Writes of payroll: policies, coefficients, individual grades, monthly runs (compute, confirm,
export), paid wages. One path for pages, API, Excel, commands and tasks; each checks the actor,
validates, writes and audits in one transaction. The arithmetic is payroll.distribution."""

import datetime
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from celery import current_app
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from appraisal.models import Result, Scheme
from orgs import notifications
from orgs.access import has_role, institutions_visible_to
from orgs.models import Employee, Institution, Role, User
from orgs.services import audit_record, snapshot

from . import distribution
from .models import (
    GradeCoefficient,
    IndividualGrade,
    PaidWage,
    PayPolicy,
    PayrollLine,
    PayrollRun,
    PersonalGrade,
    TierCoefficient,
)

ZERO = Decimal("0")
# payroll.tasks.refresh_draft_runs, queued by its registered name (see _refresh_drafts).
REFRESH_DRAFTS_TASK = "payroll.refresh_draft_runs"
POLICY_FIELDS = ("per_capita", "basic_ratio", "settlement_month", "formal_staff")


def _require_hr(actor) -> None:
    if not has_role(actor, Role.HR):
        raise PermissionDenied


def can_run_payroll(actor, institution: Institution) -> bool:
    """HR for every institution; a payroll officer for the institutions bound to them."""
    if has_role(actor, Role.HR):
        return True
    return (
        has_role(actor, Role.PAYROLL)
        and institutions_visible_to(actor).filter(pk=institution.pk).exists()
    )


def month_start(value: datetime.date) -> datetime.date:
    return value.replace(day=1)


# --- Coefficients --------------------------------------------------------------------------------


def tier_coefficients() -> dict[distribution.Tier, Decimal]:
    table = dict(distribution.DEFAULT_TIER_COEFFICIENTS)
    for tier, coefficient in TierCoefficient.objects.values_list("tier", "coefficient"):
        table[distribution.Tier(tier)] = coefficient
    return table


def grade_coefficients() -> tuple[dict[distribution.PersonalGrade, Decimal], Decimal]:
    """The grade coefficients and the largest share of formal staff that may be 优秀."""
    table = dict(distribution.DEFAULT_GRADE_COEFFICIENTS)
    share = distribution.DEFAULT_EXCELLENT_SHARE
    for grade, coefficient, cap in GradeCoefficient.objects.values_list(
        "grade", "coefficient", "cap_share"
    ):
        table[distribution.PersonalGrade(grade)] = coefficient
        if grade == PersonalGrade.EXCELLENT and cap is not None:
            share = cap
    return table, share


@transaction.atomic
def coefficients_save(
    *,
    actor: User,
    tiers: dict | None = None,
    grades: dict | None = None,
    excellent_share: Decimal | None = None,
) -> None:
    _require_hr(actor)
    before = {"tiers": _jsonable(tier_coefficients()), "grades": _jsonable(grade_coefficients()[0])}
    for tier, coefficient in (tiers or {}).items():
        TierCoefficient.objects.update_or_create(tier=tier, defaults={"coefficient": coefficient})
    for grade, coefficient in (grades or {}).items():
        GradeCoefficient.objects.update_or_create(
            grade=grade, defaults={"coefficient": coefficient}
        )
    if excellent_share is not None:
        if not ZERO < excellent_share <= 1:
            raise ValidationError(
                {"excellent_share": _("The share must be above 0 and at most 1.")}
            )
        GradeCoefficient.objects.update_or_create(
            grade=PersonalGrade.EXCELLENT,
            defaults={
                "cap_share": excellent_share,
                "coefficient": grade_coefficients()[0][distribution.PersonalGrade.EXCELLENT],
            },
        )
    after = {"tiers": _jsonable(tier_coefficients()), "grades": _jsonable(grade_coefficients()[0])}
    obj = TierCoefficient.objects.first() or GradeCoefficient.objects.first()
    if obj is not None and after != before:
        audit_record(
            actor=actor, action="payroll.coefficients", obj=obj, before=before, after=after
        )


def _jsonable(table: dict) -> dict:
    return {str(k): str(v) for k, v in table.items()}


# --- Policies and grades -------------------------------------------------------------------------


def formal_staff_count(institution: Institution) -> int:
    return Employee.objects.filter(institution=institution, is_formal=True, is_active=True).count()


@transaction.atomic
def policy_save(
    *,
    actor: User,
    year: int,
    institution: Institution,
    per_capita: Decimal,
    basic_ratio: Decimal,
    settlement_month: datetime.date,
    formal_staff: int | None = None,
) -> PayPolicy:
    """Set an institution's pay policy for a year. N (formal staff) defaults to the formal staff
    employed now and stays fixed for the year, so the twelve basic months add up."""
    _require_hr(actor)
    if not Decimal("0.5") <= basic_ratio <= Decimal("0.7"):
        raise ValidationError(
            {"basic_ratio": _("The basic ratio must be between 0.5 and 0.7 (50%–70%).")}
        )
    policy = (
        PayPolicy.objects.select_for_update().filter(year=year, institution=institution).first()
    )
    before = snapshot(policy, POLICY_FIELDS) if policy else None
    policy = policy or PayPolicy(year=year, institution=institution)
    policy.per_capita = per_capita
    policy.basic_ratio = basic_ratio
    policy.settlement_month = month_start(settlement_month)
    policy.formal_staff = (
        formal_staff if formal_staff is not None else formal_staff_count(institution)
    )
    policy.full_clean()
    policy.save()
    after = snapshot(policy, POLICY_FIELDS)
    if after != before:
        audit_record(actor=actor, action="payroll.policy", obj=policy, before=before, after=after)
        _refresh_drafts(institution.pk)
    return policy


def excellent_check(institution: Institution, grades: dict[int, str], *, formal: set[int]) -> None:
    """Refuse more 优秀 than the cap allows among the institution's formal staff."""
    _table, share = grade_coefficients()
    count = sum(1 for pk, g in grades.items() if g == PersonalGrade.EXCELLENT and pk in formal)
    cap = distribution.excellent_cap(len(formal), share)
    if count > cap:
        raise ValidationError(
            _(
                "%(institution)s (%(code)s): %(count)s formal staff graded 优秀, at most %(cap)s "
                "of %(n)s may be."
            )
            % {
                "institution": institution.name,
                "code": institution.code,
                "count": count,
                "cap": cap,
                "n": len(formal),
            }
        )


@transaction.atomic
def grades_save(
    *, actor: User, year: int, institution: Institution, grades: dict[Employee, str]
) -> int:
    """Record individual grades of an institution's employees for a year; the whole set is
    checked against the 优秀 cap together with the grades already recorded."""
    _require_hr(actor)
    employees = {e.pk: e for e in grades}
    if any(e.institution_id != institution.pk for e in employees.values()):
        raise ValidationError(
            _("Every graded employee must belong to %(code)s.") % {"code": institution.code}
        )
    current = dict(
        IndividualGrade.objects.filter(year=year, employee__institution=institution).values_list(
            "employee_id", "grade"
        )
    )
    merged = current | {e.pk: g for e, g in grades.items()}
    formal = set(
        Employee.objects.filter(
            institution=institution, is_formal=True, is_active=True
        ).values_list("pk", flat=True)
    )
    excellent_check(institution, merged, formal=formal)
    changed = 0
    for employee, grade in grades.items():
        if grade not in PersonalGrade.values:
            raise ValidationError(_("Unknown grade %(grade)s.") % {"grade": grade})
        if current.get(employee.pk) != grade:
            IndividualGrade.objects.update_or_create(
                year=year, employee=employee, defaults={"grade": grade}
            )
            changed += 1
    if changed:
        audit_record(
            actor=actor,
            action="payroll.grades",
            obj=institution,
            after={
                "year": year,
                "changed": changed,
                "excellent": Counter(merged.values())["excellent"],
            },
        )
        _refresh_drafts(institution.pk)
    return changed


# --- Runs ----------------------------------------------------------------------------------------


@dataclass
class Computed:
    """A run as the inputs say it should be now (not saved)."""

    basic_pool: Decimal
    incentive_pool: Decimal
    prize_pool: Decimal
    tier: str
    settles_year: int | None
    provisional: bool
    people: list[distribution.Person]
    outcome: distribution.MonthOutcome
    employees: dict[int, Employee]


def run_compute(institution: Institution, month: datetime.date) -> Computed:
    """What the month's payroll of an institution is, from the policies, results and grades."""
    month = month_start(month)
    policy = PayPolicy.objects.filter(year=month.year, institution=institution).first()
    settling = PayPolicy.objects.filter(institution=institution, settlement_month=month).first()
    if policy is None and settling is None:
        raise ValidationError(
            _("%(institution)s (%(code)s) has no pay policy for %(year)s.")
            % {"institution": institution.name, "code": institution.code, "year": month.year}
        )
    # The month's basic pay comes from the policy of its own year (none yet: no basic pay).
    basic_pool = distribution.monthly_basic(policy.pools().basic, month.month) if policy else ZERO
    incentive_pool = prize_pool = ZERO
    tier, settles_year, grades, provisional = "", None, {}, False
    if settling is not None:
        settles_year = settling.year
        result = (
            Result.objects.filter(scheme__year=settling.year, institution=institution)
            .select_related("scheme")
            .first()
        )
        if result is None:
            raise ValidationError(
                _(
                    "%(month)s settles the %(year)s incentive of %(code)s, "
                    "but it has no %(year)s result."
                )
                % {"month": f"{month:%Y-%m}", "year": settling.year, "code": institution.code}
            )
        provisional = result.scheme.status != Scheme.Status.PUBLISHED
        tier = distribution.tier_of(
            prize_level=result.prize_level,
            qualified=result.grade == "qualified",
            vetoed=result.vetoed,
        )
        incentive_pool = distribution.incentive_pool(settling.pools(), tier_coefficients()[tier])
        prize_pool = result.prize_amount
        grades = dict(
            IndividualGrade.objects.filter(
                year=settling.year, employee__institution=institution
            ).values_list("employee_id", "grade")
        )
    employees = {
        e.pk: e
        for e in Employee.objects.filter(institution=institution, is_active=True).order_by(
            "staff_number"
        )
    }
    table, _share = grade_coefficients()
    if settling is not None:
        formal = {pk for pk, e in employees.items() if e.is_formal}
        excellent_check(institution, grades, formal=formal)
    people = [
        distribution.Person(
            key=e.pk,
            staff_number=e.staff_number,
            is_formal=e.is_formal,
            post_coefficient=e.post_coefficient,
            post_wage=e.post_wage,
            grade_wage=e.grade_wage,
            special_allowance=e.special_allowance,
            grade=distribution.PersonalGrade(grades.get(e.pk, PersonalGrade.QUALIFIED)),
        )
        for e in employees.values()
    ]
    outcome = distribution.month_lines(
        people,
        basic_pool=basic_pool,
        incentive_pool=incentive_pool,
        prize_pool=prize_pool,
        grade_coefficients=table,
    )
    return Computed(
        basic_pool,
        incentive_pool,
        prize_pool,
        str(tier),
        settles_year,
        provisional,
        people,
        outcome,
        employees,
    )


def _line_rows(run: PayrollRun, computed: Computed) -> list[PayrollLine]:
    people = {p.key: p for p in computed.people}
    rows = []
    for line in computed.outcome.lines:
        employee, person = computed.employees[line.key], people[line.key]
        rows.append(
            PayrollLine(
                run=run,
                employee=employee,
                staff_number=employee.staff_number,
                name=employee.name,
                is_formal=employee.is_formal,
                post_coefficient=employee.post_coefficient,
                grade=person.grade.value if employee.is_formal and computed.settles_year else "",
                post_wage=line.post_wage,
                grade_wage=line.grade_wage,
                special_allowance=line.special_allowance,
                basic=line.basic,
                incentive=line.incentive,
                prize=line.prize,
                gross=line.gross,
            )
        )
    return rows


@transaction.atomic
def payroll_run_compute(
    *, actor: User | None, institution: Institution, month: datetime.date
) -> PayrollRun:
    """Compute (or recompute) the draft run of an institution and month. A confirmed or exported
    run is left exactly as it is. `actor=None` is the system (Celery, management command)."""
    if actor is not None and not can_run_payroll(actor, institution):
        raise PermissionDenied
    month = month_start(month)
    run = (
        PayrollRun.objects.select_for_update().filter(institution=institution, month=month).first()
    )
    if run is not None and run.is_frozen:
        return run
    computed = run_compute(institution, month)
    before = None if run is None else _run_snapshot(run)
    run = run or PayrollRun(institution=institution, month=month)
    run.basic_pool = computed.basic_pool
    run.incentive_pool = computed.incentive_pool
    run.prize_pool = computed.prize_pool
    run.undistributed = computed.outcome.undistributed
    run.tier = computed.tier
    run.settles_year = computed.settles_year
    run.provisional = computed.provisional
    run.computed_at = timezone.now()
    rows = _line_rows(run, computed)
    run.total_gross = sum((r.gross for r in rows), ZERO)
    run.save()
    run.lines.all().delete()
    PayrollLine.objects.bulk_create(rows)
    after = _run_snapshot(run)
    if after != before:  # a refresh that changes nothing is not recorded
        audit_record(
            actor=actor,
            action="payroll.compute",
            obj=run,
            before=before,
            after=after | {"lines": len(rows)},
        )
    return run


def _run_snapshot(run: PayrollRun) -> dict:
    """What a draft's audit events record of it: its pools, total and tier."""

    def money(value: Decimal) -> str:  # the stored form: a fresh sum may be "0", stored "0.00"
        return str(value.quantize(Decimal("0.01")))

    return {
        "basic_pool": money(run.basic_pool),
        "incentive_pool": money(run.incentive_pool),
        "prize_pool": money(run.prize_pool),
        "undistributed": money(run.undistributed),
        "total_gross": money(run.total_gross),
        "tier": run.tier,
        "provisional": run.provisional,
    }


def run_differences(run: PayrollRun) -> list[dict]:
    """For a frozen run: per employee, what the inputs would give now versus what was confirmed.
    Differences are shown, never applied."""
    computed = run_compute(run.institution, run.month)
    fresh = {line.key: line for line in computed.outcome.lines}
    stored = {line.employee_id: line for line in run.lines.all()}
    differences = []
    for pk in sorted(
        set(fresh) | set(stored),
        key=lambda k: (stored.get(k) or computed.employees[k]).staff_number,
    ):
        now, then = fresh.get(pk), stored.get(pk)
        now_gross = now.gross if now else ZERO
        then_gross = then.gross if then else ZERO
        if now_gross != then_gross:
            employee = computed.employees.get(pk) or then.employee
            differences.append(
                {
                    "staff_number": employee.staff_number,
                    "name": employee.name,
                    "confirmed": then_gross,
                    "now": now_gross,
                    "difference": now_gross - then_gross,
                }
            )
    return differences


def payroll_run_confirm(*, actor: User, run: PayrollRun) -> PayrollRun:
    """Freeze a draft. Refused if the draft no longer matches its inputs: it is recomputed and
    must be reviewed again, so what is confirmed is what was reviewed."""
    with transaction.atomic():
        run = PayrollRun.objects.select_for_update().select_related("institution").get(pk=run.pk)
        if not can_run_payroll(actor, run.institution):
            raise PermissionDenied
        if run.is_frozen:
            raise ValidationError(_("This payroll run is confirmed already."))
        if run.provisional:
            raise ValidationError(
                _(
                    "This run settles the %(year)s incentive from results that are not published "
                    "yet; it is confirmed once they are."
                )
                % {"year": run.settles_year}
            )
        computed = run_compute(run.institution, run.month)
        stored = {(line.employee_id, line.gross) for line in run.lines.all()}
        fresh = {(line.key, line.gross) for line in computed.outcome.lines}
        stale = stored != fresh
        if stale:
            payroll_run_compute(actor=None, institution=run.institution, month=run.month)
        else:
            run.status = PayrollRun.Status.CONFIRMED
            run.confirmed_at = timezone.now()
            run.confirmed_by = actor
            run.save(update_fields=["status", "confirmed_at", "confirmed_by"])
            audit_record(
                actor=actor,
                action="payroll.confirm",
                obj=run,
                after={"total_gross": str(run.total_gross), "lines": len(stored)},
            )
            notifications.notify(
                recipients=notifications.payroll_officers(run.institution_id),
                kind="payroll.confirmed",
                title=gettext_lazy("A payroll run to export"),
                text=gettext_lazy(
                    "The %(month)s payroll run of %(institution)s is confirmed "
                    "(%(lines)s lines, gross %(gross)s yuan); export it for payment."
                ),
                params={
                    "month": f"{run.month:%Y-%m}",
                    "institution": run.institution.name,
                    "lines": len(stored),
                    "gross": f"{run.total_gross:,.2f}",  # as the pages show money: 12,345.00
                },
                link=reverse("payroll:run_detail", args=[run.pk]),
                about=run,
                actor=actor,
            )
    if stale:
        raise ValidationError(
            _(
                "The inputs changed since this draft was computed; "
                "it has been recomputed, review it again."
            )
        )
    return run


@transaction.atomic
def payroll_run_mark_exported(*, actor: User | None, run: PayrollRun) -> PayrollRun:
    run = PayrollRun.objects.select_for_update().get(pk=run.pk)
    if run.status == PayrollRun.Status.DRAFT:
        raise ValidationError(_("Only a confirmed payroll run is exported for payment."))
    if run.status == PayrollRun.Status.CONFIRMED:
        run.status = PayrollRun.Status.EXPORTED
    run.exported_at = timezone.now()
    run.save(update_fields=["status", "exported_at"])
    if actor is not None:
        audit_record(actor=actor, action="payroll.export", obj=run, after={"status": run.status})
    return run


def _refresh_drafts(institution_id: int) -> None:
    # By name, since payroll.tasks imports this module. PayrollConfig.ready() registers the task
    # in every process, and the registry raises NotRegistered for a name it lacks instead of
    # handing it to the broker, which would bypass CELERY_TASK_ALWAYS_EAGER.
    task = current_app.tasks[REFRESH_DRAFTS_TASK]
    transaction.on_commit(lambda: task.delay([institution_id]))


# --- Paid wages and reconciliation ---------------------------------------------------------------


@dataclass
class Reconciliation:
    institution: Institution
    month: datetime.date
    run: PayrollRun | None
    matches: list[dict]
    differences: list[dict]
    missing: list[dict]  # computed, not paid
    unexpected: list[dict]  # paid, not computed

    @property
    def reconciled(self) -> bool:
        return self.run is not None and not (self.differences or self.missing or self.unexpected)

    @property
    def imported(self) -> bool:
        """Whether any wage paid in the month was imported for the institution (its employees,
        or the run's staff numbers): every payment lands in matches, differences or unexpected.
        Until then there is nothing to compare, and nobody is "not paid"."""
        return bool(self.matches or self.differences or self.unexpected)

    @property
    def state(self) -> str:
        """What the reconciliation page says: "no_run" (no confirmed run to compare with),
        "not_imported" (未对账: no paid wages imported for the month yet), "reconciled", or
        "differs" (paid wages imported, and someone was paid differently, not at all, or
        without a line)."""
        if self.run is None:
            return "no_run"
        if not self.imported:
            return "not_imported"
        return "reconciled" if self.reconciled else "differs"


def reconcile(*, institution: Institution, month: datetime.date) -> Reconciliation:
    """The month's confirmed (or exported) run against the wages actually paid."""
    month = month_start(month)
    run = PayrollRun.objects.filter(
        institution=institution,
        month=month,
        status__in=[PayrollRun.Status.CONFIRMED, PayrollRun.Status.EXPORTED],
    ).first()
    computed = {line.staff_number: line for line in run.lines.all()} if run else {}
    paid = {
        p.staff_number: p
        for p in PaidWage.objects.filter(month=month).filter(employee__institution=institution)
        | PaidWage.objects.filter(month=month, staff_number__in=list(computed))
    }
    matches, differences, missing, unexpected = [], [], [], []
    for number in sorted(set(computed) | set(paid)):
        line, payment = computed.get(number), paid.get(number)
        if line and payment:
            row = {
                "staff_number": number,
                "name": line.name,
                "computed": line.gross,
                "paid": payment.gross,
                "difference": payment.gross - line.gross,
            }
            (matches if payment.gross == line.gross else differences).append(row)
        elif line:
            missing.append({"staff_number": number, "name": line.name, "computed": line.gross})
        else:
            unexpected.append({"staff_number": number, "paid": payment.gross})
    return Reconciliation(institution, month, run, matches, differences, missing, unexpected)
