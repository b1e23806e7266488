"""Writes to the appraisal: the scheme and its lifecycle, indicators, targets, the ledger and HR's
decisions. One path for every door (pages, API, Excel import, commands, tasks); each function
checks the actor, validates, writes and audits in one transaction. Ledger changes queue a
recompute on commit."""

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orgs import notifications
from orgs.access import has_role, institutions_visible_to
from orgs.models import Institution, Role, ScoringDepartment, User
from orgs.services import audit_record, audit_records, snapshot
from orgs.uploads import validate_scoring_evidence

from . import engine
from .models import (
    Aggregation,
    Appeal,
    EntryDecision,
    Indicator,
    IndicatorScorer,
    LedgerEntry,
    Part,
    Scheme,
    Target,
)

SCHEME_SETTINGS = (
    "common_max",
    "business_max",
    "execution_max",
    "qualify_line",
    "veto_line",
    "bonus_cap",
    "self_gap_threshold",
)
# The year's options that may change until it is published (SCHEME_SETTINGS only in a draft):
# 评分需复核 per part (it applies to entries recorded from then on), whether reports go to the
# head first, and the half-years' reporting and review deadlines (docs/SCORING.md).
SCHEME_OPTIONS = (
    "review_common",
    "review_business",
    "review_execution",
    "reports_need_head_approval",
    "h1_report_deadline",
    "h1_review_deadline",
    "h2_report_deadline",
    "h2_review_deadline",
)
DEADLINES = (
    "h1_report_deadline",
    "h1_review_deadline",
    "h2_report_deadline",
    "h2_review_deadline",
)
INDICATOR_FIELDS = (
    "code",
    "part",
    "name",
    "max_points",
    "method",
    "direction",
    "department",
    "applies_to_all",
    "sort_order",
)
CENT = Decimal("0.01")


def _require_hr(actor) -> None:
    if not has_role(actor, Role.HR):
        raise PermissionDenied


def _require_draft(scheme: Scheme) -> None:
    if scheme.status != Scheme.Status.DRAFT:
        raise ValidationError(
            _("The %(year)s scheme is %(status)s: its settings and indicators no longer change.")
            % {"year": scheme.year, "status": scheme.get_status_display()}
        )


# --- Scheme and lifecycle ------------------------------------------------------------------------


@transaction.atomic
def scheme_create(*, actor: User, year: int, copy_indicators: bool = True, **settings_) -> Scheme:
    """A new year's scheme, a draft HR then edits: its settings, and unless `copy_indicators` is
    False its indicators (with their departments, methods and institutions; not the targets,
    which are set anew each year), copied forward from the latest earlier year. The year
    workbook's import passes False when its 指标 sheet defines the year's indicators itself."""
    _require_hr(actor)
    if Scheme.objects.filter(year=year).exists():
        raise ValidationError({"year": _("A scheme for %(year)s exists already.") % {"year": year}})
    previous = Scheme.objects.filter(year__lt=year).order_by("-year").first()
    scheme = Scheme(year=year)
    if previous is not None:
        # The review switches are copied; deadlines are dates of their own year, set anew.
        for name in (*SCHEME_SETTINGS, *SCHEME_OPTIONS):
            if name not in DEADLINES:
                setattr(scheme, name, getattr(previous, name))
    for name, value in settings_.items():
        if name not in SCHEME_SETTINGS and name not in SCHEME_OPTIONS:
            raise TypeError(f"Unknown scheme setting {name!r}")
        setattr(scheme, name, value)
    errors = scheme_deadlines_check(scheme)
    if errors:
        raise ValidationError(errors)
    scheme.full_clean()
    scheme.save()
    copied = previous is not None and copy_indicators
    if copied:
        _indicators_copy(previous, scheme)
    audit_record(
        actor=actor,
        action="scheme.create",
        obj=scheme,
        after=snapshot(scheme, ("year", *SCHEME_SETTINGS))
        | {
            "copied_from": previous.year if previous else None,
            "indicators_copied": scheme.indicators.count() if copied else 0,
        },
    )
    return scheme


def _indicators_copy(source: Scheme, target: Scheme) -> None:
    for old in source.indicators.prefetch_related("institutions", "scorers"):
        new = Indicator.objects.create(
            scheme=target,
            aggregation=old.aggregation,
            **{f: getattr(old, f) for f in INDICATOR_FIELDS},
        )
        IndicatorScorer.objects.bulk_create(
            IndicatorScorer(
                indicator=new, department_id=s.department_id, leader_id=s.leader_id, weight=s.weight
            )
            for s in old.scorers.all()
        )
        if not old.applies_to_all:
            new.institutions.set(old.institutions.all())


@transaction.atomic
def scheme_update(*, actor: User, scheme: Scheme, **settings_) -> Scheme:
    """Change a year's settings. The points settings (SCHEME_SETTINGS) only while it is a draft;
    the options (SCHEME_OPTIONS: 评分需复核, reports to the head, deadlines) until it is published.
    Deadlines are checked by scheme_deadlines_check."""
    _require_hr(actor)
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    fields = (*SCHEME_SETTINGS, *SCHEME_OPTIONS)
    before = snapshot(scheme, fields)
    values = {name: getattr(scheme, name) for name in fields}
    for name, value in settings_.items():
        if name not in fields:
            raise TypeError(f"Unknown scheme setting {name!r}")
        setattr(scheme, name, value)
    if any(getattr(scheme, name) != values[name] for name in SCHEME_SETTINGS):
        _require_draft(scheme)
    changed = any(getattr(scheme, name) != values[name] for name in fields)
    if changed and scheme.is_locked:
        raise ValidationError(
            _("The %(year)s appraisal is published and locked.") % {"year": scheme.year}
        )
    errors = scheme_deadlines_check(scheme)
    if errors:
        raise ValidationError(errors)
    scheme.full_clean()
    scheme.save()
    after = snapshot(scheme, fields)
    if changed:
        audit_record(actor=actor, action="scheme.update", obj=scheme, before=before, after=after)
    return scheme


def scheme_deadlines_check(scheme: Scheme) -> dict:
    """Field errors of the half-years' deadlines (docs/SCORING.md, "Deadlines"): a review deadline
    is not before its half's reporting deadline; the first half's deadlines fall in the year, the
    second half's from 1 July of the year to 30 June of the next (the year-end figures come in
    after the year closes)."""
    errors = {}
    year = scheme.year
    if all(getattr(scheme, name) is None for name in DEADLINES):
        return errors
    if not isinstance(year, int) or not 1 <= year < datetime.MAXYEAR:
        return errors  # an impossible year: full_clean names it
    windows = {
        "h1": (datetime.date(year, 1, 1), datetime.date(year, 12, 31)),
        "h2": (datetime.date(year, 7, 1), datetime.date(year + 1, 6, 30)),
    }
    for half, (first, last) in windows.items():
        report = getattr(scheme, f"{half}_report_deadline")
        review = getattr(scheme, f"{half}_review_deadline")
        for name, day in ((f"{half}_report_deadline", report), (f"{half}_review_deadline", review)):
            if day is not None and not first <= day <= last:
                errors[name] = _("Choose a date from %(first)s to %(last)s.") % {
                    "first": first.isoformat(),
                    "last": last.isoformat(),
                }
        if report is not None and review is not None and review < report and not errors:
            errors[f"{half}_review_deadline"] = _(
                "The review deadline is not before the reporting deadline (%(day)s)."
            ) % {"day": report.isoformat()}
    return errors


def scheme_check(scheme: Scheme) -> list[str]:
    """What does not add up: for every institution in a group (or with an indicator of its own),
    the maxima of the indicators that apply to it must add up to each part's max."""
    indicators = list(scheme.indicators.prefetch_related("institutions"))
    institutions = list(
        Institution.objects.filter(Q(group__isnull=False) | Q(indicators__scheme=scheme))
        .distinct()
        .order_by("code")
    )
    sums: dict[tuple[int, str], Decimal] = defaultdict(Decimal)
    for indicator in indicators:
        applies = (
            institutions
            if indicator.applies_to_all
            else [i for i in indicator.institutions.all() if i in institutions]
        )
        for inst in applies:
            sums[(inst.pk, indicator.part)] += indicator.max_points
    problems = []
    maxima = scheme.part_max()
    for inst in institutions:
        for part in Part:
            got, want = sums[(inst.pk, part.value)], maxima[engine.Part(part.value)]
            if got != want:
                problems.append(
                    _("%(code)s %(name)s: %(part)s indicators add up to %(got)s, not %(want)s.")
                    % {
                        "code": inst.code,
                        "name": inst.name,
                        "part": part.label,
                        "got": got,
                        "want": want,
                    }
                )
    return problems


TRANSITIONS = {
    "open": (Scheme.Status.DRAFT, Scheme.Status.OPEN),
    "review": (Scheme.Status.OPEN, Scheme.Status.REVIEW),
    "publish": (Scheme.Status.REVIEW, Scheme.Status.PUBLISHED),
    "reopen": (Scheme.Status.PUBLISHED, Scheme.Status.REVIEW),
}


@transaction.atomic
def scheme_transition(*, actor: User, scheme: Scheme, action: str, reason: str = "") -> Scheme:
    """draft → open → review → published; reopen (published → review) needs a reason and is
    audited. Opening checks that the maxima add up for every institution."""
    _require_hr(actor)
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    source, target = TRANSITIONS[action]
    if scheme.status != source:
        raise ValidationError(
            _("The %(year)s scheme is %(status)s; this step needs it %(source)s.")
            % {"year": scheme.year, "status": scheme.get_status_display(), "source": source.label}
        )
    if action == "open":
        problems = scheme_check(scheme)
        if problems:
            raise ValidationError(problems)
    if action == "publish":
        pending = Appeal.objects.filter(scheme=scheme, status=Appeal.Status.PENDING).count()
        if pending:
            # A published year is locked: an appeal left open then could never be answered.
            raise ValidationError(
                _("%(n)s appeal(s) of %(year)s are not answered yet; answer them first.")
                % {"n": pending, "year": scheme.year}
            )
    if action == "reopen" and not reason.strip():
        raise ValidationError({"reason": _("Reopening a published year needs a reason.")})
    before = {"status": scheme.status}
    scheme.status = target
    scheme.save(update_fields=["status"])
    audit_record(
        actor=actor,
        action=f"scheme.{action}",
        obj=scheme,
        before=before,
        after={"status": scheme.status, "reason": reason},
    )
    if action in ("open", "publish", "reopen"):
        from .tasks import recompute_request

        recompute_request(scheme.pk)
    return scheme


# --- Indicators and targets ----------------------------------------------------------------------


@transaction.atomic
def indicator_save(
    *,
    actor: User,
    scheme: Scheme,
    indicator: Indicator | None = None,
    institutions: list[Institution] | None = None,
    aggregation: str | None = None,
    scorers: "Sequence[ScorerSpec] | None" = None,
    **fields,
) -> Indicator:
    """Create or change an indicator of a draft year; with `aggregation` and `scorers`, its
    several scorers too, in the same transaction (indicator_scorers_set's rules)."""
    _require_hr(actor)
    _require_draft(scheme)
    unknown = set(fields) - set(INDICATOR_FIELDS)
    if unknown:
        raise TypeError(f"Unknown indicator fields {sorted(unknown)}")
    before = snapshot(indicator, INDICATOR_FIELDS) if indicator else None
    indicator = indicator or Indicator(scheme=scheme)
    for name, value in fields.items():
        setattr(indicator, name, value)
    if indicator.method != engine.Method.RATIO:
        indicator.direction = ""
    elif not indicator.direction:
        raise ValidationError({"direction": _("A completion-ratio indicator needs a direction.")})
    elif indicator.part == Part.EXECUTION:
        # Targets are set and scored per half-year; execution capacity is scored any time.
        raise ValidationError(
            {
                "method": _(
                    "Execution capacity is scored by points whenever something happens; "
                    "completion-ratio indicators belong to 公共目标 or 业务目标."
                )
            }
        )
    indicator.full_clean()
    indicator.save()
    if institutions is not None:
        indicator.institutions.set(institutions)
    after = snapshot(indicator, INDICATOR_FIELDS) | {
        "institutions": sorted(i.code for i in indicator.institutions.all())
    }
    if aggregation is not None or scorers is not None:
        rows = _scorers_write(
            actor,
            indicator,
            aggregation if aggregation is not None else indicator.aggregation,
            scorers if scorers is not None else _specs(indicator),
        )
        after |= _scorers_snapshot(indicator.aggregation, rows)
        Scheme.objects.filter(pk=scheme.pk).update(inputs_version=F("inputs_version") + 1)
    elif before is not None and indicator.aggregation != Aggregation.SUM:
        # A new department of an average: it must be among the listed scorers.
        problems = indicator_scorers_check(indicator, indicator.aggregation, _specs(indicator))
        if problems:
            raise ValidationError({"scorers": problems})
    audit_record(
        actor=actor,
        action="indicator.update" if before else "indicator.create",
        obj=indicator,
        before=before,
        after=after,
    )
    return indicator


@transaction.atomic
def indicator_delete(*, actor: User, indicator: Indicator) -> None:
    """Remove an indicator from a draft year (one copied forward that the year no longer has),
    with its targets. A draft has no ledger entries, so nothing scored is lost; audited."""
    _require_hr(actor)
    scheme = Scheme.objects.select_for_update().get(pk=indicator.scheme_id)
    _require_draft(scheme)
    indicator = Indicator.objects.prefetch_related("institutions").get(pk=indicator.pk)
    before = snapshot(indicator, INDICATOR_FIELDS) | {
        "institutions": sorted(i.code for i in indicator.institutions.all()),
        "targets": indicator.targets.count(),
    }
    if indicator.entries.exists():  # a draft never takes entries; a year reopened to draft may
        raise ValidationError(
            _("%(code)s has ledger entries; an indicator that was scored is not removed.")
            % {"code": indicator.code}
        )
    audit_record(actor=actor, action="indicator.delete", obj=indicator, before=before)
    indicator.targets.all().delete()
    indicator.delete()


# --- Several scorers (几人评分) ----------------------------------------------------------------


@dataclass(frozen=True)
class ScorerSpec:
    """One of an indicator's scorers as a form, the API or a workbook gives it: a department or
    a leader, and its weight for a weighted average."""

    department: ScoringDepartment | None = None
    leader: User | None = None
    weight: Decimal | None = None

    @property
    def key(self) -> str:
        return engine.scorer_key(
            department_id=self.department.pk if self.department else None,
            leader_id=self.leader.pk if self.leader else None,
        )


def _scorers_snapshot(aggregation: str, rows) -> dict:
    return {
        "aggregation": aggregation,
        "scorers": [
            {
                "department": r.department.code if r.department else None,
                "leader": r.leader.username if r.leader else None,
                "weight": None if r.weight is None else format(r.weight.normalize(), "f"),
            }
            for r in rows
        ],
    }


def scorer_specs_of(indicator: Indicator) -> list[ScorerSpec]:
    """The indicator's current scorers as ScorerSpec (to change the rule and keep them)."""
    return _specs(indicator)


def _specs(indicator: Indicator) -> list[ScorerSpec]:
    return [
        ScorerSpec(department=r.department, leader=r.leader, weight=r.weight)
        for r in indicator.scorers.select_related("department", "leader")
    ]


def indicator_scorers_check(
    indicator: Indicator, aggregation: str, scorers: Sequence[ScorerSpec]
) -> list[str]:
    """Why these scorers and this rule cannot be the indicator's (docs/SCORING.md, "Several
    scorers"), as messages; empty when they can."""
    problems = []
    if aggregation not in Aggregation.values:
        return [_("Choose how the scorers' parts make the score.")]
    if indicator.method == engine.Method.RATIO and (scorers or aggregation != Aggregation.SUM):
        problems.append(
            _(
                "A completion-ratio indicator is scored from its target and figures: it has "
                "no several scorers."
            )
        )
    keys = []
    for spec in scorers:
        if (spec.department is None) == (spec.leader is None):
            problems.append(_("Each scorer is a department or a leader, not both."))
            continue
        if spec.leader is not None and not (
            spec.leader.is_active and spec.leader.role == Role.LEADER
        ):
            problems.append(
                _("%(user)s is not an active leader account.") % {"user": spec.leader.username}
            )
        if spec.key in keys:
            name = spec.department.code if spec.department else spec.leader.username
            problems.append(_("%(name)s is listed twice.") % {"name": name})
        keys.append(spec.key)
    weights = [spec.weight for spec in scorers]
    if aggregation == Aggregation.WEIGHTED:
        if any(w is None or not Decimal(0) < w <= 1 for w in weights):
            problems.append(_("A weighted average gives every scorer a weight above 0, up to 1."))
        elif sum(weights, Decimal(0)) != 1:
            problems.append(
                _("The weights add up to %(sum)s; they must add up to exactly 1.")
                % {"sum": sum(weights, Decimal(0)).normalize()}
            )
    elif any(w is not None for w in weights):
        problems.append(_("Only a weighted average gives its scorers weights."))
    if aggregation != Aggregation.SUM:
        own = engine.scorer_key(department_id=indicator.department_id)
        if len(scorers) < 2:
            problems.append(_("An average or a weighted average lists at least two scorers."))
        if own not in keys:
            # HR's entries are the department's part: without it they would count for nobody.
            problems.append(
                _("The indicator's own department (%(code)s) is one of its scorers.")
                % {"code": indicator.department.code}
            )
    return problems


def _scorers_write(
    actor: User, indicator: Indicator, aggregation: str, scorers: Sequence[ScorerSpec]
) -> list[IndicatorScorer]:
    """Check and replace the indicator's scorers; the caller holds the year's row and audits."""
    problems = indicator_scorers_check(indicator, aggregation, scorers)
    current = list(indicator.scorers.select_related("department", "leader"))
    kept = {spec.key for spec in scorers}
    own = engine.scorer_key(department_id=indicator.department_id)
    for row in current:
        # The department always scores its own indicator, listed or not: it is never removed.
        if row.key in kept or row.key == own:
            continue
        scored = LedgerEntry.objects.filter(indicator=indicator, is_official=True)
        if row.leader_id is not None:
            scored = scored.filter(leader_id=row.leader_id)
        else:
            scored = scored.filter(department_id=row.department_id)
        if scored.exists():
            name = row.department.name if row.department else row.leader.get_full_name()
            problems.append(
                _("%(name)s has entries on %(code)s and stays one of its scorers.")
                % {"name": name or row.leader.username, "code": indicator.code}
            )
    if problems:
        raise ValidationError({"scorers": problems})
    indicator.scorers.all().delete()
    rows = IndicatorScorer.objects.bulk_create(
        IndicatorScorer(
            indicator=indicator, department=s.department, leader=s.leader, weight=s.weight
        )
        for s in scorers
    )
    if indicator.aggregation != aggregation:
        indicator.aggregation = aggregation
        indicator.save(update_fields=["aggregation"])
    return rows


@transaction.atomic
def indicator_scorers_set(
    *, actor: User, indicator: Indicator, aggregation: str, scorers: Sequence[ScorerSpec]
) -> list[IndicatorScorer]:
    """The indicator's scorers (several departments and named leaders) and how their parts make
    its score: 累加 (sum), 平均 (average) or 加权 (weighted average). HR only, until the year is
    published; audited. A scorer with entries on the indicator is not removed. The results are
    stale afterwards (inputs_version) and recomputed."""
    _require_hr(actor)
    scheme = Scheme.objects.select_for_update().get(pk=indicator.scheme_id)
    if scheme.is_locked:
        raise ValidationError(
            _("The %(year)s appraisal is published and locked.") % {"year": scheme.year}
        )
    indicator = Indicator.objects.select_related("department").get(pk=indicator.pk)
    before = _scorers_snapshot(
        indicator.aggregation, indicator.scorers.select_related("department", "leader")
    )
    rows = _scorers_write(actor, indicator, aggregation, scorers)
    after = _scorers_snapshot(aggregation, rows)
    if after != before:
        Scheme.objects.filter(pk=scheme.pk).update(inputs_version=F("inputs_version") + 1)
        audit_record(
            actor=actor, action="indicator.scorers", obj=indicator, before=before, after=after
        )
        if scheme.status != Scheme.Status.DRAFT:
            _recompute(scheme.pk)
    return rows


TARGET_FIELDS = ("kind", "unit", "target_value", "actual_value", "deadline", "completed_on")
REPORTED_TARGET_FIELDS = ("actual_value", "completed_on")  # what the indicator's department reports
# A new target's kind when none is given: what its indicator's direction measures.
KIND_OF_DIRECTION = {
    engine.Direction.HIGHER: Target.Kind.ABSOLUTE,
    engine.Direction.LOWER: Target.Kind.ERROR_RATE,
    engine.Direction.DEADLINE: Target.Kind.DEADLINE,
}
# The figures each direction scores from; the others are never counted, so they stay blank.
FIGURES_OF_DIRECTION = {
    engine.Direction.HIGHER: ("target_value", "actual_value"),
    engine.Direction.LOWER: ("target_value", "actual_value"),
    engine.Direction.DEADLINE: ("deadline", "completed_on"),
}


def target_refusal(indicator: Indicator, institution: Institution, period: str) -> dict | None:
    """Why no target may be kept for this indicator, institution and half-year, as field errors;
    None if one may. `indicator` comes with its institutions prefetched, or costs a query."""
    if indicator.method != engine.Method.RATIO:
        return {
            "indicator": _(
                "%(code)s is scored by points (扣分 / 计分), not from a target; only completion-"
                "ratio indicators (完成率 / 逆向完成率 / 按期) have targets."
            )
            % {"code": indicator.code}
        }
    if not (indicator.applies_to_all or institution in indicator.institutions.all()):
        return {
            "institution": _("%(code)s does not apply to %(institution)s.")
            % {"code": indicator.code, "institution": f"{institution.code} {institution.name}"}
        }
    if period not in (engine.Period.H1, engine.Period.H2):
        return {"period": _("A target is set for a half-year: 上半年 or 下半年.")}
    return None


def target_figures_check(code: str, direction: str, values: dict) -> dict:
    """Field errors for figures the indicator's direction never counts (a completion date on a
    完成率 target, a target value on a 按期 one): refused rather than silently ignored."""
    direction = engine.Direction(direction)
    counted = FIGURES_OF_DIRECTION[direction]
    errors = {}
    for name in ("target_value", "actual_value", "deadline", "completed_on"):
        if name not in counted and values.get(name) is not None:
            errors[name] = _(
                "%(code)s is scored %(method)s, which does not use this figure; leave it blank."
            ) % {"code": code, "method": METHOD_WORDS[direction]}
    return errors


METHOD_WORDS = {
    engine.Direction.HIGHER: "完成率",
    engine.Direction.LOWER: "逆向完成率",
    engine.Direction.DEADLINE: "按期",
}


@transaction.atomic
def target_save(
    *,
    actor: User,
    indicator: Indicator,
    institution: Institution,
    period: str,
    follow_letters: bool = True,
    **fields,
) -> Target:
    """An institution's target and figures on a completion-ratio indicator for one half-year
    (上半年: by 30 June; 下半年: the whole year, cumulative). HR sets targets; HR or the indicator's
    department reports the actual value or the completion date. Refused: a non-ratio indicator,
    an institution the indicator does not apply to, a figure the indicator never counts.
    `follow_letters=False`: the caller (the year import, saving many) has the letters follow the
    targets once per institution itself (targets_letters_follow)."""
    is_hr = has_role(actor, Role.HR)
    is_owner = (
        has_role(actor, Role.SCORER) and actor.scoring_department_id == indicator.department_id
    )
    if not (is_hr or is_owner):
        raise PermissionDenied
    scheme = indicator.scheme
    if scheme.is_locked:
        raise ValidationError(
            _("The %(year)s appraisal is published and locked.") % {"year": scheme.year}
        )
    if not is_hr and set(fields) - set(REPORTED_TARGET_FIELDS):
        raise PermissionDenied
    refusal = target_refusal(indicator, institution, period)
    if refusal:
        raise ValidationError(refusal)
    # The results are computed from targets too: mark them stale (the year's row is locked until
    # this commits, so a recompute reads either the old targets and count or the new ones).
    Scheme.objects.filter(pk=scheme.pk).update(inputs_version=F("inputs_version") + 1)
    target = Target.objects.filter(
        indicator=indicator, institution=institution, period=period
    ).first()
    before = snapshot(target, ("period", *TARGET_FIELDS)) if target else None
    target = target or Target(
        indicator=indicator,
        institution=institution,
        period=period,
        kind=KIND_OF_DIRECTION[engine.Direction(indicator.direction)],
    )
    for name, value in fields.items():
        if name not in TARGET_FIELDS:
            raise TypeError(f"Unknown target field {name!r}")
        setattr(target, name, value)
    values = {n: getattr(target, n) for n in TARGET_FIELDS}
    errors = target_figures_check(indicator.code, indicator.direction, values)
    if errors:
        raise ValidationError(errors)
    target.full_clean()
    target.save()
    audit_record(
        actor=actor,
        action="target.update" if before else "target.create",
        obj=target,
        before=before,
        after=snapshot(target, ("period", *TARGET_FIELDS)),
    )
    _recompute(scheme.pk)
    if follow_letters:
        targets_letters_follow(scheme_id=scheme.pk, institution_ids=[institution.pk])
    return target


def targets_letters_follow(*, scheme_id: int, institution_ids) -> None:
    """Once the transaction commits: a signed letter fixes the targets, so where an
    institution's targets changed, its head gets a new version to sign (letters app)."""
    ids = sorted(set(institution_ids))
    transaction.on_commit(lambda: _letters_follow(scheme_id, ids))


def _letters_follow(scheme_id: int, institution_ids: list[int]) -> None:
    from letters.services import letters_follow_targets

    scheme = Scheme.objects.get(pk=scheme_id)
    for institution in Institution.objects.filter(pk__in=institution_ids).order_by("code"):
        letters_follow_targets(scheme, institution)


# --- The ledger ----------------------------------------------------------------------------------


def _recompute(scheme_id: int) -> None:
    """Queue a recompute of the year once the current transaction commits."""
    from .tasks import recompute_request

    recompute_request(scheme_id)


def _check_points(points: Decimal, kind: str) -> None:
    if points != points.quantize(CENT):
        raise ValidationError({"points": _("Points have at most two decimals.")})
    if points == 0:
        raise ValidationError({"points": _("Points cannot be zero.")})
    if kind in (LedgerEntry.Kind.BONUS, LedgerEntry.Kind.VETO) and points < 0:
        raise ValidationError({"points": _("Bonus points and veto deductions are positive.")})


def entry_limit(scheme: Scheme, kind: str, indicator: Indicator | None) -> Decimal | None:
    """The most one entry may carry, by the rules (docs/SCORING.md, "Entries the rules can
    count"): an indicator entry its indicator's max (either sign), a bonus the year's bonus cap,
    a veto deduction the scheme's whole total. None where there is no indicator to say."""
    if kind == LedgerEntry.Kind.INDICATOR:
        return indicator.max_points if indicator is not None else None
    if kind == LedgerEntry.Kind.BONUS:
        return scheme.bonus_cap
    return scheme.common_max + scheme.business_max + scheme.execution_max


def entry_points_check(
    scheme: Scheme, kind: str, points: Decimal, indicator: Indicator | None
) -> None:
    """Refuse an entry that no rule could ever count in full: the engine would clamp it, and the
    typo would hide behind a plausible figure. The message names the limit."""
    limit = entry_limit(scheme, kind, indicator)
    if limit is not None and abs(points) > limit:
        code = indicator.code if indicator is not None else ""
        raise ValidationError(
            {"points": entry_limit_message(kind, points, limit, code=code, year=scheme.year)}
        )


def entry_limit_message(kind: str, points: Decimal, limit: Decimal, *, code: str, year: int) -> str:
    """Why an entry over its limit is refused (the pages, the API and the year import alike)."""
    if kind == LedgerEntry.Kind.INDICATOR:
        return _(
            "%(points)s points on %(code)s: one entry may not exceed the indicator's maximum of "
            "%(limit)s points, in either direction."
        ) % {"points": points, "code": code, "limit": limit}
    if kind == LedgerEntry.Kind.BONUS:
        return _(
            "A bonus of %(points)s points: one bonus may not exceed the %(year)s bonus cap of "
            "%(limit)s points."
        ) % {"points": points, "year": year, "limit": limit}
    return _(
        "A veto deduction of %(points)s points: one deduction may not exceed the scheme's total "
        "of %(limit)s points."
    ) % {"points": points, "limit": limit}


def indicator_applies(indicator: Indicator, institution: Institution) -> bool:
    return indicator.applies_to_all or indicator.institutions.filter(pk=institution.pk).exists()


@dataclass(frozen=True)
class EntryDraft:
    """An entry to record with ledger_entries_create: what a form, an API call or a workbook row
    says; the service adds who, when, the department and whether it needs approval."""

    institution: Institution
    kind: str
    points: Decimal
    reason: str
    period: str = engine.Period.YEAR
    indicator: Indicator | None = None


class DraftRefused(Exception):
    """ledger_entries_create refused the draft at `index` (0-based); `error` is the
    ValidationError or PermissionDenied it raised. Nothing was written."""

    def __init__(self, index: int, error: Exception):
        super().__init__(index, error)
        self.index, self.error = index, error


@dataclass
class _EntryRules:
    """What deciding on an entry needs to know once per call rather than once per entry: the
    locked scheme, the actor's role and the institutions they reach, and (lazily) which
    institutions each listed indicator applies to."""

    actor: User
    scheme: Scheme
    role: str | None
    visible: set[int]
    listed: dict[int, set[int]] | None = None
    named: set[int] | None = None  # the indicators the actor is a listed scorer of

    @classmethod
    def of(cls, actor: User, scheme: Scheme) -> "_EntryRules":
        """Lock the year (one writer of its ledger at a time) and check that it is open."""
        scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
        if not scheme.accepts_entries:
            raise ValidationError(
                _("The %(year)s appraisal is %(status)s: it accepts no entries.")
                % {"year": scheme.year, "status": scheme.get_status_display()}
            )
        role = actor.role if has_role(actor) else None
        visible = set(institutions_visible_to(actor).values_list("pk", flat=True))
        return cls(actor=actor, scheme=scheme, role=role, visible=visible)

    def applies(self, indicator: Indicator, institution: Institution) -> bool:
        if indicator.applies_to_all:
            return True
        if self.listed is None:
            self.listed = defaultdict(set)
            pairs = Indicator.institutions.through.objects.filter(
                indicator__scheme=self.scheme
            ).values_list("indicator_id", "institution_id")
            for indicator_id, institution_id in pairs:
                self.listed[indicator_id].add(institution_id)
        return institution.pk in self.listed[indicator.pk]

    def scores(self, indicator: Indicator) -> bool:
        """Whether a scorer or a leader may enter points on the indicator (access.scores)."""
        if self.role == Role.SCORER and indicator.department_id == self.actor.scoring_department_id:
            return True
        if self.named is None:
            self.named = set(
                IndicatorScorer.objects.filter(
                    indicator__scheme=self.scheme, **_listed_as(self.actor)
                ).values_list("indicator_id", flat=True)
            )
        return indicator.pk in self.named


def _listed_as(actor: User) -> dict:
    """The IndicatorScorer rows naming the actor: their department's, or their own as a leader."""
    if has_role(actor, Role.LEADER):
        return {"leader": actor}
    if has_role(actor, Role.SCORER):
        return {"department_id": actor.scoring_department_id}
    return {"pk__in": []}


def _entry_build(
    rules: _EntryRules, draft: EntryDraft, *, is_official: bool, source: str
) -> LedgerEntry:
    """The unsaved entry for `draft`, or PermissionDenied / ValidationError. Who may:

    * a scorer: official points on their own department's indicators and on those their
      department is a listed scorer of (IndicatorScorer); bonus and veto proposals (they count
      once HR approves them). The entry is their department's part (`department`);
    * a leader (领导): official indicator points on the indicators they are a listed scorer of,
      nothing else; the entry is their part (`leader`, no department);
    * HR: anything official (not self-assessment); HR's own bonus and veto entries count at once
      (HR is the approver);
    * an institution head: self-assessment (自评) of their own institution only.

    Where the part's scoring needs review (Scheme.review_required, 评分需复核), a scorer's or a
    leader's indicator points are recorded pending (`needs_approval`) and count once HR approves
    them (entry_decide); HR's own count at once. HR's entries are the indicator's department's
    part."""
    actor, scheme, role = rules.actor, rules.scheme, rules.role
    institution, kind, indicator, period = (
        draft.institution,
        draft.kind,
        draft.indicator,
        draft.period,
    )
    if institution.pk not in rules.visible:
        raise PermissionDenied
    if role == Role.HEAD:
        if is_official:
            raise PermissionDenied
        if kind != LedgerEntry.Kind.INDICATOR:
            # The page offers a head indicators only (scoring_forms.EntryForm); the API and any
            # other caller get the same rule here: bonus and veto points are official.
            raise ValidationError(
                {
                    "kind": _(
                        "A self-assessment scores indicators only; "
                        "bonus and veto points are official."
                    )
                }
            )
    elif role == Role.SCORER:
        if not is_official:
            raise PermissionDenied
        if kind == LedgerEntry.Kind.INDICATOR and (
            indicator is None or not rules.scores(indicator)
        ):
            raise PermissionDenied
    elif role == Role.LEADER:
        if not is_official:
            raise PermissionDenied
        if kind != LedgerEntry.Kind.INDICATOR:
            raise ValidationError(
                {
                    "kind": _(
                        "A leader scores the indicators they are named on; bonus points and "
                        "veto deductions are proposed by the departments."
                    )
                }
            )
        if indicator is None or not rules.scores(indicator):
            raise PermissionDenied
    elif role == Role.HR:
        if not is_official:
            raise PermissionDenied  # a self-assessment is the institution's own
    else:
        raise PermissionDenied

    errors = {}
    if kind == LedgerEntry.Kind.INDICATOR:
        if indicator is None or indicator.scheme_id != scheme.pk:
            errors["indicator"] = _("Choose an indicator of the %(year)s scheme.") % {
                "year": scheme.year
            }
        else:
            if indicator.method == engine.Method.RATIO:
                errors["indicator"] = _(
                    "A completion-ratio indicator is scored from its target; "
                    "report the actual value instead."
                )
            elif not rules.applies(indicator, institution):
                errors["indicator"] = _("This indicator does not apply to %(institution)s.") % {
                    "institution": institution
                }
            if period not in engine.periods_of(engine.Part(indicator.part)):
                errors["period"] = _(
                    "Execution capacity is scored for the whole year, "
                    "the other parts per half-year."
                )
    else:
        indicator = None
        period = engine.Period.YEAR
    reason = draft.reason
    if not reason or not reason.strip():
        errors["reason"] = _("Give the reason for these points.")
    try:
        _check_points(draft.points, kind)
        entry_points_check(scheme, kind, draft.points, indicator)
    except ValidationError as e:
        errors.update(e.message_dict)
    if errors:
        raise ValidationError(errors)

    needs_approval = (
        is_official
        and role != Role.HR
        and (
            kind in (LedgerEntry.Kind.BONUS, LedgerEntry.Kind.VETO)
            or (kind == LedgerEntry.Kind.INDICATOR and scheme.review_required(indicator.part))
        )
    )
    entry = LedgerEntry(
        scheme=scheme,
        institution=institution,
        kind=kind,
        indicator=indicator,
        period=period,
        points=draft.points,
        reason=reason.strip(),
        is_official=is_official,
        needs_approval=needs_approval,
        department=_entry_department(role, actor, indicator),
        leader=actor if role == Role.LEADER else None,
        created_by=actor,
        source=source,
    )
    # The field checks (choices, lengths, digits). The related objects are in hand, so their
    # existence is not queried again; the database's constraints back the rules above.
    entry.clean_fields(exclude=[*_ENTRY_RELATIONS, "evidence"])
    return entry


def _entry_department(role, actor: User, indicator: Indicator | None):
    """Whose part an entry is: a scorer's their department's, a leader's their own (no
    department), HR's (and a head's self-assessment) the indicator's department's."""
    if role == Role.SCORER:
        return actor.scoring_department
    if role == Role.LEADER:
        return None
    return indicator.department if indicator else None


_ENTRY_RELATIONS = (
    "scheme",
    "institution",
    "indicator",
    "reverses",
    "department",
    "leader",
    "created_by",
)


IDEMPOTENCY_KEY_MAX_LENGTH = 64
IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"  # the ValidationError's code


@transaction.atomic
def ledger_entry_create(
    *,
    actor: User,
    scheme: Scheme,
    institution: Institution,
    kind: str,
    points: Decimal,
    reason: str,
    period: str = engine.Period.YEAR,
    indicator: Indicator | None = None,
    evidence=None,
    is_official: bool = True,
    source: str = "web",
    idempotency_key: str | None = None,
) -> LedgerEntry:
    """Record points (the rules of who may: _entry_build).

    With an `idempotency_key` (the form's hidden token, the API's Idempotency-Key header) the
    same key from the same actor records one entry, however often and however simultaneously it
    is posted (a double click, a browser resubmitting, a client retrying after a timeout): a
    repeat returns the entry recorded first, with `replayed = True`, and writes nothing (no
    second audit event, no recompute). The same key with different content is refused. Two at
    once are decided by the database's unique constraint (entry_idempotency_key_per_user)."""
    draft = EntryDraft(institution, kind, points, reason, period, indicator)
    key = _idempotency_key_clean(idempotency_key)
    if key is not None:
        earlier = _entry_replayed(actor, key, scheme, draft, is_official)
        if earlier is not None:
            return earlier
    rules = _EntryRules.of(actor, scheme)
    if key is not None:
        # Ledger writers of the year queue on its row: a twin posted at the same moment has
        # committed by now, and this read sees it.
        earlier = _entry_replayed(actor, key, scheme, draft, is_official)
        if earlier is not None:
            return earlier
    entry = _entry_build(rules, draft, is_official=is_official, source=source)
    entry.idempotency_key = key
    if evidence:
        # The forms and the API check the file first; the service checks again, whatever door
        # it came through (orgs.uploads: kind by content, size, zip guards).
        _evidence_check(evidence, validate_scoring_evidence)
        entry.evidence = evidence
    try:
        with transaction.atomic():  # a savepoint: the failed INSERT leaves the rest usable
            entry.save()
    except IntegrityError:
        earlier = key and _entry_replayed(actor, key, scheme, draft, is_official)
        if not earlier:
            raise
        if entry.evidence:
            entry.evidence.delete(save=False)  # stored before the INSERT failed
        return earlier
    entry.replayed = False
    audit_record(actor=actor, action="ledger.create", obj=entry, after=_entry_snapshot(entry))
    _recompute(scheme.pk)
    return entry


def _idempotency_key_clean(key: str | None) -> str | None:
    key = (key or "").strip()
    if not key:
        return None
    if len(key) > IDEMPOTENCY_KEY_MAX_LENGTH or not key.isascii() or not key.isprintable():
        raise ValidationError(
            {
                "idempotency_key": _(
                    "An idempotency key is at most %(max)s printable ASCII characters."
                )
                % {"max": IDEMPOTENCY_KEY_MAX_LENGTH}
            }
        )
    return key


def _entry_replayed(
    actor: User, key: str, scheme: Scheme, draft: EntryDraft, is_official: bool
) -> LedgerEntry | None:
    """The entry `actor` recorded with `key`, if any, after checking it is the one now asked
    for; ValidationError if the key was used for something else."""
    entry = LedgerEntry.objects.filter(created_by=actor, idempotency_key=key).first()
    if entry is None:
        return None
    indicator_id = draft.indicator.pk if draft.indicator is not None else None
    period = draft.period
    if draft.kind != LedgerEntry.Kind.INDICATOR:
        indicator_id, period = None, engine.Period.YEAR  # as _entry_build records them
    same = (
        entry.scheme_id == scheme.pk
        and entry.institution_id == draft.institution.pk
        and entry.kind == draft.kind
        and entry.indicator_id == indicator_id
        and entry.period == period
        and entry.points == draft.points
        and entry.reason == (draft.reason or "").strip()
        and entry.is_official == is_official
    )
    if not same:
        raise ValidationError(
            _(
                "This idempotency key was used for a different entry (#%(id)s); "
                "a new entry needs a new key."
            )
            % {"id": entry.pk},
            code=IDEMPOTENCY_KEY_REUSED,
        )
    entry.replayed = True
    return entry


@transaction.atomic
def ledger_entries_create(
    *,
    actor: User,
    scheme: Scheme,
    drafts: Sequence[EntryDraft],
    is_official: bool = True,
    source: str = "web",
) -> list[LedgerEntry]:
    """Record many entries at once (the Excel import's 评分 sheet), all or nothing, under exactly
    the rules of ledger_entry_create, each entry audited the same way. Every draft is checked
    before anything is written: the first refused one raises DraftRefused with its index. The
    year is locked once, the actor's reach and the indicators' institutions read once, and the
    entries and their audit events inserted in batches: a constant number of queries per
    BATCH_SIZE entries instead of about twenty per entry."""
    rules = _EntryRules.of(actor, scheme)
    entries = []
    for index, draft in enumerate(drafts):
        try:
            entries.append(_entry_build(rules, draft, is_official=is_official, source=source))
        except (ValidationError, PermissionDenied) as e:
            raise DraftRefused(index, e) from e
    _entries_insert(actor, "ledger.create", entries)
    if entries:
        _recompute(scheme.pk)
    return entries


BATCH_SIZE = 2000


def _entries_insert(actor: User, action: str, entries: list[LedgerEntry]) -> None:
    # bulk_create sets each entry's primary key (RETURNING, on PostgreSQL and SQLite alike),
    # which its audit event names.
    LedgerEntry.objects.bulk_create(entries, batch_size=BATCH_SIZE)
    audit_records(
        actor=actor, action=action, changes=[(e, None, _entry_snapshot(e)) for e in entries]
    )


def _evidence_check(file, validate) -> None:
    try:
        validate(file)
    except ValidationError as e:
        raise ValidationError({"evidence": e.messages}) from e


def _entry_snapshot(entry: LedgerEntry) -> dict:
    return {
        "institution": entry.institution.code,
        "kind": entry.kind,
        "indicator": entry.indicator.code if entry.indicator else None,
        "period": entry.period,
        "points": str(entry.points),
        "reason": entry.reason,
        "official": entry.is_official,
        "needs_approval": entry.needs_approval,
        "reverses": entry.reverses_id,
        "evidence": entry.evidence.name if entry.evidence else "",
    } | ({"leader": entry.leader.username} if entry.leader_id else {})


def can_reverse(actor: User, entry: LedgerEntry) -> bool:
    if has_role(actor, Role.HR):
        return entry.is_official
    if has_role(actor, Role.SCORER):
        return entry.is_official and entry.department_id == actor.scoring_department_id
    if has_role(actor, Role.LEADER):
        return entry.is_official and entry.leader_id == actor.pk
    if has_role(actor, Role.HEAD):
        return (
            not entry.is_official
            and institutions_visible_to(actor).filter(pk=entry.institution_id).exists()
        )
    return False


def _reversal_build(
    actor: User, scheme: Scheme, entry: LedgerEntry, *, reason: str, approved: bool, source: str
) -> LedgerEntry:
    """The unsaved entry that reverses `entry` (its reversal checked not to exist yet)."""
    if not can_reverse(actor, entry):
        raise PermissionDenied
    if entry.reverses_id is not None:
        raise ValidationError(
            _("A reversing entry is not reversed again; record a new entry instead.")
        )
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the correction.")})
    return LedgerEntry(
        scheme=scheme,
        institution=entry.institution,
        kind=entry.kind,
        indicator=entry.indicator,
        period=entry.period,
        points=-entry.points,
        reason=reason.strip(),
        is_official=entry.is_official,
        # Reversing an approved entry counts at once; reversing a pending one withdraws it.
        needs_approval=entry.needs_approval and not approved,
        reverses=entry,
        # The correction is the same scorer's part as the entry it corrects.
        department=entry.department,
        leader=entry.leader,
        created_by=actor,
        source=source,
    )


def _scheme_open_locked(scheme_id: int) -> Scheme:
    scheme = Scheme.objects.select_for_update().get(pk=scheme_id)
    if not scheme.accepts_entries:
        raise ValidationError(
            _("The %(year)s appraisal is %(status)s: it accepts no entries.")
            % {"year": scheme.year, "status": scheme.get_status_display()}
        )
    return scheme


@transaction.atomic
def ledger_entry_reverse(
    *, actor: User, entry: LedgerEntry, reason: str, source: str = "web"
) -> LedgerEntry:
    """Correct an entry by a new one with the opposite points that points back at it."""
    entry = LedgerEntry.objects.select_related("scheme", "institution", "indicator").get(
        pk=entry.pk
    )
    if not can_reverse(actor, entry):
        raise PermissionDenied
    scheme = _scheme_open_locked(entry.scheme_id)
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise ValidationError(_("Entry #%(id)s is reversed already.") % {"id": entry.pk})
    decision = EntryDecision.objects.filter(entry=entry).first()
    reversal = _reversal_build(
        actor,
        scheme,
        entry,
        reason=reason,
        approved=bool(decision and decision.approved),
        source=source,
    )
    reversal.save()
    audit_record(
        actor=actor, action="ledger.reverse", obj=reversal, after=_entry_snapshot(reversal)
    )
    _recompute(scheme.pk)
    return reversal


@transaction.atomic
def ledger_entries_reverse(
    *, actor: User, scheme: Scheme, entries: Sequence[LedgerEntry], reason: str, source: str
) -> list[LedgerEntry]:
    """Reverse many entries of one year at once (a re-import replacing what the earlier import
    wrote), all or nothing, under the rules of ledger_entry_reverse, each reversal audited."""
    scheme = _scheme_open_locked(scheme.pk)
    ids = [e.pk for e in entries]
    entries = list(
        LedgerEntry.objects.filter(pk__in=ids, scheme=scheme)
        .select_related("institution", "indicator", "department")
        .order_by("id")
    )
    if len(entries) != len(set(ids)):
        raise ValidationError(_("Only entries of the %(year)s appraisal.") % {"year": scheme.year})
    reversed_already = set(
        LedgerEntry.objects.filter(reverses__in=ids).values_list("reverses_id", flat=True)
    )
    if reversed_already:
        raise ValidationError(
            _("Entry #%(id)s is reversed already.") % {"id": min(reversed_already)}
        )
    approved = set(
        EntryDecision.objects.filter(entry__in=ids, approved=True).values_list(
            "entry_id", flat=True
        )
    )
    reversals = [
        _reversal_build(actor, scheme, e, reason=reason, approved=e.pk in approved, source=source)
        for e in entries
    ]
    _entries_insert(actor, "ledger.reverse", reversals)
    if reversals:
        _recompute(scheme.pk)
    return reversals


@transaction.atomic
def entry_decide(
    *, actor: User, entry: LedgerEntry, approved: bool, note: str = ""
) -> EntryDecision:
    """HR approves or rejects a bonus or veto proposal, or reviews (复核) a scorer's or leader's
    indicator points where the part's scoring needs review, once. A rejection says why."""
    _require_hr(actor)
    entry = LedgerEntry.objects.select_related("scheme").get(pk=entry.pk)
    Scheme.objects.select_for_update().get(pk=entry.scheme_id)
    if not entry.needs_approval:
        raise ValidationError(_("Entry #%(id)s needs no approval.") % {"id": entry.pk})
    if not approved and entry.kind == LedgerEntry.Kind.INDICATOR and not note.strip():
        # The scorer whose points are turned down reads why (the pages ask for it on every
        # rejection; bonus and veto rejections without a note predate the rule).
        raise ValidationError({"note": _("Give the reason for rejecting these points.")})
    if EntryDecision.objects.filter(entry=entry).exists():
        raise ValidationError(_("Entry #%(id)s is decided already.") % {"id": entry.pk})
    if entry.reverses_id is None and LedgerEntry.objects.filter(reverses=entry).exists():
        raise ValidationError(_("Entry #%(id)s was withdrawn.") % {"id": entry.pk})
    if entry.reverses_id is not None:
        raise ValidationError(
            _("Entry #%(id)s withdraws a proposal; it is not decided.") % {"id": entry.pk}
        )
    if not entry.scheme.accepts_entries:
        raise ValidationError(
            _("The %(year)s appraisal accepts no changes.") % {"year": entry.scheme.year}
        )
    decision = EntryDecision.objects.create(
        entry=entry, approved=approved, note=note.strip(), decided_by=actor
    )
    audit_record(
        actor=actor,
        action="ledger.approve" if approved else "ledger.reject",
        obj=entry,
        after={"approved": approved, "note": decision.note},
    )
    _recompute(entry.scheme_id)
    return decision


# --- Appeals (申诉) ------------------------------------------------------------------------------


def appeal_refusal(entry: LedgerEntry) -> str | None:
    """Why this entry may not be appealed, or None if it may (docs/SCORING.md, "Appeals"): the
    year must be in review, and the entry official, counted, against the institution, neither a
    reversing entry nor reversed. `entry` comes with its scheme, decision and reversal selected
    (or costs a query each). Whether it is appealed already is the database's to say."""
    scheme = entry.scheme
    if scheme.status != Scheme.Status.REVIEW:
        return _(
            "Appeals are taken while the results are in review; the %(year)s appraisal is "
            "%(status)s."
        ) % {"year": scheme.year, "status": scheme.get_status_display()}
    if not entry.is_official:
        return _("A self-assessment entry is not appealed.")
    decision = getattr(entry, "decision", None)
    if entry.needs_approval and not (decision is not None and decision.approved):
        return _("Entry #%(id)s does not count towards the results.") % {"id": entry.pk}
    if entry.reverses_id is not None:
        return _("Entry #%(id)s is itself a correction; appeal the entry it corrects.") % {
            "id": entry.pk
        }
    if getattr(entry, "reversed_by", None) is not None:
        return _("Entry #%(id)s is reversed already.") % {"id": entry.pk}
    against = entry.kind == LedgerEntry.Kind.VETO or (
        entry.kind == LedgerEntry.Kind.INDICATOR and entry.points < 0
    )
    if not against:
        # Accepting an appeal reverses the entry: on points given to the institution that would
        # only take them away.
        return _("Only deductions and veto deductions are appealed.")
    return None


def _entry_for_appeal(entry: LedgerEntry) -> LedgerEntry:
    """The entry afresh, with what appeal_refusal reads (a reverse one-to-one that does not exist
    reads as absent, not as an error)."""
    return LedgerEntry.objects.select_related(
        "scheme", "institution", "decision", "reversed_by"
    ).get(pk=entry.pk)


def _appeal_snapshot(appeal: Appeal) -> dict:
    return {
        "entry": appeal.entry_id,
        "institution": appeal.institution.code,
        "status": appeal.status,
        "reasons": appeal.reasons,
        "evidence": appeal.evidence.name if appeal.evidence else "",
        "answer": appeal.answer,
        "answered_by": appeal.answered_by_id,
        "reversal": appeal.reversal_id,
    }


@transaction.atomic
def appeal_submit(*, actor: User, entry: LedgerEntry, reasons: str, evidence=None) -> Appeal:
    """The head of the entry's institution appeals an entry while the year is in review. One
    appeal per entry: a second one is refused (the database's unique constraint decides, so two
    at once cannot both pass)."""
    from .scoring_forms import validate_evidence

    Scheme.objects.select_for_update().get(pk=entry.scheme_id)  # no publish in between
    entry = _entry_for_appeal(entry)
    if not (
        has_role(actor, Role.HEAD)
        and institutions_visible_to(actor).filter(pk=entry.institution_id).exists()
    ):
        raise PermissionDenied
    refusal = appeal_refusal(entry)
    if refusal:
        raise ValidationError(refusal)
    errors = {}
    if not reasons or not reasons.strip():
        errors["reasons"] = _("Give the reasons for the appeal.")
    if evidence:
        try:
            validate_evidence(evidence)
        except ValidationError as e:
            errors["evidence"] = e.messages
    if errors:
        raise ValidationError(errors)
    appeal = Appeal(
        scheme=entry.scheme,
        institution=entry.institution,
        entry=entry,
        reasons=reasons.strip(),
        submitted_by=actor,
    )
    if evidence:
        appeal.evidence = evidence
    # "entry" left out: its unique constraint is checked by the INSERT itself, below.
    appeal.full_clean(exclude=["evidence", "entry"])
    try:
        with transaction.atomic():
            appeal.save()
    except IntegrityError:
        if appeal.evidence:
            appeal.evidence.delete(save=False)  # stored before the INSERT failed
        if Appeal.objects.filter(entry=entry).exists():
            raise ValidationError(
                _("Entry #%(id)s is appealed already; an appeal is answered once and finally.")
                % {"id": entry.pk}
            ) from None
        raise
    audit_record(actor=actor, action="appeal.submit", obj=appeal, after=_appeal_snapshot(appeal))
    # Those who may answer it: HR, and the scorers of the department that made the entry.
    recipients = list(notifications.hr_users())
    if entry.department_id is not None:
        recipients += notifications.department_scorers(entry.department_id)
    notifications.notify(
        recipients=recipients,
        kind="appeal.submitted",
        title=gettext_lazy("An appeal to answer"),
        text=gettext_lazy(
            "%(institution)s appealed entry #%(entry)s of %(year)s (%(points)s points): %(reasons)s"
        ),
        params={
            "institution": entry.institution.name,
            "entry": entry.pk,
            "year": entry.scheme.year,
            "points": entry.points,
            "reasons": Truncator(appeal.reasons).chars(120),
        },
        link=reverse("appraisal:appeal_detail", args=[appeal.pk]),
        about=appeal,
        actor=actor,
    )
    return appeal


def can_answer(actor: User, appeal: Appeal) -> bool:
    """HR, or a scorer of the department that made the entry (the one that may reverse it)."""
    if has_role(actor, Role.HR):
        return True
    if has_role(actor, Role.SCORER):
        return appeal.entry.department_id == actor.scoring_department_id
    return False


@transaction.atomic
def appeal_answer(
    *, actor: User, appeal: Appeal, accept: bool, answer: str, source: str = "web"
) -> Appeal:
    """Accept or reject an appeal, once. Accepting reverses the entry through
    ledger_entry_reverse (which queues the recompute) and links the reversing entry; rejecting
    leaves the ledger as it is. The appeal's row is locked, so a double click answers once."""
    # The year's row first, as every ledger write takes it, then the appeal's.
    scheme = Scheme.objects.select_for_update().get(pk=appeal.scheme_id)
    appeal = (
        Appeal.objects.select_for_update(of=("self",))
        .select_related("entry", "institution")
        .get(pk=appeal.pk)
    )
    if not can_answer(actor, appeal):
        raise PermissionDenied
    if appeal.status != Appeal.Status.PENDING:
        raise ValidationError(
            _("Appeal #%(id)s is answered already: %(status)s.")
            % {"id": appeal.pk, "status": appeal.get_status_display()}
        )
    if scheme.status != Scheme.Status.REVIEW:
        raise ValidationError(
            _(
                "Appeals are answered while the results are in review; the %(year)s appraisal "
                "is %(status)s."
            )
            % {"year": scheme.year, "status": scheme.get_status_display()}
        )
    if not answer or not answer.strip():
        raise ValidationError({"answer": _("Write the answer to the appeal.")})
    before = _appeal_snapshot(appeal)
    appeal.answer = answer.strip()
    if accept:
        appeal.reversal = ledger_entry_reverse(
            actor=actor,
            entry=appeal.entry,
            reason=_("Appeal #%(id)s accepted: %(answer)s")
            % {"id": appeal.pk, "answer": appeal.answer},
            source=source,
        )
    appeal.status = Appeal.Status.ACCEPTED if accept else Appeal.Status.REJECTED
    appeal.answered_by = actor
    appeal.answered_at = timezone.now()
    appeal.save(update_fields=["status", "answer", "answered_by", "answered_at", "reversal"])
    audit_record(
        actor=actor,
        action="appeal.accept" if accept else "appeal.reject",
        obj=appeal,
        before=before,
        after=_appeal_snapshot(appeal),
    )
    notifications.notify(
        recipients=[appeal.submitted_by],
        kind="appeal.answered",
        title=gettext_lazy("Your appeal is answered"),
        text=gettext_lazy("Appeal #%(id)s (entry #%(entry)s) is accepted: %(answer)s")
        if accept
        else gettext_lazy("Appeal #%(id)s (entry #%(entry)s) is rejected: %(answer)s"),
        params={
            "id": appeal.pk,
            "entry": appeal.entry_id,
            "answer": Truncator(appeal.answer).chars(200),
        },
        link=reverse("appraisal:appeal_detail", args=[appeal.pk]),
        about=appeal,
        actor=actor,
    )
    return appeal
