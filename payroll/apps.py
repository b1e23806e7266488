from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PayrollConfig(AppConfig):
    """Performance-linked pay and monthly payroll runs (DESIGN.md §5). Built in issue 4."""

    name = "payroll"
    verbose_name = _("Payroll")

    def ready(self):
        from orgs import todo

        # payroll.services queues payroll.refresh_draft_runs by name; the worker's autodiscovery
        # registers it there, and this registers it in every other process (web, shell, commands).
        from . import tasks  # noqa: F401
        from . import todo as payroll_todo

        todo.register(self.label, payroll_todo.todo_items)
