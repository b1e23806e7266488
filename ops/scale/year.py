"""The appraisal year at scale: an open scheme whose indicators add up to 300 / 300 / 400 for every
grouped institution (business goals differentiated by group), completion-ratio targets, and a
full year of ledger — mostly small deductions, additions on the 计分 indicators, bonus and veto
proposals with HR's decisions, a few self-assessments."""

import datetime
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from appraisal.models import EntryDecision, Indicator, LedgerEntry, Scheme, Target

from .org import Org
from .rows import next_id, rows_insert, sequences_reset

CENT = Decimal("0.01")
# code, part, name, max, method, direction, department
COMMON = [
    ("GG01", "common", "安全生产", 60, "deduct", "", "AQSC"),
    ("GG02", "common", "社会管理综合治理", 40, "deduct", "", "BGS"),
    ("GG03", "common", "机关效能", 40, "deduct", "", "DCS"),
    ("GG04", "common", "党风廉政建设", 40, "deduct", "", "JJJC"),
    ("GG05", "common", "信访稳定", 30, "deduct", "", "BGS"),
    ("GG06", "common", "党的建设", 40, "deduct", "", "DJB"),
    ("GG07", "common", "群团工作", 20, "deduct", "", "DJB"),
    ("GG08", "common", "内部管理与制度执行", 30, "deduct", "", "RLZY"),
]
# Business goals are differentiated: each group takes one profile, whose maxima add up to 300.
PROFILES = [
    [
        ("YW11", "business", "生产任务完成率", 150, "ratio", "higher", "CWB"),
        ("YW12", "business", "营业收入", 100, "add", "", "CWB"),
        ("YW13", "business", "成本控制", 50, "deduct", "", "CWB"),
    ],
    [
        ("YW21", "business", "服务保障质量", 150, "deduct", "", "BGS"),
        ("YW22", "business", "党支部标准化建设", 150, "add", "", "DJB"),
    ],
    [
        ("YW31", "business", "业务差错率", 200, "ratio", "lower", "KJXX"),
        ("YW32", "business", "工作创新", 100, "add", "", "RLZY"),
    ],
    [
        ("YW41", "business", "重点工程按期完工", 100, "ratio", "deadline", "DCS"),
        ("YW42", "business", "安全运营", 120, "deduct", "", "AQSC"),
        ("YW43", "business", "客户满意度提升", 80, "add", "", "KJXX"),
    ],
]
EXECUTION = [
    ("ZX01", "execution", "集团重点项目推进", 200, "deduct", "", "DCS"),
    ("ZX02", "execution", "批示批办事项落实", 150, "deduct", "", "DCS"),
    ("ZX03", "execution", "群众投诉查实", 50, "deduct", "", "BGS"),
]
DEDUCTION_REASONS = [
    "专项检查发现问题未按期整改",
    "报送材料逾期",
    "督查通报问题",
    "台账记录不完整",
    "会议缺席未请假",
    "信息报送不及时",
    "整改回头看发现反弹",
]
ADDITION_REASON = "按目标完成情况计分"
BONUS_REASONS = ["集团重点项目提前完成，受到通报表扬", "领导交办紧急任务完成出色", "获省级表彰"]
VETO_REASONS = ["发生较大安全生产责任事故", "违反中央八项规定精神被查处", "发生重大信访事件"]
SELF_REASON = "自评"

# Shares of grouped institutions with these entries (each at least one institution).
VETOED_SHARE = 0.015  # an approved veto at or above the line: 一票否决
VETO_BELOW_SHARE = 0.03  # approved veto deductions below the line
VETO_REJECTED_SHARE = 0.01  # a veto proposal HR rejected
BONUS_SHARE = 0.10
SELF_SHARE = 0.03
ADDITIONS_PER_HALF = 3  # 计分 entries per indicator and half-year


@dataclass
class Year:
    scheme: int
    indicators: list[dict]  # id, code, part, method, max, department, institutions (None: all)
    entries: int = 0
    decisions: int = 0
    targets: int = 0


def year_seed(rng: random.Random, org: Org, *, year: int, entries: int) -> Year:
    scheme = Scheme.objects.create(year=year, status=Scheme.Status.OPEN)
    groups = org.groups
    profile_of = {g: n % len(PROFILES) for n, g in enumerate(groups)}
    specs = [(row, None) for row in COMMON + EXECUTION]
    for p, profile in enumerate(PROFILES):
        listed = [
            pk for pk, g in org.institution_group.items() if g is not None and profile_of[g] == p
        ]
        specs += [(row, listed) for row in profile]
    made = Indicator.objects.bulk_create(
        [
            Indicator(
                scheme=scheme,
                code=code,
                part=part,
                name=name,
                max_points=Decimal(max_points),
                method=method,
                direction=direction,
                department_id=org.departments[dept],
                applies_to_all=listed is None,
                sort_order=order,
            )
            for order, ((code, part, name, max_points, method, direction, dept), listed) in (
                enumerate(specs)
            )
        ]
    )
    indicators = []
    through = Indicator.institutions.through
    links = []
    for indicator, (_row, listed) in zip(made, specs, strict=True):
        indicators.append(
            {
                "id": indicator.pk,
                "code": indicator.code,
                "part": indicator.part,
                "method": indicator.method,
                "direction": indicator.direction,
                "max": indicator.max_points,
                "department": indicator.department_id,
                "institutions": None if listed is None else set(listed),
            }
        )
        links += [through(indicator_id=indicator.pk, institution_id=pk) for pk in listed or ()]
    through.objects.bulk_create(links, batch_size=5000)
    result = Year(scheme=scheme.pk, indicators=indicators)
    result.targets = targets_seed(rng, result, year=year)
    ledger_seed(rng, org, result, year=year, total=entries)
    return result


def targets_seed(rng: random.Random, data: Year, *, year: int) -> int:
    """Each ratio indicator's target per half-year: 上半年 by 30 June, 下半年 the whole year
    (cumulative: about twice the first half's amount)."""
    rows = []
    for ind in data.indicators:
        if ind["method"] != "ratio":
            continue
        for pk in sorted(ind["institutions"] or ()):
            for period, share in (("h1", Decimal("0.5")), ("h2", Decimal("1"))):
                target = Target(indicator_id=ind["id"], institution_id=pk, period=period)
                if ind["direction"] == "deadline":
                    target.kind = Target.Kind.DEADLINE
                    month = 6 if period == "h1" else rng.choice((9, 12))
                    target.deadline = datetime.date(year, month, 30)
                    late = rng.random() < 0.1
                    target.completed_on = target.deadline + datetime.timedelta(
                        days=rng.randint(1, 20) if late else -rng.randint(0, 60)
                    )
                elif ind["direction"] == "lower":
                    target.kind, target.unit = Target.Kind.ERROR_RATE, "‰"
                    target.target_value = Decimal(rng.choice(("2.0", "2.5", "3.0")))
                    target.actual_value = Decimal(rng.randint(5, 40)) / 10
                else:
                    target.kind, target.unit = Target.Kind.ABSOLUTE, "万元"
                    amount = Decimal(rng.randrange(500, 5000, 50))
                    target.target_value = (amount * share).quantize(CENT)
                    target.actual_value = (
                        target.target_value * Decimal(rng.randint(80, 115)) / 100
                    ).quantize(CENT)
                rows.append(target)
    Target.objects.bulk_create(rows, batch_size=5000)
    return len(rows)


def _moment(rng: random.Random, year: int, period: str) -> datetime.datetime:
    """A time within the period the entry is for (working hours, Beijing time)."""
    start = {"h1": 1, "h2": 183, "year": 1}[period]
    days = {"h1": 181, "h2": 183, "year": 364}[period]
    day = datetime.date(year, 1, 1) + datetime.timedelta(days=start - 1 + rng.randrange(days))
    tz = timezone.get_default_timezone()
    return datetime.datetime(
        day.year, day.month, day.day, rng.randint(8, 17), rng.randrange(60), tzinfo=tz
    )


def _allocate(rng: random.Random, total: int, weights: list[float]) -> list[int]:
    exact = [w * total / sum(weights) for w in weights]
    counts = [int(x) for x in exact]
    for i in sorted(range(len(weights)), key=lambda i: (counts[i] - exact[i], i))[
        : total - sum(counts)
    ]:
        counts[i] += 1
    return counts


ENTRY_FIELDS = (
    "id",
    "scheme",
    "institution",
    "kind",
    "indicator",
    "period",
    "points",
    "reason",
    "evidence",
    "is_official",
    "needs_approval",
    "reverses",
    "department",
    "created_by",
    "created_at",
    "source",
)
DECISION_FIELDS = ("id", "entry", "approved", "note", "decided_by", "decided_at")


def ledger_seed(rng: random.Random, org: Org, data: Year, *, year: int, total: int) -> None:
    """`total` ledger entries spread over the institutions (COPY on PostgreSQL), and HR's
    decisions on the proposals among them."""
    institutions = sorted(org.institution_group)
    grouped = [pk for pk in institutions if org.institution_group[pk] is not None]
    # Ungrouped pilots are scored too, but much less.
    weights = [
        rng.uniform(0.6, 1.4) * (1 if org.institution_group[pk] else 0.3) for pk in institutions
    ]
    counts = dict(zip(institutions, _allocate(rng, total, weights), strict=True))

    def pick(share: float, pool: list[int]) -> set[int]:
        return set(rng.sample(pool, min(len(pool), max(1, round(len(pool) * share)))))

    vetoed = pick(VETOED_SHARE, grouped)
    rest = [pk for pk in grouped if pk not in vetoed]
    veto_below = pick(VETO_BELOW_SHARE, rest)
    veto_rejected = pick(VETO_REJECTED_SHARE, rest)
    bonus = pick(BONUS_SHARE, grouped)
    self_assessed = pick(SELF_SHARE, grouped)

    first_entry, first_decision = next_id(LedgerEntry), next_id(EntryDecision)
    decisions: list[tuple] = []
    hr = org.hr
    scorer_of_department = {org.departments[code]: pk for code, pk in org.scorers.items()}

    def rows() -> Iterator[tuple]:
        pk = first_entry
        for inst in institutions:
            n = counts[inst]
            applying = [
                ind
                for ind in data.indicators
                if ind["method"] != "ratio"
                and (ind["institutions"] is None or inst in ind["institutions"])
            ]
            specials: list[tuple] = []  # (kind, points, reasons, needs approval, verdict)
            if inst in vetoed:
                points = Decimal(rng.choice((30, 30, 40, 50)))
                specials.append(("veto", points, VETO_REASONS, True, True))
            if inst in veto_below:
                specials.append(("veto", Decimal(rng.choice((5, 10))), VETO_REASONS, True, True))
            if inst in veto_rejected:
                specials.append(("veto", Decimal("30"), VETO_REASONS, True, False))
            if inst in bonus:
                for _ in range(rng.randint(1, 3)):
                    # HR's own bonus entries count at once; a department's are approved, rejected or
                    # still pending.
                    by_hr = rng.random() < 0.4
                    verdict = None if by_hr else rng.choices((True, False, None), (70, 15, 15))[0]
                    points = Decimal(rng.choice((2, 3, 5, 8, 10)))
                    specials.append(("bonus", points, BONUS_REASONS, not by_hr, verdict))
            specials = specials[:n]
            n -= len(specials)
            for kind, points, reasons, needs, verdict in specials:
                dept = rng.choice(list(scorer_of_department)) if needs else None
                at = _moment(rng, year, "year")
                yield (
                    pk, data.scheme, inst, kind, None, "year", points, rng.choice(reasons), "",
                    True, needs, None, dept, scorer_of_department[dept] if needs else hr, at, "web",
                )  # fmt: skip
                if needs and verdict is not None:
                    decisions.append(
                        (
                            first_decision + len(decisions),
                            pk,
                            verdict,
                            "经核实属实" if verdict else "依据不足，不予认定",
                            hr,
                            at + datetime.timedelta(days=rng.randint(1, 10)),
                        )
                    )
                pk += 1

            # Self-assessment (自评) by the institution's head: a handful of indicator entries.
            if inst in self_assessed and n > 0:
                own = min(n, rng.randint(4, 8))
                n -= own
                for _ in range(own):
                    ind = rng.choice(applying)
                    period = rng.choice(("year",) if ind["part"] == "execution" else ("h1", "h2"))
                    if ind["method"] == "add":
                        points = (ind["max"] * Decimal(rng.randint(40, 50)) / 100).quantize(CENT)
                    else:
                        points = -Decimal(rng.choice(("0.5", "1", "2")))
                    yield (
                        pk, data.scheme, inst, "indicator", ind["id"], period, points, SELF_REASON,
                        "", False, False, None, ind["department"], org.heads[inst],
                        _moment(rng, year, period), "web",
                    )  # fmt: skip
                    pk += 1

            # 计分 indicators: a few additions per half-year adding up to most of the maximum.
            additions = [
                (ind, p) for ind in applying if ind["method"] == "add" for p in ("h1", "h2")
            ]
            per = min(ADDITIONS_PER_HALF, n // max(1, 2 * len(additions)))
            strength = rng.uniform(0.7, 1.0)
            for ind, period in additions if per else ():
                share = ind["max"] * Decimal(str(round(strength * rng.uniform(0.85, 1.02), 3)))
                parts = _split(rng, share, per)
                for points in parts:
                    yield (
                        pk, data.scheme, inst, "indicator", ind["id"], period, points,
                        ADDITION_REASON, "", True, False, None, ind["department"],
                        scorer_of_department[ind["department"]], _moment(rng, year, period), "web",
                    )  # fmt: skip
                    pk += 1
                n -= len(parts)

            # The rest: small deductions, on the 扣分 indicators by their weight. The year's
            # deductions of an institution total 60–400 points (skewed low) however many entries
            # carry them; a half-year's deductions count half in the annual score.
            deductible = [ind for ind in applying if ind["method"] == "deduct"]
            if n <= 0 or not deductible:
                continue
            budget = Decimal(60 + round(340 * rng.random() ** 1.5))
            mean = budget / n
            weights = [float(ind["max"]) for ind in deductible]
            for ind in rng.choices(deductible, weights=weights, k=n):
                period = rng.choice(("year",) if ind["part"] == "execution" else ("h1", "h2"))
                points = -max(
                    CENT, (mean * Decimal(rng.choice((1, 1, 1, 2, 3))) / 2).quantize(CENT)
                )
                yield (
                    pk, data.scheme, inst, "indicator", ind["id"], period, points,
                    rng.choice(DEDUCTION_REASONS), "", True, False, None, ind["department"],
                    scorer_of_department[ind["department"]], _moment(rng, year, period), "web",
                )  # fmt: skip
                pk += 1

    data.entries = rows_insert(LedgerEntry, ENTRY_FIELDS, rows())
    data.decisions = rows_insert(EntryDecision, DECISION_FIELDS, decisions)
    sequences_reset(LedgerEntry, EntryDecision)


def _split(rng: random.Random, amount: Decimal, parts: int) -> list[Decimal]:
    """`amount` in `parts` positive pieces of whole cents (fewer when it is too small)."""
    cents = int((amount / CENT).to_integral_value())
    parts = max(1, min(parts, cents))
    cuts = sorted(rng.sample(range(1, cents), parts - 1)) if parts > 1 else []
    bounds = [0, *cuts, cents]
    return [Decimal(b - a) * CENT for a, b in itertools.pairwise(bounds) if b > a]
