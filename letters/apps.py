from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LettersConfig(AppConfig):
    """Target responsibility letters (目标责任书, DESIGN.md §3)."""

    name = "letters"
    verbose_name = _("Target responsibility letters")

    def ready(self):
        from orgs import todo

        from . import todo as letters_todo

        todo.register(self.label, letters_todo.todo_items)
