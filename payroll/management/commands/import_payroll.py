"""Import pay policies, coefficients, employees and their grades from an Excel workbook (the same
format, rules and function as the upload page, payroll/transfer/): all or nothing, every change
audited under the given HR user."""

from orgs.importing.command import ImportCommand
from payroll.transfer import payroll_workbook_import


class Command(ImportCommand):
    help = (
        "Import pay policies (sheet 工资政策), coefficients (奖励系数, 个人等次系数) and employees "
        "with their grades (员工) from an .xlsx workbook, all or nothing, as the given HR user."
    )

    def import_file(self, user, file):
        return payroll_workbook_import(actor=user, file=file)

    def summary(self, result) -> str:
        grades = (
            f"Grades of {result.grade_year}: {result.grades_changed} changed."
            if result.grade_year is not None
            else "No grades recorded (no 工资政策 sheet)."
        )
        return (
            f"Tier coefficients: {result.tiers_saved}, grade coefficients: "
            f"{result.grade_coefficients_saved}. "
            f"Employees: {result.employees_created} created, {result.employees_updated} updated, "
            f"{result.employees_unchanged} unchanged. "
            f"Policies: {result.policies_saved} saved. {grades}"
        )
