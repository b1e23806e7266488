"""The demo appraisal years for seed_demo, entered through the services like real work (audited and
recomputed), in the order an HR department lives them:

* **2025, published.** HR makes the scheme with the indicator list below (business goals scored by
  points), every scoring department scores it, HR adds bonus points and decides the veto proposals
  (安全生产科's veto of 30 on JG008 approved, so JG008 is vetoed and 不合格; 纪检监察室's proposal
  on JG005 rejected). Results are computed, then the year goes open → review → published; the
  recompute that publishing queues finds the results fresh and changes nothing, so they were
  computed before the year was published.
* **2026, open.** `scheme_create` copies 2025 forward as a draft, and HR changes it: 生产任务完成
  (YW11) and 营业收入 (YW12) become 完成率 indicators, 业务差错率 (YW31) 逆向完成率, 成本控制 (YW13)
  is removed and 智慧网点建设 (YW14, 按期) takes its 50 points, so every part still adds up
  (300 / 300 / 400). HR sets the half-year targets of every institution they apply to (上半年 by
  30 June; 下半年 the whole year), opens the year, the departments score the points indicators
  and report the figures (上半年 final; 下半年 the year to date, since the year is still running).
  HR's bonus, a bonus proposal and a veto proposal waiting for HR, and JG008 vetoed again: 不合格
  two years running, so its 2026 result shows 诫勉谈话.
  From 下半年 the institutions report their own figures (数据填报, ops/demo/reporting.py): JG001's
  and JG002's 下半年 figures come through the chain, not from the departments. 集团重点项目推进
  (ZX01) is scored by 督查室, 办公室 and the leader 郑国华, weighted 0.5 / 0.3 / 0.2; and since
  November 执行力建设 needs review (评分需复核): the leader's latest deduction waits for HR.

Every entry is within what the rules count (|points| ≤ the indicator's max, a bonus ≤ the cap).
Deterministic; a year that exists already is left as it is."""

import datetime
import random
from decimal import Decimal

from django.db import transaction

from appraisal import services
from appraisal.models import LedgerEntry, Scheme
from appraisal.recompute import year_results_recompute
from orgs.models import Institution, Role, ScoringDepartment, User

PUBLISHED_YEAR = 2025
DEMO_YEAR = 2026

# The 2025 scheme: code, part, name, max, method, department code, groups it applies to (None = all)
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

# How 2026 differs from 2025 (HR's edits of the copied draft).
RATIO_2026 = {"YW11": "higher", "YW12": "higher", "YW31": "lower"}  # 完成率 / 逆向完成率
REMOVED_2026 = "YW13"  # 成本控制: from 2026 part of the budget review, no longer appraised
DEADLINE_2026 = ("YW14", "business", "智慧网点建设", 50, "KJXX", ["G1"])  # 按期, YW13's 50 points

# G1's annual (下半年, the whole year) targets in 万元. JG001's revenue is 11,500 here; the
# letters demo (ops/demo/letters.py) raises it to 12,000 after its head signed, so a second
# version of the letter is signed.
OUTPUT_TARGETS = {
    "JG001": 8600, "JG002": 7800, "JG003": 7200, "JG004": 6900,
    "JG005": 6400, "JG006": 5800, "JG007": 5200,
}  # fmt: skip
REVENUE_TARGETS = {
    "JG001": 11500, "JG002": 10200, "JG003": 9600, "JG004": 9100,
    "JG005": 8300, "JG006": 7600, "JG007": 6900,
}  # fmt: skip
H1_SHARE = Decimal("0.48")  # the part of the year's target due by 30 June
# G3's error rates (‰): 上半年 and whole-year targets.
ERROR_RATE_TARGETS = (Decimal("3.0"), Decimal("2.8"))
# YW14 智慧网点建设: the plan by 30 June, in service by 30 November; when each unit finished (None:
# not yet). JG006 was late in June, JG005 late in December, JG004 is not done yet.
NETWORK_DEADLINES = (datetime.date(2026, 6, 30), datetime.date(2026, 11, 30))
NETWORK_DONE = {
    "JG001": ("2026-06-12", "2026-11-12"),
    "JG002": ("2026-06-18", "2026-11-20"),
    "JG003": ("2026-06-25", "2026-11-25"),
    "JG004": ("2026-06-28", None),
    "JG005": ("2026-06-20", "2026-12-02"),
    "JG006": ("2026-07-09", "2026-11-26"),
    "JG007": ("2026-06-15", "2026-11-18"),
}

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


def _grouped() -> list[Institution]:
    return list(
        Institution.objects.filter(group__isnull=False).select_related("group").order_by("code")
    )


def _ledger(scheme: Scheme, rng: random.Random, scorers: dict[str, User]) -> None:
    """Every department scores its points indicators for every institution they apply to: an
    add indicator by how well the targets were met, a deduct one now and then for a lapse."""
    indicators = list(
        scheme.indicators.exclude(method="ratio")
        .select_related("department")
        .prefetch_related("institutions")
        .order_by("part", "sort_order")
    )
    for position, inst in enumerate(_grouped()):
        strength = 1 - position / 30  # earlier units do a little better
        for indicator in indicators:
            if not indicator.applies_to_all and inst not in indicator.institutions.all():
                continue
            periods = ("year",) if indicator.part == "execution" else ("h1", "h2")
            for period in periods:
                if indicator.method == "add":
                    share = Decimal(str(round(rng.uniform(0.75, 1.0) * strength, 2)))
                    points = (indicator.max_points * share).quantize(Decimal("0.5"))
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
                        actor=scorers[indicator.department.code],
                        scheme=scheme,
                        institution=inst,
                        kind=LedgerEntry.Kind.INDICATOR,
                        indicator=indicator,
                        period=period,
                        points=points,
                        reason=reason,
                    )


def _entry(actor, scheme, institution, kind, points, reason) -> LedgerEntry:
    return services.ledger_entry_create(
        actor=actor, scheme=scheme, institution=institution, kind=kind,
        points=Decimal(points), reason=reason,
    )  # fmt: skip


def seed_years(*, hr: User) -> None:
    seed_published_year(hr=hr)
    seed_year(hr=hr)


@transaction.atomic
def seed_published_year(*, hr: User) -> Scheme | None:
    """2025: made, scored, decided, computed, then published."""
    if Scheme.objects.filter(year=PUBLISHED_YEAR).exists():
        return None
    departments = {d.code: d for d in ScoringDepartment.objects.all()}
    scheme = services.scheme_create(actor=hr, year=PUBLISHED_YEAR)
    groups: dict[str, list[Institution]] = {}
    for inst in _grouped():
        groups.setdefault(inst.group.code, []).append(inst)
    for order, (code, part, name, max_points, method, dept, applies) in enumerate(INDICATORS):
        services.indicator_save(
            actor=hr,
            scheme=scheme,
            institutions=[i for g in applies for i in groups[g]] if applies else None,
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
    _ledger(scheme, random.Random(PUBLISHED_YEAR), scorers)

    units = {i.code: i for i in _grouped()}
    bonus, veto = LedgerEntry.Kind.BONUS, LedgerEntry.Kind.VETO
    _entry(hr, scheme, units["JG012"], bonus, "6", "宣传工作成效突出，获集团通报表扬")
    proposal = _entry(scorers["DCS"], scheme, units["JG009"], bonus, "5", "迎接上级检查表现突出")
    services.entry_decide(actor=hr, entry=proposal, approved=True, note="经核实属实")
    accident = _entry(scorers["AQSC"], scheme, units["JG008"], veto, "30", "发生安全生产责任事故")
    services.entry_decide(actor=hr, entry=accident, approved=True, note="经核实属实")
    lapse = _entry(scorers["JJJC"], scheme, units["JG005"], veto, "10", "财务报销不规范被通报")
    services.entry_decide(
        actor=hr, entry=lapse, approved=False, note="问题已在上一年度处理，不重复扣分"
    )

    # Results first; then the year goes through review to publication.
    year_results_recompute(scheme_id=scheme.pk)
    services.scheme_transition(actor=hr, scheme=scheme, action="review")
    services.scheme_transition(actor=hr, scheme=scheme, action="publish")
    return scheme


def _round(value: Decimal, step: str = "1") -> Decimal:
    return value.quantize(Decimal(step))


def _indicators(scheme: Scheme) -> dict:
    return {i.code: i for i in scheme.indicators.select_related("department")}


def _targets_set(scheme: Scheme, *, hr: User) -> None:
    """HR sets each half-year's target at the start of the year (上半年: by 30 June; 下半年: the
    whole year)."""
    indicators, units = _indicators(scheme), {i.code: i for i in _grouped()}

    def save(code, inst, period, **figures):
        services.target_save(
            actor=hr, indicator=indicators[code], institution=inst, period=period, **figures
        )

    for code, annual in (("YW11", OUTPUT_TARGETS), ("YW12", REVENUE_TARGETS)):
        for inst_code, value in annual.items():
            value = Decimal(value)
            save(
                code,
                units[inst_code],
                "h1",
                unit="万元",
                target_value=_round(value * H1_SHARE, "1E1"),
            )
            save(code, units[inst_code], "h2", unit="万元", target_value=value)
    for inst in units.values():
        if inst.group.code == "G3":
            for period, value in zip(("h1", "h2"), ERROR_RATE_TARGETS, strict=True):
                save("YW31", inst, period, unit="‰", target_value=value)
    for inst_code in NETWORK_DONE:
        for period, deadline in zip(("h1", "h2"), NETWORK_DEADLINES, strict=True):
            save("YW14", units[inst_code], period, deadline=deadline)


# The institutions whose 下半年 figures come through their own reports (ops/demo/reporting.py).
REPORTED_H2 = ("JG001", "JG002")


def _figures_report(scheme: Scheme, *, scorers: dict[str, User]) -> dict:
    """What was achieved, reported by each indicator's department: 上半年 final, 下半年 the year to
    date (the year is still running, so most are short of the whole year's target). The 下半年
    figures of REPORTED_H2 are returned instead, {(institution code, indicator code): figures}:
    those institutions report them themselves."""
    reported: dict[tuple[str, str], dict] = {}
    rng = random.Random(f"{DEMO_YEAR}-figures")
    indicators, units = _indicators(scheme), {i.code: i for i in _grouped()}

    def save(code, inst, period, **figures):
        if period == "h2" and inst.code in REPORTED_H2:
            reported[(inst.code, code)] = figures
            return
        services.target_save(
            actor=scorers[indicators[code].department.code],
            indicator=indicators[code],
            institution=inst,
            period=period,
            **figures,
        )

    for code, annual in (("YW11", OUTPUT_TARGETS), ("YW12", REVENUE_TARGETS)):
        for inst_code, value in annual.items():
            value = Decimal(value)
            h1 = value * H1_SHARE * Decimal(str(round(rng.uniform(0.94, 1.06), 3)))
            to_date = value * Decimal(str(round(rng.uniform(0.86, 0.96), 3)))
            save(code, units[inst_code], "h1", actual_value=_round(h1))
            save(code, units[inst_code], "h2", actual_value=_round(to_date))
    for inst in units.values():
        if inst.group.code == "G3":
            for period, low, high in (("h1", 2.3, 3.6), ("h2", 2.1, 3.3)):
                rate = Decimal(str(round(rng.uniform(low, high), 1)))
                save("YW31", inst, period, actual_value=rate)
    for inst_code, done in NETWORK_DONE.items():
        for period, day in zip(("h1", "h2"), done, strict=True):
            if day:
                save("YW14", units[inst_code], period, completed_on=_iso(day))
    return reported


# 集团重点项目推进: 督查室 (its own department), 办公室 and the leader, weighted.
SEVERAL = ("ZX01", "weighted", [("DCS", "0.5"), ("BGS", "0.3"), ("leader", "0.2")])
LEADER_DEDUCTIONS = [
    ("JG001", "-4", "重点项目现场督导发现进度滞后"),
    ("JG002", "-2", "项目例会汇报材料不实"),
    ("JG003", "-6", "重点项目推进不力，被集团督办"),
    ("JG004", "-3", "项目资料归档不及时"),
]
OFFICE_DEDUCTIONS = [("JG001", "-2", "督办件逾期办结"), ("JG005", "-5", "重点项目信息报送不及时")]


def _several_scorers(scheme: Scheme, *, hr: User, scorers: dict[str, User]) -> None:
    """ZX01 scored by three: its department's entries (from _ledger) are its part; 办公室 and the
    leader score their parts (docs/SCORING.md, "Several scorers")."""
    code, rule, parts = SEVERAL
    indicator = scheme.indicators.get(code=code)
    leader = User.objects.get(username="leader")
    departments = {d.code: d for d in ScoringDepartment.objects.all()}
    services.indicator_scorers_set(
        actor=hr,
        indicator=indicator,
        aggregation=rule,
        scorers=[
            services.ScorerSpec(
                department=None if who == "leader" else departments[who],
                leader=leader if who == "leader" else None,
                weight=Decimal(weight),
            )
            for who, weight in parts
        ],
    )
    units = {i.code: i for i in _grouped()}
    for actor, rows in ((leader, LEADER_DEDUCTIONS), (scorers["BGS"], OFFICE_DEDUCTIONS)):
        for inst_code, points, reason in rows:
            services.ledger_entry_create(
                actor=actor, scheme=scheme, institution=units[inst_code],
                kind=LedgerEntry.Kind.INDICATOR, indicator=indicator, period="year",
                points=Decimal(points), reason=reason,
            )  # fmt: skip


def _review_from_november(scheme: Scheme, *, hr: User) -> None:
    """HR turns on 评分需复核 for 执行力建设 and sets the 下半年 deadlines (reporting went live
    with 下半年, so 上半年 has none); the leader's next deduction then waits for HR's review."""
    services.scheme_update(
        actor=hr,
        scheme=scheme,
        review_execution=True,
        h2_report_deadline=datetime.date(2027, 1, 10),
        h2_review_deadline=datetime.date(2027, 1, 25),
    )
    services.ledger_entry_create(
        actor=User.objects.get(username="leader"), scheme=scheme,
        institution=Institution.objects.get(code="JG003"), kind=LedgerEntry.Kind.INDICATOR,
        indicator=scheme.indicators.get(code=SEVERAL[0]), period="year", points=Decimal("-2"),
        reason="11月重点项目督查：安全措施落实不到位",
    )  # fmt: skip


def _iso(day: str) -> datetime.date:
    return datetime.date.fromisoformat(day)


@transaction.atomic
def seed_year(*, hr: User) -> Scheme | None:
    """2026: copied forward from 2025, changed by HR, targeted, opened and scored so far."""
    if Scheme.objects.filter(year=DEMO_YEAR).exists():
        return None
    departments = {d.code: d for d in ScoringDepartment.objects.all()}
    scorers = {code: _scorer(d) for code, d in departments.items()}
    scheme = services.scheme_create(actor=hr, year=DEMO_YEAR)  # a draft copied from 2025
    copied = {i.code: i for i in scheme.indicators.all()}
    for code, direction in RATIO_2026.items():
        services.indicator_save(
            actor=hr, scheme=scheme, indicator=copied[code], method="ratio", direction=direction
        )
    services.indicator_delete(actor=hr, indicator=copied[REMOVED_2026])
    code, part, name, max_points, dept, applies = DEADLINE_2026
    services.indicator_save(
        actor=hr,
        scheme=scheme,
        institutions=list(Institution.objects.filter(group__code__in=applies)),
        code=code,
        part=part,
        name=name,
        max_points=Decimal(max_points),
        method="ratio",
        direction="deadline",
        department=departments[dept],
        applies_to_all=False,
        sort_order=copied[REMOVED_2026].sort_order,
    )
    _targets_set(scheme, hr=hr)
    services.scheme_transition(actor=hr, scheme=scheme, action="open")
    reported = _figures_report(scheme, scorers=scorers)
    _ledger(scheme, random.Random(DEMO_YEAR), scorers)
    _several_scorers(scheme, hr=hr, scorers=scorers)

    # Bonus points for outstanding work (HR's own count at once), a bonus proposal and a veto
    # proposal waiting for HR, and JG008's veto approved: vetoed again, as in 2025.
    units = {i.code: i for i in _grouped()}
    bonus, veto = LedgerEntry.Kind.BONUS, LedgerEntry.Kind.VETO
    _entry(hr, scheme, units["JG001"], bonus, "8", "集团重点项目提前完成，受到通报表扬")
    _entry(scorers["DCS"], scheme, units["JG002"], bonus, "5", "领导交办紧急任务完成出色")
    accident = _entry(
        scorers["AQSC"], scheme, units["JG008"], veto, "30", "发生较大安全生产责任事故"
    )
    services.entry_decide(actor=hr, entry=accident, approved=True, note="经核实属实")
    _entry(scorers["JJJC"], scheme, units["JG004"], veto, "10", "违反中央八项规定精神被查处")
    from .reporting import seed_reports

    seed_reports(scheme, hr=hr, scorers=scorers, figures=reported)
    _review_from_november(scheme, hr=hr)
    # Results at once (the queued recompute then finds them fresh and does nothing).
    year_results_recompute(scheme_id=scheme.pk)
    return scheme
