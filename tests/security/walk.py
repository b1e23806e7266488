"""Walk the URL conf (django.urls.get_resolver) into the routes the permission matrix covers."""

import re
from dataclasses import dataclass
from functools import cache

from django.urls import URLPattern, URLResolver, get_resolver

ADMIN_KEY = "admin"
FORMAT_SUFFIX = re.compile(r"\\\.\(\?P<format>[^)]*\)/\?\$$|<drf_format_suffix:format>$")


@dataclass(frozen=True)
class Found:
    key: str  # the route's name (namespace:name), the admin's one key, or the pattern
    pattern: str  # the full pattern, as Django spells it
    format_suffix: bool  # a DRF `.json` twin of another pattern of the same name


def _walk(resolver, prefix="", namespace=None):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _walk(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            pattern = prefix + str(entry.pattern)
            name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
            yield pattern, name


@cache
def routes() -> tuple[Found, ...]:
    found = []
    for pattern, name in _walk(get_resolver()):
        key = ADMIN_KEY if pattern.startswith("admin/") else name or pattern
        found.append(Found(key, pattern, bool(FORMAT_SUFFIX.search(pattern))))
    return tuple(found)


def keys() -> set[str]:
    return {route.key for route in routes()}


def readable(key: str) -> str:
    """`/api/v1/entries/<pk>/` for the route's main (not format-suffix) pattern."""
    if key == ADMIN_KEY:
        return "`/admin/…`"
    patterns = [r.pattern for r in routes() if r.key == key and not r.format_suffix]
    if not patterns:
        return "?"
    path = patterns[0]
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", path)
    path = re.sub(r"<\w+:(\w+)>", r"<\1>", path)
    path = path.replace("^", "").replace("$", "").replace("\\.", ".")
    return f"`/{path}`"
