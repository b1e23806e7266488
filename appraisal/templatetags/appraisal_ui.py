"""The appraisal pages' own display helpers (`{% load appraisal_ui %}`).

Points as an HR officer reads them (docs/UI.md, "The appraisal pages"): a deduction with a real
minus sign (−30.00, U+2212) in the danger tone, points given with a plus, nothing as a muted 0.00.
The Excel exports write the same signs as numbers. And the colour of the appraisal's own states
(appeals, ledger entries, grades, kinds), as orgs' `tone` does for the shared statuses."""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.html import format_html

from appraisal.models import LedgerEntry

register = template.Library()

MINUS = "\u2212"


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None


@register.filter
def signed(value) -> str:
    """-30 → '−30.00', 5 → '+5.00', 0 → '0.00' (text, for sentences and titles)."""
    number = _decimal(value)
    if number is None:
        return ""
    if number < 0:
        return f"{MINUS}{-number:,.2f}"
    if number > 0:
        return f"+{number:,.2f}"
    return f"{abs(number):,.2f}"


@register.filter
def taken_off(value) -> str:
    """An amount taken off, recorded positive (veto deductions): 30 → '−30.00', 0 → '0.00'."""
    number = _decimal(value)
    if number is None:
        return ""
    return signed(-number) if number else f"{abs(number):,.2f}"


@register.filter
def counted_points(entry: LedgerEntry) -> Decimal:
    """An entry's points as they count towards the total: a veto deduction (recorded positive)
    is taken off; selectors.signed_points() in SQL."""
    if entry.kind == LedgerEntry.Kind.VETO:
        return Decimal(0) - entry.points
    return entry.points


def _tone(number: Decimal) -> str:
    return "pts-minus" if number < 0 else "pts-plus" if number > 0 else "pts-zero"


@register.simple_tag
def points(value, testid: str = ""):
    """`{% points e|counted_points %}`: signed points in their tone, '—' for none."""
    number = _decimal(value)
    if number is None:
        return format_html('<span class="pts pts-none">—</span>')
    attrs = format_html(' data-testid="{}"', testid) if testid else ""
    return format_html('<span class="pts {}"{}>{}</span>', _tone(number), attrs, signed(number))


@register.simple_tag
def deduction(value, testid: str = ""):
    """`{% deduction r.veto %}`: an amount taken off (recorded positive) as −30.00 in red."""
    number = _decimal(value)
    if number is None:
        return format_html('<span class="pts pts-none">—</span>')
    return points(Decimal(0) - number, testid)


# The badge tone of the appraisal's states (c-badge tone=…): green counts or is done, orange waits
# for someone, red is refused or against the institution, grey is neutral.
APPRAISAL_TONES = {
    # Appeal.Status
    "pending": "orange",
    "accepted": "green",
    "rejected": "red",
    # selectors.entry_states
    "counted": "green",
    "withdrawn": "secondary",
    "reverses": "azure",
    "reversed": "secondary",
    "appealed": "purple",
    # Grade
    "qualified": "green",
    "unqualified": "red",
    # LedgerEntry.Kind
    "indicator": "secondary",
    "bonus": "green",
    "veto": "red",
}


@register.filter
def appraisal_tone(value) -> str:
    return APPRAISAL_TONES.get(str(value), "secondary")
