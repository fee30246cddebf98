"""Lists the server reads a page at a time.

A conversation's timeline and a customer's conversations grow without bound,
so the server returns them a page at a time (service.proto: ``page_size``,
``page_token``, ``next_page_token``). ``Client.timeline`` and
``Client.list_conversations`` read every page and return the whole list;
``Client.timeline_page`` and ``Client.list_conversations_page`` return one
:class:`Page`, for callers that show or process a long list piece by piece.
"""

from __future__ import annotations

from typing import Callable, List, NamedTuple

import grpc

from .errors import OmnirouteError

__all__ = ["Page"]


class Page(NamedTuple):
    """One page of a list, unpacked as ``items, next_page_token = page``.

    Attributes:
        items: the page's entries or conversations, in the list's order.
        next_page_token: pass it as ``page_token=`` to read the next page;
            ``""`` when this page is the last. A token is only valid for the
            same tenant and the same list (INVALID_ARGUMENT otherwise).
    """

    items: list
    next_page_token: str


def read_every_page(read: Callable[[str], Page], method: str) -> List:
    """The items of every page, in order: ``read(token)`` from ``""`` on."""
    items: list = []
    token = ""
    while True:
        page = read(token)
        items.extend(page.items)
        if not page.next_page_token:
            return items
        if page.next_page_token == token:
            # It would never end.
            raise OmnirouteError(grpc.StatusCode.INTERNAL,
                                 f"the server gave back the page token it was sent ({token!r})",
                                 method)
        token = page.next_page_token
