"""Reads of the bulletins, each in a fixed number of queries whatever the number of institutions:
they start from what the user may see (bulletins.access)."""

import datetime
from dataclasses import dataclass, field

from django.db.models import BooleanField, Case, Count, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from appraisal.models import Scheme
from orgs.models import PrizeLevel

from . import access
from .models import Bulletin, BulletinLine, ExplanationRequest, Snapshot
from .warnings import SEVERITY, Code

# Short names of the warnings (chips), and what each one says with its figures.
WARNING_LABELS = {
    Code.VETOED: _("vetoed"),
    Code.VETO_NEAR: _("close to the veto line"),
    Code.BELOW_LINE: _("below the qualify line"),
    Code.PRIZE_AT_RISK: _("prize at risk"),
    Code.EXPLANATION_OVERDUE: _("explanation overdue"),
    Code.REPORT_OVERDUE: _("data report overdue"),
    Code.LETTER_UNSIGNED: _("letter not signed"),
    Code.NO_REPORT: _("no weekly report"),
}
WARNING_TEXTS = {
    Code.VETOED: _("Vetoed: veto deductions of %(veto)s reached the veto line."),
    Code.VETO_NEAR: _("Veto deductions of %(veto)s, %(to_line)s points short of the veto line."),
    Code.BELOW_LINE: _("Total %(total)s, %(gap)s points below the qualify line."),
    Code.PRIZE_AT_RISK: _(
        "Holds prize level %(prize)s, only %(margin)s points ahead of the unit below."
    ),
    Code.EXPLANATION_OVERDUE: _("An explanation asked of it is past its due day."),
    Code.REPORT_OVERDUE: _("Its data report (数据填报) is past the reporting deadline."),
    Code.LETTER_UNSIGNED: _("Its head has not signed the target responsibility letter."),
    Code.NO_REPORT: _("No weekly rollout report for the last closed week."),
}
PRIZE_LABELS = dict(PrizeLevel.choices)


def warning_label(code: str) -> str:
    return str(WARNING_LABELS.get(code, code))


def warning_text(warning: dict) -> str:
    """A frozen warning (Bulletin.warnings) in a sentence; a figure it lacks shows as "—"."""
    template = WARNING_TEXTS.get(warning.get("code"))
    if template is None:
        return str(warning.get("code", ""))
    figures = dict.fromkeys(("veto", "to_line", "total", "gap", "prize", "margin"), "—")
    figures.update({k: v for k, v in warning.items() if v is not None})
    return str(template) % figures


# --- Bulletins -----------------------------------------------------------------------------------


def bulletin_list(*, user) -> QuerySet[Bulletin]:
    """The bulletins the user may see, newest period first, with their line and lagging counts."""
    return (
        access.bulletins_visible_to(user)
        .select_related("scheme")
        .annotate(
            line_count=Count("lines"),
            lagging_count=Count("lines", filter=Q(lines__lagging=True)),
        )
        .order_by("-period_start", "kind", "-scheme__year")
    )


def years() -> list[int]:
    """The years a bulletin can be filtered by or generated for (not drafts: no results)."""
    return list(
        Scheme.objects.exclude(status=Scheme.Status.DRAFT)
        .order_by("-year")
        .values_list("year", flat=True)
    )


@dataclass
class WarningRow:
    institution_code: str
    institution_name: str
    code: str
    label: str
    text: str


@dataclass
class ExplanationRow:
    request: ExplanationRequest
    overdue: bool


@dataclass
class BulletinView:
    bulletin: Bulletin
    groups: list[tuple[str, list[BulletinLine]]]
    warnings: list[WarningRow]
    explanations: list[ExplanationRow]
    lagging: list[BulletinLine] = field(default_factory=list)


def _label_line(line: BulletinLine) -> BulletinLine:
    line.prize_label = PRIZE_LABELS.get(line.prize_level, "") if line.prize_level else ""
    line.warning_labels = [(code, warning_label(code)) for code in line.warnings]
    line.rank_change = (
        abs(line.previous_rank - line.rank)
        if line.previous_rank is not None and line.rank is not None
        else None
    )
    return line


def bulletin_lines(
    bulletin: Bulletin, lines: QuerySet[BulletinLine] | None = None
) -> list[tuple[str, list[BulletinLine]]]:
    """The frozen lines per group, in group order and by rank within each; one query. `lines`:
    the bulletin's lines in another order (filters.BulletinLineFilterSet), kept within each
    group."""
    if lines is None:
        lines = bulletin.lines.order_by("group_order", "group_name", "rank", "institution_code")
    # A stable sort: the groups in their order, each keeping the order the lines came in.
    ordered = sorted(lines, key=lambda line: (line.group_order, line.group_name))
    groups: dict[tuple, tuple[str, list[BulletinLine]]] = {}
    for line in ordered:
        groups.setdefault((line.group_order, line.group_name), (line.group_name, []))[1].append(
            _label_line(line)
        )
    return list(groups.values())


def warning_rows(bulletin: Bulletin) -> list[WarningRow]:
    """The bulletin's frozen warnings, most serious first (as frozen), in words."""
    ordered = sorted(
        bulletin.warnings,
        key=lambda w: (SEVERITY.get(w.get("code"), 99), w.get("institution_code", "")),
    )
    return [
        WarningRow(
            institution_code=w.get("institution_code", ""),
            institution_name=w.get("institution_name", ""),
            code=w.get("code", ""),
            label=warning_label(w.get("code", "")),
            text=warning_text(w),
        )
        for w in ordered
    ]


def bulletin_detail(
    *, user, bulletin: Bulletin, lines: QuerySet[BulletinLine] | None = None
) -> BulletinView:
    """A bulletin as its page shows it: two queries (lines, in `lines`' order within each group
    when given; the explanation requests the user may see), whatever the number of
    institutions."""
    groups = bulletin_lines(bulletin, lines)
    today = timezone.localdate()
    explanations = [
        ExplanationRow(request=r, overdue=r.status == r.Status.REQUESTED and r.due_on < today)
        for r in access.explanations_visible_to(user)
        .filter(bulletin=bulletin)
        .select_related("institution")
        .order_by("institution__code")
    ]
    return BulletinView(
        bulletin=bulletin,
        groups=groups,
        warnings=warning_rows(bulletin),
        explanations=explanations,
        lagging=[line for _name, lines in groups for line in lines if line.lagging],
    )


# --- Explanations --------------------------------------------------------------------------------


def overdue_annotation(today: datetime.date | None = None) -> Case:
    """services.is_overdue as a column: still requested and past its due day."""
    return Case(
        When(
            status=ExplanationRequest.Status.REQUESTED,
            due_on__lt=today or timezone.localdate(),
            then=Value(True),
        ),
        default=Value(False),
        output_field=BooleanField(),
    )


def explanation_list(*, user) -> QuerySet[ExplanationRequest]:
    """The explanation requests the user may see, each with its `overdue` flag; open ones first
    (requested, then submitted, then reviewed), then by due day."""
    order = Case(
        When(status=ExplanationRequest.Status.REQUESTED, then=Value(0)),
        When(status=ExplanationRequest.Status.SUBMITTED, then=Value(1)),
        default=Value(2),
    )
    return (
        access.explanations_visible_to(user)
        .select_related("bulletin__scheme", "institution", "submitted_by")
        .annotate(overdue=overdue_annotation(), open_order=order)
        .order_by("open_order", "due_on", "institution__code", "-id")
    )


@dataclass
class ExplanationView:
    request: ExplanationRequest
    overdue: bool
    line: BulletinLine | None  # the unit's line in the bulletin that asked
    trend: list[Snapshot]  # the unit's monthly snapshots of the year


def explanation_detail(*, request: ExplanationRequest) -> ExplanationView:
    """An explanation request with the unit's frozen line and its trend of the year (two
    queries)."""
    line = BulletinLine.objects.filter(
        bulletin_id=request.bulletin_id, institution_id=request.institution_id
    ).first()
    trend = list(
        Snapshot.objects.filter(scheme_id=request.scheme_id, institution_id=request.institution_id)
        .only("month", "total", "rank", "vetoed")
        .order_by("month")
    )
    return ExplanationView(
        request=request,
        overdue=request.status == request.Status.REQUESTED
        and request.due_on < timezone.localdate(),
        line=_label_line(line) if line else None,
        trend=trend,
    )


def snapshot_series(*, scheme: Scheme, institutions) -> dict[int, list[Snapshot]]:
    """{institution id: its snapshots of the year by month} over `institutions` (a queryset the
    caller scoped), in one query: the data of a trend chart."""
    series: dict[int, list[Snapshot]] = {}
    for snap in (
        Snapshot.objects.filter(scheme=scheme, institution__in=institutions)
        .only("institution_id", "month", "total", "rank", "vetoed", "grade")
        .order_by("institution_id", "month")
    ):
        series.setdefault(snap.institution_id, []).append(snap)
    return series
