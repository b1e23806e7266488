"""The organisation at scale: scoring departments, assessment groups with prize tables, accounts
(one password hash for all), institutions of very different sizes and their employees."""

import math
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from ops.demo.orgs import DEPARTMENTS, GIVEN, POSTS, SURNAMES
from orgs.models import (
    AssessmentGroup,
    Employee,
    GroupPrize,
    Institution,
    Role,
    ScoringDepartment,
    Stage,
    User,
)

from .rows import next_id, rows_insert, sequences_reset

PASSWORD = "scale1234"  # noqa: S105 — generated test data only; documented in benchmarks/README.md
REGIONS = [
    "东城", "西城", "南湖", "北山", "江口", "河西", "新港", "青山",
    "云溪", "石桥", "柳岸", "松林", "梅园", "桃源", "竹溪", "枫林",
]  # fmt: skip
KINDS = ["分公司", "营业部", "服务中心", "管理站", "办事处", "供应站"]
UNGROUPED_SHARE = 0.02  # pilots still rolling out: scored, not ranked
PILOT_STAGES = [Stage.TRIAL, Stage.ACCEPTANCE, Stage.TRAINING, Stage.DATA, Stage.SETUP]
# Zipf-like sizes: weight 1 / (rank + ZIPF_OFFSET); with 2,000 institutions the largest has about
# a hundred times the staff of the smallest (≈2,000 against ≈20 at 100 per institution on average).
ZIPF_OFFSET = 20
INSTITUTIONS_PER_GROUP = 60
MIN_GROUPS, MAX_GROUPS = 2, 40
# Prize money by size band of the group (largest institutions first), yuan.
PRIZE_AMOUNTS = [
    (Decimal("50000.00"), Decimal("30000.00"), Decimal("10000.00")),
    (Decimal("40000.00"), Decimal("25000.00"), Decimal("10000.00")),
    (Decimal("30000.00"), Decimal("20000.00"), Decimal("8000.00")),
    (Decimal("15000.00"), Decimal("10000.00"), Decimal("5000.00")),
]
PRIZE_SHARES = (Decimal("0.05"), Decimal("0.10"), Decimal("0.15"))
OFFICERS_PER = 100  # institutions per payroll officer


@dataclass
class Org:
    """What the later phases need of the organisation, by primary key."""

    departments: dict[str, int] = field(default_factory=dict)  # code -> id
    groups: list[int] = field(default_factory=list)  # ids, largest institutions first
    institution_group: dict[int, int | None] = field(default_factory=dict)  # id -> group id
    institution_code: dict[int, str] = field(default_factory=dict)
    institution_size: dict[int, int] = field(default_factory=dict)
    heads: dict[int, int] = field(default_factory=dict)  # institution id -> head user id
    hr: int = 0
    scorers: dict[str, int] = field(default_factory=dict)  # department code -> user id
    formal: dict[int, list[int]] = field(default_factory=dict)  # institution id -> employee ids
    employees: int = 0


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def sizes_allocate(rng: random.Random, institutions: int, employees: int) -> list[int]:
    """Employees per institution: Zipf-like weights over shuffled ranks, at least 2 each, adding
    up to `employees` exactly (largest remainder)."""
    minimum = 2
    if employees < minimum * institutions:
        raise ValueError(f"{employees} employees are too few for {institutions} institutions.")
    weights = [1 / (rank + ZIPF_OFFSET) for rank in range(1, institutions + 1)]
    rng.shuffle(weights)
    free = employees - minimum * institutions
    total = sum(weights)
    exact = [w * free / total for w in weights]
    sizes = [math.floor(x) for x in exact]
    left = free - sum(sizes)
    for i in sorted(range(institutions), key=lambda i: (sizes[i] - exact[i], i))[:left]:
        sizes[i] += 1
    return [s + minimum for s in sizes]


def org_seed(rng: random.Random, *, institutions: int, employees: int) -> Org:
    org = Org()
    now = timezone.now()
    password = make_password(PASSWORD)  # hashed once: hashing 2,000 times would take minutes

    for order, (code, name) in enumerate(DEPARTMENTS):
        org.departments[code] = ScoringDepartment.objects.create(
            code=code, name=name, sort_order=order
        ).pk

    # Accounts: HR, an auditor, a scorer per department, payroll officers, a head per institution.
    def user(username, name, role, department=None) -> User:
        return User(
            username=username,
            name=name,
            role=role,
            scoring_department_id=department,
            password=password,
            is_active=True,
            date_joined=now,
        )

    staff = [user("hr", "王敏", Role.HR), user("auditor", "赵刚", Role.AUDITOR)]
    staff += [
        user(f"scorer_{code.lower()}", f"{name}评分员", Role.SCORER, org.departments[code])
        for code, name in DEPARTMENTS
    ]
    officers = max(1, math.ceil(institutions / OFFICERS_PER))
    staff += [
        user(f"payroll{n:02d}", person_name(rng), Role.PAYROLL) for n in range(1, officers + 1)
    ]
    staff = User.objects.bulk_create(staff)
    by_name = {u.username: u.pk for u in staff}
    org.hr = by_name["hr"]
    org.scorers = {code: by_name[f"scorer_{code.lower()}"] for code, _name in DEPARTMENTS}

    sizes = sizes_allocate(rng, institutions, employees)
    codes = [f"S{n:05d}" for n in range(1, institutions + 1)]
    heads = User.objects.bulk_create(
        [user(f"head_{code.lower()}", person_name(rng), Role.HEAD) for code in codes],
        batch_size=2000,
    )

    # Groups of institutions of similar size: the largest together, the smallest together.
    ungrouped = set(rng.sample(range(institutions), round(institutions * UNGROUPED_SHARE)))
    grouped = sorted(
        (i for i in range(institutions) if i not in ungrouped), key=lambda i: -sizes[i]
    )
    n_groups = max(MIN_GROUPS, min(MAX_GROUPS, round(len(grouped) / INSTITUTIONS_PER_GROUP)))
    n_groups = min(n_groups, len(grouped)) or 1
    group_of: dict[int, int] = {}
    groups = AssessmentGroup.objects.bulk_create(
        [
            AssessmentGroup(
                code=f"G{g + 1:02d}",
                name=f"第{g + 1}组",
                description=f"规模相近的机构（第{g + 1}档）",
                sort_order=g,
            )
            for g in range(n_groups)
        ]
    )
    members: dict[int, int] = {}
    for position, i in enumerate(grouped):
        g = position * n_groups // len(grouped)
        group_of[i] = groups[g].pk
        members[g] = members.get(g, 0) + 1
    prizes = []
    for g, group in enumerate(groups):
        band = PRIZE_AMOUNTS[g * len(PRIZE_AMOUNTS) // n_groups]
        for level, (share, amount) in enumerate(zip(PRIZE_SHARES, band, strict=True), start=1):
            winners = max(1, round(members.get(g, 0) * share))
            prizes.append(GroupPrize(group=group, level=level, winners=winners, amount=amount))
    GroupPrize.objects.bulk_create(prizes)
    org.groups = [g.pk for g in groups]

    rows = []
    for i, code in enumerate(codes):
        pilot = i in ungrouped
        rows.append(
            Institution(
                code=code,
                name=f"{REGIONS[i % len(REGIONS)]}{KINDS[(i // len(REGIONS)) % len(KINDS)]}{code}",
                group_id=group_of.get(i),
                head_id=heads[i].pk,
                is_pilot=pilot,
                stage=rng.choice(PILOT_STAGES) if pilot else Stage.FORMAL,
                formal_headcount=0,  # set below, once the employees are drawn
            )
        )
    insts = Institution.objects.bulk_create(rows, batch_size=2000)
    for i, inst in enumerate(insts):
        org.institution_group[inst.pk] = inst.group_id
        org.institution_code[inst.pk] = inst.code
        org.institution_size[inst.pk] = sizes[i]
        org.heads[inst.pk] = heads[i].pk

    # Payroll officers, each bound to a run of institutions.
    officer_ids = [u.pk for u in staff if u.role == Role.PAYROLL]
    through = User.payroll_institutions.through
    through.objects.bulk_create(
        [
            through(user_id=officer_ids[n * len(officer_ids) // len(insts)], institution_id=inst.pk)
            for n, inst in enumerate(insts)
        ],
        batch_size=5000,
    )

    headcount = employees_seed(rng, org, insts)
    for inst in insts:
        inst.formal_headcount = headcount[inst.pk]
    Institution.objects.bulk_update(insts, ["formal_headcount"], batch_size=2000)
    return org


def employees_seed(rng: random.Random, org: Org, insts: list[Institution]) -> dict[int, int]:
    """Every institution's employees (COPY on PostgreSQL); returns the formal headcount
    (编制人数) of each: its formal staff plus a few vacancies."""
    now = timezone.now()
    first = next_id(Employee)
    headcount: dict[int, int] = {}

    def rows():
        pk = first
        for inst in insts:
            formal = org.formal.setdefault(inst.pk, [])
            for n in range(org.institution_size[inst.pk]):
                # One leader per institution, a few section chiefs, the rest staff.
                post, coefficient, post_wage = POSTS[0] if n == 0 else rng.choice(POSTS[1:])
                is_formal = n == 0 or rng.random() < 0.85
                if is_formal:
                    formal.append(pk)
                grade_wage = Decimal(rng.randrange(800, 2600, 10)) + Decimal("0.50") * rng.randint(
                    0, 1
                )
                special = Decimal(rng.choice((0, 0, 0, 150, 300))) + Decimal("0.00")
                yield (
                    pk,
                    f"{inst.code}{n + 1:05d}",
                    person_name(rng),
                    inst.pk,
                    post,
                    coefficient,
                    is_formal,
                    True,
                    post_wage,
                    grade_wage,
                    special,
                    now,
                    now,
                )
                pk += 1
            headcount[inst.pk] = len(formal) + rng.randint(0, 2)

    org.employees = rows_insert(
        Employee,
        (
            "id",
            "staff_number",
            "name",
            "institution",
            "post",
            "post_coefficient",
            "is_formal",
            "is_active",
            "post_wage",
            "grade_wage",
            "special_allowance",
            "created_at",
            "updated_at",
        ),
        rows(),
    )
    sequences_reset(Employee)
    return headcount
