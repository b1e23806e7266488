"""Demo letters for seed_demo, over the open 2026 year of ops/demo/appraisal.py: a letter in every
state, entered through the services (signed with the demo password, audited like real work).

* every grouped institution's head has their letter issued;
* JG001 (`head`): revenue and output targets; version 1 signed and countersigned, then the revenue
  target raised, so version 2 was issued, signed and countersigned (version 1 superseded); from it
  two deputies (`deputy1`, `deputy2`, accounts without a role) take on parts of the targets, and
  `deputy1` has signed;
* JG002 (`head2`): signed, waiting for HR's countersignature;
* the others: issued, waiting for their heads.

Deterministic; a year that has letters already is left as it is."""

from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction

from appraisal.models import Scheme, Target
from appraisal.services import target_save
from letters import services
from letters.models import Letter
from ops.demo.orgs import DEMO_PASSWORD
from orgs.models import Institution, User

DEMO_YEAR = 2026
# Where the demo signatures came from (the pages record the browser's address).
DEMO_ADDRESS = "10.8.1.21"
# JG001's targets on the business indicators of group 1 (ops/demo/appraisal.py): absolute
# amounts, so they are decomposed in parts. Version 1 had revenue at 11500, raised to 12000
# mid-year.
JG001_OUTPUT = Decimal("8600")  # YW11 生产任务完成
JG001_REVENUE_V1 = Decimal("11500")  # YW12 营业收入
JG001_REVENUE = Decimal("12000")
# username, name, how they hold their letter (责任人)
DEPUTIES = [
    ("deputy1", "周海涛", "分管生产副总经理 周海涛"),
    ("deputy2", "吴静怡", "分管经营副总经理 吴静怡"),
]


def _sign(user: User, letter: Letter) -> Letter:
    return services.letter_sign(
        actor=user, letter=letter, password=DEMO_PASSWORD, client_address=DEMO_ADDRESS
    )


def _deputies() -> list[User]:
    # One hash for both accounts: hashing the demo password is the slow part of the seed.
    password = make_password(DEMO_PASSWORD)
    users = []
    for username, name, _holder in DEPUTIES:
        user, _ = User.objects.get_or_create(
            username=username, defaults={"name": name, "role": "", "password": password}
        )
        users.append(user)
    return users


@transaction.atomic
def seed_letters(*, hr: User) -> int:
    scheme = Scheme.objects.filter(year=DEMO_YEAR).first()
    if scheme is None or Letter.objects.filter(scheme=scheme).exists():
        return 0
    grouped = list(
        Institution.objects.filter(group__isnull=False, head__isnull=False)
        .select_related("head")
        .order_by("code")
    )
    first, second = grouped[0], grouped[1]
    indicators = {i.code: i for i in scheme.indicators.all()}
    for code, value in (("YW11", JG001_OUTPUT), ("YW12", JG001_REVENUE_V1)):
        target_save(
            actor=hr, indicator=indicators[code], institution=first,
            kind=Target.Kind.ABSOLUTE, unit="万元", target_value=value,
        )  # fmt: skip
    letters = {
        inst.code: services.letter_issue(actor=hr, scheme=scheme, institution=inst)
        for inst in grouped
    }

    # JG001: version 1 in force, then a raised target makes version 2, which replaces it.
    v1 = _sign(first.head, letters[first.code])
    services.letter_countersign(actor=hr, letter=v1)
    target_save(
        actor=hr, indicator=indicators["YW12"], institution=first, target_value=JG001_REVENUE
    )
    v2 = services.letter_issue(actor=hr, scheme=scheme, institution=first)
    v2 = _sign(first.head, v2)
    v2 = services.letter_countersign(actor=hr, letter=v2)

    # Its targets go down to the two deputies; the first has signed, the second not yet.
    items = {
        item.indicator.code: item for item in v2.items.select_related("indicator") if item.indicator
    }
    deputy1, deputy2 = _deputies()
    output, revenue, cost = items["YW11"], items["YW12"], items["YW13"]
    children = services.letter_cascade(
        actor=first.head,
        parent=v2,
        children=[
            services.ChildLetter(
                DEPUTIES[0][2], deputy1, {output.pk: JG001_OUTPUT, revenue.pk: Decimal("5000")}
            ),
            services.ChildLetter(
                DEPUTIES[1][2], deputy2, {revenue.pk: Decimal("7000"), cost.pk: None}
            ),
        ],
    )
    _sign(deputy1, children[0])

    # JG002: signed by its head, waiting for HR.
    _sign(second.head, letters[second.code])
    return Letter.objects.filter(scheme=scheme).count()
