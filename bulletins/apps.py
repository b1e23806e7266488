from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BulletinsConfig(AppConfig):
    """Monthly snapshots, weekly and monthly bulletins (周报、月度通报), early warnings
    (研判预警) and explanation requests (情况说明), DESIGN.md §2."""

    name = "bulletins"
    verbose_name = _("Bulletins")

    def ready(self):
        from orgs import todo

        from . import todo as bulletins_todo

        todo.register(self.label, bulletins_todo.todo_items)
