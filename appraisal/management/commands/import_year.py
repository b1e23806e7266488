"""Import an appraisal year from an Excel workbook (the same format, rules and function as the
upload page, appraisal/transfer/): all or nothing, every change audited under the given HR user,
then the year's results recomputed."""

from appraisal.transfer import year_workbook_import
from orgs.importing.command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import an appraisal year (sheets 方案, 考核组别, 机构, 指标, 评分) from an .xlsx "
        "workbook, all or nothing, as the given HR user; then recompute the year's results."
    )

    def import_file(self, user, file):
        return year_workbook_import(actor=user, file=file)

    def summary(self, result) -> str:
        scheme = (
            "created" if result.scheme_created else "updated" if result.scheme_updated else "kept"
        )
        removed = (
            f"{len(result.indicators_removed)} removed "
            f"({', '.join(result.indicators_removed)}: not in the 指标 sheet)"
            if result.indicators_removed
            else "0 removed"
        )
        return (
            f"{result.year}: scheme {scheme}{', opened' if result.scheme_opened else ''}. "
            f"Groups: {result.groups_created} created, {result.groups_updated} updated. "
            f"Institutions: {result.institutions_created} created, "
            f"{result.institutions_updated} updated. "
            f"Indicators: {result.indicators_created} created, "
            f"{result.indicators_updated} updated, {removed}. "
            f"Targets: {result.targets_created} created, {result.targets_updated} updated. "
            f"Entries: {result.entries_created} recorded, "
            f"{result.entries_reversed} of an earlier import reversed. Results recomputed."
        )
