"""Tags the page components (templates/cotton/, docs/UI.md) are built from.

Pages rarely load this library themselves: they use the components, which do.
"""

import secrets
from functools import cache

from django import forms, template
from django.contrib.staticfiles import finders
from django.http import QueryDict
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import slugify

from ..audit_actions import action_label

register = template.Library()

ICONS = "vendor/tabler-icons"


@cache
def _svg(name: str) -> str:
    path = finders.find(f"{ICONS}/{name}.svg")
    if not path:
        return ""
    with open(path, encoding="utf-8") as f:
        svg = f.read().strip()
    # The files are ours (tools/tabler_icons.py copies them from the npm package); the class and
    # aria-hidden go in here so every icon is sized by CSS and skipped by screen readers.
    return svg.replace("<svg ", '<svg class="icon" aria-hidden="true" focusable="false" ', 1)


@register.simple_tag
def icon(name: str, css_class: str = "") -> str:
    """`{% icon "home" %}`: the Tabler icon inline (static/vendor/tabler-icons/home.svg), coloured
    by the text around it. Nothing for an empty or unknown name."""
    svg = _svg(name) if name else ""
    if svg and css_class:
        svg = svg.replace('class="icon"', format_html('class="icon {}"', css_class), 1)
    return mark_safe(svg)  # noqa: S308 — our own vendored files, read from static


@register.filter
def elided_pages(page) -> list:
    """A page's neighbours and ends for the pager: [1, 2, '…', 7, 8, 9, '…', 20]."""
    return list(page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))


@register.filter
def audit_action(code: str) -> str:
    """An audit event's action as people read it ('acceptance.report' → 提交周报), or the code."""
    return action_label(code)


def _widget_class(field) -> str:
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        return "form-check-input"
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return ""  # a list of choices: styled as a whole (app.css .choice-list)
    if isinstance(widget, forms.Select):
        return "form-select"
    if isinstance(widget, forms.FileInput):
        return "form-control"
    return "form-control"


@register.simple_tag
def field_widget(field, placeholder: str = "", css_class: str = "", **attrs) -> str:
    """A bound field's widget with the kit's classes (form-control, form-select,
    form-check-input) and `is-invalid` when it has errors; extra attributes pass through
    (`{% field_widget form.q placeholder="…" type="search" %}`)."""
    classes = [
        field.field.widget.attrs.get("class", ""),
        _widget_class(field),
        css_class,
        "is-invalid" if field.errors else "",
    ]
    merged = {"class": " ".join(c for c in classes if c)}
    if placeholder:
        merged["placeholder"] = placeholder
    if field.help_text:
        merged["aria-describedby"] = f"{field.auto_id}_help"
    merged.update({k.replace("_", "-"): v for k, v in attrs.items() if v not in (None, "")})
    if not merged["class"]:
        del merged["class"]
    return field.as_widget(attrs=merged)


@register.filter
def is_checkbox(field) -> bool:
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def is_choice_list(field) -> bool:
    return isinstance(field.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple)


@register.simple_tag(takes_context=True)
def sort_state(context, field: str, param: str = "ordering") -> dict:
    """For a sortable column header: the link that sorts by `field` (ascending first, then
    descending) in the current query string less its page, and the current direction ("asc",
    "desc" or "")."""
    request = context.get("request")
    params = request.GET.copy() if request is not None else QueryDict(mutable=True)
    current = params.get(param, "")
    direction = "asc" if current == field else "desc" if current == f"-{field}" else ""
    params[param] = f"-{field}" if direction == "asc" else field
    params.pop("page", None)
    return {"url": f"?{params.urlencode()}", "direction": direction}


@register.simple_tag(takes_context=True)
def ui_id(context, prefix: str, name: str = "") -> str:
    """An element id for a component: `prefix-name`, or `prefix-N` (N counting up through the
    request's page, since each component renders in a context of its own) when there is no
    name."""
    if name:
        return f"{prefix}-{slugify(name)}"
    holder = context.get("request") or context
    number = getattr(holder, "_ui_id_counter", 0) + 1
    try:
        holder._ui_id_counter = number
    except AttributeError:  # a context without a request: unique enough for one page
        return f"{prefix}-{secrets.token_hex(4)}"
    return f"{prefix}-{number}"


@register.filter
def filled(value) -> bool:
    """Whether a slot holds more than white space (an empty pager leaves only a newline)."""
    return bool(str(value).strip()) if value else False


# The colour a status is shown in, by its stored value, wherever it appears (c-badge tone=…).
# Green: done and in force; blue/azure: under way; orange: waiting for someone; red: refused or
# failing; grey: not started. A value not listed is grey.
STATUS_TONES = {
    # orgs.Stage
    "setup": "secondary",
    "data": "secondary",
    "training": "secondary",
    "acceptance": "purple",
    "trial": "azure",
    "formal": "green",
    # appraisal.Scheme.Status
    "draft": "secondary",
    "open": "blue",
    "review": "orange",
    "published": "green",
    # letters.Letter.Status
    "issued": "orange",
    "signed": "azure",
    "effective": "green",
    "superseded": "secondary",
}


@register.filter
def tone(status) -> str:
    return STATUS_TONES.get(str(status), "secondary")
