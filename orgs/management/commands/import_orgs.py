"""Import institutions and employees from an Excel workbook (the same template and rules as the
upload page, orgs/importing/): all or nothing, every change audited under the given HR user."""

from orgs.importing import orgs_workbook_import
from orgs.importing.command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import institutions (sheet 机构) and employees (sheet 员工) from an .xlsx workbook, "
        "all or nothing, as the given HR user."
    )

    def import_file(self, user, file):
        return orgs_workbook_import(actor=user, file=file)

    def summary(self, result) -> str:
        return (
            f"Institutions: {result.institutions_created} created, "
            f"{result.institutions_updated} updated, "
            f"{result.institutions_unchanged} unchanged. "
            f"Employees: {result.employees_created} created, "
            f"{result.employees_updated} updated, "
            f"{result.employees_unchanged} unchanged."
        )
