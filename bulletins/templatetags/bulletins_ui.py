"""The bulletin and dashboard pages' figures and colours: `{% load bulletins_ui %}`.

- `{{ line.veto|deduction }}`: a deduction as a deduction, "−30.00" (a true minus sign), "0.00"
  when there is none: the veto deductions are stored as positive points taken off the total.
- `{{ status|bulletin_tone }}`, `{{ code|warning_tone }}`, `{{ grade|grade_tone }}`: the c-badge
  tone of a bulletin's or an explanation's status, of a warning (red: the result fails or is about
  to; orange: at risk; purple: something not done), of a grade."""

from decimal import Decimal, InvalidOperation

from django import template

from orgs.templatetags.numbers import yuan

register = template.Library()

MINUS = "\u2212"


@register.filter
def deduction(value) -> str:
    if value is None or value == "":
        return ""
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    return f"{MINUS}{yuan(abs(number))}" if number else yuan(number)


STATUS_TONES = {
    # Bulletin.Status
    "draft": "secondary",
    "published": "green",
    # ExplanationRequest.Status
    "requested": "orange",
    "submitted": "azure",
    "reviewed": "green",
}
WARNING_TONES = {
    "vetoed": "red",
    "below_line": "red",
    "veto_near": "orange",
    "prize_at_risk": "orange",
    "explanation_overdue": "purple",
    "letter_unsigned": "purple",
    "report_overdue": "purple",
    "no_report": "purple",
}
GRADE_TONES = {"qualified": "green", "unqualified": "red"}


@register.filter
def bulletin_tone(value) -> str:
    return STATUS_TONES.get(str(value), "secondary")


@register.filter
def warning_tone(value) -> str:
    return WARNING_TONES.get(str(value), "secondary")


@register.filter
def grade_tone(value) -> str:
    return GRADE_TONES.get(str(value), "secondary")
