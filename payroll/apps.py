from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PayrollConfig(AppConfig):
    """Performance-linked pay and monthly payroll runs (DESIGN.md §5). Built in issue 4."""

    name = "payroll"
    verbose_name = _("Payroll")
