"""Number formats for pages. Money is shown from the Decimal itself, never through float."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def yuan(value) -> str:
    """12345.5 → '12,345.50'. Values are already exact to the cent; this only formats."""
    if value is None or value == "":
        return ""
    try:
        return f"{Decimal(value):,.2f}"
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
