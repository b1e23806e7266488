"""Reads of the appraisal for pages: the scorer's grid, the ledger, the rankings and an
institution's own result. Every function starts from what the user may see (appraisal.access,
orgs.access) and loads in a fixed number of set-based queries, however many institutions and
entries there are."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.paginator import Paginator
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.utils.translation import gettext as _

from orgs.access import institutions_visible_to, user_role
from orgs.models import AssessmentGroup, Institution, PrizeLevel, Role

from . import engine
from .access import (
    appeals_visible_to,
    entries_visible_to,
    indicators_scored_by,
    results_visible_to,
)
from .models import (
    Appeal,
    Indicator,
    IndicatorScorer,
    LedgerEntry,
    Part,
    Period,
    Result,
    ResultSet,
    Scheme,
    Target,
)
from .recompute import COUNTED, result_set_is_stale
from .tasks import recompute_pending

ZERO = Decimal("0")

# Which Result fields hold a part's score in each period (execution capacity is annual only).
PART_RESULT_FIELDS = {
    engine.Part.COMMON: ((engine.Period.H1, "common_h1"), (engine.Period.H2, "common_h2")),
    engine.Part.BUSINESS: ((engine.Period.H1, "business_h1"), (engine.Period.H2, "business_h2")),
    engine.Part.EXECUTION: ((engine.Period.YEAR, "execution"),),
}


# --- What a user may enter points on -------------------------------------------------------------


def indicators_for_entry(user, scheme: Scheme) -> QuerySet[Indicator]:
    """The indicators the user may put ledger entries on: HR all, a scorer their department's
    (both official), a head those that apply to their institution (self-assessment). Completion-
    ratio indicators are scored from their target, never from entries."""
    if user_role(user) == Role.HEAD:
        own = institutions_visible_to(user)
        qs = Indicator.objects.filter(scheme=scheme).filter(
            Q(applies_to_all=True) | Q(institutions__in=own)
        )
        qs = Indicator.objects.filter(pk__in=qs.values("pk"))
    else:
        qs = indicators_scored_by(user, scheme)
    return qs.exclude(method=engine.Method.RATIO).order_by("part", "sort_order", "code")


# --- The scorer's grid ---------------------------------------------------------------------------


@dataclass
class GridCell:
    indicator: Indicator
    period: str
    applies: bool
    score: Decimal | None = None  # the indicator's score from the counted ledger (and target)
    tally: Decimal = ZERO  # the signed sum of counted official entries
    entries: int = 0

    @property
    def scorable(self) -> bool:
        return self.applies and self.indicator.method != engine.Method.RATIO


@dataclass
class GridRow:
    institution: Institution
    cells: list[GridCell]
    results: list[Decimal | None] = field(default_factory=list)  # per result column


@dataclass
class GridColumn:
    indicator: Indicator
    period: str
    period_label: str


@dataclass
class Grid:
    columns: list[GridColumn]
    result_columns: list[tuple[str, str]]  # (part label, period label) of the results shown
    rows: list[GridRow]
    has_results: bool


def grid(
    *,
    user,
    scheme: Scheme,
    part: str | None = None,
    indicator: Indicator | None = None,
    among: QuerySet[Indicator] | None = None,
    ordering: Sequence[str] = (),
) -> Grid:
    """The indicators the user scores (of `among`, if given) × the institutions each applies to.
    A cell holds the indicator's score per period, worked out by the engine from the counted
    official entries, and their sum; each row also shows the part scores of the latest results,
    if any. Rows by group and code, or by `ordering` (filters.GridRowFilterSet)."""
    indicators = indicators_scored_by(user, scheme).order_by("part", "sort_order", "code")
    if part:
        indicators = indicators.filter(part=part)
    if indicator is not None:
        indicators = indicators.filter(pk=indicator.pk)
    if among is not None:
        indicators = indicators.filter(pk__in=among.values("pk"))
    indicators = list(indicators.select_related("department"))
    ids = [i.pk for i in indicators]
    listed: dict[int, set[int]] = defaultdict(set)  # indicator id → institution ids
    for indicator_id, institution_id in Indicator.institutions.through.objects.filter(
        indicator_id__in=ids
    ).values_list("indicator_id", "institution_id"):
        listed[indicator_id].add(institution_id)

    # The appraised institutions (those in a group) for general indicators, plus those listed.
    wanted = Q(pk__in={pk for pks in listed.values() for pk in pks})
    if any(i.applies_to_all for i in indicators):
        wanted |= Q(group__isnull=False)
    institutions = list(
        institutions_visible_to(user)
        .filter(wanted)
        .select_related("group")
        .order_by(*(ordering or (F("group__sort_order").asc(nulls_last=True), "code")))
        if indicators
        else Institution.objects.none()
    )

    tallies = {
        (row["institution_id"], row["indicator_id"], row["period"]): (row["points"], row["n"])
        for row in LedgerEntry.objects.filter(
            scheme=scheme, is_official=True, kind=LedgerEntry.Kind.INDICATOR, indicator_id__in=ids
        )
        .filter(COUNTED)
        .values("institution_id", "indicator_id", "period")
        .annotate(points=Sum("points"), n=Count("id"))
        .order_by()
    }
    ratio_ids = [i.pk for i in indicators if i.method == engine.Method.RATIO]
    targets = {
        (t.institution_id, t.indicator_id): t.as_engine()
        for t in (Target.objects.filter(indicator_id__in=ratio_ids) if ratio_ids else [])
    }
    # Several scorers scored on their own (average, weighted): their rules and each one's sums.
    # Two queries more, only when the user scores such an indicator.
    rules = indicator_rules(indicators)
    by_scorer = scorer_tallies(
        scheme=scheme, indicator_ids=[pk for pk, r in rules.items() if r.per_scorer]
    )
    parts = list(dict.fromkeys(engine.Part(i.part) for i in indicators))
    result_fields = [f for p in parts for _period, f in PART_RESULT_FIELDS[p]]
    result_columns = [
        (Part(p.value).label, Period(period.value).label)
        for p in parts
        for period, _f in PART_RESULT_FIELDS[p]
    ]
    results = {
        r["institution_id"]: r
        for r in results_visible_to(user)
        .filter(scheme=scheme, institution__in=[i.pk for i in institutions])
        .values("institution_id", *result_fields)
    }

    columns = [
        GridColumn(indicator=i, period=p.value, period_label=Period(p.value).label)
        for i in indicators
        for p in engine.periods_of(engine.Part(i.part))
    ]
    rows = []
    for inst in institutions:
        cells = []
        for column in columns:
            ind, period = column.indicator, column.period
            applies = inst.pk in listed[ind.pk] or (
                ind.applies_to_all and inst.group_id is not None
            )
            cell = GridCell(indicator=ind, period=period, applies=applies)
            if applies:
                tally, n = tallies.get((inst.pk, ind.pk, period), (ZERO, 0))
                cell.tally, cell.entries = tally, n
                rule = rules[ind.pk]
                if rule.per_scorer:
                    own = by_scorer.get((inst.pk, ind.pk, period), {})
                    score = engine.combined_score(rule, engine.scorer_parts(rule, own))
                else:
                    score = engine.indicator_score(rule, tally, targets.get((inst.pk, ind.pk)))
                cell.score = engine.round_points(score)
            cells.append(cell)
        result = results.get(inst.pk)
        row_results = [result[f] if result else None for f in result_fields]
        rows.append(GridRow(institution=inst, cells=cells, results=row_results))
    return Grid(
        columns=columns, result_columns=result_columns, rows=rows, has_results=bool(results)
    )


# --- Several scorers (几人评分) ----------------------------------------------------------------


def indicator_rules(indicators: Sequence[Indicator]) -> dict[int, engine.IndicatorRule]:
    """The engine's rule of each indicator, with its listed scorers where it is an average or a
    weighted average (one query, none when there is no such indicator)."""
    several = [
        i.pk
        for i in indicators
        if i.aggregation != engine.Aggregation.SUM and i.method != engine.Method.RATIO
    ]
    listed: dict[int, list] = defaultdict(list)
    if several:
        for row in IndicatorScorer.objects.filter(indicator_id__in=several).order_by("id"):
            listed[row.indicator_id].append(row)
    return {i.pk: i.rule(listed.get(i.pk, ())) for i in indicators}


def scorer_tallies(
    *, scheme: Scheme, indicator_ids: list[int], institution: Institution | None = None
) -> dict[tuple[int, int, str], dict[str, Decimal]]:
    """Per (institution id, indicator id, period), each scorer's signed sum of counted official
    entries (engine.scorer_key: the department's part, or a leader's). One query, none without
    indicators."""
    if not indicator_ids:
        return {}
    qs = LedgerEntry.objects.filter(
        COUNTED,
        scheme=scheme,
        is_official=True,
        kind=LedgerEntry.Kind.INDICATOR,
        indicator_id__in=indicator_ids,
    )
    if institution is not None:
        qs = qs.filter(institution=institution)
    sums: dict[tuple[int, int, str], dict[str, Decimal]] = defaultdict(dict)
    for row in (
        qs.values("institution_id", "indicator_id", "period", "department_id", "leader_id")
        .annotate(points=Sum("points"))
        .order_by()
    ):
        who = engine.scorer_key(department_id=row["department_id"], leader_id=row["leader_id"])
        parts = sums[(row["institution_id"], row["indicator_id"], row["period"])]
        parts[who] = parts.get(who, ZERO) + row["points"]
    return sums


@dataclass
class ScorerPart:
    """One scorer's part of an average or weighted indicator, for the drill-down."""

    name: str  # the department's name, or the leader's
    is_leader: bool
    weight: Decimal | None
    score: Decimal  # their own score (engine.scorer_parts), rounded for display
    tally: Decimal  # their counted points


@dataclass
class IndicatorLine:
    """An indicator's score of one institution in one period, with its scorers' parts."""

    indicator: Indicator
    period: str
    period_label: str
    score: Decimal  # rounded for display; the part totals add the unrounded scores
    tally: Decimal
    aggregation_label: str = ""
    parts: list[ScorerPart] = field(default_factory=list)


def indicator_breakdown(*, scheme: Scheme, institution: Institution) -> list[IndicatorLine]:
    """An institution's official score per indicator and period (the drill-down under its
    result), each worked out by the engine from the counted entries (and the target): for an
    average or weighted indicator each scorer's own score and weight beside the combined score
    (engine.scorer_parts, engine.combined_score). At most five queries. The caller checked that
    the user may see the institution's result."""
    # Those listed for it, and the general ones when it is appraised (in a group), as the
    # recompute applies them (recompute.year_inputs).
    applies = Q(institutions=institution)
    if institution.group_id is not None:
        applies |= Q(applies_to_all=True)
    indicators = list(
        Indicator.objects.filter(
            pk__in=Indicator.objects.filter(applies, scheme=scheme).values("pk")
        ).order_by("part", "sort_order", "code")
    )
    ids = [i.pk for i in indicators]
    entries = LedgerEntry.objects.filter(
        COUNTED,
        scheme=scheme,
        institution=institution,
        is_official=True,
        kind=LedgerEntry.Kind.INDICATOR,
        indicator_id__in=ids,
    )
    tallies = {
        (row["indicator_id"], row["period"]): row["points"]
        for row in entries.values("indicator_id", "period")
        .annotate(points=Sum("points"))
        .order_by()
    }
    several = [i for i in indicators if i.aggregation != engine.Aggregation.SUM]
    scorers: dict[int, list[IndicatorScorer]] = defaultdict(list)
    if several:
        for row in (
            IndicatorScorer.objects.filter(indicator__in=several)
            .select_related("department", "leader")
            .order_by("id")
        ):
            scorers[row.indicator_id].append(row)
    rules = {i.pk: i.rule(scorers.get(i.pk, ())) for i in indicators}
    by_scorer = scorer_tallies(
        scheme=scheme,
        indicator_ids=[pk for pk, r in rules.items() if r.per_scorer],
        institution=institution,
    )
    ratio_ids = [i.pk for i in indicators if i.method == engine.Method.RATIO]
    targets = {
        (t.indicator_id, t.period): t.as_engine()
        for t in (
            Target.objects.filter(indicator_id__in=ratio_ids, institution=institution)
            if ratio_ids
            else []
        )
    }
    lines = []
    for ind in indicators:
        rule = rules[ind.pk]
        for period in engine.periods_of(engine.Part(ind.part)):
            tally = tallies.get((ind.pk, period.value), ZERO)
            line = IndicatorLine(
                indicator=ind,
                period=period.value,
                period_label=Period(period.value).label,
                score=ZERO,
                tally=tally,
            )
            if rule.per_scorer:
                own = by_scorer.get((institution.pk, ind.pk, period.value), {})
                parts = engine.scorer_parts(rule, own)
                line.score = engine.round_points(engine.combined_score(rule, parts))
                line.aggregation_label = ind.get_aggregation_display()
                for row in scorers[ind.pk]:
                    leader = row.leader
                    line.parts.append(
                        ScorerPart(
                            name=(leader.get_full_name() or leader.username)
                            if leader
                            else row.department.name,
                            is_leader=leader is not None,
                            weight=row.weight,
                            score=engine.round_points(parts[row.key]),
                            tally=own.get(row.key, ZERO),
                        )
                    )
            else:
                target = targets.get((ind.pk, period.value))
                line.score = engine.round_points(engine.indicator_score(rule, tally, target))
            lines.append(line)
    return lines


# --- The ledger ----------------------------------------------------------------------------------


def _reversible(user) -> Q | None:
    """The entries services.can_reverse lets the user reverse, as a condition on the queryset
    (so a page of rows costs no query per row); the service checks again on the way in."""
    role = user_role(user)
    if role == Role.HR:
        return Q(is_official=True)
    if role == Role.SCORER:
        return Q(is_official=True, department_id=user.scoring_department_id)
    if role == Role.LEADER:
        return Q(is_official=True, leader_id=user.pk)
    if role == Role.HEAD:
        return Q(is_official=False, institution__in=institutions_visible_to(user))
    return None


def _appealable(user, scheme: Scheme) -> Q | None:
    """The entries a head may appeal (services.appeal_refusal, and not appealed yet), as a
    condition on the queryset; the service checks again on the way in."""
    if user_role(user) != Role.HEAD or scheme.status != Scheme.Status.REVIEW:
        return None
    return (
        Q(
            is_official=True,
            reverses__isnull=True,
            reversed_by__isnull=True,
            institution__in=institutions_visible_to(user),
        )
        & COUNTED
        & (Q(kind=LedgerEntry.Kind.VETO) | Q(kind=LedgerEntry.Kind.INDICATOR, points__lt=0))
        & ~Exists(Appeal.objects.filter(entry=OuterRef("pk")))
    )


# A ledger entry's points as they count towards the total: a veto deduction (recorded positive,
# docs/SCORING.md) is taken off, so it reads −30.00; every other kind counts as recorded.
def signed_points(entry: str = "") -> Case:
    """SQL for an entry's points as they count (`entry`: the path to the entry, e.g. "entry__")."""
    return Case(
        When(**{f"{entry}kind": LedgerEntry.Kind.VETO}, then=-F(f"{entry}points")),
        default=F(f"{entry}points"),
        output_field=DecimalField(max_digits=8, decimal_places=2),
    )


def ledger_list(*, user, scheme: Scheme) -> QuerySet[LedgerEntry]:
    """The year's entries the user may see, newest first, with what a row shows in one query:
    whether the user may reverse or appeal it, its appeal, and `signed_points` (signed_points()).
    Filter and sort it with filters.LedgerFilterSet."""
    qs = entries_visible_to(user).filter(scheme=scheme)
    reversible = _reversible(user)
    if reversible is None or not scheme.accepts_entries:
        flag = Value(False)
    else:
        flag = Case(
            When(reversible & Q(reverses__isnull=True, reversed_by__isnull=True), then=True),
            default=False,
            output_field=BooleanField(),
        )
    appealable = _appealable(user, scheme)
    appeal_flag = (
        Value(False)
        if appealable is None
        else Case(When(appealable, then=True), default=False, output_field=BooleanField())
    )
    # An entry has at most one appeal (appeal_one_per_entry); whoever sees the entry sees it.
    appeal = Appeal.objects.filter(entry=OuterRef("pk"))
    return (
        qs.select_related("institution", "indicator", "created_by", "decision", "reversed_by")
        .annotate(
            reversible=flag,
            appealable=appeal_flag,
            appeal_pk=Subquery(appeal.values("pk")[:1]),
            appeal_status=Subquery(appeal.values("status")[:1]),
            signed_points=signed_points(),
        )
        .order_by("-id")
    )


def entry_states(entry: LedgerEntry) -> list[tuple[str, str]]:
    """What a ledger row says about whether it counts, as (code, label) pairs: counted /
    pending approval / rejected / withdrawn, then reverses #n / reversed by #n."""
    decision = getattr(entry, "decision", None)
    reversed_by = getattr(entry, "reversed_by", None)
    if not entry.needs_approval or (decision is not None and decision.approved):
        states = [("counted", _("counted"))]
    elif decision is not None:
        states = [("rejected", _("rejected"))]
    elif entry.reverses_id is not None or reversed_by is not None:
        states = [("withdrawn", _("withdrawn"))]  # a pending proposal taken back
    elif entry.kind == LedgerEntry.Kind.INDICATOR:
        states = [("pending", _("pending review"))]  # 待复核 (评分需复核)
    else:
        states = [("pending", _("pending approval"))]
    if entry.reverses_id is not None:
        states.append(("reverses", _("reverses #%(id)s") % {"id": entry.reverses_id}))
    if reversed_by is not None:
        states.append(("reversed", _("reversed by #%(id)s") % {"id": reversed_by.pk}))
    return states


APPEAL_LABELS = dict(Appeal.Status.choices)


def with_states(entries) -> list[LedgerEntry]:
    """The rows of a page, each with its `states` (no query: relations are selected) and, when
    it is appealed, the appeal's status label (ledger_list annotates the appeal)."""
    rows = list(entries)
    for entry in rows:
        entry.states = entry_states(entry)
        status = getattr(entry, "appeal_status", None)
        entry.appeal_label = APPEAL_LABELS.get(status, "") if status else ""
    return rows


# --- Appeals -------------------------------------------------------------------------------------


def appeal_list(*, user) -> QuerySet[Appeal]:
    """The appeals the user may see, newest first, with what a row shows in one query and the
    entry's points as they count (`entry_signed_points`); filter and sort it with
    filters.AppealFilterSet."""
    return (
        appeals_visible_to(user)
        .select_related("scheme", "institution", "entry__indicator", "submitted_by", "answered_by")
        .annotate(entry_signed_points=signed_points("entry__"))
        .order_by("-submitted_at", "-id")
    )


# --- Results -------------------------------------------------------------------------------------

PRIZE_LABELS = dict(PrizeLevel.choices)


def _label_prize(result: Result) -> Result:
    result.prize_label = PRIZE_LABELS.get(result.prize_level, "") if result.prize_level else ""
    return result


RANKING_ROWS_PER_PAGE = 200  # rows of a rankings page; whole groups, so a page may hold more


def group_pages(sizes: list[int], rows_per_page: int) -> list[list[int]]:
    """Groups laid out in order on pages of whole groups: the indexes of the groups on each
    page. A page takes groups while they fit in `rows_per_page` rows; a group larger than
    that fills a page of its own. Every group is on exactly one page."""
    pages: list[list[int]] = []
    rows = 0
    for index, size in enumerate(sizes):
        if not pages or (rows and rows + size > rows_per_page):
            pages.append([])
            rows = 0
        pages[-1].append(index)
        rows += size
    return pages


@dataclass
class RankedGroup:
    """An assessment group of the year's rankings (None: results outside any group), its
    number of ranked institutions and the page that lists them."""

    group_id: int | None
    code: str
    name: str
    size: int
    page: int = 1


@dataclass
class Rankings:
    groups: list[tuple[AssessmentGroup | None, list[Result]]]  # this page's, each by rank
    index: list[RankedGroup]  # every group of the year, in order
    page: object  # django.core.paginator.Page over the pages of groups


def rankings(
    *,
    user,
    scheme: Scheme,
    page=None,
    period: str = engine.Period.YEAR,
    ordering: Sequence[str] = (),
) -> Rankings:
    """The year's results the user may see, per assessment group in group order, each group
    ordered by rank (or by `ordering` within it: filters.RankingFilterSet), a page of whole
    groups at a time (RANKING_ROWS_PER_PAGE rows; all of them while they fit). Two queries: the
    groups with their sizes, then this page's results. `period=h1`: the mid-year ranking, by the
    first-half rank."""
    rank = "h1_rank" if period == engine.Period.H1 else "rank"
    visible = results_visible_to(user).filter(scheme=scheme)
    group_order = (F("group__sort_order").asc(nulls_last=True), "group__code")
    index = [
        RankedGroup(row["group_id"], row["group__code"] or "", row["group__name"] or "", row["n"])
        for row in visible.values("group_id", "group__code", "group__name", "group__sort_order")
        .annotate(n=Count("id"))
        .order_by(*group_order)
    ]
    layout = group_pages([g.size for g in index], RANKING_ROWS_PER_PAGE)
    for number, members in enumerate(layout, start=1):
        for i in members:
            index[i].page = number
    current = Paginator(layout or [[]], 1).get_page(page)
    ids = [index[i].group_id for i in current.object_list[0]]
    in_page = Q(group_id__in=[i for i in ids if i is not None])
    if None in ids:
        in_page |= Q(group__isnull=True)
    results = (
        visible.filter(in_page)
        .select_related("institution", "group")
        .order_by(*group_order, *ordering, F(rank).asc(nulls_last=True), "institution__code", "id")
        if ids
        else []
    )
    groups: dict[int | None, tuple[AssessmentGroup | None, list[Result]]] = {}
    for result in results:
        groups.setdefault(result.group_id, (result.group, []))[1].append(_label_prize(result))
    return Rankings(groups=list(groups.values()), index=index, page=current)


@dataclass
class ResultsState:
    computed_at: object | None  # datetime of the latest recompute, None before the first
    stale: bool  # the ledger moved since
    pending: bool  # a recompute is queued or running


def results_state(scheme: Scheme) -> ResultsState:
    """Whether the year's results are up to date: recompute.results_are_stale's comparison of
    the newest ledger entry and decision with the mark the recompute recorded, over one read of
    the result set (which also gives the time shown), not two."""
    result_set = (
        ResultSet.objects.filter(scheme=scheme)
        .only("scheme_id", "computed_at", "ledger_last_id", "decisions_last_id", "inputs_version")
        .first()
    )
    stale = True
    if result_set is not None:
        stale = result_set_is_stale(result_set, scheme.inputs_version)
    return ResultsState(
        computed_at=result_set.computed_at if result_set else None,
        stale=stale,
        pending=recompute_pending(scheme.pk),
    )


@dataclass
class OwnResult:
    institution: Institution
    result: Result | None
    group_size: int


def own_result(*, user, scheme: Scheme, institution: Institution) -> OwnResult:
    """An institution's result of the year, with how many institutions its group ranks."""
    result = (
        results_visible_to(user)
        .filter(scheme=scheme, institution=institution)
        .select_related("group")
        .first()
    )
    size = 0
    if result is not None:
        size = Result.objects.filter(scheme=scheme, group_id=result.group_id).count()
        _label_prize(result)
    return OwnResult(institution=institution, result=result, group_size=size)


# --- What waits (待办, appraisal/todo.py; docs/TODO.md) -------------------------------------------


def proposals_pending(*, user) -> QuerySet[LedgerEntry]:
    """Bonus and veto proposals waiting for HR: not decided, not withdrawn by a reversing entry,
    in a year that still takes decisions; oldest first. Each with `counted_before`: its
    institution's counted official points of the same kind in that year (the bonus or the veto
    deductions before it; a subquery, not a query per row), for with_effects."""
    same_kind = (
        LedgerEntry.objects.filter(
            COUNTED,
            scheme=OuterRef("scheme"),
            institution=OuterRef("institution"),
            kind=OuterRef("kind"),
            is_official=True,
        )
        .order_by()
        .values("institution")
        .annotate(total=Sum("points"))
        .values("total")
    )
    return (
        _waiting(user)
        .filter(kind__in=[LedgerEntry.Kind.BONUS, LedgerEntry.Kind.VETO])
        .select_related("scheme", "institution__group", "department", "created_by")
        .annotate(counted_before=Subquery(same_kind))
        .order_by("created_at", "id")
    )


def _waiting(user) -> QuerySet[LedgerEntry]:
    """Entries waiting for HR's decision: not decided, not withdrawn by a reversing entry, in a
    year that still takes decisions."""
    return entries_visible_to(user).filter(
        needs_approval=True,
        reverses__isnull=True,
        decision__isnull=True,
        reversed_by__isnull=True,
        scheme__status__in=[Scheme.Status.OPEN, Scheme.Status.REVIEW],
    )


def reviews_pending(*, user) -> QuerySet[LedgerEntry]:
    """Indicator points waiting for HR's review (评分复核: the part's scoring needs review,
    Scheme.review_required), oldest first; they count once approved. Each with `counted_before`:
    the counted official points of the same institution, indicator and period (a subquery)."""
    same_cell = (
        LedgerEntry.objects.filter(
            COUNTED,
            scheme=OuterRef("scheme"),
            institution=OuterRef("institution"),
            indicator=OuterRef("indicator"),
            period=OuterRef("period"),
            is_official=True,
        )
        .order_by()
        .values("institution")
        .annotate(total=Sum("points"))
        .values("total")
    )
    return (
        _waiting(user)
        .filter(kind=LedgerEntry.Kind.INDICATOR)
        .select_related(
            "scheme", "institution__group", "indicator", "department", "leader", "created_by"
        )
        .annotate(counted_before=Subquery(same_cell))
        .order_by("created_at", "id")
    )


@dataclass
class ProposalEffect:
    """What approving a bonus or veto proposal does to its institution, by the rules of
    engine.institution_compute: the bonus counts up to the cap; veto deductions are taken off
    the total, and reaching the veto line vetoes the institution (一票否决: unqualified, ranked
    last)."""

    before: Decimal  # the counted bonus, or veto deductions, of the year without it
    after: Decimal  # with it
    counts: Decimal  # what of `after` counts (the bonus capped; veto deductions in full)
    capped: bool  # the bonus cap cuts it
    line: Decimal  # the bonus cap, or the veto line
    vetoed_before: bool
    vetoed_after: bool


def with_effects(entries) -> list[LedgerEntry]:
    """The rows of a page of proposals_pending, each with its `effect` (ProposalEffect); no
    query (the counts are annotated, the scheme selected)."""
    rows = list(entries)
    for entry in rows:
        before = max(entry.counted_before or ZERO, ZERO)
        after = before + entry.points
        scheme = entry.scheme
        if entry.kind == LedgerEntry.Kind.VETO:
            line = scheme.veto_line
            entry.effect = ProposalEffect(
                before, after, after, False, line, before >= line, after >= line
            )
        else:
            line = scheme.bonus_cap
            counts = min(after, line)
            entry.effect = ProposalEffect(before, after, counts, after > line, line, False, False)
    return rows


def current_half(year: int, today) -> str:
    """The half-year of `year` that `today` falls in: 上半年 up to 30 June (and before the year
    begins), 下半年 from 1 July (and once the year is over, while it is still being finished)."""
    if today.year < year or (today.year == year and today.month <= 6):
        return engine.Period.H1
    return engine.Period.H2


def _applicable_without(user, missing: Exists) -> Q:
    """An indicator (the outer query) applies to an institution the user sees for which `missing`
    holds: one it lists, or any appraised institution (in a group) when it applies to all."""
    candidates = institutions_visible_to(user).filter(missing)
    listed = candidates.filter(indicators=OuterRef("pk"))
    appraised = candidates.filter(group__isnull=False)
    return Exists(listed) | (Q(applies_to_all=True) & Exists(appraised))


def indicators_unscored(*, user, scheme: Scheme, period: str) -> QuerySet[Indicator]:
    """The user's points indicators (计分制) of the half-yearly parts that some institution they
    apply to has no standing score for in `period`: no counted official entry that is neither a
    reversal nor reversed. Deductions (扣分制) are never "unscored" (no deduction is full marks);
    completion ratios are scored from their figures (indicators_missing_figures); execution
    capacity is scored as things happen (随时计分), so nothing of it falls due."""
    standing = LedgerEntry.objects.filter(
        COUNTED,
        scheme=scheme,
        kind=LedgerEntry.Kind.INDICATOR,
        indicator=OuterRef(OuterRef("pk")),
        institution=OuterRef("pk"),
        period=period,
        is_official=True,
        reverses__isnull=True,
        reversed_by__isnull=True,
    )
    return indicators_scored_by(user, scheme).filter(
        _applicable_without(user, ~Exists(standing)),
        method=engine.Method.ADD,
        part__in=[engine.Part.COMMON, engine.Part.BUSINESS],
    )


def indicators_missing_figures(*, user, scheme: Scheme, period: str) -> QuerySet[Indicator]:
    """The user's completion-ratio indicators (完成率, 逆向完成率) with a target for `period` whose
    actual value is not reported yet. 按期 (deadline) targets are left out: without a completion
    date the target is simply not met (0 points), which is a score, not a gap."""
    waiting = Target.objects.filter(
        indicator=OuterRef(OuterRef("pk")),
        institution=OuterRef("pk"),
        period=period,
        target_value__isnull=False,
        actual_value__isnull=True,
    )
    return indicators_scored_by(user, scheme).filter(
        _applicable_without(user, Exists(waiting)),
        method=engine.Method.RATIO,
        direction__in=[engine.Direction.HIGHER, engine.Direction.LOWER],
    )
