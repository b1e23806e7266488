"""Reads of HR's overview (指挥看板) and the institution head's portal. Each starts from what the
user may see (orgs.access, appraisal.access, …) and loads in a fixed number of set-based
queries, however many institutions there are (pinned in tests/dashboard). The rules of the
figures are in docs/DASHBOARD.md."""

import datetime
import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import quote, urlencode

from django.core.paginator import Paginator
from django.db.models import Avg, F, Max, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from acceptance.access import inspections_visible_to
from acceptance.models import Inspection
from appraisal.access import appeals_visible_to, entries_visible_to, results_visible_to
from appraisal.models import Appeal, Grade, LedgerEntry, Part, Result, Scheme
from appraisal.selectors import PRIZE_LABELS, group_pages, with_states
from bulletins import warnings as rules
from bulletins import watchlist
from bulletins.access import explanations_visible_to
from bulletins.models import ExplanationRequest, Snapshot, policy_for
from letters.access import letters_visible_to
from letters.models import Letter, Level
from orgs.access import institutions_visible_to, user_role
from orgs.models import Institution, PrizeLevel, Role, Stage

ZERO = Decimal("0")
CENT = Decimal("0.01")
BAND = Decimal("50")  # width of a score-distribution band
PORTAL_ENTRIES = 10  # latest ledger entries on the portal
WARNINGS_SHOWN = 200  # rows of the overview's warning list; the kinds filter the rest


def mean(values: list[Decimal]) -> Decimal | None:
    """Arithmetic mean rounded half-up to the cent (points); None for no values."""
    if not values:
        return None
    return (sum(values, ZERO) / len(values)).quantize(CENT, rounding=ROUND_HALF_UP)


def months_of(year: int, day: datetime.date) -> list[datetime.date]:
    """The first days of the year's months up to `day`'s month (all twelve for a past year)."""
    last = 12 if day.year > year else (day.month if day.year == year else 0)
    return [datetime.date(year, m, 1) for m in range(1, last + 1)]


# --- Score distribution --------------------------------------------------------------------------


@dataclass
class Band:
    low: Decimal | None  # inclusive; None: open below
    high: Decimal | None  # exclusive; None: open above
    count: int = 0

    @property
    def label(self) -> str:
        if self.low is None:
            return f"< {self.high:.0f}"
        if self.high is None:
            return f"≥ {self.low:.0f}"
        return f"{self.low:.0f}–{self.high:.0f}"


def distribution(totals: list[Decimal], qualify_line: Decimal) -> list[Band]:
    """Totals counted in 50-point bands: two bands below the qualify line, then up from it to
    line + 150, with open bands at both ends. Every total falls in exactly one band."""
    edges = [qualify_line + BAND * k for k in range(-2, 4)]  # 700 750 800 850 900 950
    bands = [Band(None, edges[0])]
    bands += [Band(lo, hi) for lo, hi in itertools.pairwise(edges)]
    bands.append(Band(edges[-1], None))
    for total in totals:
        for band in bands:
            if (band.low is None or total >= band.low) and (band.high is None or total < band.high):
                band.count += 1
                break
    return bands


# --- HR's overview -------------------------------------------------------------------------------


@dataclass
class Headline:
    key: str
    label: str
    value: object
    href: str = ""
    note: str = ""


# The overview reads every result and institution of the year. It keeps them as plain rows, not
# model instances: building 2,000 results with their institutions and groups was a third of the
# page's time at 2,000 institutions. The rows carry what the overview shows and the warning
# rules read (bulletins.watchlist.standings), under the models' names.


@dataclass(slots=True)
class GroupRow:
    pk: int
    code: str
    name: str


@dataclass(slots=True)
class InstitutionRow:
    pk: int
    code: str
    name: str
    stage: str
    is_pilot: bool


@dataclass(slots=True)
class ResultRow:
    institution_id: int
    group_id: int | None
    rank: int | None
    common: Decimal
    business: Decimal
    execution: Decimal
    bonus: Decimal
    veto: Decimal
    total: Decimal
    vetoed: bool
    grade: str
    prize_level: int | None
    margin_below: Decimal | None
    institution: InstitutionRow
    group: GroupRow | None
    portal_href: str = ""  # set for the charts of the page shown

    FIELDS = ("institution_id", "group_id", "rank", "common", "business", "execution", "bonus",
              "veto", "total", "vetoed", "grade", "prize_level", "margin_below")  # fmt: skip


def _result_rows(results, institutions: dict[int, InstitutionRow]) -> list[ResultRow]:
    """The results in ranking order (groups in their order, then rank, then code), each with
    its institution; one query. A result whose institution is not in `institutions` (not the
    reader's to see) is left out."""
    groups: dict[int, GroupRow] = {}
    rows = []
    for values in results.order_by(
        F("group__sort_order").asc(nulls_last=True),
        "group__code",
        F("rank").asc(nulls_last=True),
        "institution__code",
    ).values_list(*ResultRow.FIELDS, "group__code", "group__name"):
        *figures, group_code, group_name = values
        institution = institutions.get(values[0])
        if institution is None:
            continue
        group_id = values[1]
        group = None
        if group_id is not None:
            group = groups.setdefault(group_id, GroupRow(group_id, group_code, group_name))
        rows.append(ResultRow(*figures, institution=institution, group=group))
    return rows


@dataclass
class GroupChart:
    group: GroupRow | None
    results: list[ResultRow]  # by rank
    page: int = 1  # the page of group charts that shows it

    @property
    def source_id(self) -> str:
        return f"group-data-{self.group.pk if self.group else 0}"

    @property
    def height(self) -> int:
        """Pixels: room for every bar's label when a group is large."""
        return max(320, 24 * len(self.results) + 120)

    def data(self) -> dict:
        # fmt: off
        return {
            "title": self.group.name if self.group else _("Not in a group"),
            "categories": [r.institution.name for r in self.results],
            "codes": [r.institution.code for r in self.results],
            "series": [
                {"key": "common", "name": str(Part.COMMON.label), "stack": "plus",
                 "data": [str(r.common) for r in self.results]},
                {"key": "business", "name": str(Part.BUSINESS.label), "stack": "plus",
                 "data": [str(r.business) for r in self.results]},
                {"key": "execution", "name": str(Part.EXECUTION.label), "stack": "plus",
                 "data": [str(r.execution) for r in self.results]},
                {"key": "bonus", "name": _("Bonus"), "stack": "plus",
                 "data": [str(r.bonus) for r in self.results]},
                {"key": "veto", "name": _("Veto deductions"), "stack": "minus",
                 "data": [str(-r.veto) for r in self.results]},
            ],
            "totals": [str(r.total) for r in self.results],
        }
        # fmt: on


@dataclass
class Trend:
    months: list[datetime.date]
    group: GroupRow | None
    # One total per month for each institution; None: no snapshot that month.
    lines: list[tuple[InstitutionRow, list[Decimal | None]]]

    def data(self) -> dict:
        return {
            "months": [m.strftime("%Y-%m") for m in self.months],
            "series": [
                {"name": inst.name, "code": inst.code,
                 "data": [None if v is None else str(v) for v in values]}
                for inst, values in self.lines
            ],
        }  # fmt: skip


@dataclass
class WarningRow:
    warning: rules.Warning
    institution: Institution | InstitutionRow | None
    label: str
    detail: str
    href: str
    group_name: str = ""  # the institution's assessment group, where it has a result


def _warning_key(field: str):
    """How the overview's warning list sorts by one of its columns; the institution's code
    breaks ties, so the order is total."""

    def code(w: WarningRow) -> str:
        return w.institution.code if w.institution else ""

    def name(w: WarningRow) -> str:
        return w.institution.name if w.institution else ""

    return {
        "kind": lambda w: (w.warning.severity, code(w)),
        "institution": lambda w: (code(w), w.warning.severity),
        "name": lambda w: (name(w), code(w), w.warning.severity),
        "group": lambda w: (w.group_name == "", w.group_name, code(w), w.warning.severity),
    }[field]


# `?ordering=` of the overview's early warnings (the page and the API): these columns only.
WARNING_ORDERINGS = ("kind", "institution", "name", "group")


def sort_warnings(rows: list[WarningRow], ordering: str | None) -> tuple[list[WarningRow], str]:
    """The warnings in the order `ordering` asks (a column of WARNING_ORDERINGS, "-" for
    descending), and the ordering applied ("" for the default: most serious first)."""
    field = (ordering or "").removeprefix("-")
    if field not in WARNING_ORDERINGS:
        return rows, ""
    descending = ordering.startswith("-")
    return sorted(rows, key=_warning_key(field), reverse=descending), ordering


@dataclass
class Overview:
    scheme: Scheme
    headlines: list[Headline]
    stages: list[tuple[str, str, int]]  # (stage, label, count)
    groups: list[GroupChart]
    bands: list[Band]
    trend: Trend
    trend_groups: list[GroupRow]
    warnings: list[WarningRow]  # all of them, most serious first
    shown_groups: list[GroupChart] = field(default_factory=list)  # the charts of this page
    charts_page: object = None  # django.core.paginator.Page over the pages of group charts
    results_count: int = 0
    warning_kind: str = ""  # the kind the list is filtered to, if any
    warning_order: str = ""  # the column the list is sorted by (WARNING_ORDERINGS), if any

    @property
    def warning_summary(self) -> list[tuple[str, str, int]]:
        """(code, label, count) of each kind of warning present, in order of severity."""
        counts = Counter(str(w.warning.code) for w in self.warnings)
        return [(str(c), warning_label(c), counts[str(c)]) for c in rules.Code if counts[str(c)]]

    @property
    def shown_warnings(self) -> list[WarningRow]:
        rows = [
            w for w in self.warnings if not self.warning_kind or w.warning.code == self.warning_kind
        ]
        return rows[:WARNINGS_SHOWN]

    @property
    def hidden_warnings(self) -> int:
        rows = [
            w for w in self.warnings if not self.warning_kind or w.warning.code == self.warning_kind
        ]
        return max(0, len(rows) - WARNINGS_SHOWN)

    @property
    def keep_query(self) -> str:
        """The overview's other choices (trend group, warning kind) as "&name=value…", for the
        links that turn the pages of group charts."""
        chosen = {"group": self.trend.group.code if self.trend.group else "",
                  "warning": self.warning_kind, "ordering": self.warning_order}  # fmt: skip
        return "".join(f"&{urlencode({k: v})}" for k, v in chosen.items() if v)

    def distribution_data(self) -> dict:
        return {
            "categories": [b.label for b in self.bands],
            "counts": [b.count for b in self.bands],
            "name": _("Institutions"),
        }


WARNING_LABELS = {
    rules.Code.VETOED: lambda: _("Vetoed"),
    rules.Code.VETO_NEAR: lambda: _("Close to the veto line"),
    rules.Code.BELOW_LINE: lambda: _("Below the qualify line"),
    rules.Code.PRIZE_AT_RISK: lambda: _("Prize at risk"),
    rules.Code.NO_REPORT: lambda: _("No weekly report"),
    rules.Code.LETTER_UNSIGNED: lambda: _("Letter not signed"),
    rules.Code.EXPLANATION_OVERDUE: lambda: _("Explanation overdue"),
    rules.Code.REPORT_OVERDUE: lambda: _("Data report overdue"),
}


def warning_label(code: str) -> str:
    return WARNING_LABELS[rules.Code(code)]()


def warning_detail(warning: rules.Warning) -> str:
    d = warning.detail
    match warning.code:
        case rules.Code.VETOED:
            return _("veto deductions %(veto)s") % d
        case rules.Code.VETO_NEAR:
            return _("veto deductions %(veto)s, %(to_line)s to the veto line") % d
        case rules.Code.BELOW_LINE:
            return _("total %(total)s, %(gap)s below the line") % d
        case rules.Code.PRIZE_AT_RISK:
            prize = dict(PrizeLevel.choices).get(d["prize"], "")
            return _("%(prize)s, leads the unit below by %(margin)s") % {
                "prize": prize, "margin": d["margin"],
            }  # fmt: skip
    return ""


def _warning_href(warning: rules.Warning, inst: InstitutionRow | None, scheme: Scheme, urls) -> str:
    if inst is None:
        return ""
    match warning.code:
        case rules.Code.VETOED | rules.Code.VETO_NEAR:
            return urls("appraisal:ledger", scheme.year) + f"?institution={inst.code}&kind=veto"
        case rules.Code.BELOW_LINE | rules.Code.PRIZE_AT_RISK:
            return urls.portal(inst.code)
        case rules.Code.NO_REPORT:
            return urls("acceptance:report_list") + f"?institution={inst.code}"
        case rules.Code.LETTER_UNSIGNED:
            return urls("letters:status", scheme.year)
        case rules.Code.EXPLANATION_OVERDUE:
            return urls("bulletins:explanation_list") + f"?institution={inst.code}"
        case rules.Code.REPORT_OVERDUE:
            return urls("reporting:report_list") + f"?institution={inst.code}&overdue=on"
    return ""


class _Urls:
    """reverse() once per URL name and arguments, and an institution's portal by putting its
    code into one reversed URL: the overview links hundreds of rows, and reverse() per row
    was a tenth of the page's time at 2,000 institutions."""

    PLACEHOLDER = "--code--"

    def __init__(self, year: int):
        self.year = year
        self.cache: dict[tuple, str] = {}
        self.portal_pattern = reverse("dashboard:portal", args=[year, self.PLACEHOLDER])

    def __call__(self, name: str, *args) -> str:
        key = (name, *args)
        if key not in self.cache:
            self.cache[key] = reverse(name, args=args)
        return self.cache[key]

    def portal(self, code: str) -> str:
        return self.portal_pattern.replace(self.PLACEHOLDER, quote(code, safe=""))


CHART_BARS_PER_PAGE = 200  # bars of the group charts on one page of the overview; whole groups


def overview(
    *,
    user,
    scheme: Scheme,
    day: datetime.date,
    trend_group: str | None = None,
    warning_kind: str | None = None,
    charts_page: str | int | None = None,
    warning_order: str | None = None,
):
    """HR's overview of the year. Queries: results, institutions, head letters, passed pilots,
    snapshots of the trend group, and the four of the warnings — whatever the size of the group
    company. The group charts come a page of whole groups at a time (CHART_BARS_PER_PAGE
    bars; all of them while they fit), the figures over every institution."""
    urls = _Urls(scheme.year)
    visible = institutions_visible_to(user)
    institutions = {
        row[0]: InstitutionRow(*row)
        for row in visible.values_list("pk", "code", "name", "stage", "is_pilot")
    }
    results = _result_rows(results_visible_to(user).filter(scheme=scheme), institutions)
    letters = Counter(
        Letter.objects.filter(scheme=scheme, level=Level.HEAD, institution__in=visible)
        .exclude(status=Letter.Status.SUPERSEDED)
        .values_list("status", flat=True)
    )
    passed = set(
        Inspection.objects.filter(result=Inspection.Result.PASSED, institution__in=visible)
        .values_list("institution_id", flat=True)
        .distinct()
    )

    # The groups of the results, in ranking order; the trend shows one group's institutions.
    groups: dict[int | None, GroupChart] = {}
    for r in results:
        groups.setdefault(r.group_id, GroupChart(group=r.group, results=[])).results.append(r)
    charts = list(groups.values())
    layout = group_pages([len(g.results) for g in charts], CHART_BARS_PER_PAGE)
    for number, members in enumerate(layout, start=1):
        for i in members:
            charts[i].page = number
    page = Paginator(layout or [[]], 1).get_page(charts_page)
    shown = [charts[i] for i in page.object_list[0]]
    for chart in shown:
        for r in chart.results:
            r.portal_href = urls.portal(r.institution.code)

    trend_groups = [g.group for g in charts if g.group is not None]
    chosen = next((g for g in trend_groups if g.code == trend_group), None)
    if chosen is None and trend_groups:
        chosen = trend_groups[0]
    months = months_of(scheme.year, day)
    snapshots = defaultdict(dict)
    if chosen is not None:
        for inst_id, month, total in Snapshot.objects.filter(
            scheme=scheme, group_id=chosen.pk, institution__in=visible
        ).values_list("institution_id", "month", "total"):
            snapshots[inst_id][month] = total
    trend_lines = [
        (r.institution, [snapshots[r.institution_id].get(m) for m in months])
        for r in (groups[chosen.pk].results if chosen is not None else [])
    ]

    found = watchlist.year_warnings(scheme, institutions=visible, results=results, day=day)
    group_names = {r.institution_id: r.group.name for r in results if r.group is not None}
    warning_rows = []
    for w in found:
        inst = institutions.get(w.institution_id)
        warning_rows.append(
            WarningRow(
                warning=w,
                institution=inst,
                label=warning_label(w.code),
                detail=warning_detail(w),
                href=_warning_href(w, inst, scheme, urls),
                group_name=group_names.get(w.institution_id, ""),
            )
        )
    warning_rows, warning_order = sort_warnings(warning_rows, warning_order)

    totals = [r.total for r in results]
    stage_counts = Counter(i.stage for i in institutions.values())
    pilots = sum(1 for i in institutions.values() if i.is_pilot)
    signed = letters[Letter.Status.SIGNED] + letters[Letter.Status.EFFECTIVE]
    issued = sum(letters.values())
    vetoed = sum(1 for r in results if r.vetoed)
    unqualified = sum(1 for r in results if r.grade == Grade.UNQUALIFIED)
    average = mean(totals)
    rankings = urls("appraisal:rankings", scheme.year)
    headlines = [
        Headline("institutions", _("Institutions"), len(institutions),
                 urls("orgs:institution_list"), _("%(n)s pilots") % {"n": pilots}),
        Headline("letters", _("Letters signed"), f"{signed} / {issued}",
                 urls("letters:status", scheme.year),
                 _("%(n)s effective") % {"n": letters[Letter.Status.EFFECTIVE]}),
        Headline("acceptance", _("Acceptance passed"), f"{len(passed)} / {pilots}",
                 urls("acceptance:batch_list")),
        Headline("average", _("Average score"), "—" if average is None else average, rankings,
                 _("%(n)s institutions ranked") % {"n": len(results)}),
        Headline("vetoed", _("Vetoed"), vetoed,
                 urls("appraisal:ledger", scheme.year) + "?kind=veto"),
        Headline("unqualified", _("Unqualified"), unqualified, rankings + "#unqualified"),
    ]  # fmt: skip
    return Overview(
        scheme=scheme,
        headlines=headlines,
        stages=[(s.value, s.label, stage_counts.get(s.value, 0)) for s in Stage],
        groups=charts,
        shown_groups=shown,
        charts_page=page,
        bands=distribution(totals, scheme.qualify_line),
        trend=Trend(months=months, group=chosen, lines=trend_lines),
        trend_groups=trend_groups,
        warnings=warning_rows,
        results_count=len(results),
        warning_kind=warning_kind if warning_kind in set(rules.Code) else "",
        warning_order=warning_order,
    )


# --- The institution head's portal ---------------------------------------------------------------


@dataclass
class PartRow:
    key: str
    label: str
    own: Decimal | None
    group_average: Decimal | None
    maximum: Decimal | None


@dataclass
class Neighbour:
    institution: Institution | None  # None: not the reader's to know
    rank: int | None
    total: Decimal


@dataclass
class Portal:
    scheme: Scheme
    institution: Institution
    result: Result | None
    group_size: int
    parts: list[PartRow]
    months: list[datetime.date]
    own_trend: list[Decimal | None]
    group_trend: list[Decimal | None]
    above: Neighbour | None
    below: Neighbour | None
    warnings: list[WarningRow]
    entries: list[LedgerEntry]
    letter: Letter | None
    inspection: Inspection | None
    explanations: list[ExplanationRequest]
    appeals: list[Appeal]

    def parts_data(self) -> dict:
        return {
            "categories": [p.label for p in self.parts],
            "own": [None if p.own is None else str(p.own) for p in self.parts],
            "average": [None if p.group_average is None else str(p.group_average)
                        for p in self.parts],
            "maximum": [None if p.maximum is None else str(p.maximum) for p in self.parts],
            "labels": {"own": _("This institution"), "average": _("Group average"),
                       "maximum": _("Maximum")},
        }  # fmt: skip

    @property
    def trend_rows(self):
        return list(zip(self.months, self.own_trend, self.group_trend, strict=True))

    def trend_data(self) -> dict:
        return {
            "months": [m.strftime("%Y-%m") for m in self.months],
            "own": [None if v is None else str(v) for v in self.own_trend],
            "average": [None if v is None else str(v) for v in self.group_trend],
            "qualify_line": str(self.scheme.qualify_line),
            "labels": {"own": _("This institution"), "average": _("Group average"),
                       "qualify_line": _("Qualify line")},
        }  # fmt: skip


def portal(*, user, scheme: Scheme, institution: Institution, day: datetime.date) -> Portal:
    """An institution's standing for its head (or HR, an auditor): its parts against the group
    average and the maxima, its trend, the gaps, warnings, latest ledger entries, letter,
    acceptance, explanation requests and appeals. `institution` comes through
    orgs.access.institution_get_for_user; everything here is scoped to it."""
    # The institution is in the user's scope (the caller checked); its group's results give the
    # group average and the neighbours' totals. A head is not shown who the neighbours are:
    # only HR and auditors, who see every result, get their names.
    own_q = Q(institution=institution)
    if institution.group_id is not None:
        own_q |= Q(group_id=institution.group_id)
    cohort = list(
        Result.objects.filter(scheme=scheme)
        .filter(own_q)
        .select_related("institution", "group")
        .order_by(F("rank").asc(nulls_last=True), "institution__code")
    )
    names = user_role(user) in (Role.HR, Role.AUDITOR)
    result = next((r for r in cohort if r.institution_id == institution.pk), None)
    if result is not None:
        result.prize_label = PRIZE_LABELS.get(result.prize_level, "")
    group_rows = [r for r in cohort if result is not None and r.group_id == result.group_id]
    above = below = None
    if result is not None and result.rank is not None:
        index = group_rows.index(result)
        if index > 0:
            r = group_rows[index - 1]
            above = Neighbour(r.institution if names else None, r.rank, r.total)
        if index + 1 < len(group_rows):
            r = group_rows[index + 1]
            below = Neighbour(r.institution if names else None, r.rank, r.total)

    part_max = {"common": scheme.common_max, "business": scheme.business_max,
                "execution": scheme.execution_max, "bonus": scheme.bonus_cap}  # fmt: skip
    labels = {
        "common": str(Part.COMMON.label),
        "business": str(Part.BUSINESS.label),
        "execution": str(Part.EXECUTION.label),
        "bonus": _("Bonus"),
        "veto": _("Veto deductions"),
    }
    parts = [
        PartRow(
            key=key,
            label=label,
            own=getattr(result, key) if result is not None else None,
            group_average=mean([getattr(r, key) for r in group_rows]),
            maximum=part_max.get(key, scheme.veto_line if key == "veto" else None),
        )
        for key, label in labels.items()
    ]

    months = months_of(scheme.year, day)
    trend_rows = {}
    if result is not None:
        trend_rows = {
            row["month"]: row
            for row in Snapshot.objects.filter(scheme=scheme, group_id=result.group_id)
            .values("month")
            .annotate(
                average=Avg("total"),
                own=Max("total", filter=Q(institution=institution)),
            )
            .order_by()
        }

    def cents(value):
        return None if value is None else Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)

    own_trend = [cents(trend_rows[m]["own"]) if m in trend_rows else None for m in months]
    group_trend = [cents(trend_rows[m]["average"]) if m in trend_rows else None for m in months]

    own_warnings = []
    if result is not None:
        limits = policy_for(scheme).thresholds()
        standing = next(
            s for s in watchlist.standings(group_rows) if s.institution_id == institution.pk
        )
        own_warnings = rules.standing_warnings(standing, limits)
    explanations = list(
        explanations_visible_to(user)
        .filter(scheme=scheme, institution=institution)
        .select_related("bulletin")
        .order_by("-requested_at")
    )
    overdue = [
        e for e in explanations
        if e.status == ExplanationRequest.Status.REQUESTED and e.due_on < day
    ]  # fmt: skip
    if overdue:
        own_warnings.append(rules.Warning(institution.pk, rules.Code.EXPLANATION_OVERDUE))
    letter = (
        letters_visible_to(user)
        .filter(scheme=scheme, institution=institution, level=Level.HEAD)
        .exclude(status=Letter.Status.SUPERSEDED)
        .order_by("-version")
        .first()
    )
    if letter is not None and letter.status == Letter.Status.ISSUED:
        own_warnings.append(rules.Warning(institution.pk, rules.Code.LETTER_UNSIGNED))
    if watchlist.report_overdue_ids(scheme, Institution.objects.filter(pk=institution.pk), day):
        own_warnings.append(rules.Warning(institution.pk, rules.Code.REPORT_OVERDUE))
    warning_rows = [
        WarningRow(w, institution, warning_label(w.code), warning_detail(w), "")
        for w in sorted(own_warnings, key=lambda w: w.severity)
    ]
    entries = with_states(
        entries_visible_to(user)
        .filter(scheme=scheme, institution=institution, is_official=True)
        .select_related("indicator", "created_by", "decision", "reversed_by")
        .order_by("-id")[:PORTAL_ENTRIES]
    )
    inspection = (
        inspections_visible_to(user)
        .filter(institution=institution)
        .select_related("batch")
        .order_by("-round")
        .first()
        if institution.is_pilot
        else None
    )
    appeals = list(
        appeals_visible_to(user)
        .filter(scheme=scheme, institution=institution)
        .select_related("entry")
        .order_by("-submitted_at")
    )
    return Portal(
        scheme=scheme,
        institution=institution,
        result=result,
        group_size=len(group_rows),
        parts=parts,
        months=months,
        own_trend=own_trend,
        group_trend=group_trend,
        above=above,
        below=below,
        warnings=warning_rows,
        entries=entries,
        letter=letter,
        inspection=inspection,
        explanations=explanations,
        appeals=appeals,
    )
