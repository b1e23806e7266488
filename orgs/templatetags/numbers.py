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


@register.filter
def figure(value) -> str:
    """A target or actual value as written, without trailing zeros: 500.0000 → '500',
    2.5000 → '2.5'; '—' for none. Exact: formatted from the Decimal, never a float."""
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
