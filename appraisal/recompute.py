"""Recompute a year's results: load it with set-based queries (the database aggregates the
ledger; no Python loop over ledger rows), run the pure engine, and replace the year's results in
one transaction together with the ledger state that was seen."""

import time
from collections import defaultdict
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone

from orgs.models import GroupPrize, Institution

from . import engine
from .models import (
    EntryDecision,
    Indicator,
    IndicatorScorer,
    LedgerEntry,
    Result,
    ResultSet,
    Scheme,
    Target,
)

ZERO = Decimal("0")

# An entry counts when it needs no approval, or HR approved it.
COUNTED = Q(needs_approval=False) | Q(decision__approved=True)


def ledger_last_ids(scheme_id: int) -> dict:
    """The newest ledger entry and decision of a year: when either moves, results are stale."""
    entries = LedgerEntry.objects.filter(scheme_id=scheme_id).aggregate(last=Max("id"))
    decisions = EntryDecision.objects.filter(entry__scheme_id=scheme_id).aggregate(last=Max("id"))
    return {
        "ledger_last_id": entries["last"] or 0,
        "decisions_last_id": decisions["last"] or 0,
    }


def ledger_mark(scheme_id: int) -> dict:
    """The ledger state a result set is computed from: compare with the current one to know
    whether results are older than the ledger. The count is recorded with the results only: it
    scans the year's ledger (a quarter of a second at a million entries)."""
    n = LedgerEntry.objects.filter(scheme_id=scheme_id).count()
    return {**ledger_last_ids(scheme_id), "ledger_entries": n}


def year_inputs(scheme: Scheme, *, official: bool = True) -> list[engine.InstitutionInput]:
    """Every appraised institution (those in an assessment group) with its indicators, ledger
    tallies, targets, counted bonus and veto points and last year's grade. A fixed number of
    queries, however many institutions and entries there are."""
    indicators = list(
        Indicator.objects.filter(scheme=scheme).values(
            "id",
            "code",
            "part",
            "method",
            "max_points",
            "direction",
            "applies_to_all",
            "aggregation",
        )
    )
    # A self-assessment (自评) is the institution's one view of an indicator: scored as one tally.
    scorers = indicator_scorers(scheme) if official else {}
    rules = {
        row["id"]: engine.IndicatorRule(
            code=row["code"],
            part=engine.Part(row["part"]),
            method=engine.Method(row["method"]),
            max_points=row["max_points"],
            direction=engine.Direction(row["direction"]) if row["direction"] else None,
            aggregation=engine.Aggregation(row["aggregation"]),
            scorers=scorers.get(row["id"], ()),
        )
        for row in indicators
    }
    general = [rules[row["id"]] for row in indicators if row["applies_to_all"]]
    for_all = {row["id"] for row in indicators if row["applies_to_all"]}
    listed: dict[int, list[engine.IndicatorRule]] = defaultdict(list)
    links = Indicator.institutions.through.objects.filter(indicator__scheme=scheme).values_list(
        "institution_id", "indicator_id"
    )
    for institution_id, indicator_id in links:
        if indicator_id in rules and indicator_id not in for_all:
            listed[institution_id].append(rules[indicator_id])

    entries = LedgerEntry.objects.filter(scheme=scheme, is_official=official).filter(COUNTED)
    tallies: dict[int, dict] = defaultdict(dict)
    for row in (
        entries.filter(kind=LedgerEntry.Kind.INDICATOR)
        .values("institution_id", "indicator_id", "period")
        .annotate(points=Sum("points"))
        .order_by()
    ):
        code = rules[row["indicator_id"]].code
        tallies[row["institution_id"]][(code, engine.Period(row["period"]))] = row["points"]
    # Several scorers scored on their own (average, weighted): the same sums per scorer.
    per_scorer_ids = [pk for pk, rule in rules.items() if rule.per_scorer]
    by_scorer: dict[int, dict] = defaultdict(lambda: defaultdict(dict))
    if per_scorer_ids:
        for row in (
            entries.filter(kind=LedgerEntry.Kind.INDICATOR, indicator_id__in=per_scorer_ids)
            .values("institution_id", "indicator_id", "period", "department_id", "leader_id")
            .annotate(points=Sum("points"))
            .order_by()
        ):
            key = (rules[row["indicator_id"]].code, engine.Period(row["period"]))
            who = engine.scorer_key(department_id=row["department_id"], leader_id=row["leader_id"])
            parts = by_scorer[row["institution_id"]][key]
            parts[who] = parts.get(who, ZERO) + row["points"]
    extras: dict[int, dict[str, Decimal]] = defaultdict(lambda: {"bonus": ZERO, "veto": ZERO})
    official_extras = LedgerEntry.objects.filter(scheme=scheme, is_official=True).filter(COUNTED)
    for row in (
        official_extras.filter(kind__in=[LedgerEntry.Kind.BONUS, LedgerEntry.Kind.VETO])
        .values("institution_id", "kind")
        .annotate(points=Sum("points"))
        .order_by()
    ):
        extras[row["institution_id"]][row["kind"]] = row["points"]

    targets: dict[int, dict[tuple[str, engine.Period], engine.Target]] = defaultdict(dict)
    for target in Target.objects.filter(indicator__scheme=scheme).only(
        "institution_id",
        "indicator_id",
        "period",
        "target_value",
        "actual_value",
        "deadline",
        "completed_on",
    ):
        key = (rules[target.indicator_id].code, engine.Period(target.period))
        targets[target.institution_id][key] = target.as_engine()

    previous = dict(
        Result.objects.filter(scheme__year=scheme.year - 1).values_list("institution_id", "grade")
    )
    institutions = Institution.objects.filter(group__isnull=False).values_list(
        "id", "code", "group__code"
    )
    return [
        engine.InstitutionInput(
            code=code,
            group=group_code,
            indicators=general + listed.get(pk, []),
            tallies=tallies.get(pk, {}),
            scorer_tallies=by_scorer.get(pk, {}),
            targets=targets.get(pk, {}),
            bonus=extras[pk]["bonus"] if pk in extras else ZERO,
            veto=extras[pk]["veto"] if pk in extras else ZERO,
            previous_grade=engine.Grade(previous[pk]) if pk in previous else None,
        )
        for pk, code, group_code in institutions.order_by("code")
    ]


def indicator_scorers(scheme: Scheme) -> dict[int, tuple[engine.Scorer, ...]]:
    """Per indicator id, its listed scorers (IndicatorScorer) in their order. One query."""
    listed: dict[int, list[engine.Scorer]] = defaultdict(list)
    for row in IndicatorScorer.objects.filter(indicator__scheme=scheme).order_by("indicator", "id"):
        listed[row.indicator_id].append(row.as_engine())
    return {pk: tuple(items) for pk, items in listed.items()}


def self_assessed(scheme: Scheme) -> dict[str, set[tuple[str, engine.Period]]]:
    """Per institution code, the indicators and periods it self-assessed (自评): those with a
    self-assessment entry that is neither a correction nor corrected. One query."""
    covered: dict[str, set[tuple[str, engine.Period]]] = defaultdict(set)
    rows = (
        LedgerEntry.objects.filter(
            scheme=scheme,
            is_official=False,
            kind=LedgerEntry.Kind.INDICATOR,
            reverses__isnull=True,
            reversed_by__isnull=True,
        )
        .values_list("institution__code", "indicator__code", "period")
        .distinct()
        .order_by()
    )
    for institution, indicator, period in rows:
        covered[institution].add((indicator, engine.Period(period)))
    return covered


def year_prizes() -> dict[str, list[engine.PrizeTier]]:
    prizes: dict[str, list[engine.PrizeTier]] = defaultdict(list)
    for group_code, level, winners, amount in GroupPrize.objects.values_list(
        "group__code", "level", "winners", "amount"
    ):
        prizes[group_code].append(engine.PrizeTier(level=level, winners=winners, amount=amount))
    return prizes


def year_results_recompute(*, scheme_id: int) -> ResultSet:
    """Recompute one year. Idempotent: the same ledger gives the same results. Two at once are
    serialised on the scheme's row, which ledger writes also lock, so each sees one ledger state
    and the last one to finish leaves a complete, consistent set."""
    started = time.monotonic()
    with transaction.atomic():
        scheme = Scheme.objects.select_for_update().get(pk=scheme_id)
        mark = ledger_mark(scheme.pk) | {"inputs_version": scheme.inputs_version}
        rules = scheme.rules()
        outcomes = engine.year_compute(rules, year_inputs(scheme), year_prizes())
        covered = self_assessed(scheme)
        # A self total is shown only where there are self-assessments (a few institutions):
        # the engine's parts are per institution, so the others need not be computed.
        self_inputs = [i for i in year_inputs(scheme, official=False) if i.code in covered]
        self_scores = {
            o.code: o.indicator_scores for o in engine.year_compute(rules, self_inputs, {})
        }
        parts = dict(Indicator.objects.filter(scheme=scheme).values_list("code", "part").order_by())
        parts = {code: engine.Part(part) for code, part in parts.items()}
        ids = dict(Institution.objects.filter(group__isnull=False).values_list("code", "id"))
        group_ids = dict(
            Institution.objects.filter(group__isnull=False).values_list("code", "group_id")
        )
        rows = []
        for o in outcomes:
            self_total = None
            if o.code in covered:
                self_total = engine.self_assessment_total(
                    o, self_scores[o.code], covered[o.code], parts
                )
            rows.append(
                Result(
                    scheme=scheme,
                    institution_id=ids[o.code],
                    group_id=group_ids[o.code],
                    common=o.common,
                    business=o.business,
                    execution=o.execution,
                    common_h1=engine.round_points(
                        o.halves.get((engine.Part.COMMON, engine.Period.H1), ZERO)
                    ),
                    common_h2=engine.round_points(
                        o.halves.get((engine.Part.COMMON, engine.Period.H2), ZERO)
                    ),
                    business_h1=engine.round_points(
                        o.halves.get((engine.Part.BUSINESS, engine.Period.H1), ZERO)
                    ),
                    business_h2=engine.round_points(
                        o.halves.get((engine.Part.BUSINESS, engine.Period.H2), ZERO)
                    ),
                    bonus=o.bonus,
                    bonus_uncapped=o.bonus_uncapped,
                    veto=o.veto,
                    vetoed=o.vetoed,
                    total=o.total,
                    grade=o.grade.value,
                    rank=o.rank,
                    prize_level=o.prize_level,
                    prize_amount=o.prize_amount,
                    yellow_card=o.yellow_card,
                    admonition=o.admonition,
                    recommended=o.recommended,
                    gap_to_qualify=o.gap_to_qualify,
                    gap_to_next_prize=o.gap_to_next_prize,
                    gap_to_above=o.gap_to_above,
                    margin_below=o.margin_below,
                    self_total=self_total,
                    self_gap_flag=self_total is not None
                    and abs(o.total - self_total) >= scheme.self_gap_threshold,
                    h1_total=o.h1_total,
                    h1_rank=o.h1_rank,
                    h1_grade=o.h1_grade.value,
                )
            )
        Result.objects.filter(scheme=scheme).delete()
        # One INSERT on PostgreSQL whatever the number of rows (no parameter limit); SQLite
        # splits it into batches of its 999-parameter limit.
        Result.objects.bulk_create(rows)
        result_set, _ = ResultSet.objects.update_or_create(
            scheme=scheme,
            defaults={
                **mark,
                "computed_at": timezone.now(),
                "duration_ms": int((time.monotonic() - started) * 1000),
            },
        )
    return result_set


def results_are_stale(scheme: Scheme) -> bool:
    """Whether the ledger or the year's other inputs (targets) have moved since the results were
    computed (or none exist yet)."""
    result_set = ResultSet.objects.filter(scheme=scheme).first()
    if result_set is None:
        return True
    inputs_version = (
        Scheme.objects.filter(pk=scheme.pk).values_list("inputs_version", flat=True).first()
    )
    return result_set_is_stale(result_set, inputs_version)


def result_set_is_stale(result_set: ResultSet, inputs_version: int) -> bool:
    mark = ledger_last_ids(result_set.scheme_id)
    return (
        mark["ledger_last_id"] != result_set.ledger_last_id
        or mark["decisions_last_id"] != result_set.decisions_last_id
        or inputs_version != result_set.inputs_version
    )
