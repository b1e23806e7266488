"""Writing a validated year plan: one transaction, every change through the services (orgs.services
for groups and institutions, appraisal.services for the scheme, indicators and ledger), so each is
validated again and audited like a change made on a page; then one recompute of the year."""

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from orgs import services as org_services
from orgs.access import has_role
from orgs.importing.writing import _reported_at, database_errors_reported
from orgs.models import Role, User
from orgs.services import (
    PrizeRow,
    group_create,
    group_update,
    institution_create,
    institution_update,
)

from .. import services
from ..models import LedgerEntry, Scheme, Target
from ..recompute import year_results_recompute
from ..tasks import PENDING_KEY
from .columns import (
    GROUP_SHEET,
    INDICATOR_SHEET,
    INSTITUTION_SHEET,
    SCHEME_SHEET,
    SCORE_SHEET,
    TARGET_SHEET,
)
from .reading import year_workbook_read
from .results import YearImportResult
from .validation import (
    SETTINGS,
    IndicatorRow,
    YearPlan,
    scorers_given,
    scorers_of,
    year_workbook_validate,
)

SOURCE = "import"  # LedgerEntry.source of what the import writes
# Long enough for the slowest import; the key is deleted as soon as the import ends anyway.
RECOMPUTE_CLAIM_TTL = 3600


def year_workbook_import(*, actor: User, file) -> YearImportResult:
    """Import a year from an uploaded workbook, all or nothing, as an HR user; then recompute its
    results, so that an export right after shows them. Raises ImportFailed (YearImportFailed
    for row problems) listing every problem; nothing is written then."""
    _require_hr(actor)
    plan = year_workbook_validate(year_workbook_read(file))
    return year_plan_apply(actor=actor, plan=plan)


def _require_hr(actor) -> None:
    if not has_role(actor, Role.HR):
        raise PermissionDenied


def year_plan_apply(*, actor: User, plan: YearPlan) -> YearImportResult:
    """Write a validated plan in one transaction, then recompute the year once, synchronously.

    Every ledger service queues a recompute on commit; one per entry would be thousands. So the
    import holds the year's "recompute pending" key (appraisal.tasks) while it writes, which
    makes those requests no-ops, and recomputes itself after the commit."""
    _require_hr(actor)
    claimed: list[str] = []
    try:
        with database_errors_reported(), transaction.atomic():
            result, scheme = _write(actor, plan, claimed)
    finally:
        for key in claimed:
            cache.delete(key)
    year_results_recompute(scheme_id=scheme.pk)
    return result


def _claim_recompute(scheme: Scheme, claimed: list[str]) -> None:
    key = PENDING_KEY.format(scheme.pk)
    # If a recompute is queued already, it runs later anyway; ours follows the commit.
    if cache.add(key, True, RECOMPUTE_CLAIM_TTL):
        claimed.append(key)


def _write(actor: User, plan: YearPlan, claimed: list[str]) -> tuple[YearImportResult, Scheme]:
    result = YearImportResult(year=plan.year)
    groups = _groups_write(actor, plan, result)
    institutions = _institutions_write(actor, plan, groups, result)

    with _scheme_row(plan):
        scheme = plan.scheme
        if scheme is None:
            scheme = services.scheme_create(
                actor=actor,
                year=plan.year,
                copy_indicators=not plan.defines_indicators,
                **plan.settings,
            )
            result.scheme_created = True
        elif scheme.status == Scheme.Status.DRAFT and any(
            getattr(scheme, name) != plan.settings[name] for name in SETTINGS
        ):
            scheme = services.scheme_update(actor=actor, scheme=scheme, **plan.settings)
            result.scheme_updated = True
    _claim_recompute(scheme, claimed)
    was_draft = scheme.status == Scheme.Status.DRAFT
    if was_draft:
        _indicators_write(actor, plan, scheme, institutions, result)
        with _scheme_row(plan):
            scheme = services.scheme_transition(actor=actor, scheme=scheme, action="open")
        result.scheme_opened = True
    if plan.targets is not None:
        _targets_write(actor, plan, scheme, institutions, result)
    if plan.entries is not None:
        _ledger_write(actor, plan, scheme, institutions, result)
    return result, scheme


def _scheme_row(plan: YearPlan):
    """Where a refusal of the scheme's services is reported (someone changed the year while the
    workbook was being checked): the 方案 row, like orgs.importing does for its rows."""
    sheet = plan.sheets[SCHEME_SHEET]
    return _reported_at(sheet, sheet.rows[0][0])


def _groups_write(actor, plan: YearPlan, result: YearImportResult) -> dict:
    groups = dict(plan.existing_groups)
    for row in plan.groups:
        with _reported_at(plan.sheets[GROUP_SHEET], row.number):
            if row.existing is None:
                groups[row.code] = group_create(
                    actor=actor, code=row.code, name=row.name, prizes=row.prizes
                )
                result.groups_created += 1
            elif row.existing.name != row.name or _prizes_of(row.existing) != set(row.prizes):
                groups[row.code] = group_update(
                    actor=actor, group=row.existing, name=row.name, prizes=row.prizes
                )
                result.groups_updated += 1
    return groups


def _prizes_of(group) -> set[PrizeRow]:
    return {PrizeRow(p.level, p.winners, p.amount) for p in group.prizes.all()}


def _institutions_write(actor, plan: YearPlan, groups: dict, result: YearImportResult) -> dict:
    institutions = dict(plan.existing_institutions)
    for row in plan.institutions:
        group = groups[row.group_code] if row.group_code else None
        with _reported_at(plan.sheets[INSTITUTION_SHEET], row.number):
            if row.existing is None:
                institutions[row.code] = institution_create(
                    actor=actor, code=row.code, name=row.name, group=group
                )
                result.institutions_created += 1
            elif row.existing.name != row.name or row.existing.group_id != (
                group.pk if group else None
            ):
                institutions[row.code] = institution_update(
                    actor=actor, institution=row.existing, name=row.name, group=group
                )
                result.institutions_updated += 1
    return institutions


def _indicators_write(actor, plan: YearPlan, scheme, institutions, result) -> None:
    """The 指标 sheet's rows over the draft's indicators; those of the draft the sheet does not
    list are removed first (the sheet defines the year's indicators exactly)."""
    existing = {i.code: i for i in scheme.indicators.prefetch_related("institutions", "scorers")}
    for code in plan.removed_indicators:
        with _scheme_row(plan):
            services.indicator_delete(actor=actor, indicator=existing.pop(code))
        result.indicators_removed.append(code)
    for row in plan.indicators:
        department = row.fields["department"]
        if department.pk is None:  # named by the workbook, new to the system
            with _reported_at(plan.sheets[INDICATOR_SHEET], row.number):
                org_services.scoring_department_create(
                    actor=actor, code=department.code, name=department.name, department=department
                )
            result.departments_created += 1
        indicator = existing.get(row.code)
        listed = [institutions[c] for c in row.institution_codes or ()]
        if indicator is not None and not _indicator_differs(indicator, row):
            continue
        with _reported_at(plan.sheets[INDICATOR_SHEET], row.number):
            services.indicator_save(
                actor=actor,
                scheme=scheme,
                indicator=indicator,
                institutions=listed,
                aggregation=row.aggregation,
                scorers=row.scorers,
                **row.fields,
            )
        if indicator is None:
            result.indicators_created += 1
        else:
            result.indicators_updated += 1


def _indicator_differs(indicator, row: IndicatorRow) -> bool:
    for name, value in row.fields.items():
        current = indicator.department_id if name == "department" else getattr(indicator, name)
        if (value.pk if name == "department" else value) != current:
            return True
    listed = {i.code for i in indicator.institutions.all()}
    if row.aggregation is not None and scorers_given(row) != scorers_of(indicator):
        return True
    return listed != set(row.institution_codes or ())


def _targets_write(actor, plan: YearPlan, scheme, institutions, result) -> None:
    """Each 目标 row sets one half-year's target and figures through target_save (audited like the
    target page); targets the sheet does not name are left as they are. The letters follow the
    targets once per institution, after the commit."""
    indicators = {
        i.code: i
        for i in scheme.indicators.filter(code__in={r.indicator_code for r in plan.targets})
        .select_related("scheme")
        .prefetch_related("institutions")
    }
    existing = set(
        Target.objects.filter(indicator__scheme=scheme).values_list(
            "indicator__code", "institution__code", "period"
        )
    )
    sheet = plan.sheets[TARGET_SHEET]
    for row in plan.targets:
        with _reported_at(sheet, row.number):
            services.target_save(
                actor=actor,
                indicator=indicators[row.indicator_code],
                institution=institutions[row.institution_code],
                period=row.period,
                follow_letters=False,
                **row.figures,
            )
        if (row.indicator_code, row.institution_code, row.period) in existing:
            result.targets_updated += 1
        else:
            result.targets_created += 1
    services.targets_letters_follow(
        scheme_id=scheme.pk,
        institution_ids=[institutions[r.institution_code].pk for r in plan.targets],
    )


def _ledger_write(actor, plan: YearPlan, scheme, institutions, result) -> None:
    """The 评分 sheet replaces what earlier imports wrote: each of their entries still counting
    is reversed (history stays), then every row is recorded anew. Entries made on the pages or
    through the API are not touched. Both go through the ledger's many-entries services: the
    same rules and audit as one entry at a time, checked for every row before any is written."""
    reason = _("Replaced by a new import of the %(year)s workbook.") % {"year": plan.year}
    earlier = LedgerEntry.objects.filter(
        scheme=scheme,
        source=SOURCE,
        is_official=True,
        reverses__isnull=True,
        reversed_by__isnull=True,
    ).order_by("id")
    sheet = plan.sheets[SCORE_SHEET]
    with _scheme_row(plan):
        reversals = services.ledger_entries_reverse(
            actor=actor, scheme=scheme, entries=list(earlier), reason=reason, source=SOURCE
        )
    result.entries_reversed += len(reversals)
    indicators = {i.code: i for i in scheme.indicators.select_related("department")}
    drafts = [
        services.EntryDraft(
            institution=institutions[row.institution_code],
            kind=row.kind,
            points=row.points,
            reason=row.reason,
            period=row.period,
            indicator=indicators[row.indicator_code] if row.indicator_code else None,
        )
        for row in plan.entries
    ]
    try:
        entries = services.ledger_entries_create(
            actor=actor, scheme=scheme, drafts=drafts, source=SOURCE
        )
    except services.DraftRefused as refused:
        with _reported_at(sheet, plan.entries[refused.index].number):
            raise refused.error from None
    result.entries_created += len(entries)
