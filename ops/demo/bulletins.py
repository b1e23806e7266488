"""Demo bulletins for seed_demo, over the open 2026 year of ops/demo/appraisal.py, after the
letters and acceptance demos (so unsigned letters and missing weekly reports show as warnings).
Today, the seeding day, is the reference:

* monthly snapshots from January 2026 to the current month: the current month is taken with the
  service from the current results; the earlier months are derived from them deterministically,
  each taken at 23:30 on its last day (each unit drifting towards where it stands now and standing
  there at the end of last month, the veto arriving the month before), only so that the trend of
  the year has a believable line — the system itself never invents a past month;
* the monthly bulletin (月度通报) of last month, generated and published by HR at seeding time,
  after the last recompute: so its results were computed before it was generated and published,
  and it is published after its month ended. It asks the bottom two units of each group for an
  explanation: the first of them (by code) has submitted one, the second has submitted and HR has
  reviewed it, the others are still to answer;
* the weekly bulletin (周报) of the last closed week, generated and waiting as a draft.

Why no explanation is overdue: a request is due `explanation_days` (7) after the day its bulletin
is published, and the demo publishes today, because every date must be true — a bulletin dated in
the past would have been published before the results it freezes were computed (they are computed
while seeding), and the audit trail, which is append-only and dated by the database, would say it
was published today anyway. The dashboard shows overdue requests from a week after seeding on.

Skipped when the year has bulletins already."""

import datetime
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from appraisal.models import Grade, Result, Scheme
from bulletins import rules, services
from bulletins.models import Bulletin, ExplanationRequest, Snapshot

DEMO_YEAR = 2026
ZERO = Decimal("0")
# The veto of the demo ledger (ops/demo/appraisal.py) is counted from this many months before the
# end of last month (1: from the month before last).
VETO_MONTHS_BACK = 1
SUBMITTED_TEXT = (
    "本月排名靠后，主要原因是重点项目推进滞后、两项督查问题整改逾期。"
    "已成立专项工作组，明确责任人和完成时限，下月底前完成全部整改。"
)
REVIEW_NOTE = "情况属实，整改措施可行，请按期落实并在下月通报前报送进展。"


def _competition_ranks(totals: list[Decimal]) -> list[int]:
    ordered = sorted(totals, reverse=True)
    return [ordered.index(t) + 1 for t in totals]


def _derived_month(
    scheme: Scheme, results: list[Result], month: datetime.date, months_back: int, taken_at
) -> list[Snapshot]:
    """How the year might have stood `months_back` months before the end of last month: each
    unit's execution score off from today's by a fixed drift per unit that shrinks month by month
    (none at the end of last month); the veto not counted before it arrived. Ranks per group as
    the engine ranks (vetoed last, ties share)."""
    rows = []
    maxima = {
        "common": scheme.common_max,
        "business": scheme.business_max,
        "execution": scheme.execution_max,
    }
    for r in results:
        rng = random.Random(f"{r.institution_id}-demo-trend")
        drift = (Decimal(rng.randint(-36, 36)) / 2 * months_back / 6).quantize(Decimal("0.01"))
        parts = {name: getattr(r, name) for name in maxima}
        # A gain goes where a part has room below its max, a loss comes off execution capacity.
        for name in ("business", "common", "execution"):
            if drift > ZERO:
                step = min(drift, maxima[name] - parts[name])
                parts[name] += step
                drift -= step
        if drift < ZERO:
            parts["execution"] = max(parts["execution"] + drift, ZERO)
        veto = r.veto if months_back <= VETO_MONTHS_BACK else ZERO
        vetoed = veto >= scheme.veto_line
        total = sum(parts.values()) + r.bonus - veto
        rows.append(
            Snapshot(
                scheme=scheme,
                institution_id=r.institution_id,
                group_id=r.group_id,
                month=month,
                **parts,
                bonus=r.bonus,
                veto=veto,
                total=total,
                vetoed=vetoed,
                grade=Grade.QUALIFIED
                if not vetoed and total >= scheme.qualify_line
                else Grade.UNQUALIFIED,
                taken_at=taken_at,
            )
        )
    by_group: dict[int | None, list[Snapshot]] = {}
    for snap in rows:
        by_group.setdefault(snap.group_id, []).append(snap)
    for snaps in by_group.values():
        standing = [s for s in snaps if not s.vetoed]
        vetoed = [s for s in snaps if s.vetoed]
        for s, rank in zip(standing, _competition_ranks([s.total for s in standing]), strict=True):
            s.rank = rank
        for s, rank in zip(vetoed, _competition_ranks([s.total for s in vetoed]), strict=True):
            s.rank = len(standing) + rank
    return rows


def _snapshots(scheme: Scheme, today: datetime.date) -> None:
    last_day = min(today, datetime.date(DEMO_YEAR, 12, 31))
    services.snapshots_take(scheme=scheme, day=last_day)
    results = list(Result.objects.filter(scheme=scheme))
    last = rules.month_start(last_day)
    taken = set(Snapshot.objects.filter(scheme=scheme).values_list("month", flat=True))
    rows = []
    for number in range(1, last.month):
        month = datetime.date(DEMO_YEAR, number, 1)
        if month in taken:
            continue
        # Taken late on the month's last day, as beat would have.
        end = rules.month_start(month + datetime.timedelta(days=32)) - rules.ONE_DAY
        taken_at = timezone.make_aware(datetime.datetime.combine(end, datetime.time(23, 30)))
        rows += _derived_month(scheme, results, month, last.month - 1 - number, taken_at)
    Snapshot.objects.bulk_create(rows)


@transaction.atomic
def seed_bulletins(*, hr) -> int:
    scheme = Scheme.objects.filter(year=DEMO_YEAR).first()
    if scheme is None or Bulletin.objects.filter(scheme=scheme).exists():
        return 0
    today = timezone.localdate()
    _snapshots(scheme, today)

    # Last month's bulletin, from the results as they are now, published now.
    monthly = services.bulletin_generate(
        scheme=scheme, kind=Bulletin.Kind.MONTHLY, day=today, actor=hr
    )
    monthly = services.bulletin_publish(actor=hr, bulletin=monthly)
    asked = list(
        ExplanationRequest.objects.filter(bulletin=monthly)
        .select_related("institution__head")
        .order_by("institution__code")
    )
    for position, request in enumerate(asked[:2]):
        request = services.explanation_submit(
            actor=request.institution.head, request=request, text=SUBMITTED_TEXT
        )
        if position == 1:
            services.explanation_review(actor=hr, request=request, note=REVIEW_NOTE)

    services.bulletin_generate(scheme=scheme, kind=Bulletin.Kind.WEEKLY, day=today, actor=hr)
    return Bulletin.objects.filter(scheme=scheme).count()
