"""Checking every row of a read year workbook against the database, loaded in a fixed number of
set-based queries whatever the number of rows; the result is the plan of what to write, or
YearImportFailed listing every problem."""

import copy
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from orgs.importing import RowError
from orgs.importing.reading import SheetData
from orgs.importing.validation import (
    InstitutionPlanRow,
    _duplicates,
    _fetch,
    _institutions_order,
    _model_check,
    _ParsedRow,
    _rows_parse,
)
from orgs.models import CODE_VALIDATOR, AssessmentGroup, Institution, ScoringDepartment, User
from orgs.services import PrizeRow

from .. import engine, services
from ..models import Aggregation, Indicator, LedgerEntry, Method, Part, Scheme
from .columns import (
    GROUP_SHEET,
    INDICATOR_COLUMNS,
    INDICATOR_SHEET,
    INSTITUTION_SHEET,
    METHOD_WORDS,
    PART_LABELS,
    PERIOD_LABELS,
    PRIZE_LABELS,
    SCHEME_COLUMNS,
    SCHEME_SHEET,
    SCORE_SHEET,
    SHEET_ORDER,
    TARGET_SHEET,
)
from .reading import YearWorkbookData
from .results import YearImportFailed

ZERO = Decimal("0")
SETTINGS = tuple(c.field for c in SCHEME_COLUMNS if c.field != "year")
PART_MAX_FIELD = {
    Part.COMMON: "common_max",
    Part.BUSINESS: "business_max",
    Part.EXECUTION: "execution_max",
}
PART_WORDS = {part: word for word, part in PART_LABELS.items()}
PERIOD_WORDS = {period: word for word, period in PERIOD_LABELS.items()}
PRIZE_FIELDS = frozenset(
    f"{kind}_{level}" for level in PRIZE_LABELS for kind in ("winners", "amount")
)
LISTED_IN_MESSAGE = 10  # institutions named in a maxima error before "…"


@dataclass
class GroupRow:
    number: int
    code: str
    existing: AssessmentGroup | None
    name: str
    prizes: tuple[PrizeRow, ...]


@dataclass
class InstitutionRow:
    number: int
    code: str
    existing: Institution | None
    name: str
    group_code: str | None  # a group of the 考核组别 sheet or of the system; None: no group


@dataclass
class IndicatorRow:
    number: int
    code: str
    fields: dict  # indicator_save's fields; the department resolved
    institution_codes: tuple[str, ...] | None  # None: applies to all
    # 评分规则 and 评分人 (several scorers), resolved; both None: the scorers stay as they are.
    aggregation: str | None = None
    scorers: list | None = None  # services.ScorerSpec


@dataclass
class EntryRow:
    number: int
    institution_code: str
    kind: str
    indicator_code: str | None
    period: str
    points: Decimal
    reason: str


@dataclass
class TargetRow:
    number: int
    institution_code: str
    indicator_code: str
    period: str
    figures: dict  # target_value, actual_value, deadline, completed_on (None where blank)


@dataclass
class YearPlan:
    """What a valid workbook writes. `scheme` is the year's scheme if it exists; `indicators` are
    saved only while it is a draft (otherwise they equal the scheme's); `entries` is None when
    the workbook has no 评分 sheet, which leaves the ledger alone."""

    year: int
    settings: dict[str, Decimal]
    scheme: Scheme | None
    groups: list[GroupRow]
    institutions: list[InstitutionRow]  # in an order in which no row takes a name still held
    indicators: list[IndicatorRow]
    entries: list[EntryRow] | None
    targets: list[TargetRow] | None  # None: no 目标 sheet, the targets are left alone
    existing_groups: dict[str, AssessmentGroup]  # by code, those the workbook refers to
    existing_institutions: dict[str, Institution]  # by code, those the workbook refers to
    sheets: dict[str, SheetData]
    # The 指标 sheet defines the year's indicators exactly (a new or draft year): a new scheme
    # copies nothing forward, and these codes of the draft, not in the sheet, are removed.
    defines_indicators: bool = False
    removed_indicators: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _IndicatorSpec:
    """An indicator of the year as it will be after the import: the scheme's (or, for a new
    year, last year's, which scheme_create copies), with the workbook's rows over them."""

    code: str
    part: str
    method: str
    direction: str  # for a completion-ratio indicator: higher, lower or deadline
    max_points: Decimal
    applies_to_all: bool
    listed: frozenset[str]  # institution codes

    def applies(self, institution_code: str) -> bool:
        return self.applies_to_all or institution_code in self.listed


def year_workbook_validate(data: YearWorkbookData) -> YearPlan:
    """Check every row of the workbook; raise YearImportFailed with every problem, or return the
    plan of what to write. Reads the database in a fixed number of queries (per few thousand
    distinct codes), whatever the number of rows."""
    errors: list[RowError] = list(data.errors)
    sheets = {title: data.sheet(title) for title in SHEET_ORDER}
    rows = {title: _rows_parse(sheets[title], errors) for title in SHEET_ORDER}

    scheme_sheet = sheets[SCHEME_SHEET]
    settings_row = _settings_row(scheme_sheet, rows[SCHEME_SHEET], errors)
    year = settings_row.get("year") if settings_row else None
    if year is None:
        raise YearImportFailed(errors)  # every other check depends on the year
    scheme = Scheme.objects.filter(year=year).first()
    if scheme is not None and scheme.is_locked:
        message = _("The %(year)s appraisal is published and locked; nothing was imported.") % {
            "year": year
        }
        raise YearImportFailed(
            [
                scheme_sheet.error(
                    settings_row.number, "year", settings_row.cells.get("year"), message
                )
            ]
        )
    locked = scheme is not None and scheme.status != Scheme.Status.DRAFT
    settings = {name: settings_row.get(name) for name in SETTINGS}
    if locked:
        _settings_compare(scheme, scheme_sheet, settings_row, errors)

    # Everything the rows refer to, in a fixed number of queries.
    group_rows, inst_rows = rows[GROUP_SHEET], rows[INSTITUTION_SHEET]
    ind_rows, score_rows = rows[INDICATOR_SHEET], rows[SCORE_SHEET]
    target_rows = rows[TARGET_SHEET]
    inst_codes = {r.get("code") for r in inst_rows} - {None}
    referred = inst_codes | {r.get("institution") for r in score_rows}
    referred |= {r.get("institution") for r in target_rows}
    for row in ind_rows:
        referred.update(row.get("institutions") or ())
    institutions = {i.code: i for i in _fetch(Institution.objects.all(), ("code",), referred)}
    name_holders = {
        i.name: i
        for i in _fetch(Institution.objects.all(), ("name",), (r.get("name") for r in inst_rows))
    }
    group_refs = {r.get(f) for r in group_rows for f in ("code", "name")}
    group_refs |= {r.get("group") for r in inst_rows}
    groups = _fetch(
        AssessmentGroup.objects.prefetch_related("prizes"), ("code", "name"), group_refs
    )
    scorer_names = {name for r in ind_rows for name, _weight in r.get("scorers") or ()}
    departments = list(
        _fetch(
            ScoringDepartment.objects.all(),
            ("code", "name"),
            [*(r.get("department") for r in ind_rows), *scorer_names],
        )
    )
    leaders = (
        {u.username: u for u in User.objects.filter(username__in=scorer_names)}
        if scorer_names
        else {}
    )
    grouped = dict(
        Institution.objects.filter(group__isnull=False).values_list("code", "group__code")
    )
    base_scheme = scheme or Scheme.objects.filter(year__lt=year).order_by("-year").first()
    base = []
    if base_scheme is not None:
        base = list(
            base_scheme.indicators.select_related("department").prefetch_related(
                Prefetch("institutions", queryset=Institution.objects.only("id", "code")),
                "scorers",
            )
        )

    plan_groups = _groups_check(sheets[GROUP_SHEET], group_rows, groups, errors)
    group_codes = {g.code for g in groups if g.code} | {r.code for r in plan_groups}
    group_codes |= {r.get("code") for r in group_rows} - {None}
    plan_institutions = _institutions_check(
        sheets[INSTITUTION_SHEET], inst_rows, institutions, name_holders, group_codes, errors
    )
    final_groups = dict(grouped)
    for row in plan_institutions:
        final_groups[row.code] = row.group_code
    known_codes = inst_codes | institutions.keys()

    plan_indicators, sheet_specs = _indicators_check(
        sheets[INDICATOR_SHEET], ind_rows, departments, known_codes, errors, leaders
    )
    base_specs = {i.code: _spec_of(i) for i in base}
    defines = not locked and sheets[INDICATOR_SHEET] is not None
    removed: list[str] = []
    if locked and sheets[INDICATOR_SHEET] is not None:
        _indicators_compare(scheme, sheets[INDICATOR_SHEET], ind_rows, base, departments, errors)
        _scorers_compare(scheme, sheets[INDICATOR_SHEET], plan_indicators, base, errors)
        plan_indicators = []
    if defines:
        # The sheet is the year's list: last year's indicators a new scheme would copy, and the
        # draft's own that the sheet leaves out, are not the year's (issue: year two).
        final = sheet_specs
        if scheme is not None:
            removed = sorted(base_specs.keys() - sheet_specs.keys())
    else:
        final = base_specs
    _maxima_check(scheme_sheet, settings_row, settings, final, final_groups, errors)

    targets = None
    if sheets[TARGET_SHEET] is not None:
        targets = _targets_check(
            sheets[TARGET_SHEET], target_rows, year, final, known_codes, errors
        )

    entries = None
    if sheets[SCORE_SHEET] is not None:
        entries = _scores_check(
            sheets[SCORE_SHEET], score_rows, year, final, known_codes, settings, errors
        )

    if errors:
        raise YearImportFailed(errors)
    return YearPlan(
        year=year,
        settings=settings,
        scheme=scheme,
        groups=plan_groups,
        institutions=plan_institutions,
        indicators=plan_indicators,
        entries=entries,
        targets=targets,
        existing_groups={g.code: g for g in groups},
        existing_institutions=institutions,
        sheets={title: sheet for title, sheet in sheets.items() if sheet is not None},
        defines_indicators=defines,
        removed_indicators=removed,
    )


# --- 方案 ---------------------------------------------------------------------------------------


def _settings_row(sheet: SheetData, rows: list[_ParsedRow], errors) -> _ParsedRow | None:
    if not rows:
        errors.append(
            RowError(SCHEME_SHEET, 2, message=_("Fill in one row: the year and its settings."))
        )
        return None
    for extra in rows[1:]:
        message = _("One row only: a workbook imports one year.")
        errors.append(sheet.error(extra.number, None, None, message))
    return rows[0]


def _settings_compare(scheme: Scheme, sheet: SheetData, row: _ParsedRow, errors) -> None:
    for name in SETTINGS:
        value = row.get(name)
        if value is not None and value != getattr(scheme, name):
            message = _(
                "The %(year)s scheme is %(status)s: its settings no longer change, and this one "
                "is %(current)s."
            ) % {
                "year": scheme.year,
                "status": scheme.get_status_display(),
                "current": getattr(scheme, name),
            }
            errors.append(sheet.error(row.number, name, row.cells.get(name), message))


# --- 考核组别 and 机构 ---------------------------------------------------------------------------


def _groups_check(sheet, rows: list[_ParsedRow], groups, errors) -> list[GroupRow]:
    if sheet is None:
        return []
    by_code = {g.code: g for g in groups}
    by_name = {g.name: g for g in groups}
    message = _("This code is given more than once in this sheet, in rows %(rows)s.")
    _duplicates(sheet, rows, "code", message, errors)
    message = _("This name is given more than once in this sheet, in rows %(rows)s.")
    _duplicates(sheet, rows, "name", message, errors)
    plan = []
    for row in rows:
        code, name = row.get("code"), row.get("name")
        existing = by_code.get(code)
        instance = copy.copy(existing) if existing else AssessmentGroup()
        _model_check(sheet, row, instance, set(PRIZE_FIELDS), errors)
        holder = by_name.get(name)
        if holder is not None and holder.code != code and "name" not in row.failed:
            # Renaming two groups into each other's names is rare: it takes two imports.
            message = _("Another group, %(code)s, already has this name.") % {"code": holder.code}
            errors.append(sheet.error(row.number, "name", row.cells.get("name"), message))
            row.failed.add("name")
        if row.failed:
            continue
        prizes = tuple(
            PrizeRow(
                level=level,
                winners=row.get(f"winners_{level}") or 0,
                amount=row.get(f"amount_{level}") or ZERO,
            )
            for level in PRIZE_LABELS
        )
        plan.append(GroupRow(row.number, code, existing, name, prizes))
    return plan


def _institutions_check(
    sheet, rows: list[_ParsedRow], institutions, name_holders, group_codes, errors
) -> list[InstitutionRow]:
    if sheet is None:
        return []
    message = _("This code is given more than once in this sheet, in rows %(rows)s.")
    _duplicates(sheet, rows, "code", message, errors)
    message = _("This name is given more than once in this sheet, in rows %(rows)s.")
    _duplicates(sheet, rows, "name", message, errors)
    unknown_group = _(
        "No assessment group has this code, neither in the system nor in the %(sheet)s sheet."
    ) % {"sheet": GROUP_SHEET}
    candidates: dict[int, InstitutionRow] = {}
    for row in rows:
        code = row.get("code")
        group_code = row.get("group")
        if group_code is not None and group_code not in group_codes:
            errors.append(sheet.error(row.number, "group", row.cells.get("group"), unknown_group))
            row.failed.add("group")
        existing = institutions.get(code) if code else None
        instance = copy.copy(existing) if existing else Institution()
        _model_check(sheet, row, instance, {"group"}, errors)
        if not row.failed:
            candidates[row.number] = InstitutionRow(
                row.number, code, existing, row.get("name"), group_code
            )
    # orgs.importing orders the rows so that a name moves from one institution to another.
    ordered = _institutions_order(
        sheet,
        [
            InstitutionPlanRow(r.number, r.code, r.existing, {"name": r.name})
            for r in candidates.values()
        ],
        name_holders,
        errors,
    )
    return [candidates[r.number] for r in ordered]


# --- 指标 ---------------------------------------------------------------------------------------


def _spec_of(indicator: Indicator) -> _IndicatorSpec:
    return _IndicatorSpec(
        code=indicator.code,
        part=indicator.part,
        method=indicator.method,
        direction=indicator.direction,
        max_points=indicator.max_points,
        applies_to_all=indicator.applies_to_all,
        listed=frozenset(i.code for i in indicator.institutions.all()),
    )


def _department_find(departments, ref):
    """By code first: a department's code may be another department's name."""
    if ref is None:
        return None
    return next((d for d in departments if d.code == ref), None) or next(
        (d for d in departments if d.name == ref), None
    )


def _department_resolve(sheet, row: _ParsedRow, departments, errors):
    """An existing department by code or name; a name the system does not know yet becomes a
    new scoring department (saved with the indicators, audited), so a workbook can set up a year
    on an empty system. It is appended to `departments`, so later rows reuse it."""
    ref = row.get("department")
    found = _department_find(departments, ref)
    if ref is not None and found is None:
        name = str(ref).strip()
        if len(name) > 64:
            message = _("A scoring department's name has at most 64 characters.")
            errors.append(
                sheet.error(row.number, "department", row.cells.get("department"), message)
            )
            row.failed.add("department")
            return None
        found = ScoringDepartment(code=_new_department_code(name, departments), name=name)
        departments.append(found)
    return found


def _new_department_code(name: str, departments) -> str:
    taken = {d.code for d in departments} | set(
        ScoringDepartment.objects.values_list("code", flat=True)
    )
    if CODE_VALIDATOR.regex.fullmatch(name) and name not in taken:
        return name
    n = 1
    while f"DEPT{n:02d}" in taken:
        n += 1
    return f"DEPT{n:02d}"


def _indicators_check(
    sheet, rows: list[_ParsedRow], departments, known_codes, errors, leaders=None
):
    """The workbook's indicators: what indicator_save is given, and their specs."""
    if sheet is None:
        return [], {}
    message = _("This code is given more than once in this sheet, in rows %(rows)s.")
    _duplicates(sheet, rows, "code", message, errors)
    plan, specs = [], {}
    for order, row in enumerate(rows, start=1):
        department = _department_resolve(sheet, row, departments, errors)
        codes = row.get("institutions")
        unknown = [c for c in codes or () if c not in known_codes]
        if unknown:
            message = _(
                "No institution has the code %(codes)s, neither in the system nor in the "
                "%(sheet)s sheet."
            ) % {"codes": "、".join(unknown), "sheet": INSTITUTION_SHEET}
            errors.append(
                sheet.error(row.number, "institutions", row.cells.get("institutions"), message)
            )
            row.failed.add("institutions")
        # method: parsed as a pair; aggregation and scorers: checked by _scorers_resolve
        skip = {"scheme", "department", "institutions", "method", "aggregation", "scorers"}
        _model_check(sheet, row, Indicator(), skip, errors)
        method, direction = row.get("method") or (None, "")
        if method == Method.RATIO and row.get("part") == Part.EXECUTION:
            message = _(
                "执行力建设 is scored by points whenever something happens (扣分 or 计分); "
                "completion-ratio methods belong to 公共目标 and 业务目标, scored per half-year."
            )
            errors.append(sheet.error(row.number, "method", row.cells.get("method"), message))
            row.failed.add("method")
        if row.failed:
            continue
        fields = {
            "code": row.get("code"),
            "part": row.get("part"),
            "name": row.get("name"),
            "max_points": row.get("max_points"),
            "method": method,
            "direction": direction,
            "department": department,
            "applies_to_all": codes is None,
            "sort_order": order,
        }
        aggregation, scorers = _scorers_resolve(
            sheet, row, fields, departments, leaders or {}, errors
        )
        plan.append(IndicatorRow(row.number, fields["code"], fields, codes, aggregation, scorers))
        specs[fields["code"]] = _IndicatorSpec(
            code=fields["code"],
            part=fields["part"],
            method=method,
            direction=direction,
            max_points=fields["max_points"],
            applies_to_all=codes is None,
            listed=frozenset(codes or ()),
        )
    return plan, specs


def _scorers_resolve(sheet, row: _ParsedRow, fields, departments, leaders, errors):
    """评分规则 and 评分人 of a row: (aggregation, [ScorerSpec]) checked by the service's rules
    (services.indicator_scorers_check), or (None, None) when both are blank."""
    aggregation, named = row.get("aggregation"), row.get("scorers")
    if aggregation is None and named is None:
        return None, None
    aggregation = aggregation or Aggregation.SUM
    specs = []
    for name, weight in named or ():
        department = _department_find(departments, name)
        leader = leaders.get(name) if department is None else None
        if department is None and leader is None:
            message = _("No scoring department or leader account is called %(name)s.") % {
                "name": name
            }
            errors.append(sheet.error(row.number, "scorers", row.cells.get("scorers"), message))
            return None, None
        specs.append(services.ScorerSpec(department=department, leader=leader, weight=weight))
    indicator = Indicator(
        code=fields["code"], method=fields["method"], department=fields["department"]
    )
    for problem in services.indicator_scorers_check(indicator, aggregation, specs):
        errors.append(sheet.error(row.number, "scorers", row.cells.get("scorers"), problem))
    return aggregation, specs


def scorers_of(indicator) -> tuple:
    """An indicator's rule and scorers, comparable with an IndicatorRow's (scorers_given)."""
    return indicator.aggregation, [
        (s.department_id, s.leader_id, None if s.weight is None else s.weight.normalize())
        for s in indicator.scorers.all()
    ]


def scorers_given(row: IndicatorRow) -> tuple:
    return row.aggregation, [
        (
            s.department.pk if s.department else None,
            s.leader.pk if s.leader else None,
            None if s.weight is None else s.weight.normalize(),
        )
        for s in row.scorers or ()
    ]


def _scorers_compare(scheme, sheet, plan: list[IndicatorRow], base, errors) -> None:
    """An open year's scorers change on the indicator's page (or the API), not by a workbook:
    the sheet's 评分规则 and 评分人, where given, must be the indicator's."""
    existing = {i.code: i for i in base}
    for row in plan:
        indicator = existing.get(row.code)
        if indicator is None or (row.aggregation is None and row.scorers is None):
            continue
        if scorers_given(row) != scorers_of(indicator):
            message = _(
                "The %(year)s scheme is %(status)s: change the scorers of %(code)s on its page."
            ) % {"year": scheme.year, "status": scheme.get_status_display(), "code": row.code}
            errors.append(sheet.error(row.number, "scorers", None, message))


def _indicators_compare(scheme, sheet, rows: list[_ParsedRow], base, departments, errors) -> None:
    """Once a year is open its indicators are fixed: the sheet must list exactly them."""
    existing = {i.code: i for i in base}
    status = {"year": scheme.year, "status": scheme.get_status_display()}
    for row in rows:
        code = row.get("code")
        indicator = existing.get(code)
        if code is None:
            continue
        if indicator is None:
            message = (
                _(
                    "The %(year)s scheme is %(status)s: its indicators no longer change, and it "
                    "has no indicator with this code."
                )
                % status
            )
            errors.append(sheet.error(row.number, "code", row.cells.get("code"), message))
            continue
        department = _department_find(departments, row.get("department"))
        codes = row.get("institutions")
        now = {
            "part": indicator.part,
            "name": indicator.name,
            "max_points": indicator.max_points,
            "method": (indicator.method, indicator.direction),
            "department": indicator.department,
            "institutions": None
            if indicator.applies_to_all
            else {i.code for i in indicator.institutions.all()},
        }
        given = {
            "part": row.get("part"),
            "name": row.get("name"),
            "max_points": row.get("max_points"),
            "method": row.get("method"),
            "department": department,
            "institutions": None if codes is None else set(codes),
        }
        for name, value in given.items():
            if name in row.failed or (value is None and name != "institutions"):
                continue
            if value != now[name]:
                message = _(
                    "The %(year)s scheme is %(status)s: its indicators no longer change, and this "
                    "indicator's value here is %(current)s."
                ) % (status | {"current": _indicator_value_text(name, now[name])})
                errors.append(sheet.error(row.number, name, row.cells.get(name), message))
    given_codes = {r.get("code") for r in rows}
    code_header = INDICATOR_COLUMNS[0].header
    for code in sorted(existing.keys() - given_codes):
        message = _(
            "The %(year)s scheme is %(status)s: its indicators no longer change, and indicator "
            "%(code)s is missing from this sheet."
        ) % (status | {"code": code})
        ref = sheet.columns.get("code")
        errors.append(
            RowError(sheet.title, 1, code_header, ref.letter if ref else "", code, message)
        )


def _indicator_value_text(name: str, value) -> str:
    if name == "part":
        return PART_WORDS.get(value, value)
    if name == "method":
        return METHOD_WORDS.get(value, str(value))
    if name == "institutions":
        return "、".join(sorted(value)) if value else _("all institutions")
    return str(value)


def _maxima_check(sheet, row, settings, specs: dict[str, _IndicatorSpec], groups, errors) -> None:
    """scheme_check on the year as it will be: for every institution in a group (or listed by an
    indicator), the maxima of the indicators that apply to it add up to each part's max. One
    error per part and set of indicators, naming the institutions it concerns."""
    if row is None or any(settings[PART_MAX_FIELD[part]] is None for part in Part):
        return  # the settings row itself is wrong; that is reported already
    checked = {code for code, group in groups.items() if group}
    for spec in specs.values():
        checked |= spec.listed
    by_part = defaultdict(list)  # part -> [spec]
    for spec in specs.values():
        by_part[spec.part].append(spec)
    concerned: dict[tuple[str, tuple[str, ...]], list[str]] = defaultdict(list)
    for code in sorted(checked):
        for part in Part:
            applying = tuple(sorted(s.code for s in by_part[part.value] if s.applies(code)))
            concerned[(part.value, applying)].append(code)
    for (part, applying), codes in concerned.items():
        got = sum((specs[c].max_points for c in applying), ZERO)
        field = PART_MAX_FIELD[Part(part)]
        want = settings[field]
        if got == want:
            continue
        named = "、".join(codes[:LISTED_IN_MESSAGE])
        if len(codes) > LISTED_IN_MESSAGE:
            named += _("… (%(count)s institutions)") % {"count": len(codes)}
        message = _(
            "%(part)s: the maxima of the indicators that apply to %(institutions)s "
            "(%(indicators)s) add up to %(got)s, not %(want)s."
        ) % {
            "part": PART_WORDS[Part(part)],
            "institutions": named,
            "indicators": ", ".join(applying) or _("none"),
            "got": got,
            "want": want,
        }
        errors.append(sheet.error(row.number, field, row.cells.get(field), message))


# --- 目标 ---------------------------------------------------------------------------------------


def _targets_check(sheet, rows: list[_ParsedRow], year, specs, known_codes, errors):
    """Each row: a half-year's target and figures of an institution on a completion-ratio
    indicator of the year as it will be, that applies to the institution; each (institution,
    indicator, half-year) once; only the figures the indicator's method counts."""
    unknown_institution = _(
        "No institution has this code, neither in the system nor in the %(sheet)s sheet."
    ) % {"sheet": INSTITUTION_SHEET}
    seen: dict[tuple, int] = {}
    plan = []
    for row in rows:

        def error(field, message, row=row):
            errors.append(sheet.error(row.number, field, row.cells.get(field), message))
            row.failed.add(field)

        code, indicator_code, period = (
            row.get("institution"),
            row.get("indicator"),
            row.get("period"),
        )
        if code is not None and code not in known_codes:
            error("institution", unknown_institution)
        spec = specs.get(indicator_code) if indicator_code is not None else None
        if indicator_code is not None and spec is None:
            error(
                "indicator",
                _("The %(year)s scheme has no indicator with this code.") % {"year": year},
            )
        elif spec is not None and spec.method != Method.RATIO:
            error(
                "indicator",
                _(
                    "%(code)s is scored by points (扣分 / 计分) on the %(sheet)s sheet, not from a "
                    "target; only 完成率 / 逆向完成率 / 按期 indicators have targets."
                )
                % {"code": indicator_code, "sheet": SCORE_SHEET},
            )
        elif (
            spec is not None
            and code is not None
            and "institution" not in row.failed
            and not spec.applies(code)
        ):
            error(
                "institution",
                _("%(indicator)s does not apply to institution %(code)s.")
                % {"indicator": indicator_code, "code": code},
            )
        key = (code, indicator_code, period)
        if None not in key and not row.failed:
            if key in seen:
                error(
                    "period",
                    _("This institution, indicator and period are given already in row %(row)s.")
                    % {"row": seen[key]},
                )
            else:
                seen[key] = row.number
        figures = {name: row.get(name) for name in TARGET_FIGURES}
        if spec is not None and spec.method == Method.RATIO:
            for name, message in services.target_figures_check(
                indicator_code, spec.direction, figures
            ).items():
                if name not in row.failed:
                    error(name, message)
        if row.failed:
            continue
        plan.append(TargetRow(row.number, code, indicator_code, period, figures))
    return plan


TARGET_FIGURES = ("target_value", "actual_value", "deadline", "completed_on")


# --- 评分 ---------------------------------------------------------------------------------------


def _entry_limit(kind, spec, settings) -> Decimal | None:
    """services.entry_limit on the year as it will be after the import."""
    if kind == LedgerEntry.Kind.INDICATOR:
        return spec.max_points if spec is not None else None
    if kind == LedgerEntry.Kind.BONUS:
        return settings.get("bonus_cap")
    maxima = [settings.get(PART_MAX_FIELD[part]) for part in Part]
    return None if None in maxima else sum(maxima, ZERO)


def _scores_check(sheet, rows: list[_ParsedRow], year, specs, known_codes, settings, errors):
    unknown_institution = _(
        "No institution has this code, neither in the system nor in the %(sheet)s sheet."
    ) % {"sheet": INSTITUTION_SHEET}
    plan = []
    for row in rows:

        def error(field, message, row=row):
            errors.append(sheet.error(row.number, field, row.cells.get(field), message))
            row.failed.add(field)

        code = row.get("institution")
        if code is not None and code not in known_codes:
            error("institution", unknown_institution)
        kind, indicator_code = row.get("kind"), row.get("indicator")
        period, points = row.get("period"), row.get("points")
        if kind == LedgerEntry.Kind.INDICATOR:
            spec = specs.get(indicator_code)
            if indicator_code is None:
                if "indicator" not in row.failed:
                    error("indicator", _("Give the indicator's code on a 指标 row."))
            elif spec is None:
                error(
                    "indicator",
                    _("The %(year)s scheme has no indicator with this code.") % {"year": year},
                )
            elif spec.method == Method.RATIO:
                error(
                    "indicator",
                    _(
                        "%(code)s is a completion-ratio indicator: it is scored from its targets "
                        "(the %(sheet)s sheet), not by points."
                    )
                    % {"code": indicator_code, "sheet": TARGET_SHEET},
                )
            elif code is not None and "institution" not in row.failed and not spec.applies(code):
                error(
                    "indicator",
                    _("This indicator does not apply to institution %(code)s.") % {"code": code},
                )
            if spec is not None:
                allowed = engine.periods_of(engine.Part(spec.part))
                missing = period is None and "period" not in row.failed
                if missing or (period is not None and period not in allowed):
                    error("period", _periods_message(spec.part))
        elif kind is not None:
            if indicator_code is not None:
                error("indicator", _("Leave the indicator blank on 加分 and 否决 rows."))
            if period is not None and period != engine.Period.YEAR:
                error(
                    "period", _("加分 and 否决 count for the whole year: 全年, or leave it blank.")
                )
            if points is not None and points < 0:
                error("points", _("加分 and 否决 are positive points."))
            period = engine.Period.YEAR
        if kind is not None and points is not None and "points" not in row.failed:
            spec = specs.get(indicator_code) if kind == LedgerEntry.Kind.INDICATOR else None
            limit = _entry_limit(kind, spec, settings)
            if limit is not None and abs(points) > limit:
                message = services.entry_limit_message(
                    kind, points, limit, code=indicator_code or "", year=year
                )
                error("points", message)
        if row.failed or points == 0:  # a 0 changes no total: nothing to record
            continue
        plan.append(
            EntryRow(row.number, code, kind, indicator_code, period, points, row.get("reason"))
        )
    return plan


def _periods_message(part: str) -> str:
    word = PART_WORDS[Part(part)]
    if part == Part.EXECUTION:
        return _("%(part)s is scored for the whole year: 全年.") % {"part": word}
    return _("%(part)s is scored per half-year: 上半年 or 下半年.") % {"part": word}
