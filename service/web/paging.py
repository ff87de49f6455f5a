"""Keyset paging: one set of query parameters and one envelope for every list route.

A page is ``limit`` items with a key greater than ``after``; the route asks
the store for ``limit + 1`` so that the extra item says a next page exists
without a count query. Links follow OGC API Features (``self``, ``next``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query, Request

from service.web.deps import MAX_ID, LimitQuery, SettingsDep
from service.web.http import next_link

K = TypeVar("K", str, int)
T = TypeVar("T")

_AFTER = "Return items with a larger id (paging)."


@dataclass(frozen=True, slots=True)
class PageParams(Generic[K]):
    """The page asked for: its size (settings' default when not given) and the key to start after."""

    limit: int
    after: K

    @property
    def fetch(self) -> int:
        """How many items to read: one more than a page, to learn whether a next page exists."""
        return self.limit + 1


async def str_page(
    settings: SettingsDep,
    limit: LimitQuery = None,
    after: Annotated[str, Query(max_length=200, description=_AFTER)] = "",
) -> PageParams[str]:
    """The text-keyed page asked for (the hot reads' doors call it as FastAPI does)."""
    return PageParams(settings.page_limit_default if limit is None else limit, after)


async def _int_page(
    settings: SettingsDep,
    limit: LimitQuery = None,
    after: Annotated[int, Query(ge=0, le=MAX_ID, description=_AFTER)] = 0,
) -> PageParams[int]:
    return PageParams(settings.page_limit_default if limit is None else limit, after)


# The page dependencies are async: they only compute, and a sync dependency
# costs every paged request a hop to the thread pool and back.
StrPage = Annotated[PageParams[str], Depends(str_page)]
"""Paging by a text key (account ids, pipeline record ids)."""
IntPage = Annotated[PageParams[int], Depends(_int_page)]
"""Paging by an integer key (territory ids, rep ids)."""


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of items and its links."""

    items: list[T]
    links: list[dict[str, str]]


def page_of(
    request: Request,
    found: Sequence[T],
    params: PageParams[K],
    key: Callable[[T], K],
    media_type: str | None = None,
) -> Page[T]:
    """Cut ``found`` (up to ``params.fetch`` items) to a page, with ``self`` and ``next`` links.

    ``media_type`` becomes each link's ``type`` when given.
    """
    items = list(found[: params.limit])
    typed = {} if media_type is None else {"type": media_type}
    links = [{"href": str(request.url), "rel": "self", **typed}]
    if len(found) > params.limit and items:
        links.append({"href": next_link(request.url, key(items[-1])), "rel": "next", **typed})
    return Page(items, links)
