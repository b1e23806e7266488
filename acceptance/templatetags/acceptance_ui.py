"""The acceptance pages' colours: `{% load acceptance_ui %}`, then
`<c-badge tone="{{ batch.status|acceptance_tone }}">` (docs/UI.md's c-badge; the shared statuses
are orgs.templatetags.ui.STATUS_TONES). Green: passed, closed; blue: under way; orange: waiting
for a decision; red: failed; grey: planned."""

from django import template

register = template.Library()

TONES = {
    # Batch.Status
    "planned": "secondary",
    "in_progress": "blue",
    "closed": "green",
    # Inspection.Result
    "pending": "orange",
    "passed": "green",
    "failed": "red",
}


@register.filter
def acceptance_tone(value) -> str:
    return TONES.get(str(value), "secondary")
