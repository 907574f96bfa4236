"""Answers kept in the cache between requests: what nearly every page asks and seldom changes
(the work areas of a company's plan, an ID's memberships, a company's silent sync hosts). Here,
in the app every other app may import, so that each keeps its answers the same way."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Generic, TypeVar, cast

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")


class Kept(Generic[T]):
    """An answer per id, kept for `seconds` and forgotten when what it is read from changes.

    Forgotten at once and, inside a transaction, again when it commits, because a request that
    read the old rows before the commit may have kept them in between. The time limit bounds
    what is left: a request that read just before the commit and keeps its answer just after
    it, a change nobody forgets (a bare UPDATE), an answer that changes with time.
    """

    def __init__(self, name: str, *, seconds: int) -> None:
        self.name = name
        self.seconds = seconds

    def key(self, id: int) -> str:
        return f"{self.name}:{id}"

    def get(self, id: int, read: Callable[[], T]) -> T:
        """The kept answer of `id`, or `read()`'s, kept from now on."""
        return cast(T, cache.get_or_set(self.key(id), read, self.seconds))

    def forget(self, ids: Iterable[int]) -> None:
        """Raises when the cache cannot be reached; at the commit, that is only logged (the
        change has been made by then)."""
        keys = [self.key(id) for id in ids]
        cache.delete_many(keys)
        if transaction.get_connection().in_atomic_block:  # outside one, it has committed
            transaction.on_commit(lambda: cache.delete_many(keys), robust=True)
