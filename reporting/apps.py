from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    """数据填报: institutions report their half-year figures and work; HQ reviews them (issue 17,
    docs/REPORTING.md)."""

    name = "reporting"
    verbose_name = _("Data reporting")

    def ready(self):
        from orgs import todo

        from . import todo as reporting_todo

        todo.register(self.label, reporting_todo.todo_items)
