from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AcceptanceConfig(AppConfig):
    """Acceptance of pilot institutions in batches (DESIGN.md §4). Built in issue 6."""

    name = "acceptance"
    verbose_name = _("Acceptance")

    def ready(self):
        from orgs import todo

        from . import todo as acceptance_todo

        todo.register(self.label, acceptance_todo.todo_items)
