"""Walks the site's URL map, for tests that must hold on every page."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    pattern: str  # e.g. "accounts/login/" or "company/<int:pk>/"
    name: str | None
    arguments: tuple[str, ...]

    def path(self, **values: object) -> str:
        """The route with its arguments filled in from `values`."""
        path = self.pattern
        for argument in self.arguments:
            path = _fill(path, argument, str(values[argument]))
        return "/" + path


def _fill(path: str, argument: str, value: str) -> str:
    start = path.index("<")
    end = path.index(">", start)
    assert path[start + 1 : end].split(":")[-1] == argument
    return path[:start] + value + path[end + 1 :]


def _arguments(pattern: str) -> tuple[str, ...]:
    names = []
    rest = pattern
    while "<" in rest:
        start = rest.index("<")
        end = rest.index(">", start)
        names.append(rest[start + 1 : end].split(":")[-1])
        rest = rest[end + 1 :]
    return tuple(names)


def routes() -> Iterator[Route]:
    """Every path-style route (regex routes, e.g. the admin's catch-alls, are left out)."""

    def walk(patterns: list[URLPattern | URLResolver], prefix: str) -> Iterator[Route]:
        for entry in patterns:
            text = str(entry.pattern)
            if text.startswith("^"):
                continue
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + text)
            else:
                full = prefix + text
                yield Route(full, entry.name, _arguments(full))

    yield from walk(get_resolver().url_patterns, "")
