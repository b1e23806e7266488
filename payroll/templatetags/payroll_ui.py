"""How payroll statuses look on the pages (`{% load payroll_ui %}`): a run's colour says what it
waits for — a draft waits to be confirmed (orange), a confirmed run to be exported for payment
(blue), an exported run is done (green) — and a reconciliation's says whether anything is wrong
(red only once paid wages are imported and differ; grey while there is nothing to compare)."""

from django import template

register = template.Library()

RUN_TONES = {"draft": "orange", "confirmed": "azure", "exported": "green"}
RECONCILIATION_TONES = {
    "no_run": "secondary",
    "not_imported": "secondary",
    "reconciled": "green",
    "differs": "red",
}


@register.filter
def run_tone(status) -> str:
    return RUN_TONES.get(str(status), "secondary")


@register.filter
def reconciliation_tone(state) -> str:
    return RECONCILIATION_TONES.get(str(state), "secondary")
