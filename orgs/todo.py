"""待办 (to-do): what waits for a user, on their home page and as counts in the menu.

Each app contributes its own items through one provider, registered in its AppConfig.ready():

    from orgs import todo
    todo.register("payroll", payroll.todo.todo_items)

A provider takes the user and returns the TodoItems that user has now, reading only its own app's
tables (scoped like every read: through the app's access helpers). `todo_for(user)` gathers them
for a page; nothing here knows any app but by the providers it was given, so `orgs`, the ground
floor, imports none of them. Items with a count of 0 are dropped. docs/TODO.md lists the items
per role and says how to add one.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class TodoItem:
    """One kind of thing waiting for the user, with how many and where it is done."""

    key: str  # unique among all items, e.g. "appraisal.approvals"
    label: str | Promise  # what waits, e.g. _("Bonus and veto proposals to decide")
    count: int
    url: str  # the page where it is done (filtered to exactly these, where the page can)
    menu: str  # the navigation item whose badge counts it (orgs.navigation ITEM keys)
    level: str = "info"  # info, warning (due soon), danger (overdue)
    detail: str | Promise = ""  # one more line, e.g. "the oldest waits since 11-02"


Provider = Callable[[object], Iterable[TodoItem]]
_providers: dict[str, Provider] = {}


def register(app_label: str, provider: Provider) -> None:
    """One provider per app; registering again replaces it (a reloaded module in development)."""
    _providers[app_label] = provider


def providers() -> dict[str, Provider]:
    return dict(_providers)


def todo_for(user) -> list[TodoItem]:
    """Everything waiting for `user`, app by app in registration order, dangers first within the
    page's order. Anonymous users and users without anything get []."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    items: list[TodoItem] = []
    for provider in _providers.values():
        items.extend(item for item in provider(user) if item.count > 0)
    order = {"danger": 0, "warning": 1, "info": 2}
    return sorted(items, key=lambda item: order.get(item.level, 3))


def todo_counts(items: Iterable[TodoItem]) -> dict[str, int]:
    """Per navigation item, how many things wait there."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item.menu] = counts.get(item.menu, 0) + item.count
    return counts
