"""Demo letters for seed_demo, over the open 2026 year of ops/demo/appraisal.py: a letter in every
state, entered through the services (signed with each signer's own password, audited like real
work). A head's letter commits to the whole year's targets (the 下半年 ones).

* every grouped institution's head has their letter issued;
* JG001 (`head`): version 1 signed and countersigned; then HR raised its whole-year revenue target
  (营业收入, YW12) from 11,500 to 12,000 万元, so the system issued version 2, which `head` signed
  and HR countersigned (version 1 superseded); from it two deputies (`deputy1`, `deputy2`,
  accounts without a role) take on parts of the targets: `deputy1` has signed, `deputy2` has not;
* JG002 (`head2`): issued, waiting for `head2` to sign;
* JG003: signed by its head, waiting for HR's countersignature;
* the others: issued, waiting for their heads.

Deterministic; a year that has letters already is left as it is."""

import secrets
from decimal import Decimal

from django.contrib.auth.hashers import make_password
from django.db import transaction

from appraisal.models import Scheme
from appraisal.recompute import year_results_recompute
from appraisal.services import target_save
from letters import services
from letters.models import Letter
from ops.demo.appraisal import DEMO_YEAR, OUTPUT_TARGETS
from ops.demo.orgs import DEMO_PASSWORD
from orgs.models import Institution, User

# Where the demo signatures came from (the pages record the browser's address).
DEMO_ADDRESS = "10.8.1.21"
JG001_OUTPUT = Decimal(OUTPUT_TARGETS["JG001"])  # YW11 生产任务完成, 万元
JG001_REVENUE = Decimal("12000")  # YW12 营业收入, raised from 11,500 (ops/demo/appraisal.py)
# username, name, how they hold their letter (责任人), what they take on of JG001's targets
DEPUTIES = [
    (
        "deputy1",
        "周海涛",
        "分管生产副总经理 周海涛",
        {"YW11": JG001_OUTPUT, "YW12": Decimal("5000")},
    ),
    ("deputy2", "吴静怡", "分管经营副总经理 吴静怡", {"YW12": Decimal("7000"), "YW14": None}),
]


def _sign(user: User, letter: Letter, password: str = DEMO_PASSWORD) -> Letter:
    return services.letter_sign(
        actor=user, letter=letter, password=password, client_address=DEMO_ADDRESS
    )


def _deputies(institution: Institution) -> list[User]:
    """JG001's deputies: accounts of that institution (所属机构), without a role."""
    # One hash for both accounts: hashing the demo password is the slow part of the seed.
    password = make_password(DEMO_PASSWORD)
    users = []
    for username, name, _holder, _parts in DEPUTIES:
        user, _ = User.objects.get_or_create(
            username=username,
            defaults={"name": name, "role": "", "password": password, "institution": institution},
        )
        users.append(user)
    return users


def _sign_as_head(letter: Letter) -> Letter:
    """A head who is not a demo account signs with their own password, which the demo does not
    publish: a fresh random one, never printed."""
    head = letter.signer
    password = secrets.token_urlsafe(18)
    head.set_password(password)
    head.save(update_fields=["password"])
    return _sign(head, letter, password)


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
    first, _second, third = grouped[:3]
    letters = {
        inst.code: services.letter_issue(actor=hr, scheme=scheme, institution=inst)
        for inst in grouped
    }

    # JG001: version 1 in force; then a raised target makes version 2, which replaces it.
    v1 = _sign(first.head, letters[first.code])
    services.letter_countersign(actor=hr, letter=v1)
    revenue = scheme.indicators.get(code="YW12")
    target_save(
        actor=hr, indicator=revenue, institution=first, period="h2", target_value=JG001_REVENUE
    )
    # What the system does once the change commits (appraisal.services.targets_letters_follow),
    # done here so the demo can sign it in the same transaction.
    v2 = services.letters_follow_targets(scheme, first)
    v2 = _sign(first.head, v2)
    v2 = services.letter_countersign(actor=hr, letter=v2)
    # The raised target moves JG001's score (a target change leaves the ledger as it is).
    year_results_recompute(scheme_id=scheme.pk)

    # Its targets go down to the two deputies; the first has signed, the second not yet.
    items = {
        item.indicator.code: item for item in v2.items.select_related("indicator") if item.indicator
    }
    deputies = _deputies(first)
    children = services.letter_cascade(
        actor=first.head,
        parent=v2,
        children=[
            services.ChildLetter(
                holder, user, {items[code].pk: amount for code, amount in parts.items()}
            )
            for (_username, _name, holder, parts), user in zip(DEPUTIES, deputies, strict=True)
        ],
    )
    _sign(deputies[0], children[0])

    # JG002 waits for head2; JG003's head has signed, waiting for HR.
    _sign_as_head(letters[third.code])
    return Letter.objects.filter(scheme=scheme).count()
