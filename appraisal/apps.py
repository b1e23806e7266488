from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppraisalConfig(AppConfig):
    """Yearly scheme, indicators, points ledger and results (DESIGN.md §2). Built in issue 3."""

    name = "appraisal"
    verbose_name = _("Appraisal")

    def ready(self):
        from orgs import todo

        from . import todo as appraisal_todo

        todo.register(self.label, appraisal_todo.todo_items)
