"""Django admin for superusers: the appraisal is read-only here. Scores change only through the
ledger services (pages, API, import), which validate, audit and recompute."""

from django.contrib import admin

from orgs.admin import ReadOnlyAdmin

from .models import Appeal, EntryDecision, Indicator, LedgerEntry, Result, ResultSet, Scheme, Target


@admin.register(Scheme)
class SchemeAdmin(ReadOnlyAdmin):
    list_display = ("year", "status", "common_max", "business_max", "execution_max", "qualify_line")


@admin.register(Indicator)
class IndicatorAdmin(ReadOnlyAdmin):
    list_display = ("scheme", "code", "part", "name", "max_points", "method", "department")
    list_filter = ("scheme", "part", "department")
    search_fields = ("code", "name")


@admin.register(Target)
class TargetAdmin(ReadOnlyAdmin):
    list_display = ("indicator", "institution", "kind", "target_value", "actual_value")


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "scheme",
        "institution",
        "kind",
        "indicator",
        "period",
        "points",
        "created_by",
        "created_at",
    )
    list_filter = ("scheme", "kind", "period", "is_official")
    search_fields = ("institution__code", "reason")
    list_select_related = ("scheme", "institution", "indicator", "created_by")


@admin.register(EntryDecision)
class EntryDecisionAdmin(ReadOnlyAdmin):
    list_display = ("entry", "approved", "decided_by", "decided_at")


@admin.register(Result)
class ResultAdmin(ReadOnlyAdmin):
    list_display = ("scheme", "institution", "group", "total", "grade", "rank", "prize_level")
    list_filter = ("scheme", "group", "grade")
    list_select_related = ("scheme", "institution", "group")


@admin.register(ResultSet)
class ResultSetAdmin(ReadOnlyAdmin):
    list_display = ("scheme", "computed_at", "ledger_last_id", "ledger_entries", "duration_ms")


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    list_display = ("id", "scheme", "institution", "entry", "status", "submitted_at", "answered_at")
    list_filter = ("scheme", "status")
    list_select_related = ("scheme", "institution")
