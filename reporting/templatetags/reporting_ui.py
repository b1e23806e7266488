"""Template helpers of 数据填报's pages."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()

TONES = {
    "draft": "secondary",
    "awaiting_head": "warning",
    "in_review": "info",
    "first_review": "info",
    "second_review": "info",
    "returned": "danger",
    "checked": "success",
}


@register.filter
def reporting_tone(status: str) -> str:
    """The badge tone of a report's or an item's status."""
    return TONES.get(str(status), "secondary")


def plain_figure(value):
    """A stored figure as people write it: 1200.0000 → 1200, 987.5000 → 987.5; None stays None."""
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return value
    text = format(number.normalize(), "f")
    return text


@register.filter
def figure(value) -> str:
    """`{{ item.actual_value|figure }}`: the figure without padding zeros, "—" when blank."""
    shown = plain_figure(value)
    return "—" if shown is None else str(shown)
