"""The demo organisation: scoring departments, groups, institutions, heads, employees and one
account per role (README.md). Deterministic, realistic demo data. Safe to run again: everything
is keyed on its code, staff number or username, so a second run updates in place and duplicates
nothing."""

import random
from decimal import Decimal

from orgs.models import (
    AssessmentGroup,
    ContactPerson,
    Employee,
    GroupPrize,
    Institution,
    Role,
    ScoringDepartment,
    Stage,
    User,
)

DEMO_PASSWORD = "demo-2026-jx"  # noqa: S105 — demo accounts only; documented in README.md

DEPARTMENTS = [
    ("AQSC", "安全生产科"),
    ("DJB", "党建办"),
    ("DCS", "督查室"),
    ("RLZY", "人力资源部"),
    ("JJJC", "纪检监察室"),
    ("BGS", "办公室"),
    ("CWB", "财务部"),
    ("KJXX", "科技信息中心"),
]

# (code, name, description, [(level, winners, amount)], [institution names])
GROUPS = [
    (
        "G1",
        "第一组",
        "生产任务较重的大型单位",
        [(1, 1, "50000.00"), (2, 2, "30000.00"), (3, 2, "10000.00")],
        [
            "东城分公司",
            "西城分公司",
            "南湖分公司",
            "北山分公司",
            "江口分公司",
            "河西分公司",
            "新港分公司",
        ],
    ),
    (
        "G2",
        "第二组",
        "设有党支部的机关单位",
        [(1, 1, "50000.00"), (2, 1, "30000.00"), (3, 1, "10000.00")],
        ["机关服务中心", "培训中心", "物资供应中心", "后勤保障中心"],
    ),
    (
        "G3",
        "第三组",
        "规模较小的机关单位",
        [(1, 1, "15000.00"), (2, 1, "10000.00"), (3, 2, "5000.00")],
        ["档案馆", "信息中心", "接待办", "老干部服务站", "工会服务站"],
    ),
]

# Pilot institutions still rolling out: enough for three acceptance batches of six.
PILOTS = [
    "青山营业部", "云溪营业部", "石桥营业部", "柳岸营业部", "松林营业部", "梅园营业部",
    "桃源营业部", "竹溪营业部", "枫林营业部", "荷塘营业部", "兰亭营业部", "菊坡营业部",
    "杏花营业部", "芦湾营业部", "樟树营业部", "榕城营业部", "桂山营业部", "槐里营业部",
]  # fmt: skip
PILOT_STAGES = [
    Stage.TRIAL,
    Stage.ACCEPTANCE,
    Stage.ACCEPTANCE,
    Stage.TRAINING,
    Stage.DATA,
    Stage.SETUP,
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余杜叶程"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国志海波宁辉鹏浩然晨"

# post, post coefficient, post wage (yuan / month)
POSTS = [
    ("主任", Decimal("2.00"), Decimal("4200.00")),
    ("副主任", Decimal("1.70"), Decimal("3800.00")),
    ("科长", Decimal("1.50"), Decimal("3400.00")),
    ("副科长", Decimal("1.30"), Decimal("3100.00")),
    ("工程师", Decimal("1.20"), Decimal("2900.00")),
    ("科员", Decimal("1.00"), Decimal("2600.00")),
    ("技术员", Decimal("1.00"), Decimal("2500.00")),
    ("办事员", Decimal("0.90"), Decimal("2300.00")),
]
EMPLOYEES_PER_GROUP = {"G1": (20, 30), "G2": (12, 16), "G3": (6, 10), None: (8, 14)}

DEMO_ACCOUNTS = [
    # username, name, role
    ("hr", "王敏", Role.HR),
    ("scorer", "李强", Role.SCORER),
    ("head", "张建国", Role.HEAD),
    ("head2", "刘志海", Role.HEAD),
    ("acceptance", "陈洋", Role.ACCEPTANCE),
    ("payroll", "杨丽", Role.PAYROLL),
    ("auditor", "赵刚", Role.AUDITOR),
    # 局领导班子成员: scores 执行力建设 with the departments; 联系单位 JG001–JG004.
    ("leader", "郑国华", Role.LEADER),
    # 考核联络员 of JG001 (head's) and JG002 (head2's), named by HR: they report the figures.
    ("contact", "何晓琳", Role.CONTACT),
    ("contact2", "马骏", Role.CONTACT),
    # 三员 (等保 2.0): accounts and roles, security, the audit trail; no business data.
    ("sysadmin", "孙立", Role.SYSADMIN),
    ("secadmin", "周安", Role.SECADMIN),
    ("auditadmin", "吴审", Role.AUDITADMIN),
]


def _person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


CONTACTS = {"contact": "JG001", "contact2": "JG002"}  # username → institution code
LEADER_INSTITUTIONS = ["JG001", "JG002", "JG003", "JG004"]


def _user(username, name, role, *, department=None, password=None, institution=None) -> User:
    user, created = User.objects.update_or_create(
        username=username,
        defaults={
            "name": name,
            "role": role,
            "scoring_department": department,
            "institution": institution,
            "is_active": True,
        },
    )
    if password and (created or not user.check_password(password)):
        user.set_password(password)
        user.save(update_fields=["password"])
    elif not password and created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def seed() -> dict:
    rng = random.Random(20261121)  # fixed seed: the same data on every machine
    departments = {}
    for i, (code, name) in enumerate(DEPARTMENTS):
        departments[code], _ = ScoringDepartment.objects.update_or_create(
            code=code, defaults={"name": name, "sort_order": i}
        )

    accounts = {}
    for username, name, role in DEMO_ACCOUNTS:
        if role == Role.CONTACT:
            continue  # an account of its institution: made once the institutions are
        accounts[username] = _user(
            username,
            name,
            role,
            department=departments["AQSC"] if role == Role.SCORER else None,
            password=DEMO_PASSWORD,
        )

    plan = []  # (code, name, group, is_pilot, stage)
    n = 0
    for sort_order, (gcode, gname, desc, prizes, names) in enumerate(GROUPS):
        group, _ = AssessmentGroup.objects.update_or_create(
            code=gcode, defaults={"name": gname, "description": desc, "sort_order": sort_order}
        )
        for level, winners, amount in prizes:
            GroupPrize.objects.update_or_create(
                group=group, level=level, defaults={"winners": winners, "amount": Decimal(amount)}
            )
        for name in names:
            n += 1
            plan.append((f"JG{n:03d}", name, group, False, Stage.FORMAL))
    for i, name in enumerate(PILOTS):
        n += 1
        plan.append((f"JG{n:03d}", name, None, True, PILOT_STAGES[i % len(PILOT_STAGES)]))

    head_usernames = {"JG001": "head", "JG002": "head2"}
    employees = 0
    for code, name, group, is_pilot, stage in plan:
        username = head_usernames.get(code)
        head = (
            accounts[username]
            if username
            else _user(f"head_{code.lower()}", _person_name(rng), Role.HEAD)
        )
        staff = _seed_employees(rng, code, group.code if group else None)
        institution, _ = Institution.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "group": group,
                "head": head,
                "is_pilot": is_pilot,
                "stage": stage,
                "formal_headcount": sum(1 for s in staff if s["is_formal"]) + rng.randint(0, 2),
            },
        )
        for s in staff:
            Employee.objects.update_or_create(
                staff_number=s.pop("staff_number"), defaults={**s, "institution": institution}
            )
        employees += len(staff)

    payroll = accounts["payroll"]
    payroll.payroll_institutions.set(
        Institution.objects.filter(code__in=["JG001", "JG002", "JG003"])
    )
    accounts["leader"].contact_institutions.set(
        Institution.objects.filter(code__in=LEADER_INSTITUTIONS)
    )
    _contacts(accounts)
    return {
        "institutions": len(plan),
        "groups": len(GROUPS),
        "employees": employees,
        "users": User.objects.count(),
    }


def _contacts(accounts: dict) -> None:
    """The contact persons' accounts, of their institutions, named by HR (audited, like real
    work), each linked to the employee record of the same person."""
    from orgs.contacts import contact_person_name

    names = {username: name for username, name, _role in DEMO_ACCOUNTS}
    for username, code in CONTACTS.items():
        institution = Institution.objects.get(code=code)
        user = _user(
            username,
            names[username],
            Role.CONTACT,
            password=DEMO_PASSWORD,
            institution=institution,
        )
        employee = institution.employees.order_by("staff_number")[1]  # a section chief or staff
        if employee.name != user.name:
            Employee.objects.filter(pk=employee.pk).update(name=user.name)
            employee.refresh_from_db()
        if ContactPerson.objects.filter(user=user, ended_at__isnull=True).exists():
            continue
        contact_person_name(
            actor=accounts["hr"],
            institution=institution,
            user=user,
            employee=employee,
            phone=f"0571-8600{int(code[2:]):04d}",
        )


def _seed_employees(rng: random.Random, code: str, group_code: str | None) -> list[dict]:
    low, high = EMPLOYEES_PER_GROUP[group_code]
    staff = []
    for i in range(rng.randint(low, high)):
        # One leader per institution, a few section chiefs, the rest staff.
        post, coefficient, post_wage = POSTS[0] if i == 0 else rng.choice(POSTS[1:])
        staff.append(
            {
                "staff_number": f"{code}{i + 1:04d}",
                "name": _person_name(rng),
                "post": post,
                "post_coefficient": coefficient,
                "is_formal": i == 0 or rng.random() < 0.85,
                "is_active": True,
                "post_wage": post_wage,
                "grade_wage": Decimal(rng.randrange(800, 2600, 10))
                + Decimal("0.50") * rng.randint(0, 1),
                "special_allowance": Decimal(rng.choice((0, 0, 0, 150, 300))) + Decimal("0.00"),
            }
        )
    return staff
