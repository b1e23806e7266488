"""The demo appraisal year for seed_demo: an open 2026 scheme whose indicators add up for every
grouped institution, and a realistic ledger from every scoring department, entered through the
services (so it is audited and recomputed like real work). Deterministic; a year that exists
already is left as it is."""

import random
from decimal import Decimal

from django.db import transaction

from appraisal import services
from appraisal.models import LedgerEntry, Scheme
from appraisal.recompute import year_results_recompute
from orgs.models import Institution, Role, ScoringDepartment, User

DEMO_YEAR = 2026

# code, part, name, max, method, department code, groups it applies to (None = all)
INDICATORS = [
    ("GG01", "common", "安全生产", 60, "deduct", "AQSC", None),
    ("GG02", "common", "社会管理综合治理", 40, "deduct", "BGS", None),
    ("GG03", "common", "机关效能", 40, "deduct", "DCS", None),
    ("GG04", "common", "党风廉政建设", 40, "deduct", "JJJC", None),
    ("GG05", "common", "信访稳定", 30, "deduct", "BGS", None),
    ("GG06", "common", "党的建设", 40, "deduct", "DJB", None),
    ("GG07", "common", "群团工作", 20, "deduct", "DJB", None),
    ("GG08", "common", "内部管理与制度执行", 30, "deduct", "RLZY", None),
    ("YW11", "business", "生产任务完成", 150, "add", "CWB", ["G1"]),
    ("YW12", "business", "营业收入", 100, "add", "CWB", ["G1"]),
    ("YW13", "business", "成本控制", 50, "deduct", "CWB", ["G1"]),
    ("YW21", "business", "服务保障质量", 150, "deduct", "BGS", ["G2"]),
    ("YW22", "business", "党支部标准化建设", 150, "add", "DJB", ["G2"]),
    ("YW31", "business", "业务差错率", 200, "deduct", "BGS", ["G3"]),
    ("YW32", "business", "工作创新", 100, "add", "RLZY", ["G3"]),
    ("ZX01", "execution", "集团重点项目推进", 200, "deduct", "DCS", None),
    ("ZX02", "execution", "批示批办事项落实", 150, "deduct", "DCS", None),
    ("ZX03", "execution", "群众投诉查实", 50, "deduct", "BGS", None),
]

DEDUCTION_REASONS = [
    "专项检查发现问题未按期整改",
    "报送材料逾期",
    "督查通报问题",
    "台账记录不完整",
    "会议缺席未请假",
]


def _scorer(department: ScoringDepartment) -> User:
    user, _ = User.objects.get_or_create(
        username=f"scorer_{department.code.lower()}",
        defaults={
            "name": f"{department.name}评分员",
            "role": Role.SCORER,
            "scoring_department": department,
        },
    )
    if user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


@transaction.atomic
def seed_year(*, hr: User) -> Scheme | None:
    if Scheme.objects.filter(year=DEMO_YEAR).exists():
        return None
    rng = random.Random(DEMO_YEAR)
    departments = {d.code: d for d in ScoringDepartment.objects.all()}
    scheme = services.scheme_create(actor=hr, year=DEMO_YEAR)
    for order, (code, part, name, max_points, method, dept, applies) in enumerate(INDICATORS):
        institutions = None
        if applies:
            institutions = list(Institution.objects.filter(group__code__in=applies))
        services.indicator_save(
            actor=hr,
            scheme=scheme,
            institutions=institutions,
            code=code,
            part=part,
            name=name,
            max_points=Decimal(max_points),
            method=method,
            department=departments[dept],
            applies_to_all=applies is None,
            sort_order=order,
        )
    services.scheme_transition(actor=hr, scheme=scheme, action="open")

    scorers = {code: _scorer(d) for code, d in departments.items()}
    indicators = {i.code: i for i in scheme.indicators.all()}
    grouped = (
        Institution.objects.filter(group__isnull=False).select_related("group").order_by("code")
    )
    for position, inst in enumerate(grouped):
        strength = 1 - position / 30  # earlier units do a little better
        for code, part, _name, max_points, method, dept, applies in INDICATORS:
            if applies and inst.group.code not in applies:
                continue
            periods = ("year",) if part == "execution" else ("h1", "h2")
            for period in periods:
                if method == "add":
                    share = Decimal(str(round(rng.uniform(0.75, 1.0) * strength, 2)))
                    points = (Decimal(max_points) * share).quantize(Decimal("0.5"))
                    reason = "按目标完成情况计分"
                elif rng.random() < 0.45:
                    points = -Decimal(rng.choice((1, 2, 2, 3, 5, 8))) / (
                        2 if rng.random() < 0.3 else 1
                    )
                    reason = rng.choice(DEDUCTION_REASONS)
                else:
                    continue
                if points:
                    services.ledger_entry_create(
                        actor=scorers[dept],
                        scheme=scheme,
                        institution=inst,
                        kind=LedgerEntry.Kind.INDICATOR,
                        indicator=indicators[code],
                        period=period,
                        points=points,
                        reason=reason,
                    )
    # Bonus points for outstanding work (HR's own count at once), one pending proposal, a veto.
    first, second, third = grouped[0], grouped[1], grouped[7]
    services.ledger_entry_create(
        actor=hr, scheme=scheme, institution=first, kind=LedgerEntry.Kind.BONUS,
        points=Decimal("8"), reason="集团重点项目提前完成，受到通报表扬",
    )  # fmt: skip
    services.ledger_entry_create(
        actor=scorers["DCS"], scheme=scheme, institution=second, kind=LedgerEntry.Kind.BONUS,
        points=Decimal("5"), reason="领导交办紧急任务完成出色",
    )  # fmt: skip
    veto = services.ledger_entry_create(
        actor=scorers["AQSC"], scheme=scheme, institution=third, kind=LedgerEntry.Kind.VETO,
        points=Decimal("30"), reason="发生较大安全生产责任事故",
    )  # fmt: skip
    services.entry_decide(actor=hr, entry=veto, approved=True, note="经核实属实")
    services.ledger_entry_create(
        actor=scorers["JJJC"], scheme=scheme, institution=grouped[3], kind=LedgerEntry.Kind.VETO,
        points=Decimal("10"), reason="违反中央八项规定精神被查处",
    )  # fmt: skip
    # Results at once (the queued recompute then finds them fresh and does nothing).
    year_results_recompute(scheme_id=scheme.pk)
    return scheme
