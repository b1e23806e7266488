"""Template helpers of 数据填报's pages."""

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
